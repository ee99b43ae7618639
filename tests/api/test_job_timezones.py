"""A time zone belongs to a cron schedule: it is refused where it would mean nothing, and a
change to it is never silently ignored."""

from __future__ import annotations

import httpx

CRON = {"name": "c", "command": "true", "cron": "30 2 * * *", "timezone": "Europe/Berlin"}
INTERVAL = {"name": "i", "command": "true", "interval_seconds": 60}


async def test_an_empty_time_zone_is_refused_not_ignored(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=CRON)).json()
    r = await client.patch(f"/jobs/{job['id']}", json={"timezone": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timezone"
    assert "must not be empty" in r.json()["detail"]
    assert (await client.get(f"/jobs/{job['id']}")).json()["timezone"] == "Europe/Berlin"


async def test_a_null_time_zone_resets_it_to_utc(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=CRON)).json()
    changed = (await client.patch(f"/jobs/{job['id']}", json={"timezone": None})).json()
    assert changed["timezone"] == "UTC" and changed["cron"] == "30 2 * * *"
    assert changed["next_run_at"] != job["next_run_at"]  # 02:30 UTC, not 02:30 in Berlin


async def test_a_time_zone_on_an_interval_job_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/jobs", json={**INTERVAL, "timezone": "Europe/Berlin"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timezone"
    job = (await client.post("/jobs", json=INTERVAL)).json()
    assert job["timezone"] == "UTC"
    r = await client.patch(f"/jobs/{job['id']}", json={"timezone": "Asia/Tokyo"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timezone"
    assert (await client.get(f"/jobs/{job['id']}")).json() == job


async def test_a_cron_job_turned_interval_drops_its_time_zone(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=CRON)).json()
    changed = await client.patch(f"/jobs/{job['id']}", json={"interval_seconds": 300, "cron": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == "UTC" and changed.json()["cron"] is None
    back = await client.patch(
        f"/jobs/{job['id']}", json={"cron": "0 3 * * *", "timezone": "Asia/Tokyo"}
    )
    assert back.json()["timezone"] == "Asia/Tokyo" and back.json()["interval_seconds"] is None


async def test_a_time_zone_must_exist(client: httpx.AsyncClient) -> None:
    for name in ("Europe/Atlantis", "../../etc/passwd", "Europe/" + "x" * 50):
        r = await client.post("/jobs", json={**CRON, "timezone": name})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "timezone", name
