"""Storage faults with real processes: a full disk (a small tmpfs, filled up) under a running
server, a database file with garbage in its data pages, and a PostgreSQL server that is not
there at start.

The disk-full scenario runs once for the module (``disk_full``) and records what it saw; each
guarantee is a test of its own over that record, so that one broken guarantee does not hide the
others."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse.jobs import new_job
from pulse.store.sqlite import SQLiteStore
from tests.conftest import free_port
from tests.faults.cluster import (
    PULSE,
    Deployment,
    job_processes,
    parse_ts,
    process_exists,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

MARKER = "could not be stored"
# About 4 MB over four seconds or more: a run still has megabytes to print when the disk fills
# a moment after it starts, more than capture keeps for a failing store (1 MiB).
LOUD_COMMAND = """\
i=0
while [ $i -lt 40 ]; do
  head -c 100000 /dev/zero | tr '\\0' x | fold -w 99
  sleep 0.1
  i=$((i + 1))
done
echo loud done
"""


# -- a small disk -------------------------------------------------------------------------------
@contextlib.contextmanager
def small_disk(where: Path, size: str, *options: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``where``; unmounted on the way out, whatever happened."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir(parents=True, exist_ok=True)
    opts = ",".join([f"size={size}", *options])
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        for _ in range(50):
            if subprocess.run(["umount", str(where)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)  # a process that held a file there is still exiting
        else:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(disk: Path) -> Path:
    """Take every free block of ``disk`` (while others write to it too) with one file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        offset = 0
        for step in (1 << 20, 64 << 10, 4 << 10):
            while True:
                try:
                    os.posix_fallocate(fd, offset, step)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                offset += step
    finally:
        os.close(fd)
    return filler


def free_bytes(disk: Path) -> int:
    st = os.statvfs(disk)
    return st.f_bavail * st.f_frsize


# -- the disk-full scenario ---------------------------------------------------------------------
@dataclass
class DiskFullRun:
    """What a server on a full disk did, seen from outside."""

    loud: str = ""
    quiet: str = ""
    fault_began: float = 0.0
    fault_ended: float = 0.0
    # The answers to POST /jobs while the disk was full: (status, content type, body).
    write_answers: list[tuple[int, str, Any]] = field(default_factory=list)
    read_answers: dict[str, int] = field(default_factory=dict)
    # The loud job's processes when the disk filled, and how long after it they were all gone
    # (None: still there at the deadline).
    loud_execution: str = ""
    loud_pids: list[int] = field(default_factory=list)
    loud_gone_after: float | None = None
    loud_status_in_fault: str = ""  # as the API told it, after its processes ended
    # Executions that ran while the disk was full, as recorded once it had space again, with
    # their logs; and those still recorded running at the deadline.
    fault_executions: list[dict[str, Any]] = field(default_factory=list)
    left_running: list[dict[str, Any]] = field(default_factory=list)
    ran_again: set[str] = field(default_factory=set)
    writes_after: int = 0
    integrity: list[str] = field(default_factory=list)
    server_log: str = ""


def _overlaps(e: dict[str, Any], begin: float, end: float) -> bool:
    started = parse_ts(e["started_at"])
    completed = None if e["completed_at"] is None else parse_ts(e["completed_at"])
    return started < end and (completed is None or completed > begin)


