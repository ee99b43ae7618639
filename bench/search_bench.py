"""Runs across jobs (issue 10): pages of ``Store.search_executions`` on a history of 1,000,000
executions, on SQLite and on PostgreSQL, for each filter and for full-text searches of common
and rare words, at the newest page, 500,000 runs deep and at the oldest; the plan each uses; and
what migration 0006 (its indexes and the full-text index) costs the writes of runs.

    .venv/bin/python bench/search_bench.py            # both backends, 1,000,000 rows (~6 min)
    .venv/bin/python bench/search_bench.py --rows 100000 --only sqlite

The history is written straight into the tables (on a schema the store migrated): 100 jobs, one
run every 2 s, one in eleven failed with one of seven error messages (one of them in 20 runs
only), completed ones with one of four summaries or none; 3 % of the runs not scheduled (manual,
rerun, retry); 40 node ids, each running a stretch of the history (as ``host:pid`` ids change at
every restart). On SQLite the roll-up triggers are left out during the load (they do not touch
what is measured); the counters and the full-text index are kept by their triggers. On
PostgreSQL the rows are COPied, then ANALYZEd.

Each page is read 5 times through the store (a warm cache, as a server's would be), the median
reported; the plan is EXPLAIN [QUERY PLAN]'s, of the statement a page without words runs.

The write cost: 20,000 runs recorded through the store as workers record them (queue, claim,
start and finish in batches of 200) on an empty database, with migration 0006's objects and
without them (dropped), per run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from tests.store import builders as b  # noqa: E402

from pulse.clock import format_ts  # noqa: E402
from pulse.models import ExecutionStatus, Trigger  # noqa: E402
from pulse.search import ExecutionFilter, Position, search_words  # noqa: E402
from pulse.store import search  # noqa: E402
from pulse.store.base import ExecutionEnd, Store  # noqa: E402
from pulse.store.postgres import PostgresStore  # noqa: E402
from pulse.store.sqlite import SQLiteStore  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
T0 = datetime(2024, 1, 1, tzinfo=UTC)
JOBS = [f"SPJ_bench{i:03d}" for i in range(100)]
ERRORS = [
    "exit code 1",
    "timed out after 30 s",
    "exit code 2: connection refused to db-7.internal:5432",
    "node restarted",
    "job deleted",
    "KeyError: 'customer_id'",
    "disk full on /var/lib/app",
]
SUMMARIES = ["done", "processed {n} rows", "sent report to ops", "uploaded backup-{n}.tar.gz"]
COLUMNS = (
    "id, scheduled_job_id, status, started_at, completed_at, duration_ms, result_summary,"
    " error_message, created_at, updated_at, trigger, node_id"
)


def rows(n: int) -> Iterator[tuple[Any, ...]]:
    rnd = random.Random(1)
    rare = set(rnd.sample(range(n), 20))
    for i in range(n):
        started = format_ts(T0 + timedelta(milliseconds=2000 * i + rnd.randrange(2000)))
        status = "running" if i >= n - 50 else ("failed" if rnd.random() < 1 / 11 else "completed")
        r = rnd.random()
        trigger = (
            "schedule" if r >= 0.03 else ("manual" if r < 0.02 else rnd.choice(["rerun", "retry"]))
        )
        error = summary = None
        if status == "failed":
            error = "kaboom: a rare failure" if i in rare else rnd.choice(ERRORS)
        elif status == "completed":
            text = rnd.choice([*SUMMARIES, None])
            summary = None if text is None else text.format(n=rnd.randrange(10**6))
        yield (
            f"PX_{rnd.getrandbits(40):010x}_{i}",
            rnd.choice(JOBS),
            status,
            started,
            None if status == "running" else started,
            None if status == "running" else 1000,
            summary,
            error,
            started,
            started,
            trigger,
            f"host{i * 5 // n}:{1000 + i * 40 // n}",
        )


async def migrate(store: Store) -> None:
    await store.open()
    for job_id in JOBS:
        await store.create_job(b.job(id=job_id))
    await store.close()


def build_sqlite(path: Path, n: int) -> None:
    asyncio.run(migrate(SQLiteStore(path)))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA cache_size = -524288")
    conn.execute("BEGIN IMMEDIATE")
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'pulse_stats%'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    conn.executemany(f"INSERT INTO pulse_executions ({COLUMNS}) VALUES ({marks})", rows(n))
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()


def build_postgres(url: str, n: int) -> None:
    asyncio.run(migrate(PostgresStore(url)))
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor().copy(f"COPY pulse_executions ({COLUMNS}) FROM STDIN") as copy:
            for row in rows(n):
                copy.write_row(row)
        conn.execute("VACUUM ANALYZE pulse_executions")


def cases(n: int = 1_000_000) -> dict[str, ExecutionFilter]:
    S, T = ExecutionStatus, Trigger
    middle = T0 + timedelta(seconds=n)  # runs start every 2 s
    return {
        "all": ExecutionFilter(),
        "job": ExecutionFilter(job_id=JOBS[7]),
        "job + status": ExecutionFilter(job_id=JOBS[7], status=S.FAILED),
        "status failed": ExecutionFilter(status=S.FAILED),
        "trigger manual": ExecutionFilter(trigger=T.MANUAL),
        "trigger schedule": ExecutionFilter(trigger=T.SCHEDULE),
        "node (an old one)": ExecutionFilter(node_id="host0:1000"),
        "one day": ExecutionFilter(
            started_after=middle - timedelta(hours=12), started_before=middle + timedelta(hours=12)
        ),
        "q: 1 run in 77": ExecutionFilter(words=search_words("exit code")),
        "q: 1 run in 5": ExecutionFilter(words=search_words("processed")),
        "q: 20 runs": ExecutionFilter(words=search_words("kaboom")),
        "q: prefix": ExecutionFilter(words=search_words("conn")),
        "q: no run": ExecutionFilter(words=search_words("zzzz")),
        "q + job": ExecutionFilter(job_id=JOBS[7], words=search_words("timed out")),
        "q + status": ExecutionFilter(status=S.FAILED, words=search_words("disk")),
        "q in old runs only": ExecutionFilter(
            words=search_words("processed"), started_before=T0 + timedelta(days=1)
        ),
    }


async def measure(store: Store, n: int) -> list[dict[str, Any]]:
    await store.open()
    out = []
    middle = T0 + timedelta(milliseconds=2000 * (n // 2))
    oldest = T0 + timedelta(milliseconds=2000 * 50)
    for name, where in cases(n).items():
        row: dict[str, Any] = {"case": name}
        for depth, after in (
            ("newest", None),
            ("middle", Position(middle - timedelta(hours=6), "PX_~")),
            ("oldest", Position(oldest, "PX_~")),
        ):
            times, found = [], 0
            for _ in range(5):
                t = time.perf_counter()
                items, _ = await store.search_executions(where, 50, after)
                times.append((time.perf_counter() - t) * 1000)
                found = len(items)
            row[depth] = f"{statistics.median(times):.1f} ms ({found})"
        out.append(row)
    await store.close()
    return out


def plans_sqlite(path: Path, n: int) -> dict[str, str]:
    conn = sqlite3.connect(path)
    out = {}
    for name, where in cases(n).items():
        if where.words:
            continue
        conditions, params = search._conditions(search.SQLITE, where, 50, None)
        query = search._statement(search.SQLITE, "search_executions", conditions)
        out[name] = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + query, params))
    return out


def plans_postgres(url: str, n: int) -> dict[str, str]:
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, where in cases(n).items():
            if where.words:
                continue
            conditions, params = search._conditions(search.POSTGRES, where, 50, None)
            query = search._statement(search.POSTGRES, "search_executions", conditions)
            plan = [r[0] for r in conn.execute("EXPLAIN " + query, params)]
            out[name] = " | ".join(line.strip().split("  (")[0] for line in plan if "Scan" in line)
    return out


UNDO_SQLITE = [
    "DROP TRIGGER pulse_executions_fts_insert",
    "DROP TRIGGER pulse_executions_fts_update",
    "DROP TRIGGER pulse_executions_fts_delete",
    "DROP TABLE pulse_executions_fts",
    "DROP INDEX idx_pulse_executions_node_started",
    "DROP INDEX idx_pulse_executions_trigger_started",
]
UNDO_POSTGRES = [
    "ALTER TABLE pulse_executions DROP COLUMN search",
    "DROP INDEX idx_pulse_executions_node_started",
    "DROP INDEX idx_pulse_executions_trigger_started",
]


async def write_cost(backend: str, undo: bool) -> float:
    """Microseconds per run recorded (queue, claim, start, finish) with or without 0006."""
    with tempfile.TemporaryDirectory() as d:
        if backend == "sqlite":
            path = Path(d) / "w.db"
            store: Store = SQLiteStore(path)
            await store.open()
            if undo:
                with sqlite3.connect(path) as conn:
                    for statement in UNDO_SQLITE:
                        conn.execute(statement)
        else:
            name = f"pulse_bench_w_{int(undo)}_{random.randrange(10**6)}"
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = f"{PG_SERVER}/{name}"
            store = PostgresStore(url)
            await store.open()
            if undo:
                with psycopg.connect(url, autocommit=True) as conn:
                    for statement in UNDO_POSTGRES:
                        conn.execute(statement)
        try:
            job = await store.create_job(b.job())
            total = 0.0
            for batch in range(100):
                start = T0 + timedelta(seconds=batch)
                reqs = [await store.enqueue(b.request(job.id, start)) for _ in range(200)]
                await store.claim_run_requests("n1", 200, start)
                t = time.perf_counter()
                await b.start_executions(store, [b.execution(r, start) for r in reqs])
                ends = [
                    ExecutionEnd(
                        r.execution_id,
                        b.result(
                            ExecutionStatus.FAILED if i % 11 == 0 else ExecutionStatus.COMPLETED,
                            start,
                            result_summary=f"processed {i} rows",
                        ),
                    )
                    for i, r in enumerate(reqs)
                ]
                await store.finish_executions(ends)
                total += time.perf_counter() - t
            return total / 20_000 * 1e6
        finally:
            await store.close()
            if backend == "postgres":
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table(rows_: list[dict[str, Any]]) -> str:
    head = list(rows_[0])
    widths = [
        max(len(str(r[h])) for r in [dict(zip(head, head, strict=True)), *rows_]) for h in head
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += [
        "  ".join(str(r[h]).ljust(w) for h, w in zip(head, widths, strict=True)) for r in rows_
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for backend in ("sqlite", "postgres"):
        if args.only and backend != args.only:
            continue
        print(f"\n## {backend}, {args.rows:,} executions\n")
        with tempfile.TemporaryDirectory() as d:
            t = time.monotonic()
            if backend == "sqlite":
                path = Path(d) / "pulse.db"
                build_sqlite(path, args.rows)
                store: Store = SQLiteStore(path)
                plans = plans_sqlite(path, args.rows)
            else:
                name = f"pulse_bench_search_{random.randrange(10**6)}"
                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                url = f"{PG_SERVER}/{name}"
                build_postgres(url, args.rows)
                store = PostgresStore(url)
                plans = plans_postgres(url, args.rows)
            print(f"built in {time.monotonic() - t:.0f} s\n")
            try:
                print(table(asyncio.run(measure(store, args.rows))))
            finally:
                if backend == "postgres":
                    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print("\nplans (first page):")
            for case, plan in plans.items():
                print(f"  {case}: {plan}")
        # Alternating, the best of three each: the least disturbed by whatever else runs.
        costs: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(3):
            for undo in (False, True):
                costs[undo].append(asyncio.run(write_cost(backend, undo)))
        print(
            f"\nwrite cost per run (start + finish, batches of 200, best of 3):"
            f" {min(costs[False]):.0f} µs with 0006, {min(costs[True]):.0f} µs without"
        )


if __name__ == "__main__":
    main()
