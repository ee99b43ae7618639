"""Pulse's cron evaluation against a brute-force model of Debian's cron and against cronsim,
over many zones and years, densest around the instants the offset changes."""

from __future__ import annotations

import time
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse import cronspec
from pulse.models import Schedule
from pulse.schedules import latest_slot_at_or_before, missed_slots, next_fire_after
from tests.schedules import debian_model

ALL_ZONES = sorted(zoneinfo.available_timezones())
TRICKY_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "Pacific/Chatham",  # 45-minute offsets, changes at 02:45/03:45
    "Asia/Tehran",  # changes at midnight (until 2022)
    "America/Sao_Paulo",  # changes at midnight (until 2019)
    "America/Havana",  # changes at midnight
    "America/Santiago",  # changes at midnight
    "Africa/Casablanca",  # DST suspended during Ramadan: two changes a year, a month apart
    "Asia/Gaza",
    "Antarctica/Troll",  # 2-hour DST
    "Pacific/Apia",  # skipped a whole day in 2011
    "America/Caracas",  # 30-minute changes of standard time
    "Asia/Kathmandu",
    "Europe/Dublin",  # negative DST in the zone files
]
ZONES = st.one_of(st.sampled_from(TRICKY_ZONES), st.sampled_from(ALL_ZONES))
YEARS = st.integers(1990, 2037)

# Expressions that fire at least once a day, so that a window of a day and a bit compares them;
# hours 0-4 and minutes 0/15/30/45 are where the changes happen.
MINUTES = st.sampled_from(["0", "30", "45", "15", "5", "*", "*/15", "*/7", "0,30", "10-20/5"])
HOURS = st.sampled_from(["0", "1", "2", "3", "23", "*", "*/2", "*/3", "1-3", "0,2", "2-4/2"])
DAILY = st.builds(lambda m, h: f"{m} {h} * * *", MINUTES, HOURS)
DAY_FIELDS = st.sampled_from(
    ["* * *", "* * 0", "* * 1-5", "1,15 * *", "*/2 * *", "29 2 *", "31 * mon", "* 3,10 *"]
)
ANY_EXPR = st.one_of(DAILY, st.builds(lambda m, h, d: f"{m} {h} {d}", MINUTES, HOURS, DAY_FIELDS))

FAST = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def changes(zone: str, year: int) -> list[datetime]:
    return debian_model.transitions(zone, year)


