"""The ASGI application: the REST API and WebSocket under ``/api/pulse``, the UI at ``/``."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from pulse import jobs as job_rules
from pulse.api import errors, executions, history, jobs, runs, ws
from pulse.api.deps import Node
from pulse.api.guard import MAX_BODY_BYTES, MAX_JSON_DEPTH, BodyMiddleware, GuardMiddleware
from pulse.api.pages import PageCache, PagesMiddleware
from pulse.api.schemas import ID_PATTERN, error_responses
from pulse.api.security import SecurityMiddleware, redact_tokens_in_server_logs

PREFIX = "/api/pulse"

DESCRIPTION = f"""Scheduler for recurring jobs with durable execution history.

**Errors** are JSON `{{"detail": "<field>: <reason>", "errors": [{{"field", "message"}}]}}`,
whatever the status: 401 without the API token (when one is set), 403 for another browser
origin, 421 for a foreign `Host`, 404 for an unknown id or path, 405 for a method a path does
not answer, 413 for a body over the limit, 422 for invalid input (naming the field), 503 when
the database is unavailable or failing, 507 when its disk is full. `HEAD` answers wherever
`GET` does.

**Limits** (422 beyond them, 413 for the body): request body {MAX_BODY_BYTES} bytes;
JSON nested at most {MAX_JSON_DEPTH} levels, numbers finite (no `NaN`/`Infinity`), no
booleans for numbers; every text without NUL or lone UTF-16 surrogates;
name {job_rules.MAX_NAME_CHARS} and description {job_rules.MAX_DESCRIPTION_CHARS} characters;
command {job_rules.MAX_COMMAND_BYTES} bytes; cwd {job_rules.MAX_CWD_BYTES} bytes;
env {job_rules.MAX_ENV_VARS} variables, names `{job_rules.ENV_NAME.pattern}` of at most
{job_rules.MAX_ENV_NAME_CHARS} characters, values {job_rules.MAX_ENV_VALUE_BYTES} bytes;
payload {job_rules.MAX_PAYLOAD_DEPTH} levels and {job_rules.MAX_PAYLOAD_BYTES} bytes as JSON;
cron {job_rules.MAX_CRON_CHARS} and time zone {job_rules.MAX_TIMEZONE_CHARS} characters;
interval 1 to {job_rules.MAX_INTERVAL_SECONDS} seconds (10 years); timeout up to
{job_rules.MAX_TIMEOUT_SECONDS:.0f} seconds (30 days); ids `{ID_PATTERN}`; `offset` and
`after_seq` below 2^63. A time zone belongs to cron schedules only.
"""


def web_dist() -> Path:
    """Where the built UI lives inside the package."""
    return Path(str(resources.files("pulse"))) / "web" / "dist"


def create_app(node: Node, *, manage_lifecycle: bool = True) -> FastAPI:
    """The ASGI app for ``node`` (a :class:`pulse.Pulse`). With ``manage_lifecycle`` the app
    starts and stops the node in its lifespan (``pulse serve``); embedders that run Pulse
    themselves pass False."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            await node.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await node.stop()

    app = FastAPI(
        title="Pulse",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
    )
    app.state.node = node
    app.state.pages = PageCache(lambda: node.service.store)
    errors.install(app)
    app.include_router(jobs.router, prefix=PREFIX)
    app.include_router(runs.router, prefix=PREFIX)  # before /executions/{execution_id}
    app.include_router(executions.router, prefix=PREFIX)
    app.include_router(history.router, prefix=PREFIX)
    app.include_router(ws.router, prefix=PREFIX)

    @app.get(f"{PREFIX}/health", tags=["meta"], responses=error_responses(database=False))
    async def health() -> dict[str, str]:
        """Liveness of this node: it answers, whatever the state of its database."""
        return {"status": "ok", "node_id": node.node_id}

    @app.get(f"{PREFIX}/ready", tags=["meta"], responses=error_responses(507))
    async def ready() -> dict[str, str]:
        """Readiness: 200 while this node reaches its database and its last heartbeat (a write)
        went through; 503 (or 507, disk full) otherwise, so that a load balancer sends calls
        elsewhere."""
        await node.check_ready()
        return {"status": "ready", "node_id": node.node_id}

    _mount_ui(app)
    # The last added runs first: the guard, then the security checks, then the body limits (so
    # that no body is read for a caller who would be refused anyway), then kept answers.
    app.add_middleware(PagesMiddleware, cache=app.state.pages)
    app.add_middleware(BodyMiddleware)
    app.add_middleware(SecurityMiddleware, settings=node.settings)
    app.add_middleware(GuardMiddleware)
    redact_tokens_in_server_logs()
    return app


def _mount_ui(app: FastAPI) -> None:
    dist = web_dist()
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    # Every page (/jobs/…, /executions/…, /overview, and links to pages that do not exist)
    # loads the same document: the UI routes on the client and says when a page does not exist.
    # Unknown paths under the API, and other methods, keep their JSON answers.
    api_404 = app.exception_handlers[HTTPException]

    async def not_found(request: Request, exc: Exception) -> Response:
        path = request.url.path
        is_page = request.method in ("GET", "HEAD") and not (
            path == PREFIX or path.startswith(PREFIX + "/") or path.startswith("/assets/")
        )
        if is_page and isinstance(exc, HTTPException) and exc.status_code == 404:
            return await index(request)
        response = api_404(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(HTTPException, not_found)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        page = dist / "index.html"
        if page.is_file():
            return FileResponse(page, headers={"cache-control": "no-cache"})
        return HTMLResponse(
            "<!doctype html><title>Pulse</title><p>The UI is not built. Run <code>make run</code>"
            " (or <code>npm --prefix web run build</code>). The API is at "
            f'<a href="{PREFIX}/docs">{PREFIX}/docs</a>.</p>'
        )
