"""``/api/pulse/ws``: execution and job events for everyone, live log lines on request.

Client → server::

    {"type": "subscribe_logs", "execution_id": "PX_…", "after_seq": 0}
    {"type": "unsubscribe_logs", "execution_id": "PX_…"}

Server → client: ``hello`` on connect, the seed's ``pulse_execution_started`` /
``pulse_execution_completed`` / ``pulse_execution_failed``, ``pulse_job_changed``, and
``pulse_execution_log`` for followed executions (stored chunks after ``after_seq`` first, then
live ones, without gaps or repeats), and ``{"type": "error", "message": "<field>: <reason>"}``
for a message it cannot act on (not JSON text, not an object, an unknown type, a bad id or
``after_seq``, larger than :data:`MAX_MESSAGE_BYTES`). The connection stays open after an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from pulse.api.deps import node_of_ws
from pulse.api.errors import clean
from pulse.api.guard import strict_loads
from pulse.api.schemas import ID_PATTERN, INT64_MAX
from pulse.clock import format_ts
from pulse.errors import InvalidInputError, NotFoundError, StoreError
from pulse.events import Event, LogLines, Subscriber, to_message

router = APIRouter()
log = logging.getLogger("pulse.api")


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
    service = node_of_ws(conn.ws).service
    await service.get_execution(execution_id)
    follow = _Follow(last_seq=after_seq)
    conn.follows[execution_id] = follow
    conn.sub.follows.add(execution_id)
    try:
        async for chunk in service.iter_logs(execution_id, after_seq):
            await conn.send_line(
                follow,
                LogLines(
                    execution_id, chunk.seq, format_ts(chunk.ts), chunk.stream.value, chunk.text
                ),
            )
    except BaseException:
        # Not followed after all: live lines must not pile up behind a backlog never sent.
        conn.follows.pop(execution_id, None)
        conn.sub.follows.discard(execution_id)
        raise
    held, follow.held = follow.held or [], None
    for event in held:
        await conn.send_line(follow, event)


MAX_MESSAGE_BYTES = 64 * 1024
"""The largest message a client may send; requests are small, anything bigger is refused."""


def _parse(message: Mapping[str, Any]) -> tuple[str, str, int]:
    """``(type, execution_id, after_seq)`` of a client message, or an InvalidInputError naming
    what is wrong with it."""
    text = message.get("text")
    if text is None:
        raise InvalidInputError("message", "binary frames are not read: send JSON as text")
    if len(text) > MAX_MESSAGE_BYTES or len(text.encode()) > MAX_MESSAGE_BYTES:
        raise InvalidInputError("message", f"must be at most {MAX_MESSAGE_BYTES} bytes")
    value = strict_loads(text, "message")
    if not isinstance(value, dict):
        raise InvalidInputError("message", "must be a JSON object")
    kind = value.get("type")
    if kind not in ("subscribe_logs", "unsubscribe_logs"):
        shown = kind if isinstance(kind, str) and len(kind) <= 40 else "…"
        raise InvalidInputError(
            "type",
            f"unknown message type {shown!r}: subscribe_logs or unsubscribe_logs",
        )
    execution_id = value.get("execution_id")
    if not isinstance(execution_id, str) or not re.fullmatch(ID_PATTERN, execution_id):
        raise InvalidInputError("execution_id", "must be an execution id (PX_…)")
    after = value.get("after_seq", 0)
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= INT64_MAX:
        raise InvalidInputError("after_seq", "must be an integer from 0 to 2^63-1")
    return kind, execution_id, after


@router.websocket("/ws")
async def websocket_endpoint(ws: WebSocket) -> None:
    node = node_of_ws(ws)
    await ws.accept()
    sub = node.service.subscribe()
    conn = _Connection(ws, sub)
    pump = asyncio.create_task(_pump(conn))
    try:
        await conn.send({"type": "hello", "node_id": node.node_id})
        while True:
            receive = asyncio.create_task(ws.receive())
            done, _ = await asyncio.wait({receive, pump}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done:
                receive.cancel()
                with contextlib.suppress(BaseException):
                    await receive
                return
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return
            # A bad message is answered and forgotten: the connection, and what it follows, stay.
            try:
                kind, execution_id, after = _parse(message)
                if kind == "subscribe_logs":
                    await _follow(conn, execution_id, after)
                else:
                    conn.follows.pop(execution_id, None)
                    sub.follows.discard(execution_id)
            except (InvalidInputError, NotFoundError) as e:
                await conn.send({"type": "error", "message": clean(str(e))})
            except StoreError as e:
                log.warning("WebSocket request failed: %s", e)
                await conn.send(
                    {"type": "error", "message": "the database failed; try again shortly"}
                )
            except WebSocketDisconnect:
                raise
            except Exception:
                log.exception("unexpected error answering a WebSocket message")
                await conn.send(
                    {"type": "error", "message": "internal error; details are in the server log"}
                )
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sub.close()
        pump.cancel()
        with contextlib.suppress(BaseException):
            await pump
