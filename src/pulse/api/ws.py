"""``/api/pulse/ws``: execution and job events for everyone, live log lines on request.

Client → server::

    {"type": "subscribe_logs", "execution_id": "PX_…", "after_seq": 0}
    {"type": "unsubscribe_logs", "execution_id": "PX_…"}

Server → client: ``hello`` on connect, the seed's ``pulse_execution_started`` /
``pulse_execution_completed`` / ``pulse_execution_failed``, ``pulse_job_changed``, and
``pulse_execution_log`` for followed executions (stored chunks after ``after_seq`` first, then
live ones, without gaps or repeats).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from pulse.api.deps import pulse_of_ws
from pulse.clock import format_ts
from pulse.errors import NotFoundError
from pulse.events import Event, LogLines, Subscriber, to_message

router = APIRouter()


@dataclass
class _Follow:
    last_seq: int
    # While the stored backlog is being sent, live lines wait here instead of overtaking it.
    held: list[LogLines] | None = field(default_factory=list)


class _Connection:
    def __init__(self, ws: WebSocket, sub: Subscriber) -> None:
        self.ws = ws
        self.sub = sub
        self.follows: dict[str, _Follow] = {}
        self.send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_text(json.dumps(message))

    async def deliver(self, event: Event) -> None:
        if isinstance(event, LogLines):
            follow = self.follows.get(event.execution_id)
            if follow is None:
                return
            if follow.held is not None:
                follow.held.append(event)
                return
            await self.send_line(follow, event)
            return
        await self.send(to_message(event))

    async def send_line(self, follow: _Follow, event: LogLines) -> None:
        if event.seq is not None:
            if event.seq <= follow.last_seq:
                return
            follow.last_seq = event.seq
        await self.send(to_message(event))


async def _pump(conn: _Connection) -> None:
    while True:
        event = await conn.sub.get()
        if conn.sub.overflowed and conn.sub.queue.empty():
            # This client could not keep up and was cut off; it reconnects and re-reads.
            await conn.ws.close(code=1013, reason="too slow: reconnect")
            return
        await conn.deliver(event)


async def _follow(conn: _Connection, execution_id: str, after_seq: int) -> None:
    pulse = pulse_of_ws(conn.ws)
    try:
        await pulse.store.get_execution(execution_id)
    except NotFoundError as e:
        await conn.send({"type": "error", "detail": str(e)})
        return
    follow = _Follow(last_seq=after_seq)
    conn.follows[execution_id] = follow
    conn.sub.follows.add(execution_id)
    async for chunk in pulse.store.iter_logs(execution_id, after_seq):
        await conn.send_line(
            follow,
            LogLines(execution_id, chunk.seq, format_ts(chunk.ts), chunk.stream.value, chunk.text),
        )
    held, follow.held = follow.held or [], None
    for event in held:
        await conn.send_line(follow, event)


@router.websocket("/ws")
async def websocket_endpoint(ws: WebSocket) -> None:
    pulse = pulse_of_ws(ws)
    await ws.accept()
    sub = pulse.hub.subscribe()
    conn = _Connection(ws, sub)
    pump = asyncio.create_task(_pump(conn))
    try:
        await conn.send({"type": "hello", "node_id": pulse.engine.node_id})
        while True:
            receive = asyncio.create_task(ws.receive_text())
            done, _ = await asyncio.wait({receive, pump}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done:
                receive.cancel()
                with contextlib.suppress(BaseException):
                    await receive
                return
            raw = receive.result()
            try:
                message = json.loads(raw)
                kind = message.get("type")
                execution_id = str(message.get("execution_id", ""))
            except (ValueError, AttributeError):
                await conn.send({"type": "error", "detail": "messages must be JSON objects"})
                continue
            if kind == "subscribe_logs":
                after = message.get("after_seq", 0)
                if not isinstance(after, int) or after < 0:
                    await conn.send(
                        {"type": "error", "detail": "after_seq: must be an integer >= 0"}
                    )
                    continue
                await _follow(conn, execution_id, after)
            elif kind == "unsubscribe_logs":
                conn.follows.pop(execution_id, None)
                sub.follows.discard(execution_id)
            else:
                await conn.send({"type": "error", "detail": f"type: unknown message type {kind!r}"})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sub.close()
        pump.cancel()
        with contextlib.suppress(BaseException):
            await pump
