"""History queries on a database holding 1,000,000 executions of one job.

    python bench/history.py --rows 1000000

Builds the database (Pulse's own migrations create the schema; the rows are then bulk inserted
with sqlite3 ``executemany`` in one transaction, in the format the store writes, with the
triggers maintaining ``pulse_execution_counts``), then times pages of 50 with their ``total``,
newest first, sequentially:

- at offset 0, at offset ``rows / 2``, and at offset 0 with ``status=failed`` (one run in ten
  failed);
- through the store (``SQLiteStore.list_executions``, the call the API makes) and through the
  HTTP API of a real ``pulse serve`` on the same file (httpx, one request at a time).

The database file is warm in the page cache (it was just written), as it is on a server that
serves history all day.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import emit, pct, pulse_server

JOB_ID = "SPJ_bench0history"
PAGE = 50


async def _create_schema_and_job(path: Path) -> None:
    from pulse.jobs import new_job
    from pulse.store.sqlite import SQLiteStore

    store = SQLiteStore(path)
    await store.open()
    now = datetime.now(UTC)
    job = new_job({"name": "history", "command": "echo ok", "interval_seconds": 60}, now)
    await store.create_job(job.__class__(**{**_fields(job), "id": JOB_ID}))
    await store.close()


def _fields(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


def _ts(ms: int) -> str:
    """``format_ts`` of a time given in Unix milliseconds, several times faster (a million rows
    need three time stamps each); ``build`` checks that both agree."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _rows(n: int, start_ms: int) -> Iterator[tuple[Any, ...]]:
    """Execution rows, oldest first, one run a minute, every tenth failed, each with a one-line
    log. Column order: see the INSERT statement in ``build``."""
    rand = os.urandom(5 * n).hex()  # 10 hex characters per execution id, as ids.py makes them
    jb = os.urandom(6 * n).hex()
    for i in range(n):
        slot_ms = start_ms + 60_000 * i
        started_ms = slot_ms + 3 + i % 7
        duration = 40 + (i * 7919) % 5000
        s, e = _ts(started_ms), _ts(started_ms + duration)
        failed = i % 10 == 7
        text = f"[{s}] [stderr] boom\n" if failed else f"[{s}] ok\n"
        eid = f"PX_{rand[10 * i : 10 * i + 10]}_{started_ms // 1000}"
        yield (
            eid,
            JOB_ID,
            f"JB_{jb[12 * i : 12 * i + 12]}",
            "failed" if failed else "completed",
            s,
            e,
            duration,
            text,
            None if failed else "ok",
            "exit code 1: boom" if failed else None,
            s,
            e,
            _ts(slot_ms),
            "schedule",
            1,
            None,
            "bench",
            1 if failed else 0,
            len(text),  # ASCII: characters are bytes
            0,
        )


