"""The run lifecycle: ticker → run request → worker → execution, with time moved by hand."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from pulse import Pulse, RunContext, Settings
from pulse.clock import FakeClock
from pulse.jobs import new_job
from pulse.models import Execution, ExecutionStatus, Job, Trigger
from tests.conftest import EventLog


async def add(pulse: Pulse, **fields: Any) -> Job:
    fields.setdefault("name", "job")
    if "cron" not in fields:
        fields.setdefault("interval_seconds", 60)
    return await pulse.store.create_job(new_job(fields, pulse.clock.now()))


async def history(pulse: Pulse, job: Job) -> list[Execution]:
    return (await pulse.store.list_executions(job.id, 500, 0)).items


async def start_on(pulse: Pulse, node_id: str, claim: int) -> tuple[str, list[str]]:
    """Let node ``node_id`` claim ``claim`` queued requests and start the first, as a node
    that then dies would have done; returns the started execution and the others' ids."""
    claimed = await pulse.store.claim_run_requests(node_id, claim, pulse.clock.now())
    assert len(claimed) == claim
    now = pulse.clock.now()
    first = claimed[0]
    await pulse.store.start_execution(
        Execution(
            id=first.execution_id,
            scheduled_job_id=first.job_id,
            async_job_id=first.id,
            status=ExecutionStatus.RUNNING,
            started_at=now,
            created_at=now,
            updated_at=now,
            node_id=node_id,
        )
    )
    return first.execution_id, [r.execution_id for r in claimed[1:]]


async def log_text(pulse: Pulse, execution_id: str) -> str:
    return "".join([c.text async for c in pulse.store.iter_logs(execution_id)])


