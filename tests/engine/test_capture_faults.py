"""Log capture under store faults: a full disk or a failing database never blocks the job, the
retry buffer stays bounded, the log says where output went missing, and a slow store holds the
writer back instead of growing memory."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from pulse import Pulse, Settings
from pulse.clock import SystemClock
from pulse.engine import capture
from pulse.engine.capture import FLUSH_BYTES, RETRY_BYTES, LogSink
from pulse.engine.runner import READ_SIZE
from pulse.errors import StoreError, StoreFullError
from pulse.events import EventHub
from pulse.jobs import new_job
from pulse.models import ExecutionStatus, LogChunk, LogStream
from pulse.store.sqlite import SQLiteStore

EID = "PX_capture"
LINE = 100  # bytes of a test line, newline included, before the time stamp


class FaultyStore(SQLiteStore):
    """A real SQLite store whose ``append_logs`` raises ``fault`` while it is set (after
    committing when ``commit_then_fail``: the ambiguous failure of a connection lost after
    COMMIT), and sleeps ``delay`` seconds first when set (a slow disk)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.fault: StoreError | None = None
        self.commit_then_fail = False
        self.delay = 0.0
        self.failures = 0

    async def append_logs(self, execution_id: str, chunks: Sequence[LogChunk]) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fault is not None:
            if self.commit_then_fail:
                await super().append_logs(execution_id, chunks)
            self.failures += 1
            raise self.fault
        await super().append_logs(execution_id, chunks)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FaultyStore]:
    s = FaultyStore(tmp_path / "pulse.db")
    await s.open()
    yield s
    await s.close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The backoff's ceiling, short so a test sees the store's recovery soon after it happens.
    monkeypatch.setattr(capture, "RETRY_MAX_SECONDS", 0.2)


def new_sink(store: FaultyStore, cap: int = 1 << 30) -> LogSink:
    return LogSink(EID, store, EventHub(), SystemClock(), cap)


class Writer:
    """Feeds a sink as the runner's output reader does: numbered lines in reads of at most
    ``READ_SIZE`` bytes, awaiting ``flush`` whenever the sink asks for it. Records the most
    output the sink held and the longest a flush took."""

    def __init__(self, sink: LogSink) -> None:
        self.sink = sink
        self.n = 0
        self.most_buffered = 0
        self.longest_flush = 0.0
        self.waited = 0.0

    async def write(self, nbytes: int) -> None:
        per_read = READ_SIZE // LINE
        for _ in range(max(1, nbytes // (per_read * LINE))):
            lines = [f"line {self.n + i:09d} ".ljust(LINE - 1, "x") for i in range(per_read)]
            self.n += per_read
            self.sink.write_lines(LogStream.STDOUT, lines)
            self.most_buffered = max(self.most_buffered, self.sink.buffered_bytes)
            if self.sink.needs_flush:
                t = time.monotonic()
                await self.sink.flush()
                took = time.monotonic() - t
                self.longest_flush = max(self.longest_flush, took)
                self.waited += took
            await asyncio.sleep(0)  # as a pipe read would: timers get their turn


async def settled(sink: LogSink, seconds: float = 20) -> None:
    """Wait until the sink has stored what it holds (the retry timer does it by itself)."""
    deadline = time.monotonic() + seconds
    while sink.store_failing or sink.buffered_bytes:
        assert time.monotonic() < deadline, "the sink did not recover"
        await asyncio.sleep(0.05)
        if not sink.store_failing:
            await sink.flush()


async def stored(store: SQLiteStore, execution_id: str = EID) -> list[LogChunk]:
    return [c async for c in store.iter_logs(execution_id)]


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\] line (\d{9}) ", text)]


def gap_sizes(text: str, cause: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            rf"\[pulse\] … (\d+) bytes of output could not be stored \({cause}\)", text
        )
    ]


