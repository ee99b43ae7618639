"""Wire shapes of the REST API (pydantic at the edge). Names follow the seed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from pulse import jobs, retention, retries
from pulse.api.guard import MAX_BODY_BYTES
from pulse.clock import format_ts
from pulse.models import Execution, Job, LogChunk
from pulse.retention import PruneReport
from pulse.schedules import describe

ExecutionStatus = Literal["running", "completed", "failed"]
JobState = Literal["active", "paused"]
Overlap = Literal["forbid", "allow"]
TriggerKind = Literal["schedule", "manual", "rerun", "retry"]
LogStream = Literal["stdout", "stderr", "log", "system"]


TEXT_RULE = "No NUL characters and no lone UTF-16 surrogates (422 naming the field)."

PositiveInterval = Annotated[
    StrictInt,
    Field(
        gt=0,
        le=jobs.MAX_INTERVAL_SECONDS,
        description=(
            "Fixed interval in seconds, instead of cron: a JSON integer (not a boolean, not a"
            f" string), 1 to {jobs.MAX_INTERVAL_SECONDS} (10 years)."
        ),
    ),
]
Timeout = Annotated[
    float,
    Field(
        strict=True,
        gt=0,
        le=jobs.MAX_TIMEOUT_SECONDS,
        allow_inf_nan=False,
        description=(
            "Seconds a run may take before its process group is killed and it fails: a finite"
            f" number above 0, at most {jobs.MAX_TIMEOUT_SECONDS:.0f} (30 days)."
        ),
    ),
]
EnvName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=jobs.MAX_ENV_NAME_CHARS, pattern=f"^{jobs.ENV_NAME.pattern}$"
    ),
]


KeepDaysValue = Annotated[
    StrictInt | None,
    Field(
        ge=1,
        le=retention.MAX_KEEP_DAYS,
        description=(
            f"Days (1 to {retention.MAX_KEEP_DAYS}) after which finished executions of this"
            " status are deleted, by their start; null: kept whatever their age."
        ),
    ),
]


class KeepDays(BaseModel):
    """Days to keep finished executions, per status (running ones are never pruned)."""

    model_config = ConfigDict(extra="forbid")
    completed: KeepDaysValue = None
    failed: KeepDaysValue = None


class RetentionRules(BaseModel):
    """Rules of a retention policy (see the API description). On a job, only the rules given
    override the global policy's; in ``PUT /settings/retention``, rules left out take their
    defaults."""

    model_config = ConfigDict(extra="forbid")
    keep_days: KeepDays | None = Field(
        None, description="Days per status; a status left out keeps the other policy's value."
    )
    keep_max: StrictInt | None = Field(
        None,
        ge=1,
        le=retention.MAX_KEEP_COUNT,
        description="At most this many executions per job, the oldest going first; null: no cap.",
    )
    keep_min: StrictInt | None = Field(
        None,
        ge=0,
        le=retention.MAX_KEEP_COUNT,
        description="The newest this many executions of a job are kept whatever their age.",
    )


class RetentionPolicyOut(BaseModel):
    """A whole retention policy: every rule with its value."""

    keep_days: dict[Literal["completed", "failed"], int | None] = Field(
        description="Days per status; a status absent or null is kept whatever its age."
    )
    keep_max: int | None
    keep_min: int


class JobFields(BaseModel):
    """Fields of a job a client may set."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        None,
        max_length=jobs.MAX_NAME_CHARS,
        description=f"Human name, unique or not, not blank. {TEXT_RULE}",
    )
    description: str | None = Field(
        None, max_length=jobs.MAX_DESCRIPTION_CHARS, description=TEXT_RULE
    )
    cron: str | None = Field(
        None,
        max_length=jobs.MAX_CRON_CHARS,
        description="5-field cron expression or a macro such as @daily.",
        examples=["*/5 * * * *"],
    )
    timezone: str | None = Field(
        None,
        max_length=jobs.MAX_TIMEZONE_CHARS,
        description=(
            "IANA time zone of the cron expression (default UTC). Refused with an interval"
            " schedule, where it would mean nothing. An empty name is refused; on a change, null"
            " resets it to UTC."
        ),
    )
    interval_seconds: PositiveInterval | None = None
    command: str | None = Field(
        None,
        max_length=jobs.MAX_COMMAND_BYTES,
        description=(
            f"Shell command to run, at most {jobs.MAX_COMMAND_BYTES} bytes as UTF-8. {TEXT_RULE}"
        ),
    )
    cwd: str | None = Field(
        None,
        max_length=jobs.MAX_CWD_BYTES,
        description=f"Working directory of the command, at most {jobs.MAX_CWD_BYTES} bytes.",
    )
    env: dict[EnvName, str] | None = Field(
        None,
        max_length=jobs.MAX_ENV_VARS,
        description=(
            f"Environment variables added for the command: at most {jobs.MAX_ENV_VARS}; names"
            f" of {jobs.ENV_NAME_RULE}, at most {jobs.MAX_ENV_NAME_CHARS} characters; values at"
            f" most {jobs.MAX_ENV_VALUE_BYTES} bytes. {TEXT_RULE}"
        ),
    )
    handler: str | None = Field(
        None,
        max_length=jobs.MAX_HANDLER_CHARS,
        description="Name of a registered Python handler.",
    )
    payload: Any = Field(
        None,
        description=(
            "JSON given to the handler: nested at most"
            f" {jobs.MAX_PAYLOAD_DEPTH} levels, at most {jobs.MAX_PAYLOAD_BYTES} bytes as compact"
            f" JSON, finite numbers only. {TEXT_RULE.removesuffix('.')}, in keys and values."
        ),
    )
    run_as: str | None = Field(
        None,
        max_length=32,
        pattern=f"^{jobs.USER_NAME.pattern}$",
        description=(
            "The user the command runs as (Pulse must run as root to switch); null: the server's"
            f" default (PULSE_RUN_AS), else Pulse's own user. {jobs.USER_NAME_RULE.capitalize()}."
        ),
    )
    timeout_seconds: Timeout | None = None
    overlap: Overlap | None = None
    state: JobState | None = None
    retention: RetentionRules | None = Field(
        None,
        description=(
            "The rules of the global retention policy this job overrides; null: the global"
            " policy as it is."
        ),
    )
    max_attempts: StrictInt | None = Field(
        None,
        ge=1,
        le=retries.MAX_ATTEMPTS,
        description=(
            f"Runs in all for one firing, 1 to {retries.MAX_ATTEMPTS} (default 1: no retry): a"
            ' failed attempt is retried as a new execution (`trigger` "retry").'
        ),
    )
    retry_backoff_seconds: float | None = Field(
        None,
        strict=True,
        gt=0,
        le=retries.MAX_BACKOFF_SECONDS,
        allow_inf_nan=False,
        description=(
            "Wait before the first retry (default 10 s), doubled at each attempt up to"
            f" {retries.MAX_BACKOFF_SECONDS:.0f} s, then drawn between half of it and all of it."
        ),
    )


