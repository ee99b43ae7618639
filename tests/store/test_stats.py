"""Statistics (``Store.stats`` and the other reads of the overview), on every backend: the
roll-ups equal what the raw history says, and they outlive pruning."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.clock import format_ts
from pulse.models import ExecutionStatus
from pulse.retention import RetentionPolicy
from pulse.stats import Period, Rollup, merged
from pulse.store.base import ExecutionEnd, Store
from tests.store import builders as b
from tests.store.builders import Run
from tests.store.conftest import RawQuery

COMPLETED = ExecutionStatus.COMPLETED
FAILED = ExecutionStatus.FAILED
DAY0 = datetime(2025, 12, 1, tzinfo=UTC)  # the histories below start on this UTC day
SINCE = DAY0 - timedelta(days=30)


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


def rollups(runs: Iterable[Run], period: Period) -> dict[datetime, Rollup]:
    """The roll-ups of the finished ``runs``, computed here from the raw history."""
    out: dict[datetime, Rollup] = {}
    for r in runs:
        if r.status is not None:
            out.setdefault(period.floor(r.started_at), Rollup()).add_run(
                r.status is COMPLETED, r.duration_ms
            )
    return out


def one(completed: bool, duration_ms: int) -> Rollup:
    """The roll-up of a single run."""
    r = Rollup()
    r.add_run(completed, duration_ms)
    return r


def nearest_rank(durations: Sequence[int], q: float) -> int:
    """The exact ``q`` percentile of ``durations``, nearest rank."""
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def assert_percentiles_match(rollup: Rollup, durations: Sequence[int]) -> None:
    """The percentiles a roll-up's histogram gives are those of the raw durations, within the
    histogram's 10 % wide buckets: 5 %, plus the rounding to whole milliseconds."""
    for q in (0.5, 0.95, 0.99):
        exact = nearest_rank(durations, q)
        got = rollup.percentile(q)
        assert got is not None and abs(got - exact) <= 0.05 * exact + 0.5, (q, durations)


async def new_job(store: Store, *runs: Run) -> tuple[str, list[str]]:
    job = await store.create_job(b.job())
    return job.id, await b.record_runs(store, job.id, runs)


# -- when and where a run is counted -------------------------------------------------------------


