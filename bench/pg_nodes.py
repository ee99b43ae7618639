"""Pulse on PostgreSQL with several nodes, beside Procrastinate 3 (issue 4, "Benchmarks").

    python bench/pg_nodes.py              # the full set, 3 runs of each case (8-10 minutes)
    python bench/pg_nodes.py --quick      # a smoke run: small sizes, one run (about 2 minutes)
    python bench/pg_nodes.py --only throughput --nodes 3 --profile --no-peer

Cases:

* ``ceiling``: what the server itself sustains for single-row durable writes (pgbench, one
  commit per statement, 1 and 16 clients): an INSERT, and an INSERT + UPDATE pair, on a bare
  table and on ``pulse_executions`` (its indexes, foreign key and count triggers; the clients
  sharing one job, or each with its own).
* ``throughput``: executions recorded per second by 1, 2 and 3 ``pulse serve`` nodes on one
  database, two ways. Scheduled: 2,000 interval jobs due every second (``--jobs``), running a
  no-op Python handler that prints 1 KiB; completed executions are counted by ``completed_at``
  over a window after a warm-up (what the nodes sustain: beyond it, runs queue). Drained: 5,000
  run requests queued at once with the store's own enqueue statement, run by nodes already up.
  Beside them, Procrastinate 3 on the same server: the same number of no-op tasks deferred in
  bulk (``batch_defer_async``, timed apart), then run by 1, 2 and 3 worker processes with the
  same concurrency and pool size as the nodes. CPU of the nodes / workers, of PostgreSQL and of
  the whole machine, and ``pg_stat_database`` counters per execution, are reported too.
* ``burst``: 1,000 jobs due at one instant with 3 nodes; start lag = started_at - scheduled_for.
* ``history``: 1,000,000 executions of one job (COPY, with the store's exact column format), a
  page of 50 with its total through the store and through a node's HTTP API.

Every run gets its own databases (``pulse_bench_<random>``, ``procrastinate_bench_<random>``),
dropped at the end, as are the node processes, also on failure or Ctrl-C. Node logs go to a
temporary directory, printed at the start. Figures are medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import psycopg

from pulse.clock import format_ts
from pulse.jobs import new_job
from pulse.models import ExecutionStatus, JobState
from pulse.store.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable
PULSE_BIN = str(Path(PY).with_name("pulse"))
SERVER = os.environ.get("PULSE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
ADMIN_URL = f"{SERVER}/postgres"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PY_SPY = os.environ.get("PY_SPY", "py-spy")


# -- clean-up -----------------------------------------------------------------------------------
class Resources:
    """Databases and processes this run made; all of them go at the end, whatever happens."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.databases: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logdir = Path(tempfile.mkdtemp(prefix="pulse-pg-bench-"))

    def create_db(self, prefix: str) -> str:
        name = f"{prefix}_{secrets.token_hex(4)}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return name

    def drop_db(self, name: str) -> None:
        if self.keep:
            return
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.databases:
            self.databases.remove(name)

    def stop(self, procs: Sequence[subprocess.Popen[bytes]], grace: float = 10) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + grace
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if p in self.procs:
                self.procs.remove(p)

    def close(self) -> None:
        self.stop(list(self.procs))
        for name in list(self.databases):
            try:
                self.drop_db(name)
            except psycopg.Error as e:
                print(f"could not drop database {name}: {e}", file=sys.stderr)
        if self.keep and self.databases:
            print(f"kept databases: {', '.join(self.databases)}", file=sys.stderr)


def db_url(name: str) -> str:
    return f"{SERVER}/{name}"


# -- measuring ----------------------------------------------------------------------------------
def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile by the nearest-rank method (an observed value)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) used by process ``pid`` so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process (all databases: other work on the server shows too)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm") as f:
                if f.read().strip() == "postgres":
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLK_TCK


