"""Pulse across PostgreSQL outages (issue 8, "Benchmarks"): how fast the API answers while the
database is away, and how long after it comes back every job has run again.

    .venv/bin/python bench/outage.py              # both scenarios, about 2 minutes
    .venv/bin/python bench/outage.py --settle 20  # check for leftovers 20 s after, not 60 s
    .venv/bin/python bench/outage.py --json       # also the raw figures, as one JSON line

Each scenario has its own private PostgreSQL cluster (``initdb`` + ``pg_ctl`` from
``/usr/lib/postgresql/15/bin``, run as the ``postgres`` user, data in a temporary directory, a
free port on 127.0.0.1, trust authentication), never the shared server. Two ``pulse serve``
nodes share it, with 50 jobs every 2 s running ``true`` (``overlap: forbid``, the default),
their slots spread over the 2 s.
After a warm-up the cluster is crashed (``pg_ctl stop -m immediate``) and started again:

* A, a short outage: 5 s, default lease (30 s) and heartbeat (5 s);
* B, an outage longer than the lease: 10 s with ``PULSE_LEASE_SECONDS=6`` and
  ``PULSE_HEARTBEAT_SECONDS=1``, so both nodes fence themselves and must take work again.

Measured:

* while the database is away, the answer time and status of ``GET /api/pulse/jobs`` and
  ``POST /api/pulse/jobs/{id}/trigger`` on each node: 20 requests of each, spread over the
  outage (the target is a 503 within 1 s);
* from ``pg_ctl start`` returning (the server accepts connections) to each job's first
  execution that started after that instant: the last of them is "every job ran again". The
  same figure for an instant 5 s before the outage shows what the 2 s interval alone gives
  on this machine at that moment. Beside it, the executions started before the crash whose
  end was written after the restart (by the rows' commit time stamps): a ``forbid`` job runs
  again only once its previous end is written;
* ``--settle`` seconds (60) after the database came back, with the nodes still up: executions
  still ``running`` that started more than 10 s earlier (the jobs take milliseconds), run
  requests still claimed, executions recorded "node lost", slots run twice.

The database is read directly with psycopg in read-only sessions. B starts once A's jobs have
all run again, on its own cluster, so B's outage falls within A's settling time: A's nodes keep
running their jobs beside B. Clusters and nodes are stopped and removed at the end, also on
failure or Ctrl-C; node and server logs stay in a temporary directory, printed at the start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import platform
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import psycopg
from benchlib import PULSE_BIN, ROOT, free_port, pct

from pulse.clock import format_ts

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
# Trust: a private cluster on 127.0.0.1 for this run only. No sync: it is thrown away after.
INITDB_OPTS = ("-A", "trust", "-E", "UTF8", "--no-sync")
API = "/api/pulse"
JOBS = 50
INTERVAL = 2
PROBES = 20  # requests of each kind, on each node, during an outage
STUCK_AFTER = 10.0  # seconds: a `running` execution older than this is left over


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    outage: float
    lease: float
    heartbeat: float

    @property
    def title(self) -> str:
        return f"outage {self.outage:g} s, lease {self.lease:g} s, heartbeat {self.heartbeat:g} s"


SCENARIOS = (
    Scenario("A", outage=5.0, lease=30.0, heartbeat=5.0),  # a short outage
    Scenario("B", outage=10.0, lease=6.0, heartbeat=1.0),  # an outage longer than the lease
)


# -- processes this run owns ------------------------------------------------------------------
def as_postgres(*cmd: str | Path) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *map(str, cmd)]


class Cluster:
    """A private PostgreSQL cluster in a temporary directory; ``remove`` stops it (if up) and
    deletes it."""

    def __init__(self, tag: str, logdir: Path) -> None:
        self.tag = tag
        self.logdir = logdir
        self.dir = Path(tempfile.mkdtemp(prefix=f"pulse-outage-pg{tag}-"))
        self.data = self.dir / "data"
        self.port = free_port()
        uid = pwd.getpwnam(PG_USER)
        os.chown(self.dir, uid.pw_uid, uid.pw_gid)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def url(self, db: str) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{db}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres(PG_BIN / "pg_ctl", "-D", self.data, *args),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )

    def init(self) -> None:
        subprocess.run(
            as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", PG_USER, *INITDB_OPTS),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )

    def start(self) -> None:
        """Start the server; returns once it accepts connections (``pg_ctl -w``)."""
        # Commit time stamps tell when each execution's end was written, which the rows do not
        # (their times are the node's, of the run itself).
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir}"
            " -c track_commit_timestamp=on"
        )
        self._pg_ctl("-w", "-t", "60", "-l", str(self.dir / "server.log"), "-o", opts, "start")

    def crash(self) -> None:
        """Stop the server the way a crash does: no checkpoint, clients cut at once."""
        self._pg_ctl("-w", "-m", "immediate", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        try:
            if self.running():
                self._pg_ctl("-w", "-m", "immediate", "stop")
        except (subprocess.SubprocessError, OSError) as e:
            print(f"could not stop cluster {self.tag}: {e}", file=sys.stderr)
        with contextlib.suppress(OSError):
            shutil.copy(self.dir / "server.log", self.logdir / f"postgres-{self.tag}.log")
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclasses.dataclass
class Node:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Resources:
    """Clusters and node processes of this run; all of them go at the end, whatever happens."""

    def __init__(self) -> None:
        self.logdir = Path(tempfile.mkdtemp(prefix="pulse-outage-"))
        self.clusters: list[Cluster] = []
        self.nodes: list[Node] = []

    def cluster(self, tag: str) -> Cluster:
        cluster = Cluster(tag, self.logdir)
        self.clusters.append(cluster)
        return cluster

    def stop_nodes(self, nodes: Sequence[Node], grace: float = 15) -> None:
        for n in nodes:
            if n.proc.poll() is None:
                n.proc.terminate()
        deadline = time.monotonic() + grace
        for n in nodes:
            try:
                n.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                n.proc.kill()
                n.proc.wait()
            if n in self.nodes:
                self.nodes.remove(n)

    def close(self) -> None:
        self.stop_nodes(list(self.nodes))
        for cluster in self.clusters:
            cluster.remove()
        self.clusters.clear()


def spawn_node(res: Resources, name: str, env: dict[str, str]) -> Node:
    """``pulse serve`` as node ``name`` on a free port, its data dir and log in the log dir."""
    port = free_port()
    data = res.logdir / name
    data.mkdir()
    log = res.logdir / f"{name}.log"
    cmd = [PULSE_BIN, "serve", "--port", str(port), "--node-id", name, "--data-dir", str(data)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, cwd=ROOT)
    node = Node(name, port, proc, log)
    res.nodes.append(node)
    return node


async def start_nodes(res: Resources, sc: Scenario, url: str) -> list[Node]:
    """Two nodes of scenario ``sc`` on ``url``; returns once both answer their health check."""
    env = {
        **os.environ,
        "PULSE_DATABASE_URL": url,
        "PULSE_LEASE_SECONDS": str(sc.lease),
        "PULSE_HEARTBEAT_SECONDS": str(sc.heartbeat),
        "PULSE_SHUTDOWN_GRACE": "2",
    }
    nodes = [spawn_node(res, f"{sc.name.lower()}-n{i}", env) for i in (1, 2)]
    async with httpx.AsyncClient(timeout=2) as client:
        deadline = time.monotonic() + 60
        for node in nodes:
            while True:
                if node.proc.poll() is not None:
                    raise RuntimeError(f"node {node.name} exited; see {node.log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(node.base + API + "/health")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node {node.name} did not come up in 60 s")
                await asyncio.sleep(0.1)
    return nodes


# -- measuring --------------------------------------------------------------------------------
async def probe(
    client: httpx.AsyncClient, method: str, url: str, count: int, spacing: float
) -> list[tuple[float, str]]:
    """``count`` requests, sent one every ``spacing`` seconds whether or not the earlier ones
    have answered (as clients would); each as (seconds, status code or the error's name)."""

    async def one(at: float) -> tuple[float, str]:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        start = time.perf_counter()
        try:
            status = str((await client.request(method, url)).status_code)
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as e:
            status = type(e).__name__
        return time.perf_counter() - start, status

    t0 = time.monotonic()
    return list(await asyncio.gather(*(one(t0 + i * spacing) for i in range(count))))


def summary(samples: Sequence[tuple[float, str]]) -> dict[str, Any]:
    times = [s for s, _ in samples]
    codes: dict[str, int] = {}
    for _, code in samples:
        codes[code] = codes.get(code, 0) + 1
    return {
        "n": len(samples),
        "p50_ms": round(pct(times, 50) * 1000, 1),
        "p95_ms": round(pct(times, 95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "codes": codes,
    }


def read_only(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        url, autocommit=True, connect_timeout=2, options="-c default_transaction_read_only=on"
    )


def latest_starts(url: str) -> dict[str, str]:
    with read_only(url) as conn:
        rows = conn.execute(
            "SELECT scheduled_job_id, max(started_at) FROM pulse_executions GROUP BY 1"
        ).fetchall()
    return {job: started for job, started in rows}


def first_starts_after(url: str, after: float, before: float | None = None) -> dict[str, float]:
    """Each job's first execution started after ``after`` (and before ``before``), as a Unix
    time. Stored timestamps are fixed-width RFC 3339 text in UTC, so they compare as text."""
    hi = format_ts(datetime.fromtimestamp(before, UTC)) if before else "9999"
    with read_only(url) as conn:
        rows = conn.execute(
            "SELECT scheduled_job_id, min(started_at) FROM pulse_executions"
            " WHERE started_at > %s AND started_at < %s GROUP BY 1",
            (format_ts(datetime.fromtimestamp(after, UTC)), hi),
        ).fetchall()
    return {job: datetime.fromisoformat(started).timestamp() for job, started in rows}


def late_ends(url: str, stopped: float, back: float) -> dict[str, Any]:
    """Executions started before the crash whose end was written after the restart: how many,
    and how long after the restart the last of them was (a ``forbid`` job waits for it)."""
    with read_only(url) as conn:
        count, last = conn.execute(
            "SELECT count(*), max(extract(epoch FROM pg_xact_commit_timestamp(xmin)))"
            " FROM pulse_executions WHERE started_at < %s AND status <> 'running'"
            " AND pg_xact_commit_timestamp(xmin) > to_timestamp(%s)",
            (format_ts(datetime.fromtimestamp(stopped, UTC)), back),
        ).fetchone()
    return {"count": count, "last_s": None if last is None else round(float(last) - back, 2)}


def gaps(firsts: dict[str, float], jobs: Sequence[str], since: float) -> dict[str, Any]:
    delays = [firsts[j] - since for j in jobs if j in firsts]
    return {
        "jobs_ran": len(delays),
        "p50_s": round(statistics.median(delays), 2) if delays else None,
        "all_s": round(max(delays), 2) if len(delays) == len(jobs) else None,
    }


async def wait_all_ran(url: str, jobs: Sequence[str], since: float, limit: float) -> float | None:
    """Poll (every 0.1 s) until every job has an execution started after ``since``; the seconds
    it took as seen by the poll, or None after ``limit``."""
    stamp = format_ts(datetime.fromtimestamp(since, UTC))
    while time.time() - since < limit:
        with contextlib.suppress(psycopg.Error):
            latest = await asyncio.to_thread(latest_starts, url)
            if all(latest.get(j, "") > stamp for j in jobs):
                return round(time.time() - since, 2)
        await asyncio.sleep(0.1)
    return None


async def api_back(
    client: httpx.AsyncClient, node: Node, since: float, limit: float
) -> float | None:
    """Seconds from ``since`` until ``GET /jobs`` answers 200 on ``node`` again."""
    while time.time() - since < limit:
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(node.base + API + "/jobs")).status_code == 200:
                return round(time.time() - since, 2)
        await asyncio.sleep(0.05)
    return None


def leftovers(url: str) -> dict[str, Any]:
    now = time.time()
    stuck = format_ts(datetime.fromtimestamp(now - STUCK_AFTER, UTC))
    with read_only(url) as conn:

        def one(sql: str, *args: Any) -> Any:
            row = conn.execute(sql, args).fetchone()
            return row[0] if row else None

        failures = conn.execute(
            "SELECT coalesce(error_message, ''), count(*) FROM pulse_executions"
            " WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        return {
            "executions": one("SELECT count(*) FROM pulse_executions"),
            "running_stuck": one(
                "SELECT count(*) FROM pulse_executions WHERE status = 'running'"
                " AND started_at < %s",
                stuck,
            ),
            "running_now": one("SELECT count(*) FROM pulse_executions WHERE status = 'running'"),
            "claimed_stuck": one(
                "SELECT count(*) FROM pulse_run_requests WHERE status <> 'queued'"
                " AND claimed_at < %s",
                stuck,
            ),
            "node_lost": one(
                "SELECT count(*) FROM pulse_executions WHERE error_message LIKE 'node lost%%'"
            ),
            "slots_run_twice": one(
                "SELECT count(*) FROM (SELECT 1 FROM pulse_executions"
                " WHERE scheduled_for IS NOT NULL GROUP BY scheduled_job_id, scheduled_for"
                " HAVING count(*) > 1) twice"
            ),
            "failed": {msg: n for msg, n in failures},
        }


def log_lines(node: Node) -> dict[str, int]:
    """Lines of a node's log that tell how it went through the outage."""
    text = node.log.read_text(errors="replace").splitlines()
    marks = {
        "errors": (" ERROR ", "Traceback"),
        "fenced": ("lost contact with the database", "lost its lease"),
        "declared_lost": ("peers declared this node lost",),
        "lease_back": ("holds its lease again",),
    }
    return {k: sum(1 for line in text if any(m in line for m in ms)) for k, ms in marks.items()}


# -- a scenario -------------------------------------------------------------------------------
async def run_scenario(
    res: Resources, sc: Scenario, cluster: Cluster, settle: float, recovered: asyncio.Event
) -> dict[str, Any]:
    """Nodes, jobs, warm-up, the outage and its figures; sets ``recovered`` once every job ran
    again (or gave up), then waits ``settle`` seconds from the restart for the leftovers."""
    t_begin = time.monotonic()
    db = f"pulse_outage_{sc.name.lower()}"
    url = cluster.url(db)
    out: dict[str, Any] = {"scenario": sc.name, "title": sc.title}
    nodes: list[Node] = []
    try:
        with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        nodes = await start_nodes(res, sc, url)
        async with httpx.AsyncClient(timeout=10) as client:
            # Created one by one over an interval, so that their slots spread evenly over it.
            jobs = []
            for i in range(JOBS):
                await asyncio.sleep(max(0.0, INTERVAL / JOBS - 0.01))
                r = await client.post(
                    nodes[i % 2].base + API + "/jobs",
                    json={
                        "name": f"outage-{i:02d}",
                        "command": "true",
                        "interval_seconds": INTERVAL,
                    },
                )
                r.raise_for_status()
                jobs.append(r.json()["id"])
            await asyncio.sleep(5)
            baseline = await asyncio.gather(
                *(probe(client, "GET", n.base + API + "/jobs", 10, 0.1) for n in nodes)
            )
            out["api_up"] = summary([s for b in baseline for s in b])
            await asyncio.sleep(4)
            print(f"  {sc.name}: {JOBS} jobs running; crashing PostgreSQL", file=sys.stderr)

            t_stop = time.time()
            await asyncio.to_thread(cluster.crash)
            t_down = time.time()
            # The last requests go out a second before the restart, so that a fast answer
            # comes while the database is still away.
            spacing = max(0.05, (sc.outage - 1.0) / (PROBES - 1))
            streams = [
                probe(client, method, n.base + API + path, PROBES, spacing)
                for n, job in zip(nodes, jobs, strict=False)
                for method, path in (("GET", "/jobs"), ("POST", f"/jobs/{job}/trigger"))
            ]
            probing = asyncio.gather(*streams)
            await asyncio.sleep(max(0.0, t_down + sc.outage - time.time()))
            await asyncio.to_thread(cluster.start)
            t_back = time.time()
            print(f"  {sc.name}: PostgreSQL back after {t_back - t_down:.1f} s", file=sys.stderr)
            back = await asyncio.gather(*(api_back(client, n, t_back, 30) for n in nodes))
            polled = await wait_all_ran(url, jobs, t_back, 60)
            recovered.set()
            results = await probing
            out["outage_s"] = round(t_back - t_down, 2)
            out["probes"] = {}
            k = 0
            for n in nodes:
                for label in ("GET /jobs", "POST trigger"):
                    out["probes"][f"{n.name} {label}"] = summary(results[k])
                    k += 1
            out["api_back_s"] = {n.name: b for n, b in zip(nodes, back, strict=True)}
            out["all_ran_polled_s"] = polled
            after = await asyncio.to_thread(first_starts_after, url, t_back)
            out["ran_again"] = gaps(after, jobs, t_back)
            # The same measure for an instant before the outage: what the interval alone gives.
            before = await asyncio.to_thread(first_starts_after, url, t_stop - 5, t_stop)
            out["steady"] = gaps(before, jobs, t_stop - 5)
            out["late_ends"] = await asyncio.to_thread(late_ends, url, t_stop, t_back)

            await asyncio.sleep(max(0.0, t_back + settle - time.time()))
            out["settle_s"] = settle
            out["leftovers"] = await asyncio.to_thread(leftovers, url)
            out["nodes_alive"] = {n.name: n.proc.poll() is None for n in nodes}
    finally:
        recovered.set()
        await asyncio.to_thread(res.stop_nodes, nodes)
    out["logs"] = {n.name: log_lines(n) for n in nodes}
    out["took_s"] = round(time.monotonic() - t_begin, 1)
    return out


async def run_all(
    res: Resources, scenarios: Sequence[Scenario], settle: float
) -> list[dict[str, Any]]:
    """The scenarios, each on its own cluster; each starts once the one before has seen every
    job run again (it sets its event then, or when it fails), and settles meanwhile."""
    clusters = [res.cluster(sc.name) for sc in scenarios]
    await asyncio.gather(*(asyncio.to_thread(c.init) for c in clusters))
    await asyncio.gather(*(asyncio.to_thread(c.start) for c in clusters))
    tasks = []
    previous: asyncio.Event | None = None
    for sc, cluster in zip(scenarios, clusters, strict=True):
        if previous is not None:
            await previous.wait()
        previous = asyncio.Event()
        tasks.append(asyncio.create_task(run_scenario(res, sc, cluster, settle, previous)))
    return list(await asyncio.gather(*tasks))


# -- report -----------------------------------------------------------------------------------
def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ms(x: float) -> str:
    return f"{x / 1000:.2f} s" if x >= 1000 else f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"


def secs(x: float | None) -> str:
    return "never" if x is None else f"{x:.2f} s"


def codes(c: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(c.items()))


def report(results: list[dict[str, Any]]) -> str:
    api_rows = []
    for r in results:
        for what, s in r["probes"].items():
            ok = set(s["codes"]) == {"503"} and s["max_ms"] <= 1000
            api_rows.append(
                [
                    r["scenario"],
                    what,
                    str(s["n"]),
                    ms(s["p50_ms"]),
                    ms(s["p95_ms"]),
                    ms(s["max_ms"]),
                    codes(s["codes"]),
                    "met" if ok else "**missed**",
                ]
            )
        up = r["api_up"]
        api_rows.append(
            [
                r["scenario"],
                "both nodes, GET /jobs, database up",
                str(up["n"]),
                ms(up["p50_ms"]),
                ms(up["p95_ms"]),
                ms(up["max_ms"]),
                codes(up["codes"]),
                "",
            ]
        )
    rec_rows = []
    for r in results:
        left = r["leftovers"]
        ra, st = r["ran_again"], r["steady"]
        back = ", ".join(f"{k} {secs(v)}" for k, v in r["api_back_s"].items())
        rec_rows.append(
            [
                r["scenario"],
                f"{r['outage_s']:.1f} s",
                back,
                f"{secs(ra['all_s'])} (p50 {secs(ra['p50_s'])}; {ra['jobs_ran']}/{JOBS} jobs)",
                f"{r['late_ends']['count']}, last {secs(r['late_ends']['last_s'])}"
                if r["late_ends"]["count"]
                else "0",
                secs(st["all_s"]),
                str(left["running_stuck"]),
                str(left["claimed_stuck"]),
                str(left["node_lost"]),
                str(left["slots_run_twice"]),
            ]
        )
    parts = [
        "During the outage: answer time of each node's API (target: a 503 within 1 s)",
        "",
        table(
            ["scenario", "request", "n", "p50", "p95", "max", "status codes", "target"], api_rows
        ),
        "",
        "After the outage",
        "",
        table(
            [
                "scenario",
                "outage",
                "API answers 200 again",
                "every job ran again",
                "ends of earlier runs written after the restart",
                "same, an instant before the outage",
                f"left running ({results[0]['settle_s']:.0f} s after)",
                "requests left claimed",
                '"node lost"',
                "slots run twice",
            ],
            rec_rows,
        ),
        "",
    ]
    for r in results:
        failed = "; ".join(f"{n} x {m!r}" for m, n in r["leftovers"]["failed"].items()) or "none"
        logs = "; ".join(
            f"{k}: " + (", ".join(f"{m} {v}" for m, v in counts.items() if v) or "clean")
            for k, counts in r["logs"].items()
        )
        alive = all(r["nodes_alive"].values())
        parts.append(
            f"{r['scenario']} ({r['title']}): {r['leftovers']['executions']} executions;"
            f" failed: {failed}; node logs: {logs}; nodes alive at the end: {alive};"
            f" {r['took_s']:.0f} s"
        )
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settle", type=float, default=60.0, help="seconds after the outage")
    parser.add_argument("--json", action="store_true", help="also print the raw figures")
    parser.add_argument("--only", choices=[sc.name for sc in SCENARIOS], action="append")
    parser.add_argument(
        "--outage-b", type=float, default=SCENARIOS[1].outage, help="B's outage, in seconds"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the PostgreSQL clusters run as the postgres user (runuser)")

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    scenarios = [
        dataclasses.replace(sc, outage=args.outage_b) if sc.name == "B" else sc
        for sc in SCENARIOS
        if not args.only or sc.name in args.only
    ]
    res = Resources()
    print(f"logs: {res.logdir}", file=sys.stderr)
    t0 = time.monotonic()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        results = asyncio.run(run_all(res, scenarios, args.settle))
    finally:
        res.close()
    info = (
        f"{started}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end,"
        f" Python {platform.python_version()}, PostgreSQL 15, {time.monotonic() - t0:.0f} s"
    )
    print(f"{info}\n\n{report(results)}", flush=True)
    if args.json:
        print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