@pytest.fixture(scope="module")
def disk_full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiskFullRun]:
    """One server on a 64 MiB tmpfs with a loud job and a quiet one, each due every second;
    the disk filled up while the loud job prints, freed once the loud job's processes have
    ended (or a deadline passed); then stopped, and its database checked."""
    root = tmp_path_factory.mktemp("disk-full")
    run = DiskFullRun()
    with small_disk(root / "disk", "64m") as disk:
        db = disk / "pulse.db"
        d = Deployment(f"sqlite:///{db}", root, f"disk-{os.getpid()}", None)
        try:
            node = d.node("node")
            run.loud = d.create_job("loud", LOUD_COMMAND)
            run.quiet = d.create_job("quiet", "echo tick")

            # The disk fills while a run of the loud job is printing (some of it stored).
            def loud_printing() -> str | None:
                e = d.running_execution(run.loud)
                if e is None:
                    return None
                r = httpx.get(f"{node.base}/executions/{e['id']}/log-chunks", timeout=10)
                return str(e["id"]) if r.status_code == 200 and r.json()["chunks"] else None

            run.loud_execution = wait_until("the loud job to print", loud_printing, 30, 0.05)
            filler = fill(disk)
            run.fault_began = time.time()
            run.loud_pids = [
                p.pid for p in job_processes(d.mark) if p.execution_id == run.loud_execution
            ]

            # Writes are refused while the disk is full (after what fitted in the last
            # allocated pages); reads are served.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                r = httpx.post(
                    f"{node.base}/jobs",
                    json={"name": "during", "command": "true", "interval_seconds": 3600},
                    timeout=15,
                )
                body = r.json() if "json" in r.headers.get("content-type", "") else r.text
                run.write_answers.append((r.status_code, r.headers.get("content-type", ""), body))
                if r.status_code == 507 and len(run.write_answers) >= 3:
                    break
                time.sleep(0.2)
            for path in (
                "/health",
                "/jobs",
                f"/jobs/{run.loud}",
                f"/jobs/{run.loud}/executions",
                f"/executions/{run.loud_execution}",
            ):
                run.read_answers[path] = httpx.get(node.base + path, timeout=15).status_code

            # The loud run goes on printing into a store that cannot take it: it must end.
            with contextlib.suppress(AssertionError):
                wait_until(
                    "the loud run's processes to end",
                    lambda: not any(process_exists(p) for p in run.loud_pids),
                    30,
                    0.1,
                )
                run.loud_gone_after = time.time() - run.fault_began
            # The run's end cannot be stored yet: it is kept and retried; give it a few
            # failed attempts before space returns.
            time.sleep(1.5)
            run.loud_status_in_fault = httpx.get(
                f"{node.base}/executions/{run.loud_execution}", timeout=30
            ).json()["status"]
            assert free_bytes(disk) < 64 << 10, "the disk had space during the fault"

            filler.unlink()
            run.fault_ended = time.time()

            def still_running() -> list[dict[str, Any]]:
                return [
                    e
                    for e in d.executions()
                    if e["status"] == "running" and parse_ts(e["started_at"]) < run.fault_ended
                ]

            with contextlib.suppress(AssertionError):
                wait_until("no run of the fault left running", lambda: not still_running(), 40)
            run.left_running = still_running()
            for e in d.executions():
                if _overlaps(e, run.fault_began, run.fault_ended):
                    r = httpx.get(f"{node.base}/executions/{e['id']}", timeout=30)
                    run.fault_executions.append({**e, "logs": r.json().get("logs", "")})

            def ran_again() -> set[str]:
                return {
                    e["scheduled_job_id"]
                    for e in d.executions()
                    if e["status"] == "completed" and parse_ts(e["started_at"]) > run.fault_ended
                } & {run.loud, run.quiet}

            with contextlib.suppress(AssertionError):
                wait_until("both jobs to run again", lambda: len(ran_again()) == 2, 40)
            run.ran_again = ran_again()
            r = httpx.post(
                f"{node.base}/jobs",
                json={"name": "after", "command": "true", "interval_seconds": 3600},
                timeout=15,
            )
            run.writes_after = r.status_code

            node.terminate()
            d.close()
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
                run.integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        finally:
            d.close()
            run.server_log = "\n".join(n.log_tail(80) for n in d.nodes.values())
    yield run


def test_writes_on_a_full_disk_answer_507_with_json_naming_the_disk(disk_full: DiskFullRun) -> None:
    statuses = [status for status, _, _ in disk_full.write_answers]
    assert 500 not in statuses, disk_full.write_answers
    assert set(statuses) <= {201, 507}, disk_full.write_answers
    assert statuses[-1] == 507, disk_full.write_answers
    for status, content_type, body in disk_full.write_answers:
        if status == 507:
            assert content_type.startswith("application/json")
            assert "disk" in body["detail"] and "full" in body["detail"]


def test_reads_on_a_full_disk_are_served(disk_full: DiskFullRun) -> None:
    assert disk_full.read_answers, "nothing was read"
    refused = {path: status for path, status in disk_full.read_answers.items() if status != 200}
    assert not refused, refused


def test_a_job_printing_while_the_disk_is_full_is_never_blocked(disk_full: DiskFullRun) -> None:
    assert disk_full.loud_pids, "the loud run had no process when the disk filled"
    # About four seconds of printing, on a machine that may be busy.
    assert disk_full.loud_gone_after is not None, (
        f"the loud run's processes {disk_full.loud_pids} were still there 30 s into the fault"
    )


def test_every_run_of_the_fault_is_recorded_ended_once_space_returns(
    disk_full: DiskFullRun,
) -> None:
    # Its end could not be stored while the disk was full: it was kept, and stored later.
    assert disk_full.loud_status_in_fault == "running"
    assert not disk_full.left_running, disk_full.left_running
    ids = {e["id"] for e in disk_full.fault_executions}
    assert disk_full.loud_execution in ids
    for e in disk_full.fault_executions:
        assert e["status"] in ("completed", "failed"), e


