"""Making and changing job definitions: validation and the first ``next_run_at``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from pulse import ids
from pulse.errors import InvalidInputError
from pulse.models import Job, JobState, Overlap, Schedule, Target
from pulse.schedules import next_fire_after, validate

_SCHEDULE_FIELDS = {"cron", "timezone", "interval_seconds"}
_TARGET_FIELDS = {"command", "cwd", "env", "handler", "payload"}
FIELDS = (
    {"name", "description", "timeout_seconds", "overlap", "state"}
    | _SCHEDULE_FIELDS
    | _TARGET_FIELDS
)


def _check_target(target: Target) -> Target:
    if (target.command is None) == (target.handler is None):
        raise InvalidInputError("command", "give either command (shell) or handler (Python)")
    if target.command is not None and not target.command.strip():
        raise InvalidInputError("command", "must not be empty")
    if target.handler is not None and not target.handler.strip():
        raise InvalidInputError("handler", "must not be empty")
    return target


def _check_common(name: str, timeout: float | None) -> None:
    if not name.strip():
        raise InvalidInputError("name", "must not be empty")
    if len(name) > 200:
        raise InvalidInputError("name", "must be at most 200 characters")
    if timeout is not None and timeout <= 0:
        raise InvalidInputError("timeout_seconds", "must be a positive number of seconds")


def new_job(fields: dict[str, Any], now: datetime) -> Job:
    """A new job from the create fields (see ``FIELDS``), validated, first slot computed."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise InvalidInputError(sorted(unknown)[0], "unknown field")
    name = fields.get("name") or ""
    _check_common(name, fields.get("timeout_seconds"))
    schedule = validate(
        Schedule(
            cron=fields.get("cron"),
            timezone=fields.get("timezone") or "UTC",
            interval_seconds=fields.get("interval_seconds"),
        )
    )
    target = _check_target(
        Target(
            command=fields.get("command"),
            cwd=fields.get("cwd"),
            env=dict(fields.get("env") or {}),
            handler=fields.get("handler"),
            payload=fields.get("payload"),
        )
    )
    state = JobState(fields.get("state") or JobState.ACTIVE)
    return Job(
        id=ids.job_id(),
        name=name.strip(),
        description=fields.get("description") or "",
        schedule=schedule,
        target=target,
        state=state,
        next_run_at=next_fire_after(schedule, now, now),
        created_at=now,
        updated_at=now,
        timeout_seconds=fields.get("timeout_seconds"),
        overlap=Overlap(fields.get("overlap") or Overlap.FORBID),
    )


def change_job(job: Job, changes: dict[str, Any], now: datetime) -> Job:
    """``job`` with ``changes`` applied and validated. A new schedule restarts from ``now``;
    resuming a paused job continues from its next slot after ``now`` (missed slots don't run)."""
    unknown = set(changes) - FIELDS
    if unknown:
        raise InvalidInputError(sorted(unknown)[0], "unknown field")
    schedule = job.schedule
    if _SCHEDULE_FIELDS & set(changes):
        cron = changes.get("cron", schedule.cron)
        interval = changes.get("interval_seconds", schedule.interval_seconds)
        # Setting one kind of schedule replaces the other.
        if "cron" in changes and changes["cron"] is not None and "interval_seconds" not in changes:
            interval = None
        if (
            "interval_seconds" in changes
            and changes["interval_seconds"] is not None
            and "cron" not in changes
        ):
            cron = None
        schedule = validate(
            Schedule(
                cron=cron,
                timezone=changes.get("timezone") or schedule.timezone,
                interval_seconds=interval,
            )
        )
    target = job.target
    if _TARGET_FIELDS & set(changes):
        command = changes.get("command", target.command)
        handler = changes.get("handler", target.handler)
        if changes.get("command") is not None and "handler" not in changes:
            handler = None
        if changes.get("handler") is not None and "command" not in changes:
            command = None
        target = _check_target(
            Target(
                command=command,
                cwd=changes.get("cwd", target.cwd),
                env=dict(changes.get("env", target.env) or {}),
                handler=handler,
                payload=changes.get("payload", target.payload),
            )
        )
    name = changes.get("name", job.name) or ""
    timeout = changes.get("timeout_seconds", job.timeout_seconds)
    _check_common(name, timeout)
    state = JobState(changes.get("state") or job.state)
    next_run_at = job.next_run_at
    if schedule != job.schedule or job.next_run_at is None:
        next_run_at = next_fire_after(schedule, now, now)
    elif state is JobState.ACTIVE and job.state is JobState.PAUSED:
        assert job.next_run_at is not None
        if job.next_run_at <= now:
            next_run_at = next_fire_after(schedule, now, job.next_run_at)
    return replace(
        job,
        name=name.strip(),
        description=changes.get("description", job.description) or "",
        schedule=schedule,
        target=target,
        state=state,
        timeout_seconds=timeout,
        overlap=Overlap(changes.get("overlap") or job.overlap),
        next_run_at=next_run_at,
        updated_at=now,
    )
