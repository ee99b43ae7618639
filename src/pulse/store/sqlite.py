"""The embedded SQLite store: one file under the data directory, WAL mode, zero set-up.

Writes go through one writer thread that commits them in groups: every write queued while the
previous transaction was committing lands in the next one (if one write of a group fails, the
group is redone one write at a time, so it does not undo its neighbours). A burst of thousands
of executions then costs a few commits instead of thousands, and callers still resume only after
their change is committed. The hot writes (the ticker's firings, claims, starts and ends of runs)
handle a whole batch in a few statements over JSON arrays, so the writer thread spends its time
inside SQLite rather than in Python between rows. Reads run on a small pool of threads, each
with its own read-only connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pulse.clock import format_ts, parse_ts
from pulse.errors import (
    NotFoundError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
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
    Trigger,
)
from pulse.retention import PruneReport, RetentionPolicy, report_from, report_json
from pulse.search import ExecutionFilter, Position
from pulse.stats import Period, Rollup
from pulse.store import pruning, queries, search
from pulse.store.base import (
    DueSlot,
    ExecutionEnd,
    FireOutcome,
    Firing,
    Heartbeat,
    NodeInfo,
    Store,
    fire_rounds,
)
from pulse.store.rows import (
    STATUSES,
    chunk_from,
    dt,
    execution_from,
    execution_row,
    job_from,
    job_row,
    missed_params,
    result_row,
    rollup_from,
    rollups_from,
    run_request_row,
    ts,
)

T = TypeVar("T")
log = logging.getLogger("pulse.store")
Q = queries.load("sqlite.sql")

# The seed's ``logs`` column gets a copy of logs up to this size when an execution finishes.
SMALL_LOG_BYTES = 64 * 1024
_MAX_GROUP = 1000
_WAKE = object()  # wakes the writer for an urgent write
_JSON_BATCH_CHARS = 256 * 1024  # log text in one batch of ends written through JSON, at most
_VACUUM_PAGES = 1000  # free pages given back to the file system in one write
_CHECKPOINT_SECONDS = 0.5  # how often the checkpointer copies the WAL into the database
_BACKSTOP_CHECKPOINT_PAGES = 25_000


def _connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    else:
        # A new file frees the pages of pruned history as it goes (PRAGMA incremental_vacuum
        # after each prune); on a file made before, this changes nothing and freed pages are
        # reused by new rows instead.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives a crash of the process (kill -9); only a power
        # loss may lose the last transactions.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # The WAL is copied back into the database by a thread of its own (_Checkpointer), off
        # the writer's path; the writer does it itself only should the WAL reach ~100 MiB.
        conn.execute(f"PRAGMA wal_autocheckpoint = {_BACKSTOP_CHECKPOINT_PAGES}")
        # A page cache large enough for a group of writes: the default 2 MiB spills to disk and
        # reads pages back in the middle of a transaction.
        conn.execute("PRAGMA cache_size = -16384")
    return conn


# SQLite's primary result codes (the low byte of an extended code) that say why a call failed.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


def store_error(error: sqlite3.Error) -> StoreError:
    """The driver's error as Pulse's, by cause: a full disk and passing faults (I/O errors, a
    file made read-only, a lock held too long) may go away by themselves and are answered 507
    or 503; a damaged file will not. The driver's error is the cause."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    exc: StoreError
    if primary == _SQLITE_FULL:
        exc = StoreFullError(f"the disk holding the database is full (SQLite: {error})")
    elif primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        exc = StoreCorruptError(f"the database file is damaged (SQLite: {error})")
    elif primary in (_SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_CANTOPEN):
        exc = StoreUnavailableError(f"the database cannot be written (SQLite: {error})")
    elif primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        exc = StoreUnavailableError(f"the database is busy (SQLite: {error})")
    else:
        exc = StoreError(f"SQLite: {error}")
    exc.__cause__ = error
    return exc


