"""The CLI reads every job's runs from a real server: ``pulse runs`` (filters, search, pages by
cursor, export) and ``pulse history JOB --export``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_serve import Server, cli, server_in

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from server_in(tmp_path, {"PULSE_PRUNE_INTERVAL": "0"})


def _runs(server: Server, job: str, command: str, n: int, status: str) -> list[str]:
    job_id = server.api(
        "POST", "/jobs", json={"name": job, "command": command, "interval_seconds": 3600}
    )["id"]
    ids = []
    for _ in range(n):
        ids.append(server.api("POST", f"/jobs/{job_id}/trigger")["execution_id"])
        server.wait_for(ids[-1], status)
    return ids


def test_pulse_runs_filters_searches_pages_and_exports(server: Server) -> None:
    server.start()
    ok = _runs(server, "nightly-report", "echo sent report to ops", 3, "completed")
    bad = _runs(server, "sync-users", "echo 'connection refused' >&2; exit 3", 2, "failed")
    newest_first = bad[::-1] + ok[::-1]

    listing = cli(server, "runs").stdout
    assert "nightly-report" in listing and "sync-users" in listing
    assert listing.splitlines()[0].split() == [
        "EXECUTION",
        "JOB",
        "STATUS",
        "STARTED",
        "DURATION",
        "TRIGGER",
        "NODE",
        "RESULT",
    ]
    assert [line.split()[0] for line in listing.splitlines()[1:]] == newest_first

    def ids(*args: str) -> list[str]:
        return [
            e["id"] for e in json.loads(cli(server, "runs", "--json", *args).stdout)["executions"]
        ]

    assert ids("--status", "failed") == bad[::-1]
    assert ids("-q", "connection refu") == bad[::-1]
    assert ids("--query", "REPORT TO") == ok[::-1]
    assert ids("--trigger", "manual", "--since", "1h") == newest_first
    assert ids("--until", "2000-01-01") == []

    # Pages: the human output ends with the cursor of the next one.
    first = cli(server, "runs", "--limit", "2").stdout
    cursor = first.splitlines()[-1].removeprefix("more: --cursor ")
    assert ids("--limit", "2", "--cursor", cursor) == newest_first[2:4]

    exported = cli(server, "runs", "--export", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert [r["id"] for r in rows] == newest_first
    assert (
        rows[0]["error_message"] == "exit code 3: connection refused"
        and rows[0]["status"] == "failed"
    )
    lines = cli(server, "runs", "--export", "ndjson", "--status", "completed").stdout
    assert [json.loads(line)["id"] for line in lines.splitlines()] == ok[::-1]

    refused = cli(server, "runs", "--since", "yesterday", check=False)
    assert refused.returncode == 1 and "started_after" in refused.stderr
    server.stop()


def test_pulse_history_exports_one_jobs_runs(server: Server) -> None:
    server.start()
    mine = _runs(server, "mine", "echo mine", 2, "completed")
    _runs(server, "theirs", "echo theirs", 1, "completed")
    job_id = server.api("GET", f"/executions/{mine[0]}")["scheduled_job_id"]

    lines = cli(server, "history", job_id, "--export", "ndjson").stdout.splitlines()
    table = cli(server, "history", job_id, "--export", "csv").stdout

    assert [json.loads(line)["id"] for line in lines] == mine[::-1]
    assert table.splitlines()[0].startswith("id,scheduled_job_id,async_job_id,status,")
    assert len(table.splitlines()) == 3
    unknown = cli(server, "history", "SPJ_nosuchjob", "--export", "csv", check=False)
    assert unknown.returncode == 1 and "not found" in unknown.stderr and not unknown.stdout
    server.stop()
