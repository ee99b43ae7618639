"""The application layer: every operation on jobs, in one place.

The REST API, the CLI (where it acts on its own node, e.g. ``pulse serve --demo``) and Python
embedders call :class:`JobService`; none of them composes the steps itself. A write is always
the same four steps, in this order:

1. validate the input (:mod:`pulse.jobs`), raising InvalidInputError naming the field;
2. write it to the store, which raises NotFoundError for an unknown id;
3. announce it on the event hub (``pulse_job_changed``), only once the write is committed, so
   that nobody hears of a change that did not happen;
4. wake the engine (the ticker for a new or changed schedule, the workers for a run request), so
   that the change takes effect now rather than at the next poll.

Reads go through the service too, so that its callers need to know nothing of the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pulse.clock import Clock, format_ts
from pulse.engine.engine import Engine
from pulse.errors import ConflictError, InvalidInputError
from pulse.events import EventHub, ExecutionCancelling, JobChange, JobChanged, Subscriber
from pulse.jobs import change_job, new_job
from pulse.models import (
    Execution,
    ExecutionStatus,
    Job,
    JobState,
    LogChunk,
    Page,
    RunRequest,
    Trigger,
)
from pulse.retention import (
    DEFAULT_POLICY,
    JobPrune,
    PruneReport,
    RetentionPolicy,
    merge,
    parse_policy,
    parse_rules,
)
from pulse.search import EXPORT_BATCH, ExecutionFilter, check_limit, decode_cursor, encode_cursor
from pulse.stats import MAX_DAYS, Rollup, Window, durations, merged, series, settled_until
from pulse.store import Store
from pulse.store.search import Row

DELETE_WAIT_SECONDS = 30.0
"""How long deleting a job waits for this node's runs of it to stop and be recorded."""

RETENTION_SETTING = "retention"  # the global retention policy, in the store's settings
TOP = 5  # jobs listed as failing most, and as slowest
LATEST_FAILURES = 10
RECENT_OUTCOMES = 20  # outcomes per job in the jobs list's strip
SETTLED_TTL = timedelta(minutes=5)
"""How long the roll-ups of a window's settled periods (see :func:`settled_until`) are kept
before they are read again: the bound on how long another node's rebuild or job deletion may
take to show in this node's statistics (this node's own clear them at once)."""
MAX_SETTLED = 256  # windows (of a job, or of all) whose settled part is kept


@dataclass(slots=True)
class _Settled:
    """A window's roll-ups of its settled periods (see :func:`settled_until`), read once and
    kept with what is computed from them."""

    start: datetime  # the window's first period
    until: datetime  # the first period not settled
    read_at: datetime
    by_start: dict[datetime, Rollup]
    by_job: dict[str, Rollup]  # the overview's only
    total: Rollup  # by_start merged
    points: list[dict[str, object]]  # the series' points of the settled periods


log = logging.getLogger("pulse.service")


