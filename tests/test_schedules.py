"""Schedules: cron in a time zone (across DST), macros, intervals, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from pulse.errors import InvalidInputError
from pulse.models import Schedule
from pulse.schedules import describe, latest_slot_at_or_before, next_fire_after, validate

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def fires(schedule: Schedule, start: datetime, count: int) -> list[datetime]:
    out, t = [], start.astimezone(UTC)
    for _ in range(count):
        nxt = next_fire_after(schedule, t, start.astimezone(UTC))
        assert nxt is not None
        out.append(nxt)
        t = nxt
    return out


def local(ts: list[datetime], tz: ZoneInfo) -> list[str]:
    return [t.astimezone(tz).strftime("%m-%d %H:%M %Z") for t in ts]


def test_a_daily_job_in_the_repeated_hour_runs_once() -> None:
    # 2025-10-26: Berlin goes from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
    s = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")
    got = fires(s, datetime(2025, 10, 25, 12, 0, tzinfo=BERLIN), 3)
    assert local(got, BERLIN) == ["10-26 02:30 CEST", "10-27 02:30 CET", "10-28 02:30 CET"]


def test_a_daily_job_in_the_skipped_hour_still_runs_that_day() -> None:
    # 2025-03-30: Berlin jumps from 02:00 to 03:00; 02:30 does not exist that day.
    s = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")
    got = fires(s, datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN), 3)
    assert [t.astimezone(BERLIN).date().day for t in got] == [30, 31, 1]
    assert got[0].astimezone(BERLIN).hour == 3  # right after the jump, not lost


def test_an_hourly_job_loses_no_run_whose_time_exists_across_spring_forward() -> None:
    s = Schedule(cron="30 * * * *", timezone="Europe/Berlin")
    got = fires(s, datetime(2025, 3, 30, 0, 0, tzinfo=BERLIN), 3)
    assert local(got, BERLIN) == ["03-30 00:30 CET", "03-30 01:30 CET", "03-30 03:30 CEST"]
    # one real hour between each (01:30 CET → 03:30 CEST is one hour of elapsed time)
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(got))


def test_an_hourly_job_runs_once_per_real_hour_in_the_fall_back_hour() -> None:
    s = Schedule(cron="0 * * * *", timezone="America/New_York")
    got = fires(s, datetime(2025, 11, 2, 0, 30, tzinfo=NEW_YORK), 4)
    gaps = {b - a for a, b in pairwise(got)}
    assert gaps == {timedelta(hours=1)}
    assert len(set(got)) == 4


def test_cron_is_evaluated_in_the_jobs_time_zone() -> None:
    s = Schedule(cron="0 9 * * *", timezone="America/New_York")
    got = next_fire_after(
        s, datetime(2025, 1, 10, 0, 0, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert got == datetime(2025, 1, 10, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("macro", "expected"),
    [("@hourly", "01:00"), ("@daily", "00:00"), ("@midnight", "00:00"), ("@weekly", "00:00")],
)
def test_macros_are_accepted(macro: str, expected: str) -> None:
    s = validate(Schedule(cron=macro))
    got = next_fire_after(
        s, datetime(2025, 1, 1, 0, 0, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert got is not None and got.strftime("%H:%M") == expected


def test_intervals_stay_on_their_grid() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=UTC)
    s = Schedule(interval_seconds=60)
    assert next_fire_after(s, anchor + timedelta(seconds=61.5), anchor) == anchor + timedelta(
        seconds=120
    )


def test_after_downtime_the_latest_missed_slot_is_the_one_that_runs() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=UTC)
    s = Schedule(interval_seconds=60)
    now = anchor + timedelta(minutes=10, seconds=5)
    assert latest_slot_at_or_before(s, anchor, now, anchor) == anchor + timedelta(minutes=10)
    c = Schedule(cron="*/15 * * * *", timezone="UTC")
    assert latest_slot_at_or_before(c, anchor, anchor + timedelta(hours=2, minutes=7), anchor) == (
        anchor + timedelta(hours=2)
    )


@pytest.mark.parametrize(
    ("schedule", "field", "words"),
    [
        (Schedule(cron="61 * * * *"), "cron", "not a valid cron"),
        (Schedule(cron="* * *"), "cron", "5 fields"),
        (Schedule(cron="@fortnightly"), "cron", "unknown macro"),
        (Schedule(cron="0 0 30 2 *"), "cron", "day-of-month"),
        (Schedule(cron="* * * * *", timezone="Mars/Olympus"), "timezone", "unknown time zone"),
        (Schedule(interval_seconds=0), "interval_seconds", "positive"),
        (Schedule(interval_seconds=-5), "interval_seconds", "positive"),
        (Schedule(), "schedule", "either cron or interval_seconds"),
        (Schedule(cron="* * * * *", interval_seconds=5), "schedule", "not both"),
    ],
)
def test_invalid_schedules_name_the_field_and_the_reason(
    schedule: Schedule, field: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as e:
        validate(schedule)
    assert e.value.field == field
    assert words in str(e.value)


def test_schedules_read_as_words() -> None:
    assert describe(Schedule(interval_seconds=300)) == "every 5 minutes"
    assert describe(Schedule(interval_seconds=1)) == "every second"
    assert describe(Schedule(cron="0 2 * * *", timezone="Europe/Berlin")) == (
        "At 02:00 every day (Europe/Berlin)"
    )
