"""``pulse store copy``: move jobs and their whole history from the embedded SQLite store to
PostgreSQL, for users who outgrow one machine.

Why it works the way it does:

* Rows move as they are, with SQL of this module's own rather than through the Store API. Both
  schemas have the same tables, columns and TEXT timestamps, so nothing needs converting; the
  API, made for the engine, writes one execution at a time and would rewrite what the rows
  already say (``last_run_at``, the seed's ``logs`` column). Columns are read from both schemas
  at run time, so a migration that adds one is copied without touching this file.
* Constant memory whatever the history: each table is read with one cursor in key order and
  written in batches (rows, and bytes for logs), each batch one transaction of one ``COPY``.
  One statement per batch also means the target's statement-level triggers update the counters
  per (job, status) once per batch, not once per row.
* Resumable: before a batch is sent, the target is asked which of its keys it already holds,
  and only the others travel. An interrupted copy rerun continues where it stopped without
  duplicating anything or resending many MiB of logs, and a second full run copies nothing.
  An advisory lock keeps two copies from racing into one database.
* One snapshot: the source is read inside one read transaction, so the rows copied and the
  counts verified describe the same moment even if a node kept writing (``--force``).
* Verified by counts at the end: jobs, executions per job and status, the target's counters
  against its real rows, log chunks and their bytes (NUL, which PostgreSQL text cannot hold,
  becomes U+FFFD, as in the PostgreSQL store, and is counted as such).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pulse.clock import parse_ts
from pulse.errors import PulseError
from pulse.store import queries

T = TypeVar("T")

DEFAULT_BATCH_SIZE = 1000
# Log chunks can be large: a batch also ends once it holds this much text, so memory stays
# bounded by the batch, not by the history.
DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
# A node whose heartbeat is this recent is taken to be running (engine default: every 5 s).
NODE_ALIVE_WITHIN = timedelta(seconds=60)
# Any constant works as long as every copy uses the same one. ASCII "pcopy".
_COPY_LOCK = 0x70636F7079
_CONNECT_TIMEOUT = 5


class CopyError(PulseError):
    """The copy cannot start, failed midway, or did not verify. The message names the flag
    (``--from`` / ``--to``) at fault, because it is read by a person at a terminal."""


@dataclass(frozen=True, slots=True)
class _Table:
    label: str  # what a person calls it
    name: str
    key: tuple[str, ...]
    key_types: tuple[str, ...]  # PostgreSQL array element types of the key columns
    order: str  # source ORDER BY
    where: str = ""  # source filter (orphans, run requests that are not queued)


_JOBS = _Table("jobs", "scheduled_jobs", ("id",), ("text",), "id")
_EXECUTIONS = _Table(
    "executions",
    "pulse_executions",
    ("id",),
    ("text",),
    "id",
    # SQLite enforces this foreign key; the filter only keeps a damaged file from failing the
    # copy halfway (PostgreSQL enforces it too).
    "scheduled_job_id IN (SELECT id FROM scheduled_jobs)",
)
_LOGS = _Table(
    "log chunks",
    "pulse_execution_logs",
    ("execution_id", "seq"),
    ("text", "bigint"),
    "execution_id, seq",
    # A job deleted while its execution ran leaves the chunks appended afterwards behind; no
    # execution shows them, so they are not history worth moving.
    "execution_id IN (SELECT id FROM pulse_executions"
    " WHERE scheduled_job_id IN (SELECT id FROM scheduled_jobs))",
)
# Only queued requests: claimed or running ones belong to executions of the source's node, which
# will not finish on the target. Oldest first, so the target's queue_seq keeps the queue order.
_RUN_REQUESTS = _Table(
    "run requests",
    "pulse_run_requests",
    ("id",),
    ("text",),
    "created_at, id",
    "status = 'queued' AND scheduled_job_id IN (SELECT id FROM scheduled_jobs)",
)
TABLES = (_JOBS, _EXECUTIONS, _LOGS, _RUN_REQUESTS)


@dataclass(slots=True)
class TableResult:
    label: str
    total: int  # rows to copy in the source
    copied: int = 0
    present: int = 0  # already in the target (an earlier, interrupted or complete, run)
    bytes: int = 0  # UTF-8 bytes of log text copied (log chunks only)

    @property
    def done(self) -> int:
        return self.copied + self.present


@dataclass(frozen=True, slots=True)
class Check:
    """One count compared between source and target."""

    what: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass(slots=True)
class Progress:
    """Given to the progress callback after every committed batch; raising from the callback
    stops the copy there (what was committed stays, and a rerun continues)."""

    tables: list[TableResult]
    current: str
    batches: int
    started: float  # time.monotonic() at the start

    @property
    def table_done(self) -> bool:
        """The batch just committed was the current table's last."""
        return any(t.label == self.current and t.done >= t.total for t in self.tables)


