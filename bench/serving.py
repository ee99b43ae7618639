"""Operating runs (issue 10): how fast one node serves its API, the runs list across jobs and its
export on a million executions, and how fast a cancel stops a run.

    .venv/bin/python bench/serving.py            # everything, about 10 minutes
    .venv/bin/python bench/serving.py --quick    # 100,000 executions, short runs, ~2 minutes
    .venv/bin/python bench/serving.py --only wrk --only runs --only cancel --only pg --json

Parts (``--only``, repeatable; all by default):

* ``wrk``: requests per second with Debian's ``wrk`` (``-t2 -c32``, a warm-up before each
  measured run), in one run and interleaved round by round: a trivial FastAPI endpoint
  (``bench/serving_app.py``: uvicorn configured as ``pulse serve`` configures it, its own
  process), then Pulse's ``/health``, a job's list ``GET /jobs/{id}/executions?limit=50`` (the
  seed's), a job ``GET /jobs/{id}`` and the runs list across jobs ``GET /executions?limit=50``,
  on a real ``pulse serve`` (``PULSE_PRUNE_INTERVAL=0``) over an SQLite file holding the
  history of ``bench/serving_seed.py``. The server's CPU (utime + stime from /proc) is shown
  beside: a server near 1 core is bound by its one event loop.
* ``runs``: on the same server, sequential requests (httpx, one connection, one at a time) to
  the runs list: the first page and a page about a million rows deep (a cursor built for that
  position, as ``next_cursor`` would be), with and without a status filter, by job, trigger and
  time window, and full-text searches (``q``); p50/p95 of the whole answer. Then the exports
  (``/executions/export?format=csv`` and ``ndjson``, every row) streamed and counted, rows/s,
  with the server's RSS sampled every 20 ms from /proc.
* ``cancel``: runs of a ``sleep 60`` command job (the shell writes ``$$`` to a file, then
  sleeps), one at a time and five at once: from ``POST /executions/{id}/cancel`` to the 202,
  to the process group gone as the OS sees it (``killpg(pgid, 0)`` fails), and to the API
  showing the run ``failed`` "cancelled".
* ``pg``: ``wrk`` again, the main runs-list latencies and the exports with the server on
  PostgreSQL (the local server, a database of its own, dropped at the end), on a smaller
  history (the insert fires the roll-up triggers row by row).

The runs-list and export parts are skipped, saying so, while the server does not offer those
endpoints. Figures are printed as Markdown tables beside the targets, and written to
``bench/results-serving.md`` (``results-serving-quick.md`` for ``--quick``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from benchlib import BENCH, PY, free_port, pct, pulse_server, rss_kib
from serving_seed import job_id, seed_postgres, seed_sqlite

API = "/api/pulse"
PG_ADMIN = os.environ.get("PULSE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB = "pulse_bench_serving"
SERVER_ENV = {"PULSE_PRUNE_INTERVAL": "0"}
TICKS = os.sysconf("SC_CLK_TCK")


# -- wrk --------------------------------------------------------------------------------------
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m[1]) * _UNITS[m[2]]


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of ``pid``, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wrk(url: str, seconds: float, pid: int | None = None) -> dict[str, Any]:
    """One ``wrk -t2 -c32 --latency`` run; its figures, and the server's CPU if ``pid``."""
    cpu0 = cpu_seconds(pid) if pid else 0.0
    t0 = time.monotonic()
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    wall = time.monotonic() - t0
    result: dict[str, Any] = {"per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}  # type: ignore[index]
    for q in ("50", "99"):
        m = re.search(rf"^\s+{q}%\s+(\S+)", out, re.M)
        result[f"p{q}_ms"] = _ms(m[1]) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(m[1]) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = m[1] if m else ""
    if pid:
        result["server_cores"] = round((cpu_seconds(pid) - cpu0) / wall, 2)
    return result


def cpu_per_request(result: dict[str, Any]) -> float:
    """The server's CPU time per request (µs): steadier than req/s on a shared machine, where
    the server gets less than a core when others run."""
    return float(result.get("server_cores", 0)) / result["per_s"] * 1e6


def wrk_rounds(
    targets: list[tuple[str, str, int | None]], rounds: int, seconds: float, warmup: float
) -> dict[str, list[dict[str, Any]]]:
    """Each (label, url, server pid) measured ``rounds`` times, round-robin, each run after a
    warm-up run of its own (discarded)."""
    out: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in targets}
    for r in range(rounds):
        for label, url, pid in targets:
            wrk(url, warmup)
            res = wrk(url, seconds, pid)
            out[label].append(res)
            print(
                f"  [wrk {r + 1}/{rounds}] {label}: {res['per_s']:,.0f} req/s, p99"
                f" {res['p99_ms']} ms, server {res.get('server_cores')} cores"
                + (f", NON-2XX {res['non_2xx']}" if res["non_2xx"] else ""),
                file=sys.stderr,
                flush=True,
            )
    return out


