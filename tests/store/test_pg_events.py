"""Events packed for NOTIFY stay under its payload limit and lose nothing a receiver needs."""

from __future__ import annotations

import json

from pulse.events import ExecutionCompleted, LogLines, from_message, to_message
from pulse.store.pg_events import MAX_PAYLOAD, pack


def unpack(payloads: list[str]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for p in payloads:
        assert len(p.encode()) <= MAX_PAYLOAD < 8000
        body = json.loads(p)
        assert body["o"] == "node-a"
        out.extend(body["e"])
    return out


def test_many_small_events_share_a_notification() -> None:
    events = [to_message(ExecutionCompleted(f"PX_{i}_1", "SPJ_1", i)) for i in range(40)]
    payloads = pack("node-a", events)
    assert len(payloads) == 1
    assert unpack(payloads) == events


def test_stored_log_chunks_travel_as_pointers() -> None:
    big = LogLines("PX_1_1", 7, "2025-01-01T00:00:00.000Z", "stdout", "x" * 60_000)
    [message] = unpack(pack("node-a", [to_message(big)]))
    assert message["seq"] == 7 and message["text"] is None
    assert isinstance(from_message(message), LogLines)


def test_unstored_lines_are_split_to_fit_and_joined_back_whole() -> None:
    lines = "".join(f'[2025-01-01T00:00:00.000Z] line {i} é"\\\n' for i in range(3000))
    lines += "y" * 30_000 + "\n"  # one line longer than a notification
    event = LogLines("PX_1_1", None, "2025-01-01T00:00:00.000Z", "stdout", lines)
    payloads = pack("node-a", [to_message(event)])
    assert len(payloads) > 5
    pieces = unpack(payloads)
    assert "".join(str(p["text"]) for p in pieces) == lines
    assert all(p["seq"] is None and p["execution_id"] == "PX_1_1" for p in pieces)
