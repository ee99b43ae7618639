"""The seed's history endpoints: list (paginated, filtered), detail with logs, plain logs."""

from __future__ import annotations

from typing import Any

import httpx

from pulse import Pulse
from pulse.clock import FakeClock

SEED_FIELDS = {
    "id",
    "scheduled_job_id",
    "status",
    "started_at",
    "completed_at",
    "duration_ms",
    "result_summary",
    "error_message",
}


async def make_history(client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock, n: int) -> str:
    """A job with ``n`` executions, every third one failed, one minute apart."""
    jid = (
        await client.post(
            "/jobs",
            json={
                "name": "h",
                "interval_seconds": 60,
                "overlap": "allow",
                "command": "n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; "
                "if [ $(( (n+1) % 3 )) -eq 0 ]; then echo boom >&2; exit 1; fi; "
                'echo "run $((n+1))"',
                "cwd": str(pulse.settings.data_dir),
            },
        )
    ).json()["id"]
    for _ in range(n):
        clock.advance(60)
        await pulse.engine.tick()
        await pulse.engine.run_pending()
    return str(jid)


async def run_now(client: httpx.AsyncClient, pulse: Pulse, command: str) -> str:
    """Create a job running ``command``, run it now to its end; the execution's id."""
    job = {"name": "l", "interval_seconds": 60, "command": command}
    jid = (await client.post("/jobs", json=job)).json()["id"]
    eid = str((await client.post(f"/jobs/{jid}/trigger")).json()["execution_id"])
    await pulse.engine.run_pending()
    return eid


async def test_the_list_is_newest_first_with_count_total_and_has_more(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 7)
    r = await client.get(f"/jobs/{jid}/executions", params={"limit": 3})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"executions", "count", "total", "has_more", "next_cursor"}
    assert body["count"] == 3 and body["total"] == 7 and body["has_more"] is True
    starts = [e["started_at"] for e in body["executions"]]
    assert starts == sorted(starts, reverse=True)
    assert set(body["executions"][0]) >= SEED_FIELDS
    assert "logs" not in body["executions"][0]  # lists never carry log text
    assert body["executions"][0]["result_summary"] == "run 7"

    last = (await client.get(f"/jobs/{jid}/executions", params={"limit": 3, "offset": 6})).json()
    assert last["count"] == 1 and last["has_more"] is False and last["next_cursor"] is None
    assert last["executions"][0]["result_summary"] == "run 1"


async def test_the_status_filter_pages_through_matching_executions_only(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 9)
    failed = (await client.get(f"/jobs/{jid}/executions", params={"status": "failed"})).json()
    assert failed["total"] == 3 and all(e["status"] == "failed" for e in failed["executions"])
    assert all(e["error_message"] == "exit code 1: boom" for e in failed["executions"])
    done = (
        await client.get(
            f"/jobs/{jid}/executions", params={"status": "completed", "limit": 4, "offset": 4}
        )
    ).json()
    assert done["total"] == 6 and done["count"] == 2 and done["has_more"] is False
    running = (await client.get(f"/jobs/{jid}/executions", params={"status": "running"})).json()
    assert running == {
        "executions": [],
        "count": 0,
        "total": 0,
        "has_more": False,
        "next_cursor": None,
    }


async def test_the_detail_carries_the_whole_log_and_logs_is_plain_text(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    eid = await run_now(client, pulse, "echo 'line \"one\"'; echo two >&2")
    r = await client.get(f"/executions/{eid}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    detail: dict[str, Any] = r.json()
    assert detail["id"] == eid and detail["status"] == "completed"
    assert detail["duration_ms"] >= 0 and detail["completed_at"].endswith("Z")
    assert '] line "one"\n' in detail["logs"] and "] [stderr] two\n" in detail["logs"]
    plain = await client.get(f"/executions/{eid}/logs")
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/plain")
    assert plain.text == detail["logs"]


async def test_log_chunks_are_read_incrementally(client: httpx.AsyncClient, pulse: Pulse) -> None:
    eid = await run_now(client, pulse, "echo a; sleep 0.1; echo b >&2; sleep 0.1; echo c")
    first = (await client.get(f"/executions/{eid}/log-chunks", params={"limit": 1})).json()
    assert len(first["chunks"]) == 1 and first["status"] == "completed"
    rest = (
        await client.get(f"/executions/{eid}/log-chunks", params={"after_seq": first["next_seq"]})
    ).json()
    text = "".join(c["text"] for c in first["chunks"] + rest["chunks"])
    assert [ln.split("] ", 1)[1] for ln in text.splitlines()] == ["a", "[stderr] b", "c"]


async def test_a_large_log_downloads_whole(client: httpx.AsyncClient, pulse: Pulse) -> None:
    eid = await run_now(client, pulse, "seq 1 250000")
    text = (await client.get(f"/executions/{eid}/logs")).text
    lines = text.splitlines()
    assert len(lines) == 250000 and lines[-1].endswith("] 250000")
    e = (await client.get(f"/executions/{eid}")).json()
    assert e["log_bytes"] == len(text.encode()) and e["log_truncated"] is False
    assert e["logs"] == text
