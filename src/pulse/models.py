"""The domain: jobs, run requests and executions, as frozen values.

Pydantic appears only at the edges (API schemas, settings); inside Pulse these dataclasses are
what flows between the store, the engine and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ExecutionStatus(StrEnum):
    """The three statuses of an execution (the seed's)."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class JobState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Overlap(StrEnum):
    """What a firing does while the job's previous execution is still running."""

    FORBID = "forbid"  # skip the firing, and count the skip on the job
    ALLOW = "allow"  # run alongside


class Trigger(StrEnum):
    """What created a run request."""

    SCHEDULE = "schedule"
    MANUAL = "manual"
    RERUN = "rerun"
    RETRY = "retry"


class LogStream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"
    LOG = "log"  # Python ``logging`` records of a handler
    SYSTEM = "system"  # Pulse's own notes: truncation, timeout, traceback headers


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a job fires: a cron expression in a time zone, or a fixed interval."""

    cron: str | None = None
    timezone: str = "UTC"
    interval_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What a job runs: a shell command, or a Python handler registered by name."""

    command: str | None = None
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    handler: str | None = None
    payload: Any = None
    run_as: str | None = None  # the user a command runs as (None: the server's default)


@dataclass(frozen=True, slots=True)
class MissedGap:
    """Slots of a job that were never fired: ``count`` of them, the first and the last."""

    count: int
    first: datetime
    last: datetime


@dataclass(frozen=True, slots=True)
class Job:
    """A scheduled job: the definition, its schedule, its policies and its bookkeeping."""

    id: str
    name: str
    schedule: Schedule
    target: Target
    state: JobState
    next_run_at: datetime | None
    created_at: datetime
    updated_at: datetime
    description: str = ""
    timeout_seconds: float | None = None
    overlap: Overlap = Overlap.FORBID
    last_run_at: datetime | None = None
    last_execution_id: str | None = None
    skipped_count: int = 0
    last_skipped_at: datetime | None = None
    # Slots that passed while nothing could fire them (Pulse was down): after downtime a job
    # runs once, for its latest slot, and the others are counted here.
    missed_count: int = 0
    last_missed: MissedGap | None = None
    # The rules of the global retention policy this job overrides (pulse.retention.parse_rules);
    # None: the global policy as it is.
    retention: dict[str, Any] | None = None
    # A failed run is tried again up to ``max_attempts`` runs in all, after a backoff that
    # doubles from ``retry_backoff_seconds`` (pulse.retries).
    max_attempts: int = 1
    retry_backoff_seconds: float = 10.0
    # Filled by queries that join the last execution; not stored on the job row.
    last_status: ExecutionStatus | None = None
    last_duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One queued unit of work (the seed's async job). Its execution id is chosen up front,
    so that whoever queues it can tell the user which execution will record it."""

    id: str
    job_id: str
    execution_id: str
    trigger: Trigger
    scheduled_for: datetime | None
    created_at: datetime
    attempt: int = 1
    rerun_of: str | None = None
    run_after: datetime | None = None  # not claimed before (a retry waiting out its backoff)


@dataclass(frozen=True, slots=True)
class Execution:
    """One run of a job: the history record."""

    id: str
    scheduled_job_id: str
    status: ExecutionStatus
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    async_job_id: str | None = None
    completed_at: datetime | None = None
    duration_ms: int | None = None
    result_summary: str | None = None
    error_message: str | None = None
    scheduled_for: datetime | None = None
    trigger: Trigger = Trigger.SCHEDULE
    attempt: int = 1
    rerun_of: str | None = None
    node_id: str | None = None
    exit_code: int | None = None
    log_bytes: int = 0
    log_dropped_bytes: int = 0
    cancel_requested_at: datetime | None = None  # someone asked to cancel it, then
    cancelled_at: datetime | None = None  # it ended because of that cancel

    @property
    def log_truncated(self) -> bool:
        return self.log_dropped_bytes > 0


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """How an execution ended; written in one update by ``finish_execution``."""

    status: ExecutionStatus
    completed_at: datetime
    duration_ms: int
    result_summary: str | None = None
    error_message: str | None = None
    exit_code: int | None = None
    log_bytes: int = 0
    log_dropped_bytes: int = 0
    cancelled_at: datetime | None = None  # the run was cancelled (asked at this instant)


@dataclass(frozen=True, slots=True)
class LogChunk:
    """A run of consecutive log lines of one stream, as stored."""

    seq: int
    ts: datetime
    stream: LogStream
    text: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, with the total that matches the filter."""

    items: list[Execution]
    total: int
