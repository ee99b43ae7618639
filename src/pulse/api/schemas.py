"""Wire shapes of the REST API (pydantic at the edge). Names follow the seed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pulse.clock import format_ts
from pulse.models import Execution, Job, LogChunk
from pulse.schedules import describe
from pulse.store.rows import execution_row

ExecutionStatus = Literal["running", "completed", "failed"]
JobState = Literal["active", "paused"]
Overlap = Literal["forbid", "allow"]
TriggerKind = Literal["schedule", "manual", "rerun", "retry"]
LogStream = Literal["stdout", "stderr", "log", "system"]


class JobFields(BaseModel):
    """Fields of a job a client may set."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Human name, unique or not.")
    description: str | None = None
    cron: str | None = Field(
        None,
        description="5-field cron expression or a macro such as @daily.",
        examples=["*/5 * * * *"],
    )
    timezone: str | None = Field(None, description="IANA time zone of the cron expression.")
    interval_seconds: int | None = Field(None, description="Fixed interval, instead of cron.")
    command: str | None = Field(None, description="Shell command to run.")
    cwd: str | None = None
    env: dict[str, str] | None = None
    handler: str | None = Field(None, description="Name of a registered Python handler.")
    payload: Any = None
    timeout_seconds: float | None = None
    overlap: Overlap | None = None
    state: JobState | None = None


class JobCreate(JobFields):
    name: str = Field(description="Human name.")


class JobUpdate(JobFields):
    pass


class JobOut(BaseModel):
    id: str
    name: str
    description: str
    cron: str | None
    timezone: str
    interval_seconds: int | None
    schedule_description: str
    command: str | None
    cwd: str | None
    env: dict[str, str]
    handler: str | None
    payload: Any
    state: JobState
    timeout_seconds: float | None
    overlap: Overlap
    next_run_at: str | None
    last_run_at: str | None
    last_execution_id: str | None
    last_status: ExecutionStatus | None
    last_duration_ms: int | None
    skipped_count: int
    last_skipped_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            name=job.name,
            description=job.description,
            cron=job.schedule.cron,
            timezone=job.schedule.timezone,
            interval_seconds=job.schedule.interval_seconds,
            schedule_description=describe(job.schedule),
            command=job.target.command,
            cwd=job.target.cwd,
            env=job.target.env,
            handler=job.target.handler,
            payload=job.target.payload,
            state=job.state.value,
            timeout_seconds=job.timeout_seconds,
            overlap=job.overlap.value,
            next_run_at=_ts(job.next_run_at),
            last_run_at=_ts(job.last_run_at),
            last_execution_id=job.last_execution_id,
            last_status=None if job.last_status is None else job.last_status.value,
            last_duration_ms=job.last_duration_ms,
            skipped_count=job.skipped_count,
            last_skipped_at=_ts(job.last_skipped_at),
            created_at=format_ts(job.created_at),
            updated_at=format_ts(job.updated_at),
        )


class ListJobsResponse(BaseModel):
    jobs: list[JobOut]
    count: int


class TriggerResponse(BaseModel):
    run_request_id: str
    execution_id: str
    job_id: str


class PulseExecution(BaseModel):
    """One execution (the seed's ``PulseExecution``, plus additions)."""

    id: str
    scheduled_job_id: str
    async_job_id: str | None
    status: ExecutionStatus
    started_at: str
    completed_at: str | None
    duration_ms: int | None
    result_summary: str | None
    error_message: str | None
    scheduled_for: str | None
    trigger: TriggerKind
    attempt: int
    rerun_of: str | None
    node_id: str | None
    exit_code: int | None
    log_bytes: int
    log_truncated: bool
    log_dropped_bytes: int

    @classmethod
    def of(cls, e: Execution) -> PulseExecution:
        return cls(**execution_dict(e))


class ExecutionDetail(PulseExecution):
    logs: str = Field(description="The whole log, as the /logs endpoint returns it.")


class ListExecutionsResponse(BaseModel):
    executions: list[PulseExecution]
    count: int
    total: int
    has_more: bool


class LogChunkOut(BaseModel):
    seq: int
    ts: str
    stream: LogStream
    text: str

    @classmethod
    def of(cls, ch: LogChunk) -> LogChunkOut:
        return cls(seq=ch.seq, ts=format_ts(ch.ts), stream=ch.stream.value, text=ch.text)


class LogChunksResponse(BaseModel):
    chunks: list[LogChunkOut]
    next_seq: int
    status: ExecutionStatus


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str
    errors: list[FieldError] = []


# The error answers every endpoint that takes an id or input may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


def execution_dict(e: Execution) -> dict[str, Any]:
    """The execution as the API shows it: the stored fields less the bookkeeping timestamps,
    plus ``log_truncated``."""
    row = execution_row(e)
    del row["created_at"], row["updated_at"]
    row["log_truncated"] = e.log_truncated
    return row


def _ts(value: Any) -> str | None:
    return None if value is None else format_ts(value)
