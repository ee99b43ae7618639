"""Statistics that survive pruning: roll-ups of finished executions.

As each execution ends, the store adds it to two roll-ups of its job, the hour and the (UTC)
day it started in: how many completed, how many failed, their total, shortest and longest
duration, and a histogram of durations over fixed log-scale buckets. The writes happen in the
same transaction as the end (a trigger), so a roll-up never misses or doubles a run; deleting
executions (pruning) never touches them, and ``pulse stats rebuild`` recomputes them from the
raw history that is left.

The buckets grow by :data:`RATIO` (10 %): bucket 0 holds durations under 1 ms, bucket ``b >= 1``
holds ``[RATIO**(b-1), RATIO**b)`` ms. A percentile read from the histogram is the geometric
middle of its bucket, clamped to the shortest and longest run, so it is within
``sqrt(RATIO) - 1`` (4.9 %) of the exact one before it is rounded to the millisecond. The
store computes the same bucket in SQL (the migration's triggers and the rebuild queries), so
the Python and SQL sides must keep the same formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

RATIO = 1.1
_LOG_RATIO = math.log(RATIO)
MAX_DAYS = 400  # the longest window a stats query takes
HOURLY_UP_TO_DAYS = 2  # windows of up to this many days get hourly series, longer ones daily


def bucket(duration_ms: int) -> int:
    """The histogram bucket of a duration (see the module docstring)."""
    if duration_ms < 1:
        return 0
    return 1 + math.floor(math.log(duration_ms) / _LOG_RATIO)


def bucket_value(b: int) -> float:
    """The duration a bucket stands for: its geometric middle (0 for bucket 0)."""
    if b <= 0:
        return 0.0
    return float(RATIO ** (b - 0.5))


class Period(StrEnum):
    HOUR = "hour"
    DAY = "day"

    def floor(self, when: datetime) -> datetime:
        """The start of the period holding ``when`` (UTC)."""
        when = when.astimezone(UTC)
        if self is Period.HOUR:
            return when.replace(minute=0, second=0, microsecond=0)
        return when.replace(hour=0, minute=0, second=0, microsecond=0)

    @property
    def length(self) -> timedelta:
        return timedelta(hours=1) if self is Period.HOUR else timedelta(days=1)


@dataclass(slots=True)
class Rollup:
    """Finished executions of one period (of one job, or merged over several)."""

    completed: int = 0
    failed: int = 0
    total_ms: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    buckets: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.completed + self.failed

    def add(self, other: Rollup) -> None:
        self.completed += other.completed
        self.failed += other.failed
        self.total_ms += other.total_ms
        if other.min_ms is not None:
            self.min_ms = other.min_ms if self.min_ms is None else min(self.min_ms, other.min_ms)
        if other.max_ms is not None:
            self.max_ms = other.max_ms if self.max_ms is None else max(self.max_ms, other.max_ms)
        for b, n in other.buckets.items():
            self.buckets[b] = self.buckets.get(b, 0) + n

    def add_run(self, completed: bool, duration_ms: int) -> None:
        """Count one finished execution (what the store's trigger does, for tests and rebuilds
        done in Python)."""
        if completed:
            self.completed += 1
        else:
            self.failed += 1
        self.total_ms += duration_ms
        self.min_ms = duration_ms if self.min_ms is None else min(self.min_ms, duration_ms)
        self.max_ms = duration_ms if self.max_ms is None else max(self.max_ms, duration_ms)
        b = bucket(duration_ms)
        self.buckets[b] = self.buckets.get(b, 0) + 1

    @property
    def success_rate(self) -> float | None:
        return None if self.total == 0 else self.completed / self.total

    def percentile(self, q: float) -> int | None:
        """The ``q`` quantile (0 < q <= 1) of the durations, nearest rank, from the histogram;
        None when nothing finished."""
        count = sum(self.buckets.values())
        if count == 0:
            return None
        rank = max(1, math.ceil(q * count))
        seen = 0
        for b in sorted(self.buckets):
            seen += self.buckets[b]
            if seen >= rank:
                value = bucket_value(b)
                if self.min_ms is not None:
                    value = max(value, self.min_ms)
                if self.max_ms is not None:
                    value = min(value, self.max_ms)
                return round(value)
        return self.max_ms  # pragma: no cover - the loop always reaches the rank


def merged(rollups: Iterable[Rollup]) -> Rollup:
    total = Rollup()
    for r in rollups:
        total.add(r)
    return total


@dataclass(frozen=True, slots=True)
class Window:
    """The periods a stats query covers: the last ``days`` days up to ``now``, hourly for
    short windows and daily (UTC days) for longer ones. ``start`` is the first period's."""

    days: int
    period: Period
    start: datetime
    end: datetime  # exclusive: the start of the period after the one holding now

    @classmethod
    def last(cls, days: int, now: datetime) -> Window:
        period = Period.HOUR if days <= HOURLY_UP_TO_DAYS else Period.DAY
        end = period.floor(now) + period.length
        count = days * 24 if period is Period.HOUR else days
        return cls(days, period, end - count * period.length, end)

    def starts(self) -> list[datetime]:
        out = []
        at = self.start
        while at < self.end:
            out.append(at)
            at += self.period.length
        return out


SETTLE_MARGIN = timedelta(minutes=5)
"""How long after a period ends its roll-ups may still change without a run of it running
(a run recorded a moment after it started; another node's clock a little behind)."""


def settled_until(window: Window, now: datetime, running_since: datetime | None) -> datetime:
    """The start of the first period of ``window`` whose roll-ups may still change: periods
    before it ended more than :data:`SETTLE_MARGIN` ago, and before the start of the oldest
    execution still running (``running_since``), so no run can still be added to them. Only
    a rebuild, or deleting a job, changes them after that."""
    limit = now - SETTLE_MARGIN
    if running_since is not None:
        limit = min(limit, running_since)
    return max(window.start, min(window.period.floor(limit), window.end))


def series(
    window: Window,
    by_start: Mapping[datetime, Rollup],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, object]]:
    """Every period of the window in order (those starting at or after ``since`` and before
    ``until``, if given), with zeros where nothing ran."""
    points: list[dict[str, object]] = []
    for start in window.starts():
        if (since is not None and start < since) or (until is not None and start >= until):
            continue
        r = by_start.get(start) or Rollup()
        points.append(
            {
                "start": start,
                "completed": r.completed,
                "failed": r.failed,
                "p95_ms": r.percentile(0.95),
            }
        )
    return points


def durations(r: Rollup) -> dict[str, int | None]:
    return {
        "p50": r.percentile(0.5),
        "p95": r.percentile(0.95),
        "p99": r.percentile(0.99),
        "max": r.max_ms,
    }