class JobService:
    """Jobs, their runs and their history, for one node."""

    def __init__(self, store: Store, engine: Engine, hub: EventHub, clock: Clock) -> None:
        self.store = store
        self.engine = engine
        self.hub = hub
        self.clock = clock
        # By (job, or None for all, and days): see _rollups. Each clear starts a generation: a
        # read begun before it is not kept.
        self._settled: dict[tuple[str | None, int], _Settled] = {}
        self._settled_generation = 0

    # -- jobs -----------------------------------------------------------------------------------
    async def list_jobs(self) -> list[Job]:
        """Every job, ordered by name then id, with its last execution's status and duration."""
        return await self.store.list_jobs()

    async def get_job(self, job_id: str) -> Job:
        """The job, with its last execution's status and duration; NotFoundError if none has
        this id."""
        return await self.store.get_job(job_id)

    async def create_job(
        self, fields: dict[str, Any], *, first_run_at: datetime | None = None
    ) -> Job:
        """Create a job from the fields the API takes (``name``, a schedule, a target,
        policies) and announce it (``created``). Its first run is the schedule's next slot, or
        ``first_run_at`` when given (the demo jobs use it to run within seconds). Nothing is
        stored when a field is invalid."""
        job = new_job(fields, self.clock.now())
        if first_run_at is not None:
            job = replace(job, next_run_at=first_run_at)
        job = await self.store.create_job(job)
        self._announce(job.id, "created")
        return job

    async def update_job(self, job_id: str, fields: dict[str, Any]) -> Job:
        """Change the fields given, and only those, and announce it (``updated``). A changed
        schedule counts from now. Nothing is stored when a field is invalid."""
        job = await self.store.get_job(job_id)
        job = await self.store.update_job(change_job(job, fields, self.clock.now()))
        self._announce(job.id, "updated")
        return job

    async def pause_job(self, job_id: str) -> Job:
        """Stop the job firing on its schedule (runs going on are left to end, retries waiting
        for their turn are dropped) and announce it (``updated``). Pausing a paused job changes
        nothing but is announced all the same."""
        job = await self.update_job(job_id, {"state": JobState.PAUSED.value})
        await self.store.drop_queued_retries(job_id)
        return job

    async def resume_job(self, job_id: str) -> Job:
        """Let the job fire again from its next slot after now (slots missed while paused do
        not run) and announce it (``updated``)."""
        return await self.update_job(job_id, {"state": JobState.ACTIVE.value})

    async def delete_job(self, job_id: str) -> None:
        """Delete a job with its history, and announce it (``deleted``). Its running executions
        on this node are stopped first (SIGTERM, SIGKILL a few seconds later) and recorded
        ``failed`` ("job deleted"), so that no process of a deleted job goes on unrecorded; runs
        of it on other nodes are stopped when they hear of the deletion."""
        job = await self.store.get_job(job_id)
        if job.state is JobState.ACTIVE:
            # No new firing while its runs are stopped.
            await self.store.update_job(replace(job, state=JobState.PAUSED))
        if self.engine.stop_runs_of_job(job_id, "job deleted"):
            await self.engine.wait_runs_of_job(job_id, timeout=DELETE_WAIT_SECONDS)
        await self.store.delete_job(job_id)
        self._forget_settled()  # its runs no longer count
        self._announce(job_id, "deleted")

    async def run_now(self, job_id: str) -> RunRequest:
        """Queue a run of the job now, whatever its state and schedule; the run request names
        the execution that will record it. Its start is announced when a worker takes it, like
        any other run."""
        job = await self.store.get_job(job_id)
        return await self.engine.trigger(job)

    async def cancel(self, execution_id: str) -> Execution:
        """Cancel a running execution, on whichever node runs it: that node sends its command
        SIGTERM (SIGKILL after the shutdown grace) or cancels its handler, and records it
        ``failed`` "cancelled" with ``cancelled_at``. The cancel is stored on the execution
        first, so a node that misses the announcement acts on it at its next heartbeat.
        NotFoundError for an unknown id; ConflictError (409) for a finished execution."""
        execution = await self.store.get_execution(execution_id)
        at = None
        if execution.status is ExecutionStatus.RUNNING:
            at = await self.store.request_cancel(execution_id, self.clock.now())
        if at is None:
            now = (await self.store.get_execution(execution_id)).status
            raise ConflictError(
                f"execution {execution_id!r} is {now}: only a running execution can be cancelled"
            )
        job_id = execution.scheduled_job_id
        self.hub.publish(ExecutionCancelling(execution_id, job_id, format_ts(at)))
        self.engine.cancel(execution_id, at)
        return replace(execution, cancel_requested_at=at)

    async def rerun(self, execution_id: str) -> RunRequest:
        """Run a finished execution's job again now, as a new execution (``trigger`` "rerun",
        ``rerun_of`` the original). NotFoundError for an unknown execution or a job deleted
        since; ConflictError (409) while the execution still runs."""
        execution = await self.store.get_execution(execution_id)
        if execution.status is ExecutionStatus.RUNNING:
            raise ConflictError(
                f"execution {execution_id!r} is still running: re-run it once it has ended"
            )
        job = await self.store.get_job(execution.scheduled_job_id)
        return await self.engine.trigger(job, Trigger.RERUN, rerun_of=execution.id)

    async def runs_of(self, execution_id: str) -> list[Execution]:
        """The executions that ran this one again: its re-runs, and (for a first attempt) its
        retries, oldest first."""
        return await self.store.runs_of(execution_id)

    # -- history --------------------------------------------------------------------------------
    async def list_executions(
        self,
        job_id: str,
        limit: int,
        offset: int = 0,
        status: ExecutionStatus | None = None,
    ) -> Page:
        """A page of the job's executions, newest first, without their logs; NotFoundError for
        an unknown job."""
        return await self.store.list_executions(job_id, limit, offset, status)

    async def get_execution(self, execution_id: str) -> Execution:
        """One execution, without its log; NotFoundError if none has this id."""
        return await self.store.get_execution(execution_id)

    async def read_logs(self, execution_id: str, after_seq: int, limit: int) -> list[LogChunk]:
        """Up to ``limit`` log chunks of the execution after ``after_seq``, in order."""
        return await self.store.read_logs(execution_id, after_seq, limit)

    def iter_logs(self, execution_id: str, after_seq: int = 0) -> AsyncIterator[LogChunk]:
        """Every log chunk of the execution after ``after_seq``, in order, read a batch at a
        time so that a large log costs constant memory."""
        return self.store.iter_logs(execution_id, after_seq)

    # -- retention ------------------------------------------------------------------------------
    async def get_retention(self) -> RetentionPolicy:
        """The global retention policy (the defaults until one is set)."""
        stored = await self.store.get_setting(RETENTION_SETTING)
        return DEFAULT_POLICY if stored is None else merge(DEFAULT_POLICY, parse_rules(stored))

    async def set_retention(self, value: object) -> RetentionPolicy:
        """Replace the global retention policy; rules left out take their defaults. Nothing is
        stored when a rule is invalid (InvalidInputError names it). The next prune applies it."""
        policy = parse_policy(value)
        await self.store.put_setting(RETENTION_SETTING, policy.to_json(), self.clock.now())
        return policy

    async def policies(self) -> tuple[RetentionPolicy, dict[str, RetentionPolicy]]:
        """The global policy, and each job's: its overrides laid over the global one."""
        base = await self.get_retention()
        return base, {j.id: merge(base, j.retention) for j in await self.store.list_jobs()}

    async def prune(
        self, *, dry_run: bool = False, trigger: str = "manual", wait: bool = True
    ) -> PruneReport | None:
        """Delete (or, dry, count) the executions the retention policies let go, in small
        batches, and keep a report of it (not of dry runs). On PostgreSQL one node prunes at a
        time: without ``wait``, None is returned at once while another node prunes."""
        started = self.clock.now()
        base, policies = await self.policies()
        settings = self.engine.settings
        counts = await self.store.prune_executions(
            policies,
            self.clock.now(),
            batch=settings.prune_batch,
            pause=0.0 if dry_run else settings.prune_pause_seconds,
            dry_run=dry_run,
            wait=wait,
        )
        if counts is None:
            return None
        report = PruneReport(
            started_at=started,
            finished_at=self.clock.now(),
            node_id=self.engine.node_id,
            trigger=trigger,
            dry_run=dry_run,
            deleted=sum(counts.values()),
            policy=base,
            jobs=[JobPrune(job_id, n, policies[job_id]) for job_id, n in sorted(counts.items())],
        )
        if not dry_run:
            await self.store.record_prune(report)
            if report.deleted:
                log.info(
                    "pruned %d executions of %d jobs (%s)",
                    report.deleted,
                    len(report.jobs),
                    trigger,
                )
        return report

    async def prune_in_background(self) -> None:
        """The maintenance loop's round: a prune, unless another node is pruning."""
        await self.prune(trigger="schedule", wait=False)

    async def list_prunes(self, limit: int = 20) -> list[PruneReport]:
        """The latest prunes, newest first."""
        return await self.store.list_prunes(limit)

    # -- statistics -----------------------------------------------------------------------------
    async def job_stats(self, job_id: str, days: int) -> dict[str, Any]:
        """A job's runs in the last ``days`` days: totals, duration percentiles, and a series
        (hourly for two days or less, else daily); from the roll-ups, so pruned runs count."""
        await self.store.get_job(job_id)  # NotFoundError for an unknown job
        window = Window.last(_days(days), self.clock.now())
        kept, recent, _ = await self._rollups(
            job_id, window, await self.store.oldest_running(job_id)
        )
        return {"job_id": job_id, **_totals(window, kept, recent)}

    async def overall_stats(self, days: int) -> dict[str, Any]:
        """The same across all jobs, with what needs a look: the jobs failing most, the
        slowest, the latest failures, and what runs now."""
        window = Window.last(_days(days), self.clock.now())
        # Independent reads, side by side (the store's reader threads or pooled connections).
        names, failures, running = await asyncio.gather(
            self.store.job_names(),
            self.store.latest_failures(window.start, LATEST_FAILURES),
            self.store.running_executions(),
        )
        oldest = min((e.started_at for e in running), default=None)
        kept, recent, recent_by_job = await self._rollups(None, window, oldest)
        by_job = dict(kept.by_job)
        for job_id, r in recent_by_job.items():
            before = by_job.get(job_id)
            by_job[job_id] = r if before is None else merged((before, r))
        by_job = {job_id: r for job_id, r in by_job.items() if job_id in names}
        failing = sorted(
            (item for item in by_job.items() if item[1].failed),
            key=lambda item: (-item[1].failed, -(item[1].total), names[item[0]]),
        )[:TOP]
        slowest = sorted(
            by_job.items(),
            key=lambda item: (-(item[1].total_ms / max(item[1].total, 1)), names[item[0]]),
        )[:TOP]
        slow_reads = await asyncio.gather(
            *(self.store.stats(job_id, window.period, window.start) for job_id, _ in slowest)
        )
        slow_stats = {
            job_id: merged(read.values())
            for (job_id, _), read in zip(slowest, slow_reads, strict=True)
        }
        return {
            **_totals(window, kept, recent),
            "running": running,
            "failing": [
                {
                    "job_id": job_id,
                    "name": names[job_id],
                    "failed": r.failed,
                    "total": r.total,
                    "success_rate": r.success_rate,
                }
                for job_id, r in failing
            ],
            "slowest": [
                {
                    "job_id": job_id,
                    "name": names[job_id],
                    "p95_ms": slow_stats[job_id].percentile(0.95),
                    "max_ms": r.max_ms,
                    "total": r.total,
                }
                for job_id, r in slowest
            ],
            "latest_failures": [
                {
                    "id": e.id,
                    "scheduled_job_id": e.scheduled_job_id,
                    "job_name": names.get(e.scheduled_job_id),
                    "started_at": e.started_at,
                    "duration_ms": e.duration_ms,
                    "error_message": e.error_message,
                }
                for e in failures
            ],
        }

    async def _rollups(
        self, job_id: str | None, window: Window, oldest_running: datetime | None
    ) -> tuple[_Settled, dict[datetime, Rollup], dict[str, Rollup]]:
        """A job's (or all jobs') roll-ups of ``window``: those of its settled periods (all
        but the last one or two, unless a run has been going on since), read once and kept
        for up to SETTLED_TTL; and those of the periods after, read now, by period and (for
        all jobs) by job. So a window of 90 days reads one or two days' roll-ups."""
        now = self.clock.now()
        until = settled_until(window, now, oldest_running)
        key = (job_id, window.days)
        kept = self._settled.get(key)
        if (
            kept is None
            or (kept.start, kept.until) != (window.start, until)
            or now - kept.read_at > SETTLED_TTL
        ):
            generation = self._settled_generation
            by_start: dict[datetime, Rollup] = {}
            by_job: dict[str, Rollup] = {}
            if until > window.start:
                if job_id is None:
                    by_start, by_job = await asyncio.gather(
                        self.store.stats(None, window.period, window.start, until),
                        self.store.stats_by_job(window.period, window.start, until),
                    )
                else:
                    by_start = await self.store.stats(job_id, window.period, window.start, until)
            points = series(window, by_start, until=until)
            kept = _Settled(
                window.start, until, now, by_start, by_job, merged(by_start.values()), points
            )
            if generation == self._settled_generation:
                self._settled.pop(key, None)
                self._settled[key] = kept
                while len(self._settled) > MAX_SETTLED:
                    self._settled.pop(next(iter(self._settled)))
        if job_id is None:
            recent, recent_by_job = await asyncio.gather(
                self.store.stats(None, window.period, until),
                self.store.stats_by_job(window.period, until),
            )
        else:
            recent, recent_by_job = await self.store.stats(job_id, window.period, until), {}
        return kept, recent, recent_by_job

    def _forget_settled(self) -> None:
        self._settled.clear()
        self._settled_generation += 1

    async def jobs_stats(self, days: int) -> dict[str, Any]:
        """Per job: its runs of the last ``days`` days and the outcomes of its latest
        finished runs (oldest first), for the jobs list."""
        window = Window.last(_days(days), self.clock.now())
        by_job, recent, names = await asyncio.gather(
            self.store.stats_by_job(window.period, window.start),
            self.store.recent_outcomes(RECENT_OUTCOMES),
            self.store.job_names(),
        )
        out = []
        for job_id in names:
            r = by_job.get(job_id) or Rollup()
            out.append(
                {
                    "job_id": job_id,
                    "total": r.total,
                    "completed": r.completed,
                    "failed": r.failed,
                    "success_rate": r.success_rate,
                    "recent": recent.get(job_id, []),
                }
            )
        return {"days": window.days, "jobs": out}

    async def rebuild_stats(self, job_id: str | None = None) -> int:
        """Recompute the roll-ups from the raw history stored now (runs pruned before are
        lost from them); returns how many executions were counted."""
        if job_id is not None:
            await self.store.get_job(job_id)
        try:
            return await self.store.rebuild_stats(job_id)
        finally:
            self._forget_settled()

    # -- runs across jobs -------------------------------------------------------------------------
    async def search_executions(
        self, where: ExecutionFilter, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[Execution], str | None]:
        """A page of the executions of every job matching ``where``, newest first (by start,
        then id), without their logs, after ``cursor`` (a next cursor this returned; None: from
        the newest); and the cursor of the next page, None when this is the last. Cursors stay
        valid while runs start and go: no execution is repeated or skipped. InvalidInputError
        names a bad ``limit`` (1 to 500) or ``cursor``."""
        check_limit(limit)
        after = None if cursor is None else decode_cursor(cursor)
        items, position = await self.store.search_executions(where, limit, after)
        return items, None if position is None else encode_cursor(position)

    async def list_executions_after(
        self, job_id: str, limit: int, cursor: str, status: ExecutionStatus | None = None
    ) -> tuple[Page, str | None]:
        """:meth:`list_executions` paged by cursor instead of offset: the job's executions
        after ``cursor``, with the job's total, and the next page's cursor (None: the last).
        NotFoundError for an unknown job."""
        total = (await self.store.list_executions(job_id, 1, 0, status)).total
        where = ExecutionFilter(job_id=job_id, status=status)
        items, next_cursor = await self.search_executions(where, limit, cursor)
        return Page(items=items, total=total), next_cursor

    def export_execution_rows(self, where: ExecutionFilter) -> AsyncIterator[list[Row]]:
        """Every execution matching ``where``, newest first, as the rows the store reads (see
        :meth:`Store.search_execution_rows`), a batch at a time: an export of any size costs
        constant memory, and writes the rows out as they are."""
        return self.store.iter_execution_rows(where, EXPORT_BATCH)

    def subscribe(self) -> Subscriber:
        """A subscription to this node's events: executions started and ended, job changes
        (of every node, when the store carries events between nodes), and log lines of the
        executions the subscriber follows. Close it when done."""
        return self.hub.subscribe()

    def _announce(self, job_id: str, change: JobChange) -> None:
        self.hub.publish(JobChanged(job_id, change))
        self.engine.notify_jobs_changed()


def _days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInputError("days", f"must be an integer between 1 and {MAX_DAYS}")
    return days


def _totals(window: Window, kept: _Settled, recent: dict[datetime, Rollup]) -> dict[str, Any]:
    total = merged([kept.total, *recent.values()])
    return {
        "days": window.days,
        "period": window.period.value,
        "total": total.total,
        "completed": total.completed,
        "failed": total.failed,
        "success_rate": total.success_rate,
        "duration_ms": durations(total),
        "series": kept.points + series(window, recent, since=kept.until),
    }
