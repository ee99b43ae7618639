"""The engine of one node: ticker, workers and recovery, around one store and one event hub.

Lifecycle of a run (see DESIGN.md): the ticker queues a run request for a due slot; a worker
claims it, records the execution ``running`` and announces it; the runner captures the output; the
end is recorded in one update and announced once. A node heartbeats; executions of a node that
stopped heartbeating (or of this host's previous process) are recorded ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pulse import ids
from pulse.clock import Clock, SystemClock, format_ts
from pulse.engine.capture import FlushRound, LogSink
from pulse.engine.handlers import Handler, install_capture
from pulse.engine.runner import RunHandle, Runner
from pulse.engine.ticker import Ticker
from pulse.errors import StoreError, StoreUnavailableError
from pulse.events import (
    EventHub,
    ExecutionCompleted,
    ExecutionFailed,
    ExecutionStarted,
)
from pulse.models import (
    Execution,
    ExecutionResult,
    ExecutionStatus,
    Job,
    RunRequest,
    Trigger,
)
from pulse.settings import Settings
from pulse.store.base import ExecutionEnd, NodeInfo, Store

log = logging.getLogger("pulse.engine")
T = TypeVar("T")

# Ends of runs recorded in one write, at most. Ends are written as soon as the previous write is
# done: one run alone is recorded at once, runs that end together share a write.
END_BATCH = 500
_BUSY_RETRY_SECONDS = 0.02


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
        self.runner = Runner(self.clock, handlers if handlers is not None else {})
        self._running: dict[str, RunHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._wake_worker = asyncio.Event()
        self._wake_ticker = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._flush_round = FlushRound()
        # Ends of runs waiting for the next write, and the task writing them.
        self._ends: list[tuple[ExecutionEnd, asyncio.Future[tuple[bool, bool]]]] = []
        self._ends_writer: asyncio.Task[None] | None = None
        self._stopping = False
        self._started_at = self.clock.now()
        self.queued_hooks: list[Callable[[], None]] = []

    # -- public -------------------------------------------------------------------------------
    @property
    def running_count(self) -> int:
        return len(self._running)

    async def start(self, *, loops: bool = True) -> None:
        """Register the node, recover what a previous process left, start the loops.

        With ``loops=False`` nothing runs by itself: tests drive ``tick`` and ``run_pending``."""
        install_capture()
        await self._heartbeat()
        await self.recover_restarted()
        if loops:
            self._loops = [
                asyncio.create_task(self._ticker_loop(), name="pulse-ticker"),
                asyncio.create_task(self._worker_loop(), name="pulse-workers"),
                asyncio.create_task(self._heartbeat_loop(), name="pulse-heartbeat"),
            ]

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming; let running executions finish for up to ``grace`` seconds, then kill
        them and record them ``failed`` ("shut down")."""
        self._stopping = True
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        for t in self._loops:
            t.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            if pending:
                for handle in list(self._running.values()):
                    handle.abort("shut down")
                await asyncio.wait(pending, timeout=10)
        # Requests this node claimed but never started go back to the queue for other nodes.
        with contextlib.suppress(Exception):
            await self.store.requeue_claimed(self.node_id)
            await self.store.remove_node(self.node_id)

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

    async def abort(self, execution_id: str, reason: str) -> bool:
        handle = self._running.get(execution_id)
        if handle is None:
            return False
        handle.abort(reason)
        return True

    # -- loops --------------------------------------------------------------------------------
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_ticker.wait(), timeout=delay)

    async def _worker_loop(self) -> None:
        limit = self.settings.workers
        while not self._stopping:
            free = limit - len(self._tasks)
            if free <= 0:
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            self._wake_worker.clear()
            try:
                claimed = await self._claim(free)
            except StoreUnavailableError as e:
                log.warning("cannot claim run requests: %s", e)
                claimed = []
                await asyncio.sleep(1)
            except Exception:
                log.exception("claiming run requests failed; retrying")
                claimed = []
                await asyncio.sleep(1)
            for execution, job in claimed:
                task = asyncio.create_task(self._execute(execution, job))
                self._tasks.add(task)
                task.add_done_callback(self._task_done)
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wake_worker.wait(), timeout=self.settings.poll_seconds
                    )

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slot_free.set()

    async def _heartbeat_loop(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self._heartbeat()
                await self.recover_lost()
            except Exception:
                log.exception("heartbeat failed; retrying")

    # -- one execution ------------------------------------------------------------------------
    async def _claim(self, limit: int) -> list[tuple[Execution, Job]]:
        """Claim up to ``limit`` run requests and record their executions started, for the
        whole batch at once (three writes and reads however many). Requests whose job was
        deleted meanwhile are dropped: they went with the job."""
        reqs = await self.store.claim_run_requests(self.node_id, limit, self.clock.now())
        if not reqs:
            return []
        jobs = await self.store.get_jobs({r.job_id for r in reqs})
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
        recorded = await retrying(
            "record the start of executions", self.store.start_executions, executions
        )
        if len(recorded) < len(started):
            ids = {e.id for e in recorded}
            started = [(e, job) for e, job in started if e.id in ids]
        return started

    async def _execute(self, execution: Execution, job: Job) -> None:
        self.hub.publish(ExecutionStarted(execution.id, job.id))
        handle = RunHandle(execution.id)
        self._running[execution.id] = handle
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
            await self._finish(execution, self._failure(execution, "shut down"), sink)
            raise
        except Exception as e:
            log.exception("execution %s failed inside Pulse", execution.id)
            result = self._failure(execution, f"internal error: {e}")
        finally:
            self._running.pop(execution.id, None)
        await self._finish(execution, result, sink)

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
    ) -> None:
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
        attempts = 0

        async def write(batch: list[ExecutionEnd]) -> list[bool]:
            nonlocal attempts
            attempts += 1
            return await self.store.finish_executions(batch)

        try:
            done = await retrying("record the end of executions", write, ends)
            return [(ok, attempts > 1) for ok in done]
        except Exception:
            if len(ends) == 1:
                log.exception("cannot record the end of %s", ends[0].execution_id)
                return [StoreError(f"cannot record the end of {ends[0].execution_id}")]
        # One faulty end must not keep the others from being recorded: one at a time.
        outcomes: list[tuple[bool, bool] | BaseException] = []
        for end in ends:
            try:
                (ok,) = await retrying(f"record the end of {end.execution_id}", write, [end])
                outcomes.append((ok, True))
            except Exception as e:
                log.exception("cannot record the end of %s", end.execution_id)
                outcomes.append(e)
        return outcomes

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
        await self.store.heartbeat(
            NodeInfo(
                node_id=self.node_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                started_at=self._started_at,
                heartbeat_at=self.clock.now(),
            )
        )

    async def recover_restarted(self) -> int:
        """Fail the executions that an earlier process on this host left running ("node
        restarted"): its process is gone, so they cannot finish."""
        recovered = 0
        host = socket.gethostname()
        for node in await self.store.list_nodes():
            if node.node_id == self.node_id or node.hostname != host or _alive(node.pid):
                continue
            recovered += await self._recover_node(node.node_id, "node restarted")
        return recovered

    async def recover_lost(self) -> int:
        """Fail the executions of nodes whose heartbeat is older than the lease
        ("node lost: NODE") and requeue what they had claimed but not started."""
        recovered = 0
        deadline = self.clock.now() - timedelta(seconds=self.settings.lease_seconds)
        for node in await self.store.list_nodes():
            if node.node_id != self.node_id and node.heartbeat_at < deadline:
                recovered += await self._recover_node(node.node_id, f"node lost: {node.node_id}")
        return recovered

    async def _recover_node(self, node_id: str, reason: str) -> int:
        count = 0
        for e in await self.store.running_executions(node_id):
            finished = await self.store.finish_execution(e.id, self._failure(e, reason))
            if finished is not None:
                count += 1
                self._announce_end(
                    finished.id,
                    finished.scheduled_job_id,
                    finished.status,
                    finished.duration_ms,
                    finished.error_message,
                )
        await self.store.requeue_claimed(node_id)
        await self.store.remove_node(node_id)
        if count:
            log.warning("recorded %d execution(s) of node %s as failed: %s", count, node_id, reason)
            self.notify_queued()
        return count


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
            delay = min(delay * 2, 5.0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
