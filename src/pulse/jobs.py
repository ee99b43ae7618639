"""Making and changing job definitions: validation and the first ``next_run_at``.

Whatever reaches the store must be readable back and runnable: every text is valid Unicode
without NUL (PostgreSQL refuses both, SQLite would cut a command at the NUL, and a lone surrogate
cannot be encoded as UTF-8 on the way out), every number is finite, and every field is bounded
by one of the limits below, which the API documents.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from pulse import ids
from pulse.errors import InvalidInputError
from pulse.models import Job, JobState, Overlap, Schedule, Target
from pulse.retention import parse_rules
from pulse.retries import DEFAULT_BACKOFF_SECONDS, MAX_ATTEMPTS, MAX_BACKOFF_SECONDS
from pulse.schedules import MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH, next_fire_after, validate

# The schedule's own bounds, re-exported beside the others.
from pulse.schedules import MAX_INTERVAL_SECONDS as MAX_INTERVAL_SECONDS

MAX_NAME_CHARS = 200
MAX_DESCRIPTION_CHARS = 4000
MAX_COMMAND_BYTES = 64 * 1024
MAX_CWD_BYTES = 4096  # PATH_MAX on Linux
MAX_HANDLER_CHARS = 200
MAX_ENV_VARS = 256
MAX_ENV_NAME_CHARS = 256
MAX_ENV_VALUE_BYTES = 32 * 1024
MAX_PAYLOAD_DEPTH = 32
MAX_PAYLOAD_BYTES = 64 * 1024  # as compact JSON, UTF-8
MAX_CRON_CHARS = MAX_CRON_LENGTH
MAX_TIMEZONE_CHARS = MAX_TIMEZONE_LENGTH
MAX_TIMEOUT_SECONDS = 30 * 24 * 3600.0
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_NAME_RULE = "letters, digits and _, not starting with a digit"
# A user name as POSIX allows it portably (and useradd's limit of 32 characters), or a uid.
USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,31}")
USER_NAME_RULE = "a user name or uid: letters, digits, '.', '_' and '-', at most 32 characters"

_SCHEDULE_FIELDS = {"cron", "timezone", "interval_seconds"}
_TARGET_FIELDS = {"command", "cwd", "env", "handler", "payload", "run_as"}
FIELDS = (
    {
        "name",
        "description",
        "timeout_seconds",
        "overlap",
        "state",
        "retention",
        "max_attempts",
        "retry_backoff_seconds",
    }
    | _SCHEDULE_FIELDS
    | _TARGET_FIELDS
)


def check_text(
    field: str, value: object, *, max_chars: int | None = None, max_bytes: int | None = None
) -> str:
    """``value`` if it is a string that can be stored and read back: no NUL, no lone surrogate,
    within the limits given; otherwise an :class:`InvalidInputError` on ``field``."""
    if not isinstance(value, str):
        raise InvalidInputError(field, "must be a string")
    if "\x00" in value:
        raise InvalidInputError(field, "must not contain NUL characters")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise InvalidInputError(
            field, f"must be valid Unicode (lone surrogate at character {e.start})"
        ) from None
    if max_chars is not None and len(value) > max_chars:
        raise InvalidInputError(field, f"must be at most {max_chars} characters")
    if max_bytes is not None and size > max_bytes:
        raise InvalidInputError(field, f"must be at most {max_bytes} bytes (UTF-8)")
    return value


def _child(field: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{field}[{key}]"
    return f"{field}.{key}" if field else key


def check_json(field: str, value: object, max_depth: int) -> None:
    """Check that ``value`` is plain JSON that every store keeps as given: dicts with string
    keys, lists, finite numbers, and texts as :func:`check_text` wants them, nested at most
    ``max_depth`` levels. The error names the path of the first offending value. The walk uses
    its own stack, so depth costs no recursion."""
    stack: list[tuple[str, object, int]] = [(field, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, str):
            check_text(path or "body", item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise InvalidInputError(path or "body", "must be a finite number")
        elif item is None or isinstance(item, bool | int):
            pass
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise InvalidInputError(path or "body", f"nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, str):
                        raise InvalidInputError(path or "body", "object keys must be strings")
                    try:
                        check_text(path or "body", key)
                    except InvalidInputError as e:
                        raise InvalidInputError(e.field, f"object keys {e.reason}") from None
                    stack.append((_child(path, key), sub, depth + 1))
            else:
                stack.extend((_child(path, i), sub, depth + 1) for i, sub in enumerate(item))
        else:
            raise InvalidInputError(path or "body", f"must be JSON, not {type(item).__name__}")


def _check_payload(payload: Any) -> Any:
    check_json("payload", payload, MAX_PAYLOAD_DEPTH)
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidInputError(
            "payload", f"must be at most {MAX_PAYLOAD_BYTES} bytes as JSON, not {size}"
        )
    return payload


def _check_env(env: object) -> dict[str, str]:
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise InvalidInputError("env", "must be an object of names to values")
    if len(env) > MAX_ENV_VARS:
        raise InvalidInputError("env", f"must hold at most {MAX_ENV_VARS} variables")
    for key, value in env.items():
        check_text("env", key, max_chars=MAX_ENV_NAME_CHARS)
        if not ENV_NAME.fullmatch(key):
            raise InvalidInputError(
                "env", f"{key!r} is not a valid variable name ({ENV_NAME_RULE})"
            )
        check_text(f"env.{key}", value, max_bytes=MAX_ENV_VALUE_BYTES)
    return dict(env)


def check_user(field: str, user: object) -> str | None:
    """``user`` if it can name a user to run commands as (or None), else an error on ``field``.
    Whether the user exists is checked where the command runs: nodes may differ."""
    if user is None:
        return None
    check_text(field, user)
    assert isinstance(user, str)
    if not USER_NAME.fullmatch(user) or user.startswith("-"):
        raise InvalidInputError(field, f"must be {USER_NAME_RULE}")
    return user


def _check_target(target: Target) -> Target:
    if (target.command is None) == (target.handler is None):
        raise InvalidInputError("command", "give either command (shell) or handler (Python)")
    if target.command is not None:
        check_text("command", target.command, max_bytes=MAX_COMMAND_BYTES)
        if not target.command.strip():
            raise InvalidInputError("command", "must not be empty")
    if target.handler is not None:
        check_text("handler", target.handler, max_chars=MAX_HANDLER_CHARS)
        if not target.handler.strip():
            raise InvalidInputError("handler", "must not be empty")
    if target.cwd is not None:
        check_text("cwd", target.cwd, max_bytes=MAX_CWD_BYTES)
    check_user("run_as", target.run_as)
    return replace(target, env=_check_env(target.env), payload=_check_payload(target.payload))


def _check_name(name: object) -> str:
    text = check_text("name", name, max_chars=MAX_NAME_CHARS).strip()
    if not text:
        raise InvalidInputError("name", "must not be empty")
    return text


def _check_description(description: object) -> str:
    if description is None:
        return ""
    return check_text("description", description, max_chars=MAX_DESCRIPTION_CHARS)


def _check_timeout(timeout: object) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise InvalidInputError("timeout_seconds", "must be a number of seconds")
    if not math.isfinite(timeout) or timeout <= 0:
        raise InvalidInputError("timeout_seconds", "must be a positive number of seconds")
    if timeout > MAX_TIMEOUT_SECONDS:
        raise InvalidInputError(
            "timeout_seconds", f"must be at most {MAX_TIMEOUT_SECONDS:.0f} seconds (30 days)"
        )
    return float(timeout)


def _check_schedule(cron: object, timezone: object, interval: object) -> Schedule:
    """The validated schedule. ``timezone`` None means UTC; a time zone means nothing to an
    interval schedule, so one given with it is refused rather than silently kept."""
    if cron is not None:
        check_text("cron", cron, max_chars=MAX_CRON_CHARS)
    if interval is not None:
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise InvalidInputError("interval_seconds", "must be an integer number of seconds")
        if interval > MAX_INTERVAL_SECONDS:
            raise InvalidInputError(
                "interval_seconds", f"must be at most {MAX_INTERVAL_SECONDS} seconds (10 years)"
            )
    if timezone is not None:
        check_text("timezone", timezone, max_chars=MAX_TIMEZONE_CHARS)
        assert isinstance(timezone, str)
        if not timezone.strip():
            raise InvalidInputError(
                "timezone", "must not be empty: give an IANA name, or null for UTC"
            )
        if interval is not None and cron is None:
            raise InvalidInputError(
                "timezone", "only a cron schedule has a time zone; leave it out (or null)"
            )
    assert cron is None or isinstance(cron, str)
    assert interval is None or isinstance(interval, int)
    return validate(Schedule(cron=cron, timezone=timezone or "UTC", interval_seconds=interval))


def _given(fields: dict[str, Any], name: str, default: object) -> object:
    """The field's value, or ``default`` when it is absent or null."""
    value = fields.get(name)
    return default if value is None else value


