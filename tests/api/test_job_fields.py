"""Fields of a job beyond its schedule and target: the user its command runs as, and the slots
it missed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from pulse import Pulse, Settings
from pulse.errors import InvalidInputError
from pulse.models import MissedGap
from tests.conftest import START

BASE = {"name": "j", "command": "id -un", "interval_seconds": 60}


async def test_a_job_names_the_user_its_command_runs_as(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json={**BASE, "run_as": "nobody"})).json()
    assert job["run_as"] == "nobody"
    assert (await client.get(f"/jobs/{job['id']}")).json()["run_as"] == "nobody"
    changed = (await client.patch(f"/jobs/{job['id']}", json={"run_as": "1000"})).json()
    assert changed["run_as"] == "1000"
    cleared = (await client.patch(f"/jobs/{job['id']}", json={"run_as": None})).json()
    assert cleared["run_as"] is None
    assert (await client.post("/jobs", json=BASE)).json()["run_as"] is None


@pytest.mark.parametrize("user", ["-rf", "two words", "x" * 33, "root\u0000", "a/b", ""])
async def test_a_user_name_that_is_not_one_is_refused(client: httpx.AsyncClient, user: str) -> None:
    r = await client.post("/jobs", json={**BASE, "run_as": user})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "run_as", r.text


def test_the_servers_default_user_is_checked_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PULSE_API_TOKEN", raising=False)
    monkeypatch.setenv("PULSE_RUN_AS", "pulse-jobs")
    assert Settings.from_env().run_as == "pulse-jobs"
    monkeypatch.setenv("PULSE_RUN_AS", "no body")
    with pytest.raises(InvalidInputError, match="PULSE_RUN_AS"):
        Settings.from_env()


async def test_missed_slots_show_on_the_job(pulse: Pulse, client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=BASE)).json()
    assert job["missed"] is None
    gap = MissedGap(3, START + timedelta(minutes=1), START + timedelta(minutes=3))
    await pulse.store.record_missed(job["id"], gap)
    shown = (await client.get(f"/jobs/{job['id']}")).json()
    assert shown["missed"] == {
        "total": 3,
        "last": {
            "count": 3,
            "first": "2025-03-01T12:01:00.000Z",
            "last": "2025-03-01T12:03:00.000Z",
        },
    }
    await pulse.store.record_missed(job["id"], MissedGap(1, START, START))
    assert (await client.get(f"/jobs/{job['id']}")).json()["missed"]["total"] == 4
