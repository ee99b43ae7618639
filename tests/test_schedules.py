"""Schedules: cron in a time zone (across DST), macros, intervals, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from pulse.errors import InvalidInputError
from pulse.models import Schedule
from pulse.schedules import (
    MAX_INTERVAL_SECONDS,
    describe,
    latest_slot_at_or_before,
    missed_slots,
    next_fire_after,
    validate,
)

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
        (Schedule(cron="0 0 30 2 *"), "cron", "would never fire: day-of-month 30"),
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


# -- Issue 8, item 7: clock changes ------------------------------------------------------------


def test_a_fixed_time_job_restarted_in_the_repeated_hour_waits_for_the_next_day() -> None:
    # 2025-10-26 in Berlin, 02:40 CET: the second pass of 02:xx. 02:30 ran in the first pass.
    s = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")
    now = datetime(2025, 10, 26, 2, 40, tzinfo=BERLIN).replace(fold=1)
    got = next_fire_after(s, now, now)
    assert got is not None and got > now
    assert local([got], BERLIN) == ["10-27 02:30 CET"]


def test_every_tick_through_the_repeated_hour_moves_the_next_fire_forward() -> None:
    s = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")
    t = datetime(2025, 10, 25, 23, 0, tzinfo=UTC)
    while t < datetime(2025, 10, 26, 3, 0, tzinfo=UTC):
        got = next_fire_after(s, t, t)
        assert got is not None and got > t
        t += timedelta(seconds=17)


def test_chatham_45_minute_change_neither_freezes_nor_loses_a_slot() -> None:
    chatham = ZoneInfo("Pacific/Chatham")
    s = Schedule(cron="45 */2 * * *", timezone="Pacific/Chatham")
    # 2025-04-06 03:45 +13:45 becomes 02:45 +12:45: 02:45 happens twice, both are real.
    got = fires(s, datetime(2025, 4, 6, 0, 0, tzinfo=chatham), 4)
    assert local(got, chatham) == [
        "04-06 00:45 +1345",
        "04-06 02:45 +1345",
        "04-06 02:45 +1245",
        "04-06 04:45 +1245",
    ]
    first_due = datetime(2025, 4, 4, 0, 0, tzinfo=UTC)
    now = datetime(2025, 4, 5, 13, 59, tzinfo=UTC)  # between the two 02:45s
    assert latest_slot_at_or_before(s, first_due, now, first_due) == got[1]
    assert latest_slot_at_or_before(s, first_due, got[2], first_due) == got[2]


def test_lord_howe_fixed_job_in_the_skipped_half_hour_runs_right_after_the_jump() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # 2025-10-05 02:00 +10:30 jumps to 02:30 +11:00.
    s = Schedule(cron="15 2 * * *", timezone="Australia/Lord_Howe")
    got = fires(s, datetime(2025, 10, 4, 12, 0, tzinfo=lord_howe), 2)
    assert local(got, lord_howe) == ["10-05 02:30 +11", "10-06 02:15 +11"]


def test_lord_howe_wildcard_job_never_fires_for_a_skipped_time() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    s = Schedule(cron="15 * * * *", timezone="Australia/Lord_Howe")
    got = fires(s, datetime(2025, 10, 5, 0, 0, tzinfo=lord_howe), 3)
    assert local(got, lord_howe) == ["10-05 00:15 +1030", "10-05 01:15 +1030", "10-05 03:15 +11"]


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # Midnight does not exist on these days: the job runs at the first instant after.
        ("Asia/Tehran", datetime(2021, 3, 21), "03-22 01:00 +0430"),
        ("America/Sao_Paulo", datetime(2017, 10, 14), "10-15 01:00 -02"),
        ("America/Havana", datetime(2024, 3, 9), "03-10 01:00 CDT"),
    ],
)
def test_a_midnight_job_runs_right_after_a_jump_over_midnight(
    zone: str, day: datetime, expected: str
) -> None:
    tz = ZoneInfo(zone)
    s = Schedule(cron="0 0 * * *", timezone=zone)
    got = fires(s, day.replace(hour=12, tzinfo=tz), 1)
    assert local(got, tz) == [expected]


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Asia/Tehran", datetime(2021, 9, 21)), ("America/Sao_Paulo", datetime(2018, 2, 17))],
)
def test_a_midnight_job_runs_once_when_midnight_repeats(zone: str, day: datetime) -> None:
    tz = ZoneInfo(zone)
    s = Schedule(cron="0 0 * * *", timezone=zone)
    got = fires(s, day.replace(hour=12, tzinfo=tz), 2)
    assert [t.astimezone(tz).strftime("%d %H:%M") for t in got] == [
        f"{day.day + 1:02d} 00:00",
        f"{day.day + 2:02d} 00:00",
    ]


# -- syntax ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("5/10 * * * *", "a step needs a range or '*'"),
        ("0 0 L/2 * *", "not a number"),
        ("0 0 L * *", "not a number"),
        ("0 0 * * 1#2", "neither a number nor a name"),
        ("0 0 ? * *", "not a number"),
        ("0 0 * * *,MON", "'*' cannot be combined"),
        ("0\u00a00 * * *", "only ASCII"),
        ("0\u20030 * * *", "only ASCII"),
        ("0 \u0661 * * *", "only ASCII"),  # an Arabic-Indic digit one
        ("*/0 * * * *", "at least 1"),
        ("5-2 * * * *", "backwards"),
        ("0 24 * * *", "not in 0-23"),
        ("0 0 * * 8", "not in 0-7"),
        ("0 0 * * monday", "neither a number nor a name"),
        ("0 0 jan * *", "not a number"),
        ("0,,5 * * * *", "empty list element"),
        ("0 0 31 4,6 *", "would never fire"),
        ("0 0 31 2 */2", "would never fire"),
        ("@reboot", "@reboot is not supported"),
    ],
)
def test_syntax_debian_cron_refuses_is_refused(expr: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        validate(Schedule(cron=expr))
    assert e.value.field == "cron"
    assert words in str(e.value)


@pytest.mark.parametrize(
    "expr",
    [
        "0 0 * * mon-fri",
        "0 0 * JAN-Mar SUN",
        "0\t0  *\t* 7",
        "*/5 1-5/2 1,15 */3 *",
        "00 02 * * *",
        "0 0 31 2 mon",  # both day fields restricted: any Monday in February
        "@annually",
        "@DAILY",
    ],
)
def test_syntax_debian_cron_accepts_is_accepted(expr: str) -> None:
    validate(Schedule(cron=expr))


def test_both_day_fields_restricted_means_either() -> None:
    s = Schedule(cron="0 12 13 * 5")  # the 13th, and every Friday
    got = fires(s, datetime(2025, 6, 1, tzinfo=UTC), 3)
    assert [t.day for t in got] == [6, 13, 20]
    star = Schedule(cron="0 12 */1 * 5")  # a field starting with '*' means both must hold
    got = fires(star, datetime(2025, 6, 1, tzinfo=UTC), 2)
    assert [t.day for t in got] == [6, 13]


# -- intervals and time zones ------------------------------------------------------------------


def test_an_interval_takes_no_time_zone() -> None:
    with pytest.raises(InvalidInputError) as e:
        validate(Schedule(interval_seconds=60, timezone="Europe/Berlin"))
    assert e.value.field == "timezone"
    assert "only applies to cron" in str(e.value)
    assert validate(Schedule(interval_seconds=60, timezone="")).timezone == "UTC"
    assert validate(Schedule(interval_seconds=60)).timezone == "UTC"


def test_intervals_are_bounded_and_never_overflow() -> None:
    validate(Schedule(interval_seconds=MAX_INTERVAL_SECONDS))
    for bad in (MAX_INTERVAL_SECONDS + 1, 10**12):
        with pytest.raises(InvalidInputError, match="at most"):
            validate(Schedule(interval_seconds=bad))
    s = Schedule(interval_seconds=MAX_INTERVAL_SECONDS)
    late = datetime(9995, 1, 1, tzinfo=UTC)
    assert next_fire_after(s, late, late) is None


@pytest.mark.parametrize(
    "name",
    ["", "x" * 65, "Europe", "Europe/", "zone.tab", "../etc/passwd", "a\x00b", "Europe/Berlin "],
)
def test_odd_time_zone_names_are_refused_not_crashed_on(name: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        validate(Schedule(cron="* * * * *", timezone=name))
    assert e.value.field == "timezone"


# -- missed slots ------------------------------------------------------------------------------


def test_missed_slots_say_how_many_and_between_which_times() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=UTC)
    got = missed_slots(
        Schedule(interval_seconds=60), anchor, anchor + timedelta(minutes=10, seconds=5), anchor
    )
    assert (got.count, got.first, got.last, got.capped) == (
        11,
        anchor,
        anchor + timedelta(minutes=10),
        False,
    )
    c = Schedule(cron="*/15 * * * *")
    got = missed_slots(c, anchor + timedelta(minutes=1), anchor + timedelta(hours=2), anchor)
    assert (got.count, got.first, got.last) == (
        8,
        anchor + timedelta(minutes=15),
        anchor + timedelta(hours=2),
    )


def test_missed_slots_stop_counting_at_the_cap_but_know_the_last() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=UTC)
    now = anchor + timedelta(days=30)
    got = missed_slots(Schedule(cron="* * * * *"), anchor, now, anchor, cap=100)
    assert (got.count, got.capped, got.first, got.last) == (100, True, anchor, now)
