"""The PostgreSQL store: several Pulse nodes share one database.

Every method borrows a connection from a pool (psycopg 3, async) for one statement or one
transaction; nothing is cached between calls, so any node may serve any request. What SQLite
gets from its single writer, this store gets from the database: row locks and conditional
updates decide who fires a slot, ``FOR UPDATE SKIP LOCKED`` who runs a request, and writes that
must be atomic are one statement (data-modifying CTEs) or one transaction.

Driver errors become :class:`~pulse.errors.StoreError` in one place, :meth:`PostgresStore._use`;
a lost server or an exhausted pool becomes :class:`~pulse.errors.StoreUnavailableError`, and
the pool is then checked so the next call gets a live connection instead of another dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

from pulse.clock import format_ts, parse_ts
from pulse.errors import NotFoundError, StoreError, StoreFullError, StoreUnavailableError
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
    run_request_from,
    run_request_row,
    ts,
)
from pulse.store.sqlite import SMALL_LOG_BYTES

Q = queries.load("postgres.sql")

Connection = psycopg.AsyncConnection[DictRow]

# Any constant works as long as every node uses the same one: it names the lock that serialises
# migrations when several nodes start at once. ASCII "pulse".
_MIGRATION_LOCK = 0x70756C7365

# A batch the server rolled back (a deadlock, a serialization failure) is run again, this many
# times in all, before the prune gives up.
_PRUNE_BATCH_ATTEMPTS = 3
# Names the lock a node holds while it prunes (one node at a time). ASCII "prune".
_PRUNE_LOCK = 0x7072756E65


# From this many chunks on, append_logs streams them with COPY, which needs no parameter arrays
# held whole in memory; below it, one INSERT of unnested arrays is a single round trip.
_COPY_FROM = 64
# How long a call waits for a connection while the server is known to be away.
_DOWN_WAIT = 0.5

# The pool retries a failed connection after 1, 2, 4, 8, 16 s…: a database back after 20 s would
# wait up to 16 s more for Pulse to notice, answering 503 and running nothing meanwhile (and
# leases may lapse). A scheduler would rather try every second: the backoff stays at its first
# step. (psycopg_pool has no setting for it; the class attribute is read at each attempt.)
AttemptWithBackoff.DELAY_BACKOFF = 1.0


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; output of a user's command can. Replace it (with U+FFFD,
    as undecodable bytes are) rather than lose the whole chunk to an error."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _opt_text(value: str | None) -> str | None:
    return None if value is None else _text(value)


async def _fire_held(
    conn: Connection, firings: Sequence[Firing], held: set[str]
) -> list[FireOutcome]:
    """Fire ``firings`` whose jobs this transaction holds locked (``held``; the others are
    lost), with fire_locked, in rounds (see :func:`fire_rounds`)."""
    outcomes = [FireOutcome.LOST] * len(firings)
    for members in fire_rounds(firings, held):
        rows = [
            {
                **run_request_row(firings[i].request),
                "job_id": firings[i].job_id,
                "expected": format_ts(firings[i].expected_next_run_at),
                "new_next_run_at": ts(firings[i].new_next_run_at),
                "forbid_overlap": firings[i].forbid_overlap,
            }
            for i in members
        ]
        cur = await conn.execute(Q["fire_locked"], {"firings": json.dumps(rows)})
        won = {r["job_id"]: r["busy"] for r in await cur.fetchall()}
        for i in members:
            busy = won.get(firings[i].job_id)
            if busy is not None:
                outcomes[i] = FireOutcome.SKIPPED if busy else FireOutcome.QUEUED
    return outcomes


def _due_slots(rows: list[DictRow]) -> list[DueSlot]:
    schedules: dict[tuple[Any, Any, Any], Schedule] = {}
    out = []
    for r in rows:
        key = (r["cron"], r["timezone"], r["interval_seconds"])
        schedule = schedules.get(key)
        if schedule is None:  # jobs share a few schedules: build each once
            schedule = schedules[key] = Schedule(*key)
        out.append(DueSlot(r["id"], schedule, parse_ts(r["next_run_at"]), Overlap(r["overlap"])))
    return out


async def _pg_prune_batch(
    conn: Connection,
    rules: str,
    status: str,
    after: pruning.Key,
    bound: pruning.Key,
    size: int,
    dry_run: bool,
) -> pruning.Batch:
    """One batch of a prune's walk (see :mod:`pulse.store.pruning`), in one statement: what
    it read, and per job what went (or would go). The rules are applied on the server, in its
    own collation: the node only hands them over and reads the counts."""
    params = {
        **pruning.batch_params(status, after, bound),
        "rules": rules,
        "limit": size,
        "dry_run": dry_run,
    }
    cur = await conn.execute(Q["prune_batch"], params)
    row = await cur.fetchone()
    assert row is not None
    if not row["scanned"]:
        return pruning.Batch(False, after, {})
    deleted = {job: int(n) for job, n in (row["deleted"] or {}).items()}
    return pruning.Batch(row["scanned"] == size, (row["last_at"], row["last_id"]), deleted)


def _ends_params(ends: Sequence[ExecutionEnd]) -> dict[str, str]:
    """The parameters of finish_executions: the ends and their chunks as JSON arrays."""
    rows: list[dict[str, Any]] = []
    chunks: list[dict[str, Any]] = []
    # In execution id order: two batches lock the rows they share in the same order.
    for end in sorted(ends, key=lambda e: e.execution_id):
        result = end.result
        texts = [_text(ch.text) for ch in end.logs]
        rows.append(
            {
                **result_row(end.execution_id, result),
                "result_summary": _opt_text(result.result_summary),
                "error_message": _opt_text(result.error_message),
                "copy_log": result.log_bytes <= SMALL_LOG_BYTES and result.log_dropped_bytes == 0,
                "new_text": "".join(texts),
            }
        )
        chunks.extend(
            {
                "execution_id": end.execution_id,
                "seq": ch.seq,
                "ts": format_ts(ch.ts),
                "stream": ch.stream.value,
                "text": text,
            }
            for ch, text in zip(end.logs, texts, strict=True)
        )
    return {"ends": json.dumps(rows), "chunks": json.dumps(chunks)}


class PostgresStore(Store):
    """Store on a PostgreSQL database named by ``url`` (``postgresql://user@host:port/db``).

    ``timeout`` bounds how long a call waits for a connection: while the server is away, calls
    fail after it with StoreUnavailableError (the API answers 503) instead of hanging."""

    shared = True

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, timeout: float = 5.0
    ) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._timeout = timeout
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._down = False  # the last call found the server away
        # Calls between their start and their commit, so that close() can wait for them.
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._drained.set()

    # -- plumbing -----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.url,
            connection_class=psycopg.AsyncConnection[DictRow],
            # Autocommit: a single statement is its own transaction (one round trip, no BEGIN);
            # methods that need more open a transaction explicitly.
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=self._min_size,
            max_size=self._max_size,
            timeout=self._timeout,
            name="pulse",
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=self._timeout)
        except PoolTimeout as e:
            await pool.close()
            # The pool only says it timed out; one direct attempt tells why (server down, no
            # such database, authentication), which is what the operator needs to read.
            cause = await self._connect_error() or e
            raise StoreUnavailableError(f"cannot connect to PostgreSQL: {cause}") from cause
        self._pool = pool
        try:
            await self._migrate()
        except BaseException:
            self._pool = None
            await pool.close()
            raise

    async def _connect_error(self) -> psycopg.Error | None:
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.url, connect_timeout=max(1, int(self._timeout))
            )
        except psycopg.Error as e:
            return e
        await conn.close()
        return None

    async def close(self) -> None:
        """New calls fail at once; calls already made (a finishing execution's last write) are
        waited for, up to ``timeout``, before the connections close."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), self._timeout)
        await pool.close()

    @asynccontextmanager
    async def _use(self, *, transaction: bool = False) -> AsyncIterator[Connection]:
        """A pooled connection, inside a transaction if asked; the one place where driver
        errors are translated (the driver's exception stays the cause)."""
        pool = self._pool
        if pool is None:
            raise StoreError("the store is closed")
        self._in_flight += 1
        self._drained.clear()
        # While the server is known to be away, a call waits a moment for a connection, not the
        # whole timeout: the API answers 503 at once, and the engine's retries pace themselves.
        wait = _DOWN_WAIT if self._down else self._timeout
        try:
            async with pool.connection(timeout=wait) as conn:
                if transaction:
                    async with conn.transaction():
                        yield conn
                else:
                    yield conn
        except PoolTimeout as e:
            self._down = True
            raise StoreUnavailableError(f"PostgreSQL: no connection available: {e}") from e
        except psycopg.errors.DiskFull as e:
            raise StoreFullError(f"the database server's disk is full (PostgreSQL: {e})") from e
        except (psycopg.errors.InsufficientResources, psycopg.errors.SystemError) as e:
            # Out of memory, of connections, an I/O error on the server: it may pass.
            raise StoreUnavailableError(f"PostgreSQL: {e}") from e
        except psycopg.errors.TransactionRollback as e:
            # A deadlock or a serialization failure: this one call failed, the server is there.
            raise StoreUnavailableError(f"PostgreSQL: {e}") from e
        except psycopg.OperationalError as e:
            # The connection (or the server) is gone. Its siblings idle in the pool are likely
            # dead too (a restart kills them all): test them now, so the next call waits for a
            # fresh connection instead of failing on the next dead one.
            self._down = True
            await self._check_pool(pool)
            raise StoreUnavailableError(f"PostgreSQL: {e}") from e
        except psycopg.Error as e:
            raise StoreError(f"PostgreSQL: {e}") from e
        else:
            self._down = False
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._drained.set()

    async def _check_pool(self, pool: AsyncConnectionPool[Connection]) -> None:
        # Best effort: should the check fail too, the pool repairs itself in the background.
        with contextlib.suppress(psycopg.Error, TimeoutError):
            await asyncio.wait_for(pool.check(), self._timeout)

    async def _migrate(self) -> None:
        """Apply pending migrations, forward only, each recorded in ``pulse_schema_migrations``.

        One transaction under an advisory lock: nodes starting together take turns, and the
        later ones find the work done. PostgreSQL's DDL is transactional, so a failed migration
        leaves the schema as it was."""
        async with self._use(transaction=True) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS pulse_schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            cur = await conn.execute("SELECT version FROM pulse_schema_migrations")
            done = {row["version"] for row in await cur.fetchall()}
            for version, name, sql in queries.migrations("postgres"):
                if version in done:
                    continue
                # No parameters: psycopg sends the file as one simple query, whatever its
                # statement count and however many $$-quoted function bodies it holds.
                await conn.execute(sql)
                if version == queries.ROLLUPS_VERSION:
                    await conn.execute(Q["rebuild_stats"], {"job": None})
                await conn.execute(
                    "INSERT INTO pulse_schema_migrations (version, name, applied_at)"
                    " VALUES (%s, %s, to_char(now() AT TIME ZONE 'UTC',"
                    ' \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\'))',
                    (version, name),
                )

    async def _one(self, query: str, params: dict[str, Any]) -> DictRow | None:
        async with self._use() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchone()

    async def _all(self, query: str, params: dict[str, Any] | None = None) -> list[DictRow]:
        async with self._use() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall()

    async def _count(self, query: str, params: dict[str, Any]) -> int:
        async with self._use() as conn:
            cur = await conn.execute(query, params)
            return cur.rowcount

    # -- jobs ---------------------------------------------------------------------------------
    async def create_job(self, job: Job) -> Job:
        row = await self._one(Q["insert_job"], job_row(job))
        assert row is not None  # an INSERT without conflict returns its row
        return job_from(row)

    async def get_job(self, job_id: str) -> Job:
        row = await self._one(Q["get_job"], {"id": job_id})
        if row is None:
            raise NotFoundError("job", job_id)
        return job_from(row)

    async def get_jobs(self, job_ids: Collection[str]) -> dict[str, Job]:
        ids = list(job_ids)
        if not ids:
            return {}
        return {r["id"]: job_from(r) for r in await self._all(Q["get_jobs"], {"ids": ids})}

    async def job_names(self) -> dict[str, str]:
        return {r["id"]: r["name"] for r in await self._all(Q["job_names"])}

    async def list_jobs(self) -> list[Job]:
        return [job_from(r) for r in await self._all(Q["list_jobs"])]

    async def update_job(self, job: Job) -> Job:
        row = await self._one(Q["update_job"], job_row(job))
        if row is None:
            raise NotFoundError("job", job.id)
        return job_from(row)

    async def delete_job(self, job_id: str) -> None:
        params = {"id": job_id}
        async with self._use(transaction=True) as conn:
            cur = await conn.execute(Q["lock_job"], params)
            if await cur.fetchone() is None:
                raise NotFoundError("job", job_id)
            for name in (
                "delete_job_logs",
                "delete_job_executions",
                "delete_job_counts",
                "delete_job_stats",
                "delete_job_stat_durations",
                "delete_job_run_requests",
                "delete_job",
            ):
                await conn.execute(Q[name], params)

    # -- ticker -------------------------------------------------------------------------------
    async def due_jobs(self, now: datetime, limit: int) -> list[Job]:
        rows = await self._all(Q["due_jobs"], {"now": format_ts(now), "limit": limit})
        return [job_from(r) for r in rows]

    async def due_slots(self, now: datetime, limit: int) -> list[DueSlot]:
        return _due_slots(await self._all(Q["due_slots"], {"now": format_ts(now), "limit": limit}))

    async def fire_due(
        self, now: datetime, limit: int, plan: Callable[[list[DueSlot]], list[Firing]]
    ) -> tuple[int, list[tuple[Firing, FireOutcome]]]:
        params = {"now": format_ts(now), "limit": limit}
        async with self._use(transaction=True) as conn:
            cur = await conn.execute(Q["lock_due_slots"], params)
            due = _due_slots(await cur.fetchall())
            firings = plan(due)
            outcomes = await _fire_held(conn, firings, {slot.job_id for slot in due})
        return len(due), list(zip(firings, outcomes, strict=True))

    async def fire(self, firings: Sequence[Firing]) -> list[FireOutcome]:
        if not firings:
            return []
        async with self._use(transaction=True) as conn:
            # Locked in id order, and never waited for: a job another transaction holds (another
            # ticker firing it, an edit under way) is lost for now and stays due.
            cur = await conn.execute(
                Q["lock_jobs_to_fire"], {"ids": sorted({f.job_id for f in firings})}
            )
            held = {r["id"] for r in await cur.fetchall()}
            return await _fire_held(conn, firings, held)

    async def record_missed(self, job_id: str, gap: MissedGap) -> None:
        await self._count(Q["record_missed"], missed_params(job_id, gap))

    # -- run requests and executions ----------------------------------------------------------
    async def enqueue(self, request: RunRequest) -> RunRequest:
        if await self._count(Q["enqueue"], run_request_row(request)) == 0:
            raise NotFoundError("job", request.job_id)
        return request

    async def claim_run_requests(self, node_id: str, limit: int, now: datetime) -> list[RunRequest]:
        params = {"node_id": node_id, "limit": limit, "now": format_ts(now)}
        rows = await self._all(Q["claim_run_requests"], params)
        rows.sort(key=lambda r: (r["created_at"], r["queue_seq"]))  # RETURNING has no order
        return [run_request_from(r) for r in rows]

    async def start_executions(self, executions: Sequence[Execution]) -> list[Execution]:
        if not executions:
            return []
        rows = []
        for e in executions:
            row = execution_row(e)
            row["result_summary"] = _opt_text(row["result_summary"])
            row["error_message"] = _opt_text(row["error_message"])
            rows.append(row)
        started = {
            r["id"]
            for r in await self._all(Q["start_executions"], {"executions": json.dumps(rows)})
        }
        return [e for e in executions if e.id in started]

    async def append_logs(self, execution_id: str, chunks: Sequence[LogChunk]) -> None:
        if not chunks:
            return
        # Either way one statement, so the batch is atomic without BEGIN/COMMIT round trips.
        async with self._use() as conn:
            await self._insert_chunks(conn, execution_id, chunks)

    async def _insert_chunks(
        self, conn: Connection, execution_id: str, chunks: Sequence[LogChunk]
    ) -> None:
        if len(chunks) >= _COPY_FROM:
            async with conn.cursor() as cur, cur.copy(Q["copy_log_chunks"]) as copy:
                for ch in chunks:
                    await copy.write_row(
                        (execution_id, ch.seq, format_ts(ch.ts), ch.stream.value, _text(ch.text))
                    )
        else:
            params = {
                "execution_id": execution_id,
                "seqs": [ch.seq for ch in chunks],
                "tss": [format_ts(ch.ts) for ch in chunks],
                "streams": [ch.stream.value for ch in chunks],
                "texts": [_text(ch.text) for ch in chunks],
            }
            await conn.execute(Q["insert_log_chunks"], params)

    async def finish_execution(
        self, execution_id: str, result: ExecutionResult, logs: Sequence[LogChunk] = ()
    ) -> Execution | None:
        params = _ends_params([ExecutionEnd(execution_id, result, logs)])
        async with self._use(transaction=True) as conn:
            cur = await conn.execute(Q["finish_executions"], params)
            if await cur.fetchone() is None:
                return None
            cur = await conn.execute(Q["get_execution"], {"id": execution_id})
            row = await cur.fetchone()
        return None if row is None else execution_from(row)

    async def finish_executions(self, ends: Sequence[ExecutionEnd]) -> list[bool]:
        if not ends:
            return []
        params = _ends_params(ends)
        done = {r["id"] for r in await self._all(Q["finish_executions"], params)}
        out = []
        for end in ends:
            out.append(end.execution_id in done)
            done.discard(end.execution_id)  # the same id twice in a batch: recorded once
        return out

    async def get_execution(self, execution_id: str) -> Execution:
        row = await self._one(Q["get_execution"], {"id": execution_id})
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
        if status is None:
            rows = await self._all(Q["list_executions"], params)
        else:
            params["status"] = status.value
            rows = await self._all(Q["list_executions_by_status"], params)
        # Always one row at least: the job's existence and the total, with or without a page.
        if not rows[0]["job_exists"]:
            raise NotFoundError("job", job_id)
        items = [execution_from(r) for r in rows if r["id"] is not None]
        return Page(items=items, total=rows[0]["total"])

    async def read_logs(self, execution_id: str, after_seq: int, limit: int) -> list[LogChunk]:
        params = {"id": execution_id, "after": after_seq, "limit": limit}
        return [chunk_from(r) for r in await self._all(Q["read_logs"], params)]

    async def search_execution_rows(
        self, where: ExecutionFilter, limit: int, after: Position | None = None
    ) -> tuple[list[search.Row], Position | None]:
        async with self._use() as conn:
            return search.page(await search.postgres_rows(conn, where, limit, after), limit)

    def event_bridge(self, hub: EventHub, node_id: str) -> EventBridge | None:
        from pulse.store.pg_events import PostgresEventBridge

        return PostgresEventBridge(self.url, self, hub, node_id)

    # -- nodes and recovery -------------------------------------------------------------------
    async def heartbeat(self, node: NodeInfo) -> Heartbeat:
        params = {
            "node_id": node.node_id,
            "hostname": node.hostname,
            "pid": node.pid,
            "started_at": format_ts(node.started_at),
        }
        row = await self._one(Q["heartbeat"], params)
        assert row is not None  # an upsert returns its row
        return Heartbeat(parse_ts(row["heartbeat_at"]), bool(row["renewed"]))

    async def ping(self) -> None:
        await self._one("SELECT 1", {})

    async def list_nodes(self) -> list[NodeInfo]:
        return [
            NodeInfo(
                node_id=r["node_id"],
                hostname=r["hostname"],
                pid=r["pid"],
                started_at=parse_ts(r["started_at"]),
                heartbeat_at=parse_ts(r["heartbeat_at"]),
            )
            for r in await self._all(Q["list_nodes"])
        ]

    async def remove_node(self, node_id: str, stale_before: datetime | None = None) -> bool:
        if stale_before is None:
            return await self._count(Q["remove_node"], {"node_id": node_id}) > 0
        params = {"node_id": node_id, "stale_before": format_ts(stale_before)}
        return await self._count(Q["remove_stale_node"], params) > 0

    async def running_executions(self, node_id: str | None = None) -> list[Execution]:
        if node_id is None:
            rows = await self._all(Q["running_executions"])
        else:
            rows = await self._all(Q["running_executions_of_node"], {"node_id": node_id})
        return [execution_from(r) for r in rows]

    async def orphaned_executions(self, started_before: datetime) -> list[Execution]:
        rows = await self._all(Q["orphaned_executions"], {"before": format_ts(started_before)})
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
            "ids": None if ids is None else sorted(ids),
        }
        return await self._count(Q["requeue_claimed"], params)

    async def requeue_orphaned_requests(self, claimed_before: datetime) -> int:
        return await self._count(
            Q["requeue_orphaned_requests"], {"before": format_ts(claimed_before)}
        )

    # -- settings -------------------------------------------------------------------------------
    async def get_setting(self, key: str) -> Any | None:
        row = await self._one(Q["get_setting"], {"key": key})
        return None if row is None else json.loads(row["value"])

    async def put_setting(self, key: str, value: Any, now: datetime) -> None:
        params = {"key": key, "value": json.dumps(value), "now": format_ts(now)}
        async with self._use() as conn:
            await conn.execute(Q["put_setting"], params)

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
        # The whole prune holds one connection, and on it the lock that lets one node prune at
        # a time (a session lock: it goes with the connection should this node die).
        async with self._use() as conn:
            if wait:
                await conn.execute("SELECT pg_advisory_lock(%s)", (_PRUNE_LOCK,))
            else:
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (_PRUNE_LOCK,))
                row = await cur.fetchone()
                if row is None or not row["ok"]:
                    return None
            try:
                # A batch's commit need not wait for the disk: should the server crash, the
                # rows it deleted come back, and the next prune deletes them again.
                await conn.execute("SET synchronous_commit = off")
                if not dry_run:
                    # Page ranges of log chunks written since the last summary: the batches'
                    # windows would otherwise read every one of them.
                    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                        await conn.execute(Q["summarize_log_times"])

                async def counts() -> dict[str, int]:
                    cur = await conn.execute(Q["prune_finished_count"])
                    return {r["scheduled_job_id"]: int(r["n"]) for r in await cur.fetchall()}

                async def nth(job_id: str, n: int, newest: bool) -> pruning.Key | None:
                    params = {"job": job_id, "offset": n - 1}
                    query = Q["prune_nth_newest" if newest else "prune_nth_oldest"]
                    cur = await conn.execute(query, params)
                    row = await cur.fetchone()
                    return None if row is None else (row["started_at"], row["id"])

                plan = await pruning.plan(policies, now, counts, nth)

                rules = {status: json.dumps(plan.rules(status)) for status in plan.bounds()}

                async def one(
                    status: str, after: pruning.Key, bound: pruning.Key, size: int
                ) -> pruning.Batch:
                    args = (conn, rules[status], status, after, bound, size, dry_run)
                    for attempt in range(1, _PRUNE_BATCH_ATTEMPTS):
                        try:
                            return await _pg_prune_batch(*args)
                        except psycopg.errors.TransactionRollback:
                            # Rolled back whole (one statement): the same batch again.
                            await asyncio.sleep(0.05 * attempt)
                    return await _pg_prune_batch(*args)

                return await pruning.walk(
                    plan,
                    one,
                    size=batch,
                    pause=pause,
                    pace=None if dry_run else pruning.POSTGRES_PACE,
                )
            finally:
                with contextlib.suppress(psycopg.Error):
                    await conn.execute("RESET synchronous_commit")
                    await conn.execute("SELECT pg_advisory_unlock(%s)", (_PRUNE_LOCK,))

    async def record_prune(self, report: PruneReport) -> None:
        params = {
            "started_at": format_ts(report.started_at),
            "finished_at": format_ts(report.finished_at),
            "node_id": report.node_id,
            "trigger": report.trigger,
            "deleted": report.deleted,
            "report": json.dumps(report_json(report)),
        }
        async with self._use() as conn:
            await conn.execute(Q["insert_prune"], params)

    async def list_prunes(self, limit: int) -> list[PruneReport]:
        rows = await self._all(Q["list_prunes"], {"limit": limit})
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
        async with self._use() as conn:
            cur = await conn.execute(Q[f"stats_{which}"], params)
            rows = await cur.fetchall()
            cur = await conn.execute(Q[f"stat_durations_{which}"], params)
            buckets = await cur.fetchall()
        return rollups_from(rows, buckets)

    async def oldest_running(self, job_id: str | None = None) -> datetime | None:
        name, params = (
            ("oldest_running", {}) if job_id is None else ("oldest_running_of_job", {"job": job_id})
        )
        row = await self._one(Q[name], params)
        return None if row is None else dt(row["started_at"])

    async def stats_by_job(
        self, period: Period, since: datetime, until: datetime | None = None
    ) -> dict[str, Rollup]:
        params = {"period": period.value, "since": format_ts(since), "until": ts(until)}
        rows = await self._all(Q["stats_by_job"], params)
        return {r["scheduled_job_id"]: rollup_from(r) for r in rows}

    async def rebuild_stats(self, job_id: str | None = None) -> int:
        params = {"job": job_id}
        async with self._use(transaction=True) as conn:
            await conn.execute(Q["clear_stats"], params)
            await conn.execute(Q["clear_stat_durations"], params)
            cur = await conn.execute(Q["rebuild_stats"], params)
            row = await cur.fetchone()
        return 0 if row is None else int(row["n"])

    async def latest_failures(self, since: datetime, limit: int) -> list[Execution]:
        rows = await self._all(Q["latest_failures"], {"since": format_ts(since), "limit": limit})
        return [execution_from(r) for r in rows]

    async def recent_outcomes(self, per_job: int) -> dict[str, list[ExecutionStatus]]:
        rows = await self._all(Q["recent_outcomes"], {"limit": per_job})
        return {
            r["job_id"]: [STATUSES[s] for s in reversed(r["recent"])] for r in rows if r["recent"]
        }

    # -- cancel, re-run, retries ----------------------------------------------------------------
    async def request_cancel(self, execution_id: str, at: datetime) -> datetime | None:
        row = await self._one(Q["request_cancel"], {"id": execution_id, "at": format_ts(at)})
        return None if row is None else parse_ts(row["cancel_requested_at"])

    async def runs_of(self, execution_id: str) -> list[Execution]:
        return [execution_from(r) for r in await self._all(Q["runs_of"], {"id": execution_id})]

    async def drop_queued_retries(self, job_id: str) -> int:
        return await self._count(Q["drop_queued_retries"], {"job_id": job_id})
