"""The engine of one node: ticker, workers and recovery, around one store and one event hub.

Lifecycle of a run (see DESIGN.md): the ticker queues a run request for a due slot; a worker
claims it, records the execution ``running`` and announces it; the runner captures the output; the
end is recorded in one update and announced once. A node heartbeats; executions of a node that
stopped heartbeating (or of this host's previous process) are recorded ``failed``.

Leases and fencing, on a store shared by several nodes (PostgreSQL). Each heartbeat is stamped
with the database's clock. A node that has not renewed its lease for ``2/3`` of it stops
claiming and stops its own runs (SIGTERM, then SIGKILL ``1/6`` of the lease later): by the time
its lease plus a margin (``1/6``) has expired in the database's clock, nothing of it runs any
more, and only then may a peer record its runs ``failed`` and take its work over. A peer does so
only once it has itself been connected for a whole lease: after an outage that cut every node
off, the live nodes have renewed their leases by then, and none is mistaken for lost. Starting
an execution needs the node's row (``start_executions``), so a node declared lost starts
nothing until it has registered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pulse import ids
from pulse.clock import Clock, SystemClock, format_ts, parse_ts
from pulse.engine.capture import FlushRound, LogSink
from pulse.engine.handlers import Handler, install_capture
from pulse.engine.processes import kill_leftovers, start_ticks
from pulse.engine.runner import RunHandle, Runner
from pulse.engine.ticker import Ticker
from pulse.errors import NotFoundError, StoreError, StoreUnavailableError
from pulse.events import (
    EventHub,
    ExecutionCancelling,
    ExecutionCompleted,
    ExecutionFailed,
    ExecutionStarted,
    JobChanged,
    Subscriber,
)
from pulse.models import (
    Execution,
    ExecutionResult,
    ExecutionStatus,
    Job,
    JobState,
    LogChunk,
    LogStream,
    RunRequest,
    Trigger,
)
from pulse.retries import backoff
from pulse.settings import Settings
from pulse.store.base import ExecutionEnd, NodeInfo, Store

log = logging.getLogger("pulse.engine")
T = TypeVar("T")

# Ends of runs recorded in one write, at most. Ends are written as soon as the previous write is
# done: one run alone is recorded at once, runs that end together share a write.
END_BATCH = 500
_BUSY_RETRY_SECONDS = 0.02
# A claim this old that is neither started nor released was lost (an error after the claim
# committed); the node's own sweep puts it back in the queue. Safe even for a claim still being
# started: start_executions starts only requests the node still holds.
_STALE_CLAIM_SECONDS = 10.0
# An end that failed this many times for a reason other than an outage is written without its
# last log chunks, which are the likely culprit (the run's record matters more than its tail).
_END_ATTEMPTS_WITH_LOGS = 3


class Engine:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        hub: EventHub | None = None,
        clock: Clock | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.hub = hub or EventHub()
        self.clock = clock or SystemClock()
        self.node_id = settings.node_id
        self.ticker = Ticker(store, self.clock, self.hub, self.notify_queued)
        self.runner = Runner(
            self.clock,
            handlers if handlers is not None else {},
            run_as=settings.run_as,
        )
        self._running: dict[str, RunHandle] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._wake_worker = asyncio.Event()
        self._wake_ticker = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._flush_round = FlushRound()
        # Ends of runs waiting for the next write, and the task writing them.
        self._ends: list[tuple[ExecutionEnd, asyncio.Future[tuple[bool, bool]]]] = []
        self._ends_writer: asyncio.Task[None] | None = None
        self._stopping = False
        self._stopped = asyncio.Event()
        self._started_at = self.clock.now()
        self.queued_hooks: list[Callable[[], None]] = []
        # The periodic upkeep of the history (pruning), run by the maintenance loop every
        # ``prune_interval_seconds``; set by whoever composes the node (pulse.app).
        self.maintenance: Callable[[], Awaitable[object]] | None = None
        # Leases (see the module docstring), in this node's monotonic clock.
        lease = settings.lease_seconds
        self._fence_after = lease * 2 / 3
        self._kill_grace = lease / 6
        self._takeover_margin = lease / 6
        self._lease_until: float | None = None  # fence when the monotonic clock passes this
        self._connected_since: float | None = None  # start of the current run of heartbeats
        self._store_time: tuple[datetime, float] | None = None  # (store's clock, monotonic)
        self._registered = False
        self.fenced = False
        self._heartbeat_failure: Exception | None = None
        # Executions between their claim and their task: the sweep leaves them alone.
        self._starting: set[str] = set()
        self._ending: set[str] = set()  # ended, their end not stored yet
        # Cancels asked for executions of this node not running yet (claimed, starting).
        self._cancels: dict[str, datetime] = {}
        # The task running each execution this node started, with its job's id.
        self._task_jobs: dict[asyncio.Task[None], str] = {}
        self._job_events: Subscriber | None = None

    # -- public -------------------------------------------------------------------------------
    @property
    def running_count(self) -> int:
        return len(self._running)

    async def start(self, *, loops: bool = True) -> None:
        """Register the node, recover what a previous process left, start the loops.

        With ``loops=False`` nothing runs by itself: tests drive ``tick`` and ``run_pending``."""
        install_capture()
        # Read before registering: a row under this node's own id is its previous life's.
        before = await retrying("read the nodes", self.store.list_nodes)
        await retrying("register this node", self._heartbeat)
        await self.recover_restarted(before)
        if loops:
            self._job_events = self.hub.subscribe(buffer=10000)
            self._loops = [
                asyncio.create_task(self._ticker_loop(), name="pulse-ticker"),
                asyncio.create_task(self._worker_loop(), name="pulse-workers"),
                asyncio.create_task(self._heartbeat_loop(), name="pulse-heartbeat"),
                asyncio.create_task(self._watch_jobs(), name="pulse-job-watch"),
            ]
            if self.store.shared:
                self._loops.append(asyncio.create_task(self._fence_loop(), name="pulse-fence"))
            if self.settings.prune_interval_seconds > 0:
                self._loops.append(
                    asyncio.create_task(self._maintenance_loop(), name="pulse-maintenance")
                )

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming (the loops end by themselves, never in the middle of a claim); send
        running commands SIGTERM at once, and SIGKILL at the end of ``grace`` seconds; record
        every end. The node's row goes only once none of its executions is left running."""
        if self._stopping:
            return
        self._stopping = True
        self._stopped.set()
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        self._wake_worker.set()
        self._wake_ticker.set()
        self._slot_free.set()
        # SIGTERM at once (a run the worker loop starts from here on is stopped as it starts).
        for handle in list(self._running.values()):
            handle.stop("shut down", grace)
        for t in self._loops:
            if t.get_name() in ("pulse-job-watch", "pulse-maintenance"):
                # One waits for events and changes nothing itself; the other prunes in batches,
                # each a transaction of its own: a prune cut short is finished by the next.
                t.cancel()
        if self._loops:
            _done, stuck = await asyncio.wait(set(self._loops), timeout=max(grace, 5.0))
            for t in stuck:  # a loop waiting on the database that is away: nothing to finish
                t.cancel()
            await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        if self._task_jobs:
            # Python handlers that ignore cancellation, and the writes of the last ends.
            _done, pending = await asyncio.wait(set(self._task_jobs), timeout=grace + 5.0)
            if pending:
                for handle in list(self._running.values()):
                    handle.abort("shut down")
                await asyncio.wait(pending, timeout=10)
        if self._job_events is not None:
            self._job_events.close()
            self._job_events = None
        # Requests this node claimed but never started go back to the queue for other nodes.
        try:
            await self.store.requeue_claimed(self.node_id)
            if not await self.store.running_executions(self.node_id):
                await self.store.remove_node(self.node_id)
            else:  # left for recovery: by the next process here, or by a peer after the lease
                log.warning("stopping with executions still recorded running")
        except Exception as e:
            log.warning("could not deregister node %s: %s", self.node_id, e)

    def notify_queued(self) -> None:
        """Wake the workers now: a run request was queued on this node. Other nodes hear of it
        through ``queued_hooks`` (their workers would otherwise find it at their next poll)."""
        self._wake_worker.set()
        for hook in self.queued_hooks:
            hook()

    def wake_workers(self) -> None:
        """Wake the workers now: another node queued a run request."""
        self._wake_worker.set()

    def notify_jobs_changed(self) -> None:
        """Wake the ticker (a job was created or its schedule changed)."""
        self._wake_ticker.set()

    async def tick(self, now: datetime | None = None) -> int:
        """Fire due jobs once; returns how many run requests were queued."""
        return await self.ticker.tick(now)

    async def trigger(
        self,
        job: Job,
        trigger: Trigger = Trigger.MANUAL,
        rerun_of: str | None = None,
    ) -> RunRequest:
        """Queue a run of ``job`` now (``run now``); the request names its execution id."""
        now = self.clock.now()
        request = RunRequest(
            id=ids.run_request_id(),
            job_id=job.id,
            execution_id=ids.execution_id(int(now.timestamp())),
            trigger=trigger,
            scheduled_for=None,
            created_at=now,
            rerun_of=rerun_of,
        )
        await self.store.enqueue(request)
        self.notify_queued()
        return request

    async def run_pending(self) -> int:
        """Claim and run queued requests until none is left ("burst" mode, for tests and
        benchmarks); returns how many executions ran."""
        ran = 0
        while True:
            claimed = await self._claim(self.settings.workers)
            if not claimed:
                return ran
            await asyncio.gather(*(self._execute(e, job) for e, job in claimed))
            ran += len(claimed)

    def stop_runs_of_job(self, job_id: str, reason: str, grace: float | None = None) -> int:
        """Stop this node's running executions of ``job_id`` (SIGTERM, SIGKILL after
        ``grace``); returns how many were asked to stop."""
        grace = self._kill_grace if grace is None else grace
        handles = [h for h in self._running.values() if h.job_id == job_id]
        for handle in handles:
            handle.stop(reason, grace)
        return len(handles)

    def cancel(self, execution_id: str, at: datetime) -> bool:
        """Cancel an execution if this node runs it (or is about to): SIGTERM to a command's
        process group now and SIGKILL after the shutdown grace, a handler cancelled; it is
        recorded ``failed`` "cancelled" with ``cancelled_at``. False if it is not this node's."""
        handle = self._running.get(execution_id)
        if handle is not None:
            handle.cancel(at, self.settings.shutdown_grace_seconds)
            return True
        if execution_id in self._starting:
            self._cancels[execution_id] = at  # _execute applies it as the run begins
            return True
        return False

    async def wait_runs_of_job(self, job_id: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until this node runs nothing of ``job_id`` and has recorded their ends; False
        on timeout."""
        deadline = self.clock.monotonic() + timeout
        while job_id in self._task_jobs.values():
            if self.clock.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def readiness(self) -> StoreError | None:
        """Why this node cannot do its work now, or None: its last heartbeat (a write) failed,
        or it lost its lease."""
        failure = self._heartbeat_failure
        if isinstance(failure, StoreError):
            return failure
        if failure is not None:
            return StoreUnavailableError(
                f"the database did not take this node's heartbeat: "
                f"{failure or type(failure).__name__}"
            )
        if self.fenced:
            return StoreUnavailableError(
                "this node lost its lease on the database and stopped its runs"
            )
        return None

    # -- loops --------------------------------------------------------------------------------
    async def _pause(self, event: asyncio.Event, seconds: float) -> None:
        """Wait for ``event`` or ``seconds``, whichever first; a stop ends the wait too."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=seconds)

    async def _ticker_loop(self) -> None:
        while not self._stopping:
            try:
                queued = await self.tick()
                now = self.clock.now()
                horizon = now + timedelta(seconds=5)
                nxt = await self.ticker.next_due_at(horizon)
                delay = 5.0 if nxt is None else max(0.0, (nxt - self.clock.now()).total_seconds())
                if delay == 0 and not queued:
                    # Still due, yet nothing fired: another node's ticker holds those jobs right
                    # now. Look again shortly instead of spinning.
                    delay = _BUSY_RETRY_SECONDS
            except StoreUnavailableError as e:
                log.warning("ticker cannot reach the database: %s", e)
                delay = 1.0
            except Exception:
                log.exception("ticker failed; retrying")
                delay = 1.0
            self._wake_ticker.clear()
            await self._pause(self._wake_ticker, delay)

    def _may_claim(self) -> bool:
        """Whether this node may take new work: not stopping, and (on a shared store) holding a
        lease that will not lapse before the runs it starts now are under way."""
        if self._stopping or self.fenced:
            return False
        if not self.store.shared:
            return True
        return self._lease_until is not None and self.clock.monotonic() < self._lease_until

    async def _worker_loop(self) -> None:
        limit = self.settings.workers
        while not self._stopping:
            free = limit - len(self._task_jobs)
            if free <= 0:
                self._slot_free.clear()
                await self._pause(self._slot_free, 3600)
                continue
            if not self._may_claim():
                self._wake_worker.clear()
                await self._pause(self._wake_worker, self.settings.poll_seconds)
                continue
            self._wake_worker.clear()
            try:
                claimed = await self._claim(free)
            except StoreUnavailableError as e:
                log.warning("cannot claim run requests: %s", e)
                claimed = []
                await self._pause(self._stopped, 1)
            except Exception:
                log.exception("claiming run requests failed; retrying")
                claimed = []
                await self._pause(self._stopped, 1)
            for execution, job in claimed:
                self._spawn(execution, job)
            if not claimed:
                await self._pause(self._wake_worker, self.settings.poll_seconds)

    def _spawn(self, execution: Execution, job: Job) -> None:
        task = asyncio.create_task(self._execute(execution, job))
        self._task_jobs[task] = job.id
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._task_jobs.pop(task, None)
        self._slot_free.set()

    async def _heartbeat_loop(self) -> None:
        while not self._stopping:
            # After a failed heartbeat the next comes within a second: the lease is renewed as
            # soon as the database is back, not a whole period later.
            every = self.settings.heartbeat_seconds
            if self._heartbeat_failure is not None:
                every = min(every, 1.0)
            await self._pause(self._stopped, every)
            if self._stopping:
                return
            try:
                await self._heartbeat()
                await self.recover_lost()
                await self.sweep()
            except StoreUnavailableError as e:
                log.warning("heartbeat: %s", e)
            except Exception:
                log.exception("heartbeat failed; retrying")

    async def _maintenance_loop(self) -> None:
        """Run ``maintenance`` every ``prune_interval_seconds`` (the first a minute after the
        start at most), never two at once. A failure is logged and waits for the next round."""
        every = self.settings.prune_interval_seconds
        await self._pause(self._stopped, min(every, 60.0))
        while not self._stopping:
            if self.maintenance is not None and not self.fenced:
                try:
                    await self.maintenance()
                except StoreUnavailableError as e:
                    log.warning("maintenance: %s", e)
                except Exception:
                    log.exception("maintenance failed; next round in %g s", every)
            await self._pause(self._stopped, every)

    async def _fence_loop(self) -> None:
        """Stop this node's runs when its lease is about to lapse (see the module docstring).
        Independent of the heartbeat, which may hang on a database that does not answer."""
        while not self._stopping:
            await self._pause(self._stopped, min(1.0, self._kill_grace / 4))
            if self._stopping:
                return
            if self.fenced or self._lease_until is None:
                continue
            if self.clock.monotonic() >= self._lease_until:
                self._fence("this node lost contact with the database")

    def _fence(self, why: str) -> None:
        self.fenced = True
        if self._running:
            log.error(
                "%s: stopping its %d running execution(s) before peers take them over",
                why,
                len(self._running),
            )
        else:
            log.error("%s: claiming nothing until it is back", why)
        for handle in list(self._running.values()):
            handle.stop(f"stopped: {why}", self._kill_grace)

    async def _watch_jobs(self) -> None:
        """Stop local runs of jobs deleted anywhere (the event crosses nodes)."""
        events = self._job_events
        assert events is not None
        while not self._stopping:
            if events.overflowed and events.queue.empty():
                # Cut off by the hub while the loop was busy: listen again (the sweep stops
                # runs of jobs deleted meanwhile).
                events = self._job_events = self.hub.subscribe(buffer=10000)
            event = await events.get()
            if isinstance(event, JobChanged) and event.change == "deleted":
                self.stop_runs_of_job(event.job_id, "job deleted")
            elif isinstance(event, ExecutionCancelling):
                self.cancel(event.execution_id, parse_ts(event.requested_at))

    # -- one execution ------------------------------------------------------------------------
    async def _claim(self, limit: int) -> list[tuple[Execution, Job]]:
        """Claim up to ``limit`` run requests and record their executions started, for the
        whole batch at once (three writes and reads however many). Requests whose job was
        deleted meanwhile are dropped: they went with the job. Should anything fail between
        the claim and the start, the claims are released (retried until the database takes
        it), never left claimed by a node that will not run them."""
        reqs = await self.store.claim_run_requests(self.node_id, limit, self.clock.now())
        if not reqs:
            return []
        request_ids = {r.id for r in reqs}
        # In _starting until their task runs them (see _execute): the sweep leaves them alone.
        self._starting.update(r.execution_id for r in reqs)
        try:
            started = await self._start_claimed(reqs)
        except BaseException:
            self._starting.difference_update(r.execution_id for r in reqs)
            await self._release(request_ids)
            raise
        ids = {e.id for e, _ in started}
        self._starting.difference_update(r.execution_id for r in reqs if r.execution_id not in ids)
        return started

    async def _start_claimed(self, reqs: list[RunRequest]) -> list[tuple[Execution, Job]]:
        jobs = await retrying(
            "read the jobs of claimed runs", self.store.get_jobs, {r.job_id for r in reqs}
        )
        if not self._may_claim():
            await self._release({r.id for r in reqs})
            return []
        now = self.clock.now()
        started = [
            (
                Execution(
                    id=req.execution_id,
                    scheduled_job_id=req.job_id,
                    async_job_id=req.id,
                    status=ExecutionStatus.RUNNING,
                    started_at=now,
                    created_at=now,
                    updated_at=now,
                    scheduled_for=req.scheduled_for,
                    trigger=req.trigger,
                    attempt=req.attempt,
                    rerun_of=req.rerun_of,
                    node_id=self.node_id,
                ),
                jobs[req.job_id],
            )
            for req in reqs
            if req.job_id in jobs
        ]
        executions = [e for e, _ in started]
        recorded = await self.store.start_executions(executions) if executions else []
        if len(recorded) < len(started):
            ids = {e.id for e in recorded}
            started = [(e, job) for e, job in started if e.id in ids]
            # Not started: their job was deleted (the request went with it), or this node's row
            # is gone (peers declared it lost): back to the queue.
            await self._release({r.id for r in reqs if r.execution_id not in ids})
        return started

    async def _release(self, request_ids: set[str]) -> None:
        if not request_ids:
            return
        with contextlib.suppress(Exception):
            await asyncio.shield(
                retrying(
                    "release claimed run requests",
                    self.store.requeue_claimed,
                    self.node_id,
                    None,
                    request_ids,
                )
            )

    async def sweep(self) -> None:
        """This node's own housekeeping: claims it holds but lost track of (an error after
        the claim committed) go back to the queue; runs of jobs that no longer exist are
        stopped; executions recorded running on this node that it does not run (a start whose
        answer was lost) are recorded failed."""
        now = self.clock.now()
        await self.store.requeue_claimed(
            self.node_id, now - timedelta(seconds=_STALE_CLAIM_SECONDS)
        )
        # Runs of jobs deleted while this node did not hear of it (the event missed).
        running_jobs = {h.job_id for h in self._running.values()}
        if running_jobs:
            existing = await self.store.get_jobs(running_jobs)
            for job_id in running_jobs - existing.keys():
                self.stop_runs_of_job(job_id, "job deleted")
        for e in await self.store.running_executions(self.node_id):
            if e.cancel_requested_at is not None:
                # A cancel whose event this node missed: acted on here at the latest.
                handle = self._running.get(e.id)
                if handle is None or handle.cancelled_at is None:
                    self.cancel(e.id, e.cancel_requested_at)
            if e.id in self._running or e.id in self._starting or e.id in self._ending:
                continue
            if (now - e.started_at).total_seconds() < _STALE_CLAIM_SECONDS:
                continue  # being set up right now
            await self._fail_lost(
                e, "lost while starting: the start was recorded, the run never began"
            )

    async def _execute(self, execution: Execution, job: Job) -> None:
        self.hub.publish(ExecutionStarted(execution.id, job.id))
        handle = RunHandle(execution.id, job.id)
        self._running[execution.id] = handle
        self._starting.discard(execution.id)
        cancelled_at = self._cancels.pop(execution.id, None)
        if cancelled_at is not None:
            handle.cancel(cancelled_at, self.settings.shutdown_grace_seconds)
        elif self._stopping:
            handle.stop("shut down", self.settings.shutdown_grace_seconds)
        elif self.fenced:
            handle.abort("stopped: this node lost its lease")
        sink = LogSink(
            execution.id,
            self.store,
            self.hub,
            self.clock,
            self.settings.log_cap_bytes,
            self._flush_round,
        )
        try:
            result = await self.runner.run(job, execution, sink, handle)
        except asyncio.CancelledError:
            self._ending.add(execution.id)
            try:
                await self._finish(execution, self._failure(execution, "shut down"), sink)
            finally:
                self._ending.discard(execution.id)
            raise
        except Exception as e:
            log.exception("execution %s failed inside Pulse", execution.id)
            result = self._failure(execution, f"internal error: {e}")
        finally:
            self._running.pop(execution.id, None)
            # Until its end is stored (it may wait out an outage), the sweep leaves it alone.
            self._ending.add(execution.id)
        try:
            recorded = await self._finish(execution, result, sink)
        finally:
            self._ending.discard(execution.id)
        if recorded and result.status is ExecutionStatus.FAILED and handle.abort_reason is None:
            await self._retry(execution, job)

    def _failure(self, execution: Execution, reason: str) -> ExecutionResult:
        now = self.clock.now()
        return ExecutionResult(
            status=ExecutionStatus.FAILED,
            completed_at=now,
            duration_ms=max(0, round((now - execution.started_at).total_seconds() * 1000)),
            error_message=reason,
        )

    async def _finish(
        self, execution: Execution, result: ExecutionResult, sink: LogSink | None = None
    ) -> bool:
        """Record (and announce) the end; True if this call recorded it."""
        rest, announce = await sink.take_rest() if sink is not None else ([], [])
        recorded, retried = await self._record_end(ExecutionEnd(execution.id, result, rest))
        if not recorded and retried:
            # An attempt may have committed before its connection broke: if the record is ours,
            # it is ours to announce.
            mine = await retrying(f"read {execution.id}", self.store.get_execution, execution.id)
            same_end = mine.completed_at is not None and format_ts(mine.completed_at) == format_ts(
                result.completed_at
            )
            recorded = same_end and mine.node_id == self.node_id
        if recorded:  # not recorded: someone else recorded the end first; they announce it
            if sink is not None:
                sink.published(announce)
            self._announce_end(
                execution.id,
                execution.scheduled_job_id,
                result.status,
                result.duration_ms,
                result.error_message,
            )
        return recorded

    async def _retry(self, execution: Execution, job: Job) -> None:
        """Queue the next attempt of a failed run, if its job wants one (see pulse.retries):
        not before its backoff, and not while the job is paused or once it is deleted."""
        if execution.attempt >= job.max_attempts:
            return
        try:
            current = await retrying(f"read job {job.id}", self.store.get_job, job.id)
        except NotFoundError:
            return
        if current.state is not JobState.ACTIVE or execution.attempt >= current.max_attempts:
            return
        now = self.clock.now()
        wait = backoff(current.retry_backoff_seconds, execution.attempt)
        request = RunRequest(
            id=ids.run_request_id(),
            job_id=job.id,
            execution_id=ids.execution_id(int(now.timestamp())),
            trigger=Trigger.RETRY,
            scheduled_for=execution.scheduled_for,
            created_at=now,
            attempt=execution.attempt + 1,
            # Every attempt points at the first one: the chain is one lookup away.
            rerun_of=execution.rerun_of if execution.trigger is Trigger.RETRY else execution.id,
            run_after=now + timedelta(seconds=wait),
        )
        try:
            await retrying(f"queue a retry of {execution.id}", self.store.enqueue, request)
        except NotFoundError:
            return  # deleted meanwhile
        log.info(
            "execution %s failed (attempt %d of %d): retry %s in %.1f s",
            execution.id,
            execution.attempt,
            current.max_attempts,
            request.execution_id,
            wait,
        )
        self.notify_queued()

    async def _record_end(self, end: ExecutionEnd) -> tuple[bool, bool]:
        """Record the end of a run with the others ending about now; (recorded, retried)."""
        fut: asyncio.Future[tuple[bool, bool]] = asyncio.get_running_loop().create_future()
        self._ends.append((end, fut))
        if self._ends_writer is None:
            self._ends_writer = asyncio.create_task(self._write_ends(), name="pulse-ends")
        # Shielded: cancelling the run's task must not cancel the future that the shared write
        # settles (the end is written all the same).
        return await asyncio.shield(fut)

    async def _write_ends(self) -> None:
        try:
            while self._ends:
                batch, self._ends = self._ends[:END_BATCH], self._ends[END_BATCH:]
                outcomes = await self._write_end_batch([end for end, _ in batch])
                for (_, fut), outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, BaseException):
                        fut.set_exception(outcome)
                    else:
                        fut.set_result(outcome)
        finally:
            self._ends_writer = None

    async def _write_end_batch(
        self, ends: list[ExecutionEnd]
    ) -> list[tuple[bool, bool] | BaseException]:
        """Record a batch of ends. An end is kept and retried until it is stored, never
        dropped: through an outage (retried with backoff), through a full disk (likewise,
        until space returns), and past a fault of its own (a batch that fails is split, and an
        end that still fails is written without its last log chunks, then retried as is)."""
        attempts = 0

        async def write(batch: list[ExecutionEnd]) -> list[bool]:
            nonlocal attempts
            attempts += 1
            return await self.store.finish_executions(batch)

        try:
            done = await retrying("record the end of executions", write, ends)
            return [(ok, attempts > 1) for ok in done]
        except Exception as e:
            if len(ends) > 1:
                log.warning("recording %d ends together failed (%s); one at a time", len(ends), e)
            else:
                log.warning("cannot record the end of %s yet: %s", ends[0].execution_id, e)
        # One faulty end must not keep the others from being recorded: one at a time.
        outcomes: list[tuple[bool, bool] | BaseException] = []
        for end in ends:
            outcomes.append((await self._write_one_end(end), True))
        return outcomes

    async def _write_one_end(self, end: ExecutionEnd) -> bool:
        delay = 0.2
        failures = 0
        while True:
            try:
                (ok,) = await retrying(
                    f"record the end of {end.execution_id}", self.store.finish_executions, [end]
                )
                return ok
            except Exception as e:
                failures += 1
                if failures == _END_ATTEMPTS_WITH_LOGS and end.logs:
                    log.error(
                        "cannot record the end of %s with its last output (%s); recording it"
                        " without",
                        end.execution_id,
                        e,
                    )
                    end = _without_logs(end, str(e))
                    continue
                log.error("cannot record the end of %s yet (%s); retrying", end.execution_id, e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _announce_end(
        self,
        execution_id: str,
        job_id: str,
        status: ExecutionStatus,
        duration_ms: int | None,
        error_message: str | None,
    ) -> None:
        if status is ExecutionStatus.COMPLETED:
            self.hub.publish(ExecutionCompleted(execution_id, job_id, duration_ms or 0))
        else:
            self.hub.publish(ExecutionFailed(execution_id, job_id, error_message or "failed"))

    # -- nodes and recovery -------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        """Renew this node's lease. The lease runs from when the heartbeat was sent: the
        database stamps it later, so the node's deadline is never later than the one peers
        see."""
        sent = self.clock.monotonic()
        node = NodeInfo(
            node_id=self.node_id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            heartbeat_at=self.clock.now(),
        )
        try:
            beat = await asyncio.wait_for(
                self.store.heartbeat(node), timeout=max(1.0, self._fence_after / 2)
            )
        except Exception as e:
            self._connected_since = None
            self._heartbeat_failure = e
            raise
        self._heartbeat_failure = None
        self._store_time = (beat.at, sent)
        if self._connected_since is None:
            self._connected_since = sent
        self._lease_until = sent + self._fence_after
        if self._registered and not beat.renewed and self.store.shared:
            # Peers found this node's lease expired and took its work over: whatever it still
            # runs now runs twice.
            self._fence("peers declared this node lost")
        self._registered = True
        if self.fenced and self._lease_until > self.clock.monotonic():
            log.warning("node %s holds its lease again; claiming work", self.node_id)
            self.fenced = False
            self._wake_worker.set()

    async def recover_restarted(self, nodes: list[NodeInfo] | None = None) -> int:
        """Fail the executions that an earlier process on this host left running ("node
        restarted"): its process is gone, so they cannot finish. The commands it started and
        left behind are killed first (found by the mark in their environment), so that no run
        recorded ended is in fact still going. ``nodes`` are the rows as they were before this
        node registered (a row under its own id, from a process that died, is recovered too)."""
        killed = await asyncio.to_thread(kill_leftovers)
        if killed:
            log.warning("killed the processes of %d run(s) a dead Pulse process left", len(killed))
        recovered = 0
        host = socket.gethostname()
        for node in nodes if nodes is not None else await self.store.list_nodes():
            if node.hostname != host or _alive(node.pid, node.started_at):
                continue
            if node.node_id == self.node_id:
                # This node's previous process (same --node-id): the row is ours now, its runs
                # are those that started before this process did.
                recovered += await self._recover_node(
                    node.node_id, "node restarted", self._started_at
                )
                continue
            if await self.store.remove_node(
                node.node_id, node.heartbeat_at + timedelta(milliseconds=1)
            ):
                recovered += await self._recover_node(node.node_id, "node restarted")
        return recovered

    def _store_now(self) -> datetime:
        """The store's clock now: the database's on a shared store (extrapolated from the last
        heartbeat with the monotonic clock), this node's otherwise."""
        if not self.store.shared or self._store_time is None:
            return self.clock.now()
        at, mono = self._store_time
        return at + timedelta(seconds=self.clock.monotonic() - mono)

    async def recover_lost(self) -> int:
        """Fail the executions of nodes whose lease has expired ("node lost: NODE") and requeue
        what they had claimed but not started; likewise for running executions and claims of
        nodes that have no row at all.

        A node is lost once its last heartbeat is older than the lease plus a margin, in the
        store's clock; it has stopped its own runs by then (fencing). On a shared store this
        node judges others only after being connected itself for a whole lease."""
        lease = self.settings.lease_seconds
        if self.store.shared:
            since = self._connected_since
            if since is None or self.clock.monotonic() - since < lease:
                return 0
        stale_before = self._store_now() - timedelta(seconds=lease + self._takeover_margin)
        recovered = 0
        host = socket.gethostname()
        for node in await self.store.list_nodes():
            if node.node_id == self.node_id or node.heartbeat_at >= stale_before:
                continue
            if not await self.store.remove_node(node.node_id, stale_before):
                continue  # it came back, or another node recovers it
            if node.hostname == host:
                await asyncio.to_thread(kill_leftovers)
            recovered += await self._recover_node(
                node.node_id, f"node lost: {node.node_id}", stale_before
            )
        for e in await self.store.orphaned_executions(stale_before):
            if await self._fail_lost(e, f"node lost: {e.node_id}"):
                recovered += 1
        await self.store.requeue_orphaned_requests(stale_before)
        return recovered

    async def _recover_node(
        self, node_id: str, reason: str, started_before: datetime | None = None
    ) -> int:
        count = 0
        for e in await self.store.running_executions(node_id):
            # A run started after the cut-off belongs to the node's next life (it registered
            # again meanwhile), which is not lost.
            if started_before is not None and e.started_at >= started_before:
                continue
            if await self._fail_lost(e, reason):
                count += 1
        await self.store.requeue_claimed(node_id, started_before)
        if count:
            log.warning("recorded %d execution(s) of node %s as failed: %s", count, node_id, reason)
        self.notify_queued()
        return count

    async def _fail_lost(self, e: Execution, reason: str) -> bool:
        finished = await self.store.finish_execution(e.id, self._failure(e, reason))
        if finished is None:
            return False
        self._announce_end(
            finished.id,
            finished.scheduled_job_id,
            finished.status,
            finished.duration_ms,
            finished.error_message,
        )
        return True


async def retrying(what: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
    """``fn(*args)``, retried with backoff for as long as the database is unavailable: what
    happened while it was away is recorded once it is back, not lost."""
    delay = 0.2
    while True:
        try:
            return await fn(*args)
        except StoreUnavailableError as e:
            log.warning("cannot %s yet (%s); retrying in %.1f s", what, e, delay)
            await asyncio.sleep(delay)
            # At most a second apart: what waits is recorded soon after the database is back
            # (a store that is away answers at once, so the retries cost little).
            delay = min(delay * 2, 1.0)


def _alive(pid: int, started_at: datetime | None = None) -> bool:
    """Whether the process ``pid`` runs, and (given when a node started) is that node: a pid
    reused by a later process started after the node's own start."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if started_at is None:
        return True
    ticks = start_ticks(pid)
    if ticks is None:
        return True
    began = _boot_time() + ticks / os.sysconf("SC_CLK_TCK")
    # The node registers after its process starts; a process that began later is another one.
    return began <= started_at.timestamp() + 1.0


def _boot_time() -> float:
    try:
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _without_logs(end: ExecutionEnd, why: str) -> ExecutionEnd:
    """The end with its last log chunks replaced by a note of why they are missing."""
    first = end.logs[0]
    dropped = sum(len(ch.text.encode("utf-8", "replace")) for ch in end.logs)
    note = LogChunk(
        first.seq,
        first.ts,
        LogStream.SYSTEM,
        f"[pulse] … the last {dropped} bytes of output could not be stored ({why[:200]}) …\n",
    )
    result = replace(end.result, log_dropped_bytes=end.result.log_dropped_bytes + dropped)
    return ExecutionEnd(end.execution_id, result, [note])
