"""Python handlers: callables registered by name, and the capture of what they print and log.

While a handler runs, a context variable points at its execution's :class:`LogSink`.
``sys.stdout`` / ``sys.stderr`` are replaced once by routers that send writes to the sink of the
current context (and everything else to the original stream), and a logging handler does the
same for log records. Context variables follow ``asyncio`` tasks and ``to_thread`` calls, so
concurrent handlers each capture their own output.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, TextIO

from pulse.engine.capture import LogSink
from pulse.models import LogStream


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a handler receives."""

    execution_id: str
    job_id: str
    job_name: str
    payload: Any
    scheduled_for: datetime | None
    attempt: int
    logger: logging.Logger


Handler = Callable[[RunContext], Any] | Callable[[RunContext], Awaitable[Any]]


class _Capture:
    """Receives text written by one handler; whole lines go to the sink."""

    def __init__(self, sink: LogSink, loop: Any) -> None:
        self.sink = sink
        self._loop = loop
        self._buffers: dict[LogStream, str] = {}
        self._owner = threading.get_ident()
        self._closed = False

    def write(self, stream: LogStream, text: str) -> None:
        if self._closed:
            # The run was recorded ended (a plain function's thread cannot be stopped when its
            # run is cancelled or times out): what it writes now belongs to no run.
            return
        buf = self._buffers.get(stream, "") + text
        *lines, rest = buf.split("\n")
        self._buffers[stream] = rest
        if lines:
            self._deliver(stream, lines)

    def _deliver(self, stream: LogStream, lines: list[str]) -> None:
        if threading.get_ident() == self._owner:
            self.sink.write_lines(stream, lines)
        else:  # a sync handler in a worker thread: hand the lines to the event loop
            self._loop.call_soon_threadsafe(self.sink.write_lines, stream, lines)

    def finish(self) -> None:
        self._closed = True
        for stream, rest in self._buffers.items():
            if rest:
                self.sink.write_lines(stream, [rest])
        self._buffers.clear()


_current: contextvars.ContextVar[_Capture | None] = contextvars.ContextVar(
    "pulse_capture", default=None
)


class _StreamRouter:
    """Stands in for sys.stdout / sys.stderr."""

    def __init__(self, original: TextIO, stream: LogStream) -> None:
        self._original = original
        self._stream = stream

    def write(self, text: str) -> int:
        cap = _current.get()
        if cap is None:
            return self._original.write(text)
        cap.write(self._stream, text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _LogRouter(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        cap = _current.get()
        if cap is None:
            return
        try:
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            cap.write(LogStream.LOG, text + "\n")
        except Exception:  # logging must never break a handler
            self.handleError(record)


_log_router: _LogRouter | None = None


def install_capture() -> None:
    """Route print output and log records of handlers to their executions.

    Cheap and idempotent; called before each handler runs, because something else (a test
    runner, an embedding application) may have replaced ``sys.stdout`` in the meantime."""
    global _log_router
    if not isinstance(sys.stdout, _StreamRouter):
        sys.stdout = _StreamRouter(sys.stdout, LogStream.STDOUT)
    if not isinstance(sys.stderr, _StreamRouter):
        sys.stderr = _StreamRouter(sys.stderr, LogStream.STDERR)
    if _log_router is None:
        _log_router = _LogRouter()
        root = logging.getLogger()
        root.addHandler(_log_router)
        # Handlers' INFO records should be captured; the root's default (WARNING) drops them.
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)


def begin_capture(sink: LogSink, loop: Any) -> tuple[_Capture, contextvars.Token[_Capture | None]]:
    install_capture()
    cap = _Capture(sink, loop)
    return cap, _current.set(cap)


def end_capture(cap: _Capture, token: contextvars.Token[_Capture | None]) -> None:
    _current.reset(token)
    cap.finish()


def original_stream(stream: IO[str]) -> IO[str]:
    return getattr(stream, "_original", stream)
