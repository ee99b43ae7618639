"""Several nodes on one PostgreSQL database: events cross nodes, slots fire once, a killed
node's runs are recorded and its queued work runs elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import websockets

from tests.conftest import LiveServer, free_port
from tests.e2e.test_serve import PULSE

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_a_client_on_one_node_sees_runs_and_live_lines_of_another(
    postgres_url: str, live_factory: Callable[..., Any]
) -> None:
    nodes: list[LiveServer] = [
        await live_factory(database_url=postgres_url, poll_seconds=60) for _ in range(2)
    ]
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(websockets.connect(n.ws_url)) for n in nodes]
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=nodes[1].api))
        for ws in clients:
            assert json.loads(await ws.recv())["type"] == "hello"
        cmd = "for i in 1 2 3 4 5 6; do echo step $i; sleep 0.3; done"
        job = {"name": "x", "command": cmd, "interval_seconds": 3600}
        jid = (await http.post("/jobs", json=job)).json()["id"]
        t0 = time.monotonic()
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]

        async def watch(ws: Any) -> list[dict[str, Any]]:
            seen: list[dict[str, Any]] = []
            while not any(m["type"] == "pulse_execution_completed" for m in seen):
                msg = json.loads(await asyncio.wait_for(ws.recv(), 15))
                seen.append(msg)
                if msg["type"] == "pulse_execution_started":
                    await ws.send(json.dumps({"type": "subscribe_logs", "execution_id": eid}))
            return seen

        seen_by = await asyncio.gather(*(watch(ws) for ws in clients))
        e = (await http.get(f"/executions/{eid}")).json()
        ran_on = [n.pulse.engine.node_id for n in nodes].index(e["node_id"])
        # Both nodes poll for work only once a minute: the run started at once because the
        # node that queued it told the other one as well as its own workers.
        assert e["status"] == "completed"
        assert time.monotonic() - t0 < 10
        seen = seen_by[1 - ran_on]  # the client of the node that did not run it
        kinds = [m["type"] for m in seen if m.get("execution_id") == eid]
        assert kinds[0] == "pulse_execution_started" and kinds[-1] == "pulse_execution_completed"
        assert kinds.count("pulse_execution_completed") == 1
        text = "".join(m["text"] for m in seen if m["type"] == "pulse_execution_log")
        lines = [ln.split("] ", 1)[1] for ln in text.splitlines()]
        assert lines == [f"step {i}" for i in range(1, 7)]


async def test_work_queued_on_one_node_wakes_the_others(
    postgres_url: str, live_factory: Callable[..., Any]
) -> None:
    # Node b's only worker is busy, and node a looks for work only once a minute: a run queued
    # through b starts on a at once all the same, because b told a.
    b: LiveServer = await live_factory(database_url=postgres_url, poll_seconds=60, workers=1)
    async with httpx.AsyncClient(base_url=b.api) as http:
        busy = {"name": "busy", "command": "sleep 5", "interval_seconds": 3600}
        quick = {"name": "quick", "command": "echo hi", "interval_seconds": 3600}
        busy_id = (await http.post("/jobs", json=busy)).json()["id"]
        quick_id = (await http.post("/jobs", json=quick)).json()["id"]
        await http.post(f"/jobs/{busy_id}/trigger")
        for _ in range(100):
            if b.pulse.engine.running_count == 1:
                break
            await asyncio.sleep(0.05)
        assert b.pulse.engine.running_count == 1
        a: LiveServer = await live_factory(database_url=postgres_url, poll_seconds=60)
        await asyncio.sleep(0.5)  # a's first look for work has passed, and found nothing
        t0 = time.monotonic()
        eid = (await http.post(f"/jobs/{quick_id}/trigger")).json()["execution_id"]
        for _ in range(100):
            r = await http.get(f"/executions/{eid}")
            if r.status_code == 200 and r.json()["status"] == "completed":
                break
            await asyncio.sleep(0.05)
        assert r.json()["status"] == "completed", "the queued run waited for a poll"
        assert r.json()["node_id"] == a.pulse.engine.node_id
        assert time.monotonic() - t0 < 4


def _serve(url: str, node: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PULSE_DATABASE_URL": url, "PULSE_NODE_ID": node, "PULSE_WORKERS": "16"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [PULSE, "serve", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT, env=env
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/api/pulse/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(log.read_text())


async def test_three_nodes_fire_every_slot_once_and_survive_a_kill_9(
    postgres_url: str, tmp_path: Path
) -> None:
    nodes = [_serve(postgres_url, f"node{i}", tmp_path / f"node{i}.log") for i in range(3)]
    procs = [p for p, _ in nodes]
    urls = [u for _, u in nodes]
    seen: list[dict[str, Any]] = []

    async def watch() -> None:
        async with websockets.connect(urls[0].replace("http", "ws") + "/api/pulse/ws") as ws:
            async for raw in ws:
                seen.append(json.loads(raw))

    watcher = asyncio.create_task(watch())
    try:
        async with httpx.AsyncClient(base_url=urls[1] + "/api/pulse", timeout=10) as http:
            ids = [
                (
                    await http.post(
                        "/jobs",
                        json={
                            "name": f"j{i:03d}",
                            "command": "echo tick",
                            "interval_seconds": 1,
                            "overlap": "allow",
                        },
                    )
                ).json()["id"]
                for i in range(100)
            ]
            await asyncio.sleep(20)
            procs[2].send_signal(signal.SIGKILL)  # node2 dies mid-run, with no warning
            procs[2].wait()
            await asyncio.sleep(40)
            for jid in ids:  # stop firing, then let what was queued finish
                await http.post(f"/jobs/{jid}/pause")
            await asyncio.sleep(5)
    finally:
        for p in procs[:2]:
            p.send_signal(signal.SIGTERM)
        for p in procs[:2]:
            p.wait(30)
        watcher.cancel()

    with psycopg.connect(postgres_url) as conn:
        rows = conn.execute(
            "SELECT scheduled_job_id, scheduled_for, status, error_message, node_id, id"
            " FROM pulse_executions WHERE trigger = 'schedule'"
        ).fetchall()
    assert len(rows) > 100 * 50, f"only {len(rows)} executions in 60 s"
    by_job: dict[str, list[datetime]] = defaultdict(list)
    for job_id, slot, *_ in rows:
        by_job[job_id].append(datetime.fromisoformat(slot))
    assert set(by_job) == set(ids)
    for job_id, slots in by_job.items():
        counts = Counter(slots)
        assert max(counts.values()) == 1, f"{job_id}: a slot ran twice"
        slots.sort()
        gaps = {(b - a).total_seconds() for a, b in pairwise(slots)}
        assert gaps == {1.0}, f"{job_id}: slots missing between runs: {sorted(gaps)}"
    assert not [r for r in rows if r[2] == "running"]
    lost = [r for r in rows if r[4] == "node2" and r[2] == "failed"]
    assert all(r[3] == "node lost: node2" for r in lost)
    node2_runs = [r for r in rows if r[4] == "node2"]
    assert node2_runs, "node2 ran nothing before it was killed"
    # The client on node0 saw the ends of runs on node1 and node2.
    ends = {
        m["execution_id"]
        for m in seen
        if m["type"] in ("pulse_execution_completed", "pulse_execution_failed")
    }
    ran_on = {r[5]: r[4] for r in rows}
    assert {ran_on[e] for e in ends if e in ran_on} >= {"node0", "node1", "node2"}
    for e in lost:
        assert e[5] in ends, "a node-lost failure was not announced"


def _set_database_reachable(url: str, dbname: str, reachable: bool) -> None:
    """Make one database unreachable (as during a server restart) without touching others."""
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {str(reachable).lower()}')
        if not reachable:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (dbname,),
            )


async def test_a_run_that_ends_while_the_database_is_away_is_recorded_when_it_is_back(
    postgres_url: str, live_factory: Callable[..., Any]
) -> None:
    dbname = postgres_url.rsplit("/", 1)[1]
    node: LiveServer = await live_factory(database_url=postgres_url)
    async with httpx.AsyncClient(base_url=node.api, timeout=20) as http:
        cmd = "echo before; sleep 2; echo after"
        jid = (
            await http.post("/jobs", json={"name": "x", "command": cmd, "interval_seconds": 3600})
        ).json()["id"]
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        for _ in range(100):  # 404 until a worker has started it
            r = await http.get(f"/executions/{eid}")
            if r.status_code == 200 and r.json()["status"] == "running":
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        _set_database_reachable(postgres_url, dbname, False)
        try:
            r = await http.get("/jobs")
            assert r.status_code == 503
            assert "database is unavailable" in r.json()["detail"]
            await asyncio.sleep(3)  # the run ends meanwhile
        finally:
            _set_database_reachable(postgres_url, dbname, True)
        # Until the node has its connections back it answers 503, then the run as recorded.
        for _ in range(100):
            r = await http.get(f"/executions/{eid}")
            if r.status_code == 200 and r.json()["status"] != "running":
                break
            assert r.status_code in (200, 503), r.text
            await asyncio.sleep(0.2)
        e = r.json()
        assert e["status"] == "completed" and e["result_summary"] == "after"
        logs = (await http.get(f"/executions/{eid}/logs")).text
        assert "] before\n" in logs and "] after\n" in logs
        assert (await http.get("/jobs")).status_code == 200
