"""kill -9 of a server whose job is running: the job's process outlives it (the operating system
says so); the next Pulse process on the host, or a peer that declares the node lost, kills it
before recording its run failed, and the ``forbid`` job can run again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.faults.cluster import Deployment, JobProcess, job_processes, process_exists, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]


def _orphan(d: Deployment, execution_id: str) -> JobProcess:
    procs: list[JobProcess] = wait_until(
        "the job's process",
        lambda: [p for p in job_processes(d.mark) if p.execution_id == execution_id],
        20,
        0.05,
    )
    return procs[0]


@contextmanager
def _watch_order(d: Deployment, execution_id: str, pid: int) -> Iterator[list[str]]:
    """While the block runs, read the execution's record every 20 ms: once it is recorded
    ended, its process must be gone. Violations are collected in the list yielded."""
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            try:
                e = d.execution(execution_id)
            except Exception:  # the database restarting, a node writing: look again
                continue
            if e is not None and e["status"] != "running":
                if process_exists(pid):
                    seen.append(f"{execution_id} recorded {e['status']} while {pid} still ran")
                return

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(10)


def _a_run_begins(d: Deployment, node: Any, job_id: str) -> str:
    eid = str(node.api("POST", f"/jobs/{job_id}/trigger")["execution_id"])
    wait_until(
        f"{eid} to be running", lambda: (d.execution(eid) or {}).get("status") == "running", 20
    )
    return eid


def _only_process_is(d: Deployment, execution_id: str) -> None:
    """The one job process on the host is the new run's (its start is recorded first)."""
    wait_until(
        f"only {execution_id} to run",
        lambda: {p.execution_id for p in job_processes(d.mark)} == {execution_id},
        10,
        0.05,
    )


def test_on_sqlite_the_restart_kills_the_orphan_before_recording_its_run(
    sqlite_deployment: Deployment,
) -> None:
    d = sqlite_deployment
    node = d.node("solo")
    job = d.create_job("long", "sleep 300", interval=3600, overlap="forbid")
    eid = _a_run_begins(d, node, job)
    orphan = _orphan(d, eid)

    node.kill()
    # At once: any Pulse process starting on this host (other tests' too) kills orphans.
    assert process_exists(orphan.pid), "the job's process died with the server"

    with _watch_order(d, eid, orphan.pid) as violations:
        # The same file, another process (named apart, as the default host:pid would be).
        node.name = "solo2"
        node.start()
        run = wait_until("the orphan's run to be recorded", lambda: (
            (e := d.execution(eid)) and e["status"] != "running" and e), 20)  # fmt: skip
    assert not violations
    assert not process_exists(orphan.pid)
    assert run["status"] == "failed" and run["error_message"] == "node restarted"

    again = _a_run_begins(d, node, job)
    _only_process_is(d, again)


def test_on_postgresql_a_peer_kills_the_orphan_when_it_declares_the_node_lost(
    pg_deployment: Deployment,
) -> None:
    d = pg_deployment
    a = d.node("node_a")
    job = d.create_job("long", "sleep 300", interval=3600, overlap="forbid")
    eid = _a_run_begins(d, a, job)
    b = d.node("node_b")  # started after: the run is node_a's
    orphan = _orphan(d, eid)
    assert d.execution(eid)["node_id"] == "node_a"  # type: ignore[index]

    a.kill()
    killed_at = time.time()
    assert process_exists(orphan.pid), "the job's process died with the server"

    with _watch_order(d, eid, orphan.pid) as violations:
        run = wait_until("the peer to record the run lost", lambda: (
            (e := d.execution(eid)) and e["status"] != "running" and e), d.lease * 6)  # fmt: skip
    assert not violations
    assert not process_exists(orphan.pid)
    assert run["status"] == "failed" and run["error_message"] == "node lost: node_a"
    # Not before the lease and its margin had passed.
    assert time.time() - killed_at >= d.lease

    again = _a_run_begins(d, b, job)
    assert d.execution(again)["node_id"] == "node_b"  # type: ignore[index]
    _only_process_is(d, again)


def test_a_node_restarted_under_its_own_name_records_its_orphan_at_once(
    pg_deployment: Deployment,
) -> None:
    d = pg_deployment
    a = d.node("node_a")
    job = d.create_job("long", "sleep 300", interval=3600, overlap="forbid")
    eid = _a_run_begins(d, a, job)
    orphan = _orphan(d, eid)

    a.kill()
    assert process_exists(orphan.pid)
    a.start()  # as operators run nodes: --node-id node_a again

    # Its leftover process is killed at start (the mark names the dead process, not the node).
    wait_until("the orphan to be killed", lambda: not process_exists(orphan.pid), 20)
    # And its run recorded, as after any kill -9: within a heartbeat or two, not a minute.
    run = wait_until("the run to be recorded", lambda: (
        (e := d.execution(eid)) and e["status"] != "running" and e), 20)  # fmt: skip
    assert run["error_message"] == "node restarted"
    _a_run_begins(d, a, job)