async def test_a_run_is_rolled_up_in_the_utc_hour_and_day_it_started(store: Store) -> None:
    late = DAY0 + timedelta(hours=23, minutes=59, seconds=59, milliseconds=999)
    # 01:30 at UTC+02:00 is 23:30 UTC of the day before.
    east = datetime(2025, 12, 3, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    job, _ = await new_job(
        store,
        Run(late, duration_ms=2000),  # ends on the next day: still counted on the first
        Run(east, FAILED, duration_ms=30),
    )

    assert await store.stats(job, Period.HOUR, SINCE) == {
        DAY0 + timedelta(hours=23): one(True, 2000),
        datetime(2025, 12, 2, 23, tzinfo=UTC): one(False, 30),
    }
    assert await store.stats(job, Period.DAY, SINCE) == {
        DAY0: one(True, 2000),
        DAY0 + timedelta(days=1): one(False, 30),
    }


async def test_a_run_is_counted_once_when_it_finishes(store: Store) -> None:
    job, (running,) = await new_job(store, Run(DAY0, status=None))
    assert await store.stats(job, Period.HOUR, SINCE) == {}
    assert await store.stats_by_job(Period.DAY, SINCE) == {}

    await store.finish_execution(running, b.result(FAILED, DAY0 + ms(40), duration_ms=40))
    # Too late: it ended already, and is not counted again.
    await store.finish_executions([ExecutionEnd(running, b.result(COMPLETED, DAY0))])

    assert await store.stats(job, Period.HOUR, SINCE) == {DAY0: one(False, 40)}


async def test_a_run_inserted_already_finished_is_counted(
    store: Store, raw_query: RawQuery
) -> None:
    # As `pulse store copy` writes history into a store: rows inserted as they are.
    job = (await store.create_job(b.job())).id
    started = DAY0 + timedelta(hours=5, minutes=10)
    stamp = format_ts(started)
    for id_, status, end, duration in (
        ("PX_a_1", "completed", stamp, 120),
        ("PX_b_1", "running", None, None),
    ):
        raw_query(
            "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at,"
            " completed_at, duration_ms, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (id_, job, status, stamp, end, duration, stamp, stamp),
        )

    assert await store.stats(job, Period.HOUR, SINCE) == {DAY0 + timedelta(hours=5): one(True, 120)}
    assert await store.stats(job, Period.DAY, SINCE) == {DAY0: one(True, 120)}


async def test_stats_of_no_job_in_particular_merge_every_job(store: Store) -> None:
    first = [Run(DAY0 + ms(10), duration_ms=5), Run(DAY0 + timedelta(hours=2), FAILED)]
    second = [Run(DAY0 + ms(20), FAILED, duration_ms=900), Run(DAY0 + timedelta(days=1))]
    await new_job(store, *first)
    await new_job(store, *second)

    for period in Period:
        assert await store.stats(None, period, SINCE) == rollups(first + second, period)


async def test_stats_start_with_the_first_period_starting_at_or_after_since(
    store: Store,
) -> None:
    hours = [DAY0 + timedelta(hours=h, minutes=30) for h in range(4)]
    job, _ = await new_job(store, *[Run(at) for at in hours])
    two = DAY0 + timedelta(hours=2)

    assert set(await store.stats(job, Period.HOUR, two)) == {two, two + timedelta(hours=1)}
    assert set(await store.stats(job, Period.HOUR, two + ms(1))) == {two + timedelta(hours=1)}
    assert set(await store.stats(job, Period.DAY, DAY0)) == {DAY0}
    assert await store.stats(job, Period.DAY, DAY0 + ms(1)) == {}


async def test_stats_end_before_until_when_one_is_given(store: Store) -> None:
    hours = [DAY0 + timedelta(hours=h, minutes=30) for h in range(4)]
    job, _ = await new_job(store, *[Run(at, duration_ms=h + 1) for h, at in enumerate(hours)])
    other, _ = await new_job(store, Run(hours[3], duration_ms=50))
    one, three = DAY0 + timedelta(hours=1), DAY0 + timedelta(hours=3)

    assert set(await store.stats(job, Period.HOUR, one, three)) == {one, one + timedelta(hours=1)}
    assert set(await store.stats(None, Period.HOUR, DAY0, three)) == {
        DAY0 + timedelta(hours=h) for h in range(3)
    }
    assert (await store.stats(None, Period.HOUR, three, None))[three].total == 2
    assert await store.stats_by_job(Period.HOUR, one, three) == {
        job: Rollup(completed=2, total_ms=5, min_ms=2, max_ms=3)
    }
    assert set(await store.stats_by_job(Period.HOUR, three)) == {job, other}


async def test_stats_by_job_merge_each_jobs_periods_without_the_histogram(store: Store) -> None:
    day = timedelta(days=1)
    busy, _ = await new_job(
        store,
        Run(DAY0, duration_ms=999),  # before the window
        Run(DAY0 + day, duration_ms=10),
        Run(DAY0 + 2 * day, FAILED, duration_ms=30),
        Run(DAY0 + 2 * day + ms(1), duration_ms=20),
    )
    await new_job(store, Run(DAY0, FAILED))  # nothing in the window: left out
    quiet, _ = await new_job(store, Run(DAY0 + 3 * day, duration_ms=0))

    by_job = await store.stats_by_job(Period.DAY, DAY0 + day)

    assert by_job == {
        busy: Rollup(completed=2, failed=1, total_ms=60, min_ms=10, max_ms=30),
        quiet: Rollup(completed=1, total_ms=0, min_ms=0, max_ms=0),
    }


async def test_rebuilding_recounts_the_history_that_is_left(store: Store) -> None:
    runs = [Run(DAY0 + timedelta(hours=h), duration_ms=h * 100) for h in range(6)]
    rebuilt, _ = await new_job(store, *runs)
    untouched, _ = await new_job(store, *runs)
    policy = RetentionPolicy(keep_max=2)
    now = DAY0 + timedelta(days=1)
    assert await store.prune_executions({rebuilt: policy, untouched: policy}, now) == {
        rebuilt: 4,
        untouched: 4,
    }

    assert await store.rebuild_stats(rebuilt) == 2

    for period in Period:
        assert await store.stats(rebuilt, period, SINCE) == rollups(runs[4:], period)
        assert await store.stats(untouched, period, SINCE) == rollups(runs, period)
    assert await store.rebuild_stats() == 4
    assert await store.stats(untouched, Period.DAY, SINCE) == rollups(runs[4:], Period.DAY)


# -- the overview's other reads ---------------------------------------------------------------


async def test_latest_failures_are_the_newest_failures_of_every_job_since_a_time(
    store: Store,
) -> None:
    hour = timedelta(hours=1)
    _, first = await new_job(
        store, Run(DAY0, FAILED), Run(DAY0 + hour, FAILED), Run(DAY0 + 5 * hour)
    )
    _, second = await new_job(store, Run(DAY0 + 2 * hour, FAILED), Run(DAY0 + 3 * hour, None))

    latest = await store.latest_failures(DAY0 + hour, 10)

    assert [e.id for e in latest] == [second[0], first[1]]
    assert [e.id for e in await store.latest_failures(DAY0, 1)] == [second[0]]
    assert await store.latest_failures(DAY0 + 2 * hour + ms(1), 10) == []


async def test_recent_outcomes_are_each_jobs_last_finished_statuses_oldest_first(
    store: Store,
) -> None:
    statuses = [COMPLETED, FAILED, FAILED, COMPLETED, FAILED]
    busy, _ = await new_job(
        store,
        *[Run(DAY0 + timedelta(minutes=i), s) for i, s in enumerate(statuses)],
        Run(DAY0 + timedelta(hours=1), None),  # still running: not an outcome yet
    )
    await new_job(store, Run(DAY0, None))  # has not finished a run yet
    await new_job(store)  # never ran

    outcomes = await store.recent_outcomes(3)

    assert outcomes == {busy: statuses[-3:]}
    assert (await store.recent_outcomes(10))[busy] == statuses


async def test_oldest_running_is_the_start_of_the_oldest_run_still_going(store: Store) -> None:
    assert await store.oldest_running() is None
    busy, _ = await new_job(store, Run(DAY0, None), Run(DAY0 + ms(5), None), Run(DAY0 - ms(9)))
    later, _ = await new_job(store, Run(DAY0 + ms(7), None))

    assert await store.oldest_running() == DAY0
    assert await store.oldest_running(busy) == DAY0
    assert await store.oldest_running(later) == DAY0 + ms(7)
    assert await store.oldest_running("SPJ_nosuchjob000") is None


async def test_job_names_are_every_job_in_the_order_of_the_jobs_list(store: Store) -> None:
    for name in ("beta", "alpha", "gamma", "alpha"):
        await store.create_job(b.job(name=name))

    names = await store.job_names()

    assert names == {j.id: j.name for j in await store.list_jobs()}
    assert list(names) == [j.id for j in await store.list_jobs()]
    assert sorted(names.values()) == ["alpha", "alpha", "beta", "gamma"]


# -- the roll-ups against the raw history, over random histories ----------------------------------

HISTORIES = st.lists(
    st.builds(
        lambda started, status, duration: Run(DAY0 + ms(started), status, duration),
        st.integers(0, 3 * 86_400_000 - 1),  # spread over three UTC days
        st.sampled_from([COMPLETED, COMPLETED, FAILED, None]),  # None: still running
        st.integers(0, 10**7),
    ),
    min_size=8,
    max_size=30,
    unique_by=lambda r: r.started_at,  # the retention model needs one order of the history
)
DAYS = st.one_of(st.none(), st.integers(1, 3))
POLICIES = st.builds(
    RetentionPolicy,
    keep_days=st.fixed_dictionaries({}, optional={"completed": DAYS, "failed": DAYS}),
    keep_max=st.one_of(st.none(), st.integers(1, 20)),
    keep_min=st.integers(0, 5),
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    # One database for every example: each example runs on a job of its own.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=HISTORIES,
    ends_per_batch=st.integers(1, 30),
    policy=POLICIES,
    now_ms=st.integers(0, 3 * 86_400_000),  # after the history's last day
)
async def test_roll_ups_equal_the_raw_history_before_and_after_a_prune(
    store: Store, history: list[Run], ends_per_batch: int, policy: RetentionPolicy, now_ms: int
) -> None:
    job = (await store.create_job(b.job())).id
    # Ends recorded together are summed before they reach a roll-up; later ones are merged in.
    ids = await b.record_runs(store, job, history, ends_per_batch)

    finished = [r for r in history if r.status is not None]
    before = {p: await store.stats(job, p, SINCE) for p in Period}
    for period, stats in before.items():
        assert stats == rollups(history, period)
        for start, rollup in stats.items():
            in_period = [r.duration_ms for r in finished if period.floor(r.started_at) == start]
            assert_percentiles_match(rollup, in_period)
    # The percentiles of a whole window, as the job's page shows them.
    if finished:
        whole = merged(before[Period.DAY].values())
        assert_percentiles_match(whole, [r.duration_ms for r in finished])

    now = DAY0 + timedelta(days=3) + ms(now_ms)
    deleted = await store.prune_executions({job: policy}, now)

    left = b.kept_by(policy, history, ids, now)
    assert {e.id for e in (await store.list_executions(job, 100, 0)).items} == left
    assert deleted == ({job: len(ids) - len(left)} if len(left) < len(ids) else {})
    assert {p: await store.stats(job, p, SINCE) for p in Period} == before

    remaining = [r for r, id_ in zip(history, ids, strict=True) if id_ in left]
    assert await store.rebuild_stats(job) == sum(r.status is not None for r in remaining)
    for period in Period:
        assert await store.stats(job, period, SINCE) == rollups(remaining, period)
