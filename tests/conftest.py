"""Shared fixtures: a Pulse on a temporary SQLite store, its ASGI client, a live server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from pulse import Pulse, Settings
from pulse.clock import FakeClock
from pulse.events import Event, Subscriber

# PostgreSQL test databases (postgres_server, postgres_databases, postgres_url): tests/pg.py.
pytest_plugins = ["tests.pg"]

START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, workers=4, node_id="test-node", shutdown_grace_seconds=2)


@pytest.fixture
async def pulse(settings: Settings, clock: FakeClock) -> AsyncIterator[Pulse]:
    """A Pulse whose time is a FakeClock and whose loops do not run: tests call
    ``pulse.engine.tick()`` and ``pulse.engine.run_pending()``."""
    p = Pulse(settings, clock=clock)
    await p.start(loops=False)
    yield p
    await p.stop()


@pytest.fixture
async def client(pulse: Pulse) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=pulse.asgi(manage_lifecycle=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8000/api/pulse"
    ) as c:
        yield c


class EventLog:
    """Collects every event a subscriber receives, for assertions."""

    def __init__(self, sub: Subscriber) -> None:
        self.sub = sub

    def drain(self) -> list[Event]:
        out = []
        while not self.sub.queue.empty():
            out.append(self.sub.queue.get_nowait())
        return out

    def messages(self, kind: str | None = None) -> list[dict[str, Any]]:
        from pulse.events import to_message

        msgs = [to_message(e) for e in self.drain()]
        return [m for m in msgs if kind is None or m["type"] == kind]


@pytest.fixture
def events(pulse: Pulse) -> EventLog:
    return EventLog(pulse.hub.subscribe(buffer=100_000))


class LiveServer:
    def __init__(self, pulse: Pulse, port: int) -> None:
        self.pulse = pulse
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.api = f"{self.url}/api/pulse"
        self.ws_url = f"ws://127.0.0.1:{port}/api/pulse/ws"


@pytest.fixture
async def live_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start a real uvicorn server with a real-clock Pulse on a free port, in this event loop."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(**overrides: Any) -> LiveServer:
        port = free_port()
        values: dict[str, Any] = {
            "data_dir": tmp_path / f"live{port}",
            "port": port,
            "workers": 4,
            "node_id": f"live-{port}",
            "shutdown_grace_seconds": 2,
            "poll_seconds": 0.2,
        }
        values.update(overrides)
        p = Pulse(Settings(**values))
        server = uvicorn.Server(
            uvicorn.Config(
                p.asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
            )
        )
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started, "server did not start"
        return LiveServer(p, port)

    yield start
    for server, _task in servers:
        server.should_exit = True
    for _server, task in servers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)


@pytest.fixture
async def live(live_factory: Callable[..., Any]) -> LiveServer:
    server: LiveServer = await live_factory()
    return server
