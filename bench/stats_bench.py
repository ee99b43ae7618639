"""Statistics (issue 9, "Benchmarks" 2 and 3): how fast the roll-ups answer, and what keeping
them costs the scheduler, on SQLite and on PostgreSQL.

    .venv/bin/python bench/stats_bench.py           # both parts, both backends (~10 min)
    .venv/bin/python bench/stats_bench.py --quick   # small sizes, one run each (~2-3 min)
    .venv/bin/python bench/stats_bench.py --only queries --backend postgres --rollups trigger

``queries``: 1,000 jobs; one has 1,000,000 executions over 90 days (one every ~8 s), the 999
others one every 10 minutes over the last 2 days (287,712 more). The executions are generated
in SQL as ``bench/retention_bench.py`` does (fresh database, schema by the store's own
migrations); the roll-ups are then made one of two ways (``--rollups``):

* ``rebuild`` (the default: faster on SQLite, a tie on PostgreSQL; see docs/benchmarks.md): the
  roll-up triggers are dropped for the load and recreated after, then ``Store.rebuild_stats()``;
* ``trigger``: the triggers stay and roll each inserted execution up (per row on SQLite, per
  statement on PostgreSQL).

Either way the daily roll-ups must add up to the executions inserted. Then, on a real
``pulse serve`` (no job due, so the node is idle), one request at a time: ``GET
/api/pulse/jobs/{id}/stats?days=1|30|90`` of the big job (target p95 ≤ 10 ms) and ``GET
/api/pulse/stats`` (days=1, the default: every job's hour roll-ups; target p95 ≤ 50 ms), and
``GET /api/pulse/stats/jobs`` beside them; the store calls they make are timed too.

``rollup-cost``: executions recorded per second, sustained, with the roll-up triggers on and
off (``pulse_stats_on_end`` and ``pulse_stats_on_insert`` dropped in the benchmark's own
database; target: on costs ≤ 10 %). An in-process node as ``bench/throughput.py`` runs it: on
SQLite 3,000 jobs every second, 4,000 workers; on PostgreSQL 2,000 jobs, 64 workers and a pool
of 25 (as ``bench/pg_nodes.py``); both offer more than the node sustains. Completions are
counted over 10 s after 4 s of warm-up; runs go on, off, off, on, on, off (``--runs`` pairs, 3).
Each run also reports CPU per execution: the node's process, plus on PostgreSQL the server
processes serving its database, and apart the part spent writing, where the triggers run (the
SQLite writer thread; those server processes). On a shared machine the CPU figures are steadier
than the rates. Beside them, the bare cost of one execution's insert and end with and without
the triggers: 100 executions of 100 different jobs (of 3,000) inserted running by one statement
and ended by another, a transaction each time, on two databases measured in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from benchlib import emit, pct, run_case
from retention_bench import (
    API,
    BACKENDS,
    LOG_LINE,
    Database,
    History,
    build,
    create_jobs,
    database,
    fmt_ms,
    met,
    pulse_serve,
    settings_kwargs,
    spread_slots,
    sql_exec,
    sql_rows,
    table,
)

JOBS = 1000
OTHERS_EVERY = timedelta(minutes=10)
OTHERS_SPAN = timedelta(days=2)
STATS_TRIGGERS = ("pulse_stats_on_end", "pulse_stats_on_insert")
CLK_TCK = os.sysconf("SC_CLK_TCK")
END_JOBS = 3000


# -- queries -----------------------------------------------------------------------------------
async def rollups(db: Database, mode: str, histories: list[History]) -> dict[str, float]:
    """Insert the executions and make their roll-ups (``mode``); the seconds each step took."""
    from pulse.store import open_store

    t = time.perf_counter()
    await asyncio.to_thread(build, db, histories, mode == "trigger")
    out = {"insert_s": time.perf_counter() - t}
    if mode == "rebuild":
        store = open_store(db.url)
        await store.open()
        try:
            t = time.perf_counter()
            counted = await store.rebuild_stats()
            out["rebuild_s"] = time.perf_counter() - t
        finally:
            await store.close()
        assert counted == sum(h.rows for h in histories), counted
    return {k: round(v, 1) for k, v in out.items()}


async def timed(
    fn: Callable[[], Awaitable[Any]],
    n: int,
    warm: int = 5,
    before: Callable[[], None] | None = None,
) -> dict[str, float]:
    """``fn``'s time over ``n`` calls after ``warm`` ones; ``before`` (untimed) runs before each
    timed call."""
    for _ in range(warm):
        await fn()
    times = []
    for _ in range(n):
        if before is not None:
            before()
        t = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - t) * 1000)
    return {
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "max_ms": round(max(times), 2),
        "n": n,
    }


async def run_queries(
    backend: str, rows: int, mode: str, samples: int, others_every: timedelta = OTHERS_EVERY
) -> dict[str, Any]:
    import httpx

    from pulse.stats import Window
    from pulse.store import open_store

    with database(backend, "stats") as db:
        jobs = await create_jobs(db, JOBS, "stats")
        big = jobs[0]
        now = datetime.now(UTC)
        per_other = int(OTHERS_SPAN / others_every)
        histories = [
            History([big], rows, timedelta(days=90), now),
            History(jobs[1:], per_other, OTHERS_SPAN, now, first=rows),
        ]
        built = await rollups(db, mode, histories)
        if backend == "postgres":
            import psycopg

            # What autovacuum's analyze does after such a load, before the first question.
            with psycopg.connect(db.url, autocommit=True) as conn:
                conn.execute("ANALYZE")
        total = sum(h.rows for h in histories)
        counted = sql_rows(
            db, "SELECT sum(completed + failed) FROM pulse_stats WHERE period = 'day'"
        )[0][0]
        if counted != total:
            raise SystemExit(f"roll-ups count {counted} executions, {total} were inserted")
        sizes = dict(
            sql_rows(
                db,
                "SELECT 'stats', count(*) FROM pulse_stats UNION ALL"
                " SELECT 'durations', count(*) FROM pulse_stats_durations",
            )
        )
        print(f"  {backend}: {total:,} executions, roll-ups {mode}: {built}", file=sys.stderr)

        store = open_store(db.url)
        await store.open()
        at = {}
        try:
            for days in (1, 30, 90):
                w = Window.last(days, datetime.now(UTC))

                async def job_stats(w: Window = w) -> None:
                    await store.stats(big, w.period, w.start)

                at[f"stats(job, days={days})"] = await timed(job_stats, samples)
            w1 = Window.last(1, datetime.now(UTC))

            async def all_stats() -> None:
                await store.stats(None, w1.period, w1.start)

            async def by_job() -> None:
                await store.stats_by_job(w1.period, w1.start)

            at["stats(all jobs, days=1)"] = await timed(all_stats, max(10, samples // 5))
            at["stats_by_job(days=1)"] = await timed(by_job, max(10, samples // 5))
        finally:
            await store.close()

        http = {}
        with pulse_serve(db, 8, db.data_dir / "server.log") as base:
            async with httpx.AsyncClient(base_url=base + API, timeout=60) as client:

                def getter(path: str, params: dict[str, Any]) -> Callable[[], Awaitable[None]]:
                    async def get() -> None:
                        r = await client.get(path, params=params)
                        r.raise_for_status()

                    return get

                # Each request twice: with nothing written since the last (SQLite then sends the
                # answer it kept; PostgreSQL computes it every time), and with a write just
                # before each request, as while runs are recorded: every answer computed.
                for label, before in (("", None), (", after a write", lambda: touch(db))):
                    for days in (1, 30, 90):
                        http[f"GET /jobs/{{id}}/stats?days={days}{label}"] = await timed(
                            getter(f"/jobs/{big}/stats", {"days": days}), samples, before=before
                        )
                    http[f"GET /stats (days=1){label}"] = await timed(
                        getter("/stats", {}), max(10, samples // 5), before=before
                    )
                    http[f"GET /stats/jobs (days=7){label}"] = await timed(
                        getter("/stats/jobs", {}), max(10, samples // 8), before=before
                    )
                r = await client.get(f"/jobs/{big}/stats", params={"days": 90})
                seen = r.json().get("total")
    return {
        "backend": backend,
        "rows": total,
        "big_job_rows": rows,
        "rollups": mode,
        "build": built,
        "rollup_rows": sizes,
        "big_job_total_90d": seen,
        "store": at,
        "http": http,
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def touch(db: Database) -> None:
    """One write to the database (a setting Pulse does not read), from outside the node."""
    sql_exec(
        db,
        "INSERT INTO pulse_settings (key, value, updated_at) VALUES ('bench.touch', '1', '-')"
        " ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(pulse_settings.value AS INTEGER) + 1"
        " AS TEXT)",  # a new value: SQLite commits nothing when a row is written unchanged
        [[]],
    )


# -- roll-up cost ------------------------------------------------------------------------------
async def drop_stats_triggers(db: Database) -> None:
    if db.backend == "sqlite":
        conn = sqlite3.connect(db.sqlite_path)
        with conn:
            for t in STATS_TRIGGERS:
                conn.execute(f"DROP TRIGGER {t}")
        conn.close()
        return
    import psycopg

    async with await psycopg.AsyncConnection.connect(db.url, autocommit=True) as conn:
        for t in STATS_TRIGGERS:
            await conn.execute(f"DROP TRIGGER {t} ON pulse_executions")


async def throughput(
    backend: str, triggers: bool, jobs: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """Executions recorded per second by one in-process node, as bench/throughput.py counts
    them: ``pulse_execution_completed`` events of a window after a warm-up."""
    from pulse import Pulse, Settings
    from pulse.store import open_store

    with database(backend, "tp") as db:
        ids = await create_jobs(db, jobs, "tp")
        if not triggers:
            await drop_stats_triggers(db)
        workers, pool = (4000, 10) if backend == "sqlite" else (64, 25)
        t0 = datetime.now(UTC) + timedelta(seconds=2)
        spread_slots(db, ids, t0)
        settings = Settings(**settings_kwargs(db, workers))
        p = Pulse(settings, store=open_store(settings.store_url, connections=pool))

        @p.handler("noop")
        async def noop(ctx: Any) -> None:
            print(LOG_LINE)

        sub = p.hub.subscribe(buffer=10**7)
        await p.start()
        window_start = t0.timestamp() + warmup
        window_end = window_start + seconds
        completed = failed = 0
        cpu0 = None
        db_pids: list[int] = []
        db0 = 0.0
        while (left := window_end - time.time()) > 0:
            if cpu0 is None and time.time() >= window_start:
                cpu0 = os.times()
                db_pids = await asyncio.to_thread(server_pids, db)
                db0 = cpu_seconds(db_pids)
                writer0 = writer_cpu()
            try:
                events = [await asyncio.wait_for(sub.get(), timeout=min(left, 0.1))]
            except TimeoutError:
                continue
            while not sub.queue.empty():
                events.append(sub.queue.get_nowait())
            if time.time() < window_start:
                continue
            for ev in events:
                if ev.type == "pulse_execution_completed":
                    completed += 1
                elif ev.type == "pulse_execution_failed":
                    failed += 1
        cpu1 = os.times()
        db1 = cpu_seconds(db_pids)
        writer1 = writer_cpu()
        with contextlib.redirect_stdout(sys.stderr):
            await p.stop()
        assert cpu0 is not None
        node_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        rolled = sql_rows(
            db, "SELECT coalesce(sum(completed + failed), 0) FROM pulse_stats WHERE period = 'day'"
        )[0][0]
    return {
        "backend": backend,
        "triggers": triggers,
        "per_s": round(completed / seconds, 1),
        "failed": failed,
        "node_cores": round(node_s / seconds, 2),
        "db_cores": round((db1 - db0) / seconds, 2),
        # CPU per execution (the node, and the server's processes serving this database): what
        # a saturated node pays, much less disturbed by other load than the rate itself.
        "cpu_ms_per_execution": round((node_s + db1 - db0) / max(completed, 1) * 1000, 3),
        # Where the roll-up triggers run: SQLite's writer thread, or the server's processes.
        "writes_us_per_execution": round(
            ((writer1 - writer0) if backend == "sqlite" else (db1 - db0)) / max(completed, 1) * 1e6,
            1,
        ),
        "rolled_up": int(rolled),
        "load": round(os.getloadavg()[0], 2),
    }


def server_pids(db: Database) -> list[int]:
    """The PostgreSQL processes serving ``db`` (none for SQLite: it runs in the node)."""
    if db.backend == "sqlite":
        return []
    rows = sql_rows(
        db,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()",
    )
    return [int(r[0]) for r in rows]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (those still there)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def writer_cpu() -> float:
    """CPU seconds of this process's SQLite writer thread so far (0 without one)."""
    import threading

    for t in threading.enumerate():
        if t.name == "pulse-sqlite-writer" and t.native_id is not None:
            with open(f"/proc/self/task/{t.native_id}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


async def end_cost(backend: str, seconds: float, rounds: int) -> dict[str, Any]:
    """Microseconds per execution to insert it running and end it, 100 a transaction (one
    statement each way), with the roll-up triggers and without: their bare cost. The 100 are
    of 100 different jobs among 3,000, with durations spread over 40 ms-5 s, as in a node. Two
    databases, one without the triggers, measured in turn (on, off, off, on, ...)."""
    rates: dict[str, list[float]] = {"on": [], "off": []}
    with database(backend, "endon") as on, database(backend, "endoff") as off:
        jobs_on = await create_jobs(on, END_JOBS, "end")
        jobs_off = await create_jobs(off, END_JOBS, "end")
        await drop_stats_triggers(off)
        for i in range(rounds):
            order = [("on", on, jobs_on), ("off", off, jobs_off)]
            for state, db, jobs in order if i % 2 == 0 else order[::-1]:
                rates[state].append(await asyncio.to_thread(_end_pairs, db, jobs, seconds, i))
    us = {k: round(1e6 / statistics.median(v), 1) for k, v in rates.items()}
    # Each round's two runs were side by side: the ratio of a round is the least noisy figure.
    ratios = [a / b for a, b in zip(rates["off"], rates["on"], strict=True)]
    return {
        "per_s": rates,
        "us_per_end": us,
        "extra_pct_median": round((statistics.median(ratios) - 1) * 100, 1),
    }


def _end_pairs(db: Database, jobs: list[str], seconds: float, run: int) -> float:
    """Inserts + ends per second: 100 running executions inserted by one statement, then
    ended by one statement, per transaction."""
    ts = "2026-11-28T00:00:00.000Z"
    done, start, batch = 0, time.perf_counter(), 100
    first = run << 32  # ids unique over the runs on one database

    def rows() -> list[tuple[str, str, int]]:
        return [
            (
                f"PX_{first + done + i:012x}_1795824000",
                jobs[(done + i) % len(jobs)],
                40 + ((done + i) * 7919) % 5000,
            )
            for i in range(batch)
        ]

    if db.backend == "sqlite":
        conn = sqlite3.connect(db.sqlite_path, isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -16384")  # as the store's writer
        ins = (
            "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at, created_at,"
            " updated_at) SELECT value ->> 0, value ->> 1, 'running', ?, ?, ? FROM json_each(?)"
        )
        end = (
            "UPDATE pulse_executions SET status = 'completed', completed_at = ?, duration_ms ="
            " e.value ->> 2, updated_at = ? FROM json_each(?) AS e"
            " WHERE pulse_executions.id = e.value ->> 0"
        )
        while time.perf_counter() - start < seconds:
            batch_rows = json.dumps(rows())
            conn.execute("BEGIN")
            conn.execute(ins, (ts, ts, ts, batch_rows))
            conn.execute(end, (ts, ts, batch_rows))
            conn.execute("COMMIT")
            done += batch
        conn.close()
    else:
        import psycopg

        with psycopg.connect(db.url) as pg:
            while time.perf_counter() - start < seconds:
                ids, job_ids, durations = map(list, zip(*rows(), strict=True))
                pg.execute(
                    "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at,"
                    " created_at, updated_at) SELECT i, j, 'running', %s, %s, %s"
                    " FROM unnest(%s::text[], %s::text[]) AS u(i, j)",
                    (ts, ts, ts, ids, job_ids),
                )
                pg.execute(
                    "UPDATE pulse_executions AS e SET status = 'completed', completed_at = %s,"
                    " duration_ms = u.d, updated_at = %s"
                    " FROM unnest(%s::text[], %s::bigint[]) AS u(i, d) WHERE e.id = u.i",
                    (ts, ts, ids, durations),
                )
                pg.commit()
                done += batch
    return round(done / (time.perf_counter() - start))


# -- report ------------------------------------------------------------------------------------
def report_queries(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        store = "SQLite" if r["backend"] == "sqlite" else "PostgreSQL"
        for name, s in r["http"].items():
            target = 10.0 if "/jobs/{id}/stats" in name else 50.0 if "GET /stats (" in name else 0
            rows.append(
                [
                    store,
                    name,
                    fmt_ms(s["p50_ms"]),
                    f"**{fmt_ms(s['p95_ms'])}**",
                    fmt_ms(s["max_ms"]),
                    str(s["n"]),
                    f"≤ {target:g} ms: {met(s['p95_ms'] <= target)}" if target else "",
                ]
            )
        for name, s in r["store"].items():
            rows.append(
                [
                    store,
                    f"store: {name}",
                    fmt_ms(s["p50_ms"]),
                    fmt_ms(s["p95_ms"]),
                    fmt_ms(s["max_ms"]),
                    str(s["n"]),
                    "",
                ]
            )
    lines = [
        table(["store", "request", "p50", "p95", "max", "requests", "target"], rows),
        "",
    ]
    for r in results:
        b = r["build"]
        how = (
            f"inserted in {b['insert_s']} s with the triggers dropped, rolled up by"
            f" `rebuild_stats()` in {b['rebuild_s']} s"
            if r["rollups"] == "rebuild"
            else f"inserted with the roll-up triggers on in {b['insert_s']} s"
        )
        lines.append(
            f"{r['backend']}: {r['rows']:,} executions ({r['big_job_rows']:,} of the big job),"
            f" {how}; {r['rollup_rows']['stats']:,} roll-up rows and"
            f" {r['rollup_rows']['durations']:,} histogram rows; load average {r['load'][0]}."
        )
    return "\n".join(lines)


def report_cost(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in results:
        store = "SQLite" if r["backend"] == "sqlite" else "PostgreSQL"
        on = [x for x in r["runs"] if x["triggers"]]
        off = [x for x in r["runs"] if not x["triggers"]]

        def med(runs: list[dict[str, Any]], key: str) -> float:
            return float(statistics.median(x[key] for x in runs))

        rate_on, rate_off = med(on, "per_s"), med(off, "per_s")
        cpu_on, cpu_off = med(on, "cpu_ms_per_execution"), med(off, "cpu_ms_per_execution")
        cost = (rate_off - rate_on) / rate_off * 100 if rate_off else 0.0
        cpu_cost = (cpu_on - cpu_off) / cpu_off * 100 if cpu_off else 0.0
        w_on, w_off = med(on, "writes_us_per_execution"), med(off, "writes_us_per_execution")
        us = r["end_cost"]["us_per_end"]
        rows.append(
            [
                store,
                ", ".join(f"{x['per_s']:,.0f}" for x in on) + f" (median **{rate_on:,.0f}**)",
                ", ".join(f"{x['per_s']:,.0f}" for x in off) + f" (median **{rate_off:,.0f}**)",
                f"**{cost:+.1f} %** (≤ 10 %: {met(cost <= 10)})",
                f"{cpu_on:.2f} / {cpu_off:.2f} ms (**{cpu_cost:+.1f} %**)",
                f"{w_on:,.0f} / {w_off:,.0f} µs (+{w_on - w_off:,.0f} µs)",
                f"{us['on']:g} / {us['off']:g} µs (+{us['on'] - us['off']:.1f} µs;"
                f" paired runs: {r['end_cost']['extra_pct_median']:+.0f} %)",
            ]
        )
    return table(
        [
            "store",
            "executions/s, roll-ups on",
            "executions/s, roll-ups off",
            "throughput lost to the roll-ups",
            "CPU per execution (node + its server processes), on / off",
            "of which writing (SQLite's writer thread; the server's processes), on / off",
            "bare insert + end of one execution, on / off",
        ],
        rows,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each")
    ap.add_argument("--only", choices=["queries", "rollup-cost"], action="append")
    ap.add_argument("--backend", choices=BACKENDS, action="append")
    ap.add_argument("--rollups", choices=["rebuild", "trigger"], default="rebuild")
    ap.add_argument("--rows", type=int, help="executions of the big job (default 1,000,000)")
    ap.add_argument("--runs", type=int, help="throughput runs with and without (default 3, 1)")
    ap.add_argument("--json", action="store_true", help="also print the raw figures")
    ap.add_argument("--case", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    rows = args.rows or (50_000 if args.quick else 1_000_000)
    samples = 30 if args.quick else 200
    warmup, seconds = (3.0, 5.0) if args.quick else (4.0, 10.0)
    if args.case:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        kind, backend, *rest = args.case
        if kind == "queries":
            every = OTHERS_EVERY * (3 if args.quick else 1)
            emit(asyncio.run(run_queries(backend, rows, args.rollups, samples, every)))
        elif kind == "throughput":
            on = rest[0] == "on"
            jobs = 3000 if backend == "sqlite" else 2000
            emit(asyncio.run(throughput(backend, on, jobs, warmup, seconds)))
        else:
            emit(asyncio.run(end_cost(backend, 1.0, 2 if args.quick else 10)))
        return
    started = datetime.now(UTC)
    load0 = os.getloadavg()
    backends = args.backend or list(BACKENDS)
    parts = args.only or ["queries", "rollup-cost"]
    flags = ["--quick"] if args.quick else []
    out: dict[str, Any] = {}
    text = []
    if "queries" in parts:
        qs = [
            run_case(
                "stats_bench.py",
                *("--case", "queries", b, "--rows", str(rows), "--rollups", args.rollups),
                *flags,
                timeout=900,
            )
            for b in backends
        ]
        out["queries"] = qs
        text.append(report_queries(qs))
    if "rollup-cost" in parts:
        runs = args.runs or (1 if args.quick else 3)
        costs = []
        for b in backends:
            order = ["on", "off", "off", "on"] * runs  # on, off, off, on, on, off, ...
            tp = []
            for i, state in enumerate(order[: 2 * runs]):
                r = run_case("stats_bench.py", "--case", "throughput", b, state, *flags)
                tp.append(r)
                print(f"  {b} {state} [{i + 1}]: {r['per_s']:,.0f}/s", file=sys.stderr)
            end = run_case("stats_bench.py", "--case", "end", b, *flags)
            costs.append({"backend": b, "runs": tp, "end_cost": end})
        out["rollup_cost"] = costs
        text.append(report_cost(costs))
    took = (datetime.now(UTC) - started).total_seconds()
    command = ".venv/bin/python bench/stats_bench.py " + " ".join(sys.argv[1:])
    print(
        f"`{command.strip()}`, {started:%Y-%m-%d %H:%M} UTC, {took / 60:.1f} min;"
        f" {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite"
        f" {sqlite3.sqlite_version}; load average {load0[0]:.2f} at the start,"
        f" {os.getloadavg()[0]:.2f} at the end\n\n" + "\n\n".join(text),
        flush=True,
    )
    if args.json:
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