async def test_a_due_job_runs_once_and_leaves_a_complete_record(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    job = await add(pulse, command="echo starting; echo 'done: 3 rows'")
    assert await pulse.engine.tick() == 0  # not due yet
    clock.advance(60)
    assert await pulse.engine.tick() == 1
    assert await pulse.engine.tick() == 0  # the slot fires once
    assert await pulse.engine.run_pending() == 1

    [e] = await history(pulse, job)
    assert e.status is ExecutionStatus.COMPLETED
    assert e.id.startswith("PX_") and e.async_job_id and e.async_job_id.startswith("JB_")
    assert e.scheduled_for == job.next_run_at
    assert e.trigger is Trigger.SCHEDULE and e.attempt == 1
    assert e.completed_at is not None and e.duration_ms is not None
    assert e.result_summary == "done: 3 rows"
    assert e.error_message is None and e.exit_code == 0
    text = await log_text(pulse, e.id)
    assert "] starting\n" in text and "] done: 3 rows\n" in text
    assert [m["type"] for m in events.messages() if m["type"] != "pulse_execution_log"] == [
        "pulse_execution_started",
        "pulse_execution_completed",
    ]
    job = await pulse.store.get_job(job.id)
    assert job.last_execution_id == e.id and job.last_status is ExecutionStatus.COMPLETED
    assert job.next_run_at == e.scheduled_for + timedelta(seconds=60)


async def test_a_failing_command_records_exit_code_stderr_and_one_failed_event(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    job = await add(pulse, command="echo working; echo 'disk full' >&2; exit 3")
    clock.advance(60)
    await pulse.engine.tick()
    await pulse.engine.run_pending()
    [e] = await history(pulse, job)
    assert e.status is ExecutionStatus.FAILED
    assert e.exit_code == 3
    assert e.error_message == "exit code 3: disk full"
    assert "[stderr] disk full" in await log_text(pulse, e.id)
    failed = events.messages("pulse_execution_failed")
    assert failed == [
        {
            "type": "pulse_execution_failed",
            "execution_id": e.id,
            "job_id": job.id,
            "error": "exit code 3: disk full",
        }
    ]


async def test_stdout_and_stderr_lines_are_time_stamped_and_tagged(pulse: Pulse) -> None:
    job = await add(pulse, command="echo out; echo err >&2")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    chunks = [c async for c in pulse.store.iter_logs(req.execution_id)]
    streams = {c.stream.value: c.text for c in chunks}
    assert streams["stdout"].endswith("] out\n") and streams["stdout"].startswith("[20")
    assert streams["stderr"].endswith("] [stderr] err\n")


async def test_a_manual_run_records_its_trigger_and_announces_its_start(
    pulse: Pulse, events: EventLog
) -> None:
    job = await add(pulse, command="true")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.trigger is Trigger.MANUAL and e.scheduled_for is None
    assert e.status is ExecutionStatus.COMPLETED
    kinds = [m["type"] for m in events.messages()]
    assert kinds.count("pulse_execution_started") == 1
    assert kinds.count("pulse_execution_completed") == 1


async def test_duration_is_the_wall_time_of_the_run(tmp_path: Path) -> None:
    p = Pulse(Settings(data_dir=tmp_path, node_id="n"))
    await p.start(loops=False)
    try:
        job = await add(p, command="sleep 0.3")
        req = await p.engine.trigger(job)
        t0 = time.monotonic()
        await p.engine.run_pending()
        elapsed = (time.monotonic() - t0) * 1000
        e = await p.store.get_execution(req.execution_id)
        assert e.duration_ms is not None
        assert 300 <= e.duration_ms <= elapsed
        assert e.completed_at is not None
        wall = (e.completed_at - e.started_at).total_seconds() * 1000
        assert abs(wall - e.duration_ms) < 50
    finally:
        await p.stop()


async def test_a_command_that_runs_too_long_is_killed_with_its_children(
    tmp_path: Path, pulse: Pulse
) -> None:
    marker = tmp_path / "child-alive"
    cmd = f"(sleep 1.5; touch {marker}) & echo started; sleep 30"
    job = await add(pulse, command=cmd, timeout_seconds=0.5)
    req = await pulse.engine.trigger(job)
    t0 = time.monotonic()
    await pulse.engine.run_pending()
    assert time.monotonic() - t0 < 5
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.FAILED
    assert e.error_message == "timed out after 0.5 s"
    assert "timed out after 0.5 s" in await log_text(pulse, e.id)
    await asyncio.sleep(1.5)
    assert not marker.exists(), "the job's background child survived the timeout"


async def test_cwd_and_env_reach_the_command(tmp_path: Path, pulse: Pulse) -> None:
    job = await add(
        pulse, command='echo "$GREETING from $(pwd)"', cwd=str(tmp_path), env={"GREETING": "hi"}
    )
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.result_summary == f"hi from {tmp_path}"


async def test_the_api_token_is_not_passed_to_jobs(
    monkeypatch: pytest.MonkeyPatch, pulse: Pulse
) -> None:
    monkeypatch.setenv("PULSE_API_TOKEN", "s3cret-token")
    job = await add(pulse, command='echo "token=[$PULSE_API_TOKEN]"')
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    assert "s3cret-token" not in await log_text(pulse, req.execution_id)


# -- Python handlers ------------------------------------------------------------------------


async def test_a_python_handler_captures_print_logging_and_return_value(pulse: Pulse) -> None:
    @pulse.handler("report")
    def report(ctx: RunContext) -> str:
        print("rows:", ctx.payload["rows"])
        logging.getLogger("report").info("sent to %s", "ops")
        ctx.logger.warning("slow mailer")
        return "sent 3 reports"

    job = await add(pulse, handler="report", payload={"rows": 3})
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.COMPLETED
    assert e.result_summary == "sent 3 reports"
    text = await log_text(pulse, e.id)
    assert "] rows: 3\n" in text
    assert "[log] INFO report: sent to ops" in text
    assert "[log] WARNING pulse.job.report: slow mailer" in text


async def test_a_handler_printing_text_that_is_not_utf8_is_recorded_with_replacements(
    pulse: Pulse,
) -> None:
    @pulse.handler("files")
    def files(ctx: RunContext) -> None:
        print("listing", b"caf\xe9.txt".decode("utf-8", "surrogateescape"), "ok")

    job = await add(pulse, handler="files")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()

    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.COMPLETED
    assert "] listing caf\ufffd.txt ok\n" in await log_text(pulse, e.id)


async def test_an_async_handler_runs_and_its_output_is_captured(pulse: Pulse) -> None:
    @pulse.handler()
    async def ping(ctx: RunContext) -> None:
        await asyncio.sleep(0.01)
        print("pong")

    job = await add(pulse, handler="ping")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.COMPLETED
    assert e.result_summary == "pong"  # no return value: the last line of output


async def test_a_handler_exception_fails_the_execution_with_its_message_and_traceback(
    pulse: Pulse, events: EventLog
) -> None:
    @pulse.handler("explode")
    def explode(ctx: RunContext) -> None:
        print("about to fail")
        raise ValueError("bad row 42")

    job = await add(pulse, handler="explode")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.FAILED
    assert e.error_message == "bad row 42"
    text = await log_text(pulse, e.id)
    assert "Traceback (most recent call last)" in text
    assert "ValueError: bad row 42" in text
    assert events.messages("pulse_execution_failed")[0]["error"] == "bad row 42"


async def test_concurrent_handlers_each_capture_only_their_own_output(pulse: Pulse) -> None:
    @pulse.handler("talk")
    async def talk(ctx: RunContext) -> None:
        for i in range(5):
            print(f"{ctx.payload} line {i}")
            await asyncio.sleep(0.001)

    a = await add(pulse, name="a", handler="talk", payload="A")
    b = await add(pulse, name="b", handler="talk", payload="B")
    ra, rb = await pulse.engine.trigger(a), await pulse.engine.trigger(b)
    await pulse.engine.run_pending()
    ta, tb = await log_text(pulse, ra.execution_id), await log_text(pulse, rb.execution_id)
    assert ta.count("A line") == 5 and "B line" not in ta
    assert tb.count("B line") == 5 and "A line" not in tb


async def test_an_unknown_handler_fails_with_a_clear_message(pulse: Pulse) -> None:
    job = await add(pulse, handler="nope")
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.FAILED
    assert e.error_message == "no handler registered under the name 'nope'"


async def test_a_slow_async_handler_times_out(pulse: Pulse) -> None:
    @pulse.handler("slow")
    async def slow(ctx: RunContext) -> None:
        await asyncio.sleep(30)

    job = await add(pulse, handler="slow", timeout_seconds=0.2)
    req = await pulse.engine.trigger(job)
    await pulse.engine.run_pending()
    e = await pulse.store.get_execution(req.execution_id)
    assert e.status is ExecutionStatus.FAILED and e.error_message == "timed out after 0.2 s"


# -- overlap and misfire --------------------------------------------------------------------


async def test_forbid_overlap_skips_a_firing_while_the_previous_run_goes_on_and_says_so(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    job = await add(pulse, command="true", interval_seconds=10)
    clock.advance(10)
    assert await pulse.engine.tick() == 1  # queued, not yet run
    clock.advance(10)
    assert await pulse.engine.tick() == 0  # previous still pending: skipped
    job = await pulse.store.get_job(job.id)
    assert job.skipped_count == 1 and job.last_skipped_at == clock.now()
    assert {"type": "pulse_job_changed", "job_id": job.id, "change": "skipped"} in events.messages()
    await pulse.engine.run_pending()
    clock.advance(10)
    assert await pulse.engine.tick() == 1  # free again


async def test_allow_overlap_queues_every_firing(pulse: Pulse, clock: FakeClock) -> None:
    job = await add(pulse, command="true", interval_seconds=10, overlap="allow")
    for _ in range(3):
        clock.advance(10)
        assert await pulse.engine.tick() == 1
    assert await pulse.engine.run_pending() == 3
    assert len(await history(pulse, job)) == 3


async def test_after_downtime_a_job_runs_once_not_once_per_missed_slot(
    pulse: Pulse, clock: FakeClock
) -> None:
    job = await add(pulse, command="true", cron="*/5 * * * *")
    first = job.next_run_at
    assert first is not None
    clock.set(first + timedelta(hours=3, minutes=2))  # 36 slots missed
    assert await pulse.engine.tick() == 1
    await pulse.engine.run_pending()
    [e] = await history(pulse, job)
    assert e.scheduled_for == first + timedelta(hours=3)  # the latest missed slot
    job = await pulse.store.get_job(job.id)
    assert job.next_run_at == first + timedelta(hours=3, minutes=5)


async def test_missed_slots_are_counted_on_the_job_and_announced(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    job = await add(pulse, command="true", cron="*/5 * * * *")
    first = job.next_run_at
    assert first is not None
    clock.set(first + timedelta(hours=3, minutes=2))
    assert await pulse.engine.tick() == 1

    job = await pulse.store.get_job(job.id)
    # 37 slots passed (first .. first + 3 h); the latest ran, 36 were missed.
    assert job.missed_count == 36
    assert job.last_missed is not None
    assert job.last_missed.count == 36
    assert job.last_missed.first == first
    assert job.last_missed.last == first + timedelta(hours=2, minutes=55)
    assert {"type": "pulse_job_changed", "job_id": job.id, "change": "missed"} in events.messages(
        "pulse_job_changed"
    )
    # A tick on time misses nothing.
    clock.set(first + timedelta(hours=3, minutes=5))
    await pulse.engine.run_pending()
    assert await pulse.engine.tick() == 1
    assert (await pulse.store.get_job(job.id)).missed_count == 36


async def test_a_paused_job_does_not_fire(pulse: Pulse, clock: FakeClock) -> None:
    await add(pulse, command="true", state="paused")
    clock.advance(600)
    assert await pulse.engine.tick() == 0


# -- recovery and shutdown ------------------------------------------------------------------


async def test_executions_left_running_by_a_dead_process_are_failed_on_start(
    tmp_path: Path, clock: FakeClock
) -> None:
    import os
    import socket

    from pulse.store.base import NodeInfo

    settings = Settings(data_dir=tmp_path, node_id="new")
    first = Pulse(settings, clock=clock)
    await first.start(loops=False)
    job = await add(first, command="true")
    # A previous process of this host (pid that no longer exists) left an execution running.
    dead_pid = 2**22 + 7
    old = NodeInfo("old", socket.gethostname(), dead_pid, clock.now(), clock.now())
    await first.store.heartbeat(old)
    req = await first.engine.trigger(job)
    await start_on(first, "old", 1)
    await first.stop()

    second = Pulse(settings, clock=clock)
    log = second.hub.subscribe()
    await second.start(loops=False)
    try:
        e = await second.store.get_execution(req.execution_id)
        assert e.status is ExecutionStatus.FAILED and e.error_message == "node restarted"
        msg = log.queue.get_nowait()
        assert msg.type == "pulse_execution_failed"
        assert os.getpid() != dead_pid
    finally:
        await second.stop()


async def test_a_node_that_stopped_heartbeating_has_its_runs_failed_and_requeued(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    from pulse.store.base import NodeInfo

    job = await add(pulse, command="true", overlap="allow")
    other = NodeInfo("other", "elsewhere", 1, clock.now(), clock.now())
    await pulse.store.heartbeat(other)
    await pulse.engine.trigger(job)
    await pulse.engine.trigger(job)
    running, [waiting] = await start_on(pulse, "other", 2)
    clock.advance(10)
    assert await pulse.engine.recover_lost() == 0  # within the lease
    clock.advance(30)
    assert await pulse.engine.recover_lost() == 1
    e = await pulse.store.get_execution(running)
    assert e.status is ExecutionStatus.FAILED and e.error_message == "node lost: other"
    assert e.duration_ms == 40_000
    assert [m["execution_id"] for m in events.messages("pulse_execution_failed")] == [e.id]
    # what it had claimed but not started runs here instead
    assert await pulse.engine.run_pending() == 1
    assert (await pulse.store.get_execution(waiting)).status is ExecutionStatus.COMPLETED


async def test_stop_sends_sigterm_at_once_and_sigkill_at_the_end_of_the_grace(
    tmp_path: Path,
) -> None:
    p = Pulse(
        Settings(data_dir=tmp_path, node_id="n", shutdown_grace_seconds=1.5, poll_seconds=0.05)
    )
    await p.start()
    jobs = {
        "graceful": "trap 'echo cleaned up; exit 0' TERM; echo begun; sleep 30 & wait",
        "stubborn": "trap '' TERM; echo begun; sleep 30",
        "plain": "echo begun; sleep 30",
    }
    runs = {}
    for name, command in jobs.items():
        runs[name] = await p.engine.trigger(await add(p, name=name, command=command))
    for _ in range(500):  # every command has set its traps
        texts = [await log_text(p, r.execution_id) for r in runs.values()]
        if all("begun" in t for t in texts):
            break
        await asyncio.sleep(0.02)
    t0 = time.monotonic()
    await p.stop()
    took = time.monotonic() - t0
    assert 1.5 <= took < 10  # the stubborn one was waited for, then killed
    p2 = Pulse(Settings(data_dir=tmp_path, node_id="n2"))
    await p2.store.open()
    try:
        got = {name: await p2.store.get_execution(r.execution_id) for name, r in runs.items()}
        assert got["graceful"].status is ExecutionStatus.COMPLETED
        assert got["graceful"].result_summary == "cleaned up"
        assert got["plain"].error_message == "shut down (killed by signal SIGTERM)"
        assert got["stubborn"].error_message == "shut down (killed by signal SIGKILL)"
        assert await p2.store.running_executions() == []
        assert await p2.store.list_nodes() == []  # nothing left for anyone to recover
    finally:
        await p2.store.close()


async def test_worker_concurrency_is_a_setting(tmp_path: Path) -> None:
    p = Pulse(Settings(data_dir=tmp_path, node_id="n", workers=2, poll_seconds=0.05))
    peak = 0
    running = 0

    @p.handler("busy")
    async def busy(ctx: RunContext) -> None:
        nonlocal peak, running
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.1)
        running -= 1

    await p.start()
    try:
        job = await add(p, handler="busy", overlap="allow")
        reqs = [await p.engine.trigger(job) for _ in range(6)]
        for _ in range(200):
            page = await p.store.list_executions(job.id, 10, 0, ExecutionStatus.COMPLETED)
            if page.total == 6:
                break
            await asyncio.sleep(0.05)
        assert page.total == 6 and len(reqs) == 6
        assert peak == 2
    finally:
        await p.stop()
