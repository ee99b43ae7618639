"""The application service, called directly as an embedder would, on a SQLite Pulse."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

import pulse as pulse_package
from pulse import Pulse
from pulse.clock import FakeClock
from pulse.demo import DEMO_JOBS, add_demo_jobs
from pulse.errors import InvalidInputError, NotFoundError
from pulse.models import ExecutionStatus, JobState, Trigger
from tests.conftest import START, EventLog

BACKUP = {"name": "backup", "command": "echo hi", "interval_seconds": 60}


@pytest.fixture
def woken(pulse: Pulse, monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry each time the service wakes the ticker."""
    calls: list[None] = []
    monkeypatch.setattr(pulse.engine, "notify_jobs_changed", lambda: calls.append(None))
    return calls


def changes(events: EventLog) -> list[tuple[str, str]]:
    return [(m["job_id"], m["change"]) for m in events.messages("pulse_job_changed")]


async def test_it_creates_a_job_stores_it_announces_it_and_wakes_the_ticker(
    pulse: Pulse, events: EventLog, woken: list[None]
) -> None:
    job = await pulse.service.create_job(dict(BACKUP))

    assert job.id.startswith("SPJ_") and job.name == "backup"
    assert job.state is JobState.ACTIVE
    assert job.next_run_at == START + timedelta(seconds=60)
    assert await pulse.service.get_job(job.id) == job
    assert changes(events) == [(job.id, "created")]
    assert len(woken) == 1


async def test_it_can_start_a_new_job_at_a_given_instant(pulse: Pulse) -> None:
    first = START + timedelta(seconds=2)
    job = await pulse.service.create_job(dict(BACKUP), first_run_at=first)

    assert (await pulse.service.get_job(job.id)).next_run_at == first


async def test_invalid_fields_store_nothing_and_announce_nothing(
    pulse: Pulse, events: EventLog, woken: list[None]
) -> None:
    with pytest.raises(InvalidInputError) as e:
        await pulse.service.create_job({"name": "b", "command": "true", "cron": "not a cron"})

    assert e.value.field == "cron"
    assert await pulse.service.list_jobs() == []
    assert changes(events) == [] and woken == []


async def test_it_changes_only_the_fields_given_and_a_new_schedule_counts_from_now(
    pulse: Pulse, clock: FakeClock, events: EventLog
) -> None:
    job = await pulse.service.create_job(dict(BACKUP))
    clock.advance(30)

    changed = await pulse.service.update_job(job.id, {"interval_seconds": 600})

    assert changed.schedule.interval_seconds == 600
    assert changed.name == "backup" and changed.target.command == "echo hi"
    assert changed.next_run_at == START + timedelta(seconds=30 + 600)
    assert await pulse.service.get_job(job.id) == changed
    assert changes(events) == [(job.id, "created"), (job.id, "updated")]


async def test_an_invalid_change_leaves_the_job_as_it_was(pulse: Pulse, events: EventLog) -> None:
    job = await pulse.service.create_job(dict(BACKUP))

    with pytest.raises(InvalidInputError):
        await pulse.service.update_job(job.id, {"timezone": "Mars/Olympus"})

    assert await pulse.service.get_job(job.id) == job
    assert changes(events) == [(job.id, "created")]


async def test_it_pauses_and_resumes_a_job_and_announces_each(
    pulse: Pulse, clock: FakeClock, events: EventLog, woken: list[None]
) -> None:
    job = await pulse.service.create_job(dict(BACKUP))

    paused = await pulse.service.pause_job(job.id)
    assert paused.state is JobState.PAUSED
    assert await pulse.engine.tick(START + timedelta(hours=1)) == 0

    clock.advance(3600)
    resumed = await pulse.service.resume_job(job.id)
    assert resumed.state is JobState.ACTIVE
    # Slots missed while paused do not run: the next one is after now.
    assert resumed.next_run_at is not None and resumed.next_run_at > clock.now()
    assert changes(events) == [(job.id, "created"), (job.id, "updated"), (job.id, "updated")]
    assert len(woken) == 3


async def test_it_runs_a_job_now_even_when_paused(pulse: Pulse) -> None:
    job = await pulse.service.create_job(dict(BACKUP))
    await pulse.service.pause_job(job.id)

    request = await pulse.service.run_now(job.id)
    assert request.job_id == job.id and request.trigger is Trigger.MANUAL
    assert request.execution_id.startswith("PX_")
    assert await pulse.engine.run_pending() == 1

    execution = await pulse.service.get_execution(request.execution_id)
    assert execution.scheduled_job_id == job.id
    assert execution.status is ExecutionStatus.COMPLETED and execution.trigger is Trigger.MANUAL


