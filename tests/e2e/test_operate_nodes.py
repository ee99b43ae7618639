"""Cancel and re-run across two nodes on one PostgreSQL database: asked on one node, acted on by
the node that runs the execution; the process is gone as the OS sees it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def _until(http: httpx.AsyncClient, eid: str, status: str) -> dict[str, Any]:
    e: dict[str, Any] = {}
    for _ in range(300):
        r = await http.get(f"/executions/{eid}")
        if r.status_code == 200:
            e = r.json()
            if e["status"] == status:
                return e
        await asyncio.sleep(0.05)
    raise AssertionError(f"{eid} not {status}: {e}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_cancel_asked_on_one_node_stops_the_run_on_the_other(
    postgres_url: str, live_factory: Callable[..., Any], tmp_path: Path
) -> None:
    nodes: list[LiveServer] = [
        await live_factory(database_url=postgres_url, poll_seconds=60) for _ in range(2)
    ]
    pid_file = tmp_path / "pid"
    async with (
        httpx.AsyncClient(base_url=nodes[0].api) as a,
        httpx.AsyncClient(base_url=nodes[1].api) as b,
    ):
        job = {
            "name": "long",
            "command": f"echo $$ > {pid_file}; exec sleep 120",
            "interval_seconds": 3600,
        }
        jid = (await a.post("/jobs", json=job)).json()["id"]
        eid = (await a.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        running = await _until(a, eid, "running")
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text().strip():
                break
            await asyncio.sleep(0.02)
        pid = int(pid_file.read_text())
        assert _alive(pid)
        ids = [n.pulse.node_id for n in nodes]
        runner = ids.index(running["node_id"])
        asker = (a, b)[1 - runner]  # the node that does not run it

        r = await asker.post(f"/executions/{eid}/cancel")
        assert r.status_code == 202, r.text
        ended = await _until(asker, eid, "failed")
        assert ended["error_message"] == "cancelled" and ended["cancelled_at"]
        assert ended["node_id"] == running["node_id"]
        for _ in range(100):
            if not _alive(pid):
                break
            await asyncio.sleep(0.02)
        assert not _alive(pid)

        # Re-run it from the node that did not run it; the original lists the re-run.
        r = await asker.post(f"/executions/{eid}/rerun")
        assert r.status_code == 202
        again = r.json()["execution_id"]
        e = await _until(asker, again, "running")
        assert (e["trigger"], e["rerun_of"]) == ("rerun", eid)
        original = (await a.get(f"/executions/{eid}")).json()
        assert [x["id"] for x in original["reruns"]] == [again]
        assert (await b.post(f"/executions/{again}/cancel")).status_code == 202
        assert (await _until(a, again, "failed"))["error_message"] == "cancelled"
