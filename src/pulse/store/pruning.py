"""How a prune runs, shared by both backends (each supplies the reads and one batch's deletes).

1. **The plan**, read once: each job's finished-execution count (from the counters) says whether
   any rule can apply at all: a job with no more than ``keep_min`` finished runs loses nothing,
   and the cap costs nothing to check while the job is under it. Then, per job, its *floor*
   (the ``keep_min``-th newest finished run: it and newer ones stay) and its *cap* (the
   ``keep_max``-th newest: older ones go). From these, per status, the newest key anything of
   that status may have to go, across all jobs.
2. **The walk**: per status, the executions of that status are read oldest first along
   ``idx_pulse_executions_status_started`` (status, started_at, id), from a cursor up to that
   key, ``size`` at a time; a batch deletes, in one transaction with their logs, those the
   job's rules let go, never the job's latest failure (read anew by the batch, in its
   transaction: a run that fails while the prune goes on becomes the latest failure and
   stays). The rules (:meth:`Plan.rules`) are applied in SQL, by the database: a row goes
   when it is older than the job's floor, and it started before the job's cutoff for its
   status or it is older than the job's cap. Walking in time order across all jobs deletes
   neighbours: each page of the table and of the indexes ordered by time is written once for
   many rows, where a walk job by job (a job's rows lying among the 99 other jobs') wrote one
   page per row; and the cursor moves past the rows that stay.
3. **The pace** (:class:`Pace`, one per backend): batches are sized by time, not count: one
   that took longer than the backend's ``batch_seconds`` makes the next smaller, one well under
   it the next larger (never over the ``batch`` asked for); and the pause after a batch is in
   proportion to the time it took, so that a prune leaves the scheduler its share of the
   database however loaded the machine is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pulse.clock import format_ts
from pulse.retention import PRUNABLE, RetentionPolicy

Key = tuple[str, str]  # (started_at, id): the order of the history
FIRST: Key = ("", "")  # before every execution

FIRST_BATCH = 100  # a prune's first batch, grown or shrunk by how long each takes
MIN_BATCH = 20


@dataclass(slots=True)
class JobRules:
    """One job's rules as the walk applies them."""

    cutoffs: dict[str, str]  # per status: executions started before this go (format_ts)
    floor: Key | None = None  # this run and newer ones stay (keep_min)
    cap: Key | None = None  # runs older than this one are past keep_max

    def bound(self, status: str) -> Key | None:
        """The key every execution of ``status`` that may go is older than; None when none of
        this status may go."""
        out: Key | None = None
        cutoff = self.cutoffs.get(status)
        if cutoff is not None:
            out = (cutoff, "")  # started before the cutoff, whatever the id
        if self.cap is not None and (out is None or self.cap > out):
            out = self.cap
        if out is not None and self.floor is not None and self.floor < out:
            out = self.floor
        return out


@dataclass(slots=True)
class Plan:
    """What a prune applies: the rules of each job that may lose anything."""

    jobs: dict[str, JobRules] = field(default_factory=dict)

    def bounds(self) -> dict[str, Key]:
        """Per status, the key every execution of that status that may go is older than."""
        out: dict[str, Key] = {}
        for status in PRUNABLE:
            keys = [b for rules in self.jobs.values() if (b := rules.bound(status)) is not None]
            if keys:
                out[status] = max(keys)
        return out

    def rules(self, status: str) -> list[dict[str, str | None]]:
        """The rules of the jobs that may lose executions of ``status``, as a backend applies
        them in SQL: per job its cutoff for the status, its floor and its cap (see the module
        docstring)."""
        out: list[dict[str, str | None]] = []
        for job_id, rules in self.jobs.items():
            if rules.bound(status) is None:
                continue
            floor, cap = rules.floor or (None, None), rules.cap or (None, None)
            out.append(
                {
                    "job": job_id,
                    "cut": rules.cutoffs.get(status),
                    "floor_at": floor[0],
                    "floor_id": floor[1],
                    "cap_at": cap[0],
                    "cap_id": cap[1],
                }
            )
        return out