@st.composite
def near_a_change(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and an instant: mostly within three hours of one of its offset changes."""
    zone, year = draw(ZONES), draw(YEARS)
    found = changes(zone, year)
    if found and draw(st.integers(0, 9)) > 0:
        base = draw(st.sampled_from(found))
        delta = timedelta(seconds=draw(st.integers(-3 * 3600, 3 * 3600)))
    else:
        base = datetime(year, 1, 1, tzinfo=UTC)
        delta = timedelta(seconds=draw(st.integers(0, 365 * 86400)))
    return zone, base + delta


def pulse_fires(expr: str, zone: str, after: datetime, end: datetime) -> list[datetime]:
    s = Schedule(cron=expr, timezone=zone)
    out: list[datetime] = []
    t: datetime | None = after
    while t is not None:
        t = next_fire_after(s, t, after)
        if t is None or t > end:
            break
        out.append(t)
    return out


@FAST
@given(expr=DAILY, where=near_a_change())
def test_it_fires_when_debian_cron_would(expr: str, where: tuple[str, datetime]) -> None:
    zone, after = where
    end = after + timedelta(hours=30)
    expected = [t for t in debian_model.fires(expr, zone, after, end) if t > after]
    assert pulse_fires(expr, zone, after, end) == expected


@settings(FAST, max_examples=60)
@given(expr=ANY_EXPR, where=near_a_change(), hours=st.integers(0, 40))
def test_latest_and_missed_slots_agree_with_debian_cron(
    expr: str, where: tuple[str, datetime], hours: int
) -> None:
    zone, first_due = where
    now = first_due + timedelta(hours=hours, seconds=17)
    expected = list(debian_model.fires(expr, zone, first_due, now))
    s = Schedule(cron=expr, timezone=zone)
    latest = latest_slot_at_or_before(s, first_due, now, first_due)
    assert latest == (expected[-1] if expected else first_due)
    missed = missed_slots(s, first_due, now, first_due, cap=10_000)
    assert (missed.count, missed.first, missed.last, missed.capped) == (
        len(expected),
        expected[0] if expected else None,
        expected[-1] if expected else None,
        False,
    )


RARE = st.sampled_from(
    ["0 0 29 2 *", "0 0 29 2 1", "59 23 31 12 *", "0 0 1 1 *", "0 12 13 * 5", "*/5 * 31 * *"]
)


@settings(FAST, max_examples=300)
@given(
    expr=st.one_of(ANY_EXPR, RARE),
    zone=st.sampled_from(ALL_ZONES),
    after=st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_the_next_fire_is_strictly_after_now_in_any_zone_at_any_instant(
    expr: str, zone: str, after: datetime
) -> None:
    s = Schedule(cron=expr, timezone=zone)
    started = time.perf_counter()
    nxt = next_fire_after(s, after, after)
    latest = latest_slot_at_or_before(s, after - timedelta(days=400), after, after)
    took = time.perf_counter() - started
    assert nxt is not None and nxt > after
    assert latest <= after
    # Bounded: even a rare expression takes a few milliseconds; the margin is for busy machines.
    assert took < 2.0


@settings(FAST, max_examples=150)
@given(expr=ANY_EXPR, zone=st.sampled_from(ALL_ZONES), year=YEARS, at=st.integers(0, 364 * 86400))
def test_it_agrees_with_cronsim_away_from_clock_changes(
    expr: str, zone: str, year: int, at: int
) -> None:
    after = datetime(year, 1, 1, tzinfo=UTC) + timedelta(seconds=at)
    ours = next_fire_after(Schedule(cron=expr, timezone=zone), after, after)
    assert ours is not None
    nearby = [c for y in (year, year + 1) for c in changes(zone, y)]
    if any(after - timedelta(days=1) <= c <= ours + timedelta(days=1) for c in nearby):
        return  # there Debian's rules apply; see the cases below
    theirs = next(CronSim(expr, after.astimezone(ZoneInfo(zone))))
    assert ours == theirs.astimezone(UTC)


@pytest.mark.parametrize(
    ("expr", "zone", "after", "debian", "cronsim"),
    [
        # Restarted inside the repeated hour: Debian has run 02:30 already (on the first pass).
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2025-10-26T02:10:01+01:00",
            "2025-10-27T02:30:00+01:00",
            "2025-10-26T02:30:00+02:00",
        ),
        # A wildcard-hour job follows the wall clock: 02:45 happens again after the change.
        (
            "45 */2 * * *",
            "Pacific/Chatham",
            "2025-04-06T03:05:01+13:45",
            "2025-04-06T02:45:00+12:45",
            "2025-04-06T04:45:00+12:45",
        ),
        # ...and on the night clocks go forward, 04:45 exists and must not be lost.
        (
            "45 */2 * * *",
            "Pacific/Chatham",
            "2025-09-28T01:05:01+12:45",
            "2025-09-28T04:45:00+13:45",
            "2025-09-28T06:45:00+13:45",
        ),
        # Created at the first instant after the change: 02:50 ran in the first pass.
        (
            "50 2 * * *",
            "Pacific/Chatham",
            "2025-04-06T02:45:01+12:45",
            "2025-04-07T02:50:00+12:45",
            "2025-04-06T02:50:00+13:45",
        ),
    ],
)
def test_where_cronsim_differs_from_debian_pulse_follows_debian(
    expr: str, zone: str, after: str, debian: str, cronsim: str
) -> None:
    start = datetime.fromisoformat(after)
    ours = next_fire_after(Schedule(cron=expr, timezone=zone), start, start)
    assert ours == datetime.fromisoformat(debian)
    model = next(t for t in debian_model.fires(expr, zone, start, start + timedelta(days=2)))
    assert model == ours
    theirs = next(CronSim(expr, start.astimezone(ZoneInfo(zone))))
    # In UTC: an aware time inside a repeated hour never equals one in another zone (PEP 495).
    assert theirs.astimezone(UTC) == datetime.fromisoformat(cronsim)


@pytest.mark.parametrize("zone", TRICKY_ZONES)
def test_offset_changes_are_found_where_the_model_finds_them(zone: str) -> None:
    tz = ZoneInfo(zone)
    for year in range(1990, 2038):
        found = [cronspec.instant(s) for s in cronspec._changes(tz, year)]
        assert found == changes(zone, year), year


def test_no_zone_changes_its_offset_twice_within_the_sampling_step_since_1970() -> None:
    # cronspec finds changes by sampling the offset; two changes closer than its step would be
    # missed. The zone files (read here through the pure-Python zoneinfo) say none are.
    from zoneinfo import _zoneinfo  # type: ignore[attr-defined]

    since = datetime(1970, 1, 1, tzinfo=UTC).timestamp()
    closest = float("inf")
    for key in ALL_ZONES:
        z = _zoneinfo.ZoneInfo.no_cache(key)
        stamps = [t for t in z._trans_utc if t >= since]
        closest = min([closest, *(b - a for a, b in pairwise(stamps))])
    assert closest > 2 * cronspec._SAMPLE
