"""A history of many executions across 100 jobs, written fast by SQL into a database that
Pulse's own store has migrated, for ``bench/serving.py``.

    .venv/bin/python bench/serving_seed.py /tmp/x/pulse.db --rows 1000000
    .venv/bin/python bench/serving_seed.py postgresql://postgres@127.0.0.1/pulse_bench --rows 100000

The store creates the schema (every migration) and the jobs; the executions are then generated
inside the database (SQLite: ``WITH RECURSIVE``; PostgreSQL: ``generate_series``), oldest first,
one run of each job a minute ending now: ``rows / 100`` minutes, about 7 days for a million. About
9 % fail, with one of seven error messages; the others end with a result summary. Triggers:
mostly ``schedule``, 1 % ``manual``, 0.4 % ``retry`` (attempt 2), 0.2 % ``rerun``. Two nodes, whose
ids change every simulated day (``host:pid`` after a restart). No run is left ``running``: a node
starting on the file would sweep them. Each row carries a short copy of its log in the seed's
``logs`` column, as small finished runs do; ``pulse_execution_logs`` stays empty (no endpoint
measured here reads it).

On SQLite the indexes and triggers of ``pulse_executions`` are dropped for the insert and
recreated afterwards from their own stored DDL, several times faster than maintaining them row by
row; what the triggers keep is then written in one statement each, as the migrations do when they
add them: the counts per job and status, the full-text index (the migration's own ``INSERT …
SELECT`` of 0006), and the hourly and daily roll-ups (the store's ``rebuild_stats``). On
PostgreSQL the rows go in with a single ``INSERT … SELECT``: its generated search column and its
indexes are maintained as they go, and its roll-up and count triggers fire per row (slower, but
what a real history costs).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOBS = 100
PAGE = 50


def job_id(j: int) -> str:
    return f"SPJ_{0xBE0000 + j:012x}"


# The generated columns, per execution number i (0 = oldest): the job is i % 100, the minute
# i / 100. Written once as SQL expressions over i and the time stamps, used by both engines
# (their integer division and modulo agree on non-negative numbers).
STATUS = "CASE WHEN (i * 7919) % 101 < 9 THEN 'failed' ELSE 'completed' END"
ERROR = """CASE WHEN (i * 7919) % 101 >= 9 THEN NULL
    WHEN i % 7 = 0 THEN 'exit code 1: connection refused by db-' || (i % 10)
    WHEN i % 7 = 1 THEN 'timed out after 600 s'
    WHEN i % 7 = 2 THEN 'exit code 2: /data/in-' || (i % 1000) || '.csv: No such file or directory'
    WHEN i % 7 = 3 THEN 'cancelled'
    WHEN i % 7 = 4 THEN 'exit code 137: killed (out of memory)'
    WHEN i % 7 = 5 THEN 'exit code 1: HTTP 503 from api.example.com'
    ELSE 'node lost: its lease expired' END"""
SUMMARY = "CASE WHEN (i * 7919) % 101 < 9 THEN NULL ELSE 'processed ' || (i % 5000) || ' rows' END"
TRIGGER = """CASE WHEN i % 100 = 3 THEN 'manual' WHEN i % 250 = 7 THEN 'retry'
    WHEN i % 500 = 11 THEN 'rerun' ELSE 'schedule' END"""
DURATION = "40 + (i * 7919) % 5000 + (i % 100) * 20"
SLOT_MS = "(:start_ms + (i / 100) * 60000)"
START_MS = f"({SLOT_MS} + 3 + (i % 100) * 97 + i % 7)"


async def _migrate_and_create_jobs(url: str) -> None:
    """The store's schema and the jobs: half cron in a time zone, half intervals, all paused so
    that a node serving the file never runs them (the measured requests read, nothing else)."""
    from pulse.jobs import new_job
    from pulse.models import JobState

    store = open_store(url)
    await store.open()
    try:
        now = datetime.now(UTC)
        for j in range(JOBS):
            fields: dict[str, Any] = {
                "name": f"bench-{j:03d}",
                "description": f"benchmark job {j}: prints a line, fails now and then",
                "command": f"/usr/local/bin/etl --table t{j} --since yesterday",
            }
            if j % 2:
                fields.update(cron=f"{j % 60} {j % 24} * * 1-5", timezone="Europe/Berlin")
            else:
                fields.update(interval_seconds=60)
            job = new_job(fields, now)
            values = {f: getattr(job, f) for f in job.__dataclass_fields__}
            values.update(id=job_id(j), state=JobState.PAUSED, next_run_at=None)
            await store.create_job(job.__class__(**values))
    finally:
        await store.close()


def open_store(url: str) -> Any:
    if url.startswith("postgresql://"):
        from pulse.store.postgres import PostgresStore

        return PostgresStore(url)
    from pulse.store.sqlite import SQLiteStore

    return SQLiteStore(Path(url))


def _end_ms() -> int:
    """The newest slot: the current minute, so that the history ends now."""
    return int(time.time() // 60 * 60_000)


def seed_sqlite(path: Path, rows: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    asyncio.run(_migrate_and_create_jobs(str(path)))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")  # building only; back to WAL at the end
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1048576")
    minutes = (rows + JOBS - 1) // JOBS
    start_ms = _end_ms() - (minutes - 1) * 60_000
    conn.execute("BEGIN")
    ddl = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'pulse_executions'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    for kind, name, _sql in ddl:
        conn.execute(f"DROP {kind.upper()} {name}")
    ts = "strftime('%Y-%m-%dT%H:%M:%fZ', ({}) / 1000.0, 'unixepoch')"
    conn.execute(
        f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :rows),
        g AS (SELECT i, {START_MS} AS s_ms, {DURATION} AS d, {STATUS} AS status,
                     {TRIGGER} AS trig FROM n)
        INSERT INTO pulse_executions (id, scheduled_job_id, async_job_id, status, started_at,
            completed_at, duration_ms, logs, result_summary, error_message, created_at,
            updated_at, scheduled_for, trigger, attempt, rerun_of, node_id, exit_code, log_bytes,
            log_dropped_bytes, cancel_requested_at, cancelled_at)
        SELECT 'PX_' || lower(hex(randomblob(5))) || '_' || (s_ms / 1000),
            printf('SPJ_%012x', {0xBE0000} + i % 100), 'JB_' || lower(hex(randomblob(6))),
            status, {ts.format("s_ms")}, {ts.format("s_ms + d")}, d,
            '[' || {ts.format("s_ms")} || '] ' || CASE status WHEN 'failed'
                THEN '[stderr] ' || {ERROR} ELSE {SUMMARY} END || char(10),
            {SUMMARY}, {ERROR}, {ts.format("s_ms")}, {ts.format("s_ms + d")},
            CASE trig WHEN 'schedule' THEN {ts.format(SLOT_MS)} END, trig,
            CASE trig WHEN 'retry' THEN 2 ELSE 1 END, NULL,
            'node-' || char(97 + i % 2) || ':' || (1000 + i / 144000),
            CASE status WHEN 'failed' THEN 1 ELSE 0 END, 60, 0,
            CASE WHEN status = 'failed' AND i % 7 = 3 THEN {ts.format("s_ms + d - 5")} END,
            CASE WHEN status = 'failed' AND i % 7 = 3 THEN {ts.format("s_ms + d")} END
        FROM g""",
        {"rows": rows, "start_ms": start_ms},
    )
    inserted = time.perf_counter() - t0
    conn.execute(
        "INSERT INTO pulse_execution_counts (scheduled_job_id, status, n)"
        " SELECT scheduled_job_id, status, count(*) FROM pulse_executions GROUP BY 1, 2"
        " ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = excluded.n"
    )
    has_fts = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'pulse_executions_fts'"
    ).fetchone()[0]
    if has_fts:  # what migration 0006 does for the rows it finds
        conn.execute(
            "INSERT INTO pulse_executions_fts (rowid, error_message, result_summary)"
            " SELECT rowid, error_message, result_summary FROM pulse_executions"
            " WHERE error_message IS NOT NULL OR result_summary IS NOT NULL"
        )
    for _kind, _name, sql in ddl:
        conn.execute(sql)
    _set_last_runs(conn)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    asyncio.run(_rebuild_stats(str(path)))
    return _info(path, rows, t0, inserted, has_fts=bool(has_fts))