def test_output_that_could_not_be_stored_is_marked_where_it_went_missing(
    disk_full: DiskFullRun,
) -> None:
    (loud,) = [e for e in disk_full.fault_executions if e["id"] == disk_full.loud_execution]
    assert loud["status"] == "completed", {k: v for k, v in loud.items() if k != "logs"}
    logs = loud["logs"]
    assert MARKER in logs
    assert f"bytes of output {MARKER} (disk full)" in logs
    # What was stored before the fault and what came last are both there.
    assert logs.splitlines()[0].endswith("x" * 99)
    assert logs.rstrip().endswith("loud done")


def test_both_jobs_run_again_once_space_returns(disk_full: DiskFullRun) -> None:
    assert disk_full.ran_again == {disk_full.loud, disk_full.quiet}
    assert disk_full.writes_after == 201


def test_the_database_is_intact_after_the_fault(disk_full: DiskFullRun) -> None:
    assert disk_full.integrity == ["ok"]


# -- start-up failures --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StartFailure:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    answered_health: bool


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> StartFailure:
    """Run ``pulse serve`` until it exits (at most 40 s), asking /health all along."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    t0 = time.monotonic()
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            [PULSE, "serve", "--port", str(port), *args],
            stdout=o,
            stderr=e,
            env={**clean, **(env or {})},
        )
    answered = False
    try:
        while proc.poll() is None and time.monotonic() - t0 < 40:
            with contextlib.suppress(httpx.TransportError):
                r = httpx.get(f"http://127.0.0.1:{port}/api/pulse/health", timeout=1)
                answered = answered or r.status_code == 200
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    return StartFailure(
        proc.returncode, out.read_text(), err.read_text(), time.monotonic() - t0, answered
    )


def assert_one_line(failure: StartFailure) -> str:
    assert failure.returncode not in (0, -signal.SIGKILL), failure
    assert failure.returncode > 0, failure
    assert not failure.answered_health, "the server answered /health"
    assert "Traceback" not in failure.stderr + failure.stdout
    lines = failure.stderr.splitlines()
    assert len(lines) == 1, failure.stderr
    assert lines[0].startswith("pulse: cannot start: ")
    return lines[0]


async def _history(path: Path) -> None:
    """A database with a few hundred jobs: enough pages to damage one in the middle."""
    store = SQLiteStore(path)
    await store.open()
    try:
        now = datetime.now(UTC)
        for i in range(300):
            fields = {
                "name": f"job {i}",
                "command": "echo hi",
                "interval_seconds": 60,
                "description": f"job {i} " * 200,
            }
            await store.create_job(new_job(fields, now))
    finally:
        await store.close()


def test_a_database_with_garbage_in_its_data_pages_is_refused_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "pulse.db"
    data.mkdir()
    asyncio.run(_history(db))
    with contextlib.closing(sqlite3.connect(db)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    assert pages > 20
    with db.open("r+b") as f:
        f.seek(page_size * (pages // 2))
        f.write(random.Random(8).randbytes(page_size))
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        # The check reports the damage, or cannot even read the page (a pointer-map page of a
        # file with incremental auto-vacuum): damaged either way.
        try:
            damaged = conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        except sqlite3.DatabaseError:
            damaged = True
    assert damaged

    failure = serve(tmp_path, "--data-dir", str(data))
    line = assert_one_line(failure)
    assert failure.seconds < 20
    assert str(db) in line and "damaged" in line


def test_an_unreachable_postgresql_at_start_is_one_line_and_a_non_zero_exit(
    tmp_path: Path,
) -> None:
    port = free_port()  # nothing listens there
    failure = serve(
        tmp_path,
        "--data-dir",
        str(tmp_path / "data"),
        env={"PULSE_DATABASE_URL": f"postgresql://pulse:secret@127.0.0.1:{port}/x"},
    )
    line = assert_one_line(failure)
    assert failure.seconds < 30
    assert "cannot connect to PostgreSQL" in line and str(port) in line
    assert "secret" not in line


def test_a_data_directory_that_cannot_be_written_is_one_line_at_start(tmp_path: Path) -> None:
    with small_disk(tmp_path / "ro", "1m", "ro") as data:
        failure = serve(tmp_path, "--data-dir", str(data))
    line = assert_one_line(failure)
    assert str(data / "pulse.db") in line