async def test_it_reads_a_jobs_history_and_an_executions_log(pulse: Pulse) -> None:
    job = await pulse.service.create_job(dict(BACKUP))
    request = await pulse.service.run_now(job.id)
    await pulse.engine.run_pending()

    page = await pulse.service.list_executions(job.id, limit=10)
    assert page.total == 1 and [e.id for e in page.items] == [request.execution_id]
    failed = await pulse.service.list_executions(job.id, 10, 0, ExecutionStatus.FAILED)
    assert failed.total == 0 and failed.items == []

    chunks = await pulse.service.read_logs(request.execution_id, 0, 100)
    assert [c.text.split("] ", 1)[1] for c in chunks] == ["hi\n"]
    streamed = [c async for c in pulse.service.iter_logs(request.execution_id)]
    assert streamed == chunks
    assert [c async for c in pulse.service.iter_logs(request.execution_id, chunks[-1].seq)] == []


async def test_it_deletes_a_job_with_its_history_and_announces_it(
    pulse: Pulse, events: EventLog, woken: list[None]
) -> None:
    job = await pulse.service.create_job(dict(BACKUP))
    request = await pulse.service.run_now(job.id)
    await pulse.engine.run_pending()

    await pulse.service.delete_job(job.id)

    assert await pulse.service.list_jobs() == []
    with pytest.raises(NotFoundError):
        await pulse.service.get_job(job.id)
    with pytest.raises(NotFoundError):
        await pulse.service.get_execution(request.execution_id)
    assert changes(events) == [(job.id, "created"), (job.id, "deleted")]
    assert len(woken) == 2


async def test_every_operation_on_an_unknown_job_is_not_found_and_announces_nothing(
    pulse: Pulse, events: EventLog
) -> None:
    service = pulse.service
    for call in (
        service.get_job("SPJ_ghost"),
        service.update_job("SPJ_ghost", {"name": "x"}),
        service.pause_job("SPJ_ghost"),
        service.resume_job("SPJ_ghost"),
        service.delete_job("SPJ_ghost"),
        service.run_now("SPJ_ghost"),
        service.list_executions("SPJ_ghost", 10),
    ):
        with pytest.raises(NotFoundError):
            await call
    assert changes(events) == []


async def test_a_subscriber_hears_what_the_service_announces(pulse: Pulse) -> None:
    sub = pulse.service.subscribe()
    try:
        job = await pulse.service.create_job(dict(BACKUP))
        assert [(m["job_id"], m["change"]) for m in EventLog(sub).messages()] == [
            (job.id, "created")
        ]
    finally:
        sub.close()


async def test_pulse_offers_the_services_operations_to_embedders(
    pulse: Pulse, events: EventLog
) -> None:
    job = await pulse.create_job(dict(BACKUP))
    assert await pulse.get_job(job.id) == job
    assert (await pulse.update_job(job.id, {"name": "nightly"})).name == "nightly"
    assert (await pulse.pause_job(job.id)).state is JobState.PAUSED
    assert (await pulse.resume_job(job.id)).state is JobState.ACTIVE
    request = await pulse.run_now(job.id)
    assert await pulse.engine.run_pending() == 1
    assert [j.id for j in await pulse.list_jobs()] == [job.id]
    await pulse.delete_job(job.id)

    assert await pulse.list_jobs() == []
    assert request.job_id == job.id
    assert [c for _, c in changes(events)] == [
        "created",
        "updated",
        "updated",
        "updated",
        "deleted",
    ]


async def test_the_demo_jobs_are_created_through_the_service_once(
    pulse: Pulse, events: EventLog
) -> None:
    assert await add_demo_jobs(pulse.service) == len(DEMO_JOBS)

    jobs = await pulse.service.list_jobs()
    assert sorted(j.name for j in jobs) == sorted(d["name"] for d in DEMO_JOBS)
    # Interval jobs run within seconds of the first start, not after their interval.
    for job in jobs:
        if job.schedule.interval_seconds is not None:
            assert job.next_run_at is not None
            assert job.next_run_at <= START + timedelta(seconds=2 + len(DEMO_JOBS))
    assert [c for _, c in changes(events)] == ["created"] * len(DEMO_JOBS)

    assert await add_demo_jobs(pulse.service) == 0
    assert len(await pulse.service.list_jobs()) == len(DEMO_JOBS)


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (type-checking blocks and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_neither_the_api_nor_the_service_imports_pulse_app() -> None:
    # pulse.app builds the API and the service: an import back would close a circle.
    src = Path(pulse_package.__file__).parent
    files = [*sorted((src / "api").glob("*.py")), src / "service.py"]
    assert len(files) > 5
    for path in files:
        imported = _imported_modules(path)
        assert "pulse.app" not in imported, path
        # `from pulse import Pulse` would import pulse.app through the package.
        assert "pulse.Pulse" not in imported, path


def test_the_service_and_what_it_returns_are_exported() -> None:
    from pulse.models import RunRequest
    from pulse.service import JobService

    assert pulse_package.JobService is JobService
    assert pulse_package.RunRequest is RunRequest
