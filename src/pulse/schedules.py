"""Schedule maths, as pure functions: validation, fire times, missed slots, a description in words.

A schedule is a cron expression in an IANA time zone, or a fixed interval.

Cron expressions are parsed and evaluated by :mod:`pulse.cronspec` with Debian cron's rules,
including its DST rules: a *fixed-time* job (neither the minute nor the hour field starts with
``*``, e.g. ``30 2 * * *`` or ``@daily``) runs once on the night the clocks go back and, if its
time is skipped on the night they go forward, right after the jump; a job whose minute or hour
field starts with ``*`` (``0 * * * *``, ``45 */2 * * *``, ``@hourly``) follows the wall clock:
it runs on every real occurrence of its wall times, twice in a repeated hour, never in a skipped
one. Offset changes of 3 hours or more are a clock being set, not DST: every job follows the wall
clock there. The module docstring of :mod:`pulse.cronspec` has the details.

Interval slots lie on a fixed grid from an anchor (the job's creation or last schedule change):
``anchor + n * interval_seconds``; a time zone means nothing for them.

Every function here is bounded: none searches further than about ten years ahead or behind, so
each is cheap enough to call on the event loop; a schedule with no slot left answers None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim

from pulse import cronspec
from pulse.cronspec import CronSpec, CronSyntaxError
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
# The longest interval accepted: ten years (of 366 days). Longer ones are almost surely
# mistakes, and slots must stay within what datetime can represent.
MAX_INTERVAL_SECONDS = 10 * 366 * 86400
# The longest time zone name accepted (the longest IANA name has 32 characters).
MAX_TIMEZONE_LENGTH = 64
# The longest cron expression accepted.
MAX_CRON_LENGTH = 256
# How many missed slots :func:`missed_slots` counts one by one before it stops and says so.
MISSED_SLOTS_CAP = 1000

_ZONE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-+")


def expand_cron(expr: str) -> str:
    """Replace a macro such as ``@daily`` by its five-field form; normalise the separators."""
    fields = cronspec.split_fields(expr)
    if len(fields) == 1 and fields[0].lower() in MACROS:
        return MACROS[fields[0].lower()]
    return " ".join(fields)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or an :class:`InvalidInputError` on ``timezone``."""
    if not isinstance(name, str) or not name:
        raise InvalidInputError("timezone", "must be an IANA time zone name such as Europe/Berlin")
    if len(name) > MAX_TIMEZONE_LENGTH:
        raise InvalidInputError("timezone", f"must be at most {MAX_TIMEZONE_LENGTH} characters")
    # Zone names are relative paths under the zone database: refuse anything that is not one
    # before it reaches the file system.
    parts = name.split("/")
    if not set(name) <= _ZONE_CHARS or any(p in ("", ".", "..") for p in parts):
        raise InvalidInputError("timezone", f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        # Directories ("Europe") and files that are not zones ("zone.tab") land here too.
        raise InvalidInputError("timezone", f"unknown time zone {name!r}") from None


@lru_cache(maxsize=4096)
def _spec(expr: str) -> CronSpec:
    return cronspec.parse(expand_cron(expr))


def _check_cron(expr: str) -> str:
    if len(expr) > MAX_CRON_LENGTH:
        raise InvalidInputError("cron", f"must be at most {MAX_CRON_LENGTH} characters")
    try:
        fields = cronspec.split_fields(expr)
    except CronSyntaxError as e:
        raise InvalidInputError("cron", f"{expr!r} is not a valid cron expression: {e}") from None
    if len(fields) == 1 and fields[0].startswith("@"):
        macro = fields[0].lower()
        if macro == "@reboot":
            raise InvalidInputError(
                "cron", "@reboot is not supported: Pulse runs jobs on a schedule, not at start-up"
            )
        if macro not in MACROS:
            raise InvalidInputError(
                "cron", f"unknown macro {fields[0]!r} (known: {', '.join(MACROS)})"
            )
        return fields[0]
    normal = " ".join(fields)
    try:
        _spec(normal)
    except CronSyntaxError as e:
        if str(e).startswith("would never fire"):
            raise InvalidInputError("cron", f"{expr!r} {e}") from None
        raise InvalidInputError("cron", f"{expr!r} is not a valid cron expression: {e}") from None
    return normal


def validate(schedule: Schedule) -> Schedule:
    """Check a schedule and return it normalised; raise :class:`InvalidInputError` naming the
    field at fault.

    An interval schedule takes no time zone: ``timezone`` must be ``"UTC"`` (the default) or
    empty, and comes back as ``"UTC"``."""
    if schedule.cron is None and schedule.interval_seconds is None:
        raise InvalidInputError("schedule", "give either cron or interval_seconds")
    if schedule.cron is not None and schedule.interval_seconds is not None:
        raise InvalidInputError("schedule", "give cron or interval_seconds, not both")
    if schedule.interval_seconds is not None:
        seconds = schedule.interval_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise InvalidInputError("interval_seconds", "must be a whole number of seconds")
        if seconds <= 0:
            raise InvalidInputError("interval_seconds", "must be a positive number of seconds")
        if seconds > MAX_INTERVAL_SECONDS:
            raise InvalidInputError(
                "interval_seconds", f"must be at most {MAX_INTERVAL_SECONDS} (ten years)"
            )
        if schedule.timezone not in ("", "UTC"):
            raise InvalidInputError(
                "timezone", "a time zone only applies to cron schedules, not to intervals"
            )
        return Schedule(interval_seconds=seconds, timezone="UTC")
    if not isinstance(schedule.cron, str):
        raise InvalidInputError("cron", "must be a string")
    zone(schedule.timezone)
    return Schedule(cron=_check_cron(schedule.cron), timezone=schedule.timezone)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _interval_slot(anchor: datetime, step: timedelta, n: int) -> datetime | None:
    try:
        return anchor + n * step
    except OverflowError:
        return None


def next_fire_after(schedule: Schedule, after: datetime, anchor: datetime) -> datetime | None:
    """The first slot strictly after ``after`` (UTC), or None if the schedule never fires again.

    Interval slots are counted from ``anchor`` (the job's creation or last schedule change), so
    they stay on a fixed grid whatever the delays of earlier runs: the first is ``anchor`` plus
    one interval."""
    after, anchor = _aware(after), _aware(anchor)
    if schedule.interval_seconds is not None:
        step = timedelta(seconds=schedule.interval_seconds)
        n = (after - anchor) // step + 1 if after >= anchor else 1
        return _interval_slot(anchor, step, n)
    assert schedule.cron is not None
    a = cronspec.seconds(after)
    if not cronspec.in_supported_range(a):
        return None
    s = next(cronspec.iter_fires(_spec(schedule.cron), zone(schedule.timezone), a), None)
    return None if s is None else cronspec.instant(s)


def latest_slot_at_or_before(
    schedule: Schedule, first_due: datetime, now: datetime, anchor: datetime
) -> datetime:
    """The most recent slot in ``[first_due, now]`` (``first_due`` if there is none); used to
    run a job once after downtime."""
    first_due, now, anchor = _aware(first_due), _aware(now), _aware(anchor)
    if now < first_due:
        return first_due
    if schedule.interval_seconds is not None:
        if now < anchor:
            return first_due
        step = timedelta(seconds=schedule.interval_seconds)
        slot = _interval_slot(anchor, step, (now - anchor) // step)
        return first_due if slot is None else max(slot, first_due)
    assert schedule.cron is not None
    lo, hi = cronspec.seconds_up(first_due), cronspec.seconds(now)
    found = cronspec.latest_fire(_spec(schedule.cron), zone(schedule.timezone), lo, hi)
    return first_due if found is None else cronspec.instant(found)


@dataclass(frozen=True, slots=True)
class MissedSlots:
    """The slots of a schedule in ``[first, last]``: ``count`` of them, or at least ``count``
    when ``capped``. ``first`` and ``last`` are the earliest and latest (None when none)."""

    count: int
    first: datetime | None
    last: datetime | None
    capped: bool = False


def missed_slots(
    schedule: Schedule,
    first_due: datetime,
    now: datetime,
    anchor: datetime,
    cap: int = MISSED_SLOTS_CAP,
) -> MissedSlots:
    """The slots in ``[first_due, now]``, for recording "N slots missed between T1 and T2".

    The latest of them is the one the ticker runs (:func:`latest_slot_at_or_before`), so the
    slots missed are ``count - 1``. Interval slots (on the grid from ``anchor``) are counted
    exactly; cron slots one by one, up to ``cap``, past which ``count`` is ``cap`` and
    ``capped`` is true (``last`` is still the true latest slot)."""
    first_due, now, anchor = _aware(first_due), _aware(now), _aware(anchor)
    if now < first_due:
        return MissedSlots(0, None, None)
    if schedule.interval_seconds is not None:
        step = timedelta(seconds=schedule.interval_seconds)
        if now < anchor:
            return MissedSlots(0, None, None)
        first_n = max(0, -((anchor - first_due) // step))  # ceil((first_due - anchor) / step)
        last_n = (now - anchor) // step
        if last_n < first_n:
            return MissedSlots(0, None, None)
        return MissedSlots(
            last_n - first_n + 1,
            _interval_slot(anchor, step, first_n),
            _interval_slot(anchor, step, last_n),
        )
    assert schedule.cron is not None
    spec, tz = _spec(schedule.cron), zone(schedule.timezone)
    hi = cronspec.seconds(now)
    count, first, last = 0, None, None
    # Fire instants are whole seconds: those >= first_due are those > ceil(first_due) - 1.
    start = cronspec.seconds_up(first_due) - 1
    for s in cronspec.iter_fires(spec, tz, start):
        if s > hi:
            break
        if count == cap:
            found = cronspec.latest_fire(spec, tz, s, hi)
            assert found is not None
            return MissedSlots(cap, cronspec.instant(first or s), cronspec.instant(found), True)
        count += 1
        first = s if first is None else first
        last = s
    return MissedSlots(
        count,
        None if first is None else cronspec.instant(first),
        None if last is None else cronspec.instant(last),
    )


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
    """An interval in words, e.g. ``every 5 minutes``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"every {unit}" if n == 1 else f"every {n} {unit}s"
    return "every second" if seconds == 1 else f"every {seconds} seconds"
