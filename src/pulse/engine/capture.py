"""Capture of one execution's output: lines time-stamped and tagged with their stream, stored in
chunks as they come, published live, and capped.

The cap keeps the head and the tail of the log. The first half of the cap is written to the store
as output arrives; past it, lines go to a bounded in-memory tail (the other half of the cap), and
the oldest tail lines are dropped as new ones come. When the execution ends, a marker saying how
many bytes were dropped is stored, then the tail. Memory stays within the cap whatever the job
prints, and the disk within the cap plus the marker.
"""

from __future__ import annotations

import asyncio
import codecs
from collections import deque
from datetime import datetime

from pulse.clock import Clock, format_ts
from pulse.errors import StoreUnavailableError
from pulse.events import EventHub, LogLines
from pulse.models import LogChunk, LogStream
from pulse.store.base import Store

_TAGS = {
    LogStream.STDOUT: "",
    LogStream.STDERR: "[stderr] ",
    LogStream.LOG: "[log] ",
    LogStream.SYSTEM: "[pulse] ",
}
MAX_LINE = 64 * 1024  # a longer line is split, so one endless line cannot grow memory
CHUNK_BYTES = 64 * 1024  # consecutive lines of one stream are stored together up to this size
FLUSH_BYTES = 256 * 1024  # pending output that makes the writer wait for the store
FLUSH_SECONDS = 0.25


def format_lines(ts: datetime, stream: LogStream, lines: list[str]) -> str:
    prefix = f"[{format_ts(ts)}] {_TAGS[stream]}"
    return "".join(f"{prefix}{line}\n" for line in lines)


class FlushRound:
    """Flushes the waiting output of many sinks with one timer, every ``FLUSH_SECONDS`` while
    any sink has output waiting, instead of a timer per execution."""

    def __init__(self) -> None:
        self._sinks: set[LogSink] = set()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, sink: LogSink) -> None:
        self._sinks.add(sink)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._fire)

    def discard(self, sink: LogSink) -> None:
        self._sinks.discard(sink)

    def _fire(self) -> None:
        self._timer = None
        sinks, self._sinks = self._sinks, set()
        for sink in sinks:
            sink._flush_now()


