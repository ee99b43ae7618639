"""Capture of one execution's output: lines time-stamped and tagged with their stream, stored in
chunks as they come, published live, and capped.

The cap keeps the head and the tail of the log. The first half of the cap is written to the store
as output arrives; past it, lines go to a bounded in-memory tail (the other half of the cap), and
the oldest tail lines are dropped as new ones come. When the execution ends, a marker saying how
many bytes were dropped is stored, then the tail. Memory stays within the cap whatever the job
prints, and the disk within the cap plus the marker.

A store that fails (disk full, database away, I/O error) never stops the job: output waits in a
retry buffer of at most ``RETRY_BYTES`` per execution, written again on a timer with backoff.
When the buffer is full, the output in between is dropped and counted; only its latest
``GAP_TAIL_BYTES`` are kept (as the cap keeps a tail), since the last lines are the ones that say
how a run ended. Once a write succeeds, a ``[pulse]`` line saying how many bytes could not be
stored, and why, is stored where they went missing. A store that is only slow holds the writer
back instead (``needs_flush``), so memory stays bounded either way.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pulse.clock import Clock, format_ts
from pulse.errors import StoreFullError, StoreUnavailableError
from pulse.events import EventHub, LogLines
from pulse.models import LogChunk, LogStream
from pulse.store.base import Store

log = logging.getLogger("pulse.capture")

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
# While the store fails, this much of an execution's output is kept to be written later: the
# oldest output up to RETRY_BYTES - GAP_TAIL_BYTES, and the latest GAP_TAIL_BYTES of what came
# after; the rest is dropped (and counted) until a write succeeds.
RETRY_BYTES = 4 * FLUSH_BYTES
GAP_TAIL_BYTES = FLUSH_BYTES
RETRY_MAX_SECONDS = 5.0  # the longest wait between two writes to a failing store

_Item = tuple[datetime, LogStream, str, int]  # when, stream, text (whole lines), its UTF-8 size


@dataclass(slots=True)
class _Gap:
    """Output that came while the store failed and the retry buffer was full: the bytes
    dropped (``size``, from ``ts`` on), stored as one marker line where they were, then the
    latest of that output (``recent``, at most ``GAP_TAIL_BYTES``)."""

    cause: str
    ts: datetime | None = None
    size: int = 0
    recent: deque[_Item] = field(default_factory=deque)
    recent_bytes: int = 0

    def add(self, item: _Item, older: bool = False) -> int:
        """Keep ``item`` as the latest output (or, ``older``, before what is kept); returns the
        bytes this drops."""
        if older:
            self.recent.appendleft(item)
        else:
            self.recent.append(item)
        self.recent_bytes += item[3]
        dropped = 0
        while self.recent_bytes > GAP_TAIL_BYTES:
            old = self.recent.popleft()
            self.recent_bytes -= old[3]
            self.size += old[3]
            dropped += old[3]
            if self.ts is None or old[0] < self.ts:
                self.ts = old[0]
        return dropped

    def add_older(self, other: _Gap) -> int:
        """Merge ``other``, the gap just before this one; returns the bytes this drops."""
        if other.ts is not None and (self.ts is None or other.ts < self.ts):
            self.ts = other.ts
        self.size += other.size
        dropped = 0
        for item in reversed(other.recent):
            dropped += self.add(item, older=True)
        return dropped

    def items(self) -> list[_Item]:
        if self.ts is None:  # nothing dropped (yet): only kept output
            return list(self.recent)
        text = format_lines(
            self.ts,
            LogStream.SYSTEM,
            [f"… {self.size} bytes of output could not be stored ({self.cause}) …"],
        )
        return [(self.ts, LogStream.SYSTEM, text, _size(text)), *self.recent]


def format_lines(ts: datetime, stream: LogStream, lines: list[str]) -> str:
    prefix = f"[{format_ts(ts)}] {_TAGS[stream]}"
    return "".join(f"{prefix}{line}\n" for line in lines)


def _cause(error: BaseException) -> str:
    if isinstance(error, StoreFullError):
        return "disk full"
    if isinstance(error, StoreUnavailableError):
        return "database unavailable"
    return str(error) or type(error).__name__


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
        self._cap_dropped = 0  # bytes the cap left out (between head and tail)
        self._fault_dropped = 0  # bytes the store could not take
        # Output to store, in order; a _Gap stands where output was dropped.
        self._pending: list[_Item | _Gap] = []
        self._pending_bytes = 0  # of the output items in _pending
        self._gap_bytes = 0  # of the output kept by the gaps in _pending
        self._writing_bytes = 0  # taken from _pending by the write in progress
        self._tail: deque[_Item] = deque()
        self._tail_bytes = 0
        self._in_tail = False
        self.last_line: dict[LogStream, str] = {}
        # A timer (of its own, or the round's), not a task, until it fires: most runs end
        # before it does.
        self._round = flush_round
        self._in_round = False
        self._timer: asyncio.TimerHandle | None = None
        self._flushers: set[asyncio.Task[None]] = set()  # held: the loop keeps tasks weakly
        self._lock = asyncio.Lock()
        # Failure mode: set by a failed write, cleared by the next one that succeeds.
        self._failure: str | None = None  # the cause, as the marker says it
        self._dropping = False  # the retry buffer overflowed: drop until a write succeeds
        self._retry_delay = FLUSH_SECONDS
        self._retry_timer: asyncio.TimerHandle | None = None

    @property
    def dropped_bytes(self) -> int:
        """Output not stored: left out by the cap, or dropped while the store failed."""
        return self._cap_dropped + self._fault_dropped

    @property
    def buffered_bytes(self) -> int:
        """Output held in memory to be stored (the tail of a capped log aside)."""
        return self._pending_bytes + self._gap_bytes + self._writing_bytes

    @property
    def store_failing(self) -> bool:
        """The last write failed; output goes to the retry buffer until one succeeds."""
        return self._failure is not None

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
            room = self._head_budget - self._stored - self.buffered_bytes
            if size <= room:
                self._add((when, stream, text, size))
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
                self._add((when, stream, format_lines(when, stream, lines[:fit]), used))
                text = format_lines(when, stream, lines[fit:])
                size -= used
        self._publish(when, stream, text, None)
        self._tail.append((when, stream, text, size))
        self._tail_bytes += size
        self._trim_tail()
        self._ensure_flusher()

    def _add(self, item: _Item) -> None:
        """Queue head output for the store, or drop it when the store fails and the retry
        buffer is full."""
        size = item[3]
        if self._failure is not None and (
            self._dropping or self.buffered_bytes + size > RETRY_BYTES - GAP_TAIL_BYTES
        ):
            # Once dropping, keep dropping until the store takes writes again: one gap (and
            # one marker) per outage rather than a log full of holes.
            self._dropping = True
            last = self._pending[-1] if self._pending else None
            if not isinstance(last, _Gap):
                last = _Gap(self._failure)
                self._pending.append(last)
            dropped = last.add(item)
            self._fault_dropped += dropped
            self._gap_bytes += size - dropped
            return
        self._pending.append(item)
        self._pending_bytes += size
        self._ensure_flusher()

    def _trim_tail(self) -> None:
        """Drop the oldest tail lines until the tail fits its budget (whole lines only)."""
        while self._tail_bytes > self._tail_budget and self._tail:
            excess = self._tail_bytes - self._tail_budget
            when, stream, text, size = self._tail[0]
            if size <= excess:
                self._tail.popleft()
                self._tail_bytes -= size
                self._cap_dropped += size
                continue
            data = text.encode("utf-8", "surrogatepass")
            cut = data.find(b"\n", excess - 1) + 1 or len(data)
            rest = data[cut:].decode("utf-8", "surrogatepass")
            self._tail[0] = (when, stream, rest, size - cut)
            self._tail_bytes -= cut
            self._cap_dropped += cut
            if not rest:
                self._tail.popleft()

    def note(self, text: str) -> None:
        """A line of Pulse's own (timeout, shutdown, traceback header)."""
        self.write_lines(LogStream.SYSTEM, text.splitlines() or [""])

    @property
    def needs_flush(self) -> bool:
        """Enough output waits that the writer should await ``flush`` (backpressure). Never
        while the store fails: the job must not wait for it, its output goes to the retry
        buffer (or is dropped) instead."""
        return self._failure is None and self._pending_bytes >= FLUSH_BYTES

    # -- output -------------------------------------------------------------------------------
    def _ensure_flusher(self) -> None:
        if self._timer is not None or self._in_round or self._failure is not None:
            return  # (while the store fails, the retry timer writes)
        if self._round is not None:
            self._in_round = True
            self._round.add(self)
        else:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush_now)

    def _flush_now(self) -> None:
        self._timer = None
        self._in_round = False
        self._start(self.flush())

    def _retry_now(self) -> None:
        self._retry_timer = None
        self._start(self._write(retry=True))

    def _start(self, write: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(write)
        self._flushers.add(task)
        task.add_done_callback(self._flushers.discard)

    async def flush(self) -> None:
        """Store and publish what is pending. Never raises for a store error, and makes one
        attempt at most: a failed write keeps its output for a later retry (on a timer), and
        while the store is failing this returns at once."""
        await self._write(retry=False)

    async def _write(self, retry: bool) -> None:
        if self._failure is not None and not retry:
            return
        async with self._lock:
            if (self._failure is not None and not retry) or not self._pending:
                return
            batch, self._pending = self._pending, []
            self._writing_bytes = self.buffered_bytes
            self._pending_bytes = self._gap_bytes = 0
            gap = batch[-1] if batch else None
            if self._dropping and len(batch) > 1 and isinstance(gap, _Gap):
                # The gap stays open while the kept output is written: what is dropped in the
                # meantime joins it, so an outage leaves one marker, written next.
                batch.pop()
                self._pending.append(gap)
                self._gap_bytes = gap.recent_bytes
                self._writing_bytes -= gap.recent_bytes
            # Chunks are numbered afresh for every attempt. A write that raised may still have
            # committed (the connection broke after COMMIT): sending the same seqs again would
            # then fail on the (execution_id, seq) key forever and wedge the log, while new seqs
            # at worst store a few lines twice. So seq only ever grows, with gaps where an
            # attempt failed before committing.
            chunks = self._chunk(_items(batch))
            try:
                await self._store.append_logs(self.execution_id, chunks)
            except asyncio.CancelledError:
                self._put_back(batch)  # stored at the end with the rest, under new seqs
                raise
            except Exception as e:  # any failure of the store: the job must go on
                self._put_back(batch)
                self._failed(e)
                return
            finally:
                self._writing_bytes = 0
            if self._failure is not None:
                log.info("execution %s: the store takes its output again", self.execution_id)
            self._failure = None
            self._dropping = False
            self._retry_delay = FLUSH_SECONDS
            self.published(chunks)
            if self._pending:
                self._ensure_flusher()

    def _put_back(self, batch: list[_Item | _Gap]) -> None:
        """Return a batch that was not stored to the front of the pending output."""
        if batch and self._pending:
            last, first = batch[-1], self._pending[0]
            if isinstance(last, _Gap) and isinstance(first, _Gap):
                self._fault_dropped += first.add_older(last)
                batch.pop()
        self._pending = batch + self._pending
        self._recount()

    def _recount(self) -> None:
        self._pending_bytes = sum(e[3] for e in self._pending if not isinstance(e, _Gap))
        self._gap_bytes = sum(e.recent_bytes for e in self._pending if isinstance(e, _Gap))

    def _failed(self, error: Exception) -> None:
        """Enter (or stay in) failure mode after a failed write and schedule the retry."""
        cause = _cause(error)
        if self._failure is None:
            log.warning(
                "execution %s: cannot store output (%s); keeping up to %d bytes, retrying",
                self.execution_id,
                cause,
                RETRY_BYTES,
                exc_info=not isinstance(error, StoreUnavailableError),
            )
        self._failure = cause
        # Output that came during the failed write may not fit the retry buffer: what
        # overflows becomes the gap, at the end, so what is kept stays in order.
        if self._pending_bytes > RETRY_BYTES - GAP_TAIL_BYTES:
            last = self._pending[-1] if self._pending else None
            gap = last if isinstance(last, _Gap) else _Gap(cause)
            if gap is last:
                self._pending.pop()
            while self._pending_bytes > RETRY_BYTES - GAP_TAIL_BYTES:
                entry = self._pending.pop()
                if isinstance(entry, _Gap):
                    self._fault_dropped += gap.add_older(entry)
                else:
                    self._pending_bytes -= entry[3]
                    self._fault_dropped += gap.add(entry, older=True)
            self._pending.append(gap)
            self._recount()
            self._dropping = True
        if self._retry_timer is not None:
            self._retry_timer.cancel()
        self._retry_timer = asyncio.get_running_loop().call_later(
            self._retry_delay, self._retry_now
        )
        self._retry_delay = min(self._retry_delay * 2, RETRY_MAX_SECONDS)

    def published(self, chunks: list[LogChunk]) -> None:
        """Announce stored chunks to live followers."""
        for ch in chunks:
            self._stored += _size(ch.text)
            self._publish(ch.ts, ch.stream, ch.text, ch.seq)

    def _chunk(self, items: list[_Item]) -> list[LogChunk]:
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
        """End the capture. Returns the chunks not stored yet (pending head lines with what the
        retry buffer holds and the markers of output the store could not take, then the cap's
        drop marker and the tail) for the caller to store with the end of the execution in one
        write, and those of them to announce once stored (``published``): all but the cap's
        marker and the tail, which were shown live already."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._in_round and self._round is not None:
            self._round.discard(self)
            self._in_round = False
        if self._retry_timer is not None:
            self._retry_timer.cancel()
            self._retry_timer = None
        async with self._lock:  # a flush in progress finishes first, keeping seq order
            head = self._chunk(_items(self._pending))
            self._pending = []
            self._pending_bytes = self._gap_bytes = 0
            rest: list[_Item] = []
            if self._cap_dropped:
                now = self._clock.now()
                cap = self._head_budget + self._tail_budget
                marker = format_lines(
                    now,
                    LogStream.SYSTEM,
                    [
                        f"… {self._cap_dropped} bytes dropped (log cap {cap} bytes: "
                        "the head and the tail are kept) …"
                    ],
                )
                self._publish(now, LogStream.SYSTEM, marker, None)
                rest.append((now, LogStream.SYSTEM, marker, _size(marker)))
            rest.extend(self._tail)
            self._tail.clear()
            self._tail_bytes = 0
            return head + self._chunk(rest), head


def _items(entries: list[_Item | _Gap]) -> list[_Item]:
    out: list[_Item] = []
    for e in entries:
        if isinstance(e, _Gap):
            out.extend(e.items())
        else:
            out.append(e)
    return out


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
