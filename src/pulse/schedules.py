"""Schedule maths, as pure functions: validation, next fire time, a description in words.

Cron expressions are evaluated by ``cronsim`` (Debian cron semantics, including its DST rules:
a job at a fixed time runs once in a repeated hour and, if its time falls in a skipped hour, right
after the jump; jobs with a wildcard hour run on every real hour).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from pulse.errors import InvalidInputError
from pulse.models import Schedule

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def expand_cron(expr: str) -> str:
    """Replace a macro such as ``@daily`` by its five-field form."""
    expr = " ".join(expr.split())
    return MACROS.get(expr.lower(), expr)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or an :class:`InvalidInputError` on ``timezone``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError("timezone", f"unknown time zone {name!r}") from None


def validate(schedule: Schedule) -> Schedule:
    """Check a schedule and return it normalised; raise :class:`InvalidInputError` naming the
    field at fault."""
    if schedule.cron is None and schedule.interval_seconds is None:
        raise InvalidInputError("schedule", "give either cron or interval_seconds")
    if schedule.cron is not None and schedule.interval_seconds is not None:
        raise InvalidInputError("schedule", "give cron or interval_seconds, not both")
    if schedule.interval_seconds is not None:
        if schedule.interval_seconds <= 0:
            raise InvalidInputError("interval_seconds", "must be a positive number of seconds")
        return Schedule(interval_seconds=schedule.interval_seconds, timezone=schedule.timezone)
    assert schedule.cron is not None
    tz = zone(schedule.timezone)
    expr = " ".join(schedule.cron.split())
    expanded = expand_cron(expr)
    if expanded.startswith("@"):
        raise InvalidInputError("cron", f"unknown macro {expr!r}")
    if len(expanded.split(" ")) != 5:
        raise InvalidInputError(
            "cron", f"{expr!r} must have 5 fields (minute hour day month weekday)"
        )
    try:
        it = CronSim(expanded, datetime.now(tz))
    except CronSimError as e:
        raise InvalidInputError("cron", f"{expr!r} is not a valid cron expression: {e}") from None
    try:
        next(it)
    except StopIteration:
        raise InvalidInputError("cron", f"{expr!r} never fires") from None
    return Schedule(cron=expr, timezone=schedule.timezone)


def next_fire_after(schedule: Schedule, after: datetime, anchor: datetime) -> datetime | None:
    """The first slot strictly after ``after`` (UTC), or None if the schedule never fires again.

    Interval slots are counted from ``anchor`` (the job's creation or last schedule change), so
    they stay on a fixed grid whatever the delays of earlier runs.
    """
    if schedule.interval_seconds is not None:
        step = float(schedule.interval_seconds)
        elapsed = (after - anchor).total_seconds()
        n = int(elapsed // step) + 1 if elapsed >= 0 else 1
        slot = anchor + timedelta(seconds=n * step)
        while slot <= after:  # guard against float rounding
            slot += timedelta(seconds=step)
        return slot
    assert schedule.cron is not None
    tz = zone(schedule.timezone)
    local = after.astimezone(tz)
    try:
        # cronsim starts from the next whole minute, so a slot equal to ``after`` is not repeated.
        nxt = next(CronSim(expand_cron(schedule.cron), local))
    except StopIteration:
        return None
    return nxt.astimezone(UTC)


def latest_slot_at_or_before(
    schedule: Schedule, first_due: datetime, now: datetime, anchor: datetime
) -> datetime:
    """The most recent slot in ``[first_due, now]``; used to run a job once after downtime."""
    if schedule.interval_seconds is not None:
        step = float(schedule.interval_seconds)
        n = int((now - first_due).total_seconds() // step)
        return first_due + timedelta(seconds=max(0, n) * step)
    assert schedule.cron is not None
    tz = zone(schedule.timezone)
    try:
        prev = next(
            CronSim(
                expand_cron(schedule.cron),
                (now + timedelta(minutes=1)).astimezone(tz),
                reverse=True,
            )
        ).astimezone(UTC)
    except StopIteration:
        return first_due
    while prev > now:  # reverse iteration starts at the following minute boundary
        try:
            prev = next(
                CronSim(expand_cron(schedule.cron), prev.astimezone(tz), reverse=True)
            ).astimezone(UTC)
        except StopIteration:
            return first_due
    return max(prev, first_due)


def describe(schedule: Schedule) -> str:
    """The schedule in words, e.g. ``every 5 minutes`` or ``At 02:00 (Europe/Berlin)``."""
    if schedule.interval_seconds is not None:
        return describe_interval(schedule.interval_seconds)
    assert schedule.cron is not None
    try:
        text = CronSim(expand_cron(schedule.cron), datetime.now(UTC)).explain()
    except Exception:  # explain() is best effort; the expression itself was validated
        text = schedule.cron
    return f"{text} ({schedule.timezone})"


def describe_interval(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return "every second" if seconds == 1 else f"every {seconds} seconds"