@contextlib.contextmanager
def trivial_server() -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = subprocess.Popen(
        [PY, str(BENCH / "serving_app.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base + "/hello", proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_up(url: str, proc: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in 30 s")


def endpoints(base: str, pid: int) -> list[tuple[str, str, int | None]]:
    job = job_id(1)  # a cron job in a time zone: its description is the costlier one
    return [
        ("Pulse GET /health", f"{base}{API}/health", pid),
        (
            "Pulse GET /jobs/{id}/executions?limit=50 (seed's list)",
            f"{base}{API}/jobs/{job}/executions?limit=50",
            pid,
        ),
        ("Pulse GET /jobs/{id} (a job's details)", f"{base}{API}/jobs/{job}", pid),
        ("Pulse GET /executions?limit=50 (runs list)", f"{base}{API}/executions?limit=50", pid),
    ]


# -- the runs list ----------------------------------------------------------------------------
def has_paths(base: str) -> set[str]:
    doc = httpx.get(base + API + "/openapi.json", timeout=10).json()
    return set(doc["paths"])


def cursor(started_at: str, execution_id: str) -> str:
    """The cursor ``next_cursor`` would hold after this execution (pulse.search.encode_cursor:
    URL-safe base64 of ``[started_at, id]``, unpadded); built here so that this script runs
    whatever the server's version."""
    raw = json.dumps([started_at, execution_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def positions(read: Callable[[str, tuple[Any, ...]], Any], rows: int) -> tuple[str, int, str]:
    """A cursor about ``rows`` deep in the history, leaving 2,000 older runs (so that a page
    with a status filter still fills), its depth, and the start of the run in the middle."""
    depth = max(1, rows - 2000)
    sql = (
        "SELECT started_at, id FROM pulse_executions ORDER BY started_at DESC, id DESC"
        " LIMIT 1 OFFSET {}"
    )
    started, eid = read(sql, (depth - 1,))
    middle = read(sql, (rows // 2,))[0]
    return cursor(started, eid), depth, middle


def runs_cases(deep: str, depth: int, middle: str) -> list[tuple[str, dict[str, Any], str]]:
    """(name, query parameters, target) of the latency cases."""
    before = datetime.fromisoformat(middle).timestamp() - 3600
    window = {
        "started_after": datetime.fromtimestamp(before, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "started_before": middle,
    }
    return [
        ("first page", {}, "p95 ≤ 5 ms"),
        (f"page {depth:,} rows deep (cursor)", {"cursor": deep}, "p95 ≤ 5 ms"),
        ("status=failed, first page", {"status": "failed"}, "p95 ≤ 5 ms"),
        ("status=failed, deep (same cursor)", {"status": "failed", "cursor": deep}, "p95 ≤ 5 ms"),
        ("job_id=…, first page", {"job_id": job_id(7)}, ""),
        ("trigger=manual, first page", {"trigger": "manual"}, ""),
        ("an hour mid-history (started_after, _before)", window, ""),
        ("q=refused (1.3 % of runs)", {"q": "refused"}, "p95 ≤ 50 ms"),
        ("q=memory (1.3 %)", {"q": "memory"}, "p95 ≤ 50 ms"),
        ("q=processed 4321 rows (rare: 0.02 %)", {"q": "processed 4321 rows"}, "p95 ≤ 50 ms"),
        ("q=conn (a prefix)", {"q": "conn"}, "p95 ≤ 50 ms"),
        ("q=timed status=failed", {"q": "timed", "status": "failed"}, "p95 ≤ 50 ms"),
        ("q=nosuchword (no match)", {"q": "nosuchword"}, "p95 ≤ 50 ms"),
    ]


async def store_latencies(
    url: str, cases: list[tuple[str, dict[str, Any], str]], n: int
) -> dict[str, dict[str, Any]]:
    """The same cases through the store alone (``search_executions``, the call the API makes),
    in this process: what the HTTP stack adds is the difference."""
    from serving_seed import open_store

    from pulse.models import ExecutionStatus, Trigger
    from pulse.search import ExecutionFilter, decode_cursor, parse_time, search_words

    store = open_store(url)
    await store.open()
    out = {}
    try:
        for name, p, _target in cases:
            where = ExecutionFilter(
                job_id=p.get("job_id"),
                status=ExecutionStatus(p["status"]) if "status" in p else None,
                trigger=Trigger(p["trigger"]) if "trigger" in p else None,
                started_after=parse_time(p["started_after"], "a") if "started_after" in p else None,
                started_before=(
                    parse_time(p["started_before"], "b") if "started_before" in p else None
                ),
                words=search_words(p.get("q")),
            )
            after = decode_cursor(p["cursor"]) if "cursor" in p else None
            times = []
            t_end = time.monotonic() + 20
            for i in range(n + 3):
                t0 = time.perf_counter()
                await store.search_executions(where, 50, after)
                if i >= 3:
                    times.append((time.perf_counter() - t0) * 1000)
                if time.monotonic() > t_end and len(times) >= 20:
                    break
            out[name] = {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2)}
    finally:
        await store.close()
    return out


def latency(
    client: httpx.Client, path: str, params: dict[str, Any], n: int, cap_s: float
) -> dict[str, Any]:
    """``n`` sequential requests (after 3 for warming), stopping early after ``cap_s``."""
    times: list[float] = []
    count = None
    t_end = time.monotonic() + cap_s
    for i in range(n + 3):
        t0 = time.perf_counter()
        r = client.get(path, params={"limit": 50, **params})
        dt = (time.perf_counter() - t0) * 1000
        r.raise_for_status()
        if i >= 3:
            times.append(dt)
        count = len(r.json()["executions"])
        if time.monotonic() > t_end and len(times) >= 20:
            break
    return {
        "p50_ms": round(pct(times, 50), 2),
        "p95_ms": round(pct(times, 95), 2),
        "max_ms": round(max(times), 2),
        "n": len(times),
        "page": count,
    }


def run_latencies(
    base: str, cases: list[tuple[str, dict[str, Any], str]], n: int
) -> dict[str, dict[str, Any]]:
    out = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        # The cursor the server hands out must be one this script builds the same way.
        first = client.get(API + "/executions", params={"limit": 50}).json()
        last = first["executions"][-1]
        if first.get("next_cursor") != cursor(last["started_at"], last["id"]):
            print("  note: next_cursor is not built as this script builds it", file=sys.stderr)
        for name, params, _target in cases:
            out[name] = latency(client, API + "/executions", params, n, cap_s=30)
            print(f"  [runs] {name}: {out[name]}", file=sys.stderr, flush=True)
    return out


def export(base: str, pid: int, fmt: str, cap_s: float) -> dict[str, Any]:
    """The whole export streamed and its lines counted, with the server's RSS every 20 ms;
    stopped after ``cap_s`` seconds (the figures are then over what came until then)."""
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                samples.append(rss_kib(pid))
            stop.wait(0.02)

    before = rss_kib(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = 0
    size = 0
    t0 = time.perf_counter()
    first_byte = None
    capped = False
    try:
        with httpx.stream(
            "GET", f"{base}{API}/executions/export", params={"format": fmt}, timeout=600
        ) as r:
            r.raise_for_status()
            for chunk in r.iter_raw(1 << 16):
                if first_byte is None:
                    first_byte = time.perf_counter() - t0
                lines += chunk.count(b"\n")
                size += len(chunk)
                if time.perf_counter() - t0 > cap_s:
                    capped = True
                    break
    finally:
        elapsed = time.perf_counter() - t0
        stop.set()
        sampler.join()
    rows = lines - (1 if fmt == "csv" else 0)
    after = rss_kib(pid)
    return {
        "rows": rows,
        "seconds": round(elapsed, 2),
        "rows_per_s": round(rows / elapsed),
        "mib": round(size / 2**20, 1),
        "first_byte_ms": round((first_byte or 0) * 1000, 1),
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(max(samples, default=before) / 1024, 1),
        "rss_after_mib": round(after / 1024, 1),
        "samples": len(samples),
        "stopped_early": capped,
    }


# -- cancel -----------------------------------------------------------------------------------
def group_alive(pgid: int) -> bool:
    """Whether any process of the group exists, zombies included (``kill(2)`` succeeds on them)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def group_members(pgid: int) -> list[int]:
    """The processes of group ``pgid``, from /proc."""
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with (
                contextlib.suppress(OSError, IndexError, ValueError),
                open(f"/proc/{entry.name}/stat") as f,
            ):
                if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                    out.append(int(entry.name))
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (dead, waiting to be reaped by its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


async def cancel_batch(
    client: httpx.AsyncClient, job: str, piddir: Path, k: int
) -> list[dict[str, float]]:
    """Trigger ``k`` runs, wait until each has written its pid, cancel them all at once and
    time each one's end: every process of its group dead (exited, perhaps a zombie not yet
    reaped), the group gone from the OS (``killpg(pgid, 0)`` fails: reaped too), and the API
    showing it failed."""
    ids = []
    for _ in range(k):
        r = await client.post(f"{API}/jobs/{job}/trigger")
        r.raise_for_status()
        ids.append(r.json()["execution_id"])
    groups: dict[str, tuple[int, list[int]]] = {}
    deadline = time.monotonic() + 30
    for eid in ids:
        pidfile = piddir / f"{eid}.pid"
        while not (pidfile.exists() and pidfile.read_text().strip()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{eid} did not start in 30 s")
            await asyncio.sleep(0.005)
        pgid = os.getpgid(int(pidfile.read_text()))
        # The OS has no event to wait for: these loops poll it (and the API), on purpose.
        while len(members := group_members(pgid)) < 2:  # noqa: ASYNC110 - the shell, its sleep
            await asyncio.sleep(0.005)
        groups[eid] = (pgid, members)
    await asyncio.sleep(0.05)  # the runs' first output read, as a run a second old would be

    async def one(eid: str) -> dict[str, float]:
        pgid, members = groups[eid]
        t0 = time.perf_counter()
        r = await client.post(f"{API}/executions/{eid}/cancel")
        answered = time.perf_counter() - t0
        if r.status_code != 202:
            raise RuntimeError(f"cancel {eid}: {r.status_code} {r.text}")

        async def dead() -> float:
            while any(running(p) for p in members):  # noqa: ASYNC110
                await asyncio.sleep(0.0005)
            return time.perf_counter() - t0

        async def gone() -> float:
            while group_alive(pgid):  # noqa: ASYNC110
                await asyncio.sleep(0.0005)
            return time.perf_counter() - t0

        async def shown() -> float:
            while True:
                body = (await client.get(f"{API}/executions/{eid}")).json()
                if body["status"] == "failed":
                    if "cancel" not in (body.get("error_message") or ""):
                        raise RuntimeError(f"{eid} failed with {body.get('error_message')!r}")
                    return time.perf_counter() - t0
                await asyncio.sleep(0.002)

        d, g, s = await asyncio.gather(dead(), gone(), shown())
        return {
            "answer_ms": answered * 1000,
            "dead_ms": d * 1000,
            "gone_ms": g * 1000,
            "api_ms": s * 1000,
        }

    return list(await asyncio.gather(*(one(eid) for eid in ids)))


async def cancel_runs(base: str, piddir: Path, single: int, batches: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post(
            f"{API}/jobs",
            json={
                "name": "sleeper",
                "command": f'echo $$ > {piddir}/"$PULSE_EXECUTION_ID".pid; sleep 60',
                "interval_seconds": 316_224_000,  # ten years: it runs when triggered only
                "overlap": "allow",
            },
        )
        r.raise_for_status()
        job = r.json()["id"]
        out: dict[str, Any] = {"one at a time": [], "5 at once": []}
        for _ in range(single):
            out["one at a time"] += await cancel_batch(client, job, piddir, 1)
        for _ in range(batches):
            out["5 at once"] += await cancel_batch(client, job, piddir, 5)
        out["leftover_groups"] = leftover_groups(piddir)
    return out


def leftover_groups(piddir: Path) -> int:
    return sum(1 for p in piddir.glob("*.pid") if group_alive(int(p.read_text())))


def summarise_cancel(samples: list[dict[str, float]]) -> dict[str, Any]:
    return {
        k: {"p50": round(pct(v, 50), 1), "p99": round(pct(v, 99), 1), "max": round(max(v), 1)}
        for k in ("answer_ms", "dead_ms", "gone_ms", "api_ms")
        for v in [[s[k] for s in samples]]
    } | {"n": len(samples)}


# -- PostgreSQL -------------------------------------------------------------------------------
@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def pg_read(url: str) -> Callable[[str, tuple[Any, ...]], Any]:
    import psycopg

    def read(sql: str, args: tuple[Any, ...]) -> Any:
        with psycopg.connect(url) as conn:
            return conn.execute(sql.format(*args)).fetchone()

    return read


def sqlite_read(path: Path) -> Callable[[str, tuple[Any, ...]], Any]:
    def read(sql: str, args: tuple[Any, ...]) -> Any:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute(sql.format(*args)).fetchone()
        finally:
            conn.close()

    return read


# -- report -----------------------------------------------------------------------------------
def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def n0(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x / 1000:.2f} s" if x >= 1000 else f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


WRK_TARGETS = {
    "trivial": ("", "issue: ~7,600"),
    "seed's list": ("≥ 3,000", "issue: ~490"),
    "job's details": ("", "issue: ~1,700"),
    "runs list": ("≥ 3,000", ""),
}


def wrk_table(results: dict[str, list[dict[str, Any]]]) -> str:
    rows = []
    for label, runs in results.items():
        target, issue = next((v for k, v in WRK_TARGETS.items() if k in label), ("", ""))
        per_s = [r["per_s"] for r in runs]
        cell = " / ".join(n0(x) for x in per_s)
        errors = sum(r["non_2xx"] for r in runs)
        rows.append(
            [
                label,
                f"**{n0(statistics.median(per_s))}**" + (f" ({cell})" if len(runs) > 1 else ""),
                ms(statistics.median(r["p50_ms"] for r in runs)),
                ms(statistics.median(r["p99_ms"] for r in runs)),
                " / ".join(str(r.get("server_cores", "-")) for r in runs),
                n0(statistics.median(cpu_per_request(r) for r in runs)),
                str(errors) if errors else "0",
                target,
                issue,
            ]
        )
    return table(
        [
            "endpoint",
            "req/s, median (each round)",
            "latency p50",
            "p99",
            "server CPU, cores",
            "server CPU µs per request",
            "non-2xx",
            "target",
            "issue's figure",
        ],
        rows,
    )


def runs_table(
    results: dict[str, dict[str, Any]],
    store: dict[str, dict[str, Any]],
    cases: list[tuple[str, Any, str]],
) -> str:
    targets = {name: t for name, _, t in cases}
    rows = []
    for name, r in results.items():
        st = store.get(name, {})
        t = targets.get(name, "")
        limit = 50.0 if "50" in t else 5.0 if t else None
        verdict = "" if limit is None else " met" if r["p95_ms"] <= limit else " **missed**"
        rows.append(
            [
                name,
                ms(r["p50_ms"]),
                f"**{ms(r['p95_ms'])}**",
                ms(r["max_ms"]),
                str(r["n"]),
                str(r["page"]),
                f"{ms(st.get('p50_ms'))} / {ms(st.get('p95_ms'))}",
                t + verdict,
            ]
        )
    return table(
        [
            "GET /executions?limit=50&…",
            "HTTP p50",
            "HTTP p95",
            "max",
            "n",
            "rows",
            "store alone p50 / p95",
            "target (HTTP)",
        ],
        rows,
    )


def exports(base: str, pid: int, cap_s: float, label: str) -> dict[str, dict[str, Any]]:
    """Both formats' exports (see :func:`export`), each printed as it ends."""
    out = {}
    for fmt in ("csv", "ndjson"):
        out[fmt] = export(base, pid, fmt, cap_s)
        print(f"  [{label}] {fmt}: {out[fmt]}", file=sys.stderr, flush=True)
    return out


def export_table(results: dict[str, dict[str, Any]]) -> str:
    rows = [
        [
            f"`format={fmt}`",
            f"{r['rows']:,}" + (" (stopped there)" if r["stopped_early"] else ""),
            f"{r['seconds']} s",
            f"**{n0(r['rows_per_s'])}**",
            f"{r['mib']} MiB",
            f"{r['first_byte_ms']} ms",
            f"{r['rss_before_mib']} → peak {r['rss_peak_mib']} → {r['rss_after_mib']} MiB",
            "≥ 100,000 rows/s: "
            + ("met" if r["rows_per_s"] >= 100_000 else "**missed**")
            + "; flat memory: "
            + ("met" if r["rss_peak_mib"] - r["rss_before_mib"] <= 16 else "**missed**"),
        ]
        for fmt, r in results.items()
    ]
    return table(
        ["export", "rows", "time", "rows/s", "size", "first byte", "server RSS", "target"], rows
    )


def cancel_table(results: dict[str, Any]) -> str:
    def three(s: dict[str, Any], key: str, bold: bool = False) -> str:
        p99 = ms(s[key]["p99"])
        return f"{ms(s[key]['p50'])} / {f'**{p99}**' if bold else p99} / {ms(s[key]['max'])}"

    rows = []
    for mode in ("one at a time", "5 at once"):
        s = summarise_cancel(results[mode])
        rows.append(
            [
                mode,
                str(s["n"]),
                f"{ms(s['answer_ms']['p50'])} / {ms(s['answer_ms']['p99'])}",
                three(s, "dead_ms", bold=True),
                three(s, "gone_ms"),
                three(s, "api_ms"),
                "p99 ≤ 1 s: "
                + ("met" if s["dead_ms"]["p99"] <= 1000 else "**missed**")
                + " (dead), "
                + ("met" if s["gone_ms"]["p99"] <= 1000 else "**missed**")
                + " (reaped)",
            ]
        )
    return table(
        [
            "cancels",
            "runs",
            "202 answer p50 / p99",
            "every process dead p50 / p99 / max",
            "group gone from the OS (reaped) p50 / p99 / max",
            'API shows it failed "cancelled" p50 / p99 / max',
            "target",
        ],
        rows,
    )


# -- main -------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, short runs (~2 minutes)")
    ap.add_argument("--only", action="append", choices=["wrk", "runs", "cancel", "pg"])
    ap.add_argument("--rows", type=int, help="executions in the SQLite history")
    ap.add_argument("--pg-rows", type=int, help="executions in the PostgreSQL history")
    ap.add_argument(
        "--export-cap", type=float, help="stop reading an export after this (s; 60, quick 10)"
    )
    ap.add_argument("--json", action="store_true", help="also print the raw figures")
    args = ap.parse_args()
    parts = set(args.only or ["wrk", "runs", "cancel", "pg"])
    if shutil.which("wrk") is None and parts & {"wrk", "pg"}:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    quick = args.quick
    rows = args.rows or (100_000 if quick else 1_000_000)
    pg_rows = args.pg_rows or (50_000 if quick else 200_000)
    seconds, warmup, rounds = (4, 1, 1) if quick else (10, 3, 2)
    export_cap = args.export_cap or (10.0 if quick else 60.0)
    reps = 50 if quick else 200
    started = datetime.now(UTC)
    load0 = os.getloadavg()
    t_all = time.monotonic()
    raw: dict[str, Any] = {"quick": quick}
    md: list[str] = []

    if parts & {"wrk", "runs"}:
        with tempfile.TemporaryDirectory(prefix="pulse-bench-serving-") as d:
            data = Path(d)
            info = seed_sqlite(data / "pulse.db", rows)
            raw["sqlite_db"] = info
            print(f"seeded SQLite: {info}", file=sys.stderr, flush=True)
            md.append(
                f"SQLite history: {rows:,} executions of {info['jobs']} jobs, {info['db_mib']}"
                f" MiB, built in {info['build_s']} s (rows inserted in {info['insert_s']} s)."
            )
            with pulse_server(data, env=SERVER_ENV) as (base, proc):
                paths = has_paths(base)
                has_runs = f"{API}/executions" in paths
                has_export = f"{API}/executions/export" in paths
                if "wrk" in parts:
                    with trivial_server() as (tbase, tpid):
                        targets = [("trivial FastAPI endpoint (uvicorn)", f"{tbase}/hello", tpid)]
                        targets += [
                            t for t in endpoints(base, proc.pid) if has_runs or "runs" not in t[0]
                        ]
                        raw["wrk"] = wrk_rounds(targets, rounds, seconds, warmup)
                    md += [
                        "",
                        f"### Serving speed, SQLite (`wrk -t2 -c32 -d{seconds}s --latency`, "
                        f"{warmup} s warm-up before each, {rounds} round(s) interleaved)",
                        "",
                        wrk_table(raw["wrk"]),
                    ]
                    if not has_runs:
                        md.append("\n`GET /executions` is not served yet: not measured.")
                if "runs" in parts and has_runs:
                    cases = runs_cases(*positions(sqlite_read(data / "pulse.db"), rows))
                    raw["runs"] = run_latencies(base, cases, reps)
                    raw["runs_store"] = asyncio.run(
                        store_latencies(str(data / "pulse.db"), cases, reps)
                    )
                    md += [
                        "",
                        f"### Runs list across jobs, SQLite, {rows:,} executions "
                        f"(sequential, up to {reps} requests each, httpx, whole answer)",
                        "",
                        runs_table(raw["runs"], raw["runs_store"], cases),
                    ]
                elif "runs" in parts:
                    md.append("\nThe runs list (`GET /executions`) is not served yet.")
                if "runs" in parts and has_export:
                    raw["export"] = exports(base, proc.pid, export_cap, "export")
                    md += ["", f"### Export, SQLite, {rows:,} executions", ""]
                    md.append(export_table(raw["export"]))
                elif "runs" in parts:
                    md.append("\nThe export (`GET /executions/export`) is not served yet.")

    if "cancel" in parts:
        n_single, n_batches = (5, 1) if quick else (25, 5)
        with tempfile.TemporaryDirectory(prefix="pulse-bench-cancel-") as d:
            data = Path(d)
            piddir = data / "pids"
            piddir.mkdir()
            with pulse_server(data, env=SERVER_ENV) as (base, _proc):
                raw["cancel"] = asyncio.run(cancel_runs(base, piddir, n_single, n_batches))
        md += [
            "",
            "### Cancel a running `sleep 60` command (SQLite; default SIGTERM, SIGKILL after"
            " the grace)",
            "",
            cancel_table(raw["cancel"]),
            "",
            f"Process groups still alive at the end: {raw['cancel']['leftover_groups']}.",
        ]

    if "pg" in parts:
        with pg_database() as url, tempfile.TemporaryDirectory(prefix="pulse-bench-pg-") as d:
            info = seed_postgres(url, pg_rows)
            raw["pg_db"] = info
            print(f"seeded PostgreSQL: {info}", file=sys.stderr, flush=True)
            env = {**SERVER_ENV, "PULSE_DATABASE_URL": url}
            with pulse_server(Path(d), env=env) as (base, proc):
                has_runs = f"{API}/executions" in has_paths(base)
                targets = [t for t in endpoints(base, proc.pid) if has_runs or "runs" not in t[0]]
                raw["pg_wrk"] = wrk_rounds(targets, 1, seconds, warmup)
                md += [
                    "",
                    f"### Serving speed, PostgreSQL 15 (local server), {pg_rows:,} executions"
                    f" (`wrk -t2 -c32 -d{seconds}s`, {warmup} s warm-up, 1 round), built in"
                    f" {info['build_s']} s",
                    "",
                    wrk_table(raw["pg_wrk"]),
                ]
                if has_runs:
                    cases = [c for c in runs_cases(*positions(pg_read(url), pg_rows)) if c[2]]
                    raw["pg_runs"] = run_latencies(base, cases, reps // 2)
                    raw["pg_runs_store"] = asyncio.run(store_latencies(url, cases, reps // 2))
                    md += [
                        "",
                        f"Runs list on PostgreSQL, {pg_rows:,} executions, {reps // 2} requests"
                        " each:",
                        "",
                        runs_table(raw["pg_runs"], raw["pg_runs_store"], cases),
                    ]
                if f"{API}/executions/export" in has_paths(base):
                    raw["pg_export"] = exports(base, proc.pid, export_cap, "pg export")
                    md += ["", f"### Export, PostgreSQL, {pg_rows:,} executions", ""]
                    md.append(export_table(raw["pg_export"]))

    took = time.monotonic() - t_all
    head = (
        f"`bench/serving.py{' --quick' if quick else ''}`, {started:%Y-%m-%d %H:%M} UTC,"
        f" {took / 60:.1f} min; {os.cpu_count()} CPUs, load average {load0[0]:.1f} at the start"
        f" and {os.getloadavg()[0]:.1f} at the end; Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}"
    )
    text = head + "\n\n" + "\n".join(md) + "\n"
    print("\n" + text, flush=True)
    name = "results-serving-quick.md" if quick else "results-serving.md"
    (BENCH / name).write_text(text)
    if args.json:
        print(json.dumps(raw), flush=True)


if __name__ == "__main__":
    main()