@dataclass(slots=True)
class CopyReport:
    source: str
    target: str  # without its password
    tables: list[TableResult] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # details of failed checks
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches and all(c.ok for c in self.checks)

    @property
    def copied(self) -> int:
        return sum(t.copied for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "target": self.target,
            "seconds": round(self.seconds, 3),
            "copied": self.copied,
            "tables": {
                t.label: {
                    "source": t.total,
                    "copied": t.copied,
                    "already_present": t.present,
                    **({"bytes": t.bytes} if t.label == _LOGS.label else {}),
                }
                for t in self.tables
            },
            "checks": [
                {"what": c.what, "source": c.source, "target": c.target, "ok": c.ok}
                for c in self.checks
            ],
            "mismatches": self.mismatches,
            "warnings": self.warnings,
        }


# -- entry point ----------------------------------------------------------------------------------
def copy_store(
    source_url: str,
    target_url: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
    now: datetime | None = None,
) -> CopyReport:
    """Copy ``source_url`` (``sqlite:///PATH``) into ``target_url`` (``postgresql://…``),
    migrating the target first, then verify; returns the report (check ``report.ok``).

    Blocking: from inside an event loop, call it through ``asyncio.to_thread``.
    Raises :class:`CopyError` when it cannot start (bad URL, unreachable server, a node still
    running on the source without ``force``, a job id taken by another job) or fails midway."""
    if batch_size < 1 or batch_bytes < 1:
        raise CopyError("--batch-size: must be at least 1")
    path = _source_path(source_url)
    _check_target_url(target_url)
    report = CopyReport(source=source_url, target=redact(target_url))
    started = time.monotonic()

    _migrate_source(path)
    src = _open_source(path)
    try:
        _check_nodes(src, force, now or datetime.now(UTC), report)
        dst = _open_target(target_url)
        try:
            copier = _Copier(src, dst, batch_size, batch_bytes, progress, report, started)
            copier.run()
        except psycopg.Error as e:
            raise CopyError(
                f"--to: PostgreSQL failed: {_first_line(e)}; what was committed stays, rerun to"
                " continue"
            ) from e
        except sqlite3.Error as e:
            raise CopyError(f"--from: SQLite failed: {e}") from e
        finally:
            dst.close()
    finally:
        src.close()
    report.seconds = time.monotonic() - started
    return report


# -- opening both ends ----------------------------------------------------------------------------
def _source_path(url: str) -> Path:
    if url.startswith(("postgresql://", "postgres://")):
        raise CopyError("--from: copying from PostgreSQL is not supported; give sqlite:///PATH")
    if not url.startswith("sqlite:///"):
        raise CopyError(f"--from: expected sqlite:///PATH to a Pulse database, got {url!r}")
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file():
        # Opening a missing file would create an empty database and copy nothing, "successfully".
        raise CopyError(f"--from: no such file: {path}")
    return path


def _check_target_url(url: str) -> None:
    if not url.startswith(("postgresql://", "postgres://")):
        raise CopyError(f"--to: expected a postgresql://… URL, got {redact(url)!r}")
    try:
        conninfo_to_dict(url)
    except psycopg.Error as e:
        raise CopyError(f"--to: not a valid PostgreSQL URL: {_first_line(e)}") from e


