"""Throughput: executions recorded per second, sustained, by one Pulse node on SQLite.

    python bench/throughput.py --jobs 3000 --workers 4000 --warmup 5 --seconds 30 [--loop asyncio]
    python bench/throughput.py --sqlite-ceiling

Pulse: ``--jobs`` interval jobs (every 1 s, overlap ``allow``) run a no-op async Python handler
that prints 1 KiB, so each run records an execution with a 1 KiB log. Their first slots are
spread over ten instants 100 ms apart, so the offered load is ``--jobs`` runs per second in ten
waves. After ``--warmup`` seconds, the ``pulse_execution_completed`` events of the next
``--seconds`` are counted (they are published after the end of the execution is committed).

``--sqlite-ceiling``: what SQLite itself does here for an insert + update pair in WAL mode
with ``synchronous=NORMAL`` (as Pulse opens it), in a tiny raw sqlite3 loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import emit, pct

LOG_LINE = "x" * 1000  # with the newline and the stored line prefix, about 1 KiB per run


async def pulse_throughput(
    n_jobs: int, workers: int, warmup: float, seconds: float, tmp: Path
) -> dict[str, Any]:
    from pulse import Pulse, Settings
    from pulse.clock import format_ts, parse_ts
    from pulse.jobs import new_job

    p = Pulse(Settings(data_dir=tmp, node_id="bench", workers=workers, poll_seconds=0.05))

    @p.handler("log1k")
    async def log1k(ctx: Any) -> None:
        print(LOG_LINE)

    await p.store.open()
    now = datetime.now(UTC)
    t0 = (now + timedelta(seconds=2 + n_jobs * 0.0005)).replace(microsecond=0)
    jobs = [
        dataclasses.replace(
            new_job(
                {"name": f"tp-{i}", "handler": "log1k", "interval_seconds": 1, "overlap": "allow"},
                now,
            ),
            next_run_at=t0 + timedelta(milliseconds=100 * (i % 10)),
        )
        for i in range(n_jobs)
    ]
    for i in range(0, n_jobs, 500):
        await asyncio.gather(*(p.store.create_job(j) for j in jobs[i : i + 500]))

    sub = p.hub.subscribe(buffer=10**7)
    await p.start()
    window_start = t0.timestamp() + warmup
    window_end = window_start + seconds
    completed = failed = 0
    cpu0 = None
    while True:
        left = window_end - time.time()
        if left <= 0:
            break
        if cpu0 is None and time.time() >= window_start:
            cpu0 = os.times()
        try:
            events = [await asyncio.wait_for(sub.get(), timeout=min(left, 0.1))]
        except TimeoutError:
            continue
        while not sub.queue.empty():  # one wait per batch: counting must not load the loop
            events.append(sub.queue.get_nowait())
        if time.time() < window_start:
            continue
        for ev in events:
            if ev.type == "pulse_execution_completed":
                completed += 1
            elif ev.type == "pulse_execution_failed":
                failed += 1
    cpu1 = os.times()
    await p.stop()
    assert cpu0 is not None
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)

    # Start lag of the runs that started inside the window: does the node keep up?
    conn = sqlite3.connect(tmp / "pulse.db")
    lo = format_ts(datetime.fromtimestamp(window_start, UTC))
    hi = format_ts(datetime.fromtimestamp(window_end, UTC))
    rows = conn.execute(
        "SELECT started_at, scheduled_for, log_bytes FROM pulse_executions"
        " WHERE started_at >= ? AND started_at < ?",
        (lo, hi),
    ).fetchall()
    conn.close()
    lags = [(parse_ts(s) - parse_ts(f)).total_seconds() * 1000 for s, f, _b in rows]
    return {
        "jobs": n_jobs,
        "workers": workers,
        "seconds": seconds,
        "per_s": round(completed / seconds, 1),
        "failed": failed,
        "offered_per_s": n_jobs,
        "cpu_cores_used": round(cpu_s / seconds, 2),
        "lag_p50_ms": pct(lags, 50),
        "lag_p99_ms": pct(lags, 99),
        "log_bytes_per_run": rows[0][2] if rows else 0,
    }


def sqlite_ceiling(tmp: Path, seconds: float) -> dict[str, Any]:
    """Insert + update pairs per second, raw sqlite3, WAL and synchronous=NORMAL."""
    from pulse.store.sqlite import SQLiteStore

    async def make_schema(path: Path) -> None:
        store = SQLiteStore(path)
        await store.open()
        await store.close()

    real = tmp / "real.db"
    asyncio.run(make_schema(real))
    conn = sqlite3.connect(real, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "INSERT INTO scheduled_jobs (id, name, state, created_at, updated_at)"
        " VALUES ('SPJ_x', 'x', 'active', '2026-11-28T00:00:00.000Z', '2026-11-28T00:00:00.000Z')"
    )
    ts = "2026-11-28T00:00:00.000Z"

    def real_pair(i: int) -> None:
        eid = f"PX_{i:010x}_1795824000"
        conn.execute(
            "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at,"
            " created_at, updated_at) VALUES (?, 'SPJ_x', 'running', ?, ?, ?)",
            (eid, ts, ts, ts),
        )
        conn.execute(
            "UPDATE pulse_executions SET status = 'completed', completed_at = ?,"
            " duration_ms = 1, updated_at = ? WHERE id = ?",
            (ts, ts, eid),
        )

    bare = sqlite3.connect(tmp / "bare.db", isolation_level=None)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = NORMAL")
    bare.execute("CREATE TABLE t (id TEXT PRIMARY KEY, status TEXT)")

    def bare_pair(i: int) -> None:
        bare.execute("INSERT INTO t VALUES (?, 'running')", (f"PX_{i:010x}",))
        bare.execute("UPDATE t SET status = 'completed' WHERE id = ?", (f"PX_{i:010x}",))

    def rate(pair: Any, offset: int, per_txn: int, db: sqlite3.Connection) -> float:
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            if per_txn > 1:
                db.execute("BEGIN")
            for _ in range(per_txn):
                pair(offset + done)
                done += 1
            if per_txn > 1:
                db.execute("COMMIT")
        return round(done / (time.perf_counter() - start))

    return {
        # each statement its own transaction (two commits per pair)
        "bare_autocommit_per_s": rate(bare_pair, 0, 1, bare),
        "schema_autocommit_per_s": rate(real_pair, 0, 1, conn),
        # pairs committed 100 at a time, as a group commit does
        "schema_grouped_per_s": rate(real_pair, 10**8, 100, conn),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=4000)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--sqlite-ceiling", action="store_true")
    ap.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="event loop (default uvloop: the one `pulse serve` runs on, as uvicorn picks it"
        " when installed)",
    )
    args = ap.parse_args()
    if args.loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    with tempfile.TemporaryDirectory(prefix="pulse-bench-tp-") as d:
        if args.sqlite_ceiling:
            result = sqlite_ceiling(Path(d), min(args.seconds, 3.0))
        else:
            result = asyncio.run(
                pulse_throughput(args.jobs, args.workers, args.warmup, args.seconds, Path(d))
            )
            result["loop"] = args.loop
    emit(result)


if __name__ == "__main__":
    sys.exit(main())
