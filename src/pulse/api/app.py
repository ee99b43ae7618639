"""The ASGI application: the REST API and WebSocket under ``/api/pulse``, the UI at ``/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from pulse.api import errors, executions, jobs, ws
from pulse.api.guard import BodyMiddleware, GuardMiddleware
from pulse.api.security import SecurityMiddleware, redact_tokens_in_server_logs

if TYPE_CHECKING:
    from pulse.app import Pulse

PREFIX = "/api/pulse"


def web_dist() -> Path:
    """Where the built UI lives inside the package."""
    return Path(str(resources.files("pulse"))) / "web" / "dist"


def create_app(pulse: Pulse, *, manage_lifecycle: bool = True) -> FastAPI:
    """The ASGI app for ``pulse``. With ``manage_lifecycle`` the app starts and stops Pulse's
    engine in its lifespan (``pulse serve``); embedders that run Pulse themselves pass False."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await pulse.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await pulse.stop()

    app = FastAPI(
        title="Pulse",
        version="0.1.0",
        description="Scheduler for recurring jobs with durable execution history.",
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.pulse = pulse
    errors.install(app)
    app.include_router(jobs.router, prefix=PREFIX)
    app.include_router(executions.router, prefix=PREFIX)
    app.include_router(ws.router, prefix=PREFIX)

    @app.get(f"{PREFIX}/health", tags=["meta"])
    async def health() -> dict[str, str]:
        """Liveness of this node."""
        return {"status": "ok", "node_id": pulse.engine.node_id}

    _mount_ui(app)
    # The last added runs first: the guard, then the security checks, then the body limits (so
    # that no body is read for a caller who would be refused anyway).
    app.add_middleware(BodyMiddleware)
    app.add_middleware(SecurityMiddleware, settings=pulse.settings)
    app.add_middleware(GuardMiddleware)
    redact_tokens_in_server_logs()
    return app


def _mount_ui(app: FastAPI) -> None:
    dist = web_dist()
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    # Deep links (/jobs/…, /executions/…) load the same page; the UI routes on the client.
    @app.get("/", include_in_schema=False)
    @app.get("/jobs/{_path:path}", include_in_schema=False)
    @app.get("/executions/{_path:path}", include_in_schema=False)
    async def index(request: Request) -> Response:
        page = dist / "index.html"
        if page.is_file():
            return FileResponse(page, headers={"cache-control": "no-cache"})
        return HTMLResponse(
            "<!doctype html><title>Pulse</title><p>The UI is not built. Run <code>make run</code>"
            " (or <code>npm --prefix web run build</code>). The API is at "
            f'<a href="{PREFIX}/docs">{PREFIX}/docs</a>.</p>'
        )
