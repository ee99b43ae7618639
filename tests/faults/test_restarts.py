"""SIGTERM and restart, again and again, while two nodes on PostgreSQL run twenty jobs every
second: every stop is graceful (nothing left running, nothing recorded lost or restarted), no
``forbid`` job ever runs twice at once, and every job runs after the last restart."""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.cluster import Deployment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]

JOBS = 20
CYCLES = 5


def test_sigterm_and_restart_loops_under_load_leave_nothing_running_or_lost(
    pg_deployment: Deployment,
) -> None:
    d = pg_deployment
    a = d.node("node_a")
    b = d.node("node_b")
    for i in range(JOBS):
        d.flock_job(f"j{i:02d}", seconds=0.5, interval=1)

    for _ in range(CYCLES):
        time.sleep(2.5)
        assert b.terminate() in (0, -signal.SIGTERM), b.log_tail()
        b.start()
    restarted = time.time()

    d.wait_every_job_ran_after(restarted, timeout=d.lease + 2 + 40)
    d.quiesce()
    d.assert_at_most_one()
    runs = d.executions()
    assert len(runs) > JOBS * CYCLES, "the nodes hardly ran anything"
    messages = {e["error_message"] for e in runs if e["status"] == "failed"}
    # What a graceful stop records: "shut down (exit code 143)", the job having trapped its
    # SIGTERM. Never a run lost, restarted, or started without a process.
    odd = [m for m in messages if not (m or "").startswith("shut down")]
    assert not odd, f"unexpected failures after graceful stops: {odd}"
    assert messages, "no stop ever caught a run under way: the load was too light to tell"
    assert a.alive() and b.alive()
