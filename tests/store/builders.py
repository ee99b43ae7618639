"""Domain objects for store tests, with defaults a test overrides only where it matters."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pulse import ids
from pulse.models import (
    Execution,
    ExecutionResult,
    ExecutionStatus,
    Job,
    JobState,
    LogChunk,
    LogStream,
    RunRequest,
    Schedule,
    Target,
    Trigger,
)
from pulse.retention import RetentionPolicy
from pulse.store.base import ExecutionEnd, Firing, NodeInfo, Store

T0 = datetime(2025, 12, 6, 2, 0, 0, tzinfo=UTC)
_names = itertools.count()


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``: tests speak in offsets, not in dates."""
    return T0 + timedelta(seconds=seconds)


def job(**overrides: Any) -> Job:
    values: dict[str, Any] = {
        "id": ids.job_id(),
        "name": f"job-{next(_names):04d}",
        "schedule": Schedule(cron="*/5 * * * *", timezone="Europe/Paris"),
        "target": Target(command="echo hi", env={"A": "1"}),
        "state": JobState.ACTIVE,
        "next_run_at": T0,
        "created_at": at(-3600),
        "updated_at": at(-3600),
    }
    values.update(overrides)
    return Job(**values)


def request(
    job_id: str, created_at: datetime = T0, trigger: Trigger = Trigger.SCHEDULE
) -> RunRequest:
    return RunRequest(
        id=ids.run_request_id(),
        job_id=job_id,
        execution_id=ids.execution_id(int(created_at.timestamp())),
        trigger=trigger,
        scheduled_for=created_at if trigger is Trigger.SCHEDULE else None,
        created_at=created_at,
    )


def execution(
    req: RunRequest, started_at: datetime | None = None, node_id: str = "n1"
) -> Execution:
    """The running execution a worker on ``node_id`` starts for ``req``."""
    started = req.created_at if started_at is None else started_at
    return Execution(
        id=req.execution_id,
        scheduled_job_id=req.job_id,
        async_job_id=req.id,
        status=ExecutionStatus.RUNNING,
        started_at=started,
        created_at=started,
        updated_at=started,
        scheduled_for=req.scheduled_for,
        trigger=req.trigger,
        node_id=node_id,
    )


def result(
    status: ExecutionStatus = ExecutionStatus.COMPLETED,
    completed_at: datetime = T0,
    **overrides: Any,
) -> ExecutionResult:
    values: dict[str, Any] = {
        "status": status,
        "completed_at": completed_at,
        "duration_ms": 1234,
        "result_summary": "done" if status is ExecutionStatus.COMPLETED else None,
        "error_message": "exit code 1" if status is ExecutionStatus.FAILED else None,
        "exit_code": 0 if status is ExecutionStatus.COMPLETED else 1,
    }
    values.update(overrides)
    return ExecutionResult(**values)


def chunks(
    texts: list[str], first_seq: int = 1, stream: LogStream = LogStream.STDOUT
) -> list[LogChunk]:
    return [
        LogChunk(seq=first_seq + i, ts=at(i), stream=stream, text=text)
        for i, text in enumerate(texts)
    ]


def firing(
    j: Job,
    *,
    expected: datetime | None = None,
    new: datetime | None = None,
    ends: bool = False,
    forbid_overlap: bool = True,
) -> Firing:
    """The firing of ``j``'s current slot, moving it 300 s later unless told otherwise (``new``),
    or to nothing if the schedule ``ends``."""
    slot = j.next_run_at if expected is None else expected
    assert slot is not None
    return Firing(
        job_id=j.id,
        expected_next_run_at=slot,
        new_next_run_at=None if ends else (slot + timedelta(seconds=300) if new is None else new),
        request=request(j.id, created_at=slot),
        forbid_overlap=forbid_overlap,
    )


