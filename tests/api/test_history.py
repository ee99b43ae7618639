"""Retention and statistics over REST: the global policy, a job's overrides, prunes, and the
stats endpoints, on a Pulse with a fake clock and real commands."""

from __future__ import annotations

import httpx
import pytest

from pulse import Pulse
from pulse.clock import FakeClock
from tests.api.test_executions import make_history

DAY = 86400


async def test_the_global_policy_has_documented_defaults_and_can_be_replaced(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/settings/retention")
    assert r.status_code == 200
    assert r.json() == {
        "keep_days": {"completed": 30, "failed": 90},
        "keep_max": 10000,
        "keep_min": 20,
    }
    r = await client.put(
        "/settings/retention", json={"keep_days": {"completed": 7}, "keep_max": None}
    )
    assert r.status_code == 200
    # Rules left out take their defaults; a status left out of keep_days too.
    expected = {"keep_days": {"completed": 7, "failed": 90}, "keep_max": None, "keep_min": 20}
    assert r.json() == expected
    assert (await client.get("/settings/retention")).json() == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"keep_days": {"running": 3}}, "running"),
        ({"keep_days": {"completed": 0}}, "completed"),
        ({"keep_days": {"skipped": 3}}, "skipped"),
        ({"keep_max": 0}, "keep_max"),
        ({"keep_min": -1}, "keep_min"),
        ({"keep_min": None}, "keep_min"),
        ({"keep_min": 50, "keep_max": 10}, "keep_min"),
        ({"keep_max": "10"}, "keep_max"),
        ({"keep_forever": True}, "keep_forever"),
    ],
)
async def test_a_bad_policy_is_refused_naming_the_rule_and_nothing_changes(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    before = (await client.get("/settings/retention")).json()
    r = await client.put("/settings/retention", json=body)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]
    assert (await client.get("/settings/retention")).json() == before


async def test_a_job_overrides_some_rules_and_null_returns_it_to_the_global_policy(
    client: httpx.AsyncClient,
) -> None:
    job = {"name": "r", "interval_seconds": 60, "command": "true"}
    r = await client.post("/jobs", json={**job, "retention": {"keep_days": {"failed": 365}}})
    assert r.status_code == 201, r.text
    jid = r.json()["id"]
    assert r.json()["retention"] == {"keep_days": {"failed": 365}}
    r = await client.patch(f"/jobs/{jid}", json={"retention": {"keep_min": 5, "keep_max": None}})
    assert r.json()["retention"] == {"keep_min": 5, "keep_max": None}
    assert (await client.get(f"/jobs/{jid}")).json()["retention"] == r.json()["retention"]
    r = await client.patch(f"/jobs/{jid}", json={"name": "renamed"})
    assert r.json()["retention"] == {"keep_min": 5, "keep_max": None}  # untouched
    r = await client.patch(f"/jobs/{jid}", json={"retention": None})
    assert r.json()["retention"] is None
    r = await client.patch(f"/jobs/{jid}", json={"retention": {"keep_days": {"running": 1}}})
    assert r.status_code == 422 and "running" in r.json()["detail"]


