"""Retention (``Store.prune_executions``, prune reports, settings), on every backend: which
executions a prune deletes, what it always keeps, and how prunes share the store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from pulse.errors import NotFoundError
from pulse.models import ExecutionStatus
from pulse.retention import JobPrune, PruneReport, RetentionPolicy
from pulse.stats import Period
from pulse.store.base import Store
from tests.store import builders as b
from tests.store.builders import T0, Run, at
from tests.store.conftest import OpenStore, RawQuery

COMPLETED = ExecutionStatus.COMPLETED
FAILED = ExecutionStatus.FAILED
NOW = T0
SINCE = NOW - timedelta(days=2000)  # before every run of these tests


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def ids_of(store: Store, job_id: str) -> set[str]:
    """The ids of every execution the job has."""
    return {e.id for e in (await store.list_executions(job_id, 1000, 0)).items}


async def totals(store: Store, job_id: str) -> tuple[int, int, int, int]:
    """What the history page shows: all, running, completed, failed."""
    pages = [await store.list_executions(job_id, 1, 0, s) for s in (None, *ExecutionStatus)]
    return (pages[0].total, pages[1].total, pages[2].total, pages[3].total)


async def new_job(store: Store, *runs: Run) -> tuple[str, list[str]]:
    """A job with the history ``runs``: its id, and the ids of its executions."""
    job = await store.create_job(b.job())
    return job.id, await b.record_runs(store, job.id, runs)


# -- settings and prune reports -----------------------------------------------------------------


async def test_a_setting_reads_back_as_stored_until_replaced(store: Store) -> None:
    policy = {"keep_days": {"completed": 30, "failed": None}, "keep_max": 10_000, "keep_min": 20}
    assert await store.get_setting("retention") is None

    await store.put_setting("retention", policy, at(0))
    await store.put_setting("other", ["a", 1, 2.5, True, None, {"k": []}], at(0))

    assert await store.get_setting("retention") == policy
    await store.put_setting("retention", {"keep_min": 3}, at(1))
    assert await store.get_setting("retention") == {"keep_min": 3}
    assert await store.get_setting("other") == ["a", 1, 2.5, True, None, {"k": []}]


async def test_every_node_sees_the_same_settings(store: Store, open_store: OpenStore) -> None:
    await store.put_setting("retention", {"keep_max": 5}, at(0))
    other = await open_store()
    assert await other.get_setting("retention") == {"keep_max": 5}


async def test_prune_reports_are_listed_newest_first(store: Store) -> None:
    policy = RetentionPolicy(keep_days={"completed": 30, "failed": None}, keep_max=100, keep_min=2)
    reports = [
        PruneReport(
            started_at=at(i * 3600),
            finished_at=at(i * 3600 + 2.5),
            node_id=f"n{i}",
            trigger="schedule" if i else "manual",
            dry_run=i == 1,
            deleted=10 * i,
            policy=policy,
            jobs=[JobPrune("SPJ_a", 10 * i, RetentionPolicy(keep_max=i + 1))] if i else [],
        )
        for i in range(3)
    ]
    for report in reports:
        await store.record_prune(report)

    assert await store.list_prunes(2) == [reports[2], reports[1]]
    assert await store.list_prunes(10) == reports[::-1]


# -- the rules --------------------------------------------------------------------------------


async def test_completed_runs_go_after_their_days_while_failures_are_kept_longer(
    store: Store,
) -> None:
    policy = RetentionPolicy(keep_days={"completed": 7, "failed": 60})
    job, ids = await new_job(
        store,
        Run(ago(1)),
        Run(ago(7)),  # exactly as old as the limit: kept
        Run(ago(7) - timedelta(milliseconds=1)),
        Run(ago(30)),
        Run(ago(2), FAILED),
        Run(ago(59), FAILED),
        Run(ago(61), FAILED),
        Run(ago(100), FAILED),
    )

    assert await store.prune_executions({job: policy}, NOW) == {job: 4}

    assert await ids_of(store, job) == {ids[0], ids[1], ids[4], ids[5]}


async def test_a_status_without_days_is_kept_whatever_its_age(store: Store) -> None:
    job, ids = await new_job(
        store, Run(ago(1000)), Run(ago(999), FAILED), Run(ago(998), FAILED), Run(ago(997))
    )

    forever = RetentionPolicy(keep_days={"completed": None})
    assert await store.prune_executions({job: forever}, NOW) == {}
    assert await ids_of(store, job) == set(ids)

    # Failures are absent from the map: both stay, not only the latest one.
    assert await store.prune_executions({job: RetentionPolicy({"completed": 1})}, NOW) == {job: 2}
    assert await ids_of(store, job) == {ids[1], ids[2]}


async def test_keep_max_keeps_the_newest_runs_of_a_job(store: Store) -> None:
    job, ids = await new_job(store, *[Run(ago(d)) for d in (6, 5, 4, 3, 2, 1)])

    assert await store.prune_executions({job: RetentionPolicy(keep_max=4)}, NOW) == {job: 2}

    assert await ids_of(store, job) == set(ids[2:])
    assert await store.prune_executions({job: RetentionPolicy(keep_max=4)}, NOW) == {}


async def test_keep_max_is_exact_among_runs_started_at_the_same_instant(store: Store) -> None:
    job, _ = await new_job(store, *[Run(ago(3)) for _ in range(5)])

    assert await store.prune_executions({job: RetentionPolicy(keep_max=2)}, NOW) == {job: 3}

    assert len(await ids_of(store, job)) == 2


async def test_keep_min_keeps_the_newest_runs_whatever_their_age(store: Store) -> None:
    job, ids = await new_job(store, *[Run(ago(d)) for d in (104, 103, 102, 101, 100)])
    policy = RetentionPolicy(keep_days={"completed": 1}, keep_max=1, keep_min=3)

    assert await store.prune_executions({job: policy}, NOW) == {job: 2}

    assert await ids_of(store, job) == set(ids[2:])


async def test_the_latest_failure_is_kept_even_when_older_than_everything(store: Store) -> None:
    job, ids = await new_job(
        store,
        Run(ago(300), FAILED),
        Run(ago(200), FAILED),
        Run(ago(100)),
        Run(ago(50)),
        Run(ago(10)),
    )
    policy = RetentionPolicy(keep_days={"completed": 1, "failed": 1}, keep_max=1)

    assert await store.prune_executions({job: policy}, NOW) == {job: 4}

    assert await ids_of(store, job) == {ids[1]}
    assert (await store.get_execution(ids[1])).status is FAILED


async def test_running_executions_are_never_pruned_nor_counted_by_the_cap(store: Store) -> None:
    job, ids = await new_job(
        store,
        Run(ago(1000), status=None),
        Run(ago(400)),
        Run(ago(300)),
        Run(ago(200), FAILED),
        Run(ago(1), status=None),
    )
    policy = RetentionPolicy(keep_max=2)

    assert await store.prune_executions({job: policy}, NOW, dry_run=True) == {job: 1}
    assert await store.prune_executions({job: policy}, NOW) == {job: 1}

    assert await ids_of(store, job) == {ids[0], ids[2], ids[3], ids[4]}
    aged = RetentionPolicy(keep_days={"completed": 1, "failed": 1})
    assert await store.prune_executions({job: aged}, NOW) == {job: 1}
    assert await ids_of(store, job) == {ids[0], ids[3], ids[4]}
    # Their ends are still recorded when they come.
    assert await store.finish_execution(ids[0], b.result(COMPLETED, NOW)) is not None
    assert await totals(store, job) == (3, 1, 1, 1)


async def test_each_job_is_pruned_by_its_own_policy_and_a_job_left_out_loses_nothing(
    store: Store,
) -> None:
    history = [Run(ago(d)) for d in (40, 30, 20, 10)]
    capped, capped_ids = await new_job(store, *history)
    aged, aged_ids = await new_job(store, *history)
    left_out, left_out_ids = await new_job(store, *history)
    policies = {
        capped: RetentionPolicy(keep_max=1),
        aged: RetentionPolicy(keep_days={"completed": 25}),
    }

    assert await store.prune_executions(policies, NOW) == {capped: 3, aged: 2}

    assert await ids_of(store, capped) == {capped_ids[3]}
    assert await ids_of(store, aged) == set(aged_ids[2:])
    assert await ids_of(store, left_out) == set(left_out_ids)


async def test_a_pruned_executions_log_goes_with_it(store: Store, raw_query: RawQuery) -> None:
    job, (old, new) = await new_job(
        store, Run(ago(10), log="old output\n"), Run(ago(0.5), log="new output\n")
    )

    assert await store.prune_executions({job: RetentionPolicy({"completed": 1})}, NOW) == {job: 1}

    with pytest.raises(NotFoundError):
        await store.get_execution(old)
    assert await store.read_logs(old, 0, 10) == []
    assert raw_query(
        "SELECT count(*) FROM pulse_execution_logs WHERE execution_id = ?", (old,)
    ) == [(0,)]
    assert [c.text for c in await store.read_logs(new, 0, 10)] == ["new output\n"]


def chunk_counts(raw_query: RawQuery, ids: list[str]) -> list[int]:
    """How many log chunks each of ``ids`` has, as stored."""
    query = "SELECT count(*) FROM pulse_execution_logs WHERE execution_id = ?"
    return [int(str(raw_query(query, (i,))[0][0])) for i in ids]


def written_during(start: datetime, *offsets: float) -> tuple[datetime, ...]:
    return tuple(start + timedelta(seconds=s) for s in offsets)


async def test_the_logs_of_pruned_runs_go_and_their_neighbours_logs_stay(
    store: Store, raw_query: RawQuery
) -> None:
    # Two jobs run side by side every 10 minutes for two days, each run writing three chunks
    # while it runs; one job's runs older than a day go, in batches of 7. The chunks of the
    # runs that stay, written at the same instants as those that go, are all still there.
    def runs(offset: float) -> list[Run]:
        starts = [ago(2) + timedelta(minutes=10 * i, seconds=offset) for i in range(288)]
        return [
            Run(s, duration_ms=60_000, log="a\nb\nc\n", log_times=written_during(s, 0, 20, 59))
            for s in starts
        ]

    pruned, pruned_ids = await new_job(store, *runs(0))
    _, other_ids = await new_job(store, *runs(1))
    policy = RetentionPolicy({"completed": 1}, keep_max=None, keep_min=0)

    assert await store.prune_executions({pruned: policy}, NOW, batch=7) == {pruned: 144}

    assert chunk_counts(raw_query, pruned_ids) == [0] * 144 + [3] * 144
    assert chunk_counts(raw_query, other_ids) == [3] * 288
    kept = pruned_ids[144]
    assert [c.text for c in await store.read_logs(kept, 0, 10)] == ["a\n", "b\n", "c\n"]


async def test_the_logs_of_a_long_run_go_with_it(store: Store, raw_query: RawQuery) -> None:
    start = ago(5)
    long = Run(
        start,
        duration_ms=3 * 3600_000,
        log="first\nlater\nlast\n",
        log_times=written_during(start, 0, 3600, 3 * 3600 - 1),
    )
    job, (old, new) = await new_job(store, long, Run(ago(0.5), log="new\n"))

    assert await store.prune_executions({job: RetentionPolicy({"completed": 1})}, NOW) == {job: 1}

    assert chunk_counts(raw_query, [old, new]) == [0, 1]


async def test_logs_stamped_by_a_clock_set_wrong_go_with_their_run(
    store: Store, raw_query: RawQuery
) -> None:
    # The node's clock was a day off while the run wrote its output.
    start = ago(5)
    off = Run(start, log="one\ntwo\n", log_times=written_during(start, -86_400, 86_400))
    job, (old, new) = await new_job(store, off, Run(ago(0.5), log="new\n"))

    assert await store.prune_executions({job: RetentionPolicy({"completed": 1})}, NOW) == {job: 1}

    assert chunk_counts(raw_query, [old, new]) == [0, 1]


async def test_the_history_totals_follow_a_prune(store: Store) -> None:
    job, _ = await new_job(
        store,
        *[Run(ago(d)) for d in (9, 8, 7, 1)],
        *[Run(ago(d), FAILED) for d in (9, 8, 0.5)],
        Run(ago(20), status=None),
    )
    assert await totals(store, job) == (8, 1, 4, 3)
    policy = RetentionPolicy(keep_days={"completed": 5, "failed": 5})

    assert await store.prune_executions({job: policy}, NOW) == {job: 5}

    assert await totals(store, job) == (3, 1, 1, 1)


# -- how a prune runs --------------------------------------------------------------------------


async def test_a_dry_run_deletes_nothing_and_counts_what_a_prune_then_deletes(
    store: Store,
) -> None:
    one, one_ids = await new_job(store, *[Run(ago(d)) for d in range(1, 9)])
    two, two_ids = await new_job(store, *[Run(ago(d), FAILED) for d in range(1, 6)])
    policies = {
        one: RetentionPolicy(keep_days={"completed": 3}, keep_min=4),
        two: RetentionPolicy(keep_max=2),
    }

    dry = await store.prune_executions(policies, NOW, dry_run=True)

    assert dry == {one: 4, two: 3}
    assert await ids_of(store, one) == set(one_ids)
    assert await ids_of(store, two) == set(two_ids)
    assert await store.prune_executions(policies, NOW) == dry
    assert await ids_of(store, one) == set(one_ids[:4])
    assert await ids_of(store, two) == set(two_ids[:2])
    assert await store.prune_executions(policies, NOW, dry_run=True) == {}


async def test_a_prune_in_small_batches_deletes_every_victim(store: Store) -> None:
    job, ids = await new_job(store, *[Run(ago(100 - i)) for i in range(22)])
    policy = RetentionPolicy(keep_days={"completed": 1}, keep_min=2)

    assert await store.prune_executions({job: policy}, NOW, batch=3) == {job: 20}

    assert await ids_of(store, job) == set(ids[-2:])


async def wait_for_total(store: Store, job_id: str, total: int) -> None:
    """Return once the job's history holds ``total`` executions (a prune under way got there)."""
    async with asyncio.timeout(20):
        while True:
            if (await store.list_executions(job_id, 1, 0)).total == total:
                return
            await asyncio.sleep(0.01)


