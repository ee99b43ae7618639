"""Operating runs over REST: cancel, re-run and retries, on a Pulse whose clock the tests move."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse import Pulse
from pulse.clock import FakeClock
from pulse.engine.handlers import RunContext


async def _job(client: httpx.AsyncClient, **fields: Any) -> str:
    body = {"name": "op", "interval_seconds": 3600, "command": "true", **fields}
    r = await client.post("/jobs", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _run(client: httpx.AsyncClient, pulse: Pulse, job_id: str) -> str:
    eid = str((await client.post(f"/jobs/{job_id}/trigger")).json()["execution_id"])
    await pulse.engine.run_pending()
    return eid


async def _wait_running(client: httpx.AsyncClient, eid: str) -> None:
    for _ in range(500):
        r = await client.get(f"/executions/{eid}")
        if r.status_code == 200 and r.json()["status"] == "running":
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{eid} never ran")


async def test_cancelling_a_running_command_kills_its_process_and_records_it(
    client: httpx.AsyncClient, pulse: Pulse, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    jid = await _job(client, command=f"echo $$ > {pid_file}; echo started; exec sleep 60")
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.01)
    pid = int(pid_file.read_text())

    r = await client.post(f"/executions/{eid}/cancel")
    assert r.status_code == 202, r.text
    assert r.json()["cancel_requested_at"] is not None
    await asyncio.wait_for(runs, 10)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the OS no longer has it
    e = (await client.get(f"/executions/{eid}")).json()
    assert (e["status"], e["error_message"]) == ("failed", "cancelled")
    assert e["cancelled_at"] == r.json()["cancel_requested_at"]
    assert "started" in e["logs"]  # what it printed before is kept

    again = await client.post(f"/executions/{eid}/cancel")
    assert again.status_code == 409 and "only a running execution" in again.json()["detail"]


async def test_cancelling_an_async_handler_cancels_it(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    stopped = asyncio.Event()

    @pulse.handler("patient")
    async def patient(ctx: RunContext) -> None:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()

    jid = await _job(client, command=None, handler="patient")
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    assert (await client.post(f"/executions/{eid}/cancel")).status_code == 202
    await asyncio.wait_for(runs, 10)
    assert stopped.is_set()
    e = (await client.get(f"/executions/{eid}")).json()
    assert (e["status"], e["error_message"]) == ("failed", "cancelled")


async def test_a_cancel_the_node_did_not_hear_of_is_acted_on_by_its_sweep(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await _job(client, command="sleep 60")
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    # Asked on another node: stored, but no event reached this one.
    assert await pulse.store.request_cancel(eid, clock.now()) is not None
    await pulse.engine.sweep()
    await asyncio.wait_for(runs, 10)
    e = (await client.get(f"/executions/{eid}")).json()
    assert (e["status"], e["error_message"]) == ("failed", "cancelled")


async def test_cancel_and_rerun_answer_404_and_422_for_bad_ids(client: httpx.AsyncClient) -> None:
    for action in ("cancel", "rerun"):
        assert (await client.post(f"/executions/PX_missing/{action}")).status_code == 404
        assert (await client.post(f"/executions/bad-id!/{action}")).status_code == 422


async def test_a_rerun_is_a_new_execution_linked_to_the_original(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    jid = await _job(client, command="echo once; exit 2")
    first = await _run(client, pulse, jid)
    r = await client.post(f"/executions/{first}/rerun")
    assert r.status_code == 202, r.text
    again = r.json()["execution_id"]
    assert again != first and r.json()["job_id"] == jid
    await pulse.engine.run_pending()
    e = (await client.get(f"/executions/{again}")).json()
    assert (e["trigger"], e["rerun_of"], e["attempt"]) == ("rerun", first, 1)
    assert e["status"] == "failed" and "once" in e["logs"]
    original = (await client.get(f"/executions/{first}")).json()
    assert [(x["id"], x["trigger"]) for x in original["reruns"]] == [(again, "rerun")]


async def test_a_running_execution_cannot_be_rerun(client: httpx.AsyncClient, pulse: Pulse) -> None:
    jid = await _job(client, command="sleep 60")
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    r = await client.post(f"/executions/{eid}/rerun")
    assert r.status_code == 409 and "still running" in r.json()["detail"]
    await client.post(f"/executions/{eid}/cancel")
    await asyncio.wait_for(runs, 10)


async def test_a_failed_run_is_retried_after_a_growing_backoff_until_max_attempts(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await _job(client, command="exit 1", max_attempts=3, retry_backoff_seconds=10)
    job = (await client.get(f"/jobs/{jid}")).json()
    assert (job["max_attempts"], job["retry_backoff_seconds"]) == (3, 10.0)
    first = await _run(client, pulse, jid)
    # The second attempt waits 5 to 10 s (equal jitter on 10 s), the third 10 to 20 s.
    clock.advance(4.9)
    assert await pulse.engine.run_pending() == 0
    clock.advance(5.2)
    assert await pulse.engine.run_pending() == 1
    clock.advance(9.9)
    assert await pulse.engine.run_pending() == 0
    clock.advance(10.2)
    assert await pulse.engine.run_pending() == 1
    clock.advance(3600)
    assert await pulse.engine.run_pending() == 0  # three attempts in all
    chain = (await client.get(f"/executions/{first}")).json()["reruns"]
    assert [(x["trigger"], x["attempt"], x["status"]) for x in chain] == [
        ("retry", 2, "failed"),
        ("retry", 3, "failed"),
    ]
    last = (await client.get(f"/executions/{chain[-1]['id']}")).json()
    assert last["rerun_of"] == first  # every attempt points at the first


async def test_retries_stop_at_the_first_success(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock, tmp_path: Path
) -> None:
    marker = tmp_path / "tried"
    command = f"if [ -e {marker} ]; then echo fine; else touch {marker}; exit 1; fi"
    jid = await _job(client, command=command, max_attempts=5, retry_backoff_seconds=1)
    first = await _run(client, pulse, jid)
    clock.advance(1)
    assert await pulse.engine.run_pending() == 1
    clock.advance(3600)
    assert await pulse.engine.run_pending() == 0
    chain = (await client.get(f"/executions/{first}")).json()["reruns"]
    assert [(x["attempt"], x["status"]) for x in chain] == [(2, "completed")]


async def test_no_retry_while_paused_nor_after_a_cancel(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await _job(client, command="exit 1", max_attempts=3, retry_backoff_seconds=1)
    first = await _run(client, pulse, jid)
    await client.post(f"/jobs/{jid}/pause")  # drops the retry waiting in the queue
    clock.advance(3600)
    assert await pulse.engine.run_pending() == 0
    assert (await client.get(f"/executions/{first}")).json()["reruns"] == []

    await client.post(f"/jobs/{jid}/resume")
    await client.patch(f"/jobs/{jid}", json={"command": "sleep 60"})
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    await client.post(f"/executions/{eid}/cancel")
    await asyncio.wait_for(runs, 10)
    clock.advance(3600)
    assert await pulse.engine.run_pending() == 0  # a cancelled run is not retried


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 101}, "max_attempts"),
        ({"max_attempts": "3"}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"retry_backoff_seconds": 0}, "retry_backoff_seconds"),
        ({"retry_backoff_seconds": 3601}, "retry_backoff_seconds"),
        ({"retry_backoff_seconds": "10"}, "retry_backoff_seconds"),
    ],
)
async def test_bad_retry_settings_are_refused_naming_the_field(
    client: httpx.AsyncClient, fields: dict[str, object], field: str
) -> None:
    r = await client.post(
        "/jobs", json={"name": "r", "interval_seconds": 60, "command": "true", **fields}
    )
    assert r.status_code == 422 and field in r.json()["detail"]


async def test_a_cancelled_plain_function_is_recorded_at_once_and_its_output_dropped(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    release = threading.Event()

    @pulse.handler("stubborn")
    def stubborn(ctx: RunContext) -> None:
        print("before")
        release.wait(30)  # a thread cannot be stopped from outside
        print("after the cancel")

    jid = await _job(client, command=None, handler="stubborn")
    eid = (await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    runs = asyncio.create_task(pulse.engine.run_pending())
    await _wait_running(client, eid)
    assert (await client.post(f"/executions/{eid}/cancel")).status_code == 202
    await asyncio.wait_for(runs, 10)  # recorded without waiting for the thread
    release.set()
    await asyncio.sleep(0.3)
    e = (await client.get(f"/executions/{eid}")).json()
    assert (e["status"], e["error_message"]) == ("failed", "cancelled")
    assert "after the cancel" not in e["logs"]
