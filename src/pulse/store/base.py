"""The store interface: every backend implements :class:`Store`, and the contract tests in
``tests/store/`` run against each. The docstrings below are the contract.

Conventions shared by all methods:

* every datetime in or out is aware and in UTC; backends store RFC 3339 text with a ``Z`` and a
  fixed width (see :func:`pulse.clock.format_ts`), so text order is time order;
* a method returns only after its change is committed, so an event announced afterwards never
  describes something a crash could still undo;
* unknown ids raise :class:`pulse.errors.NotFoundError`; driver failures are raised as
  :class:`pulse.errors.StoreError` with the driver's exception as the cause.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pulse.errors import NotFoundError
from pulse.events import EventBridge, EventHub
from pulse.models import (
    Execution,
    ExecutionResult,
    ExecutionStatus,
    Job,
    LogChunk,
    MissedGap,
    Overlap,
    Page,
    RunRequest,
    Schedule,
)
from pulse.retention import PruneReport, RetentionPolicy
from pulse.search import ExecutionFilter, Position
from pulse.stats import Period, Rollup
from pulse.store.rows import execution_from
from pulse.store.search import FIELDS


class FireOutcome(StrEnum):
    QUEUED = "queued"  # the slot was ours and a run request was queued
    SKIPPED = "skipped"  # the slot was ours but the overlap policy skipped it
    LOST = "lost"  # another ticker (node) advanced the job first, or it was paused/deleted


@dataclass(frozen=True, slots=True)
class Firing:
    """One due slot of one job, as the ticker wants to record it."""

    job_id: str
    expected_next_run_at: datetime  # the ``next_run_at`` the ticker read
    new_next_run_at: datetime | None  # None: the schedule never fires again
    request: RunRequest
    forbid_overlap: bool


def fire_rounds(firings: Sequence[Firing], held: Collection[str] | None = None) -> list[list[int]]:
    """The indexes of ``firings`` grouped into rounds to fire one after another, each holding at
    most one firing of a job, in their order: a job's second slot in one call then sees its
    first one's outcome. Firings of jobs not in ``held`` (when given) are left out."""
    rounds: list[list[int]] = []
    seen: dict[str, int] = {}
    for i, f in enumerate(firings):
        if held is not None and f.job_id not in held:
            continue
        n = seen.get(f.job_id, 0)
        seen[f.job_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(i)
    return rounds


@dataclass(frozen=True, slots=True)
class DueSlot:
    """What the ticker needs of a due job."""

    job_id: str
    schedule: Schedule
    next_run_at: datetime
    overlap: Overlap


@dataclass(frozen=True, slots=True)
class ExecutionEnd:
    """How one running execution ended, with the last chunks of its log, for
    :meth:`Store.finish_executions`."""

    execution_id: str
    result: ExecutionResult
    logs: Sequence[LogChunk] = ()


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What :meth:`Store.heartbeat` recorded."""

    at: datetime  # in the database's clock on a shared store
    renewed: bool  # False: the node's row was not there (new, or removed by peers)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    node_id: str
    hostname: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime


class Store(ABC):
    """Durable state of Pulse: jobs, run requests, executions and their logs, nodes."""

    # -- life cycle ---------------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations (forward only). Idempotent."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections. Pending writes are committed first."""

    # -- jobs ---------------------------------------------------------------------------------
    @abstractmethod
    async def create_job(self, job: Job) -> Job:
        """Insert a new job; returns it as stored."""

    @abstractmethod
    async def get_job(self, job_id: str) -> Job:
        """The job with ``last_status`` / ``last_duration_ms`` filled from its last execution."""

    @abstractmethod
    async def get_jobs(self, job_ids: Collection[str]) -> dict[str, Job]:
        """The jobs among ``job_ids`` that exist, by id, in one query (workers look up the jobs
        of a whole claimed batch at once). ``last_status`` and ``last_duration_ms`` are not
        filled: workers need the definitions only."""

    @abstractmethod
    async def job_names(self) -> dict[str, str]:
        """Every job's name by its id, in :meth:`list_jobs`'s order (for summaries over all
        jobs, which need no more of them)."""

    @abstractmethod
    async def list_jobs(self) -> list[Job]:
        """Every job, ordered by name then id, with the last execution's status and duration."""

    @abstractmethod
    async def update_job(self, job: Job) -> Job:
        """Replace the job's definition, state and ``next_run_at`` (not its bookkeeping:
        ``last_run_at``, ``last_execution_id``, skip counters). Raises NotFoundError."""

    @abstractmethod
    async def delete_job(self, job_id: str) -> None:
        """Delete the job, its queued run requests and its whole history (executions, logs).
        Executions still running finish into nothing. Raises NotFoundError."""

    # -- ticker -------------------------------------------------------------------------------
    @abstractmethod
    async def due_jobs(self, now: datetime, limit: int) -> list[Job]:
        """Active jobs whose ``next_run_at <= now``, earliest first, at most ``limit``."""

    async def due_slots(self, now: datetime, limit: int) -> list[DueSlot]:
        """``due_jobs`` reduced to what the ticker needs; backends may read only that."""
        return [
            DueSlot(j.id, j.schedule, j.next_run_at, j.overlap)
            for j in await self.due_jobs(now, limit)
            if j.next_run_at is not None
        ]

    @abstractmethod
    async def fire(self, firings: Sequence[Firing]) -> list[FireOutcome]:
        """Record due slots, one outcome per firing, in order.

        A slot is owned by whoever moves the job's ``next_run_at`` from ``expected_next_run_at``
        to ``new_next_run_at`` (a conditional update: the row count decides), so one slot fires
        once however many tickers race for it. The owner then queues ``request``, unless
        ``forbid_overlap`` is set and the job still has a run request (queued, claimed or running):
        then the skip is counted on the job (``skipped_count``, ``last_skipped_at``) instead.
        Advancing ``next_run_at`` and queueing happen in one transaction, so a failure leaves the
        slot due rather than lost or doubled."""

    async def fire_due(
        self, now: datetime, limit: int, plan: Callable[[list[DueSlot]], list[Firing]]
    ) -> tuple[int, list[tuple[Firing, FireOutcome]]]:
        """Read up to ``limit`` due slots, let ``plan`` turn them into firings, and ``fire``
        them; returns how many due slots were read, and each firing with its outcome.

        Backends with several nodes may hold the slots they read until they are fired, so that
        each due job is read and fired by one ticker, not raced for by all of them; the slots
        another ticker holds are then not read at all."""
        due = await self.due_slots(now, limit)
        firings = plan(due)
        outcomes = await self.fire(firings) if firings else []
        return len(due), list(zip(firings, outcomes, strict=True))

    @abstractmethod
    async def record_missed(self, job_id: str, gap: MissedGap) -> None:
        """Count slots the job missed (Pulse was down when they came), keeping the last gap:
        how many, the first and the last. An unknown job is ignored (deleted meanwhile)."""

    # -- run requests and executions ----------------------------------------------------------
    @abstractmethod
    async def enqueue(self, request: RunRequest) -> RunRequest:
        """Queue a run request (manual run, re-run). Raises NotFoundError for an unknown job."""

    @abstractmethod
    async def claim_run_requests(self, node_id: str, limit: int, now: datetime) -> list[RunRequest]:
        """Claim up to ``limit`` queued run requests, oldest first, for ``node_id``. Each request
        is claimed by one caller only, however many nodes claim at once."""

    async def start_execution(self, execution: Execution) -> Execution:
        """Insert the ``running`` execution of a claimed run request (``async_job_id``), mark the
        request running, and set the job's ``last_run_at`` and ``last_execution_id``. Raises
        NotFoundError if the job was deleted since the claim."""
        if not await self.start_executions([execution]):
            raise NotFoundError("job", execution.scheduled_job_id)
        return execution

    @abstractmethod
    async def start_executions(self, executions: Sequence[Execution]) -> list[Execution]:
        """``start_execution`` for each of a claimed batch, in one write. Returns those recorded:
        one whose job was deleted since the claim is not, and must not run."""

    @abstractmethod
    async def append_logs(self, execution_id: str, chunks: Sequence[LogChunk]) -> None:
        """Append log chunks (their ``seq`` increasing) to an execution's log."""

    @abstractmethod
    async def finish_execution(
        self, execution_id: str, result: ExecutionResult, logs: Sequence[LogChunk] = ()
    ) -> Execution | None:
        """Record how a running execution ended, in one update, and delete its run request.

        ``logs`` are the last chunks of its log, appended in the same transaction (a short run
        then costs one write at its end). Only a ``running`` execution is changed: the return
        value is the finished execution, or None when it was already finished (or deleted with
        its job), so that exactly one caller announces the end; the ``logs`` are then dropped.
        Small logs are also copied into the seed's ``logs`` column."""

    async def finish_executions(self, ends: Sequence[ExecutionEnd]) -> list[bool]:
        """``finish_execution`` for each of a batch (backends do it in one write: workers
        record the ends of runs that finish together at once). One flag per end, in order:
        True where this call recorded it, False where the execution was no longer running.
        The ends may be recorded in one transaction: after an error, some or none of them
        may be recorded, and a caller that tries again finds those no longer running."""
        out = []
        for end in ends:
            out.append(
                await self.finish_execution(end.execution_id, end.result, end.logs) is not None
            )
        return out

    @abstractmethod
    async def get_execution(self, execution_id: str) -> Execution:
        """One execution, without its log."""

    @abstractmethod
    async def list_executions(
        self,
        job_id: str,
        limit: int,
        offset: int,
        status: ExecutionStatus | None = None,
    ) -> Page:
        """A page of a job's executions, newest ``started_at`` first, never loading logs.
        ``total`` counts every execution matching the filter and costs O(1) (kept by counters),
        whatever the history size. Raises NotFoundError for an unknown job."""

    @abstractmethod
    async def read_logs(self, execution_id: str, after_seq: int, limit: int) -> list[LogChunk]:
        """Up to ``limit`` chunks with ``seq > after_seq``, in order."""

    async def iter_logs(
        self, execution_id: str, after_seq: int = 0, batch: int = 256
    ) -> AsyncIterator[LogChunk]:
        """Every chunk of an execution's log with ``seq > after_seq`` in order, fetched ``batch``
        at a time, so reading a large log takes constant memory."""
        after = after_seq
        while True:
            chunks = await self.read_logs(execution_id, after, batch)
            for chunk in chunks:
                yield chunk
            if len(chunks) < batch:
                return
            after = chunks[-1].seq

    # -- executions across jobs -----------------------------------------------------------------
    @abstractmethod
    async def search_execution_rows(
        self, where: ExecutionFilter, limit: int, after: Position | None = None
    ) -> tuple[list[tuple[Any, ...]], Position | None]:
        """Up to ``limit`` executions of any job matching ``where``, newest first (by
        ``started_at``, then ``id``, both descending), never loading logs, as read: each a tuple
        of the columns :data:`pulse.store.search.FIELDS` names, in that order, times as their
        stored RFC 3339 text (for readers that pass them on, like an export; others use
        :meth:`search_executions`). The page starts after ``after`` (the position of the last
        execution of the page before; None: from the newest). Returns the page and where the
        next one starts, None when none follows (the backend reads one row more to know it).

        Keyset pages: a page is an index range read from its position, so page 10,000 costs
        what page 1 does, and executions inserted or deleted between two pages never make a
        later page repeat an execution or miss one that was there all along (new runs start
        after every position handed out before them; they appear on a new first page).

        ``where.words`` is full-text search (see :func:`pulse.search.search_words`): an
        execution matches when each word is a word of its ``error_message`` or its
        ``result_summary``, the last word a prefix of one. Words are runs of letters and
        digits, matched case-insensitively, accents significant, on both backends alike. The
        index follows inserts, ends and deletes (prunes, deleted jobs) in their transaction."""

    async def search_executions(
        self, where: ExecutionFilter, limit: int, after: Position | None = None
    ) -> tuple[list[Execution], Position | None]:
        """:meth:`search_execution_rows` as executions."""
        rows, position = await self.search_execution_rows(where, limit, after)
        return [execution_from(dict(zip(FIELDS, row, strict=True))) for row in rows], position

    async def iter_execution_rows(
        self, where: ExecutionFilter, batch: int = 1000
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Every execution matching ``where``, newest first, as rows (see
        :meth:`search_execution_rows`), in lists of at most ``batch``, each read on its own, so
        that exporting a history of any size takes constant memory. Not one snapshot of the
        whole: an execution deleted meanwhile may be missing, but none is repeated, and runs
        started after the first batch are not included."""
        after = None
        while True:
            rows, after = await self.search_execution_rows(where, batch, after)
            if rows:
                yield rows
            if after is None:
                return

    async def iter_executions(
        self, where: ExecutionFilter, batch: int = 1000
    ) -> AsyncIterator[Execution]:
        """:meth:`iter_execution_rows` as executions, one at a time."""
        async for rows in self.iter_execution_rows(where, batch):
            for row in rows:
                yield execution_from(dict(zip(FIELDS, row, strict=True)))

    def event_bridge(self, hub: EventHub, node_id: str) -> EventBridge | None:
        """What shares events between the nodes on this store, or None when the store serves
        one node only (the embedded SQLite file)."""
        return None

    # -- nodes and recovery -------------------------------------------------------------------
    # Several nodes share a store that says ``shared``: their leases are then measured in the
    # database's clock and fenced (see ``heartbeat``, ``remove_node``, ``start_executions``).
    shared: bool = False

    @abstractmethod
    async def heartbeat(self, node: NodeInfo) -> Heartbeat:
        """Insert or refresh this node's row. On a ``shared`` store ``heartbeat_at`` is the
        database's clock, not ``node.heartbeat_at`` (one clock for every node's lease); on a
        store that serves one node it is ``node.heartbeat_at``. Returns what was recorded, and
        whether the row was there already (False: a new node, or one whose row peers removed
        when they declared it lost)."""

    def read_version(self) -> int | None:
        """A number that changes whenever anything is committed to the store, by anyone, read at
        once without waiting (answers read under the same number are still exact); None when the
        backend cannot tell cheaply."""
        return None

    async def ping(self) -> None:
        """A cheap read that fails (StoreError) when the database cannot be reached."""
        await self.list_nodes()

    @abstractmethod
    async def list_nodes(self) -> list[NodeInfo]:
        """Every node that has a row."""

    @abstractmethod
    async def remove_node(self, node_id: str, stale_before: datetime | None = None) -> bool:
        """Delete a node's row; with ``stale_before``, only if its last heartbeat is older (the
        row count decides which of several recoverers owns a lost node). True if deleted.

        On a ``shared`` store a node without a row starts nothing: ``start_executions`` of a
        node whose row was removed records nothing until its next heartbeat (fencing)."""

    @abstractmethod
    async def running_executions(self, node_id: str | None = None) -> list[Execution]:
        """Executions still ``running``, of one node or of all."""

    @abstractmethod
    async def orphaned_executions(self, started_before: datetime) -> list[Execution]:
        """Executions still ``running``, started before ``started_before``, whose node has no
        row: nothing will ever end them but recovery."""

    @abstractmethod
    async def requeue_claimed(
        self,
        node_id: str,
        claimed_before: datetime | None = None,
        ids: Collection[str] | None = None,
    ) -> int:
        """Put back in the queue the run requests ``node_id`` claimed but never started (those
        claimed before ``claimed_before``, and among ``ids``, when given); returns how many."""

    @abstractmethod
    async def requeue_orphaned_requests(self, claimed_before: datetime) -> int:
        """Put back in the queue the run requests claimed before ``claimed_before`` by nodes
        that have no row; returns how many."""

    # -- settings -----------------------------------------------------------------------------
    @abstractmethod
    async def get_setting(self, key: str) -> Any | None:
        """A setting shared by every node (JSON), or None if it was never set."""

    @abstractmethod
    async def put_setting(self, key: str, value: Any, now: datetime) -> None:
        """Store a setting (any JSON value), replacing the one there."""

    # -- retention ------------------------------------------------------------------------------
    @abstractmethod
    async def prune_executions(
        self,
        policies: Mapping[str, RetentionPolicy],
        now: datetime,
        *,
        batch: int = 1000,
        pause: float = 0.0,
        dry_run: bool = False,
        wait: bool = True,
    ) -> dict[str, int] | None:
        """Delete the finished executions of each job in ``policies`` that its policy lets go
        (see :mod:`pulse.retention`), with their logs; returns how many went per job (jobs
        that lost none are left out). ``dry_run`` deletes nothing and counts what would go.

        What is kept, whatever the rules: every ``running`` execution; the newest
        ``keep_min`` finished executions of a job (newest by ``started_at``, then id); the
        job's latest failed execution. Ages are measured on ``started_at`` against ``now``.

        The deletes run in transactions of at most ``batch`` executions, with ``pause``
        seconds between them, so that other writers (the scheduler) are never held up for
        long. Roll-ups (:meth:`stats`) do not change. Concurrent prunes, on one node or
        several, delete each execution once: the counts returned add up to the executions
        that are gone. On a ``shared`` store one prune runs at a time: a second one waits for
        the first to end (``wait``) or returns None at once (not ``wait``)."""

    @abstractmethod
    async def record_prune(self, report: PruneReport) -> None:
        """Keep the report of a prune that ran, for :meth:`list_prunes`."""

    @abstractmethod
    async def list_prunes(self, limit: int) -> list[PruneReport]:
        """The latest ``limit`` prune reports, newest first."""

    # -- statistics -----------------------------------------------------------------------------
    @abstractmethod
    async def stats(
        self,
        job_id: str | None,
        period: Period,
        since: datetime,
        until: datetime | None = None,
    ) -> dict[datetime, Rollup]:
        """The roll-ups of one job (or of all jobs merged, for None) by period start, for the
        periods starting at or after ``since`` (and before ``until``, if given). Periods without
        runs are left out.

        A roll-up counts each execution once, in the (UTC) hour and day its ``started_at`` falls
        in, from the moment it finishes (or is inserted finished), in the same transaction;
        running executions are not counted. Deleting executions leaves roll-ups as they are;
        deleting a job deletes its roll-ups."""

    @abstractmethod
    async def oldest_running(self, job_id: str | None = None) -> datetime | None:
        """When the oldest execution still running (of one job, or of any) started; None when
        none runs."""

    @abstractmethod
    async def stats_by_job(
        self, period: Period, since: datetime, until: datetime | None = None
    ) -> dict[str, Rollup]:
        """Per job, its roll-ups of the periods starting at or after ``since`` (and before
        ``until``, if given) merged into one, without the histogram (``buckets`` empty):
        counts, total, shortest and longest."""

    @abstractmethod
    async def rebuild_stats(self, job_id: str | None = None) -> int:
        """Recompute the roll-ups of one job (or all) from the executions stored now; returns
        how many executions were counted. Roll-ups of executions pruned before are lost."""

    @abstractmethod
    async def latest_failures(self, since: datetime, limit: int) -> list[Execution]:
        """The newest failed executions started at or after ``since``, newest first."""

    @abstractmethod
    async def recent_outcomes(self, per_job: int) -> dict[str, list[ExecutionStatus]]:
        """Per job that has finished executions, the statuses of its newest ``per_job`` finished
        ones, oldest first."""

    # -- cancel, re-run, retries --------------------------------------------------------------
    @abstractmethod
    async def request_cancel(self, execution_id: str, at: datetime) -> datetime | None:
        """Mark a running execution as asked to be cancelled (``cancel_requested_at``; a second
        request keeps the first instant). Returns that instant, or None when the execution is
        not running (finished, or unknown). The node running it acts on it; its end then
        records ``cancelled_at``."""

    @abstractmethod
    async def runs_of(self, execution_id: str) -> list[Execution]:
        """The executions whose ``rerun_of`` is this one (its re-runs, and the retries of a first
        attempt), oldest first."""

    @abstractmethod
    async def drop_queued_retries(self, job_id: str) -> int:
        """Delete the job's retries still waiting in the queue (the job was paused); returns how
        many."""
