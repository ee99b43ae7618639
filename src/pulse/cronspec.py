"""Cron expressions as Debian's cron reads them, and when they fire in a time zone.

Parsing follows Debian's ``crontab(5)``: five fields separated by ASCII spaces or tabs; each a
comma-separated list of ``*``, ``*/step``, ``N``, ``N-M`` or ``N-M/step``; month and day-of-week
also take three-letter English names (any case); day-of-week 0 and 7 are both Sunday. When the
day-of-month and the day-of-week fields are both restricted (neither starts with ``*``) a day
matches if *either* does; otherwise it must match both. What Debian refuses is refused here
(``5/10``, ``L``, ``#``, ``?``, names outside month and day-of-week, non-ASCII characters), and
so are a few things Debian accepts silently but that can only be mistakes: a ``*`` inside a list
(``*,MON``: the list means ``*``, yet it would switch the day rule), a step of 0, a backwards
range (``5-2``, which Debian reads as nothing), and an expression that can never fire
(``0 0 30 2 *``).

When it fires: Debian's cron wakes each minute and compares the wall clock with the minute it
expected ("virtual time"). Whether a job is *fixed-time* decides how it crosses a clock change:
a job is fixed-time when neither its minute nor its hour field starts with ``*`` (so ``30 2 * * *``
and ``@daily`` are, ``30 * * * *``, ``*/5 2 * * *``, ``45 */2 * * *`` and ``@hourly`` are not).
For a change of the local offset by ``delta``:

* forward by 5 minutes up to (not including) 3 hours (a DST start): the wall times skipped do not
  happen; a fixed-time job with a slot in the skipped span (or right at its end) runs once, at the
  first instant after the jump; a wildcard job runs only on wall times that exist.
* forward by 1 to 4 minutes: every job with a slot in the skipped span runs at the jump.
* backward by up to 3 hours (a DST end): wall times repeat; a fixed-time job runs on the first
  pass only, a wildcard job on both (it follows the wall clock).
* by 3 hours or more either way (a zone moving across the date line): Debian treats it as the
  clock being set, not as DST; every job follows the wall clock from there: skipped wall times
  never run, repeated ones run again.

A job never fires for a wall time that does not exist, except the catch-up run of a fixed-time
job right after a jump; and at most once per instant.

The evaluation walks UTC spans of constant offset, so it costs a few wall-time searches per span
whatever the expression; every search is bounded (at most :data:`HORIZON_SECONDS` ahead) and
answers None rather than looping when nothing fires.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# The longest wait between two firings of a valid expression is 8 years (29 February across
# 2100, which is not a leap year); searches give up after this much.
HORIZON_SECONDS = 10 * 366 * 86400
MINUTE = 60
DAY = 86400
# Below and above these years datetime arithmetic (local times, +1 day) can overflow.
FIRST_YEAR = 2
LAST_YEAR = 9998
# Offset changes this large or larger are a clock being set, not DST (Debian's cron.c).
_BIG_CHANGE_MINUTES = 180

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTH_NAMES = tuple(calendar.month_name[1:])
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # the most each can have
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_NAIVE.toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SEPARATORS = " \t"


class CronSyntaxError(ValueError):
    """The expression is not one Debian's cron would accept, or can never fire."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _DAYS, 0),
)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """A parsed five-field expression: the values each field allows, and Debian's star flags."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday .. 6 = Saturday
    minute_star: bool
    hour_star: bool
    day_star: bool
    weekday_star: bool

    @property
    def fixed_time(self) -> bool:
        """True for a job at a specific time of day (see the module docstring)."""
        return not (self.minute_star or self.hour_star)

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months:
            return False
        in_days = d.day in self.days
        in_weekdays = (d.weekday() + 1) % 7 in self.weekdays
        if self.day_star or self.weekday_star:
            return in_days and in_weekdays
        return in_days or in_weekdays

    def wall_matches(self, wall: int) -> bool:
        """Whether the local wall time ``wall`` (seconds since 1970-01-01 00:00, local) matches."""
        if wall % MINUTE:
            return False
        d = _naive(wall)
        return d.minute in self.minutes and d.hour in self.hours and self.day_matches(d.date())

    def next_wall(self, lo: int, hi: int) -> int | None:
        """The first matching whole-minute wall time in ``[lo, hi]``, or None."""
        start = -(-lo // MINUTE) * MINUTE
        if start > hi:
            return None
        d = _naive(start)
        day, end = d.date(), _naive(hi).date()
        hour, minute = d.hour, d.minute
        while day <= end:
            if day.month not in self.months:
                day = _first_of_next_month(day)
                hour = minute = 0
                continue
            if self.day_matches(day):
                hm = self._first_time_from(hour, minute)
                if hm is not None:
                    wall = _wall(day, *hm)
                    return wall if wall <= hi else None
            day += timedelta(days=1)
            hour = minute = 0
        return None

    def prev_wall(self, lo: int, hi: int) -> int | None:
        """The last matching whole-minute wall time in ``[lo, hi]``, or None."""
        start = hi // MINUTE * MINUTE
        if start < lo:
            return None
        d = _naive(start)
        day, end = d.date(), _naive(lo).date()
        hour, minute = d.hour, d.minute
        while day >= end:
            if day.month not in self.months:
                day = day.replace(day=1) - timedelta(days=1)
                hour, minute = 23, 59
                continue
            if self.day_matches(day):
                hm = self._last_time_until(hour, minute)
                if hm is not None:
                    wall = _wall(day, *hm)
                    return wall if wall >= lo else None
            day -= timedelta(days=1)
            hour, minute = 23, 59
        return None

    def _first_time_from(self, hour: int, minute: int) -> tuple[int, int] | None:
        for h in self.hours[bisect_left(self.hours, hour) :]:
            i = bisect_left(self.minutes, minute) if h == hour else 0
            if i < len(self.minutes):
                return h, self.minutes[i]
        return None

    def _last_time_until(self, hour: int, minute: int) -> tuple[int, int] | None:
        for h in reversed(self.hours[: bisect_right(self.hours, hour)]):
            i = bisect_right(self.minutes, minute) if h == hour else len(self.minutes)
            if i > 0:
                return h, self.minutes[i - 1]
        return None


def split_fields(expr: str) -> list[str]:
    """The fields of ``expr``; only ASCII spaces and tabs separate them, as in a crontab."""
    for ch in expr:
        if ch not in _SEPARATORS and not ("!" <= ch <= "~"):
            raise CronSyntaxError(
                f"unexpected character {ch!r}: only ASCII characters, and spaces or tabs "
                "between fields"
            )
    fields, current = [], ""
    for ch in expr:
        if ch in _SEPARATORS:
            if current:
                fields.append(current)
            current = ""
        else:
            current += ch
    if current:
        fields.append(current)
    return fields


def parse(expr: str) -> CronSpec:
    """Parse a five-field expression; raise :class:`CronSyntaxError` saying what is wrong."""
    fields = split_fields(expr)
    if len(fields) != 5:
        raise CronSyntaxError("must have 5 fields (minute hour day month weekday)")
    values = [_parse_field(text, f) for text, f in zip(fields, _FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = values
    if 7 in weekdays:
        weekdays = (weekdays - {7}) | {0}
    spec = CronSpec(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(weekdays),
        minute_star=fields[0].startswith("*"),
        hour_star=fields[1].startswith("*"),
        day_star=fields[2].startswith("*"),
        weekday_star=fields[4].startswith("*"),
    )
    _check_it_fires(spec)
    return spec


def _check_it_fires(spec: CronSpec) -> None:
    # With the AND rule a day needs both fields; every valid (month, day) falls on every weekday
    # in some year, so the expression fires iff some month has one of the days. With the OR
    # rule the weekdays alone make it fire.
    if not (spec.day_star or spec.weekday_star):
        return
    if any(d <= _DAYS_IN_MONTH[m - 1] for m in spec.months for d in spec.days):
        return
    days = ", ".join(str(d) for d in sorted(spec.days))
    months = ", ".join(_MONTH_NAMES[m - 1] for m in sorted(spec.months))
    raise CronSyntaxError(f"would never fire: day-of-month {days} does not occur in {months}")


def _parse_field(text: str, f: _Field) -> set[int]:
    items = text.split(",")
    out: set[int] = set()
    for item in items:
        if not item:
            raise CronSyntaxError(f"bad {f.name} {text!r}: empty list element")
        if item.startswith("*") and len(items) > 1:
            raise CronSyntaxError(
                f"bad {f.name} {text!r}: '*' cannot be combined with other values in a list"
            )
        out |= _parse_item(item, f)
    return out


def _parse_item(item: str, f: _Field) -> set[int]:
    body, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not (step_text.isascii() and step_text.isdigit()):
            raise CronSyntaxError(f"bad {f.name} {item!r}: the step must be a number")
        step = int(step_text)
        if step == 0:
            raise CronSyntaxError(f"bad {f.name} {item!r}: the step must be at least 1")
    if body == "*":
        low, high = f.low, f.high
    else:
        first, dash, last = body.partition("-")
        low = _value(first, f, item)
        if not dash:
            if slash:
                raise CronSyntaxError(
                    f"bad {f.name} {item!r}: a step needs a range or '*' before it "
                    f"(e.g. {first}-{f.high}/{step_text})"
                )
            return {low}
        high = _value(last, f, item)
        if high < low:
            raise CronSyntaxError(f"bad {f.name} {item!r}: the range is backwards")
    return set(range(low, high + 1, step))


def _value(text: str, f: _Field, item: str) -> int:
    if text.isascii() and text.isdigit():
        n = int(text)
        if not f.low <= n <= f.high:
            raise CronSyntaxError(f"bad {f.name} {item!r}: {n} is not in {f.low}-{f.high}")
        return n
    if text.lower() in f.names:
        return f.names.index(text.lower()) + f.name_base
    if f.names:
        raise CronSyntaxError(
            f"bad {f.name} {item!r}: {text!r} is neither a number nor a name like {f.names[0]}"
        )
    raise CronSyntaxError(f"bad {f.name} {item!r}: {text!r} is not a number")


# -- time ---------------------------------------------------------------------------------------


def _naive(wall: int) -> datetime:
    return _EPOCH_NAIVE + timedelta(seconds=wall)


def _wall(d: date, hour: int, minute: int) -> int:
    return (d.toordinal() - _EPOCH_ORDINAL) * DAY + hour * 3600 + minute * MINUTE


def _first_of_next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def seconds(t: datetime) -> int:
    """``t`` as whole seconds since the epoch, rounded down."""
    return (t - _EPOCH) // timedelta(seconds=1)


def seconds_up(t: datetime) -> int:
    """``t`` as whole seconds since the epoch, rounded up."""
    return -((_EPOCH - t) // timedelta(seconds=1))


def instant(s: int) -> datetime:
    """Whole seconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(seconds=s)


