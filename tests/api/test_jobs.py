"""The jobs API through the ASGI app."""

from __future__ import annotations

import httpx

from pulse import Pulse
from pulse.clock import FakeClock


async def test_the_minimal_interval_body_creates_a_job(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs", json={"name": "backup", "command": "echo hi", "interval_seconds": 60}
    )
    assert r.status_code == 201
    job = r.json()
    assert job["id"].startswith("SPJ_")
    assert job["name"] == "backup" and job["state"] == "active"
    assert job["interval_seconds"] == 60 and job["schedule_description"] == "every minute"
    assert job["next_run_at"] == "2025-03-01T12:01:00.000Z"
    assert job["last_status"] is None


async def test_the_minimal_cron_body_creates_a_job_in_its_time_zone(
    client: httpx.AsyncClient,
) -> None:
    r = await client.post(
        "/jobs",
        json={
            "name": "backup",
            "command": "echo hi",
            "cron": "*/5 * * * *",
            "timezone": "Europe/Berlin",
        },
    )
    assert r.status_code == 201
    assert r.json()["cron"] == "*/5 * * * *" and r.json()["timezone"] == "Europe/Berlin"
    assert r.json()["next_run_at"] == "2025-03-01T12:05:00.000Z"


async def test_jobs_can_be_listed_shown_changed_paused_resumed_and_deleted(
    client: httpx.AsyncClient,
) -> None:
    created = (
        await client.post("/jobs", json={"name": "b", "command": "true", "interval_seconds": 60})
    ).json()
    await client.post("/jobs", json={"name": "a", "command": "true", "interval_seconds": 60})
    listing = (await client.get("/jobs")).json()
    assert listing["count"] == 2 and [j["name"] for j in listing["jobs"]] == ["a", "b"]

    jid = created["id"]
    assert (await client.get(f"/jobs/{jid}")).json() == created
    r = await client.patch(f"/jobs/{jid}", json={"cron": "@daily", "timeout_seconds": 30})
    assert r.status_code == 200
    assert r.json()["cron"] == "@daily" and r.json()["interval_seconds"] is None
    assert r.json()["timeout_seconds"] == 30
    assert r.json()["next_run_at"] == "2025-03-02T00:00:00.000Z"

    assert (await client.post(f"/jobs/{jid}/pause")).json()["state"] == "paused"
    assert (await client.post(f"/jobs/{jid}/resume")).json()["state"] == "active"
    assert (await client.delete(f"/jobs/{jid}")).status_code == 204
    assert (await client.get(f"/jobs/{jid}")).status_code == 404
    assert (await client.get("/jobs")).json()["count"] == 1


async def test_resuming_does_not_run_the_slots_missed_while_paused(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = (
        await client.post("/jobs", json={"name": "b", "command": "true", "interval_seconds": 60})
    ).json()["id"]
    await client.post(f"/jobs/{jid}/pause")
    clock.advance(3600 + 30)
    job = (await client.post(f"/jobs/{jid}/resume")).json()
    assert job["next_run_at"] == "2025-03-01T13:01:00.000Z"
    assert await pulse.engine.tick() == 0


async def test_run_now_answers_202_with_the_execution_it_will_record(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    jid = (
        await client.post(
            "/jobs", json={"name": "b", "command": "echo ran", "interval_seconds": 60}
        )
    ).json()["id"]
    r = await client.post(f"/jobs/{jid}/trigger")
    assert r.status_code == 202
    body = r.json()
    assert body["execution_id"].startswith("PX_") and body["run_request_id"].startswith("JB_")
    assert body["job_id"] == jid
    await pulse.engine.run_pending()
    e = (await client.get(f"/executions/{body['execution_id']}")).json()
    assert e["status"] == "completed" and e["trigger"] == "manual"
    assert e["async_job_id"] == body["run_request_id"]
    job = (await client.get(f"/jobs/{jid}")).json()
    assert job["last_execution_id"] == body["execution_id"] and job["last_status"] == "completed"


async def test_a_python_handler_job_can_be_created(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs",
        json={"name": "r", "handler": "report", "payload": {"to": "ops"}, "interval_seconds": 30},
    )
    assert r.status_code == 201
    assert r.json()["handler"] == "report" and r.json()["payload"] == {"to": "ops"}
    assert r.json()["command"] is None
