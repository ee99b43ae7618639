"""Events across nodes through PostgreSQL's LISTEN/NOTIFY.

Each node forwards the events that happen on it to the ``pulse_events`` channel and publishes, in
its own hub, those that other nodes send; so a WebSocket client on node A sees an execution that
runs on node B. Events are packed several to a notification, under NOTIFY's 8,000-byte payload
limit. Stored log chunks travel as pointers (execution id and seq) and are read back from the
database only by a node that has someone following that execution; lines past the log cap, which
are not stored, travel as text, split to fit.

A notification sent while a node is disconnected is lost to that node; its clients then re-read
state (the UI refetches on reconnect). The database, not this channel, is the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import psycopg

from pulse.events import EventHub, LogLines, Subscriber, from_message, to_message
from pulse.store.base import Store

log = logging.getLogger("pulse.events")

CHANNEL = "pulse_events"
MAX_PAYLOAD = 7000  # bytes; NOTIFY refuses payloads of 8,000 bytes and more


def pack(node_id: str, messages: list[dict[str, Any]]) -> list[str]:
    """Payloads of at most ``MAX_PAYLOAD`` bytes, each ``{"o": node, "e": [message, …]}``."""
    payloads: list[str] = []
    batch: list[str] = []
    size = 0
    head = len(json.dumps({"o": node_id, "e": []}))
    for message in messages:
        for piece in _fit(message, MAX_PAYLOAD - head - 2):
            encoded = json.dumps(piece, ensure_ascii=False)
            n = len(encoded.encode())
            if batch and size + n + 1 > MAX_PAYLOAD - head:
                payloads.append(_payload(node_id, batch))
                batch, size = [], 0
            batch.append(encoded)
            size += n + 1
    if batch:
        payloads.append(_payload(node_id, batch))
    return payloads


def _payload(node_id: str, encoded: list[str]) -> str:
    return '{"o": ' + json.dumps(node_id) + ', "e": [' + ",".join(encoded) + "]}"


def _fit(message: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """``message`` made small enough: stored log chunks lose their text (receivers read it
    back), unstored lines are split at line ends (or anywhere, for one huge line)."""
    if message["type"] != "pulse_execution_log":
        return [message]
    if message["seq"] is not None:
        return [{**message, "text": None}]
    text: str = message["text"]
    if len(json.dumps(message, ensure_ascii=False).encode()) <= limit:
        return [message]
    budget = max(256, (limit - 400) // 6)  # JSON escaping can grow a character to 6 bytes
    pieces, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > budget:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:budget])
            line = line[budget:]
        if len(current) + len(line) > budget:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return [{**message, "text": p} for p in pieces]


_QUEUED = object()  # put in the forwarder's queue by announce_queued
_QUEUED_MESSAGE: dict[str, Any] = {"type": "pulse_run_requests_queued"}


def _message(item: Any) -> dict[str, Any]:
    return _QUEUED_MESSAGE if item is _QUEUED else to_message(item)


class PostgresEventBridge:
    """Forwards this node's events to the others and theirs to this node's hub."""

    def __init__(self, url: str, store: Store, hub: EventHub, node_id: str) -> None:
        self._url = url
        self._store = store
        self._hub = hub
        self._node_id = node_id
        # Run requests queued here wake the other nodes' workers, and theirs ours.
        self.on_remote_queued: Callable[[], None] = lambda: None
        self._sub: Subscriber | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()

    def announce_queued(self) -> None:
        """Tell the other nodes that run requests were queued (coalesced while unsent)."""
        if self._sub is not None:
            with contextlib.suppress(asyncio.QueueFull):
                self._sub.queue.put_nowait(_QUEUED)  # type: ignore[arg-type]

    async def start(self) -> None:
        sub = self._hub.subscribe(all_logs=True, local_only=True, buffer=50_000)
        self._sub = sub
        self._tasks = [
            asyncio.create_task(self._forward(sub), name="pulse-events-out"),
            asyncio.create_task(self._listen(), name="pulse-events-in"),
        ]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self._url, autocommit=True)

    async def _forward(self, sub: Any) -> None:
        conn: psycopg.AsyncConnection[Any] | None = None
        pending: list[dict[str, Any]] = []
        try:
            while True:
                if not pending:
                    pending.append(_message(await sub.get()))
                while not sub.queue.empty() and len(pending) < 500:
                    message = _message(sub.queue.get_nowait())
                    if message is not _QUEUED_MESSAGE or _QUEUED_MESSAGE not in pending:
                        pending.append(message)
                try:
                    if conn is None or conn.closed:
                        conn = await self._connect()
                    async with conn.pipeline():
                        for payload in pack(self._node_id, pending):
                            await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    pending = []
                except (psycopg.Error, OSError) as e:
                    # Keep what could not be sent (bounded); retry once the database is back.
                    log.warning("cannot forward events to other nodes: %s", e)
                    pending = pending[-5000:]
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            await conn.close()
                    conn = None
                    await asyncio.sleep(1)
        finally:
            sub.close()
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                conn = await self._connect()
                try:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    delay = 0.5
                    async for note in conn.notifies():
                        await self._receive(note.payload)
                finally:
                    self.listening.clear()
                    with contextlib.suppress(Exception):
                        await conn.close()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as e:
                log.warning("lost the event channel (%s); reconnecting", e)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def _receive(self, payload: str) -> None:
        try:
            body = json.loads(payload)
        except ValueError:
            return
        if body.get("o") == self._node_id:
            return
        for message in body.get("e", []):
            if message.get("type") == _QUEUED_MESSAGE["type"]:
                self.on_remote_queued()
                continue
            try:
                event = from_message(message)
            except (KeyError, TypeError):
                continue
            if isinstance(event, LogLines):
                if not self._hub.follows(event.execution_id):
                    continue
                if event.text is None and event.seq is not None:
                    chunks = await self._store.read_logs(event.execution_id, event.seq - 1, 1)
                    if not chunks:
                        continue
                    event = LogLines(
                        event.execution_id, event.seq, event.ts, event.stream, chunks[0].text
                    )
            self._hub.publish(event, remote=True)
