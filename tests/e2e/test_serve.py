"""End to end: the real ``pulse`` command, a real server process, signals, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

PULSE = str(Path(sys.executable).parent / "pulse")
pytestmark = pytest.mark.slow


class Server:
    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "PULSE_SHUTDOWN_GRACE": "2", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / f"server-{port}.log"

    def start(self, *extra: str) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    PULSE,
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    *extra,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/api/pulse/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def api(self, method: str, path: str, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.url}/api/pulse{path}", timeout=10, **kw)
        r.raise_for_status()
        return r.json() if r.content else None

    def stop(self, sig: int = signal.SIGTERM, wait: float = 20) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(wait)

    def wait_for(self, execution_id: str, status: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        e: dict[str, Any] = {}
        while time.monotonic() < deadline:
            r = httpx.get(f"{self.url}/api/pulse/executions/{execution_id}", timeout=5)
            if r.status_code == 200:
                e = r.json()
                if e["status"] == status:
                    return e
            time.sleep(0.1)
        raise AssertionError(f"{execution_id} not {status}: {e}")


def server_in(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server for one test (which starts it), on a free port with its data under
    ``tmp_path``; killed after the test if it is still running."""
    s = Server(tmp_path / "data", free_port(), env=env)
    yield s
    if s.proc and s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from server_in(tmp_path)


def cli(server: Server, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [PULSE, *args, "--url", server.url], capture_output=True, text=True, timeout=30
    )
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_a_kill_9_mid_run_loses_nothing_recorded_and_the_restart_fails_the_orphan(
    server: Server,
) -> None:
    server.start()
    quick = server.api(
        "POST", "/jobs", json={"name": "quick", "command": "echo done", "interval_seconds": 3600}
    )
    slow = server.api(
        "POST",
        "/jobs",
        json={"name": "slow", "command": "echo begun; sleep 60", "interval_seconds": 3600},
    )
    done_id = server.api("POST", f"/jobs/{quick['id']}/trigger")["execution_id"]
    server.wait_for(done_id, "completed")
    orphan_id = server.api("POST", f"/jobs/{slow['id']}/trigger")["execution_id"]
    server.wait_for(orphan_id, "running")
    time.sleep(0.5)  # its first log line is stored
    server.stop(signal.SIGKILL)

    server.start()
    orphan = server.wait_for(orphan_id, "failed")
    assert orphan["error_message"] == "node restarted"
    assert "] begun\n" in orphan["logs"]
    done = server.api("GET", f"/executions/{done_id}")
    assert done["status"] == "completed" and done["result_summary"] == "done"
    assert server.api("GET", f"/jobs/{slow['id']}/executions")["total"] == 1
    server.stop()


def test_sigterm_reaches_the_jobs_at_once_and_every_end_is_recorded(server: Server) -> None:
    server.start()
    tidy = server.api(
        "POST",
        "/jobs",
        json={
            "name": "s",
            "command": "trap 'echo tidied up; exit 0' TERM; echo trap set; sleep 60 & wait",
            "interval_seconds": 3600,
        },
    )
    plain = server.api(
        "POST", "/jobs", json={"name": "l", "command": "sleep 60", "interval_seconds": 3600}
    )
    sid = server.api("POST", f"/jobs/{tidy['id']}/trigger")["execution_id"]
    lid = server.api("POST", f"/jobs/{plain['id']}/trigger")["execution_id"]
    server.wait_for(sid, "running")
    server.wait_for(lid, "running")
    deadline = time.monotonic() + 20
    while "trap set" not in httpx.get(f"{server.url}/api/pulse/executions/{sid}/logs").text:
        assert time.monotonic() < deadline, "the job never set its trap"
        time.sleep(0.1)
    t0 = time.monotonic()
    assert server.stop(signal.SIGTERM) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    # Both ended on SIGTERM: nothing waited for the 10 s grace.
    assert time.monotonic() - t0 < 9
    server.start()
    e = server.api("GET", f"/executions/{sid}")
    assert e["status"] == "completed" and e["result_summary"] == "tidied up"
    e = server.api("GET", f"/executions/{lid}")
    assert e["status"] == "failed" and e["error_message"] == "shut down (killed by signal SIGTERM)"
    server.stop()