def redact(url: str) -> str:
    """``url`` without its password, fit to print."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
    except ValueError:
        return "<the URL given>"


def _run_async(coro: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion in a thread of its own, so that this works whether or
    not the caller is inside an event loop."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coro()))
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=target, name="pulse-copy-migrate")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def _migrate_source(path: Path) -> None:
    """Bring an older source up to the current schema (its columns are what gets copied), but
    never turn a file that is not a Pulse database into one."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "pulse_schema_migrations" not in tables:
                raise CopyError(f"--from: {path} is not a Pulse database")
            done = {r[0] for r in conn.execute("SELECT version FROM pulse_schema_migrations")}
        except sqlite3.DatabaseError as e:
            raise CopyError(f"--from: {path} is not a Pulse database ({e})") from e
    if all(version in done for version, _, _ in queries.migrations("sqlite")):
        return

    from pulse.store.sqlite import SQLiteStore

    async def migrate() -> None:
        store = SQLiteStore(path)
        await store.open()
        await store.close()

    try:
        _run_async(migrate)
    except PulseError as e:
        raise CopyError(f"--from: cannot migrate {path}: {e}") from e


def _open_source(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    # One read transaction for the whole copy and its verification: a WAL snapshot.
    conn.execute("BEGIN")
    return conn


def _open_target(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    where = redact(url)
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT)
    except psycopg.Error as e:
        raise CopyError(f"--to: cannot connect to {where}: {_first_line(e)}") from e
    try:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_COPY_LOCK,)).fetchone()
        if row is None or not row[0]:
            raise CopyError(f"--to: another `pulse store copy` is writing into {where}")

        from pulse.store.postgres import PostgresStore

        async def migrate() -> None:
            store = PostgresStore(url, max_size=1, timeout=_CONNECT_TIMEOUT)
            await store.open()
            await store.close()

        try:
            _run_async(migrate)
        except PulseError as e:
            raise CopyError(f"--to: cannot migrate {where}: {e}") from e
    except BaseException:
        conn.close()
        raise
    return conn


def _check_nodes(src: sqlite3.Connection, force: bool, now: datetime, report: CopyReport) -> None:
    """A node still serving the source keeps adding history the copy would miss, and its
    running executions would arrive as ``running`` forever: refuse unless forced."""
    alive = []
    for node_id, hostname, pid, heartbeat in src.execute(
        "SELECT node_id, hostname, pid, heartbeat_at FROM pulse_nodes ORDER BY node_id"
    ):
        try:
            age = now - parse_ts(heartbeat)
        except ValueError:
            continue
        if age <= NODE_ALIVE_WITHIN:
            alive.append(f"{node_id} (host {hostname}, pid {pid}, {age.total_seconds():.0f} s ago)")
    if alive:
        message = (
            "--from: a Pulse node still uses this database: "
            + ", ".join(alive)
            + "; stop `pulse serve` first (or pass --force to copy a snapshot anyway)"
        )
        if not force:
            raise CopyError(message)
        report.warnings.append(message.removeprefix("--from: "))
    row = src.execute("SELECT count(*) FROM pulse_executions WHERE status = 'running'").fetchone()
    if row[0]:
        report.warnings.append(
            f"{row[0]:,} execution(s) are still running in the source; they are copied as"
            " running and stay so until a node's recovery marks them failed"
        )


