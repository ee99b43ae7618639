"""The engine under store faults and operator actions: no claim or run is ever left behind, and
no process of a job outlives what the history says of it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulse import Pulse, Settings
from pulse.clock import FakeClock
from pulse.errors import NotFoundError, StoreError, StoreUnavailableError
from pulse.jobs import new_job
from pulse.models import Execution, ExecutionStatus, Job
from pulse.store.base import Heartbeat, NodeInfo
from pulse.store.sqlite import SQLiteStore
from tests.conftest import EventLog


class FlakyStore(SQLiteStore):
    """A real SQLite store whose chosen calls fail on demand."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.fail_get_jobs = 0
        self.lose_start_answers = 0
        self.heartbeat_error: Exception | None = None

    async def get_jobs(self, job_ids: Collection[str]) -> dict[str, Job]:
        if self.fail_get_jobs:
            self.fail_get_jobs -= 1
            raise StoreError("injected: the read after the claim failed")
        return await super().get_jobs(job_ids)

    async def start_executions(self, executions: Sequence[Execution]) -> list[Execution]:
        started = await super().start_executions(executions)
        if self.lose_start_answers:
            self.lose_start_answers -= 1
            raise StoreUnavailableError("injected: committed, but the answer was lost")
        return started

    async def heartbeat(self, node: NodeInfo) -> Heartbeat:
        if self.heartbeat_error is not None:
            raise self.heartbeat_error
        return await super().heartbeat(node)


class SharedFlakyStore(FlakyStore):
    """As if several nodes shared it: leases are fenced."""

    shared = True


async def add(p: Pulse, **fields: Any) -> Job:
    fields.setdefault("name", "job")
    fields.setdefault("interval_seconds", 3600)
    return await p.store.create_job(new_job(fields, p.clock.now()))


async def test_a_failure_right_after_a_claim_releases_it(tmp_path: Path, clock: FakeClock) -> None:
    store = FlakyStore(tmp_path / "pulse.db")
    p = Pulse(Settings(data_dir=tmp_path, node_id="n"), store=store, clock=clock)
    await p.start(loops=False)
    try:
        job = await add(p, command="echo ran", overlap="forbid")
        req = await p.engine.trigger(job)
        store.fail_get_jobs = 1
        with contextlib.suppress(StoreError):
            await p.engine.run_pending()
        # Not left claimed by a node that will not run it: the next claim takes it.
        assert await p.engine.run_pending() == 1
        e = await p.store.get_execution(req.execution_id)
        assert e.status is ExecutionStatus.COMPLETED
    finally:
        await p.stop()