async def test_a_prune_that_must_not_wait_gives_up_while_another_runs(
    store: Store, open_store: OpenStore, backend: str
) -> None:
    # On PostgreSQL the other prune is another node's; SQLite serves one node.
    other = await open_store() if backend == "postgres" else store
    policy = RetentionPolicy(keep_days={"completed": 1})
    slow_job, _ = await new_job(store, Run(ago(10)), Run(ago(9)))
    quick_job, quick_ids = await new_job(store, Run(ago(10)))
    # A batch at a time with a pause after each: it holds the prune lock for a second.
    slow = asyncio.create_task(store.prune_executions({slow_job: policy}, NOW, batch=1, pause=0.5))
    await wait_for_total(store, slow_job, 1)

    assert await other.prune_executions({quick_job: policy}, NOW, wait=False) is None

    assert await ids_of(store, quick_job) == set(quick_ids)
    assert await slow == {slow_job: 2}
    assert await other.prune_executions({quick_job: policy}, NOW, wait=False) == {quick_job: 1}


async def test_concurrent_prunes_delete_each_execution_once(
    store: Store, open_store: OpenStore, backend: str
) -> None:
    # Two nodes on PostgreSQL; two calls on the one node of a SQLite file.
    other = await open_store() if backend == "postgres" else store
    runs = [Run(ago(40 - i * 1.5), FAILED if i % 4 == 1 else COMPLETED) for i in range(26)]
    policies = {
        "aged": RetentionPolicy(keep_days={"completed": 10, "failed": 30}, keep_min=3),
        "capped": RetentionPolicy(keep_max=5),
    }
    jobs = {name: await new_job(store, *runs) for name in policies}
    by_id = {jobs[name][0]: policy for name, policy in policies.items()}

    results = await asyncio.gather(
        store.prune_executions(by_id, NOW, batch=4),
        other.prune_executions(by_id, NOW, batch=4),
    )

    for name, (job, ids) in jobs.items():
        left = await ids_of(store, job)
        assert left == b.kept_by(policies[name], runs, ids, NOW)
        assert sum((r or {}).get(job, 0) for r in results) == len(ids) - len(left)
        assert len(left) < len(ids)