class CpuMeter:
    """CPU used between ``start`` and ``stop``, in cores: by given processes, by PostgreSQL,
    and by the whole machine (so that a neighbour's load is visible beside the figures).

    Processes are sampled a few times a second while the meter runs, so those that exit before
    ``stop`` (workers, their server backends) count with their last sample."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        for pid in self.pids:
            self.clients[pid] = max(self.clients.get(pid, 0.0), proc_cpu(pid))
        for pid in postgres_pids():
            self.pg[pid] = max(self.pg.get(pid, 0.0), proc_cpu(pid))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(0.25)
            self._sample()

    def start(self) -> None:
        self.clients: dict[int, float] = {}
        self.pg: dict[int, float] = {}
        self._sample()
        self.base_clients = dict(self.clients)
        self.base_pg = dict(self.pg)
        self.t0 = time.monotonic()
        self.m0 = machine_busy()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    def stop(self) -> dict[str, float]:
        if self._task is not None:
            self._task.cancel()
        self._sample()
        dt = time.monotonic() - self.t0
        clients = sum(v - self.base_clients.get(p, 0.0) for p, v in self.clients.items())
        pg = sum(v - self.base_pg.get(p, 0.0) for p, v in self.pg.items())
        return {
            "client_cores": round(clients / dt, 2),
            "postgres_cores": round(pg / dt, 2),
            "machine_cores": round((machine_busy() - self.m0) / dt, 2),
        }


# -- Pulse nodes --------------------------------------------------------------------------------
@dataclasses.dataclass
class Node:
    name: str
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def spawn(
    res: Resources,
    cmd: list[str],
    log_name: str,
    env: dict[str, str] | None = None,
    stdout: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` (registered for clean-up), its output in ``log_name`` of the log dir."""
    with open(res.logdir / log_name, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log if stdout is None else stdout,
            stderr=log,
            cwd=ROOT,
        )
    res.procs.append(proc)
    return proc


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_nodes(
    res: Resources, url: str, count: int, workers: int, tag: str, pool: int | None = None
) -> list[Node]:
    """``count`` ``pulse serve`` processes on database ``url``, each with ``workers``; returns
    once every one answers its health check."""
    nodes = []
    env = {
        **os.environ,
        "PULSE_DATABASE_URL": url,
        "PULSE_WORKERS": str(workers),
        "PULSE_SHUTDOWN_GRACE": "2",
        "PYTHONPATH": str(BENCH),
    }
    if pool:
        env["PULSE_BENCH_POOL"] = str(pool)
    for i in range(count):
        name = f"{tag}-n{i + 1}"
        port = free_port()
        cmd = [PULSE_BIN, "serve", "--port", str(port), "--node-id", name, "--app", "pg_app:app"]
        proc = spawn(res, cmd, f"{name}.log", env)
        nodes.append(Node(name, port, proc))
    async with httpx.AsyncClient(timeout=2) as client:
        deadline = time.monotonic() + 60
        for node in nodes:
            while True:
                if node.proc.poll() is not None:
                    raise RuntimeError(
                        f"node {node.name} exited; see {res.logdir / (node.name + '.log')}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    r = await client.get(node.base + "/api/pulse/health")
                    if r.status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node {node.name} did not come up in 60 s")
                await asyncio.sleep(0.1)
    return nodes


def stop_nodes(res: Resources, nodes: Sequence[Node]) -> None:
    res.stop([n.proc for n in nodes], grace=15)


def pool_size(workers: int) -> int:
    """A Pulse node's connection pool for ``workers`` (pulse.app.Pulse.store)."""
    return min(workers + 4, 40)


async def open_store(url: str) -> PostgresStore:
    store = PostgresStore(url, max_size=10)
    await store.open()  # creates the schema (migrations), as a node would
    return store


async def create_jobs(
    store: PostgresStore, count: int, interval: int, prefix: str, start: datetime
) -> list[str]:
    """``count`` jobs of the no-op handler, made by the store itself (``new_job``), due at
    ``start``: all at once, or spread evenly over one interval when ``interval`` is 1."""
    now = datetime.now(UTC)
    jobs = []
    for i in range(count):
        job = new_job(
            {
                "name": f"{prefix}-{i:05d}",
                "handler": "noop",
                "interval_seconds": interval,
                "overlap": "allow",
            },
            now,
        )
        offset = timedelta(seconds=interval * i / count) if interval == 1 else timedelta(0)
        jobs.append(dataclasses.replace(job, next_run_at=start + offset))
    sem = asyncio.Semaphore(8)

    async def one(job: Any) -> None:
        async with sem:
            await store.create_job(job)

    await asyncio.gather(*(one(j) for j in jobs))
    return [j.id for j in jobs]


def ts(when: float) -> str:
    return format_ts(datetime.fromtimestamp(when, UTC))


# -- ceiling ------------------------------------------------------------------------------------
def _pulse_pair(job: str) -> str:
    return (
        "\\set n random(1, 2000000000)\n"
        "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at, created_at,"
        " updated_at, trigger, node_id) VALUES ('PX_' || :client_id || '_' || :n || '_' ||"
        f" txid_current(), {job}, 'running', '2026-11-28T00:00:00.000Z',"
        " '2026-11-28T00:00:00.000Z', '2026-11-28T00:00:00.000Z', 'schedule', 'bench')"
        " RETURNING id AS xid \\gset\n"
        "UPDATE pulse_executions SET status = 'completed', completed_at ="
        " '2026-11-28T00:00:00.120Z', duration_ms = 120 WHERE id = ':xid';\n"
    )


CEILING_SCRIPTS = {
    "bare table: INSERT": "INSERT INTO bare (status, payload) VALUES ('running', 'x');\n",
    "bare table: INSERT + UPDATE": (
        "INSERT INTO bare (status, payload) VALUES ('running', 'x') RETURNING id \\gset\n"
        "UPDATE bare SET status = 'completed' WHERE id = :id;\n"
    ),
    # Pulse's table: its indexes, foreign key and count triggers; the clients share one job
    # (so its counter rows), or each has its own.
    "pulse_executions: INSERT + UPDATE, one job": _pulse_pair("'SPJ_ceiling'"),
    "pulse_executions: INSERT + UPDATE, a job per client": _pulse_pair(
        "'SPJ_ceiling' || :client_id"
    ),
}


async def bench_ceiling(res: Resources, seconds: int) -> list[dict[str, Any]]:
    name = res.create_db("pulse_bench")
    url = db_url(name)
    try:
        store = await open_store(url)
        job = new_job(
            {"name": "ceiling", "handler": "noop", "interval_seconds": 3600}, datetime.now(UTC)
        )
        for suffix in ["", *map(str, range(16))]:
            await store.create_job(
                dataclasses.replace(job, id=f"SPJ_ceiling{suffix}", state=JobState.PAUSED)
            )
        await store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bare (id BIGSERIAL PRIMARY KEY, status TEXT, payload TEXT)")
        rows = []
        for what, script in CEILING_SCRIPTS.items():
            path = res.logdir / f"ceiling-{len(rows)}.sql"
            path.write_text(script)
            for clients in (1, 16):
                out = await asyncio.to_thread(
                    subprocess.run,
                    [
                        "pgbench",
                        "-n",
                        "-c",
                        str(clients),
                        "-j",
                        "2",
                        "-T",
                        str(seconds),
                        "-f",
                        str(path),
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                lines = out.stdout.splitlines()
                tps = next(float(line.split()[2]) for line in lines if line.startswith("tps"))
                rows.append({"what": what, "clients": clients, "per_s": round(tps)})
                print(f"  ceiling {what}, {clients} client(s): {tps:,.0f}/s", file=sys.stderr)
        return rows
    finally:
        res.drop_db(name)


# -- throughput ---------------------------------------------------------------------------------
DB_STATS = ("xact_commit", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted")


async def db_stats(conn: Any) -> dict[str, int]:
    """The database's cumulative counters (pg_stat_database), fresh."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    cur = await conn.execute(
        f"SELECT {', '.join(DB_STATS)} FROM pg_stat_database WHERE datname = current_database()"
    )
    row = await cur.fetchone()
    return {k: int(row[k]) for k in DB_STATS}


def log_problems(res: Resources, nodes: Sequence[Node]) -> dict[str, int]:
    """Lines of the nodes' logs that tell of trouble (errors, refused connections)."""
    counts = {"errors": 0, "too_many_clients": 0}
    for node in nodes:
        text = (res.logdir / f"{node.name}.log").read_text(errors="replace")
        counts["errors"] += sum(
            1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line
        )
        counts["too_many_clients"] += text.count("too many clients")
    return counts


async def wait_events(url: str, seconds: float) -> dict[str, int]:
    """What the database's sessions were doing, sampled 10 times a second: active sessions by
    wait event (``CPU`` when not waiting) and by statement (its first 60 characters)."""
    seen: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            cur = await conn.execute(
                "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU'),"
                " left(regexp_replace(query, '\\s+', ' ', 'g'), 60)"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND pid <> pg_backend_pid()"
            )
            for event, query in await cur.fetchall():
                key = f"{event} | {query}"
                seen[key] = seen.get(key, 0) + 1
            await asyncio.sleep(0.1)
    return dict(sorted(seen.items(), key=lambda kv: -kv[1])[:25])


async def profile(res: Resources, url: str, nodes: Sequence[Node], seconds: float) -> None:
    """py-spy profiles of the nodes (raw collapsed stacks) and the database's wait events,
    in the log directory."""
    procs = [
        spawn(
            res,
            [
                PY_SPY,
                "record",
                "--pid",
                str(n.proc.pid),
                "-d",
                str(int(seconds)),
                "-f",
                "raw",
                "-r",
                "50",
                "-o",
                str(res.logdir / f"{n.name}.pyspy.txt"),
            ],
            f"{n.name}.pyspy.log",
        )
        for n in nodes
    ]
    events = await wait_events(url, seconds)
    tag = nodes[0].name.rsplit("-", 1)[0]
    (res.logdir / f"{tag}.waits.json").write_text(json.dumps(events, indent=1))
    for proc in procs:
        await asyncio.to_thread(proc.wait, 30)


async def pulse_throughput(
    res: Resources,
    nodes_count: int,
    workers: int,
    pool: int,
    jobs: int,
    warmup: float,
    window: float,
    profiling: bool = False,
) -> dict[str, Any]:
    name = res.create_db("pulse_bench")
    url = db_url(name)
    nodes: list[Node] = []
    try:
        store = await open_store(url)
        far = datetime.now(UTC) + timedelta(days=1)
        job_ids = await create_jobs(store, jobs, 1, "tp", far)
        nodes = await start_nodes(res, url, nodes_count, workers, f"tp{nodes_count}", pool)
        # Now make them due, spread over one second: each keeps its place on that grid. The
        # tickers notice within their 5 s horizon at worst; the warm-up covers it.
        t0 = time.time()
        start = datetime.fromtimestamp(t0, UTC)
        async with store._use(transaction=True) as conn, conn.cursor() as cur:
            await cur.executemany(
                "UPDATE scheduled_jobs SET next_run_at = %s WHERE id = %s",
                [
                    (format_ts(start + timedelta(seconds=i / jobs)), job_id)
                    for i, job_id in enumerate(job_ids)
                ],
            )
        meter = CpuMeter([n.proc.pid for n in nodes])
        await asyncio.sleep(max(0.0, t0 + warmup - time.time()))
        w0 = time.time()
        async with store._use() as conn:
            stats0 = await db_stats(conn)
        meter.start()
        if profiling:
            await asyncio.gather(asyncio.sleep(window), profile(res, url, nodes, window - 1))
        else:
            await asyncio.sleep(window)
        cpu = meter.stop()
        w1 = w0 + window
        async with store._use() as conn:
            stats1 = await db_stats(conn)
        await asyncio.sleep(1)  # executions ended within the window may still be committing
        async with store._use() as conn:
            cur = await conn.execute(
                "SELECT status, count(*) AS n FROM pulse_executions"
                " WHERE completed_at >= %s AND completed_at < %s GROUP BY status",
                (ts(w0), ts(w1)),
            )
            done = {r["status"]: r["n"] for r in await cur.fetchall()}
            cur = await conn.execute(
                "SELECT count(*) AS n FROM pulse_run_requests WHERE status = 'queued'"
            )
            row = await cur.fetchone()
            backlog = row["n"] if row else 0
            cur = await conn.execute(
                "SELECT node_id, count(*) AS n FROM pulse_executions"
                " WHERE completed_at >= %s AND completed_at < %s GROUP BY node_id",
                (ts(w0), ts(w1)),
            )
            per_node = sorted(r["n"] for r in await cur.fetchall())
        await store.close()
        completed = done.get("completed", 0)
        result = {
            "nodes": nodes_count,
            "workers_per_node": workers,
            "pool_per_node": pool,
            "jobs": jobs,
            "window_s": window,
            "completed": completed,
            "failed": done.get("failed", 0),
            "per_s": round(completed / window),
            "per_node": per_node,
            "backlog_at_end": backlog,
            # What the database did per recorded execution (all sessions of its database).
            "db_per_execution": {
                k: round((stats1[k] - stats0[k]) / max(1, completed), 1) for k in DB_STATS
            },
            **cpu,
            **log_problems(res, nodes),
        }
        print(
            f"  Pulse, {nodes_count} node(s) x {workers} workers: {result['per_s']:,}/s"
            f" (failed {result['failed']}, backlog {backlog:,}, per node {per_node},"
            f" nodes {cpu['client_cores']} cores, postgres {cpu['postgres_cores']},"
            f" machine {cpu['machine_cores']}; log errors {result['errors']}; per execution"
            f" {result['db_per_execution']})",
            file=sys.stderr,
        )
        return result
    finally:
        stop_nodes(res, nodes)
        res.drop_db(name)


def drain_rates(done: Sequence[float], first_start: float) -> tuple[int, int | None]:
    """Completions per second over a drained queue: all of them from the first start to the
    last end, and the middle 80% (10th to 90th percentile of the ends), which leaves out the
    ramp-up and the stragglers."""
    n = len(done)
    overall = round(n / max(1e-9, done[-1] - first_start)) if n else 0
    middle = None
    if n >= 20:
        lo, hi = n // 10, (9 * n) // 10 - 1
        if done[hi] > done[lo]:
            middle = round((hi - lo) / (done[hi] - done[lo]))
    return overall, middle


async def pulse_drain(
    res: Resources, nodes_count: int, workers: int, pool: int, runs: int, jobs: int = 500
) -> dict[str, Any]:
    """Procrastinate's case for Pulse: ``runs`` run requests queued at once ("run now" of
    ``jobs`` jobs, with the store's own enqueue statement, pipelined in one transaction), then
    drained by nodes already running (their workers look for work every second)."""
    from pulse import ids
    from pulse.models import RunRequest, Trigger
    from pulse.store.postgres import Q
    from pulse.store.rows import run_request_row

    name = res.create_db("pulse_bench")
    url = db_url(name)
    nodes: list[Node] = []
    try:
        store = await open_store(url)
        far = datetime.now(UTC) + timedelta(days=1)
        job_ids = await create_jobs(store, jobs, 1, "drain", far)
        nodes = await start_nodes(res, url, nodes_count, workers, f"drain{nodes_count}", pool)
        meter = CpuMeter([n.proc.pid for n in nodes])
        now = datetime.now(UTC)
        params = [
            run_request_row(
                RunRequest(
                    id=ids.run_request_id(),
                    job_id=job_ids[i % jobs],
                    execution_id=ids.execution_id(int(now.timestamp())),
                    trigger=Trigger.MANUAL,
                    scheduled_for=None,
                    created_at=now,
                )
            )
            for i in range(runs)
        ]
        async with store._use() as conn:
            stats0 = await db_stats(conn)
        meter.start()
        q0 = time.time()
        async with store._use(transaction=True) as conn, conn.cursor() as cur:
            await cur.executemany(Q["enqueue"], params)
        queue_s = time.time() - q0
        deadline = time.time() + 600
        async with store._use() as conn:
            while True:
                cur = await conn.execute(
                    "SELECT count(*) AS n FROM pulse_executions WHERE status <> 'running'"
                )
                row = await cur.fetchone()
                if row and row["n"] >= runs:
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"only {row['n'] if row else 0} of {runs} ran in 600 s")
                await asyncio.sleep(0.2)
            cpu = meter.stop()
            stats1 = await db_stats(conn)
            cur = await conn.execute(
                "SELECT started_at, completed_at, status, node_id FROM pulse_executions"
            )
            rows = await cur.fetchall()
        await store.close()
        ends = sorted(datetime.fromisoformat(r["completed_at"]).timestamp() for r in rows)
        first = min(datetime.fromisoformat(r["started_at"]).timestamp() for r in rows)
        overall, middle = drain_rates(ends, first)
        per_node: dict[str, int] = {}
        for r in rows:
            per_node[r["node_id"]] = per_node.get(r["node_id"], 0) + 1
        result = {
            "nodes": nodes_count,
            "workers_per_node": workers,
            "pool_per_node": pool,
            "runs": runs,
            "completed": sum(1 for r in rows if r["status"] == ExecutionStatus.COMPLETED),
            "queue_s": round(queue_s, 2),
            "queue_per_s": round(runs / queue_s),
            "per_s": overall,
            "per_s_middle": middle,
            "per_s_with_queueing": round(runs / (queue_s + ends[-1] - first)),
            "per_node": sorted(per_node.values()),
            "db_per_execution": {
                k: round((stats1[k] - stats0[k]) / max(1, runs), 1) for k in DB_STATS
            },
            **cpu,
            **log_problems(res, nodes),
        }
        print(
            f"  Pulse drain, {nodes_count} node(s) x {workers}: {overall:,}/s (middle 80%"
            f" {middle}/s; queueing {runs:,}: {queue_s:.2f} s; per node {result['per_node']};"
            f" nodes {cpu['client_cores']} cores, postgres {cpu['postgres_cores']}, machine"
            f" {cpu['machine_cores']}; log errors {result['errors']}; per execution"
            f" {result['db_per_execution']})",
            file=sys.stderr,
        )
        return result
    finally:
        stop_nodes(res, nodes)
        res.drop_db(name)


async def procrastinate_throughput(
    res: Resources, workers_count: int, concurrency: int, pool: int, tasks: int
) -> dict[str, Any]:
    from pg_procrastinate import make_app

    name = res.create_db("procrastinate_bench")
    url = db_url(name)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        app = make_app(url, pool)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            task = app.tasks["noop"]
            d0 = time.time()
            for i in range(0, tasks, 1000):
                await task.batch_defer_async(*([{}] * min(1000, tasks - i)))
            defer_s = time.time() - d0
        pids = []
        r0 = time.time()
        for i in range(workers_count):
            cmd = [
                PY,
                str(BENCH / "pg_procrastinate.py"),
                "worker",
                url,
                str(concurrency),
                str(pool),
            ]
            log_name = f"procrastinate-{workers_count}-{i + 1}.log"
            p = spawn(res, cmd, log_name, stdout=subprocess.DEVNULL)
            procs.append(p)
            pids.append(p.pid)
        meter = CpuMeter(pids)
        meter.start()
        for p in procs:
            await asyncio.to_thread(p.wait, 600)
        cpu = meter.stop()
        run_wall = time.time() - r0
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT extract(epoch FROM at)::float8 FROM procrastinate_events"
                " WHERE type = 'succeeded' ORDER BY at"
            ).fetchall()
            first = conn.execute(
                "SELECT extract(epoch FROM min(at))::float8 FROM procrastinate_events"
                " WHERE type = 'started'"
            ).fetchone()
            left = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'"
            ).fetchone()
        times = [r[0] for r in rows]
        n = len(times)
        first_start = first[0] if first and first[0] is not None else r0
        overall, middle = drain_rates(times, first_start)
        result = {
            "workers": workers_count,
            "concurrency": concurrency,
            "tasks": tasks,
            "succeeded": n,
            "not_succeeded": left[0] if left else None,
            "defer_s": round(defer_s, 2),
            "defer_per_s": round(tasks / defer_s),
            "per_s": overall,
            "per_s_middle": middle,
            "per_s_with_defer": round(n / (defer_s + (times[-1] - r0))) if times else None,
            "run_wall_s": round(run_wall, 2),
            **cpu,
        }
        print(
            f"  Procrastinate, {workers_count} worker(s) x {concurrency}: {result['per_s']:,}/s"
            f" (middle 80% {result['per_s_middle']}/s; deferral of {tasks:,}: {defer_s:.2f} s;"
            f" with deferral {result['per_s_with_defer']}/s; workers {cpu['client_cores']}"
            f" cores, postgres {cpu['postgres_cores']}, machine {cpu['machine_cores']})",
            file=sys.stderr,
        )
        return result
    finally:
        res.stop(procs)
        res.drop_db(name)


# -- burst --------------------------------------------------------------------------------------
async def pulse_burst(
    res: Resources, jobs: int, nodes_count: int, workers: int, pool: int | None, margin: float = 15
) -> dict[str, Any]:
    """``jobs`` jobs due at one instant, made before the nodes start (so that every ticker
    knows the instant and sleeps until it, as after a restart); lag = started - slot."""
    name = res.create_db("pulse_bench")
    url = db_url(name)
    nodes: list[Node] = []
    try:
        store = await open_store(url)
        due = datetime.fromtimestamp(math.ceil(time.time() + margin), UTC)
        await create_jobs(store, jobs, 3600, "burst", due)
        nodes = await start_nodes(res, url, nodes_count, workers, f"burst{nodes_count}", pool)
        if datetime.now(UTC) > due - timedelta(seconds=1):
            raise RuntimeError("the nodes took too long to start: the burst was not measured")
        meter = CpuMeter([n.proc.pid for n in nodes])
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds())
        meter.start()
        deadline = time.time() + 120
        fired_first = fired_all = None  # ms after the instant: first / last request queued
        async with store._use() as conn:
            while True:
                # A request lives from its firing until its execution ends.
                cur = await conn.execute(
                    "SELECT (SELECT count(*) FROM pulse_executions WHERE status <> 'running') AS n,"
                    " (SELECT count(*) FROM pulse_run_requests) AS q"
                )
                row = await cur.fetchone()
                at = round((datetime.now(UTC) - due) / timedelta(milliseconds=1))
                if row and row["n"] + row["q"] > 0 and fired_first is None:
                    fired_first = at
                if row and row["n"] + row["q"] >= jobs and fired_all is None:
                    fired_all = at
                if row and row["n"] >= jobs:
                    break
                if time.time() > deadline:
                    raise RuntimeError(f"only {row['n'] if row else 0} of {jobs} ran in 120 s")
                await asyncio.sleep(0.02)
            cpu = meter.stop()
            cur = await conn.execute(
                "SELECT started_at, scheduled_for, completed_at, status, node_id"
                " FROM pulse_executions"
            )
            rows = await cur.fetchall()
        await store.close()
        lags = [
            (datetime.fromisoformat(r["started_at"]) - datetime.fromisoformat(r["scheduled_for"]))
            / timedelta(milliseconds=1)
            for r in rows
        ]
        last_done = max(datetime.fromisoformat(r["completed_at"]) for r in rows)
        per_node: dict[str, int] = {}
        node_lags: dict[str, list[float]] = {}
        for r, lag in zip(rows, lags, strict=True):
            per_node[r["node_id"]] = per_node.get(r["node_id"], 0) + 1
            node_lags.setdefault(r["node_id"], []).append(lag)
        result = {
            "jobs": jobs,
            "nodes": nodes_count,
            "workers_per_node": workers,
            "pool_per_node": pool or pool_size(workers),
            "executions": len(rows),
            "fired_first_ms": fired_first,
            "fired_all_ms": fired_all,
            "min_ms": min(lags),
            "completed": sum(1 for r in rows if r["status"] == ExecutionStatus.COMPLETED),
            "p50_ms": pct(lags, 50),
            "p99_ms": pct(lags, 99),
            "max_ms": max(lags),
            "all_done_ms": round((last_done - due) / timedelta(milliseconds=1)),
            "per_node": sorted(per_node.values()),
            # Per node: executions, and their start lag min / median / max (ms).
            "lag_by_node": {
                k: [len(v), round(min(v)), round(pct(v, 50)), round(max(v))]
                for k, v in sorted(node_lags.items())
            },
            **cpu,
            **log_problems(res, nodes),
        }
        print(
            f"  burst of {jobs}, {nodes_count} nodes x {workers} workers: p50"
            f" {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, max"
            f" {result['max_ms']:.0f} ms, min {result['min_ms']:.0f} ms; requests queued from"
            f" {fired_first} to {fired_all} ms; all done after {result['all_done_ms']} ms, per node"
            f" {result['lag_by_node']} (n, min/p50/max ms); log errors {result['errors']},"
            f" too many clients"
            f" {result['too_many_clients']}",
            file=sys.stderr,
        )
        return result
    finally:
        stop_nodes(res, nodes)
        res.drop_db(name)


