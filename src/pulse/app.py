"""The Pulse object: what an application embeds, and what ``pulse serve`` runs.

import pulse

app = pulse.Pulse()

@app.handler("send-report")
def send_report(ctx: pulse.RunContext) -> str:
    print("sending", ctx.payload)
    return "sent 3 reports"

asgi = app.asgi()   # serve with uvicorn, or mount in your own Starlette/FastAPI app
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from fastapi import FastAPI

from pulse.clock import Clock, SystemClock
from pulse.engine.engine import Engine
from pulse.engine.handlers import Handler
from pulse.errors import PulseError
from pulse.events import EventBridge, EventHub, JobChanged
from pulse.jobs import new_job
from pulse.models import JobState
from pulse.settings import Settings
from pulse.store import Store, open_store

log = logging.getLogger("pulse")
H = TypeVar("H", bound=Handler)


class Pulse:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock or SystemClock()
        self.hub = EventHub()
        self.handlers: dict[str, Handler] = {}
        self._store = store
        self._engine: Engine | None = None
        self._bridge: EventBridge | None = None
        self.demo = False

    def handler(self, name: str | None = None) -> Callable[[H], H]:
        """Register a function (sync or async, taking a :class:`RunContext`) as the Python
        handler ``name`` (default: the function's name). Jobs name it in ``handler``."""

        def register(fn: H) -> H:
            key = name or getattr(fn, "__name__", "")
            if not key:
                raise PulseError("a handler needs a name")
            self.handlers[key] = fn
            return fn

        return register

    @property
    def store(self) -> Store:
        if self._store is None:
            # Every running execution may write at once; beyond a few dozen connections a
            # database server gains nothing, and calls queue for a connection instead.
            pool = min(self.settings.workers + 4, 40)
            self._store = open_store(self.settings.store_url, connections=pool)
        return self._store

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(
                self.store, self.settings, hub=self.hub, clock=self.clock, handlers=self.handlers
            )
        return self._engine

    async def start(self, *, loops: bool = True) -> None:
        """Open the store (migrating it), recover, and start the ticker and workers."""
        await self.store.open()
        if self.demo:
            await self._add_demo_jobs()
        self._bridge = self.store.event_bridge(self.hub, self.engine.node_id)
        if self._bridge is not None:
            self._bridge.on_remote_queued = self.engine.wake_workers
            self.engine.queued_hooks.append(self._bridge.announce_queued)
            await self._bridge.start()
        await self.engine.start(loops=loops)
        log.info(
            "Pulse node %s started: %s, %d workers",
            self.engine.node_id,
            _safe_url(self.settings.store_url),
            self.settings.workers,
        )

    async def stop(self) -> None:
        """Stop the engine (with the shutdown grace) and close the store."""
        if self._engine is not None:
            await self._engine.stop()
        if self._bridge is not None:
            await self._bridge.stop()
            self._bridge = None
        if self._store is not None:
            await self._store.close()

    async def delete_job(self, job_id: str) -> None:
        """Delete a job with its history. Its running executions are stopped first (SIGTERM,
        SIGKILL a few seconds later) and recorded ``failed`` ("job deleted"), so that no
        process of a deleted job goes on unrecorded; runs of it on other nodes are stopped when
        they hear of the deletion."""
        job = await self.store.get_job(job_id)
        if job.state is JobState.ACTIVE:
            # No new firing while its runs are stopped.
            await self.store.update_job(replace(job, state=JobState.PAUSED))
        if self.engine.stop_runs_of_job(job_id, "job deleted"):
            await self.engine.wait_runs_of_job(job_id, timeout=30)
        await self.store.delete_job(job_id)
        self.jobs_changed(JobChanged(job_id, "deleted"))

    def jobs_changed(self, event: JobChanged) -> None:
        self.hub.publish(event)
        self.engine.notify_jobs_changed()

    def asgi(self, *, manage_lifecycle: bool = True) -> FastAPI:
        """The ASGI app (REST API, WebSocket, UI) of this Pulse."""
        from pulse.api.app import create_app

        return create_app(self, manage_lifecycle=manage_lifecycle)

    async def _add_demo_jobs(self) -> None:
        from pulse.demo import DEMO_JOBS

        if await self.store.list_jobs():
            return
        now = self.clock.now()
        for i, fields in enumerate(DEMO_JOBS):
            job = new_job(dict(fields), now)
            if job.schedule.interval_seconds is not None:
                # A newcomer sees every demo job run within seconds, not after its interval.
                job = replace(job, next_run_at=now + timedelta(seconds=2 + i))
            await self.store.create_job(job)
        log.info("added %d demo jobs", len(DEMO_JOBS))


def _safe_url(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url
