"""The WebSocket, against a real server on a real port."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from pulse.events import ExecutionStarted
from tests.conftest import LiveServer


async def recv_until(
    ws: Any, pred: Callable[[dict[str, Any]], bool], within: float = 10
) -> list[dict[str, Any]]:
    """Messages received up to and including the first one matching ``pred``."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {got}"
        msg = json.loads(await asyncio.wait_for(ws.recv(), remaining))
        got.append(msg)
        if pred(msg):
            return got


async def test_a_run_is_announced_started_then_completed_exactly_once(live: LiveServer) -> None:
    async with websockets.connect(live.ws_url) as ws, httpx.AsyncClient(base_url=live.api) as http:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello"
        jid = (
            await http.post(
                "/jobs",
                json={"name": "w", "command": "sleep 0.2; echo ok", "interval_seconds": 3600},
            )
        ).json()["id"]
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        msgs = await recv_until(ws, lambda m: m["type"] == "pulse_execution_completed")
        runs = [m for m in msgs if m["type"].startswith("pulse_execution")]
        assert runs[0] == {"type": "pulse_execution_started", "execution_id": eid, "job_id": jid}
        done = runs[-1]
        assert set(done) == {"type", "execution_id", "job_id", "duration_ms"}
        assert done["execution_id"] == eid and done["duration_ms"] >= 200
        # The change was committed before it was announced.
        e = (await http.get(f"/executions/{eid}")).json()
        assert e["status"] == "completed" and e["duration_ms"] == done["duration_ms"]
        # and nothing more arrives about it
        with pytest.raises(TimeoutError):
            extra = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            assert extra.get("execution_id") != eid


async def test_a_failed_run_is_announced_with_its_error(live: LiveServer) -> None:
    async with websockets.connect(live.ws_url) as ws, httpx.AsyncClient(base_url=live.api) as http:
        jid = (
            await http.post(
                "/jobs", json={"name": "f", "command": "exit 4", "interval_seconds": 3600}
            )
        ).json()["id"]
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        msgs = await recv_until(ws, lambda m: m["type"] == "pulse_execution_failed")
        assert msgs[-1] == {
            "type": "pulse_execution_failed",
            "execution_id": eid,
            "job_id": jid,
            "error": "exit code 4",
        }


async def test_a_subscriber_receives_log_lines_live_without_gaps(live: LiveServer) -> None:
    async with websockets.connect(live.ws_url) as ws, httpx.AsyncClient(base_url=live.api) as http:
        await ws.recv()
        cmd = "for i in $(seq 1 12); do echo line $i; sleep 0.1; done"
        jid = (
            await http.post("/jobs", json={"name": "t", "command": cmd, "interval_seconds": 3600})
        ).json()["id"]
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        await recv_until(ws, lambda m: m["type"] == "pulse_execution_started")
        await asyncio.sleep(0.5)  # some lines are stored before we subscribe
        await ws.send(json.dumps({"type": "subscribe_logs", "execution_id": eid, "after_seq": 0}))
        msgs = await recv_until(ws, lambda m: m["type"] == "pulse_execution_completed")
        logs = [m for m in msgs if m["type"] == "pulse_execution_log"]
        assert len(logs) >= 3, "lines arrived in several live messages"
        text = "".join(m["text"] for m in logs)
        assert [ln.split("] ", 1)[1] for ln in text.splitlines()] == [
            f"line {i}" for i in range(1, 13)
        ]
        seqs = [m["seq"] for m in logs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_a_client_that_never_reads_does_not_slow_the_scheduler(live: LiveServer) -> None:
    sub = live.pulse.hub.subscribe(buffer=5)  # a stuck client: never reads
    subscribers = live.pulse.hub.subscriber_count
    async with httpx.AsyncClient(base_url=live.api) as http:
        jid = (
            await http.post(
                "/jobs",
                json={"name": "n", "command": "true", "interval_seconds": 3600, "overlap": "allow"},
            )
        ).json()["id"]
        for _ in range(10):
            live.pulse.hub.publish(ExecutionStarted("PX_x_1", jid))
        assert sub.overflowed  # cut off, not waited for
        assert live.pulse.hub.subscriber_count == subscribers - 1
        ids = [(await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"] for _ in range(5)]
        for _ in range(100):
            page = (
                await http.get(f"/jobs/{jid}/executions", params={"status": "completed"})
            ).json()
            if page["total"] == 5:
                break
            await asyncio.sleep(0.05)
        assert page["total"] == 5 and len(ids) == 5


async def test_a_websocket_from_another_origin_is_refused(live: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as e:
        async with websockets.connect(live.ws_url, origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert e.value.response.status_code == 403


async def test_with_a_token_the_websocket_needs_it(live_factory: Callable[..., Any]) -> None:
    server: LiveServer = await live_factory(api_token="s3cret")
    with pytest.raises(InvalidStatus):
        async with websockets.connect(server.ws_url):
            pass
    async with websockets.connect(server.ws_url + "?token=s3cret") as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