async def test_it_keeps_the_job_going_while_the_disk_is_full_and_marks_the_gap_once_space_returns(
    store: FaultyStore,
) -> None:
    sink = new_sink(store)
    w = Writer(sink)
    await w.write(FLUSH_BYTES)  # stored while the disk has room
    await sink.flush()
    store.fault = StoreFullError("database or disk is full")
    started = time.monotonic()
    await w.write(50 * 1024 * 1024)
    assert sink.store_failing
    assert w.longest_flush < 1.0  # the reader never waits for a failing store
    assert time.monotonic() - started < 30
    assert w.most_buffered <= RETRY_BYTES  # 50 MiB went by, at most this much was held
    assert not sink.needs_flush

    store.fault = None  # space returns: the job goes on printing, and it is stored
    deadline = time.monotonic() + 20
    while sink.store_failing:
        assert time.monotonic() < deadline, "the sink did not recover"
        await w.write(READ_SIZE)
        await asyncio.sleep(0.01)
    await w.write(FLUSH_BYTES)
    await settled(sink)

    chunks = await stored(store)
    seqs = [c.seq for c in chunks]
    assert seqs == sorted(set(seqs))
    text = "".join(c.text for c in chunks)
    [dropped] = gap_sizes(text, "disk full")  # one outage, one marker
    assert dropped == sink.dropped_bytes > 45 * 1024 * 1024
    nums = numbers(text)
    assert nums == sorted(set(nums))  # nothing twice, nothing out of order
    assert nums[-1] == w.n - 1  # output after the recovery is stored
    before, after = text.split("could not be stored", 1)
    # The marker stands exactly where lines went missing; after it, the latest lines of the
    # outage and everything since, without a hole.
    assert numbers(after)[0] - numbers(before)[-1] > 1
    assert numbers(after) == list(range(numbers(after)[0], w.n))
    lines_stored = sum(1 for ln in text.splitlines() if "] line " in ln)
    assert lines_stored * (LINE + len("[2025-01-01T00:00:00.000Z] ")) + dropped == pytest.approx(
        sink.total_bytes, rel=0.01
    )


async def test_output_written_during_a_short_outage_is_stored_whole_and_in_order(
    store: FaultyStore,
) -> None:
    sink = new_sink(store)
    w = Writer(sink)
    store.fault = StoreError("SQLite: disk I/O error")
    await w.write(FLUSH_BYTES * 2)  # fits the retry buffer: nothing is dropped
    await sink.flush()
    assert sink.store_failing and store.failures >= 1
    store.fault = None
    await settled(sink)
    text = "".join(c.text for c in await stored(store))
    assert numbers(text) == list(range(w.n))
    assert "could not be stored" not in text and sink.dropped_bytes == 0


async def test_a_write_that_failed_after_committing_never_wedges_the_log(
    store: FaultyStore,
) -> None:
    sink = new_sink(store)
    w = Writer(sink)
    store.fault = StoreError("SQLite: disk I/O error")
    store.commit_then_fail = True  # stored, but the sink cannot know it
    await w.write(FLUSH_BYTES)
    await sink.flush()
    assert store.failures == 1
    store.fault = None
    await w.write(FLUSH_BYTES)
    await settled(sink)
    chunks = await stored(store)
    seqs = [c.seq for c in chunks]
    assert seqs == sorted(set(seqs))  # written again under new seqs, not refused as duplicates
    nums = numbers("".join(c.text for c in chunks))
    assert sorted(set(nums)) == list(range(w.n))  # every line, some of them twice


async def test_a_slow_store_holds_the_writer_back_so_memory_stays_bounded(
    store: FaultyStore,
) -> None:
    sink = new_sink(store)
    w = Writer(sink)
    store.delay = 0.02
    await w.write(8 * 1024 * 1024)
    assert w.waited > 0.2  # the writer waited for the store...
    # ...instead of piling up: at most one batch being written (a timer's flush may have taken
    # it) and one waiting for it.
    assert w.most_buffered <= 2 * FLUSH_BYTES + READ_SIZE + 64 * 1024
    assert not sink.store_failing
    await settled(sink)
    text = "".join(c.text for c in await stored(store))
    assert numbers(text) == list(range(w.n)) and sink.dropped_bytes == 0