class JobCreate(JobFields):
    name: str = Field(
        max_length=jobs.MAX_NAME_CHARS, description=f"Human name, not blank. {TEXT_RULE}"
    )


class JobUpdate(JobFields):
    pass


class MissedGapOut(BaseModel):
    """Slots that were never fired (the server was down, or the job held): how many, the first
    and the last."""

    count: int
    first: str
    last: str


class MissedOut(BaseModel):
    """Slots of a job that were never fired: how many in all, and the latest gap."""

    total: int
    last: MissedGapOut


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
    run_as: str | None
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
    missed: MissedOut | None = Field(
        description="Slots never fired (downtime, a held job): null when none ever were."
    )
    max_attempts: int
    retry_backoff_seconds: float
    retention: dict[str, Any] | None = Field(
        description=(
            "The retention rules this job overrides (`keep_days`, `keep_max`, `keep_min`, only"
            " those given); null: the global policy (`GET /settings/retention`)."
        )
    )
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
            run_as=job.target.run_as,
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
            missed=_missed(job),
            max_attempts=job.max_attempts,
            retry_backoff_seconds=job.retry_backoff_seconds,
            retention=job.retention,
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
    cancel_requested_at: str | None = Field(
        description="When someone asked to cancel it (it may still be stopping)."
    )
    cancelled_at: str | None = Field(
        description='Set when it ended because it was cancelled (`failed`, "cancelled").'
    )

    @classmethod
    def of(cls, e: Execution) -> PulseExecution:
        return cls(**execution_dict(e))