# -- history ------------------------------------------------------------------------------------
COLUMNS = (
    "id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms, logs,"
    " result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,"
    " rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes"
)


def history_rows(job_id: str, count: int, first: int, block: int) -> Iterator[str]:
    """COPY text for ``count`` executions of ``job_id``, one a second ending now, 1 in 10 failed,
    with the values a no-op handler's execution gets from the store (a short log)."""
    lines = []
    for i in range(count):
        start = first + i
        started = ts(start)
        done = ts(start + 0.12)
        if i % 10 == 9:
            status, summary, error = "failed", "\\N", "boom"
            log = f"[{done}] [pulse] boom\\n"
        else:
            status, summary, error = "completed", "ok", "\\N"
            log = f"[{started}] ok\\n"
        lines.append(
            f"PX_{i:010x}_{start}\t{job_id}\tJB_{i:012x}\t{status}\t{started}\t{done}\t120\t{log}"
            f"\t{summary}\t{error}\t{started}\t{done}\t{started}\tschedule\t1\t\\N\tbench-n1"
            f"\t\\N\t{len(log) - 1}\t0\n"
        )
        if len(lines) == block:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


async def timed(fn: Any, samples: int) -> list[float]:
    for _ in range(3):  # warm the caches and the connection
        await fn()
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