async def test_the_rest_of_a_run_ended_during_an_outage_holds_the_kept_output_and_the_marker(
    store: FaultyStore,
) -> None:
    sink = new_sink(store, cap=64 * 1024 * 1024)
    w = Writer(sink)
    await w.write(FLUSH_BYTES)
    await sink.flush()
    store.fault = StoreFullError("database or disk is full")
    await w.write(4 * 1024 * 1024)
    sink.note("timed out after 5 s")  # the buffer is full: kept with the gap's latest output
    assert sink.store_failing

    rest, announce = await sink.take_rest()
    assert announce == rest  # none of it was shown live
    store.fault = None
    await store.append_logs(EID, rest)  # as the end of the execution stores it
    chunks = await stored(store)
    seqs = [c.seq for c in chunks]
    assert seqs == sorted(set(seqs))
    text = "".join(c.text for c in chunks)
    [dropped] = gap_sizes(text, "disk full")
    assert dropped == sink.dropped_bytes > 2 * 1024 * 1024
    before, after = text.split("could not be stored (disk full) …\n")
    kept = numbers(before)  # the output up to the gap...
    assert kept == list(range(len(kept))) and len(kept) * LINE >= RETRY_BYTES / 2
    latest = numbers(after)  # ...and the latest output, up to the note that ends the run
    assert latest == list(range(latest[0], w.n)) and latest[0] > kept[-1] + 1
    assert after.endswith("[pulse] timed out after 5 s\n")


async def test_the_cap_marker_counts_only_what_the_cap_left_out(store: FaultyStore) -> None:
    sink = new_sink(store, cap=8 * 1024 * 1024)
    w = Writer(sink)
    store.fault = StoreFullError("database or disk is full")
    await w.write(2 * 1024 * 1024)  # over the retry buffer: dropped for the store
    store.fault = None
    await settled(sink)
    await w.write(12 * 1024 * 1024)  # past the head: the cap keeps the tail
    await settled(sink)
    rest, _ = await sink.take_rest()
    await store.append_logs(EID, rest)
    text = "".join(c.text for c in await stored(store))
    [for_store] = gap_sizes(text, "disk full")
    [for_cap] = [int(n) for n in re.findall(r"… (\d+) bytes dropped \(log cap", text)]
    assert for_store > 0 and for_cap > 0 and for_store + for_cap == sink.dropped_bytes
    assert numbers(text)[-1] == w.n - 1  # the tail is whole


async def test_a_command_printing_20_mb_finishes_while_every_log_write_fails(
    tmp_path: Path,
) -> None:
    store = FaultyStore(tmp_path / "pulse.db")
    p = Pulse(Settings(data_dir=tmp_path, node_id="n"), store=store)
    await p.start(loops=False)
    try:
        store.fault = StoreFullError("database or disk is full")  # end records still work
        command = r"head -c 20000000 /dev/zero | tr '\0' x | fold -w 100; echo; echo done"
        job = await p.store.create_job(
            new_job({"name": "x", "command": command, "interval_seconds": 60}, p.clock.now())
        )
        req = await p.engine.trigger(job)
        # Were the child blocked on a full pipe, this would never end.
        assert await asyncio.wait_for(p.engine.run_pending(), 60) == 1
        e = await p.store.get_execution(req.execution_id)
        assert e.status is ExecutionStatus.COMPLETED and e.result_summary == "done"
        assert e.log_bytes > 20_000_000 and e.log_dropped_bytes > 15_000_000
        assert store.failures >= 1
        text = "".join(c.text for c in await stored(store, req.execution_id))
        [dropped] = gap_sizes(text, "disk full")
        assert dropped == e.log_dropped_bytes
    finally:
        await p.stop()