class RunLink(BaseModel):
    """An execution that ran another one again."""

    id: str
    trigger: TriggerKind
    attempt: int
    status: ExecutionStatus
    started_at: str

    @classmethod
    def of(cls, e: Execution) -> RunLink:
        return cls(
            id=e.id,
            trigger=e.trigger.value,
            attempt=e.attempt,
            status=e.status.value,
            started_at=format_ts(e.started_at),
        )


class ExecutionDetail(PulseExecution):
    reruns: list[RunLink] = Field(
        description=(
            "The executions that ran this one again, oldest first: its re-runs, and the"
            " retries of a first attempt (`rerun_of` points back here)."
        )
    )
    logs: str = Field(description="The whole log, as the /logs endpoint returns it.")


class ListExecutionsResponse(BaseModel):
    executions: list[PulseExecution]
    count: int
    total: int
    has_more: bool
    next_cursor: str | None = Field(
        None, description="Where the next page starts (`cursor`); null on the last page."
    )


class SearchExecutionsResponse(BaseModel):
    """A page of runs across jobs, newest first."""

    executions: list[PulseExecution]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


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


class PruneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = Field(False, description="Count what would go, per job; delete nothing.")


class JobPruneOut(BaseModel):
    job_id: str
    deleted: int
    policy: RetentionPolicyOut = Field(description="The job's policy: its rules over the global.")


class PruneOut(BaseModel):
    """One prune: how many executions went (or would go, dry), when, under which policies."""

    deleted: int
    dry_run: bool
    trigger: Literal["manual", "schedule"]
    node_id: str
    started_at: str
    finished_at: str
    policy: RetentionPolicyOut = Field(description="The global policy it applied.")
    jobs: list[JobPruneOut] = Field(description="The jobs that lost executions, with how many.")

    @classmethod
    def of(cls, report: PruneReport) -> PruneOut:
        return cls.model_validate(
            {
                **report.to_json(),
                "started_at": format_ts(report.started_at),
                "finished_at": format_ts(report.finished_at),
            }
        )


class PrunesOut(BaseModel):
    prunes: list[PruneOut]


class RebuildOut(BaseModel):
    counted: int = Field(description="Executions counted into the rebuilt roll-ups.")


class DurationsOut(BaseModel):
    """Duration percentiles in ms (within 5 %, from a log-scale histogram) and the longest;
    null when nothing finished."""

    p50: int | None
    p95: int | None
    p99: int | None
    max: int | None


class SeriesPoint(BaseModel):
    start: str = Field(description="The period's first instant (an hour or a UTC day).")
    completed: int
    failed: int
    p95_ms: int | None


class StatsTotals(BaseModel):
    days: int
    period: Literal["hour", "day"] = Field(
        description="The series' step: hours for 2 days or less, else UTC days."
    )
    total: int = Field(description="Finished executions (completed + failed).")
    completed: int
    failed: int
    success_rate: float | None = Field(description="completed / total; null when total is 0.")
    duration_ms: DurationsOut
    series: list[SeriesPoint] = Field(
        description="Every period of the window, oldest first, zeros where nothing ran."
    )


class JobStatsOut(StatsTotals):
    job_id: str


class FailingJob(BaseModel):
    job_id: str
    name: str
    failed: int
    total: int
    success_rate: float | None


class SlowJob(BaseModel):
    job_id: str
    name: str
    p95_ms: int | None
    max_ms: int | None
    total: int


class FailureOut(BaseModel):
    id: str
    scheduled_job_id: str
    job_name: str | None
    started_at: str
    duration_ms: int | None
    error_message: str | None


class OverallStatsOut(StatsTotals):
    running: list[PulseExecution] = Field(description="Executions running now, on every node.")
    failing: list[FailingJob] = Field(description="The jobs failing most in the window.")
    slowest: list[SlowJob] = Field(description="The jobs slowest on average in the window.")
    latest_failures: list[FailureOut] = Field(description="The newest failures, newest first.")


class JobOutcomes(BaseModel):
    job_id: str
    total: int
    completed: int
    failed: int
    success_rate: float | None
    recent: list[Literal["completed", "failed"]] = Field(
        description="Outcomes of the job's latest finished executions, oldest first."
    )