async def test_prune_deletes_what_the_policies_let_go_and_reports_it(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    # 12 runs a minute apart, every third failed; a second job keeps its runs for a year.
    jid = await make_history(client, pulse, clock, 12)
    await client.post(f"/jobs/{jid}/pause")
    kept = await make_history(client, pulse, clock, 3)
    await client.patch(f"/jobs/{kept}", json={"retention": {"keep_days": {"completed": 365}}})
    await client.put("/settings/retention", json={"keep_min": 2})
    clock.advance(31 * DAY)  # completed runs are past 30 days, failed ones within 90

    dry = (await client.post("/maintenance/prune", json={"dry_run": True})).json()
    assert dry["dry_run"] is True
    assert dry["deleted"] == 7 and [j["job_id"] for j in dry["jobs"]] == [jid]
    assert (await client.get(f"/jobs/{jid}/executions")).json()["total"] == 12  # nothing gone

    r = await client.post("/maintenance/prune")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["deleted"] == 7 and report["trigger"] == "manual"
    assert report["jobs"] == [
        {
            "job_id": jid,
            "deleted": 7,
            "policy": {
                "keep_days": {"completed": 30, "failed": 90},
                "keep_max": 10000,
                "keep_min": 2,
            },
        }
    ]
    left = (await client.get(f"/jobs/{jid}/executions")).json()
    # The 4 failures (within 90 days) and the 2 newest runs (the floor) are left: runs 11, 12
    # and failures 3, 6, 9, 12.
    assert left["total"] == 5
    assert sorted(e["result_summary"] or "failed" for e in left["executions"]) == [
        "failed",
        "failed",
        "failed",
        "failed",
        "run 11",
    ]
    assert (await client.get(f"/jobs/{kept}/executions")).json()["total"] == 3
    prunes = (await client.get("/maintenance/prunes")).json()["prunes"]
    assert [p["deleted"] for p in prunes] == [7]  # dry runs leave no report
    # A prune with nothing left to delete says so.
    assert (await client.post("/maintenance/prune", json={})).json()["deleted"] == 0


async def test_job_stats_count_every_run_and_survive_pruning(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 9)
    r = await client.get(f"/jobs/{jid}/stats", params={"days": 1})
    assert r.status_code == 200, r.text
    stats = r.json()
    assert (stats["total"], stats["completed"], stats["failed"]) == (9, 6, 3)
    assert stats["success_rate"] == pytest.approx(6 / 9)
    assert stats["period"] == "hour" and len(stats["series"]) == 24
    assert sum(p["completed"] for p in stats["series"]) == 6
    assert sum(p["failed"] for p in stats["series"]) == 3
    d = stats["duration_ms"]
    assert d["p50"] is not None and d["p50"] <= d["p95"] <= d["p99"] <= d["max"]

    clock.advance(100 * DAY)
    await client.put("/settings/retention", json={"keep_min": 0})
    # Everything goes but the latest failure.
    assert (await client.post("/maintenance/prune")).json()["deleted"] == 8
    after = (await client.get(f"/jobs/{jid}/stats", params={"days": 400})).json()
    assert (after["total"], after["completed"], after["failed"]) == (9, 6, 3)
    assert after["period"] == "day" and len(after["series"]) == 400


async def test_overall_stats_and_the_jobs_list_strip(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 6)
    ok = (
        await client.post("/jobs", json={"name": "ok", "interval_seconds": 60, "command": "true"})
    ).json()["id"]
    await client.post(f"/jobs/{ok}/trigger")
    await pulse.engine.run_pending()

    overall = (await client.get("/stats")).json()
    assert (overall["total"], overall["completed"], overall["failed"]) == (7, 5, 2)
    assert overall["failing"] == [
        {"job_id": jid, "name": "h", "failed": 2, "total": 6, "success_rate": pytest.approx(4 / 6)}
    ]
    assert {s["job_id"] for s in overall["slowest"]} == {jid, ok}
    assert [f["scheduled_job_id"] for f in overall["latest_failures"]] == [jid, jid]
    assert overall["latest_failures"][0]["error_message"]
    assert overall["running"] == []

    strip = {j["job_id"]: j for j in (await client.get("/stats/jobs")).json()["jobs"]}
    assert strip[jid]["recent"] == ["completed", "completed", "failed"] * 2
    assert strip[ok]["recent"] == ["completed"] and strip[ok]["success_rate"] == 1.0


@pytest.mark.parametrize("days", ["0", "401", "x", "1.5"])
async def test_a_bad_window_is_refused(client: httpx.AsyncClient, days: str) -> None:
    for path in ("/stats", "/stats/jobs"):
        r = await client.get(path, params={"days": days})
        assert r.status_code == 422 and "days" in r.json()["detail"]


async def test_stats_of_an_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/jobs/SPJ_nope/stats")).status_code == 404


async def test_rebuild_recomputes_the_rollups_from_what_is_stored(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 4)
    r = await client.post("/maintenance/rebuild-stats")
    assert r.status_code == 200 and r.json() == {"counted": 4}
    stats = (await client.get(f"/jobs/{jid}/stats", params={"days": 1})).json()
    assert (stats["completed"], stats["failed"]) == (3, 1)
