"""Every error answer is JSON ``{"detail", "errors"}``, whatever went wrong; storage failures
answer 503 or 507 naming the cause, never a 500 with the driver's message; HEAD works wherever
GET does."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from pulse import Pulse
from pulse.errors import (
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)

BASE = {"name": "j", "command": "echo hello", "interval_seconds": 60}


def is_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert set(body) == {"detail", "errors"} and isinstance(body["detail"], str)
    return body


@pytest.fixture
async def quiet_client(pulse: Pulse) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sees what a real one would when the app fails, instead of the exception."""
    transport = httpx.ASGITransport(
        app=pulse.asgi(manage_lifecycle=False), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8000/api/pulse"
    ) as c:
        yield c


async def test_unknown_paths_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    assert is_error(await client.get("/nowhere"), 404)["detail"] == "no such endpoint"
    is_error(await client.delete("/jobs"), 405)
    is_error(await client.put("/jobs", json={}), 405)


async def test_an_unexpected_error_is_a_json_500_without_the_traceback(
    pulse: Pulse,
    quiet_client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken() -> None:
        raise RuntimeError("secret internals at 0xdeadbeef")

    monkeypatch.setattr(pulse.store, "list_jobs", broken)
    with caplog.at_level(logging.ERROR, logger="pulse.api"):
        r = await quiet_client.get("/jobs")
    body = is_error(r, 500)
    assert "deadbeef" not in r.text and "Traceback" not in r.text
    assert "server log" in body["detail"]
    assert any("deadbeef" in (rec.exc_text or "") for rec in caplog.records)  # logged for us
    head = await quiet_client.head("/jobs")
    assert head.status_code == 500 and head.content == b""


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (
            StoreFullError("SQLite: database or disk is full"),
            507,
            "disk holding the database is full",
        ),
        (StoreUnavailableError("PostgreSQL: connection refused"), 503, "unavailable"),
        (StoreCorruptError("SQLite: database disk image is malformed"), 503, "damaged"),
        (StoreError('PostgreSQL: invalid byte sequence in "secret"'), 503, "database failed"),
    ],
)
async def test_storage_errors_answer_503_or_507_naming_the_cause(
    pulse: Pulse,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    error: StoreError,
    status: int,
    words: str,
) -> None:
    async def failing(*_: Any, **__: Any) -> None:
        raise error

    monkeypatch.setattr(pulse.store, "create_job", failing)
    monkeypatch.setattr(pulse.store, "list_jobs", failing)
    body = is_error(await client.post("/jobs", json=BASE), status)
    assert words in body["detail"]
    assert "secret" not in body["detail"] and "PostgreSQL" not in body["detail"]
    assert "SQLite" not in body["detail"]
    is_error(await client.get("/jobs"), status)


async def test_head_answers_wherever_get_does(pulse: Pulse, client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=BASE)).json()
    eid = (await client.post(f"/jobs/{job['id']}/trigger")).json()["execution_id"]
    await pulse.engine.run_pending()
    for path in (
        "/health",
        "/jobs",
        f"/jobs/{job['id']}",
        f"/jobs/{job['id']}/executions",
        f"/executions/{eid}",
        f"/executions/{eid}/logs",
        f"/executions/{eid}/log-chunks",
        "/openapi.json",
    ):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
    assert (await client.head("http://127.0.0.1:8000/")).status_code == 200  # the UI
    missing = await client.head("/jobs/SPJ_nope")
    assert missing.status_code == 404 and missing.content == b""
    assert (await client.head(f"/jobs/{job['id']}/trigger")).status_code == 405


async def test_ready_answers_503_while_the_database_is_away(
    pulse: Pulse, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await client.get("/ready")).json()["status"] == "ready"

    async def away() -> None:
        raise StoreUnavailableError("PostgreSQL: connection refused")

    monkeypatch.setattr(pulse.store, "ping", away)
    is_error(await client.get("/ready"), 503)
    assert (await client.get("/health")).status_code == 200  # liveness is not readiness
    assert (await client.head("/ready")).status_code == 503
