"""Conversions between domain objects and flat rows (column name → value), shared by backends."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pulse.clock import format_ts, parse_ts
from pulse.models import (
    Execution,
    ExecutionResult,
    ExecutionStatus,
    Job,
    JobState,
    LogChunk,
    LogStream,
    MissedGap,
    Overlap,
    RunRequest,
    Schedule,
    Target,
    Trigger,
)
from pulse.stats import Rollup

# A status by its stored text: a dict lookup costs a tenth of calling the enum.
STATUSES = {s.value: s for s in ExecutionStatus}


def ts(value: datetime | None) -> str | None:
    return None if value is None else format_ts(value)


def dt(value: str | None) -> datetime | None:
    return None if value is None else parse_ts(value)


def _json_object(text: str | None) -> dict[str, str]:
    # Most jobs have no env: skip the JSON parser for them (this runs for every due job).
    if not text or text == "{}":
        return {}
    value: dict[str, str] = json.loads(text)
    return value


def job_row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "description": job.description,
        "cron": job.schedule.cron,
        "timezone": job.schedule.timezone,
        "interval_seconds": job.schedule.interval_seconds,
        "command": job.target.command,
        "cwd": job.target.cwd,
        "env": json.dumps(job.target.env),
        "handler": job.target.handler,
        "payload": None if job.target.payload is None else json.dumps(job.target.payload),
        "state": job.state.value,
        "timeout_seconds": job.timeout_seconds,
        "overlap": job.overlap.value,
        "next_run_at": ts(job.next_run_at),
        "last_run_at": ts(job.last_run_at),
        "last_execution_id": job.last_execution_id,
        "skipped_count": job.skipped_count,
        "last_skipped_at": ts(job.last_skipped_at),
        "run_as": job.target.run_as,
        "retention": None if job.retention is None else json.dumps(job.retention),
        "max_attempts": job.max_attempts,
        "retry_backoff_seconds": job.retry_backoff_seconds,
        "created_at": ts(job.created_at),
        "updated_at": ts(job.updated_at),
    }


def job_from(row: Mapping[str, Any]) -> Job:
    created = dt(row["created_at"])
    updated = dt(row["updated_at"])
    assert created is not None and updated is not None
    return Job(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        schedule=Schedule(
            cron=row["cron"], timezone=row["timezone"], interval_seconds=row["interval_seconds"]
        ),
        target=Target(
            command=row["command"],
            cwd=row["cwd"],
            env=_json_object(row["env"]),
            handler=row["handler"],
            payload=None if row["payload"] is None else json.loads(row["payload"]),
            run_as=row["run_as"],
        ),
        state=JobState(row["state"]),
        timeout_seconds=row["timeout_seconds"],
        overlap=Overlap(row["overlap"]),
        next_run_at=dt(row["next_run_at"]),
        last_run_at=dt(row["last_run_at"]),
        last_execution_id=row["last_execution_id"],
        skipped_count=row["skipped_count"],
        last_skipped_at=dt(row["last_skipped_at"]),
        missed_count=row["missed_count"],
        last_missed=_missed_gap(row),
        retention=None if row["retention"] is None else json.loads(row["retention"]),
        max_attempts=row["max_attempts"],
        retry_backoff_seconds=row["retry_backoff_seconds"],
        created_at=created,
        updated_at=updated,
        last_status=None if row["last_status"] is None else STATUSES[row["last_status"]],
        last_duration_ms=row["last_duration_ms"],
    )


def _missed_gap(row: Mapping[str, Any]) -> MissedGap | None:
    if row["last_missed_count"] is None:
        return None
    first, last = dt(row["last_missed_from"]), dt(row["last_missed_to"])
    assert first is not None and last is not None
    return MissedGap(row["last_missed_count"], first, last)


def missed_params(job_id: str, gap: MissedGap) -> dict[str, Any]:
    return {
        "id": job_id,
        "count": gap.count,
        "first": format_ts(gap.first),
        "last": format_ts(gap.last),
    }


def run_request_row(req: RunRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "scheduled_job_id": req.job_id,
        "execution_id": req.execution_id,
        "trigger": req.trigger.value,
        "scheduled_for": ts(req.scheduled_for),
        "attempt": req.attempt,
        "rerun_of": req.rerun_of,
        "created_at": ts(req.created_at),
        "run_after": ts(req.run_after),
    }


def run_request_from(row: Mapping[str, Any]) -> RunRequest:
    created = dt(row["created_at"])
    assert created is not None
    return RunRequest(
        id=row["id"],
        job_id=row["scheduled_job_id"],
        execution_id=row["execution_id"],
        trigger=Trigger(row["trigger"]),
        scheduled_for=dt(row["scheduled_for"]),
        created_at=created,
        attempt=row["attempt"],
        rerun_of=row["rerun_of"],
        run_after=dt(row["run_after"]),
    )


def execution_row(e: Execution) -> dict[str, Any]:
    return {
        "id": e.id,
        "scheduled_job_id": e.scheduled_job_id,
        "async_job_id": e.async_job_id,
        "status": e.status.value,
        "started_at": ts(e.started_at),
        "completed_at": ts(e.completed_at),
        "duration_ms": e.duration_ms,
        "result_summary": e.result_summary,
        "error_message": e.error_message,
        "created_at": ts(e.created_at),
        "updated_at": ts(e.updated_at),
        "scheduled_for": ts(e.scheduled_for),
        "trigger": e.trigger.value,
        "attempt": e.attempt,
        "rerun_of": e.rerun_of,
        "node_id": e.node_id,
        "exit_code": e.exit_code,
        "log_bytes": e.log_bytes,
        "log_dropped_bytes": e.log_dropped_bytes,
        "cancel_requested_at": ts(e.cancel_requested_at),
        "cancelled_at": ts(e.cancelled_at),
    }


def result_row(execution_id: str, result: ExecutionResult) -> dict[str, Any]:
    """The columns ``finish_execution`` sets, keyed as its queries name them."""
    return {
        "id": execution_id,
        "status": result.status.value,
        "completed_at": format_ts(result.completed_at),
        "duration_ms": result.duration_ms,
        "result_summary": result.result_summary,
        "error_message": result.error_message,
        "exit_code": result.exit_code,
        "log_bytes": result.log_bytes,
        "log_dropped_bytes": result.log_dropped_bytes,
        "cancelled_at": ts(result.cancelled_at),
    }


def execution_from(row: Mapping[str, Any]) -> Execution:
    started = dt(row["started_at"])
    created = dt(row["created_at"])
    updated = dt(row["updated_at"])
    assert started is not None and created is not None and updated is not None
    return Execution(
        id=row["id"],
        scheduled_job_id=row["scheduled_job_id"],
        async_job_id=row["async_job_id"],
        status=STATUSES[row["status"]],
        started_at=started,
        completed_at=dt(row["completed_at"]),
        duration_ms=row["duration_ms"],
        result_summary=row["result_summary"],
        error_message=row["error_message"],
        created_at=created,
        updated_at=updated,
        scheduled_for=dt(row["scheduled_for"]),
        trigger=Trigger(row["trigger"]),
        attempt=row["attempt"],
        rerun_of=row["rerun_of"],
        node_id=row["node_id"],
        exit_code=row["exit_code"],
        log_bytes=row["log_bytes"],
        log_dropped_bytes=row["log_dropped_bytes"],
        cancel_requested_at=dt(row["cancel_requested_at"]),
        cancelled_at=dt(row["cancelled_at"]),
    )


def chunk_from(row: Mapping[str, Any]) -> LogChunk:
    when = dt(row["ts"])
    assert when is not None
    return LogChunk(seq=row["seq"], ts=when, stream=LogStream(row["stream"]), text=row["text"])


def rollup_from(row: Mapping[str, Any]) -> Rollup:
    """A roll-up row (counts, total, shortest, longest), without its histogram."""
    return Rollup(
        completed=int(row["completed"]),
        failed=int(row["failed"]),
        total_ms=int(row["total_ms"]),
        min_ms=None if row["min_ms"] is None else int(row["min_ms"]),
        max_ms=None if row["max_ms"] is None else int(row["max_ms"]),
    )


def rollups_from(
    rows: Iterable[Mapping[str, Any]], buckets: Iterable[Mapping[str, Any]]
) -> dict[datetime, Rollup]:
    """Roll-ups by period start, from their rows and their histograms (a row per period: its
    buckets and their counts, as two arrays, or two JSON arrays on SQLite)."""
    by_text: dict[str, Rollup] = {}
    for row in rows:
        by_text[row["start"]] = rollup_from(row)
    for row in buckets:
        r = by_text.get(row["start"])
        if r is not None:
            b, n = row["buckets"], row["ns"]
            if isinstance(b, str):
                b, n = json.loads(b), json.loads(n)
            r.buckets = dict(zip(map(int, b), map(int, n), strict=True))
    return {parse_ts(start): r for start, r in by_text.items()}
