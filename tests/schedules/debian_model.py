"""A brute-force model of Debian's cron, written from its documentation, to test Pulse against.

It shares no code with :mod:`pulse.cronspec`: it parses a (simple) expression itself and walks
real time minute by minute, the way the daemon does, instead of searching spans.

What it encodes, from Debian's ``cron(8)`` and ``crontab(5)``:

* Every real minute the daemon reads the local wall clock and compares it with the minute it
  expected next ("virtual time"). Normally they agree and every job matching the wall minute runs.
* "Special considerations exist when the clock is changed by less than 3 hours, for example at
  the beginning and end of daylight savings time. If the time has moved forwards, those jobs
  which would have run in the time that was skipped will be run soon after the change.
  Conversely, if the time has moved backwards by less than 3 hours, those jobs that fall into
  the repeated time will not be re-run. Only jobs that run at a particular time (not specified
  as @hourly, nor with '*' in the hour or minute specifier) are affected. Jobs which are
  specified with wildcards are run based on the new time immediately."
* The daemon's thresholds (cron.c): a jump forward of 2-5 minutes runs every job for each
  skipped minute; 6 minutes to 3 hours runs the wildcard jobs for the new minute and the
  fixed-time jobs for every skipped one; back by less than 3 hours runs only wildcard jobs until
  the clock passes the virtual time again; anything larger resets the virtual time.
* "Fixed-time" is decided on the text: the minute or the hour field starting with ``*`` makes a
  job a wildcard job (``*/2`` included).
* Days: when both day-of-month and day-of-week are restricted (neither starts with ``*``) either
  may match; otherwise both must. Day-of-week 7 is Sunday.

A job fires at most once per real minute, however many of its slots that minute runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
LIMITS = [(0, 59, []), (0, 23, []), (1, 31, []), (1, 12, MONTHS), (0, 7, DAYS)]
EPOCH = datetime(1970, 1, 1)
ONE_MINUTE = timedelta(minutes=1)


def _number(text: str, names: list[str], base: int) -> int:
    if text.isdigit():
        return int(text)
    return names.index(text.lower()) + base


def _field(text: str, index: int) -> set[int]:
    low, high, names = LIMITS[index]
    base = 1 if index == 3 else 0
    out: set[int] = set()
    for part in text.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            a, b = low, high
        elif "-" in rng:
            x, y = rng.split("-")
            a, b = _number(x, names, base), _number(y, names, base)
        else:
            a = b = _number(rng, names, base)
        out.update(range(a, b + 1, int(step or 1)))
    if index == 4 and 7 in out:
        out.add(0)
    return out


@dataclass(frozen=True)
class Job:
    minutes: set[int]
    hours: set[int]
    days: set[int]
    months: set[int]
    weekdays: set[int]
    wildcard: bool
    either_day: bool

    @classmethod
    def parse(cls, expr: str) -> Job:
        f = expr.split()
        return cls(
            *(_field(text, i) for i, text in enumerate(f)),
            wildcard=f[0].startswith("*") or f[1].startswith("*"),
            either_day=not (f[2].startswith("*") or f[4].startswith("*")),
        )

    def matches(self, wall_minute: int) -> bool:
        t = EPOCH + wall_minute * ONE_MINUTE
        if t.minute not in self.minutes or t.hour not in self.hours or t.month not in self.months:
            return False
        dom, dow = t.day in self.days, t.isoweekday() % 7 in self.weekdays
        return (dom or dow) if self.either_day else (dom and dow)


def wall_minute(u: datetime, tz: ZoneInfo) -> int:
    """The local wall clock at real instant ``u``, in whole minutes since 1970-01-01 local."""
    return (u.astimezone(tz).replace(tzinfo=None) - EPOCH) // ONE_MINUTE


def fires(expr: str, zone: str, start: datetime, end: datetime) -> Iterator[datetime]:
    """The instants in ``[start, end]`` at which Debian's cron would run ``expr`` in ``zone``."""
    job, tz = Job.parse(expr), ZoneInfo(zone)
    # Start the daemon well before ``start`` so that its virtual time is settled.
    u = start.replace(second=0, microsecond=0) - timedelta(hours=6)
    virtual = wall_minute(u, tz) - 1
    while u <= end:
        now = wall_minute(u, tz)
        lag = now - virtual
        if lag == 1:
            due = job.matches(now)
            virtual = now
        elif 1 < lag <= 5:
            due = any(job.matches(m) for m in range(virtual + 1, now + 1))
            virtual = now
        elif 5 < lag <= 180:
            if job.wildcard:
                due = job.matches(now)
            else:
                due = any(job.matches(m) for m in range(virtual + 1, now + 1))
            virtual = now
        elif -180 < lag <= 0:
            due = job.wildcard and job.matches(now)
        else:
            due = job.matches(now)
            virtual = now
        if due and u >= start:
            yield u
        u += ONE_MINUTE


def transitions(zone: str, year: int) -> list[datetime]:
    """The instants in ``year`` (UTC) at which ``zone``'s offset changes, to the minute,
    found by scanning the offset day by day and narrowing down."""
    tz = ZoneInfo(zone)
    out = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while t < end:
        nxt = t + timedelta(hours=12)
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = t, nxt
            while hi - lo > ONE_MINUTE:
                mid = lo + (hi - lo) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid == lo:
                    break
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        t = nxt
    return out