class JobsStatsOut(BaseModel):
    days: int
    jobs: list[JobOutcomes]


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str
    errors: list[FieldError] = []


_ERRORS: dict[int, str] = {
    400: "The request could not be read (for instance the client stopped sending its body).",
    401: (
        "The API token is missing or wrong; with PULSE_API_TOKEN set, every call needs"
        " `Authorization: Bearer <token>`."
    ),
    403: "Refused: the request comes from another browser origin (cross-site request).",
    404: "Nothing has this id.",
    409: "The request clashes with the current state (e.g. cancelling a run that has ended).",
    413: f"The request body is larger than {MAX_BODY_BYTES} bytes.",
    421: (
        "The Host header names a host this server does not answer to (a guard against DNS"
        " rebinding; PULSE_ALLOWED_HOSTS adds names)."
    ),
    422: (
        "Invalid input: `errors` names each field at fault and why. Texts must be valid Unicode"
        " without NUL, numbers finite and of the documented type (no booleans as numbers), JSON"
        " without NaN or Infinity, every field within its documented limit; ids are letters,"
        " digits and `_`."
    ),
    503: (
        "The database is unavailable, damaged or failing; nothing was changed. Try again"
        " shortly (see `Retry-After`)."
    ),
    507: "The disk holding the database is full: nothing was changed until space is freed.",
}
_ALWAYS = (401, 403, 421, 503)


def error_responses(
    *codes: int, not_found: str | None = None, database: bool = True
) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation may give, for the OpenAPI document: those of every call
    (token, origin, host, and the database's unless ``database`` is False) and ``codes``.
    ``not_found`` says what a 404 means."""
    out: dict[int | str, dict[str, Any]] = {}
    always = _ALWAYS if database else tuple(c for c in _ALWAYS if c != 503)
    for code in sorted({*always, *codes}):
        text = not_found if code == 404 and not_found else _ERRORS[code]
        out[code] = {"model": ErrorResponse, "description": text}
    return out


READ = error_responses(422)
"""A read without an id (only its query string can be invalid)."""
WRITE = error_responses(400, 413, 422, 507)
"""A call that takes a JSON body and writes."""

INT64_MAX = 2**63 - 1
ID_PATTERN = r"^[A-Za-z0-9_]{1,64}$"
ID_RULE = "letters, digits and _, at most 64 characters (422 otherwise)"
JobId = Annotated[str, Path(pattern=ID_PATTERN, description=f"A job id (`SPJ_…`): {ID_RULE}.")]
ExecutionId = Annotated[
    str, Path(pattern=ID_PATTERN, description=f"An execution id (`PX_…`): {ID_RULE}.")
]
Offset = Annotated[
    int,
    Query(ge=0, le=INT64_MAX, description="Executions to skip, 0 to 2^63-1."),
]


def execution_dict(e: Execution) -> dict[str, Any]:
    """The execution as the API shows it (:class:`PulseExecution`, its fields in its order):
    the stored fields less the bookkeeping timestamps, plus ``log_truncated``."""
    return {
        "id": e.id,
        "scheduled_job_id": e.scheduled_job_id,
        "async_job_id": e.async_job_id,
        "status": e.status.value,
        "started_at": format_ts(e.started_at),
        "completed_at": _ts(e.completed_at),
        "duration_ms": e.duration_ms,
        "result_summary": e.result_summary,
        "error_message": e.error_message,
        "scheduled_for": _ts(e.scheduled_for),
        "trigger": e.trigger.value,
        "attempt": e.attempt,
        "rerun_of": e.rerun_of,
        "node_id": e.node_id,
        "exit_code": e.exit_code,
        "log_bytes": e.log_bytes,
        "log_truncated": e.log_truncated,
        "log_dropped_bytes": e.log_dropped_bytes,
        "cancel_requested_at": _ts(e.cancel_requested_at),
        "cancelled_at": _ts(e.cancelled_at),
    }


def _missed(job: Job) -> MissedOut | None:
    gap = job.last_missed
    if gap is None:
        return None
    last = MissedGapOut(count=gap.count, first=format_ts(gap.first), last=format_ts(gap.last))
    return MissedOut(total=job.missed_count, last=last)


def _ts(value: Any) -> str | None:
    return None if value is None else format_ts(value)