def build(path: Path, n: int) -> dict[str, Any]:
    from pulse.clock import format_ts

    t0 = time.perf_counter()
    asyncio.run(_create_schema_and_job(path))
    conn = sqlite3.connect(path, isolation_level=None)
    # Building only: no WAL and no fsync while one big transaction writes the file; the
    # database is put back in WAL mode (as Pulse runs it) at the end.
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1048576")  # 1 GiB of page cache for the index builds
    end = datetime(2026, 11, 28, tzinfo=UTC)
    start_ms = int(end.timestamp() * 1000) - 60_000 * n
    check = start_ms + 123_456_789
    assert _ts(check) == format_ts(datetime.fromtimestamp(check / 1000, UTC))
    conn.execute("BEGIN")
    # Secondary indexes and the counting triggers are dropped for the bulk insert and then
    # recreated from their own stored DDL (several times faster than maintaining them row by
    # row); the counts the triggers would have kept are written in one statement meanwhile.
    tables = ("pulse_executions", "pulse_execution_logs")
    ddl = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (?, ?)"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL",
        tables,
    ).fetchall()
    for kind, name, _sql in ddl:
        conn.execute(f"DROP {kind.upper()} {name}")
    conn.executemany(
        "INSERT INTO pulse_executions (id, scheduled_job_id, async_job_id, status, started_at,"
        " completed_at, duration_ms, logs, result_summary, error_message, created_at,"
        " updated_at, scheduled_for, trigger, attempt, rerun_of, node_id, exit_code, log_bytes,"
        " log_dropped_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _rows(n, start_ms),
    )
    # Each execution's log is one chunk, the same text as its (small-log) ``logs`` copy.
    conn.execute(
        "INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)"
        " SELECT id, 1, started_at, CASE status WHEN 'failed' THEN 'stderr' ELSE 'stdout' END,"
        " logs FROM pulse_executions"
    )
    conn.execute(
        "INSERT INTO pulse_execution_counts (scheduled_job_id, status, n)"
        " SELECT scheduled_job_id, status, count(*) FROM pulse_executions"
        " GROUP BY scheduled_job_id, status"
        " ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = excluded.n"
    )
    for _kind, _name, sql in ddl:
        conn.execute(sql)
    conn.execute(
        "UPDATE scheduled_jobs SET (last_run_at, last_execution_id) = (SELECT started_at, id"
        " FROM pulse_executions ORDER BY started_at DESC LIMIT 1) WHERE id = ?",
        (JOB_ID,),
    )
    conn.execute("COMMIT")
    recreated = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE tbl_name IN (?, ?) AND sql IS NOT NULL"
        " AND type IN ('index', 'trigger')",
        tables,
    ).fetchone()[0]
    assert recreated == len(ddl), "an index or trigger was not recreated"
    conn.execute("PRAGMA journal_mode = WAL")
    # The counts the triggers kept must match the table.
    counted = dict(
        conn.execute(
            "SELECT status, count(*) FROM pulse_executions WHERE scheduled_job_id = ?"
            " GROUP BY status",
            (JOB_ID,),
        ).fetchall()
    )
    kept = dict(
        conn.execute(
            "SELECT status, n FROM pulse_execution_counts WHERE scheduled_job_id = ? AND n > 0",
            (JOB_ID,),
        ).fetchall()
    )
    conn.close()
    if counted != kept or sum(counted.values()) != n:
        raise SystemExit(f"counts table wrong: {kept} vs {counted}")
    return {
        "rows": n,
        "build_s": round(time.perf_counter() - t0, 1),
        "db_mib": round(path.stat().st_size / 2**20),
        "counts": counted,
    }


def cases(n: int, quick: bool) -> list[tuple[str, int, str | None, int]]:
    """(name, offset, status, repetitions). Deep offsets are slow by nature: fewer repeats."""
    reps = 30 if quick else 200
    return [
        ("offset 0", 0, None, reps),
        (f"offset {n // 2:,}", n // 2, None, 5 if quick else 15),
        ("status=failed, offset 0", 0, "failed", reps),
    ]


async def via_store(path: Path, n: int, quick: bool) -> dict[str, Any]:
    from pulse.models import ExecutionStatus
    from pulse.store.sqlite import SQLiteStore

    store = SQLiteStore(path)
    await store.open()
    out: dict[str, Any] = {}
    try:
        for name, offset, status, reps in cases(n, quick):
            st = None if status is None else ExecutionStatus(status)
            times = []
            for i in range(reps + 2):  # the first two warm the connection and the cache
                t0 = time.perf_counter()
                page = await store.list_executions(JOB_ID, PAGE, offset, st)
                dt = (time.perf_counter() - t0) * 1000
                if i >= 2:
                    times.append(dt)
                assert len(page.items) == PAGE and page.total > 0
            out[name] = _stats(times)
    finally:
        await store.close()
    return out


def via_http(data_dir: Path, n: int, quick: bool) -> dict[str, Any]:
    import httpx

    out: dict[str, Any] = {}
    with pulse_server(data_dir) as (base, _proc), httpx.Client(base_url=base) as client:
        for name, offset, status, reps in cases(n, quick):
            params: dict[str, Any] = {"limit": PAGE, "offset": offset}
            if status:
                params["status"] = status
            url = f"/api/pulse/jobs/{JOB_ID}/executions"
            times = []
            for i in range(reps + 2):
                t0 = time.perf_counter()
                r = client.get(url, params=params)
                dt = (time.perf_counter() - t0) * 1000
                r.raise_for_status()
                body = r.json()
                assert body["count"] == PAGE and body["total"] > 0, body
                if i >= 2:
                    times.append(dt)
            out[name] = _stats(times)
    return out


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "n": len(times),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-bench-history-") as d:
        data_dir = Path(d)
        db = data_dir / "pulse.db"
        info = build(db, args.rows)
        print(f"built {args.rows:,} executions in {info['build_s']} s", file=sys.stderr)
        store = asyncio.run(via_store(db, args.rows, args.quick))
        http = via_http(data_dir, args.rows, args.quick)
    emit({"db": info, "store": store, "http": http})


if __name__ == "__main__":
    sys.exit(main())