async def plan(
    policies: Mapping[str, RetentionPolicy],
    now: datetime,
    finished_counts: Callable[[], Awaitable[Mapping[str, int]]],
    nth_finished: Callable[[str, int, bool], Awaitable[Key | None]],
) -> Plan:
    """The plan of a prune: ``finished_counts()`` gives each job's finished executions,
    ``nth_finished(job, n, newest)`` the key of its ``n``-th finished one, counted from the
    newest (1 = the newest) or, with ``newest`` false, from the oldest.

    A job's cap is found from whichever end is nearer: a job that keeps running at its cap has a
    few runs over it at each prune, and its ``keep_max``-th newest is then the few-th oldest,
    read in a few index entries instead of ``keep_max``. Runs ending meanwhile, which the
    counters read before did not count, only make that run older: fewer go, never more. (Runs
    of a job leave only by a prune, one at a time, or with the job.)"""
    counts = await finished_counts()
    out = Plan()
    for job_id, policy in policies.items():
        finished = counts.get(job_id, 0)
        cutoffs = {s: format_ts(t) for s, t in policy.cutoffs(now).items() if s in PRUNABLE}
        capped = policy.keep_max is not None and finished > policy.keep_max
        if finished <= policy.keep_min or not (cutoffs or capped):
            continue
        rules = JobRules(cutoffs)
        if policy.keep_min > 0:
            rules.floor = await nth_finished(job_id, policy.keep_min, True)
            if rules.floor is None:  # fewer finished runs than the counters said: keep them
                continue
        if capped:
            assert policy.keep_max is not None
            over = finished - policy.keep_max
            if over < policy.keep_max:
                rules.cap = await nth_finished(job_id, over + 1, False)
            else:
                rules.cap = await nth_finished(job_id, policy.keep_max, True)
        out.jobs[job_id] = rules
    return out


@dataclass(slots=True)
class Batch:
    """What one batch of the walk did."""

    full: bool  # whether it read all it could (else the walk of this status is done)
    last: Key  # the newest key it covered: the next batch starts after it
    deleted: dict[str, int]  # per job, how many went (or would go, in a dry run)


def batch_params(status: str, after: Key, bound: Key) -> dict[str, str]:
    """The parameters a backend's batch query names for its range of one status."""
    return {
        "status": status,
        "after_at": after[0],
        "after_id": after[1],
        "bound_at": bound[0],
        "bound_id": bound[1],
    }


# One batch: (status, after, bound, size) -> what it did. It reads the executions of ``status``
# with ``after < key < bound``, oldest first, at most ``size`` of them.
BatchFn = Callable[[str, Key, Key, int], Awaitable[Batch]]


@dataclass(frozen=True, slots=True)
class Pace:
    """How a backend's prune shares the database with the scheduler."""

    batch_seconds: float  # how long one batch may take
    pause_ratio: float  # the pause after a batch: at least this times the batch's own time


# SQLite: a batch holds the node's one writer, and every write of the scheduler queued behind it
# waits: short batches, and at least as long again for the scheduler.
SQLITE_PACE = Pace(batch_seconds=0.02, pause_ratio=1.5)
# PostgreSQL: a batch holds only its own rows; what it takes from the scheduler is CPU, on the
# server and the node.
POSTGRES_PACE = Pace(batch_seconds=0.1, pause_ratio=0.5)


async def walk(
    the_plan: Plan, batch: BatchFn, *, size: int, pause: float, pace: Pace | None
) -> dict[str, int]:
    """Run the batches of a prune (see the module docstring); per job, how many went. Without
    ``pace`` (a dry run, which writes nothing) batches are ``size`` long, ``pause`` apart."""
    out: dict[str, int] = {}
    n = size if pace is None else min(size, FIRST_BATCH)
    for status, bound in the_plan.bounds().items():
        after = FIRST
        while True:
            started = time.monotonic()
            done = await batch(status, after, bound, n)
            add_counts(out, done.deleted)
            if not done.full:
                break
            after = done.last
            took = time.monotonic() - started
            if pace is not None:
                n = next_size(n, took, size, pace)
                await asyncio.sleep(max(pause, took * pace.pause_ratio))
            else:
                await asyncio.sleep(pause)
    return out


def next_size(n: int, took: float, most: int, pace: Pace) -> int:
    """The next batch's size after one of ``n`` took ``took`` seconds."""
    if took > pace.batch_seconds:
        return max(min(MIN_BATCH, most), int(n * pace.batch_seconds / took))
    if took < pace.batch_seconds / 2:
        return min(most, n * 2)
    return n


def add_counts(total: dict[str, int], more: Mapping[str, int]) -> None:
    for job_id, n in more.items():
        if n:
            total[job_id] = total.get(job_id, 0) + n