def _check_attempts(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError("max_attempts", "must be an integer")
    if not 1 <= value <= MAX_ATTEMPTS:
        raise InvalidInputError("max_attempts", f"must be between 1 and {MAX_ATTEMPTS}")
    return value


def _check_backoff(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError("retry_backoff_seconds", "must be a number of seconds")
    if not (math.isfinite(value) and 0 < value <= MAX_BACKOFF_SECONDS):
        raise InvalidInputError(
            "retry_backoff_seconds", f"must be above 0 and at most {MAX_BACKOFF_SECONDS:.0f}"
        )
    return float(value)


def _check_retention(value: object) -> dict[str, Any] | None:
    """A job's retention overrides (null: the global policy), validated; ``{}`` is null."""
    if value is None:
        return None
    return parse_rules(value) or None


def _enum(kind: type[JobState] | type[Overlap], field: str, value: object) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise InvalidInputError(field, f"must be one of {choices}") from None


def new_job(fields: dict[str, Any], now: datetime) -> Job:
    """A new job from the create fields (see ``FIELDS``), validated, first slot computed."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise InvalidInputError(sorted(unknown)[0], "unknown field")
    name = _check_name(fields.get("name") or "")
    timeout = _check_timeout(fields.get("timeout_seconds"))
    schedule = _check_schedule(
        fields.get("cron"), fields.get("timezone"), fields.get("interval_seconds")
    )
    target = _check_target(
        Target(
            command=fields.get("command"),
            cwd=fields.get("cwd"),
            env=fields.get("env") or {},
            handler=fields.get("handler"),
            payload=fields.get("payload"),
            run_as=fields.get("run_as"),
        )
    )
    return Job(
        id=ids.job_id(),
        name=name,
        description=_check_description(fields.get("description")),
        schedule=schedule,
        target=target,
        state=_enum(JobState, "state", fields.get("state") or JobState.ACTIVE),
        next_run_at=next_fire_after(schedule, now, now),
        created_at=now,
        updated_at=now,
        timeout_seconds=timeout,
        overlap=_enum(Overlap, "overlap", fields.get("overlap") or Overlap.FORBID),
        retention=_check_retention(fields.get("retention")),
        max_attempts=_check_attempts(_given(fields, "max_attempts", 1)),
        retry_backoff_seconds=_check_backoff(
            _given(fields, "retry_backoff_seconds", DEFAULT_BACKOFF_SECONDS)
        ),
    )


def _changed_schedule(schedule: Schedule, changes: dict[str, Any]) -> Schedule:
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
    if "timezone" in changes:
        # Given: checked as given; null resets to UTC (an empty name is refused, not ignored).
        timezone = changes["timezone"]
    elif cron is None:
        timezone = None  # an interval schedule has no time zone: a cron job's is dropped
    else:
        timezone = schedule.timezone
    return _check_schedule(cron, timezone, interval)


def change_job(job: Job, changes: dict[str, Any], now: datetime) -> Job:
    """``job`` with ``changes`` applied and validated. A new schedule restarts from ``now``;
    resuming a paused job continues from its next slot after ``now`` (missed slots don't run).
    ``timezone: null`` resets the time zone to UTC; an empty one is refused."""
    unknown = set(changes) - FIELDS
    if unknown:
        raise InvalidInputError(sorted(unknown)[0], "unknown field")
    schedule = job.schedule
    if _SCHEDULE_FIELDS & set(changes):
        schedule = _changed_schedule(schedule, changes)
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
                env=changes.get("env", target.env) or {},
                handler=handler,
                payload=changes.get("payload", target.payload),
                run_as=changes.get("run_as", target.run_as),
            )
        )
    name = _check_name(changes.get("name", job.name) or "")
    timeout = _check_timeout(changes.get("timeout_seconds", job.timeout_seconds))
    state: JobState = _enum(JobState, "state", changes.get("state") or job.state)
    next_run_at = job.next_run_at
    if schedule != job.schedule or job.next_run_at is None:
        next_run_at = next_fire_after(schedule, now, now)
    elif state is JobState.ACTIVE and job.state is JobState.PAUSED:
        assert job.next_run_at is not None
        if job.next_run_at <= now:
            next_run_at = next_fire_after(schedule, now, job.next_run_at)
    return replace(
        job,
        name=name,
        description=_check_description(changes.get("description", job.description)),
        schedule=schedule,
        target=target,
        state=state,
        timeout_seconds=timeout,
        overlap=_enum(Overlap, "overlap", changes.get("overlap") or job.overlap),
        next_run_at=next_run_at,
        updated_at=now,
        retention=(
            _check_retention(changes["retention"]) if "retention" in changes else job.retention
        ),
        max_attempts=_check_attempts(_given(changes, "max_attempts", job.max_attempts)),
        retry_backoff_seconds=_check_backoff(
            _given(changes, "retry_backoff_seconds", job.retry_backoff_seconds)
        ),
    )