async def pulse_history(res: Resources, rows: int, samples: int) -> dict[str, Any]:
    name = res.create_db("pulse_bench")
    url = db_url(name)
    nodes: list[Node] = []
    try:
        store = await open_store(url)
        job = new_job(
            {"name": "history", "handler": "noop", "interval_seconds": 1}, datetime.now(UTC)
        )
        job = dataclasses.replace(job, state=JobState.PAUSED)
        await store.create_job(job)
        b0 = time.time()
        first = int(time.time()) - rows
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("SET maintenance_work_mem = '256MB'")
            cur = await conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'pulse_executions'"
                " AND indexname NOT LIKE '%%_pkey'"
            )
            indexes = await cur.fetchall()
            # Secondary indexes are built after the load (a sort each), then exactly as the
            # migration defines them; the counting trigger fires for the COPY statement.
            for index, _ in indexes:
                await conn.execute(f'DROP INDEX "{index}"')
            async with (
                conn.cursor() as c,
                c.copy(f"COPY pulse_executions ({COLUMNS}) FROM STDIN") as copy,
            ):
                for block in history_rows(job.id, rows, first, 20_000):
                    await copy.write(block)
            for _, indexdef in indexes:
                await conn.execute(indexdef)
            await conn.execute("VACUUM (ANALYZE) pulse_executions")
            await conn.execute("ANALYZE pulse_execution_counts")
            build_s = time.time() - b0
            cur = await conn.execute(
                "SELECT status, count(*) FROM pulse_executions GROUP BY status ORDER BY status"
            )
            actual = dict(await cur.fetchall())
            cur = await conn.execute(
                "SELECT status, n FROM pulse_execution_counts WHERE scheduled_job_id = %s"
                " ORDER BY status",
                (job.id,),
            )
            counted = dict(await cur.fetchall())
            cur = await conn.execute("SELECT pg_database_size(current_database())")
            size = (await cur.fetchone())[0]
        if actual != counted:
            raise RuntimeError(f"counts table {counted} != actual {actual}")
        print(
            f"  history: {rows:,} executions built in {build_s:.1f} s ({size / 2**20:.0f} MiB);"
            f" counts {counted} match",
            file=sys.stderr,
        )
        cases: list[tuple[str, int, ExecutionStatus | None]] = [
            ("offset 0", 0, None),
            ("status=failed, offset 0", 0, ExecutionStatus.FAILED),
            ("status=completed, offset 0", 0, ExecutionStatus.COMPLETED),
            (f"offset {rows // 2:,}", rows // 2, None),
        ]
        nodes = await start_nodes(res, url, 1, 8, "history")
        results = []
        async with httpx.AsyncClient(base_url=nodes[0].base, timeout=30) as client:
            for label, offset, status in cases:
                n = samples if offset == 0 else max(5, samples // 20)
                expect = counted.get(status.value, 0) if status else sum(counted.values())

                async def via_store(
                    offset: int = offset, status: Any = status, expect: int = expect
                ) -> None:
                    page = await store.list_executions(job.id, 50, offset, status)
                    assert len(page.items) == 50 and page.total == expect, page.total

                params: dict[str, Any] = {"limit": 50, "offset": offset}
                if status:
                    params["status"] = status.value

                async def via_http(params: dict[str, Any] = params, expect: int = expect) -> None:
                    r = await client.get(f"/api/pulse/jobs/{job.id}/executions", params=params)
                    body = r.json()
                    assert r.status_code == 200 and body["total"] == expect, r.text[:200]
                    assert body["count"] == 50

                s = await timed(via_store, n)
                h = await timed(via_http, n)
                row = {
                    "case": label,
                    "requests": n,
                    "store_p50_ms": round(pct(s, 50), 2),
                    "store_p95_ms": round(pct(s, 95), 2),
                    "http_p50_ms": round(pct(h, 50), 2),
                    "http_p95_ms": round(pct(h, 95), 2),
                }
                results.append(row)
                print(
                    f"  history {label}: store p50 {row['store_p50_ms']} ms, p95"
                    f" {row['store_p95_ms']} ms; HTTP p50 {row['http_p50_ms']} ms, p95"
                    f" {row['http_p95_ms']} ms ({n} requests)",
                    file=sys.stderr,
                )
        await store.close()
        return {
            "rows": rows,
            "build_s": round(build_s, 1),
            "db_mib": round(size / 2**20),
            "counts": counted,
            "cases": results,
        }
    finally:
        stop_nodes(res, nodes)
        res.drop_db(name)


# -- report -------------------------------------------------------------------------------------
def med(values: Sequence[float | None]) -> float:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else math.nan


def rng(values: Sequence[float | None]) -> str:
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return ""
    return f" ({min(vals):,.0f}-{max(vals):,.0f})"


def fmt_ms(v: float) -> str:
    return f"{v:.0f} ms" if v >= 10 else f"{v:.2f} ms"


def report(results: dict[str, Any], meta: dict[str, Any]) -> str:
    out = [
        f"Command: `{meta['command']}`, started {meta['started']} UTC, took"
        f" {meta['minutes']:.1f} min. Machine: {meta['cpus']} CPUs, Python {meta['python']},"
        f" PostgreSQL {meta['postgres']} (synchronous_commit={meta['synchronous_commit']},"
        f" max_connections={meta['max_connections']}), Procrastinate {meta['procrastinate']},"
        f" psycopg {meta['psycopg']}; load average at start {meta['load']}. Medians of"
        f" {meta['runs']} run(s), (min-max) beside them.",
    ]
    if results.get("ceiling"):
        out += ["", "### Server ceiling (pgbench, one commit per statement)", ""]
        out += ["| what | 1 client | 16 clients |", "|---|---|---|"]
        by: dict[str, dict[int, int]] = {}
        for r in results["ceiling"]:
            by.setdefault(r["what"], {})[r["clients"]] = r["per_s"]
        for what, v in by.items():
            out.append(f"| {what} | {v.get(1, 0):,}/s | {v.get(16, 0):,}/s |")
    tp = results.get("throughput")
    if tp:
        out += ["", "### Throughput: executions recorded per second", ""]
        out += [
            "| nodes x workers | Pulse, scheduled jobs | Pulse, queued runs drained |"
            " Procrastinate 3, deferred tasks drained | Procrastinate incl. deferral |"
            " CPU cores, Pulse scheduled: nodes / postgres / machine | CPU, Pulse drain |"
            " CPU, Procrastinate: workers / postgres / machine | target |",
            "|---|---|---|---|---|---|---|---|---|",
        ]

        def cell(rows: list[dict[str, Any]], key: str) -> str:
            if not rows:
                return "-"
            return f"{med([r[key] for r in rows]):,.0f}{rng([r[key] for r in rows])}"

        def cpu(rows: list[dict[str, Any]]) -> str:
            if not rows:
                return "-"
            return " / ".join(
                f"{med([r[k] for r in rows]):.2f}"
                for k in ("client_cores", "postgres_cores", "machine_cores")
            )

        counts = sorted({r["nodes"] for r in tp["pulse"]})
        for k in counts:
            p = [r for r in tp["pulse"] if r["nodes"] == k]
            d = [r for r in tp["drain"] if r["nodes"] == k]
            q = [r for r in tp["procrastinate"] if r["workers"] == k]
            w = p[0]["workers_per_node"]
            target = "≥ Procrastinate" + (", ≥ 1,500/s" if k == 3 else "")
            out.append(
                f"| {k} x {w} | {cell(p, 'per_s')}"
                f" | {cell(d, 'per_s')} | {cell(q, 'per_s')} | {cell(q, 'per_s_with_defer')}"
                f" | {cpu(p)} | {cpu(d)} | {cpu(q)} | {target} |"
            )
        p0 = tp["pulse"][0]
        backlogs = ", ".join(
            f"{k} node(s) {med([r['backlog_at_end'] for r in tp['pulse'] if r['nodes'] == k]):,.0f}"
            for k in counts
        )
        out += [
            "",
            f"*Pulse, scheduled jobs*: {p0['jobs']:,} jobs every second (interval jobs spread over"
            " the second, `overlap: allow`), each running the no-op async handler printing 1 KiB"
            " (captured and stored with the execution); when the nodes cannot keep up, runs queue"
            " and the figure is what they sustain;"
            f" {p0['workers_per_node']} workers and a pool of {p0.get('pool_per_node', '?')}"
            " connections per node;"
            f" completions counted over {p0['window_s']:.0f} s after {tp['warmup']:.0f} s of"
            f" warm-up. Runs still queued at the end of the window: {backlogs}.",
            f"*Queued runs drained*: {tp['runs']:,} run requests of the same jobs queued at once"
            " with the store's enqueue statement (one transaction), then run by nodes already"
            " up; rate = completions from the first start to the last end. Queueing alone:"
            f" {med([r['queue_per_s'] for r in tp['drain']]):,.0f}/s.",
        ]
        if tp["procrastinate"]:
            out.append(
                f"*Procrastinate*: the same {tp['runs']:,} no-op tasks (printing 1 KiB, not"
                " captured), deferred with `batch_defer_async` (1,000 a call) into their own"
                " database, then run by 1-3 worker processes started together, each with the"
                " nodes' concurrency and pool size (`wait=False`, `listen_notify=False`, jobs"
                " kept); rate as for the drain; 'incl. deferral' adds the deferral time."
                f" Deferral alone: {med([r['defer_per_s'] for r in tp['procrastinate']]):,.0f}/s."
            )
    bu = results.get("burst")
    if bu:
        b0 = bu[0]
        out += ["", "### Burst: jobs due at the same instant", ""]
        out += [
            "| jobs | nodes / workers | lag p50 | lag p99 | lag max | all done after | runs |"
            " target |",
            "|---|---|---|---|---|---|---|---|",
            f"| {b0['jobs']:,} | {b0['nodes']} x {b0['workers_per_node']} |"
            f" {fmt_ms(med([r['p50_ms'] for r in bu]))} | {fmt_ms(med([r['p99_ms'] for r in bu]))}"
            f"{rng([r['p99_ms'] for r in bu])} | {fmt_ms(med([r['max_ms'] for r in bu]))} |"
            f" {fmt_ms(med([r['all_done_ms'] for r in bu]))} | {len(bu)} | p99 ≤ 500 ms |",
        ]
    hi = results.get("history")
    if hi:
        out += ["", "### History: a page of 50 with its total", ""]
        out += [
            "| page of 50 + total | store p50 | store p95 | HTTP p50 | HTTP p95 | requests |"
            " target |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in hi["cases"]:
            target = "p95 ≤ 5 ms" if "offset 0" in c["case"] else ""
            out.append(
                f"| {c['case']} | {fmt_ms(c['store_p50_ms'])} | {fmt_ms(c['store_p95_ms'])} |"
                f" {fmt_ms(c['http_p50_ms'])} | {fmt_ms(c['http_p95_ms'])} | {c['requests']} |"
                f" {target} |"
            )
        out += [
            "",
            f"Database: {hi['rows']:,} executions of one job ({hi['counts']}), {hi['db_mib']:,}"
            f" MiB, built in {hi['build_s']} s (COPY, secondary indexes built after it,"
            " VACUUM ANALYZE); the counts table matched `count(*)`.",
        ]
    return "\n".join(out)


def server_meta() -> dict[str, Any]:
    with psycopg.connect(ADMIN_URL) as conn:
        return {
            "postgres": conn.execute("SHOW server_version").fetchone()[0].split()[0],
            "synchronous_commit": conn.execute("SHOW synchronous_commit").fetchone()[0],
            "max_connections": conn.execute("SHOW max_connections").fetchone()[0],
        }


# -- main ---------------------------------------------------------------------------------------
async def run(args: argparse.Namespace, res: Resources) -> dict[str, Any]:
    quick = args.quick
    only = set(args.only or ["ceiling", "throughput", "burst", "history"])
    results: dict[str, Any] = {}
    if "ceiling" in only:
        print("ceiling", file=sys.stderr)
        results["ceiling"] = await bench_ceiling(res, 2 if quick else 3)
    if "throughput" in only:
        warmup, window = (4.0, 6.0) if quick else (4.0, 10.0)
        queued = args.queued or (3000 if quick else 5000)
        tp: dict[str, Any] = {
            "warmup": warmup,
            "runs": queued,
            "pulse": [],
            "drain": [],
            "procrastinate": [],
        }
        for run_no in range(args.runs):
            for k in args.nodes:
                print(f"throughput, run {run_no + 1}, {k} node(s)", file=sys.stderr)
                d = await pulse_drain(res, k, args.workers, args.pool, queued)
                tp["drain"].append(d)
                if not args.no_peer:
                    q = await procrastinate_throughput(res, k, args.workers, args.pool, queued)
                    tp["procrastinate"].append(q)
                jobs = args.jobs
                profiling = args.profile and run_no == 0
                p = await pulse_throughput(
                    res, k, args.workers, args.pool, jobs, warmup, window, profiling
                )
                tp["pulse"].append(p)
        results["throughput"] = tp
    if "burst" in only:
        results["burst"] = []
        for run_no in range(args.runs):
            print(f"burst, run {run_no + 1}", file=sys.stderr)
            b = await pulse_burst(res, 1000, 3, args.burst_workers, args.burst_pool or None)
            results["burst"].append(b)
    if "history" in only:
        print("history", file=sys.stderr)
        results["history"] = await pulse_history(
            res, 100_000 if quick else 1_000_000, 50 if quick else 300
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--runs", type=int, help="runs of each case (default 3; 1 with --quick)")
    parser.add_argument(
        "--only", action="append", choices=["ceiling", "throughput", "burst", "history"]
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=64,
        help="throughput: workers per node, and Procrastinate's concurrency per worker"
        " (default 64)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=25,
        help="throughput: connection pool of each node and of each Procrastinate worker (default"
        " 25, so that 3 of them fit max_connections=100 beside other users)",
    )
    parser.add_argument("--burst-workers", type=int, default=400, help="burst: workers per node")
    parser.add_argument(
        "--burst-pool",
        type=int,
        default=25,
        help="burst: cap each node's connection pool (default 25, so that 3 nodes fit"
        " max_connections=100 beside other users; 0: Pulse's own min(workers + 4, 40))",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=2000,
        help="throughput: jobs due every second (default 2,000, above the 1,500/s target, so"
        " that the figure is what the nodes sustain, not what they were offered)",
    )
    parser.add_argument("--queued", type=int, help="throughput: runs queued for the drain")
    parser.add_argument(
        "--nodes", type=int, action="append", help="throughput: node counts (default 1 2 3)"
    )
    parser.add_argument("--json", type=Path, help="write the raw runs here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="throughput, first run: py-spy profiles of the nodes and the database's wait"
        " events, in the log directory ($PY_SPY names py-spy)",
    )
    parser.add_argument("--no-peer", action="store_true", help="throughput: Pulse only")
    parser.add_argument("--keep", action="store_true", help="keep the databases (debugging)")
    args = parser.parse_args()
    args.runs = args.runs or (1 if args.quick else 3)
    args.nodes = args.nodes or [1, 2, 3]
    started = datetime.now(UTC)
    meta = {
        "command": "python bench/pg_nodes.py " + " ".join(sys.argv[1:]),
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "procrastinate": version("procrastinate"),
        "psycopg": version("psycopg"),
        "load": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "runs": args.runs,
        **server_meta(),
    }
    res = Resources(args.keep)
    print(f"node logs in {res.logdir}", file=sys.stderr)

    def on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        results = asyncio.run(run(args, res))
    finally:
        res.close()
    meta["minutes"] = (datetime.now(UTC) - started).total_seconds() / 60
    text = report(results, meta)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1))


if __name__ == "__main__":
    main()
