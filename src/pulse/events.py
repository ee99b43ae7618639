"""Events Pulse announces, and the hub that fans them out to subscribers (WebSocket clients,
tests, other nodes).

Each subscriber has a bounded queue. Publishing never waits: a subscriber whose queue is full is
cut off (its ``overflowed`` flag is set and it is dropped), so a slow or dead WebSocket client can
never slow the scheduler. A WebSocket client that is cut off reconnects and re-reads state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

JobChange = Literal["created", "updated", "deleted", "skipped", "missed"]


@dataclass(frozen=True, slots=True)
class ExecutionStarted:
    execution_id: str
    job_id: str
    type: Literal["pulse_execution_started"] = "pulse_execution_started"


@dataclass(frozen=True, slots=True)
class ExecutionCompleted:
    execution_id: str
    job_id: str
    duration_ms: int
    type: Literal["pulse_execution_completed"] = "pulse_execution_completed"


@dataclass(frozen=True, slots=True)
class ExecutionFailed:
    execution_id: str
    job_id: str
    error: str
    type: Literal["pulse_execution_failed"] = "pulse_execution_failed"


@dataclass(frozen=True, slots=True)
class ExecutionCancelling:
    """Someone asked to cancel a running execution: the node running it stops it (its end, a
    ``pulse_execution_failed`` with "cancelled", follows)."""

    execution_id: str
    job_id: str
    requested_at: str
    type: Literal["pulse_execution_cancelling"] = "pulse_execution_cancelling"


@dataclass(frozen=True, slots=True)
class JobChanged:
    job_id: str
    change: JobChange
    type: Literal["pulse_job_changed"] = "pulse_job_changed"


@dataclass(frozen=True, slots=True)
class LogLines:
    """Lines of a running execution's log, as captured. ``seq`` is the stored chunk's number, or
    None for lines past the log cap that are shown live but not kept."""

    execution_id: str
    seq: int | None
    ts: str
    stream: str
    text: str
    type: Literal["pulse_execution_log"] = "pulse_execution_log"


Event = (
    ExecutionStarted
    | ExecutionCompleted
    | ExecutionFailed
    | ExecutionCancelling
    | JobChanged
    | LogLines
)


def to_message(event: Event) -> dict[str, Any]:
    """The JSON object sent over the WebSocket, with ``type`` first."""
    body = asdict(event)
    return {"type": body.pop("type"), **body}


def from_message(message: dict[str, Any]) -> Event:
    """The inverse of :func:`to_message` (for events that crossed nodes)."""
    kinds: dict[str, type[Event]] = {
        "pulse_execution_started": ExecutionStarted,
        "pulse_execution_completed": ExecutionCompleted,
        "pulse_execution_failed": ExecutionFailed,
        "pulse_execution_cancelling": ExecutionCancelling,
        "pulse_job_changed": JobChanged,
        "pulse_execution_log": LogLines,
    }
    body = dict(message)
    kind = kinds[body.pop("type")]
    return kind(**body)


class Subscriber:
    """One receiver of events, with a bounded buffer. Log lines reach it only for the
    executions it follows."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.follows: set[str] = set()
        self.overflowed = False
        self.all_logs = False
        self.local_only = False  # e.g. the bridge that forwards this node's events to others

    def wants(self, event: Event, remote: bool = False) -> bool:
        if remote and self.local_only:
            return False
        if isinstance(event, LogLines):
            return self.all_logs or event.execution_id in self.follows
        return True

    async def get(self) -> Event:
        return await self.queue.get()

    def close(self) -> None:
        self._hub.unsubscribe(self)


class EventHub:
    """In-process fan-out of events to subscribers."""

    def __init__(self, buffer: int = 2000) -> None:
        self._subscribers: set[Subscriber] = set()
        self._buffer = buffer

    def subscribe(
        self, *, all_logs: bool = False, buffer: int | None = None, local_only: bool = False
    ) -> Subscriber:
        sub = Subscriber(self, buffer or self._buffer)
        sub.all_logs = all_logs
        sub.local_only = local_only
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def wants_logs(self, execution_id: str) -> bool:
        """Whether any subscriber, bridges included, takes log lines of ``execution_id``: when
        none does, capture need not build the event at all."""
        return any(s.all_logs or execution_id in s.follows for s in self._subscribers)

    def follows(self, execution_id: str) -> bool:
        """Whether a subscriber here wants the log lines of ``execution_id`` (bridges aside)."""
        return any(
            not s.local_only and (s.all_logs or execution_id in s.follows)
            for s in self._subscribers
        )

    def publish(self, event: Event, *, remote: bool = False) -> None:
        """Deliver ``event`` to every interested subscriber without waiting. ``remote`` marks
        an event that happened on another node (bridges do not send it back out)."""
        for sub in list(self._subscribers):
            if not sub.wants(event, remote):
                continue
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                sub.overflowed = True
                self._subscribers.discard(sub)


class EventBridge(Protocol):
    """Carries events between nodes (see :mod:`pulse.store.pg_events`), and word that run
    requests were queued, so that every node's workers look for them at once."""

    on_remote_queued: Callable[[], None]

    def announce_queued(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
