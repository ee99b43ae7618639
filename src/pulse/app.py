"""The Pulse object: what an application embeds, and what ``pulse serve`` runs.

import pulse

app = pulse.Pulse()

@app.handler("send-report")
def send_report(ctx: pulse.RunContext) -> str:
    print("sending", ctx.payload)
    return "sent 3 reports"

asgi = app.asgi()   # serve with uvicorn, or mount in your own Starlette/FastAPI app

Every operation on jobs goes through :attr:`Pulse.service` (a :class:`~pulse.service.JobService`),
which the REST API calls too; ``await app.create_job({...})`` and its siblings are shortcuts to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI

from pulse.clock import Clock, SystemClock
from pulse.demo import add_demo_jobs
from pulse.engine.engine import Engine
from pulse.engine.handlers import Handler
from pulse.errors import PulseError
from pulse.events import EventBridge, EventHub
from pulse.models import Job, RunRequest
from pulse.service import JobService
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
        self._service: JobService | None = None
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

    @property
    def service(self) -> JobService:
        """The application service: every operation on jobs and their history."""
        if self._service is None:
            self._service = JobService(self.store, self.engine, self.hub, self.clock)
        return self._service

    @property
    def node_id(self) -> str:
        """This node's id (``PULSE_NODE_ID``, or host:pid)."""
        return self.engine.node_id

    async def start(self, *, loops: bool = True) -> None:
        """Open the store (migrating it), recover, and start the ticker and workers."""
        await self.store.open()
        if self.demo:
            await add_demo_jobs(self.service)
        self._bridge = self.store.event_bridge(self.hub, self.engine.node_id)
        if self._bridge is not None:
            self._bridge.on_remote_queued = self.engine.wake_workers
            self.engine.queued_hooks.append(self._bridge.announce_queued)
            await self._bridge.start()
        self.engine.maintenance = self.service.prune_in_background
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

    async def check_ready(self) -> None:
        """Return if this node can do its work now; otherwise raise the StoreError that says
        why: its database does not answer, or its last heartbeat (a write, every few seconds)
        did not go through, or it lost its lease."""
        await self.store.ping()
        failure = self.engine.readiness()
        if failure is not None:
            raise failure

    # Shortcuts to the service for embedders; each does exactly what the service's method does.
    async def list_jobs(self) -> list[Job]:
        """Every job: :meth:`JobService.list_jobs`."""
        return await self.service.list_jobs()

    async def get_job(self, job_id: str) -> Job:
        """One job: :meth:`JobService.get_job`."""
        return await self.service.get_job(job_id)

    async def create_job(self, fields: dict[str, Any]) -> Job:
        """Create a job from the fields the API takes: :meth:`JobService.create_job`."""
        return await self.service.create_job(fields)

    async def update_job(self, job_id: str, fields: dict[str, Any]) -> Job:
        """Change the fields given: :meth:`JobService.update_job`."""
        return await self.service.update_job(job_id, fields)

    async def pause_job(self, job_id: str) -> Job:
        """Pause a job: :meth:`JobService.pause_job`."""
        return await self.service.pause_job(job_id)

    async def resume_job(self, job_id: str) -> Job:
        """Resume a job: :meth:`JobService.resume_job`."""
        return await self.service.resume_job(job_id)

    async def delete_job(self, job_id: str) -> None:
        """Delete a job with its history, its running executions stopped first:
        :meth:`JobService.delete_job`."""
        await self.service.delete_job(job_id)

    async def run_now(self, job_id: str) -> RunRequest:
        """Queue a run of a job now: :meth:`JobService.run_now`."""
        return await self.service.run_now(job_id)

    def asgi(self, *, manage_lifecycle: bool = True) -> FastAPI:
        """The ASGI app (REST API, WebSocket, UI) of this Pulse."""
        # Imported here, not for a cycle (the API never imports this module) but for time:
        # building the API's schemas costs the CLI's client commands about 0.1 s they do not need.
        from pulse.api.app import create_app

        return create_app(self, manage_lifecycle=manage_lifecycle)


def _safe_url(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url
