"""The CLI operates runs: options before or after the subcommand, cancel and re-run."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_serve import PULSE, Server, cli, server_in


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from server_in(tmp_path, {"PULSE_PRUNE_INTERVAL": "0"})


def _before(server: Server, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``pulse`` with the server's URL given before the subcommand (or by PULSE_URL)."""
    head = [] if env else ["--url", server.url]
    r = subprocess.run(
        [PULSE, *head, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_options_go_before_or_after_the_subcommand(server: Server) -> None:
    server.start()
    server.api("POST", "/jobs", json={"name": "a", "command": "true", "interval_seconds": 60})
    assert "a" in _before(server, "jobs", "list")
    listed = json.loads(_before(server, "--json", "jobs", "list"))
    assert [j["name"] for j in listed["jobs"]] == ["a"]
    assert "a" in _before(server, "jobs", "list", env={"PULSE_URL": server.url})
    server.stop()


def test_cancel_and_rerun_from_the_cli(server: Server) -> None:
    server.start()
    job = server.api(
        "POST", "/jobs", json={"name": "long", "command": "sleep 60", "interval_seconds": 3600}
    )
    eid = server.api("POST", f"/jobs/{job['id']}/trigger")["execution_id"]
    server.wait_for(eid, "running")
    assert f"cancelling {eid}" in cli(server, "cancel", eid).stdout
    t0 = time.monotonic()
    e = server.wait_for(eid, "failed")
    assert e["error_message"] == "cancelled" and time.monotonic() - t0 < 5
    again = cli(server, "cancel", eid, check=False)
    assert again.returncode == 1 and "only a running execution" in again.stderr
    out = json.loads(cli(server, "rerun", eid, "--json").stdout)
    new = server.wait_for(out["execution_id"], "running")
    assert (new["trigger"], new["rerun_of"]) == ("rerun", eid)
    cli(server, "cancel", out["execution_id"])
    server.wait_for(out["execution_id"], "failed")
    server.stop()
