"""The WebSocket answers every message it cannot act on with ``{"type": "error", …}`` and keeps
the connection: after all of them, the same connection still follows a run's log."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

from pulse.errors import StoreUnavailableError
from tests.api.test_ws import recv_until
from tests.conftest import LiveServer

BAD_MESSAGES: list[tuple[str | bytes, str]] = [
    (b"\x00\x01binary", "binary frames"),
    ("{", "malformed JSON"),
    ("not json at all", "malformed JSON"),
    ("[" * 10_000 + "]" * 10_000, "nested deeper"),
    (
        '{"type": "subscribe_logs", "execution_id": "PX_a", "x": ' + "[" * 100 + "]" * 100 + "}",
        "nested",
    ),
    ("[1, 2]", "must be a JSON object"),
    ("42", "must be a JSON object"),
    ('"subscribe_logs"', "must be a JSON object"),
    ("null", "must be a JSON object"),
    ('{"type": "dance"}', "unknown message type"),
    ('{"type": 7}', "unknown message type"),
    ('{"no_type": true}', "unknown message type"),
    ('{"type": "subscribe_logs", "execution_id": "PX_\\ud800"}', "surrogate"),
    ('{"type": "subscribe_logs", "execution_id": "PX_\\u0000"}', "NUL"),
    ('{"type": "subscribe_logs", "execution_id": "PX_ x"}', "execution_id"),
    ('{"type": "subscribe_logs", "execution_id": 12}', "execution_id"),
    ('{"type": "subscribe_logs"}', "execution_id"),
    (
        '{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": 9223372036854775808}',
        "after_seq",
    ),
    (
        '{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": 1' + "0" * 400 + "}",
        "after_seq",
    ),
    ('{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": -1}', "after_seq"),
    ('{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": true}', "after_seq"),
    ('{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": 1.5}', "after_seq"),
    ('{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": NaN}', "finite"),
    ('{"type": "subscribe_logs", "execution_id": "PX_a", "after_seq": 1e999}', "too large"),
    ('{"type": "subscribe_logs", "execution_id": "PX_nothing_1"}', "not found"),
    ("x" * 100_000, "at most 65536 bytes"),
    (
        json.dumps({"type": "subscribe_logs", "execution_id": "PX_a", "pad": "é" * 40_000}),
        "at most",
    ),
]


async def test_every_bad_message_is_answered_and_the_connection_stays(live: LiveServer) -> None:
    async with websockets.connect(live.ws_url) as ws, httpx.AsyncClient(base_url=live.api) as http:
        assert json.loads(await ws.recv())["type"] == "hello"
        for raw, words in BAD_MESSAGES:
            await ws.send(raw)
            answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            while answer["type"] != "error":  # events of other tests' runs do not count
                answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert set(answer) == {"type", "message"}, answer
            assert words in answer["message"], (raw[:80], answer)
        # The same connection still works.
        jid = (
            await http.post(
                "/jobs",
                json={"name": "w", "command": "echo one; echo two", "interval_seconds": 3600},
            )
        ).json()["id"]
        eid = (await http.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
        await recv_until(ws, lambda m: m["type"] == "pulse_execution_completed")
        await ws.send(json.dumps({"type": "subscribe_logs", "execution_id": eid}))
        msgs = await recv_until(ws, lambda m: "two" in m.get("text", ""))
        assert "one" in "".join(m.get("text", "") for m in msgs)


async def test_a_failing_store_is_answered_and_the_connection_stays(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = iter([StoreUnavailableError("PostgreSQL: gone"), RuntimeError("0xdeadbeef")])

    async def failing(*_: Any) -> None:
        raise next(failures)

    monkeypatch.setattr(live.pulse.store, "get_execution", failing)
    async with websockets.connect(live.ws_url) as ws:
        await ws.recv()
        for words in ("database failed", "internal error"):
            await ws.send(json.dumps({"type": "subscribe_logs", "execution_id": "PX_a_1"}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert answer["type"] == "error" and words in answer["message"], answer
            assert "deadbeef" not in answer["message"] and "PostgreSQL" not in answer["message"]
        monkeypatch.undo()
        await ws.send(json.dumps({"type": "subscribe_logs", "execution_id": "PX_a_1"}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert "not found" in answer["message"]