class LogSink:
    """Receives the output of one execution. ``write`` is called from the event loop."""

    def __init__(
        self,
        execution_id: str,
        store: Store,
        hub: EventHub,
        clock: Clock,
        cap_bytes: int,
        flush_round: FlushRound | None = None,
    ) -> None:
        self.execution_id = execution_id
        self._store = store
        self._hub = hub
        self._clock = clock
        self._head_budget = cap_bytes // 2
        self._tail_budget = cap_bytes - self._head_budget
        self._seq = 0
        self._stored = 0
        self.total_bytes = 0
        self.dropped_bytes = 0
        self._pending: list[tuple[datetime, LogStream, str, int]] = []
        self._pending_bytes = 0
        self._tail: deque[tuple[datetime, LogStream, str, int]] = deque()
        self._tail_bytes = 0
        self._in_tail = False
        self.last_line: dict[LogStream, str] = {}
        # A timer (of its own, or the round's), not a task, until it fires: most runs end
        # before it does.
        self._round = flush_round
        self._in_round = False
        self._timer: asyncio.TimerHandle | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # -- input --------------------------------------------------------------------------------
    def write_lines(self, stream: LogStream, lines: list[str], ts: datetime | None = None) -> None:
        """Add whole lines (without their newline) of ``stream``."""
        if not lines:
            return
        if not all(line.isascii() for line in lines):
            lines = [_encodable(line) for line in lines]
        when = ts or self._clock.now()
        for line in reversed(lines):
            if line.strip():
                self.last_line[stream] = line
                break
        text = format_lines(when, stream, lines)
        size = _size(text)
        self.total_bytes += size
        if not self._in_tail:
            room = self._head_budget - self._stored - self._pending_bytes
            if size <= room:
                self._pending.append((when, stream, text, size))
                self._pending_bytes += size
                self._ensure_flusher()
                return
            # The head fills up within this block: keep the lines that fit, the rest is tail.
            self._in_tail = True
            fit = 0
            used = 0
            for line in lines:
                n = _size(format_lines(when, stream, [line]))
                if used + n > room:
                    break
                used += n
                fit += 1
            if fit:
                head = format_lines(when, stream, lines[:fit])
                self._pending.append((when, stream, head, used))
                self._pending_bytes += used
                text = format_lines(when, stream, lines[fit:])
                size -= used
        self._publish(when, stream, text, None)
        self._tail.append((when, stream, text, size))
        self._tail_bytes += size
        self._trim_tail()
        self._ensure_flusher()

    def _trim_tail(self) -> None:
        """Drop the oldest tail lines until the tail fits its budget (whole lines only)."""
        while self._tail_bytes > self._tail_budget and self._tail:
            excess = self._tail_bytes - self._tail_budget
            when, stream, text, size = self._tail[0]
            if size <= excess:
                self._tail.popleft()
                self._tail_bytes -= size
                self.dropped_bytes += size
                continue
            data = text.encode("utf-8", "surrogatepass")
            cut = data.find(b"\n", excess - 1) + 1 or len(data)
            rest = data[cut:].decode("utf-8", "surrogatepass")
            self._tail[0] = (when, stream, rest, size - cut)
            self._tail_bytes -= cut
            self.dropped_bytes += cut
            if not rest:
                self._tail.popleft()

    def note(self, text: str) -> None:
        """A line of Pulse's own (timeout, shutdown, traceback header)."""
        self.write_lines(LogStream.SYSTEM, text.splitlines() or [""])

    @property
    def needs_flush(self) -> bool:
        return self._pending_bytes >= FLUSH_BYTES

    # -- output -------------------------------------------------------------------------------
    def _ensure_flusher(self) -> None:
        if self._timer is not None or self._in_round:
            return
        if self._round is not None:
            self._in_round = True
            self._round.add(self)
        else:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush_now)

    def _flush_now(self) -> None:
        self._timer = None
        self._in_round = False
        self._flusher = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        """Store and publish what is pending."""
        async with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, []
            self._pending_bytes = 0
            chunks = self._chunk(pending)
            delay = 0.2
            while True:  # while the database is away, output waits (and the job with it)
                try:
                    await self._store.append_logs(self.execution_id, chunks)
                    break
                except StoreUnavailableError:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self.published(chunks)

    def published(self, chunks: list[LogChunk]) -> None:
        """Announce stored chunks to live followers."""
        for ch in chunks:
            self._stored += _size(ch.text)
            self._publish(ch.ts, ch.stream, ch.text, ch.seq)

    def _chunk(self, items: list[tuple[datetime, LogStream, str, int]]) -> list[LogChunk]:
        chunks: list[LogChunk] = []
        cur_stream: LogStream | None = None
        cur_ts: datetime | None = None
        parts: list[str] = []
        size = 0
        for when, stream, text, n in items:
            if parts and (stream != cur_stream or size + n > CHUNK_BYTES):
                self._seq += 1
                assert cur_ts is not None and cur_stream is not None
                chunks.append(LogChunk(self._seq, cur_ts, cur_stream, "".join(parts)))
                parts, size = [], 0
            if not parts:
                cur_stream, cur_ts = stream, when
            parts.append(text)
            size += n
        if parts:
            self._seq += 1
            assert cur_ts is not None and cur_stream is not None
            chunks.append(LogChunk(self._seq, cur_ts, cur_stream, "".join(parts)))
        return chunks

    def _publish(self, ts: datetime, stream: LogStream, text: str, seq: int | None) -> None:
        if self._hub.wants_logs(self.execution_id):
            self._hub.publish(LogLines(self.execution_id, seq, format_ts(ts), stream.value, text))

    async def take_rest(self) -> tuple[list[LogChunk], list[LogChunk]]:
        """End the capture. Returns the chunks not stored yet (pending head lines, then the drop
        marker and the tail) for the caller to store with the end of the execution in one
        write, and those of them to announce once stored (``published``): the head lines, as
        the marker and the tail were shown live already."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._in_round and self._round is not None:
            self._round.discard(self)
            self._in_round = False
        async with self._lock:  # a flush in progress finishes first, keeping seq order
            head = self._chunk(self._pending)
            self._pending = []
            self._pending_bytes = 0
            rest: list[tuple[datetime, LogStream, str, int]] = []
            if self.dropped_bytes:
                now = self._clock.now()
                cap = self._head_budget + self._tail_budget
                marker = format_lines(
                    now,
                    LogStream.SYSTEM,
                    [
                        f"… {self.dropped_bytes} bytes dropped (log cap {cap} bytes: "
                        "the head and the tail are kept) …"
                    ],
                )
                self._publish(now, LogStream.SYSTEM, marker, None)
                rest.append((now, LogStream.SYSTEM, marker, _size(marker)))
            rest.extend(self._tail)
            self._tail.clear()
            self._tail_bytes = 0
            return head + self._chunk(rest), head


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class LineSplitter:
    """Turns a byte stream into lines: decodes UTF-8 incrementally (invalid bytes become U+FFFD,
    never an error) and splits over-long lines at ``MAX_LINE`` characters."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""

    def feed(self, data: bytes) -> list[str]:
        text = self._partial + self._decoder.decode(data)
        lines = text.split("\n")
        self._partial = lines.pop()
        while len(self._partial) > MAX_LINE:
            lines.append(self._partial[:MAX_LINE])
            self._partial = self._partial[MAX_LINE:]
        return [ln.removesuffix("\r") for ln in lines]

    def finish(self) -> list[str]:
        text = self._partial + self._decoder.decode(b"", final=True)
        self._partial = ""
        return [text] if text else []


def _encodable(text: str) -> str:
    """``text`` as UTF-8 can hold it: a handler may print lone surrogates (e.g. from a file name
    decoded with ``surrogateescape``); they are kept as replacement characters, as undecodable
    bytes of a command's output are."""
    try:
        text.encode()
    except UnicodeEncodeError:
        try:  # bytes smuggled by surrogateescape: back to those bytes, then one U+FFFD each
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogatepass")
        return data.decode("utf-8", "replace")
    return text