# -- the copy ------------------------------------------------------------------------------------
class _Copier:
    def __init__(
        self,
        src: sqlite3.Connection,
        dst: psycopg.Connection[tuple[Any, ...]],
        batch_size: int,
        batch_bytes: int,
        progress: Callable[[Progress], None] | None,
        report: CopyReport,
        started: float,
    ) -> None:
        self.src = src
        self.dst = dst
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.progress = progress
        self.report = report
        self.started = started
        self.batches = 0

    def run(self) -> None:
        columns = {t.name: self._columns(t) for t in TABLES}
        self._count_orphans()
        results = [TableResult(t.label, self._source_count(t)) for t in TABLES]
        self.report.tables = results
        self._check_job_ids()
        for table, result in zip(TABLES, results, strict=True):
            self._copy(table, columns[table.name], result)
        self._verify()

    def _columns(self, table: _Table) -> list[str]:
        """The source's columns, all of which the target must have (else history would be
        dropped silently); target-only columns (``queue_seq``) take their defaults."""
        src_cols = [r[1] for r in self.src.execute(f"PRAGMA table_info({table.name})")]
        cur = self.dst.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table.name,),
        )
        dst_cols = {r[0] for r in cur}
        missing = [c for c in src_cols if c not in dst_cols]
        if missing:
            raise CopyError(
                f"--to: {table.name} has no column {', '.join(missing)}; are both databases"
                " migrated by the same Pulse version?"
            )
        return src_cols

    def _source_count(self, table: _Table) -> int:
        where = f" WHERE {table.where}" if table.where else ""
        row = self.src.execute(f"SELECT count(*) FROM {table.name}{where}").fetchone()
        return int(row[0])

    def _count_orphans(self) -> None:
        row = self.src.execute(
            f"SELECT count(*) FROM pulse_execution_logs WHERE NOT ({_LOGS.where})"
        ).fetchone()
        if row[0]:
            self.report.warnings.append(
                f"{row[0]:,} log chunk(s) belong to no execution (their job was deleted while"
                " they ran); they are not copied"
            )

    def _check_job_ids(self) -> None:
        """A job id already in the target must be this job, copied before (ids are random, so
        a match means the same job unless someone made one up): refuse to pour one job's
        history into another. Checked before anything is written."""
        cur = self.src.execute("SELECT id, name, created_at FROM scheduled_jobs ORDER BY id")
        while rows := cur.fetchmany(self.batch_size):
            found = self.dst.execute(
                "SELECT id, name, created_at FROM scheduled_jobs WHERE id = ANY(%s)",
                ([r[0] for r in rows],),
            ).fetchall()
            theirs = {r[0]: r for r in found}
            for job_id, name, created_at in rows:
                other = theirs.get(job_id)
                if other is not None and other[2] != created_at:
                    raise CopyError(
                        f"--to: the target already has a different job with id {job_id}"
                        f" ({other[1]!r}, created {other[2]}; the source's is {name!r},"
                        f" created {created_at}); refusing to merge their histories"
                    )

    def _source_log_size(self) -> tuple[int, int]:
        """Chunks and UTF-8 bytes of the log text to copy, as the target will hold them: each
        NUL (1 byte) becomes U+FFFD (3 bytes). Rows with a NUL are rare, so only they are
        read back to count theirs."""
        where = _LOGS.where
        chunks, size, with_nul = self.src.execute(
            "SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0),"
            " coalesce(sum(instr(CAST(text AS BLOB), x'00') > 0), 0)"
            f" FROM pulse_execution_logs WHERE {where}"
        ).fetchone()
        if with_nul:
            for (text,) in self.src.execute(
                "SELECT text FROM pulse_execution_logs"
                f" WHERE instr(CAST(text AS BLOB), x'00') > 0 AND {where}"
            ):
                size += 2 * str(text).count("\x00")
        return int(chunks), int(size)

    def _batches(self, table: _Table, columns: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
        where = f" WHERE {table.where}" if table.where else ""
        cur = self.src.execute(
            f"SELECT {', '.join(columns)} FROM {table.name}{where} ORDER BY {table.order}"
        )
        text_at = [i for i, c in enumerate(columns) if c in ("text", "logs")]
        batch: list[tuple[Any, ...]] = []
        size = 0
        for row in cur:
            batch.append(row)
            for i in text_at:
                value = row[i]
                if isinstance(value, str):
                    size += len(value)
            if len(batch) >= self.batch_size or size >= self.batch_bytes:
                yield batch
                batch = []
                size = 0
        if batch:
            yield batch

    def _copy(self, table: _Table, columns: list[str], result: TableResult) -> None:
        key_at = [columns.index(k) for k in table.key]
        text_col = columns.index("text") if table is _LOGS else None
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        present_sql = _present_query(table)
        for batch in self._batches(table, columns):
            keys = [[row[i] for row in batch] for i in key_at]
            if table is _RUN_REQUESTS:
                keys.append([row[columns.index("execution_id")] for row in batch])
            with self.dst.transaction(), self.dst.cursor() as cur:
                # In the batch's transaction, under the copy's advisory lock: what is absent
                # now is still absent when the COPY lands.
                present = {r[0] for r in cur.execute(present_sql, keys)}
                missing = [row for i, row in enumerate(batch, 1) if i not in present]
                if missing:
                    with cur.copy(copy_sql) as copy:
                        for row in missing:
                            copy.write_row(_clean(row))
            result.copied += len(missing)
            result.present += len(batch) - len(missing)
            if text_col is not None:
                result.bytes += sum(len(row[text_col].encode()) for row in missing)
            self.batches += 1
            if self.progress is not None:
                self.progress(Progress(self.report.tables, table.label, self.batches, self.started))

    # -- verification -----------------------------------------------------------------------
    def _verify(self) -> None:
        report = self.report
        job_ids = [r[0] for r in self.src.execute("SELECT id FROM scheduled_jobs")]
        row = self.dst.execute(
            "SELECT count(*) FROM scheduled_jobs WHERE id = ANY(%s)", (job_ids,)
        ).fetchone()
        report.checks.append(Check("jobs", len(job_ids), row[0] if row else 0))

        source = _groups(
            self.src.execute(
                "SELECT scheduled_job_id, status, count(*) FROM pulse_executions"
                f" WHERE {_EXECUTIONS.where} GROUP BY 1, 2"
            )
        )
        target = _groups(
            self.dst.execute(
                "SELECT scheduled_job_id, status, count(*) FROM pulse_executions"
                " WHERE scheduled_job_id = ANY(%s) GROUP BY 1, 2",
                (job_ids,),
            )
        )
        counters = _groups(
            self.dst.execute(
                "SELECT scheduled_job_id, status, n FROM pulse_execution_counts"
                " WHERE scheduled_job_id = ANY(%s) AND n <> 0",
                (job_ids,),
            )
        )
        report.checks.append(Check("executions", sum(source.values()), sum(target.values())))
        for key in sorted(source.keys() | target.keys()):
            if source.get(key, 0) != target.get(key, 0):
                report.mismatches.append(
                    f"job {key[0]}: {source.get(key, 0):,} {key[1]} execution(s) in the source,"
                    f" {target.get(key, 0):,} in the target"
                )
        bad_counters = sorted(
            k for k in target.keys() | counters.keys() if target.get(k, 0) != counters.get(k, 0)
        )
        for key in bad_counters:
            report.mismatches.append(
                f"job {key[0]}: pulse_execution_counts says {counters.get(key, 0):,} {key[1]},"
                f" the target holds {target.get(key, 0):,}"
            )

        chunks, size = self._source_log_size()
        dst_logs = self.dst.execute(
            "SELECT count(*), coalesce(sum(octet_length(l.text)), 0) FROM pulse_execution_logs l"
            " JOIN pulse_executions e ON e.id = l.execution_id"
            " WHERE e.scheduled_job_id = ANY(%s)",
            (job_ids,),
        ).fetchone()
        assert dst_logs is not None
        report.checks.append(Check("log chunks", chunks, int(dst_logs[0])))
        report.checks.append(Check("log bytes", size, int(dst_logs[1])))
        if len(report.mismatches) > 20:
            more = len(report.mismatches) - 20
            report.mismatches[20:] = [f"… and {more:,} more"]


def _present_query(table: _Table) -> sql.SQL | sql.Composed:
    """Which rows of a batch (by their 1-based position) the target already holds."""
    unnest = sql.SQL(", ").join(
        sql.SQL("{}::{}[]").format(sql.Placeholder(), sql.SQL(t)) for t in table.key_types
    )
    names = sql.SQL(", ").join(map(sql.Identifier, table.key))
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{0} = k.{0}").format(sql.Identifier(k)) for k in table.key
    )
    query: sql.SQL | sql.Composed = sql.SQL(
        "SELECT k.i FROM unnest({unnest}) WITH ORDINALITY AS k({names}, i)"
        " WHERE EXISTS (SELECT 1 FROM {table} t WHERE {match})"
    ).format(unnest=unnest, names=names, table=sql.Identifier(table.name), match=match)
    if table is _RUN_REQUESTS:
        # A queued request whose execution already exists in the target ran there (a node
        # claimed it after an earlier copy): queueing it again would run it twice.
        query = sql.SQL(
            "SELECT k.i FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS k(id, eid, i)"
            " WHERE EXISTS (SELECT 1 FROM pulse_run_requests r WHERE r.id = k.id)"
            " OR EXISTS (SELECT 1 FROM pulse_run_requests r WHERE r.execution_id = k.eid)"
            " OR EXISTS (SELECT 1 FROM pulse_executions e WHERE e.id = k.eid)"
        )
    return query


