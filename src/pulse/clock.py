"""Time, injected.

The engine never calls ``datetime.now`` or ``time.monotonic`` directly: it asks a clock, so tests
can move time by hand instead of sleeping while they wait for a schedule.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock and monotonic time."""

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never go backwards."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by ``seconds``."""
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        """Jump the wall clock to ``when`` (monotonic time moves by the same amount)."""
        when = when.astimezone(UTC)
        self._mono += max(0.0, (when - self._now).total_seconds())
        self._now = when


# Recently formatted timestamps: a batch of runs shares a few instants (the tick, the slot, the
# claim), each formatted many times over; a lookup costs a tenth of formatting.
_formatted: dict[datetime, str] = {}


def format_ts(when: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` and millisecond precision.

    The width is fixed, so stored timestamps compare as text in time order.
    """
    text = _formatted.get(when)
    if text is None:
        utc = when if when.tzinfo is UTC else when.astimezone(UTC)
        text = utc.isoformat(timespec="milliseconds")[:23] + "Z"
        if len(_formatted) >= 1024:
            _formatted.clear()
        _formatted[when] = text
    return text


def parse_ts(text: str) -> datetime:
    """Parse a timestamp written by :func:`format_ts` (or any RFC 3339 value)."""
    value = datetime.fromisoformat(text)  # Python 3.11 reads the "Z" itself
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