def test_the_cli_drives_a_running_server(server: Server, tmp_path: Path) -> None:
    server.start()
    out = cli(
        server,
        "jobs",
        "add",
        "nightly",
        "--command",
        "echo report ready",
        "--cron",
        "0 2 * * *",
        "--tz",
        "Europe/Berlin",
        "--json",
    ).stdout
    job = json.loads(out)
    assert job["cron"] == "0 2 * * *" and job["timezone"] == "Europe/Berlin"
    listing = cli(server, "jobs", "list").stdout
    assert "nightly" in listing and "Europe/Berlin" in listing
    assert "At 02:00" in cli(server, "jobs", "show", job["id"]).stdout
    cli(server, "jobs", "edit", job["id"], "--every", "3600")
    assert (
        json.loads(cli(server, "jobs", "show", job["id"], "--json").stdout)["interval_seconds"]
        == 3600
    )
    assert "paused" in cli(server, "jobs", "pause", job["id"]).stdout
    assert "active" in cli(server, "jobs", "resume", job["id"]).stdout
    run = json.loads(cli(server, "jobs", "run", job["id"], "--json").stdout)
    server.wait_for(run["execution_id"], "completed")
    hist = cli(server, "history", job["id"], "--status", "completed", "--limit", "5").stdout
    assert run["execution_id"] in hist and "report ready" in hist
    logs = cli(server, "logs", run["execution_id"]).stdout
    assert logs.endswith("] report ready\n")
    follow = cli(server, "logs", run["execution_id"], "--follow").stdout
    assert follow == logs
    bad = cli(server, "jobs", "add", "x", "--command", "true", "--cron", "nope", check=False)
    assert bad.returncode == 1 and "cron" in bad.stderr
    missing = cli(server, "jobs", "show", "SPJ_missing", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr
    cli(server, "jobs", "rm", job["id"])
    assert "no jobs yet" in cli(server, "jobs", "list").stdout
    server.stop()


def test_logs_follow_prints_lines_while_the_run_goes_on(server: Server) -> None:
    server.start()
    job = server.api(
        "POST",
        "/jobs",
        json={
            "name": "f",
            "command": "for i in 1 2 3; do echo tick $i; sleep 0.5; done",
            "interval_seconds": 3600,
        },
    )
    eid = server.api("POST", f"/jobs/{job['id']}/trigger")["execution_id"]
    server.wait_for(eid, "running")
    r = cli(server, "logs", eid, "--follow")
    assert [ln.split("] ", 1)[1] for ln in r.stdout.splitlines()] == ["tick 1", "tick 2", "tick 3"]
    server.stop()


def test_the_cli_says_when_no_server_is_there() -> None:
    r = subprocess.run(
        [PULSE, "jobs", "list", "--url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "cannot reach Pulse" in r.stderr


def test_serve_refuses_a_public_address_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PULSE_API_TOKEN"}
    r = subprocess.run(
        [PULSE, "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=20,
        env=env,
    )
    assert r.returncode != 0 and "PULSE_API_TOKEN" in r.stderr


def test_make_run_settings_come_from_the_environment(tmp_path: Path) -> None:
    port = free_port()
    s = Server(
        tmp_path / "d", port, env={"PORT": str(port), "PULSE_DATA_DIR": str(tmp_path / "envdata")}
    )
    s.proc = subprocess.Popen(
        [PULSE, "serve", "--demo"], env=s.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                jobs = httpx.get(f"{s.url}/api/pulse/jobs", timeout=1).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert {j["name"] for j in jobs["jobs"]} >= {
            "heartbeat",
            "flaky-import",
            "chatty-report",
            "slow-backup",
        }
        assert (tmp_path / "envdata" / "pulse.db").exists()
    finally:
        s.stop()


def test_deleting_a_job_over_http_stops_its_running_process(server: Server, tmp_path: Path) -> None:
    server.start()
    pidfile = tmp_path / "pid"
    job = server.api(
        "POST",
        "/jobs",
        json={
            "name": "long",
            "command": f"echo $$ > {pidfile}; exec sleep 120",
            "interval_seconds": 3600,
        },
    )
    eid = server.api("POST", f"/jobs/{job['id']}/trigger")["execution_id"]
    server.wait_for(eid, "running")
    deadline = time.monotonic() + 15
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    assert Path(f"/proc/{pid}").exists()

    assert server.api("DELETE", f"/jobs/{job['id']}") is None

    # The process was stopped before the job went: nothing of it runs unrecorded.
    assert _gone(pid)
    assert httpx.get(f"{server.url}/api/pulse/jobs/{job['id']}", timeout=5).status_code == 404
    server.stop()


def _gone(pid: int) -> bool:
    """Whether ``pid`` is no longer a live process (gone, or a zombie waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