def _clean(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """PostgreSQL text cannot hold NUL, a command's output can: replaced by U+FFFD, as the
    PostgreSQL store does, rather than failing the batch."""
    if any(isinstance(v, str) and "\x00" in v for v in row):
        return tuple(v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in row)
    return row


def _groups(rows: Any) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): int(r[2]) for r in rows}


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


# -- human output --------------------------------------------------------------------------------
def format_progress(p: Progress) -> str:
    """One line: ``jobs 12/12, executions 50,000/120,000, log chunks 0/300,000 (0.0 MiB)``."""
    parts = []
    for t in p.tables:
        part = f"{t.label} {t.done:,}/{t.total:,}"
        if t.label == _LOGS.label and t.bytes:
            part += f" ({t.bytes / 2**20:,.1f} MiB)"
        parts.append(part)
    return ", ".join(parts) + f"  [{time.monotonic() - p.started:,.1f} s]"


def format_report(report: CopyReport) -> str:
    lines = [f"copied {report.source} -> {report.target} in {report.seconds:,.1f} s"]
    width = max(len(t.label) for t in report.tables) if report.tables else 0
    for t in report.tables:
        line = f"  {t.label.ljust(width)}  {t.copied:>12,} copied, {t.present:,} already there"
        if t.label == _LOGS.label:
            line += f" ({t.bytes / 2**20:,.1f} MiB copied)"
        if t.label == _RUN_REQUESTS.label:
            line += " (queued ones only)"
        lines.append(line)
    if report.copied == 0:
        lines.append("nothing new to copy: the target already held every row")
    elif report.seconds > 0:
        rows = sum(t.copied for t in report.tables) / report.seconds
        mib = sum(t.bytes for t in report.tables) / 2**20 / report.seconds
        lines.append(f"  {rows:,.0f} rows/s, {mib:,.1f} MiB/s of logs")
    checks = ", ".join(f"{c.what} {c.source:,}" for c in report.checks)
    if report.ok:
        lines.append(f"verified: {checks}; job/status counters match")
    else:
        lines.append("VERIFICATION FAILED:")
        lines.extend(
            f"  {c.what}: source {c.source:,}, target {c.target:,}"
            for c in report.checks
            if not c.ok
        )
        lines.extend(f"  {m}" for m in report.mismatches)
        lines.append(
            "  (more in the target: a node ran there, or the job id was reused; fewer: rows"
            " were deleted there, or the source changed since)"
        )
    lines.extend(f"warning: {w}" for w in report.warnings)
    return "\n".join(lines)