def _set_last_runs(conn: Any) -> None:
    conn.execute(
        "UPDATE scheduled_jobs SET (last_run_at, last_execution_id) = (SELECT started_at, id"
        " FROM pulse_executions e WHERE e.scheduled_job_id = scheduled_jobs.id"
        " ORDER BY started_at DESC LIMIT 1)"
    )


async def _rebuild_stats(url: str) -> None:
    store = open_store(url)
    await store.open()
    try:
        await store.rebuild_stats()
    finally:
        await store.close()


def seed_postgres(url: str, rows: int) -> dict[str, Any]:
    """Rows into an empty database at ``url`` (which must exist)."""
    import psycopg

    t0 = time.perf_counter()
    asyncio.run(_migrate_and_create_jobs(url))
    minutes = (rows + JOBS - 1) // JOBS
    start_ms = _end_ms() - (minutes - 1) * 60_000
    ts = (
        "to_char(to_timestamp(({}) / 1000.0) AT TIME ZONE 'UTC',"
        ' \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')'
    )
    sql = f"""INSERT INTO pulse_executions (id, scheduled_job_id, async_job_id, status, started_at,
            completed_at, duration_ms, logs, result_summary, error_message, created_at,
            updated_at, scheduled_for, trigger, attempt, rerun_of, node_id, exit_code, log_bytes,
            log_dropped_bytes, cancel_requested_at, cancelled_at)
        SELECT 'PX_' || substr(md5(random()::text), 1, 10) || '_' || (s_ms / 1000),
            'SPJ_' || lpad(to_hex({0xBE0000} + i % 100), 12, '0'),
            'JB_' || substr(md5(random()::text), 1, 12),
            status, {ts.format("s_ms")}, {ts.format("s_ms + d")}, d,
            '[' || {ts.format("s_ms")} || '] ' || CASE status WHEN 'failed'
                THEN '[stderr] ' || {ERROR} ELSE {SUMMARY} END || chr(10),
            {SUMMARY}, {ERROR}, {ts.format("s_ms")}, {ts.format("s_ms + d")},
            CASE trig WHEN 'schedule' THEN {ts.format(SLOT_MS)} END, trig,
            CASE trig WHEN 'retry' THEN 2 ELSE 1 END, NULL,
            'node-' || chr(97 + (i % 2)::int) || ':' || (1000 + i / 144000),
            CASE status WHEN 'failed' THEN 1 ELSE 0 END, 60, 0,
            CASE WHEN status = 'failed' AND i % 7 = 3 THEN {ts.format("s_ms + d - 5")} END,
            CASE WHEN status = 'failed' AND i % 7 = 3 THEN {ts.format("s_ms + d")} END
        FROM (SELECT i, {START_MS} AS s_ms, {DURATION} AS d, {STATUS} AS status,
                     {TRIGGER} AS trig FROM generate_series(0::bigint, %(rows)s - 1) AS i) g"""
    # psycopg's placeholders: every other % (SQL's modulo) doubled.
    sql = sql.replace("%", "%%").replace("%%(rows)s", "%(rows)s")
    sql = sql.replace(":start_ms", "%(start_ms)s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, {"rows": rows, "start_ms": start_ms})  # type: ignore[arg-type]
        inserted = time.perf_counter() - t0
        _set_last_runs(conn)
        conn.execute("VACUUM ANALYZE pulse_executions")
    return _info(url, rows, t0, inserted, has_fts=True)


def _info(
    where: Path | str, rows: int, t0: float, inserted: float, has_fts: bool
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "rows": rows,
        "jobs": JOBS,
        "insert_s": round(inserted, 1),
        "build_s": round(time.perf_counter() - t0, 1),
        "full_text_index": has_fts,
    }
    if isinstance(where, Path):
        info["db_mib"] = round(where.stat().st_size / 2**20)
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("where", help="an SQLite file to create, or a postgresql:// URL (empty db)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    if args.where.startswith("postgresql://"):
        info = seed_postgres(args.where, args.rows)
    else:
        info = seed_sqlite(Path(args.where), args.rows)
    print(info, file=sys.stderr)


if __name__ == "__main__":
    main()