def _year_start(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY


def _offset(tz: ZoneInfo, s: int) -> int:
    off = datetime.fromtimestamp(s, tz).utcoffset()
    assert off is not None
    return off // timedelta(seconds=1)


# Sampling step for finding offset changes. Since 1970 no zone has two changes less than a week
# apart (tests check this against the zone files); half a day leaves a wide margin.
_SAMPLE = DAY // 2


@lru_cache(maxsize=8192)
def _changes(tz: ZoneInfo, year: int) -> tuple[int, ...]:
    """The instants within UTC ``year`` at which ``tz``'s offset changes."""
    start, end = _year_start(year), _year_start(year + 1)
    out = []
    prev_t, prev_off = start, _offset(tz, start)
    t = start
    while t < end:
        t = min(t + _SAMPLE, end)
        off = _offset(tz, t)
        if off != prev_off:
            lo, hi = prev_t, t  # offset(lo) == prev_off != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(tz, mid) == prev_off:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        prev_t, prev_off = t, off
    return tuple(out)


def _spans(tz: ZoneInfo, start: int) -> Iterator[tuple[int, int, int]]:
    """``(begin, end, offset)`` for consecutive UTC spans of constant offset from ``start``;
    spans are also cut at UTC year boundaries so that each is searched in bounded time."""
    t = start
    year = instant(start).year
    while year <= LAST_YEAR:
        year_end = _year_start(year + 1)
        for change in _changes(tz, year):
            if change > t:
                yield t, change, _offset(tz, t)
                t = change
        if t < year_end:
            yield t, year_end, _offset(tz, t)
        t = year_end
        year += 1


@dataclass(frozen=True, slots=True)
class _Plan:
    """What can fire within one span: a catch-up run at its first tick, then the matching wall
    times from ``first_wall`` to ``last_wall`` (each at ``wall - offset``)."""

    begin: int
    offset: int
    catch_up: int | None
    first_wall: int
    last_wall: int


def _plans(spec: CronSpec, tz: ZoneInfo, start: int) -> Iterator[_Plan]:
    """The spans from ``start`` with Debian's rules applied (see the module docstring).

    ``virtual`` is Debian's virtual time: the last wall minute the daemon has processed. The
    first span is taken as running normally, so callers start a day before the instants they
    care about: offset changes are weeks apart, and their after-effects last under 3 hours."""
    virtual: int | None = None
    fixed = spec.fixed_time
    for begin, end, off in _spans(tz, start):
        first = -(-(begin + off) // MINUTE) * MINUTE  # wall time of the span's first tick
        last = -(-(end + off) // MINUTE) * MINUTE - MINUTE
        if first > last:
            continue  # no tick at all in this span
        lag = 1 if virtual is None else (first - virtual) // MINUTE
        catch_up = None
        start_wall = first
        if virtual is not None and 2 <= lag <= _BIG_CHANGE_MINUTES:
            # Clock moved forward: the first tick runs what the skipped minutes owed.
            if lag <= 5 or fixed:
                owed = spec.next_wall(virtual + MINUTE, first) is not None
            else:
                owed = spec.wall_matches(first)
            if owed:
                catch_up = first - off
            start_wall = first + MINUTE
        elif virtual is not None and -_BIG_CHANGE_MINUTES < lag <= 0:
            # Clock moved back: fixed-time jobs wait until the wall clock passes where it was.
            if fixed:
                start_wall = virtual + MINUTE
            last_virtual = max(virtual, last)
            yield _Plan(begin, off, None, start_wall, last)
            virtual = last_virtual
            continue
        yield _Plan(begin, off, catch_up, start_wall, last)
        virtual = last


def iter_fires(spec: CronSpec, tz: ZoneInfo, after: int) -> Iterator[int]:
    """The instants (epoch seconds) at which ``spec`` fires in ``tz`` after ``after``, in order.

    Stops once no firing is found within :data:`HORIZON_SECONDS` of the last one (or of
    ``after``), or past year 9998."""
    last_seen = after
    for plan in _plans(spec, tz, after - DAY):
        if plan.begin - last_seen > HORIZON_SECONDS:
            return
        if plan.catch_up is not None and plan.catch_up > after:
            last_seen = plan.catch_up
            yield plan.catch_up
        # Fire instants are wall - offset; those after ``after`` have wall > after + offset.
        wall = max(plan.first_wall, (after + plan.offset) // MINUTE * MINUTE + MINUTE)
        while (found := spec.next_wall(wall, plan.last_wall)) is not None:
            last_seen = found - plan.offset
            yield last_seen
            wall = found + MINUTE


def latest_fire(spec: CronSpec, tz: ZoneInfo, lo: int, hi: int) -> int | None:
    """The last instant in ``[lo, hi]`` at which ``spec`` fires in ``tz``, or None.

    Looks back over windows that double from one day, so a frequent schedule costs one short
    search and a rare one a dozen; never further back than ``lo`` or :data:`HORIZON_SECONDS`."""
    window = DAY
    while True:
        start = max(lo, hi - window)
        best: int | None = None
        for plan in _plans(spec, tz, start - DAY):
            if plan.begin > hi:
                break
            if plan.catch_up is not None and start <= plan.catch_up <= hi:
                best = plan.catch_up
            low_wall = max(plan.first_wall, start + plan.offset)
            found = spec.prev_wall(low_wall, min(plan.last_wall, hi + plan.offset))
            if found is not None:
                best = found - plan.offset
        if best is not None:
            return best
        if start == lo or window > HORIZON_SECONDS:
            return None
        window *= 2


def in_supported_range(s: int) -> bool:
    """Whether the instant lies in the years this module computes with."""
    return _year_start(FIRST_YEAR) <= s < _year_start(LAST_YEAR)