class _Writer(threading.Thread):
    """The one thread that writes; commits queued writes in groups."""

    def __init__(self, path: str) -> None:
        super().__init__(name="pulse-sqlite-writer", daemon=True)
        self._path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # Writes that move work forward (the ticker queueing slots, workers claiming them) go
        # into the next group, ahead of the stream of executions' own writes: otherwise a burst
        # of due jobs waits behind the writes of the runs it is about to start.
        self._urgent: collections.deque[Any] = collections.deque()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start_and_wait(self) -> None:
        self.start()
        self._ready.wait()
        error = self._error
        if isinstance(error, StoreCorruptError):
            raise error
        if isinstance(error, sqlite3.Error):
            cause = store_error(error)
            kind = type(cause) if isinstance(cause, StoreCorruptError) else StoreError
            raise kind(f"cannot open SQLite database {self._path}: {error}") from error
        if error is not None:
            raise StoreError(f"cannot open SQLite database {self._path}: {error}") from error

    def submit(
        self, fn: Callable[[sqlite3.Connection], T], urgent: bool = False
    ) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        if urgent:
            self._urgent.append((fn, fut, loop))
            self._queue.put(_WAKE)
        else:
            self._queue.put((fn, fut, loop))
        return fut

    def stop(self) -> None:
        self._queue.put(None)
        self.join()

    def run(self) -> None:
        try:
            conn = _connect(self._path)
            _check_integrity(conn)
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is None:
                break
            batch = []
            while self._urgent:
                batch.append(self._urgent.popleft())
            if item is not _WAKE:
                batch.append(item)
            while len(batch) < _MAX_GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                if more is not _WAKE:
                    batch.append(more)
            while self._urgent:
                batch.append(self._urgent.popleft())
            if batch:
                self._run_group(conn, batch)
        conn.close()

    def _run_group(self, conn: sqlite3.Connection, batch: list[Any]) -> None:
        outcomes = self._attempt(conn, batch)
        if outcomes is None:
            # A write of the group failed, and the group was rolled back: redo each write in a
            # transaction of its own, so only the faulty one fails. (Cheaper than a savepoint
            # around every write, on a path that is almost never taken.)
            outcomes = []
            for item in batch:
                outcomes.extend(self._attempt(conn, [item]) or [])
        self._settle(outcomes)

    def _attempt(
        self, conn: sqlite3.Connection, batch: list[Any]
    ) -> list[tuple[Any, Any, Any, BaseException | None]] | None:
        """Run ``batch`` in one transaction. None if a write failed and there were several;
        a lone write's failure is its outcome."""
        outcomes: list[tuple[Any, Any, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for fn, fut, loop in batch:
                outcomes.append((fut, loop, fn(conn), None))
            conn.execute("COMMIT")
        except Exception as e:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            if len(batch) > 1:
                return None
            fn, fut, loop = batch[0]
            return [(fut, loop, None, e)]
        return outcomes

    def _settle(self, outcomes: list[tuple[Any, Any, Any, BaseException | None]]) -> None:
        # One wake-up of each event loop per group, not one per write.
        by_loop: dict[Any, list[tuple[Any, Any, BaseException | None]]] = {}
        for fut, loop, result, error in outcomes:
            by_loop.setdefault(loop, []).append((fut, result, error))
        for loop, settled in by_loop.items():
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, result, error in settled:
        if fut.cancelled():
            continue
        if error is None:
            fut.set_result(result)
        elif isinstance(error, sqlite3.Error):
            fut.set_exception(store_error(error))
        else:
            fut.set_exception(error)


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database file every :data:`_CHECKPOINT_SECONDS`, from a
    connection of its own (``PRAGMA wal_checkpoint(PASSIVE)``: it never waits for the writer or
    the readers, and they never wait for it). Left to the writer, a checkpoint of the ~40 MiB
    it had gathered took longer than the commit that triggered it, holding up every write
    queued behind. The writer starts the WAL over once a checkpoint has copied all of it."""

    def __init__(self, path: str) -> None:
        super().__init__(name="pulse-sqlite-checkpoint", daemon=True)
        self._path = path
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        failing = False
        while not self._stopping.wait(_CHECKPOINT_SECONDS):
            try:
                if conn is None:
                    conn = sqlite3.connect(self._path, isolation_level=None, timeout=0)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                failing = False
            except sqlite3.Error as e:
                # A full disk, a file gone read-only: the writer reports those where they
                # matter; the WAL waits for the next round (or the writer's own backstop).
                if not failing:
                    log.warning("cannot copy the WAL into %s (will retry): %s", self._path, e)
                failing = True
        if conn is not None:
            conn.close()


class SQLiteStore(Store):
    """Store on one SQLite file (``path``), or ``:memory:``-like temporary files in tests."""

    def __init__(self, path: str | Path, read_threads: int = 2) -> None:
        self.path = str(path)
        self._read_threads = read_threads
        self._writer: _Writer | None = None
        self._checkpointer: _Checkpointer | None = None
        self._readers: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pruning = asyncio.Lock()
        self._version_conn: sqlite3.Connection | None = None

    # -- plumbing -----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._writer is not None:
            return
        # Only Pulse's user may read the history (jobs may run as others: see the README).
        Path(self.path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        writer = _Writer(self.path)
        await asyncio.to_thread(writer.start_and_wait)
        self._writer = writer
        self._readers = ThreadPoolExecutor(
            self._read_threads, thread_name_prefix="pulse-sqlite-read"
        )
        await self._write(_migrate)
        self._version_conn = _connect(self.path, readonly=True)
        self._checkpointer = _Checkpointer(self.path)
        self._checkpointer.start()

    def read_version(self) -> int | None:
        # SQLite's data_version: a read of the WAL index in shared memory, a few microseconds,
        # that changes whenever another connection (the writer, another process) commits.
        conn = self._version_conn
        if conn is None:
            return None
        try:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    async def close(self) -> None:
        if self._writer is None:
            return
        if self._version_conn is not None:
            self._version_conn.close()
            self._version_conn = None
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
            self._checkpointer = None
        writer, self._writer = self._writer, None
        await asyncio.to_thread(writer.stop)
        if self._readers is not None:
            self._readers.shutdown(wait=True)
            self._readers = None
        for conn in self._reader_conns:
            conn.close()
        self._reader_conns.clear()

    async def _write(self, fn: Callable[[sqlite3.Connection], T], urgent: bool = False) -> T:
        if self._writer is None:
            raise StoreError("the store is closed")
        return await self._writer.submit(fn, urgent)

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, readonly=True)
            self._local.conn = conn
            with self._lock:
                self._reader_conns.append(conn)
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._readers is None:
            raise StoreError("the store is closed")

        def call() -> T:
            try:
                return fn(self._reader())
            except sqlite3.Error as e:
                raise store_error(e) from e

        return await asyncio.get_running_loop().run_in_executor(self._readers, call)

    # -- jobs ---------------------------------------------------------------------------------
    async def create_job(self, job: Job) -> Job:
        await self._write(lambda c: c.execute(Q["insert_job"], job_row(job)))
        return await self.get_job(job.id)

    async def get_job(self, job_id: str) -> Job:
        row = await self._read(lambda c: c.execute(Q["get_job"], {"id": job_id}).fetchone())
        if row is None:
            raise NotFoundError("job", job_id)
        return job_from(row)

    async def get_jobs(self, job_ids: Collection[str]) -> dict[str, Job]:
        ids = list(job_ids)
        if not ids:
            return {}
        # json_each keeps the statement the same whatever the batch size (no IN (?, ?, …)).
        params = {"ids": _json(ids)}
        rows = await self._read(lambda c: c.execute(Q["get_jobs"], params).fetchall())
        return {r["id"]: job_from(r) for r in rows}

    async def job_names(self) -> dict[str, str]:
        rows = await self._read(lambda c: c.execute(Q["job_names"]).fetchall())
        return {r[0]: r[1] for r in rows}

    async def list_jobs(self) -> list[Job]:
        rows = await self._read(lambda c: c.execute(Q["list_jobs"]).fetchall())
        return [job_from(r) for r in rows]

    async def update_job(self, job: Job) -> Job:
        def op(c: sqlite3.Connection) -> int:
            return c.execute(Q["update_job"], job_row(job)).rowcount

        if await self._write(op) == 0:
            raise NotFoundError("job", job.id)
        return await self.get_job(job.id)

    async def delete_job(self, job_id: str) -> None:
        def op(c: sqlite3.Connection) -> int:
            params = {"id": job_id}
            c.execute(Q["delete_job_logs"], params)
            c.execute(Q["delete_job_executions"], params)
            c.execute(Q["delete_job_counts"], params)
            c.execute(Q["delete_job_stats"], params)
            c.execute(Q["delete_job_stat_durations"], params)
            c.execute(Q["delete_job_run_requests"], params)
            return c.execute(Q["delete_job"], params).rowcount

        if await self._write(op) == 0:
            raise NotFoundError("job", job_id)

    # -- ticker -------------------------------------------------------------------------------
    async def due_jobs(self, now: datetime, limit: int) -> list[Job]:
        params = {"now": format_ts(now), "limit": limit}
        rows = await self._read(lambda c: c.execute(Q["due_jobs"], params).fetchall())
        return [job_from(r) for r in rows]

    async def due_slots(self, now: datetime, limit: int) -> list[DueSlot]:
        params = {"now": format_ts(now), "limit": limit}
        schedules: dict[tuple[Any, Any, Any], Schedule] = {}

        def read(c: sqlite3.Connection) -> list[DueSlot]:
            out = []
            for job_id, cron, tz, interval, next_run_at, overlap in c.execute(
                Q["due_slots"], params
            ):
                key = (cron, tz, interval)
                schedule = schedules.get(key)
                if schedule is None:  # jobs share a few schedules: build each once
                    schedule = schedules[key] = Schedule(cron, tz, interval)
                out.append(DueSlot(job_id, schedule, parse_ts(next_run_at), Overlap(overlap)))
            return out

        return await self._read(read)

    async def fire(self, firings: Sequence[Firing]) -> list[FireOutcome]:
        rounds = fire_rounds(firings)
        rows = [
            [
                f.job_id,
                format_ts(f.expected_next_run_at),
                ts(f.new_next_run_at),
                f.forbid_overlap,
                format_ts(f.request.created_at),
            ]
            for f in firings
        ]

        def op(c: sqlite3.Connection) -> list[FireOutcome]:
            out = [FireOutcome.LOST] * len(firings)
            for members in rounds:
                batch = _json([rows[i] for i in members])
                (won,) = c.execute(Q["fire_winners"], {"firings": batch}).fetchone()
                advance, requests = [], []
                for k, busy in json.loads(won):
                    i = members[k]
                    f = firings[i]
                    advance.append([f.job_id, rows[i][2], busy, rows[i][4]])
                    if busy:
                        out[i] = FireOutcome.SKIPPED
                    else:
                        out[i] = FireOutcome.QUEUED
                        requests.append(list(run_request_row(f.request).values()))
                if advance:
                    c.execute(Q["advance_jobs"], {"advance": _json(advance)})
                if requests:
                    c.execute(Q["insert_fired_requests"], {"requests": _json(requests)})
            return out

        return await self._write(op, urgent=True) if firings else []

    async def record_missed(self, job_id: str, gap: MissedGap) -> None:
        params = missed_params(job_id, gap)
        await self._write(lambda c: c.execute(Q["record_missed"], params))

    # -- run requests and executions ----------------------------------------------------------
    async def enqueue(self, request: RunRequest) -> RunRequest:
        def op(c: sqlite3.Connection) -> bool:
            if c.execute(Q["job_exists"], {"id": request.job_id}).fetchone() is None:
                return False
            c.execute(Q["insert_run_request"], run_request_row(request))
            return True

        if not await self._write(op):
            raise NotFoundError("job", request.job_id)
        return request

    async def claim_run_requests(self, node_id: str, limit: int, now: datetime) -> list[RunRequest]:
        params = {"node_id": node_id, "limit": limit, "now": format_ts(now)}

        def op(c: sqlite3.Connection) -> str:
            (claimed,) = c.execute(Q["claim_run_requests"], params).fetchone()
            if claimed != "[]":
                c.execute(Q["mark_claimed"], {**params, "claimed": claimed})
            return str(claimed)

        claimed = json.loads(await self._write(op, urgent=True))
        reqs = []
        for (
            id_,
            job_id,
            execution_id,
            trigger,
            scheduled_for,
            attempt,
            rerun_of,
            created,
        ) in claimed:
            reqs.append(
                RunRequest(
                    id=id_,
                    job_id=job_id,
                    execution_id=execution_id,
                    trigger=Trigger(trigger),
                    scheduled_for=None if scheduled_for is None else parse_ts(scheduled_for),
                    created_at=parse_ts(created),
                    attempt=attempt,
                    rerun_of=rerun_of,
                )
            )
        reqs.sort(key=lambda r: (r.created_at, r.id))
        return reqs

    async def start_executions(self, executions: Sequence[Execution]) -> list[Execution]:
        if not executions:
            return []
        params = {"executions": _json([list(execution_row(e).values()) for e in executions])}

        def op(c: sqlite3.Connection) -> str:
            c.execute(Q["insert_executions"], params)
            c.execute(Q["mark_requests_running"], params)
            c.execute(Q["set_jobs_last_run"], params)
            return str(c.execute(Q["executions_among"], params).fetchone()[0])

        started = set(json.loads(await self._write(op)))
        return [e for e in executions if e.id in started]

    async def append_logs(self, execution_id: str, chunks: Sequence[LogChunk]) -> None:
        rows = _chunk_rows(execution_id, chunks)
        if rows:
            await self._write(lambda c: c.executemany(Q["insert_log_chunk"], rows))

    async def finish_execution(
        self, execution_id: str, result: ExecutionResult, logs: Sequence[LogChunk] = ()
    ) -> Execution | None:
        end = _End(ExecutionEnd(execution_id, result, logs))

        def op(c: sqlite3.Connection) -> Execution | None:
            if not end.record(c):
                return None
            return execution_from(c.execute(Q["get_execution"], {"id": execution_id}).fetchone())

        return await self._write(op)

    async def finish_executions(self, ends: Sequence[ExecutionEnd]) -> list[bool]:
        if not ends:
            return []
        prepared = [_End(end) for end in ends]
        text = [row["text"] for end in prepared for row in end.chunk_rows]
        if sum(map(len, text)) <= _JSON_BATCH_CHARS and not any("\x00" in t for t in text):
            payload = _Ends(prepared)
            if not payload.has_nul:
                return await self._write(payload.record)

        # Row by row: large output (a JSON copy of it would double the memory it takes), or a
        # NUL character somewhere (JSON text in SQLite ends at one).
        def one_by_one(c: sqlite3.Connection) -> list[bool]:
            return [end.record(c) for end in prepared]

        return await self._write(one_by_one)

    async def get_execution(self, execution_id: str) -> Execution:
        row = await self._read(
            lambda c: c.execute(Q["get_execution"], {"id": execution_id}).fetchone()
        )
        if row is None:
            raise NotFoundError("execution", execution_id)
        return execution_from(row)

    async def list_executions(
        self,
        job_id: str,
        limit: int,
        offset: int,
        status: ExecutionStatus | None = None,
    ) -> Page:
        params: dict[str, Any] = {"job_id": job_id, "limit": limit, "offset": offset}

        def op(c: sqlite3.Connection) -> tuple[bool, list[Any], int]:
            # One read transaction, so the page and the total describe the same moment.
            c.execute("BEGIN")
            try:
                if c.execute(Q["job_exists"], {"id": job_id}).fetchone() is None:
                    return False, [], 0
                if status is None:
                    rows = c.execute(Q["list_executions"], params).fetchall()
                    total = c.execute(Q["count_executions"], params).fetchone()[0]
                else:
                    params["status"] = status.value
                    rows = c.execute(Q["list_executions_by_status"], params).fetchall()
                    total = c.execute(Q["count_executions_by_status"], params).fetchone()[0]
                return True, rows, total
            finally:
                c.execute("COMMIT")

        found, rows, total = await self._read(op)
        if not found:
            raise NotFoundError("job", job_id)
        return Page(items=[execution_from(r) for r in rows], total=total)

    async def read_logs(self, execution_id: str, after_seq: int, limit: int) -> list[LogChunk]:
        params = {"id": execution_id, "after": after_seq, "limit": limit}
        rows = await self._read(lambda c: c.execute(Q["read_logs"], params).fetchall())
        return [chunk_from(r) for r in rows]

    async def search_execution_rows(
        self, where: ExecutionFilter, limit: int, after: Position | None = None
    ) -> tuple[list[search.Row], Position | None]:
        return search.page(
            await self._read(lambda c: search.sqlite_rows(c, where, limit, after)), limit
        )

    # -- nodes and recovery -------------------------------------------------------------------
    async def heartbeat(self, node: NodeInfo) -> Heartbeat:
        params = {
            "node_id": node.node_id,
            "hostname": node.hostname,
            "pid": node.pid,
            "started_at": format_ts(node.started_at),
            "heartbeat_at": format_ts(node.heartbeat_at),
        }

        def op(c: sqlite3.Connection) -> bool:
            renewed = c.execute(Q["node_exists"], params).fetchone() is not None
            c.execute(Q["heartbeat"], params)
            return renewed

        renewed = await self._write(op, urgent=True)
        return Heartbeat(node.heartbeat_at, renewed)

    async def list_nodes(self) -> list[NodeInfo]:
        rows = await self._read(lambda c: c.execute(Q["list_nodes"]).fetchall())
        out = []
        for r in rows:
            out.append(
                NodeInfo(
                    node_id=r["node_id"],
                    hostname=r["hostname"],
                    pid=r["pid"],
                    started_at=parse_ts(r["started_at"]),
                    heartbeat_at=parse_ts(r["heartbeat_at"]),
                )
            )
        return out

    async def remove_node(self, node_id: str, stale_before: datetime | None = None) -> bool:
        if stale_before is None:
            query, params = Q["remove_node"], {"node_id": node_id}
        else:
            query = Q["remove_stale_node"]
            params = {"node_id": node_id, "stale_before": format_ts(stale_before)}
        return bool(await self._write(lambda c: c.execute(query, params).rowcount))

    async def running_executions(self, node_id: str | None = None) -> list[Execution]:
        if node_id is None:
            rows = await self._read(lambda c: c.execute(Q["running_executions"]).fetchall())
        else:
            params = {"node_id": node_id}
            rows = await self._read(
                lambda c: c.execute(Q["running_executions_of_node"], params).fetchall()
            )
        return [execution_from(r) for r in rows]

    async def orphaned_executions(self, started_before: datetime) -> list[Execution]:
        params = {"before": format_ts(started_before)}
        rows = await self._read(lambda c: c.execute(Q["orphaned_executions"], params).fetchall())
        return [execution_from(r) for r in rows]

    async def requeue_claimed(
        self,
        node_id: str,
        claimed_before: datetime | None = None,
        ids: Collection[str] | None = None,
    ) -> int:
        params = {
            "node_id": node_id,
            "before": ts(claimed_before),
            "ids": None if ids is None else _json(sorted(ids)),
        }
        return await self._write(lambda c: c.execute(Q["requeue_claimed"], params).rowcount)

    async def requeue_orphaned_requests(self, claimed_before: datetime) -> int:
        params = {"before": format_ts(claimed_before)}
        return await self._write(
            lambda c: c.execute(Q["requeue_orphaned_requests"], params).rowcount
        )

    # -- settings -------------------------------------------------------------------------------
    async def get_setting(self, key: str) -> Any | None:
        row = await self._read(lambda c: c.execute(Q["get_setting"], {"key": key}).fetchone())
        return None if row is None else json.loads(row["value"])

    async def put_setting(self, key: str, value: Any, now: datetime) -> None:
        params = {"key": key, "value": json.dumps(value), "now": format_ts(now)}
        await self._write(lambda c: c.execute(Q["put_setting"], params))

    # -- retention ------------------------------------------------------------------------------
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
        # One node owns the file, and one prune at a time runs on it.
        if self._pruning.locked() and not wait:
            return None
        async with self._pruning:

            async def counts() -> dict[str, int]:
                rows = await self._read(lambda c: c.execute(Q["prune_finished_count"]).fetchall())
                return {r[0]: int(r[1]) for r in rows}

            async def nth(job_id: str, n: int, newest: bool) -> pruning.Key | None:
                params = {"job": job_id, "offset": n - 1}
                query = Q["prune_nth_newest" if newest else "prune_nth_oldest"]
                row = await self._read(lambda c: c.execute(query, params).fetchone())
                return None if row is None else (row[0], row[1])

            plan = await pruning.plan(policies, now, counts, nth)
            rules = {status: _json(plan.rules(status)) for status in plan.bounds()}

            async def one(
                status: str, after: pruning.Key, bound: pruning.Key, size: int
            ) -> pruning.Batch:
                def op(c: sqlite3.Connection) -> pruning.Batch:
                    return _prune_batch(c, rules[status], status, after, bound, size, dry_run)

                return await (self._read(op) if dry_run else self._write(op))

            out = await pruning.walk(
                plan, one, size=batch, pause=pause, pace=None if dry_run else pruning.SQLITE_PACE
            )
            if out and not dry_run:
                await self._give_back_free_pages(pause)
            return out

    async def _give_back_free_pages(self, pause: float) -> None:
        """Hand the pages a prune freed back to the file system (a file made with incremental
        auto-vacuum), ``_VACUUM_PAGES`` at a time so that other writes go on in between."""
        while True:
            freed = await self._write(_incremental_vacuum)
            if freed < _VACUUM_PAGES:
                return
            await asyncio.sleep(pause)

    async def record_prune(self, report: PruneReport) -> None:
        params = {
            "started_at": format_ts(report.started_at),
            "finished_at": format_ts(report.finished_at),
            "node_id": report.node_id,
            "trigger": report.trigger,
            "deleted": report.deleted,
            "report": json.dumps(report_json(report)),
        }
        await self._write(lambda c: c.execute(Q["insert_prune"], params))

    async def list_prunes(self, limit: int) -> list[PruneReport]:
        rows = await self._read(lambda c: c.execute(Q["list_prunes"], {"limit": limit}).fetchall())
        return [report_from(json.loads(r["report"])) for r in rows]

    # -- statistics -----------------------------------------------------------------------------
    async def stats(
        self,
        job_id: str | None,
        period: Period,
        since: datetime,
        until: datetime | None = None,
    ) -> dict[datetime, Rollup]:
        params = {
            "job": job_id,
            "period": period.value,
            "since": format_ts(since),
            "until": ts(until),
        }
        which = "of_all" if job_id is None else "of_job"

        def read(c: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            return (
                c.execute(Q[f"stats_{which}"], params).fetchall(),
                c.execute(Q[f"stat_durations_{which}"], params).fetchall(),
            )

        rows, buckets = await self._read(read)
        return rollups_from(rows, buckets)

    async def oldest_running(self, job_id: str | None = None) -> datetime | None:
        name, params = (
            ("oldest_running", {}) if job_id is None else ("oldest_running_of_job", {"job": job_id})
        )
        row = await self._read(lambda c: c.execute(Q[name], params).fetchone())
        return dt(row[0])

    async def stats_by_job(
        self, period: Period, since: datetime, until: datetime | None = None
    ) -> dict[str, Rollup]:
        params = {"period": period.value, "since": format_ts(since), "until": ts(until)}
        rows = await self._read(lambda c: c.execute(Q["stats_by_job"], params).fetchall())
        return {r["scheduled_job_id"]: rollup_from(r) for r in rows}

    async def rebuild_stats(self, job_id: str | None = None) -> int:
        params = {"job": job_id}

        def op(c: sqlite3.Connection) -> int:
            for name in ("clear_stats", "clear_stat_durations", "rebuild_stats"):
                c.execute(Q[name], params)
            c.execute(Q["rebuild_stat_durations"], params)
            row = c.execute(
                "SELECT coalesce(sum(completed + failed), 0) FROM pulse_stats"
                " WHERE period = 'day' AND (:job IS NULL OR scheduled_job_id = :job)",
                params,
            ).fetchone()
            return int(row[0])

        return await self._write(op)

    async def latest_failures(self, since: datetime, limit: int) -> list[Execution]:
        params = {"since": format_ts(since), "limit": limit}
        rows = await self._read(lambda c: c.execute(Q["latest_failures"], params).fetchall())
        return [execution_from(r) for r in rows]

    async def recent_outcomes(self, per_job: int) -> dict[str, list[ExecutionStatus]]:
        rows = await self._read(
            lambda c: c.execute(Q["recent_outcomes"], {"limit": per_job}).fetchall()
        )
        out = {}
        for r in rows:
            statuses = json.loads(r["recent"] or "[]")
            if statuses:
                out[r["job_id"]] = [STATUSES[s] for s in reversed(statuses)]
        return out

    # -- cancel, re-run, retries ----------------------------------------------------------------
    async def request_cancel(self, execution_id: str, at: datetime) -> datetime | None:
        params = {"id": execution_id, "at": format_ts(at)}
        row = await self._write(lambda c: c.execute(Q["request_cancel"], params).fetchone())
        return None if row is None else parse_ts(row[0])

    async def runs_of(self, execution_id: str) -> list[Execution]:
        rows = await self._read(lambda c: c.execute(Q["runs_of"], {"id": execution_id}).fetchall())
        return [execution_from(r) for r in rows]

    async def drop_queued_retries(self, job_id: str) -> int:
        params = {"job_id": job_id}
        return await self._write(lambda c: c.execute(Q["drop_queued_retries"], params).rowcount)


class _End:
    """The writes that record one execution's end, prepared outside the writer thread."""

    __slots__ = ("chunk_rows", "copy_log", "params")

    def __init__(self, end: ExecutionEnd) -> None:
        result, logs = end.result, end.logs
        self.params = {**result_row(end.execution_id, result), "logs": None}
        self.copy_log = result.log_bytes <= SMALL_LOG_BYTES and result.log_dropped_bytes == 0
        whole = not logs or logs[0].seq == 1  # nothing of the log was stored before
        if self.copy_log and whole:
            text = "".join(ch.text for ch in logs)
            if len(text.encode()) == result.log_bytes:
                # The common short run: its whole log is here, so the copy costs no query.
                self.params["logs"] = text
                self.copy_log = False
        self.chunk_rows = _chunk_rows(end.execution_id, logs)

    def record(self, c: sqlite3.Connection) -> bool:
        """Run the writes; False if the execution was not running (nothing is written)."""
        if c.execute(Q["finish_execution"], self.params).fetchone() is None:
            return False
        if self.chunk_rows:
            c.executemany(Q["insert_log_chunk"], self.chunk_rows)
        params = {"id": self.params["id"]}
        c.execute(Q["delete_run_request_of"], params)
        if self.copy_log:
            c.execute(Q["copy_small_log"], params)
        return True


class _Ends:
    """The ends of a batch of runs as a few statements over JSON arrays (see finish_executions
    in sqlite.sql): the writer thread then spends its time inside SQLite, not between rows."""

    _COLUMNS = (
        "id",
        "status",
        "completed_at",
        "duration_ms",
        "result_summary",
        "error_message",
        "exit_code",
        "log_bytes",
        "log_dropped_bytes",
        "logs",
        "cancelled_at",
    )

    def __init__(self, prepared: list[_End]) -> None:
        self.ids = [end.params["id"] for end in prepared]
        self.ends = _json([[end.params[k] for k in self._COLUMNS] for end in prepared])
        self.chunks = [
            [(r["execution_id"], r["seq"], r["ts"], r["stream"], r["text"]) for r in end.chunk_rows]
            for end in prepared
        ]
        self.copy = [end.copy_log for end in prepared]
        self.has_nul = "\\u0000" in self.ends  # in an error message or a small log

    def record(self, c: sqlite3.Connection) -> list[bool]:
        (running,) = c.execute(Q["running_among"], {"ends": self.ends}).fetchone()
        won = set(json.loads(running))
        out = []
        chunks: list[tuple[Any, ...]] = []
        copies = []
        for i, id_ in enumerate(self.ids):
            mine = id_ in won
            won.discard(id_)  # the same id twice in a batch: the first one records it
            out.append(mine)
            if mine:
                chunks.extend(self.chunks[i])
                if self.copy[i]:
                    copies.append(id_)
        if running == "[]":
            return out
        c.execute(Q["finish_executions"], {"ends": self.ends})
        if chunks:
            c.execute(Q["insert_log_chunks"], {"chunks": _json(chunks)})
        c.execute(Q["delete_run_requests_of"], {"won": running})
        if copies:
            c.execute(Q["copy_small_logs"], {"ids": _json(copies)})
        return out


def _incremental_vacuum(c: sqlite3.Connection) -> int:
    """Give up to ``_VACUUM_PAGES`` free pages back; returns how many went (0 on a file
    without incremental auto-vacuum)."""
    if c.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    free = int(c.execute("PRAGMA freelist_count").fetchone()[0])
    pages = min(free, _VACUUM_PAGES)
    for _ in range(pages):
        # Python's driver steps a statement that returns no rows once, and each step of this
        # pragma frees one page: one page a call.
        c.execute("PRAGMA incremental_vacuum(1)")
    return pages


def _prune_batch(
    c: sqlite3.Connection,
    rules: str,
    status: str,
    after: pruning.Key,
    bound: pruning.Key,
    size: int,
    dry_run: bool,
) -> pruning.Batch:
    """One batch of a prune's walk (see :mod:`pulse.store.pruning`), in one transaction; the
    rules are applied in SQL, so that the writer's thread builds no Python object per row."""
    params: dict[str, Any] = {**pruning.batch_params(status, after, bound), "offset": size - 1}
    end = c.execute(Q["prune_batch_end"], params).fetchone()
    # The walk's last batch reaches its bound: no execution at the bound itself may go (the
    # bound is a cutoff no id ties, or a job's floor or cap, which stays).
    upto = (end[0], end[1]) if end is not None else bound
    params.update(rules=rules, upto_at=upto[0], upto_id=upto[1])
    victims = c.execute(Q["prune_victims"], params).fetchall()
    deleted = {r[0]: int(r[1]) for r in victims}
    if victims and not dry_run:
        # One transaction: nothing else wrote between the read and the delete.
        ids = "[" + ",".join(r[2][1:-1] for r in victims) + "]"
        rowids = "[" + ",".join(r[3][1:-1] for r in victims) + "]"
        c.execute(Q["delete_logs_among"], {"ids": ids})
        c.execute(Q["prune_delete"], {"rowids": rowids})
    return pruning.Batch(end is not None, upto, deleted)


def _json(value: Any) -> str:
    # Not ASCII-escaped: a lone surrogate then fails loudly when bound, instead of SQLite
    # decoding its escape into text that is not UTF-8.
    return json.dumps(value, ensure_ascii=False)


def _chunk_rows(execution_id: str, chunks: Sequence[LogChunk]) -> list[dict[str, Any]]:
    return [
        {
            "execution_id": execution_id,
            "seq": ch.seq,
            "ts": format_ts(ch.ts),
            "stream": ch.stream.value,
            "text": ch.text,
        }
        for ch in chunks
    ]


def _check_integrity(conn: sqlite3.Connection) -> None:
    """Refuse a damaged file at start (``quick_check``: every page and index entry readable,
    without the cost of matching every index to its table) rather than serve answers from it."""
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as e:
        if isinstance(store_error(e), StoreCorruptError):
            raise StoreCorruptError(f"the database file is damaged: {e}") from e
        raise
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    if problems:
        raise StoreCorruptError(f"the database file is damaged: {'; '.join(problems)}")


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply pending migrations, forward only, each recorded in ``pulse_schema_migrations``."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS pulse_schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {r[0] for r in conn.execute("SELECT version FROM pulse_schema_migrations")}
    for version, name, sql in queries.migrations("sqlite"):
        if version in done:
            continue
        # executescript would commit the writer's transaction; run statement by statement.
        for statement in _split_statements(sql):
            conn.execute(statement)
        if version == queries.ROLLUPS_VERSION:
            conn.execute(Q["rebuild_stats"], {"job": None})
            conn.execute(Q["rebuild_stat_durations"], {"job": None})
        conn.execute(
            "INSERT INTO pulse_schema_migrations (version, name, applied_at)"
            " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (version, name),
        )


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements; ``sqlite3.complete_statement`` knows trigger bodies."""
    out: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current)
            current = ""
    if current.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in current.splitlines()
    ):
        out.append(current)
    return out
