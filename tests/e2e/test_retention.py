"""Retention and statistics on a real ``pulse serve``: the background prune, and the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_serve import Server, cli, server_in


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # Prunes every second, the first one a second after the start.
    yield from server_in(tmp_path, {"PULSE_PRUNE_INTERVAL": "1"})


def _runs(server: Server, job_id: str, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        eid = server.api("POST", f"/jobs/{job_id}/trigger")["execution_id"]
        server.wait_for(eid, "completed")
        ids.append(eid)
    return ids


def test_the_background_prune_applies_a_jobs_policy_and_leaves_a_report(server: Server) -> None:
    server.start()
    job = server.api(
        "POST",
        "/jobs",
        json={
            "name": "chatty",
            "command": "echo hi",
            "interval_seconds": 3600,
            "retention": {"keep_max": 2, "keep_min": 0},
        },
    )
    ids = _runs(server, job["id"], 5)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        history = server.api("GET", f"/jobs/{job['id']}/executions")
        if history["total"] == 2:
            break
        time.sleep(0.2)
    assert [e["id"] for e in history["executions"]] == ids[:-3:-1]  # the newest two
    prunes = server.api("GET", "/maintenance/prunes")["prunes"]
    assert sum(p["deleted"] for p in prunes) == 3
    assert {p["trigger"] for p in prunes} == {"schedule"}
    assert prunes[0]["jobs"][0]["policy"]["keep_max"] == 2
    # The statistics still count all five.
    stats = server.api("GET", f"/jobs/{job['id']}/stats", params={"days": 1})
    assert stats["completed"] == 5
    server.stop()


def test_the_cli_shows_and_sets_the_policy_prunes_and_reads_stats(server: Server) -> None:
    server.env["PULSE_PRUNE_INTERVAL"] = "0"  # only the CLI prunes here
    server.start()
    assert "completed 30 days, failed 90 days" in cli(server, "retention", "show").stdout
    out = cli(server, "retention", "set", "--keep-max", "3", "--keep-min", "1").stdout
    assert "at most 3 per job" in out and "always the last 1" in out
    bad = cli(server, "retention", "set", "--keep-min", "-2", check=False)
    assert bad.returncode == 1 and "keep_min" in bad.stderr
    job = server.api(
        "POST", "/jobs", json={"name": "often", "command": "true", "interval_seconds": 3600}
    )
    _runs(server, job["id"], 5)
    dry = cli(server, "prune", "--dry-run").stdout
    assert "would delete 2 executions" in dry and "often" in dry
    assert server.api("GET", f"/jobs/{job['id']}/executions")["total"] == 5
    done = json.loads(cli(server, "prune", "--json").stdout)
    assert done["deleted"] == 2
    assert server.api("GET", f"/jobs/{job['id']}/executions")["total"] == 3
    stats = cli(server, "stats", job["id"], "--days", "7").stdout
    assert "5 runs, 5 completed, 0 failed, 100.0% success" in stats
    assert "rebuilt the statistics from 3 executions" in cli(server, "stats", "rebuild").stdout
    assert "3 runs" in cli(server, "stats").stdout
    server.stop()