async def start_executions(store: Store, executions: list[Execution]) -> list[Execution]:
    """``store.start_executions`` by nodes that have registered (a shared store starts nothing
    for a node without a row)."""
    for node in sorted({e.node_id for e in executions if e.node_id is not None}):
        await store.heartbeat(NodeInfo(node, "test-host", 1, T0, T0))
    return await store.start_executions(executions)


async def start_execution(store: Store, execution: Execution) -> Execution:
    """``store.start_execution`` by a node that has registered."""
    if execution.node_id is not None:
        await store.heartbeat(NodeInfo(execution.node_id, "test-host", 1, T0, T0))
    return await store.start_execution(execution)


@dataclass(frozen=True, slots=True)
class Run:
    """One execution of a history: when it started, how it ended (None: still running) and how
    long it took."""

    started_at: datetime
    status: ExecutionStatus | None = ExecutionStatus.COMPLETED
    duration_ms: int = 1000
    log: str = ""  # its whole output, stored with its end
    # When each line of ``log`` was written, one chunk per line (None: one chunk of all of it,
    # at a fixed instant unrelated to the run)
    log_times: tuple[datetime, ...] | None = None


def run_chunks(run: Run) -> list[LogChunk]:
    """The log chunks a run's end stores."""
    if not run.log:
        return []
    if run.log_times is None:
        return chunks([run.log])
    lines = run.log.splitlines(keepends=True)
    assert len(lines) == len(run.log_times), "one time per line of the log"
    return [
        LogChunk(seq=i + 1, ts=ts, stream=LogStream.STDOUT, text=line)
        for i, (ts, line) in enumerate(zip(run.log_times, lines, strict=True))
    ]


async def record_runs(
    store: Store, job_id: str, runs: Sequence[Run], ends_per_batch: int = 1000
) -> list[str]:
    """Record a history of ``job_id`` as workers would (queue, claim, start, finish): the starts
    in one batch, the ends in batches of ``ends_per_batch`` in the order of ``runs``. Returns
    the execution ids in the order of ``runs``."""
    reqs = [await store.enqueue(request(job_id, r.started_at, Trigger.MANUAL)) for r in runs]
    claimed = {c.id for c in await store.claim_run_requests("n1", len(reqs) + 100, T0)}
    assert claimed >= {r.id for r in reqs}
    started = await start_executions(
        store, [execution(req, r.started_at) for req, r in zip(reqs, runs, strict=True)]
    )
    assert len(started) == len(runs)
    ends = [
        ExecutionEnd(
            req.execution_id,
            result(
                r.status,
                r.started_at + timedelta(milliseconds=r.duration_ms),
                duration_ms=r.duration_ms,
                log_bytes=len(r.log.encode()),
            ),
            run_chunks(r),
        )
        for req, r in zip(reqs, runs, strict=True)
        if r.status is not None
    ]
    for i in range(0, len(ends), ends_per_batch):
        assert all(await store.finish_executions(ends[i : i + ends_per_batch]))
    return [req.execution_id for req in reqs]


def kept_by(
    policy: RetentionPolicy, runs: Sequence[Run], ids: Sequence[str], now: datetime
) -> set[str]:
    """The ids of the ``runs`` that ``policy`` keeps at ``now``, by the rules of
    :mod:`pulse.retention` restated here. The runs must start at distinct instants: ties, which
    the store breaks by id, are not modelled."""
    finished = sorted(
        ((r, i) for r, i in zip(runs, ids, strict=True) if r.status is not None),
        key=lambda ri: ri[0].started_at,
        reverse=True,
    )
    failures = [i for r, i in finished if r.status is ExecutionStatus.FAILED]
    kept = {i for r, i in zip(runs, ids, strict=True) if r.status is None}
    for rank, (r, i) in enumerate(finished):
        assert r.status is not None
        days = policy.keep_days.get(r.status.value)
        too_old = days is not None and r.started_at < now - timedelta(days=days)
        over_cap = policy.keep_max is not None and rank >= policy.keep_max
        if rank < policy.keep_min or failures[:1] == [i] or not (too_old or over_cap):
            kept.add(i)
    return kept
