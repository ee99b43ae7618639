"""What deleting one execution costs SQLite, and which part of the schema the cost is in (issue
9, "Benchmarks" 1: the prune rate asked of SQLite).

    .venv/bin/python bench/sqlite_delete_cost.py              # 300,000 rows (~4 min)
    .venv/bin/python bench/sqlite_delete_cost.py --rows 100000 --delete 10000

The history of ``bench/retention_bench.py`` (100 jobs over 120 days, each run with its log
inline and as one chunk, ids as scattered as random ones) is built once in a SQLite file by the
store's migrations and that bench's loader. Each variant then works on a copy of the file: the
schema as Pulse makes it, or with one part taken away. On each copy the oldest ``--delete``
executions are deleted in time order, in batches of ``--batch``, with the statements a prune's
batch runs (the log chunks by execution id, the executions by rowid), one transaction per
batch, WAL mode, ``synchronous = NORMAL``, a 256 MiB page cache, the WAL copied into the file
(``wal_checkpoint(TRUNCATE)``) after each batch, outside the time. Nothing else runs: this is
the database's own ceiling, before a prune gives the scheduler its share.

Variants, each taking one thing away (what the seed or the store needs, measured apart):

* ``as-is``: the schema of the migrations;
* ``no-fts``: without the trigger that deletes a run's words from the full-text index;
* ``no-redundant``: without ``idx_pulse_executions_job`` and ``_status`` (the seed's, each a
  prefix of another index);
* ``no-job-started``, ``no-job-status-started``: without one of the per-job time indexes the
  job's history page and the prune's plan read;
* ``logs-by-time``: the log chunks' table keyed by its execution's time (``substr(id, -10)``,
  the id's Unix seconds) before its id, instead of by id;
* ``stripped``: the executions without the primary key on ``id`` (a unique index on the id's
  time and the id instead), without the two redundant indexes and with the log chunks keyed by
  time: all the random-keyed writes gone, which the seed's schema does not allow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import retention_bench as rb

LOGS_BY_ID = (
    "DELETE FROM pulse_execution_logs WHERE execution_id IN (SELECT value FROM json_each(?))"
)
LOGS_BY_TIME = (
    "DELETE FROM pulse_execution_logs WHERE rowid IN (SELECT l.rowid FROM json_each(?) AS j"
    " JOIN pulse_execution_logs AS l ON substr(l.execution_id, -10) = substr(j.value, -10)"
    " AND l.execution_id = j.value)"
)
EXECUTIONS = (
    "DELETE FROM pulse_executions WHERE rowid IN (SELECT value FROM json_each(?))"
    " AND +status IN ('completed', 'failed')"
)


def logs_by_time(c: sqlite3.Connection) -> None:
    """The log chunks' table again, keyed by (the id's time, the id, seq)."""
    c.execute("ALTER TABLE pulse_execution_logs RENAME TO old_logs")
    c.execute(
        "CREATE TABLE pulse_execution_logs (execution_id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " ts TEXT NOT NULL, stream TEXT NOT NULL, text TEXT NOT NULL)"
    )
    c.execute(
        "INSERT INTO pulse_execution_logs SELECT * FROM old_logs"
        " ORDER BY substr(execution_id, -10), execution_id, seq"
    )
    c.execute("DROP TABLE old_logs")
    c.execute(
        "CREATE UNIQUE INDEX idx_logs_by_time"
        " ON pulse_execution_logs (substr(execution_id, -10), execution_id, seq)"
    )


def stripped(c: sqlite3.Connection) -> None:
    """The executions without the primary key on id (rowids kept, for the full-text index),
    without the two redundant indexes; the log chunks keyed by time."""
    cols = [r[1] for r in c.execute("PRAGMA table_info(pulse_executions)")]
    ddl = c.execute(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'pulse_executions'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    names = ", ".join(cols)
    c.execute("ALTER TABLE pulse_executions RENAME TO old_executions")
    c.execute(f"CREATE TABLE pulse_executions ({names})")
    c.execute(
        f"INSERT INTO pulse_executions (rowid, {names}) SELECT rowid, {names} FROM old_executions"
    )
    c.execute("DROP TABLE old_executions")
    for name, sql in ddl:
        if name not in ("idx_pulse_executions_job", "idx_pulse_executions_status"):
            c.execute(sql)
    c.execute(
        "CREATE UNIQUE INDEX idx_executions_by_time ON pulse_executions (substr(id, -10), id)"
    )
    logs_by_time(c)


def drop(*statements: str) -> Callable[[sqlite3.Connection], None]:
    def apply(c: sqlite3.Connection) -> None:
        for s in statements:
            c.execute(s)

    return apply


VARIANTS: dict[str, Callable[[sqlite3.Connection], None] | None] = {
    "as-is": None,
    "no-fts": drop("DROP TRIGGER pulse_executions_fts_delete"),
    "no-redundant": drop(
        "DROP INDEX idx_pulse_executions_job", "DROP INDEX idx_pulse_executions_status"
    ),
    "no-job-started": drop("DROP INDEX idx_pulse_executions_job_started"),
    "no-job-status-started": drop("DROP INDEX idx_pulse_executions_job_status_started"),
    "logs-by-time": logs_by_time,
    "stripped": stripped,
}
BY_TIME = {"logs-by-time", "stripped"}


def build(path: Path, rows: int) -> None:
    db = rb.Database("sqlite", path.parent)
    jobs = asyncio.run(rb.create_jobs(db, rb.HISTORY_JOBS, "cost"))
    history = rb.History(jobs, rows // len(jobs), timedelta(days=rb.SPAN_DAYS), datetime.now(UTC))
    rb.build_sqlite(path, [history], keep_stats_triggers=False)


def measure(base: Path, variant: str, delete: int, batch: int) -> dict[str, float]:
    path = base.with_name(f"{variant}.db")
    shutil.copyfile(base, path)
    c = sqlite3.connect(path, isolation_level=None)
    try:
        change = VARIANTS[variant]
        if change is not None:
            c.execute("PRAGMA journal_mode = DELETE")
            c.execute("BEGIN")
            change(c)
            c.execute("COMMIT")
            c.execute("VACUUM")  # the rebuilt tables in order, as a fresh database has them
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA wal_autocheckpoint = 0")
        c.execute("PRAGMA cache_size = -262144")
        victims = c.execute(
            "SELECT rowid, id FROM pulse_executions ORDER BY started_at, id LIMIT ?", (delete,)
        ).fetchall()
        logs = LOGS_BY_TIME if variant in BY_TIME else LOGS_BY_ID
        spent = 0.0
        cpu0 = os.times()
        for i in range(0, len(victims), batch):
            part = victims[i : i + batch]
            t = time.perf_counter()
            c.execute("BEGIN IMMEDIATE")
            c.execute(logs, (json.dumps([v[1] for v in part]),))
            c.execute(EXECUTIONS, (json.dumps([v[0] for v in part]),))
            c.execute("COMMIT")
            spent += time.perf_counter() - t
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cpu1 = os.times()
        left = c.execute(
            "SELECT count(*) FROM pulse_execution_logs WHERE execution_id IN"
            " (SELECT value FROM json_each(?))",
            (json.dumps([v[1] for v in victims]),),
        ).fetchone()[0]
        assert left == 0, f"{variant}: {left} log chunks of deleted runs left"
        return {
            "us_per_row": round(spent / len(victims) * 1e6, 1),
            "rows_per_s": round(len(victims) / spent),
            "cpu_s": round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 2),
        }
    finally:
        c.close()
        path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=300_000, help="executions in the history")
    ap.add_argument("--delete", type=int, default=20_000, help="executions deleted per variant")
    ap.add_argument("--batch", type=int, default=2_000, help="executions per transaction")
    ap.add_argument("--variant", action="append", choices=list(VARIANTS))
    args = ap.parse_args()
    started = datetime.now(UTC)
    load0 = os.getloadavg()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pulse-bench-cost-") as d:
        base = Path(d) / "pulse.db"
        build(base, args.rows)
        for variant in args.variant or list(VARIANTS):
            results[variant] = measure(base, variant, args.delete, args.batch)
            print(f"  {variant}: {results[variant]}", file=sys.stderr, flush=True)
    took = (datetime.now(UTC) - started).total_seconds() / 60
    command = " ".join([".venv/bin/python bench/sqlite_delete_cost.py", *sys.argv[1:]])
    print(
        f"`{command}`, {started:%Y-%m-%d %H:%M} UTC, {took:.1f} min,"
        f" SQLite {sqlite3.sqlite_version}, load average {load0[0]:.2f} →"
        f" {os.getloadavg()[0]:.2f}: {args.rows:,} executions, the"
        f" oldest {args.delete:,} deleted in batches of {args.batch:,}\n"
    )
    base_us = results.get("as-is", {}).get("us_per_row")
    print("| schema | µs per execution | executions/s | vs as-is |")
    print("|---|---|---|---|")
    for variant, r in results.items():
        versus = f"{r['us_per_row'] / base_us - 1:+.0%}" if base_us else "—"
        print(f"| {variant} | {r['us_per_row']} | {r['rows_per_s']:,} | {versus} |")


if __name__ == "__main__":
    main()