async def test_a_start_whose_answer_was_lost_is_recorded_failed_not_left_running(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FlakyStore(tmp_path / "pulse.db")
    p = Pulse(Settings(data_dir=tmp_path, node_id="n"), store=store, clock=clock)
    await p.start(loops=False)
    try:
        job = await add(p, command="echo ran", overlap="forbid")
        req = await p.engine.trigger(job)
        store.lose_start_answers = 1
        with contextlib.suppress(StoreError):
            await p.engine.run_pending()
        assert (await p.store.get_execution(req.execution_id)).status is ExecutionStatus.RUNNING
        clock.advance(120)
        await p.engine.sweep()
        e = await p.store.get_execution(req.execution_id)
        assert e.status is ExecutionStatus.FAILED
        assert e.error_message is not None and "never began" in e.error_message
        # The job is not wedged: its next run goes ahead.
        again = await p.engine.trigger(job)
        assert await p.engine.run_pending() == 1
        assert (await p.store.get_execution(again.execution_id)).status is (
            ExecutionStatus.COMPLETED
        )
    finally:
        await p.stop()


async def _execution_or_none(p: Pulse, execution_id: str) -> Execution | None:
    try:
        return await p.store.get_execution(execution_id)
    except NotFoundError:
        return None


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return True
    return state in (b"Z", b"X")


async def _pid_from(path: Path) -> int:
    for _ in range(500):
        text = await asyncio.to_thread(lambda: path.read_text() if path.exists() else "")
        if text.strip():
            return int(text)
        await asyncio.sleep(0.02)
    raise AssertionError("the command never wrote its pid")


async def test_deleting_a_job_stops_its_running_process_and_records_it(tmp_path: Path) -> None:
    p = Pulse(Settings(data_dir=tmp_path, node_id="n", poll_seconds=0.05))
    events = EventLog(p.hub.subscribe(buffer=10_000))
    await p.start()
    try:
        pidfile = tmp_path / "pid"
        job = await add(p, command=f"echo $$ > {pidfile}; exec sleep 60")
        req = await p.engine.trigger(job)
        pid = await _pid_from(pidfile)

        await p.delete_job(job.id)

        assert _gone(pid)
        failed = events.messages("pulse_execution_failed")
        assert {
            "type": "pulse_execution_failed",
            "execution_id": req.execution_id,
            "job_id": job.id,
            "error": "job deleted (killed by signal SIGTERM)",
        } in failed
        assert await p.store.list_jobs() == []
    finally:
        await p.stop()


async def test_a_node_that_cannot_renew_its_lease_stops_its_runs(tmp_path: Path) -> None:
    store = SharedFlakyStore(tmp_path / "pulse.db")
    settings = Settings(
        data_dir=tmp_path, node_id="n", poll_seconds=0.05, lease_seconds=3, heartbeat_seconds=0.3
    )
    p = Pulse(settings, store=store)
    await p.start()
    try:
        pidfile = tmp_path / "pid"
        job = await add(p, command=f"echo $$ > {pidfile}; exec sleep 60")
        req = await p.engine.trigger(job)
        pid = await _pid_from(pidfile)

        store.heartbeat_error = StoreUnavailableError("injected: cut off from the database")
        # Fenced at 2/3 of the lease from the last heartbeat: well before peers may take over
        # (lease + 1/6), the process is gone.
        for _ in range(300):
            if _gone(pid):
                break
            await asyncio.sleep(0.02)
        assert _gone(pid)
        assert p.engine.fenced and p.engine.readiness() is not None
        for _ in range(300):  # its end is written just after the process is gone
            e = await p.store.get_execution(req.execution_id)
            if e.status is not ExecutionStatus.RUNNING:
                break
            await asyncio.sleep(0.02)
        assert e.status is ExecutionStatus.FAILED
        assert e.error_message == (
            "stopped: this node lost contact with the database (killed by signal SIGTERM)"
        )
        # Nothing is claimed while fenced; once the heartbeat goes through, work resumes.
        waiting = await p.engine.trigger(job)
        await asyncio.sleep(0.5)
        assert (await _execution_or_none(p, waiting.execution_id)) is None
        store.heartbeat_error = None
        for _ in range(300):
            if not p.engine.fenced:
                break
            await asyncio.sleep(0.02)
        assert not p.engine.fenced
        for _ in range(300):
            got = await _execution_or_none(p, waiting.execution_id)
            if got is not None:
                break
            await asyncio.sleep(0.02)
        assert got is not None
    finally:
        await p.stop()


async def test_the_restart_after_a_crash_kills_the_jobs_the_dead_server_left(
    tmp_path: Path,
) -> None:
    """A job process whose Pulse owner is gone is killed, and only such a process."""
    from pulse.engine.processes import (
        EXECUTION_VAR,
        OWNER_VAR,
        job_processes,
        kill_leftovers,
        owner_mark,
    )

    # An owner that is gone: a process that has exited.
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    env = {**os.environ, EXECUTION_VAR: "PX_orphan", OWNER_VAR: owner_mark(dead.pid)}
    orphan = await asyncio.create_subprocess_exec(
        "sh", "-c", "sleep 60 & wait", env=env, start_new_session=True
    )
    env_live = {**os.environ, EXECUTION_VAR: "PX_live", OWNER_VAR: owner_mark()}
    live = await asyncio.create_subprocess_exec("sleep", "60", env=env_live)
    try:
        # Both have exec'd (before that, a child shows its parent's environment).
        for _ in range(500):
            marked = {
                p.execution_id for p in await asyncio.to_thread(lambda: list(job_processes()))
            }
            if {"PX_orphan", "PX_live"} <= marked:
                break
            await asyncio.sleep(0.02)
        killed = await asyncio.to_thread(kill_leftovers)
        assert killed == {"PX_orphan"}
        await asyncio.wait_for(orphan.wait(), 5)
        assert orphan.returncode == -signal.SIGKILL
        assert live.returncode is None  # its owner (this process) lives
    finally:
        for proc in (orphan, live):
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def test_a_lost_node_is_judged_by_lease_plus_margin(pulse: Pulse, clock: FakeClock) -> None:
    lease = pulse.settings.lease_seconds
    await pulse.store.heartbeat(NodeInfo("other", "elsewhere", 1, clock.now(), clock.now()))
    clock.advance(lease + 1)
    assert await pulse.engine.recover_lost() == 0  # past the lease, within the margin
    clock.advance(lease / 6)
    await pulse.engine.recover_lost()
    assert [n.node_id for n in await pulse.store.list_nodes()] == [pulse.engine.node_id]


async def test_a_command_run_as_another_user_cannot_read_pulses_environment(
    pulse: Pulse,
) -> None:
    job = await add(
        pulse,
        command="id -un; cat /proc/$PPID/environ > /dev/null && echo READABLE || echo DENIED",
    )
    job = await pulse.store.update_job(replace(job, target=replace(job.target, run_as="nobody")))
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()

    e = await pulse.store.get_execution(req.execution_id)
    log = "".join([ch.text async for ch in pulse.store.iter_logs(req.execution_id)])
    assert e.status is ExecutionStatus.COMPLETED and e.result_summary == "DENIED"
    assert "] nobody\n" in log


async def test_an_unknown_run_as_user_fails_the_run_saying_so(pulse: Pulse) -> None:
    job = await add(pulse, command="true")
    job = await pulse.store.update_job(
        replace(job, target=replace(job.target, run_as="no-such-user-here"))
    )
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()

    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.FAILED and e.exit_code == 126
    log = "".join([ch.text async for ch in pulse.store.iter_logs(req.execution_id)])
    assert "cannot run as user 'no-such-user-here'" in log


async def test_a_run_of_a_job_deleted_unheard_of_is_stopped_by_the_sweep(tmp_path: Path) -> None:
    p = Pulse(Settings(data_dir=tmp_path, node_id="n", poll_seconds=0.05))
    await p.start()
    try:
        pidfile = tmp_path / "pid"
        job = await add(p, command=f"echo $$ > {pidfile}; exec sleep 60")
        await p.engine.trigger(job)
        pid = await _pid_from(pidfile)
        # Deleted in the store directly, as by another node whose event never arrived.
        await p.store.delete_job(job.id)
        assert not _gone(pid)

        await p.engine.sweep()

        for _ in range(300):
            if _gone(pid):
                break
            await asyncio.sleep(0.02)
        assert _gone(pid)
    finally:
        await p.stop()
