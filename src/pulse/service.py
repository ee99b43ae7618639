"""The application layer: every operation on jobs, in one place.

The REST API, the CLI (where it acts on its own node, e.g. ``pulse serve --demo``) and Python
embedders call :class:`JobService`; none of them composes the steps itself. A write is always
the same four steps, in this order:

1. validate the input (:mod:`pulse.jobs`), raising InvalidInputError naming the field;
2. write it to the store, which raises NotFoundError for an unknown id;
3. announce it on the event hub (``pulse_job_changed``), only once the write is committed, so
   that nobody hears of a change that did not happen;
4. wake the engine (the ticker for a new or changed schedule, the workers for a run request), so
   that the change takes effect now rather than at the next poll.

Reads go through the service too, so that its callers need to know nothing of the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from pulse.clock import Clock
from pulse.engine.engine import Engine
from pulse.events import EventHub, JobChange, JobChanged, Subscriber
from pulse.jobs import change_job, new_job
from pulse.models import Execution, ExecutionStatus, Job, JobState, LogChunk, Page, RunRequest
from pulse.store import Store

DELETE_WAIT_SECONDS = 30.0
"""How long deleting a job waits for this node's runs of it to stop and be recorded."""


class JobService:
    """Jobs, their runs and their history, for one node."""

    def __init__(self, store: Store, engine: Engine, hub: EventHub, clock: Clock) -> None:
        self.store = store
        self.engine = engine
        self.hub = hub
        self.clock = clock

    # -- jobs -----------------------------------------------------------------------------------
    async def list_jobs(self) -> list[Job]:
        """Every job, ordered by name then id, with its last execution's status and duration."""
        return await self.store.list_jobs()

    async def get_job(self, job_id: str) -> Job:
        """The job, with its last execution's status and duration; NotFoundError if none has
        this id."""
        return await self.store.get_job(job_id)

    async def create_job(
        self, fields: dict[str, Any], *, first_run_at: datetime | None = None
    ) -> Job:
        """Create a job from the fields the API takes (``name``, a schedule, a target,
        policies) and announce it (``created``). Its first run is the schedule's next slot, or
        ``first_run_at`` when given (the demo jobs use it to run within seconds). Nothing is
        stored when a field is invalid."""
        job = new_job(fields, self.clock.now())
        if first_run_at is not None:
            job = replace(job, next_run_at=first_run_at)
        job = await self.store.create_job(job)
        self._announce(job.id, "created")
        return job

    async def update_job(self, job_id: str, fields: dict[str, Any]) -> Job:
        """Change the fields given, and only those, and announce it (``updated``). A changed
        schedule counts from now. Nothing is stored when a field is invalid."""
        job = await self.store.get_job(job_id)
        job = await self.store.update_job(change_job(job, fields, self.clock.now()))
        self._announce(job.id, "updated")
        return job

    async def pause_job(self, job_id: str) -> Job:
        """Stop the job firing on its schedule (runs going on are left to end) and announce it
        (``updated``). Pausing a paused job changes nothing but is announced all the same."""
        return await self.update_job(job_id, {"state": JobState.PAUSED.value})

    async def resume_job(self, job_id: str) -> Job:
        """Let the job fire again from its next slot after now (slots missed while paused do
        not run) and announce it (``updated``)."""
        return await self.update_job(job_id, {"state": JobState.ACTIVE.value})

    async def delete_job(self, job_id: str) -> None:
        """Delete a job with its history, and announce it (``deleted``). Its running executions
        on this node are stopped first (SIGTERM, SIGKILL a few seconds later) and recorded
        ``failed`` ("job deleted"), so that no process of a deleted job goes on unrecorded; runs
        of it on other nodes are stopped when they hear of the deletion."""
        job = await self.store.get_job(job_id)
        if job.state is JobState.ACTIVE:
            # No new firing while its runs are stopped.
            await self.store.update_job(replace(job, state=JobState.PAUSED))
        if self.engine.stop_runs_of_job(job_id, "job deleted"):
            await self.engine.wait_runs_of_job(job_id, timeout=DELETE_WAIT_SECONDS)
        await self.store.delete_job(job_id)
        self._announce(job_id, "deleted")

    async def run_now(self, job_id: str) -> RunRequest:
        """Queue a run of the job now, whatever its state and schedule; the run request names
        the execution that will record it. Its start is announced when a worker takes it, like
        any other run."""
        job = await self.store.get_job(job_id)
        return await self.engine.trigger(job)

    # -- history --------------------------------------------------------------------------------
    async def list_executions(
        self,
        job_id: str,
        limit: int,
        offset: int = 0,
        status: ExecutionStatus | None = None,
    ) -> Page:
        """A page of the job's executions, newest first, without their logs; NotFoundError for
        an unknown job."""
        return await self.store.list_executions(job_id, limit, offset, status)

    async def get_execution(self, execution_id: str) -> Execution:
        """One execution, without its log; NotFoundError if none has this id."""
        return await self.store.get_execution(execution_id)

    async def read_logs(self, execution_id: str, after_seq: int, limit: int) -> list[LogChunk]:
        """Up to ``limit`` log chunks of the execution after ``after_seq``, in order."""
        return await self.store.read_logs(execution_id, after_seq, limit)

    def iter_logs(self, execution_id: str, after_seq: int = 0) -> AsyncIterator[LogChunk]:
        """Every log chunk of the execution after ``after_seq``, in order, read a batch at a
        time so that a large log costs constant memory."""
        return self.store.iter_logs(execution_id, after_seq)

    def subscribe(self) -> Subscriber:
        """A subscription to this node's events: executions started and ended, job changes
        (of every node, when the store carries events between nodes), and log lines of the
        executions the subscriber follows. Close it when done."""
        return self.hub.subscribe()

    def _announce(self, job_id: str, change: JobChange) -> None:
        self.hub.publish(JobChanged(job_id, change))
        self.engine.notify_jobs_changed()
