"""The store contract (the docstrings of ``pulse.store.base.Store``), on every backend."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pulse.errors import NotFoundError, StoreError
from pulse.models import (
    ExecutionStatus,
    JobState,
    LogStream,
    MissedGap,
    Overlap,
    Schedule,
    Target,
    Trigger,
)
from pulse.store import queries
from pulse.store.base import ExecutionEnd, FireOutcome, NodeInfo, Store
from tests.store import builders as b
from tests.store.builders import T0, at
from tests.store.conftest import OpenStore, RawQuery

COMPLETED = ExecutionStatus.COMPLETED
FAILED = ExecutionStatus.FAILED
RUNNING = ExecutionStatus.RUNNING


async def run_once(
    store: Store, job_id: str, started: float, status: ExecutionStatus | None = COMPLETED
) -> str:
    """Queue, claim, start and (unless ``status`` is None) finish one execution of a job at
    ``at(started)``; returns the execution id."""
    req = await store.enqueue(b.request(job_id, created_at=at(started), trigger=Trigger.MANUAL))
    claimed = await store.claim_run_requests("n1", 100, at(started))
    assert req in claimed
    await b.start_execution(store, b.execution(req, started_at=at(started)))
    if status is not None:
        await store.finish_execution(req.execution_id, b.result(status, at(started + 1)))
    return req.execution_id


# -- life cycle -----------------------------------------------------------------------------


async def test_opening_an_already_migrated_database_keeps_its_data(
    store: Store, open_store: OpenStore, raw_query: RawQuery, backend: str
) -> None:
    job = await store.create_job(b.job())
    await store.close()

    again = await open_store()

    assert await again.get_job(job.id) == job
    applied = raw_query("SELECT version, name FROM pulse_schema_migrations ORDER BY version", ())
    assert applied == [(v, name) for v, name, _ in queries.migrations(backend)]
    assert applied[0] == (1, "initial")


async def test_open_is_idempotent(store: Store) -> None:
    await store.open()
    await store.open()
    assert await store.list_jobs() == []


async def test_a_closed_store_raises_store_error(store: Store) -> None:
    await store.close()
    with pytest.raises(StoreError):
        await store.list_jobs()


async def test_closing_commits_the_writes_already_asked_for(
    store: Store, open_store: OpenStore
) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    logging = asyncio.create_task(store.append_logs(execution_id, b.chunks(["last\n"])))
    finishing = asyncio.create_task(store.finish_execution(execution_id, b.result()))
    await asyncio.sleep(0)  # both calls are under way

    await store.close()

    await logging
    assert await finishing is not None
    again = await open_store()
    assert (await again.get_execution(execution_id)).status is COMPLETED
    assert [c.text for c in await again.read_logs(execution_id, 0, 10)] == ["last\n"]


async def test_two_nodes_can_share_one_database(store: Store, open_store: OpenStore) -> None:
    other = await open_store()
    job = await store.create_job(b.job())
    assert await other.get_job(job.id) == job


# -- jobs ---------------------------------------------------------------------------------------


async def test_it_creates_a_job_and_reads_every_field_back(store: Store) -> None:
    job = b.job(
        description="nightly backup",
        schedule=Schedule(interval_seconds=90),
        target=Target(handler="app.tasks:backup", payload={"full": True, "paths": ["/a", "/b"]}),
        state=JobState.PAUSED,
        timeout_seconds=12.5,
        overlap=Overlap.ALLOW,
        next_run_at=at(0.123),
    )

    created = await store.create_job(job)

    assert created == job
    assert await store.get_job(job.id) == job


async def test_timestamps_come_back_in_utc_with_millisecond_precision(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    when = T0.astimezone(paris) + timedelta(microseconds=123_456)
    job = await store.create_job(b.job(next_run_at=when))

    stored = await store.get_job(job.id)

    assert stored.next_run_at == T0 + timedelta(milliseconds=123)
    assert stored.next_run_at is not None and stored.next_run_at.utcoffset() == timedelta(0)


async def test_it_rejects_a_second_job_with_the_same_id(store: Store) -> None:
    job = await store.create_job(b.job())
    with pytest.raises(StoreError) as caught:
        await store.create_job(b.job(id=job.id))
    assert caught.value.__cause__ is not None  # the driver's error, kept


async def test_unknown_job_ids_raise_not_found_with_the_id(store: Store) -> None:
    ghost = b.job(id="SPJ_ghost")
    for call in (
        store.get_job("SPJ_ghost"),
        store.update_job(ghost),
        store.delete_job("SPJ_ghost"),
        store.enqueue(b.request("SPJ_ghost")),
        store.list_executions("SPJ_ghost", 10, 0),
    ):
        with pytest.raises(NotFoundError) as caught:
            await call
        assert caught.value.id == "SPJ_ghost"


async def test_jobs_are_listed_by_name_then_id(store: Store) -> None:
    c = await store.create_job(b.job(name="c"))
    a2 = await store.create_job(b.job(id="SPJ_2", name="a"))
    a1 = await store.create_job(b.job(id="SPJ_1", name="a"))

    assert [j.id for j in await store.list_jobs()] == [a1.id, a2.id, c.id]


async def test_an_update_replaces_the_definition_but_not_the_bookkeeping(store: Store) -> None:
    job = await store.create_job(b.job())
    await run_once(store, job.id, 0)
    before = await store.get_job(job.id)

    edited = replace(
        before,
        name="renamed",
        state=JobState.PAUSED,
        next_run_at=at(600),
        target=Target(command="echo bye", cwd="/tmp"),
        updated_at=at(5),
        # The editor's stale view of the bookkeeping must not win.
        last_run_at=None,
        last_execution_id=None,
        skipped_count=99,
    )
    updated = await store.update_job(edited)

    assert updated.name == "renamed"
    assert updated.state is JobState.PAUSED
    assert updated.next_run_at == at(600)
    assert updated.target == Target(command="echo bye", cwd="/tmp")
    assert updated.updated_at == at(5)
    assert updated.last_run_at == before.last_run_at
    assert updated.last_execution_id == before.last_execution_id
    assert updated.skipped_count == 0
    assert updated.last_status is COMPLETED
    assert await store.get_job(job.id) == updated


async def test_a_job_reports_its_last_executions_status_and_duration(store: Store) -> None:
    job = await store.create_job(b.job())
    assert (await store.get_job(job.id)).last_status is None

    first = await run_once(store, job.id, 0, COMPLETED)
    second = await run_once(store, job.id, 10, status=None)
    running = await store.get_job(job.id)
    assert running.last_execution_id == second
    assert running.last_run_at == at(10)
    assert running.last_status is RUNNING
    assert running.last_duration_ms is None
    assert first != second

    await store.finish_execution(second, b.result(FAILED, at(12), duration_ms=2000))

    listed = {j.id: j for j in await store.list_jobs()}[job.id]
    assert listed.last_status is FAILED
    assert listed.last_duration_ms == 2000


async def test_deleting_a_job_deletes_its_requests_history_and_logs(store: Store) -> None:
    job = await store.create_job(b.job())
    other = await store.create_job(b.job())
    done = await run_once(store, job.id, 0)
    await store.append_logs(done, b.chunks(["a\n", "b\n"]))
    running = await run_once(store, job.id, 5, status=None)
    await store.enqueue(b.request(job.id, at(6)))
    kept = await run_once(store, other.id, 7)
    await store.append_logs(kept, b.chunks(["kept\n"]))

    await store.delete_job(job.id)

    with pytest.raises(NotFoundError):
        await store.get_job(job.id)
    for execution_id in (done, running):
        with pytest.raises(NotFoundError):
            await store.get_execution(execution_id)
        assert await store.read_logs(execution_id, 0, 10) == []
    assert await store.claim_run_requests("n1", 10, at(8)) == []
    assert await store.running_executions() == []
    # Executions still running finish into nothing.
    assert await store.finish_execution(running, b.result(COMPLETED, at(9))) is None
    # The other job is untouched.
    assert (await store.get_execution(kept)).status is COMPLETED
    assert [c.text for c in await store.read_logs(kept, 0, 10)] == ["kept\n"]


# -- ticker ---------------------------------------------------------------------------------


async def test_get_jobs_reads_the_definitions_of_a_batch_and_skips_unknown_ids(
    store: Store,
) -> None:
    one = await store.create_job(b.job(name="one"))
    two = await store.create_job(b.job(name="two"))

    got = await store.get_jobs({one.id, two.id, "SPJ_gone"})

    assert got == {one.id: one, two.id: two}
    assert await store.get_jobs(set()) == {}


async def test_due_jobs_are_active_jobs_whose_slot_has_come_earliest_first(store: Store) -> None:
    late = await store.create_job(b.job(next_run_at=at(-10)))
    early = await store.create_job(b.job(next_run_at=at(-60)))
    now = await store.create_job(b.job(next_run_at=at(0)))
    await store.create_job(b.job(next_run_at=at(1)))  # not yet
    await store.create_job(b.job(next_run_at=at(-90), state=JobState.PAUSED))
    await store.create_job(b.job(next_run_at=None))  # never again

    due = await store.due_jobs(T0, limit=10)

    assert [j.id for j in due] == [early.id, late.id, now.id]
    assert [j.id for j in await store.due_jobs(T0, limit=2)] == [early.id, late.id]
    # The ticker's lighter read gives the same slots, with what it needs of each job.
    slots = await store.due_slots(T0, limit=10)
    assert [(s.job_id, s.schedule, s.next_run_at, s.overlap) for s in slots] == [
        (j.id, j.schedule, j.next_run_at, j.overlap) for j in due
    ]


async def test_firing_a_due_slot_advances_the_job_and_queues_a_request(store: Store) -> None:
    job = await store.create_job(b.job())
    firing = b.firing(job)

    assert await store.fire([firing]) == [FireOutcome.QUEUED]

    assert (await store.get_job(job.id)).next_run_at == at(300)
    assert await store.claim_run_requests("n1", 10, at(1)) == [firing.request]
    assert await store.due_jobs(at(299), 10) == []


async def test_a_slot_fires_once_however_many_tickers_read_it(store: Store) -> None:
    job = await store.create_job(b.job())

    first = await store.fire([b.firing(job)])
    second = await store.fire([b.firing(job)])  # read the same next_run_at, came second

    assert (first, second) == ([FireOutcome.QUEUED], [FireOutcome.LOST])
    assert len(await store.claim_run_requests("n1", 10, at(1))) == 1
    assert (await store.get_job(job.id)).next_run_at == at(300)


async def test_firing_a_paused_or_deleted_job_is_lost(store: Store) -> None:
    paused = await store.create_job(b.job(state=JobState.PAUSED))
    deleted = await store.create_job(b.job())
    await store.delete_job(deleted.id)

    outcomes = await store.fire([b.firing(paused), b.firing(deleted)])

    assert outcomes == [FireOutcome.LOST, FireOutcome.LOST]
    assert (await store.get_job(paused.id)).next_run_at == T0
    assert await store.claim_run_requests("n1", 10, at(1)) == []


async def test_a_forbidden_overlap_skips_the_slot_and_counts_the_skip(store: Store) -> None:
    job = await store.create_job(b.job())
    assert await store.fire([b.firing(job)]) == [FireOutcome.QUEUED]
    job = await store.get_job(job.id)

    # The first request is still queued: the next slot is skipped, and counted.
    assert await store.fire([b.firing(job)]) == [FireOutcome.SKIPPED]
    skipped = await store.get_job(job.id)
    assert skipped.next_run_at == at(600)
    assert skipped.skipped_count == 1
    assert skipped.last_skipped_at == at(300)

    # Claimed, then running: still busy.
    [req] = await store.claim_run_requests("n1", 10, at(301))
    assert await store.fire([b.firing(skipped)]) == [FireOutcome.SKIPPED]
    await b.start_execution(store, b.execution(req, at(302)))
    job = await store.get_job(job.id)
    assert await store.fire([b.firing(job)]) == [FireOutcome.SKIPPED]
    assert (await store.get_job(job.id)).skipped_count == 3

    # Finished: the next slot is queued again.
    await store.finish_execution(req.execution_id, b.result(COMPLETED, at(303)))
    job = await store.get_job(job.id)
    assert await store.fire([b.firing(job)]) == [FireOutcome.QUEUED]


async def test_an_allowed_overlap_queues_beside_a_pending_request(store: Store) -> None:
    job = await store.create_job(b.job(overlap=Overlap.ALLOW))
    assert await store.fire([b.firing(job, forbid_overlap=False)]) == [FireOutcome.QUEUED]
    job = await store.get_job(job.id)

    assert await store.fire([b.firing(job, forbid_overlap=False)]) == [FireOutcome.QUEUED]

    assert len(await store.claim_run_requests("n1", 10, at(600))) == 2
    assert (await store.get_job(job.id)).skipped_count == 0


async def test_fire_due_fires_what_is_due_as_planned(store: Store) -> None:
    busy = await store.create_job(b.job(id="SPJ_busy"))
    free = await store.create_job(b.job(id="SPJ_free", overlap=Overlap.ALLOW))
    await store.create_job(b.job(id="SPJ_paused", state=JobState.PAUSED))
    await store.create_job(b.job(id="SPJ_later", next_run_at=at(900)))
    await store.enqueue(b.request(busy.id, created_at=at(0)))  # busy still has a request
    jobs = {busy.id: busy, free.id: free}

    n_due, fired = await store.fire_due(
        at(300), 10, lambda due: [b.firing(jobs[slot.job_id]) for slot in due]
    )

    assert n_due == 2
    assert sorted((f.job_id, o) for f, o in fired) == [
        (busy.id, FireOutcome.SKIPPED),
        (free.id, FireOutcome.QUEUED),
    ]
    assert (await store.get_job(busy.id)).skipped_count == 1
    assert (await store.get_job(free.id)).next_run_at == at(300)
    assert await store.fire_due(at(299), 10, lambda due: []) == (0, [])


async def test_several_firings_get_their_outcomes_in_order(store: Store) -> None:
    # Ids chosen so that id order differs from the order of the firings.
    z = await store.create_job(b.job(id="SPJ_z", overlap=Overlap.ALLOW))
    a = await store.create_job(b.job(id="SPJ_a"))
    m = await store.create_job(b.job(id="SPJ_m", state=JobState.PAUSED))
    z_first = b.firing(z, forbid_overlap=False)
    z_second = b.firing(z, expected=at(300), new=at(600), forbid_overlap=False)

    outcomes = await store.fire([z_first, b.firing(a), b.firing(m), z_second, b.firing(a)])

    assert outcomes == [
        FireOutcome.QUEUED,
        FireOutcome.QUEUED,
        FireOutcome.LOST,
        FireOutcome.QUEUED,  # the job's second slot, after its first moved next_run_at
        FireOutcome.LOST,  # a's slot again: already fired in this very call
    ]
    assert (await store.get_job(z.id)).next_run_at == at(600)
    assert await store.fire([]) == []


async def test_a_schedule_that_ends_leaves_the_job_without_next_run(store: Store) -> None:
    job = await store.create_job(b.job())

    assert await store.fire([b.firing(job, ends=True)]) == [FireOutcome.QUEUED]

    assert (await store.get_job(job.id)).next_run_at is None
    assert await store.due_jobs(at(10**6), 10) == []


# -- run requests ---------------------------------------------------------------------------


async def test_requests_are_claimed_oldest_first_each_once(store: Store) -> None:
    job = await store.create_job(b.job())
    # Queued out of order: the claim follows created_at, not insertion.
    reqs = [b.request(job.id, at(s), Trigger.MANUAL) for s in (3, 1, 4, 2, 5)]
    for req in reqs:
        assert await store.enqueue(req) == req
    by_age = sorted(reqs, key=lambda r: r.created_at)

    first = await store.claim_run_requests("n1", 2, at(10))
    second = await store.claim_run_requests("n2", 2, at(10))
    third = await store.claim_run_requests("n1", 2, at(10))

    assert first == by_age[:2]
    assert second == by_age[2:4]
    assert third == by_age[4:]
    assert await store.claim_run_requests("n1", 2, at(10)) == []


async def test_concurrent_claims_never_share_a_request(store: Store, open_store: OpenStore) -> None:
    other = await open_store()
    job = await store.create_job(b.job())
    reqs = [b.request(job.id, at(i), Trigger.MANUAL) for i in range(40)]
    for req in reqs:
        await store.enqueue(req)

    batches = await asyncio.gather(
        *(s.claim_run_requests(f"n{i}", 3, at(100)) for i, s in enumerate([store, other] * 10))
    )

    claimed = [r.id for batch in batches for r in batch]
    assert len(claimed) == len(set(claimed)) == 40


async def test_requeue_puts_back_only_the_nodes_claimed_requests(store: Store) -> None:
    job = await store.create_job(b.job(overlap=Overlap.ALLOW))
    for s in range(3):
        await store.enqueue(b.request(job.id, at(s), Trigger.MANUAL))
    started, claimed = await store.claim_run_requests("dead", 2, at(10))
    elsewhere = await store.claim_run_requests("alive", 1, at(10))
    await b.start_execution(store, b.execution(started, at(11), node_id="dead"))

    assert await store.requeue_claimed("dead") == 1

    assert await store.claim_run_requests("alive", 10, at(12)) == [claimed]
    assert await store.requeue_claimed("dead") == 0
    assert len(elsewhere) == 1


# -- executions ---------------------------------------------------------------------------------


async def test_starting_an_execution_records_it_running_and_marks_the_job(store: Store) -> None:
    job = await store.create_job(b.job())
    [req] = [await store.enqueue(b.request(job.id, at(0)))]
    await store.claim_run_requests("n1", 1, at(1))
    execution = b.execution(req, at(2))

    assert await b.start_execution(store, execution) == execution

    assert await store.get_execution(execution.id) == execution
    stored_job = await store.get_job(job.id)
    assert stored_job.last_run_at == at(2)
    assert stored_job.last_execution_id == execution.id
    # A running request is no longer claimable, nor requeued with its node.
    assert await store.requeue_claimed("n1") == 0
    assert await store.claim_run_requests("n2", 1, at(3)) == []


async def test_a_claimed_batch_starts_at_once_except_runs_of_a_deleted_job(store: Store) -> None:
    kept = await store.create_job(b.job(name="kept"))
    gone = await store.create_job(b.job(name="gone"))
    reqs = [await store.enqueue(b.request(j.id, at(i))) for i, j in enumerate([kept, gone, kept])]
    await store.claim_run_requests("n1", 3, at(5))
    await store.delete_job(gone.id)  # between the claim and the start

    started = await b.start_executions(store, [b.execution(r, at(6)) for r in reqs])

    assert [e.id for e in started] == [reqs[0].execution_id, reqs[2].execution_id]
    page = await store.list_executions(kept.id, 10, 0)
    assert page.total == 2 and {e.status for e in page.items} == {ExecutionStatus.RUNNING}
    with pytest.raises(NotFoundError):
        await store.get_execution(reqs[1].execution_id)


async def test_finishing_an_execution_records_the_result_once(store: Store) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    result = b.result(
        FAILED,
        at(3),
        duration_ms=2999,
        error_message="boom",
        result_summary="half done",
        exit_code=2,
        log_bytes=10,
    )

    finished = await store.finish_execution(execution_id, result)
    again = await store.finish_execution(execution_id, b.result(COMPLETED, at(4)))

    assert again is None
    assert finished is not None
    assert finished == await store.get_execution(execution_id)
    assert finished.status is FAILED
    assert finished.completed_at == at(3)
    assert finished.updated_at == at(3)
    assert finished.duration_ms == 2999
    assert finished.error_message == "boom"
    assert finished.result_summary == "half done"
    assert finished.exit_code == 2
    assert finished.log_bytes == 10
    assert finished.started_at == at(0)
    # Its run request is gone: nothing to claim, nothing to requeue, the job is no longer busy.
    assert await store.requeue_claimed("n1") == 0
    assert await store.claim_run_requests("n1", 10, at(5)) == []
    assert await store.running_executions() == []


async def test_two_concurrent_finishes_have_one_winner(store: Store, open_store: OpenStore) -> None:
    other = await open_store()
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)

    results = await asyncio.gather(
        store.finish_execution(execution_id, b.result(COMPLETED, at(1))),
        other.finish_execution(execution_id, b.result(FAILED, at(1))),
    )

    assert sum(r is not None for r in results) == 1
    page = await store.list_executions(job.id, 10, 0)
    assert page.total == 1


async def test_a_batch_of_ends_is_recorded_with_one_flag_each(
    store: Store, raw_query: RawQuery
) -> None:
    job = await store.create_job(b.job())
    other = await store.create_job(b.job(id="SPJ_other"))
    ids = [await run_once(store, j.id, i, status=None) for i, j in enumerate([job, job, other])]
    done = await run_once(store, job.id, 5)  # finished before the batch: not running any more
    # The first run's log was partly stored while it ran; the second's is all in its end.
    await store.append_logs(ids[0], b.chunks(["early\n"]))

    flags = await store.finish_executions(
        [
            ExecutionEnd(
                ids[0], b.result(COMPLETED, at(10), log_bytes=11), b.chunks(["late\n"], 2)
            ),
            ExecutionEnd(done, b.result(FAILED, at(10))),
            ExecutionEnd(ids[1], b.result(FAILED, at(11), error_message="boom"), b.chunks(["x\n"])),
            ExecutionEnd(ids[2], b.result(COMPLETED, at(12), duration_ms=7)),
            ExecutionEnd("PX_ghost_1", b.result()),
        ]
    )

    assert flags == [True, False, True, True, False]
    first, second, third, old = [await store.get_execution(i) for i in [*ids, done]]
    assert (first.status, first.completed_at, first.log_bytes) == (COMPLETED, at(10), 11)
    assert (second.status, second.error_message) == (FAILED, "boom")
    assert (third.status, third.duration_ms) == (COMPLETED, 7)
    assert old.status is COMPLETED and old.completed_at == at(6)  # unchanged
    assert [c.text for c in await store.read_logs(ids[0], 0, 10)] == ["early\n", "late\n"]
    assert [c.text for c in await store.read_logs(ids[1], 0, 10)] == ["x\n"]
    logs = raw_query("SELECT logs FROM pulse_executions WHERE id = ?", (ids[0],))
    assert logs == [("early\nlate\n",)]
    assert await store.running_executions() == []
    assert await store.claim_run_requests("n1", 10, at(20)) == []  # their requests are gone
    page = await store.list_executions(job.id, 10, 0, FAILED)
    assert page.total == 1
    assert await store.finish_executions([]) == []


async def test_a_batch_of_ends_keeps_output_with_nul_characters(store: Store) -> None:
    job = await store.create_job(b.job())
    ids = [await run_once(store, job.id, i, status=None) for i in range(2)]

    flags = await store.finish_executions(
        [
            ExecutionEnd(
                ids[0], b.result(FAILED, at(5), error_message="bad\x00byte"), b.chunks(["a\x00b\n"])
            ),
            ExecutionEnd(ids[1], b.result(COMPLETED, at(5)), b.chunks(["plain\n"])),
        ]
    )

    assert flags == [True, True]
    failed = await store.get_execution(ids[0])
    # SQLite keeps the character; PostgreSQL text cannot hold it and stores U+FFFD instead.
    assert failed.error_message in ("bad\x00byte", "bad\ufffdbyte")
    [chunk] = await store.read_logs(ids[0], 0, 10)
    assert chunk.text in ("a\x00b\n", "a\ufffdb\n")
    assert [c.text for c in await store.read_logs(ids[1], 0, 10)] == ["plain\n"]


async def test_unknown_execution_ids_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as caught:
        await store.get_execution("PX_ghost_1")
    assert caught.value.id == "PX_ghost_1"
    assert await store.finish_execution("PX_ghost_1", b.result()) is None


async def test_a_small_log_is_copied_into_the_seeds_logs_column(
    store: Store, raw_query: RawQuery
) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    await store.append_logs(execution_id, b.chunks(["one\n", "two\n"]))
    await store.append_logs(execution_id, b.chunks(["three\n"], first_seq=3))

    await store.finish_execution(execution_id, b.result(log_bytes=14))

    logs = raw_query("SELECT logs FROM pulse_executions WHERE id = ?", (execution_id,))
    assert logs == [("one\ntwo\nthree\n",)]


@pytest.mark.parametrize(
    ("log_bytes", "dropped"), [(64 * 1024 + 1, 0), (10, 5)], ids=["large", "truncated"]
)
async def test_a_large_or_truncated_log_stays_out_of_the_logs_column(
    store: Store, raw_query: RawQuery, log_bytes: int, dropped: int
) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    await store.append_logs(execution_id, b.chunks(["head\n", "tail\n"]))

    finished = await store.finish_execution(
        execution_id, b.result(log_bytes=log_bytes, log_dropped_bytes=dropped)
    )

    assert finished is not None and finished.log_truncated == (dropped > 0)
    logs = raw_query("SELECT logs FROM pulse_executions WHERE id = ?", (execution_id,))
    assert logs == [(None,)]


# -- logs -------------------------------------------------------------------------------------


async def test_logs_are_read_in_order_after_a_sequence_number(store: Store) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    texts = [f"line {i}\n" for i in range(1, 11)]
    await store.append_logs(execution_id, b.chunks(texts[:4]))
    await store.append_logs(execution_id, [])
    await store.append_logs(execution_id, b.chunks(texts[4:], first_seq=5, stream=LogStream.STDERR))

    page = await store.read_logs(execution_id, after_seq=3, limit=4)

    assert [c.seq for c in page] == [4, 5, 6, 7]
    assert [c.text for c in page] == texts[3:7]
    assert [c.stream for c in page] == [LogStream.STDOUT] + [LogStream.STDERR] * 3
    assert page[0].ts == at(3)
    assert await store.read_logs(execution_id, after_seq=10, limit=4) == []
    assert await store.read_logs("PX_other_1", after_seq=0, limit=4) == []


@pytest.mark.parametrize("batch", [3, 5, 256])
async def test_iter_logs_yields_the_whole_log_in_order(store: Store, batch: int) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    texts = [f"line {i} ✓\r\n\ttab" for i in range(10)]
    await store.append_logs(execution_id, b.chunks(texts))

    read = [c.text async for c in store.iter_logs(execution_id, batch=batch)]

    assert read == texts


async def test_iter_logs_can_resume_after_a_sequence_number(store: Store) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    await store.append_logs(execution_id, b.chunks([f"{i}\n" for i in range(1, 8)]))

    read = [c.seq async for c in store.iter_logs(execution_id, after_seq=4, batch=2)]

    assert read == [5, 6, 7]


async def test_a_large_batch_of_log_chunks_is_appended_whole(store: Store) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    texts = [f"{i}: {'x' * (i % 7)}\\tnot a tab\\n\n" for i in range(500)]

    await store.append_logs(execution_id, b.chunks(texts))

    assert [c.text async for c in store.iter_logs(execution_id)] == texts


async def test_appending_a_chunk_twice_fails_and_keeps_the_log(store: Store) -> None:
    job = await store.create_job(b.job())
    execution_id = await run_once(store, job.id, 0, status=None)
    await store.append_logs(execution_id, b.chunks(["a\n", "b\n"]))

    # seq 3 is new, seq 2 is taken: the whole batch fails, not half of it.
    clash = b.chunks(["c\n"], first_seq=3) + b.chunks(["b again\n"], first_seq=2)
    with pytest.raises(StoreError):
        await store.append_logs(execution_id, clash)

    assert [c.text for c in await store.read_logs(execution_id, 0, 10)] == ["a\n", "b\n"]


# -- history lists ------------------------------------------------------------------------------


async def test_executions_are_listed_newest_first_a_page_at_a_time(store: Store) -> None:
    job = await store.create_job(b.job())
    ids = [await run_once(store, job.id, s) for s in (20, 0, 10, 30, 40)]
    newest_first = [ids[4], ids[3], ids[0], ids[2], ids[1]]

    first = await store.list_executions(job.id, limit=2, offset=0)
    second = await store.list_executions(job.id, limit=2, offset=2)
    beyond = await store.list_executions(job.id, limit=2, offset=10)

    assert [e.id for e in first.items] == newest_first[:2]
    assert [e.id for e in second.items] == newest_first[2:4]
    assert (first.total, second.total) == (5, 5)
    assert beyond.items == [] and beyond.total == 5
    assert first.items[0] == await store.get_execution(ids[4])


async def test_executions_can_be_filtered_by_status(store: Store) -> None:
    job = await store.create_job(b.job())
    ok = [await run_once(store, job.id, s, COMPLETED) for s in (0, 10)]
    bad = await run_once(store, job.id, 20, FAILED)
    running = await run_once(store, job.id, 30, status=None)

    completed = await store.list_executions(job.id, 10, 0, COMPLETED)
    failed = await store.list_executions(job.id, 10, 0, FAILED)
    still = await store.list_executions(job.id, 10, 0, RUNNING)

    assert [e.id for e in completed.items] == ok[::-1] and completed.total == 2
    assert [e.id for e in failed.items] == [bad] and failed.total == 1
    assert [e.id for e in still.items] == [running] and still.total == 1
    assert (await store.list_executions(job.id, 1, 1, COMPLETED)).items[0].id == ok[0]


async def test_list_totals_follow_status_changes_and_deletions(store: Store) -> None:
    job = await store.create_job(b.job())
    other = await store.create_job(b.job())
    running = [await run_once(store, job.id, s, status=None) for s in range(4)]
    await run_once(store, other.id, 50, FAILED)

    async def totals(job_id: str) -> tuple[int, int, int, int]:
        pages = [await store.list_executions(job_id, 1, 0, s) for s in (None, *ExecutionStatus)]
        return (pages[0].total, pages[1].total, pages[2].total, pages[3].total)

    assert await totals(job.id) == (4, 4, 0, 0)  # all, running, completed, failed
    await store.finish_execution(running[0], b.result(COMPLETED, at(60)))
    await store.finish_execution(running[1], b.result(FAILED, at(60)))
    await store.finish_execution(running[1], b.result(COMPLETED, at(61)))  # too late: no change
    assert await totals(job.id) == (4, 2, 1, 1)
    assert await totals(other.id) == (1, 0, 0, 1)

    await store.delete_job(job.id)
    again = await store.create_job(b.job(id=job.id))  # same id, fresh history

    assert await totals(again.id) == (0, 0, 0, 0)
    assert await totals(other.id) == (1, 0, 0, 1)


# -- nodes and recovery -------------------------------------------------------------------------


async def test_a_heartbeat_inserts_then_refreshes_the_nodes_row(store: Store) -> None:
    node = NodeInfo("n1", "host-a", 4242, started_at=at(0), heartbeat_at=at(0))
    first = await store.heartbeat(node)
    await store.heartbeat(NodeInfo("n0", "host-b", 7, started_at=at(1), heartbeat_at=at(1)))

    again = await store.heartbeat(replace(node, heartbeat_at=at(15)))

    assert not first.renewed and again.renewed
    nodes = await store.list_nodes()
    assert [n.node_id for n in nodes] == ["n0", "n1"]
    # A shared store stamps heartbeats with the database's clock, one clock for every node.
    assert nodes[1] == replace(node, heartbeat_at=again.at)
    if not store.shared:
        assert again.at == at(15)
    else:
        assert abs((again.at - datetime.now(UTC)).total_seconds()) < 60


async def test_a_removed_node_is_no_longer_listed(store: Store) -> None:
    await store.heartbeat(NodeInfo("n1", "h", 1, at(0), at(0)))
    await store.heartbeat(NodeInfo("n2", "h", 2, at(0), at(0)))

    assert await store.remove_node("n1")
    assert not await store.remove_node("never-seen")

    assert [n.node_id for n in await store.list_nodes()] == ["n2"]


async def test_a_stale_node_is_removed_once_and_a_fresh_one_never(store: Store) -> None:
    beat = await store.heartbeat(NodeInfo("n1", "h", 1, at(0), at(0)))

    assert not await store.remove_node("n1", stale_before=beat.at)  # as fresh as the cut-off
    assert await store.remove_node("n1", stale_before=beat.at + timedelta(seconds=1))
    assert not await store.remove_node("n1", stale_before=beat.at + timedelta(seconds=1))
    again = await store.heartbeat(NodeInfo("n1", "h", 1, at(0), at(0)))
    assert not again.renewed  # the node learns that it was declared lost


async def test_orphaned_runs_and_claims_are_those_of_nodes_without_a_row(store: Store) -> None:
    j = await store.create_job(b.job(overlap=Overlap.ALLOW))
    reqs = [await store.enqueue(b.request(j.id, at(i))) for i in range(4)]
    await store.claim_run_requests("gone", 2, at(5))
    await store.claim_run_requests("here", 2, at(5))
    gone = await b.start_execution(store, b.execution(reqs[0], at(6), node_id="gone"))
    await b.start_execution(store, b.execution(reqs[2], at(6), node_id="here"))
    await store.remove_node("gone")

    assert [e.id for e in await store.orphaned_executions(at(7))] == [gone.id]
    assert await store.orphaned_executions(at(6)) == []  # started since the cut-off
    assert await store.requeue_orphaned_requests(at(6)) == 1  # reqs[1], claimed by "gone"
    assert [r.id for r in await store.claim_run_requests("x", 10, at(8))] == [reqs[1].id]


async def test_requeue_claimed_can_take_only_old_or_named_claims(store: Store) -> None:
    j = await store.create_job(b.job(overlap=Overlap.ALLOW))
    reqs = [await store.enqueue(b.request(j.id, at(i))) for i in range(3)]
    await store.claim_run_requests("n1", 1, at(10))
    await store.claim_run_requests("n1", 2, at(20))

    assert await store.requeue_claimed("n1", claimed_before=at(15)) == 1
    assert await store.requeue_claimed("n1", ids={reqs[2].id, "JB_none"}) == 1
    assert await store.requeue_claimed("n1") == 1  # reqs[1]


async def test_running_executions_are_listed_for_all_nodes_or_one(store: Store) -> None:
    job = await store.create_job(b.job(overlap=Overlap.ALLOW))
    started = []
    for s, node in ((0, "a"), (1, "b"), (2, "a"), (3, "a")):
        req = await store.enqueue(b.request(job.id, at(s), Trigger.MANUAL))
        await store.claim_run_requests(node, 1, at(s))
        started.append(await b.start_execution(store, b.execution(req, at(s), node_id=node)))
    await store.finish_execution(started[3].id, b.result(COMPLETED, at(4)))

    assert await store.running_executions() == started[:3]
    assert await store.running_executions("a") == [started[0], started[2]]
    assert await store.running_executions("b") == [started[1]]
    assert await store.running_executions("c") == []


async def test_missed_slots_add_up_and_the_last_gap_is_kept(store: Store) -> None:
    j = await store.create_job(b.job())
    await store.record_missed(j.id, MissedGap(3, at(0), at(600)))
    await store.record_missed(j.id, MissedGap(2, at(900), at(1200)))
    await store.record_missed("SPJ_gone", MissedGap(1, at(0), at(0)))  # ignored

    got = await store.get_job(j.id)
    assert got.missed_count == 5
    assert got.last_missed == MissedGap(2, at(900), at(1200))
    # An edit of the definition keeps the bookkeeping.
    await store.update_job(replace(got, name="renamed"))
    assert (await store.get_job(j.id)).missed_count == 5


async def test_a_jobs_run_as_user_is_stored_with_its_definition(store: Store) -> None:
    j = b.job()
    j = replace(j, target=replace(j.target, run_as="nobody"))
    assert (await store.create_job(j)).target.run_as == "nobody"
    changed = replace(j, target=replace(j.target, run_as=None))
    assert (await store.update_job(changed)).target.run_as is None


async def test_a_request_released_since_its_claim_is_not_started(store: Store) -> None:
    j = await store.create_job(b.job(overlap=Overlap.ALLOW))
    mine, theirs = [await store.enqueue(b.request(j.id, at(i))) for i in range(2)]
    await store.claim_run_requests("n1", 2, at(5))
    # A sweep put one back, and another node took it.
    assert await store.requeue_claimed("n1", ids={theirs.id}) == 1
    assert [r.id for r in await store.claim_run_requests("n2", 10, at(6))] == [theirs.id]

    started = await b.start_executions(store, [b.execution(r, at(7)) for r in (mine, theirs)])

    assert [e.id for e in started] == [mine.execution_id]
    assert (await store.get_job(j.id)).last_execution_id == mine.execution_id
    # Theirs is still theirs to start.
    assert await b.start_executions(store, [b.execution(theirs, at(8), node_id="n2")]) != []