# -- roll-ups -------------------------------------------------------------------------------


async def test_pruning_leaves_the_roll_ups_as_they_were(store: Store) -> None:
    job, _ = await new_job(
        store,
        *[Run(ago(d), duration_ms=100 * d) for d in (9, 8, 7, 1)],
        *[Run(ago(d), FAILED, duration_ms=7) for d in (9, 0.5)],
    )
    before = {p: await store.stats(job, p, SINCE) for p in Period}
    assert sum(r.total for r in before[Period.DAY].values()) == 6

    policy = RetentionPolicy(keep_days={"completed": 5, "failed": 5})
    assert await store.prune_executions({job: policy}, NOW) == {job: 4}

    assert {p: await store.stats(job, p, SINCE) for p in Period} == before
    assert (await store.stats_by_job(Period.DAY, SINCE))[job].total == 6


async def test_deleting_a_job_deletes_its_roll_ups(store: Store) -> None:
    gone, _ = await new_job(store, Run(ago(2)), Run(ago(1), FAILED))
    stays, _ = await new_job(store, Run(ago(1), duration_ms=5))
    stays_by_day = await store.stats(stays, Period.DAY, SINCE)

    await store.delete_job(gone)

    for period in Period:
        assert await store.stats(gone, period, SINCE) == {}
    assert await store.stats(None, Period.DAY, SINCE) == stays_by_day
    assert set(await store.stats_by_job(Period.HOUR, SINCE)) == {stays}
    # A job created again with the same id starts from nothing.
    await store.create_job(b.job(id=gone))
    assert await store.stats(gone, Period.DAY, SINCE) == {}


async def test_a_run_that_fails_during_a_prune_is_kept_as_the_latest_failure(
    store: Store,
) -> None:
    # Four old successes and a long run that is still going when the prune begins.
    job, ids = await new_job(
        store, *[Run(ago(20 - i)) for i in range(4)], Run(ago(10), status=None)
    )
    policy = RetentionPolicy(keep_days={"completed": 1, "failed": 1})
    pruning = asyncio.create_task(store.prune_executions({job: policy}, NOW, batch=1, pause=0.3))
    await wait_for_total(store, job, 4)  # the prune is under way
    # The long run fails: it is now the job's latest (and only) failure, old as it is.
    assert await store.finish_execution(ids[4], b.result(ExecutionStatus.FAILED, NOW)) is not None
    await pruning
    assert await ids_of(store, job) == {ids[4]}
