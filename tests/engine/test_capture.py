"""Log capture: the cap keeps head and tail, bad bytes are replaced, long lines are split."""

from __future__ import annotations

from pathlib import Path

from pulse import Pulse, Settings
from pulse.engine.capture import MAX_LINE, LineSplitter
from pulse.jobs import new_job
from pulse.models import ExecutionStatus


async def run_command(
    tmp_path: Path, command: str, cap: int = 10 * 1024 * 1024
) -> tuple[Pulse, str]:
    p = Pulse(Settings(data_dir=tmp_path, node_id="n", log_cap_bytes=cap))
    await p.start(loops=False)
    job = await p.store.create_job(
        new_job({"name": "x", "command": command, "interval_seconds": 60}, p.clock.now())
    )
    req = await p.engine.trigger(job)
    await p.engine.run_pending()
    return p, req.execution_id


async def test_past_the_cap_the_head_and_tail_are_kept_with_a_marker(tmp_path: Path) -> None:
    cap = 64 * 1024
    p, eid = await run_command(tmp_path, "seq 1 200000", cap=cap)  # about 7 MB of log lines
    try:
        e = await p.store.get_execution(eid)
        assert e.status is ExecutionStatus.COMPLETED
        assert e.result_summary == "200000"  # the real last line, though most were dropped
        text = "".join([c.text async for c in p.store.iter_logs(eid)])
        stored = len(text.encode())
        assert stored <= cap + 200  # the marker line is the only excess
        assert e.log_truncated and e.log_dropped_bytes > 6_000_000
        lines = text.splitlines()
        marker_bytes = len(lines[_marker_index(text)].encode()) + 1
        assert e.log_bytes == e.log_dropped_bytes + stored - marker_bytes  # nothing else lost
        assert lines[0].endswith("] 1")  # head
        assert lines[-1].endswith("] 200000")  # tail
        marker = lines[_marker_index(text)]
        assert f"{e.log_dropped_bytes} bytes dropped" in marker and "[pulse]" in marker
    finally:
        await p.stop()


def _marker_index(text: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines()) if "bytes dropped" in ln)


async def test_output_that_is_not_utf8_is_kept_with_replacement_characters(tmp_path: Path) -> None:
    p, eid = await run_command(tmp_path, r"printf 'caf\351 ok\n\377\376 end\n'; echo fine")
    try:
        e = await p.store.get_execution(eid)
        assert e.status is ExecutionStatus.COMPLETED
        text = "".join([c.text async for c in p.store.iter_logs(eid)])
        assert "caf\ufffd ok" in text and "\ufffd\ufffd end" in text and "] fine" in text
    finally:
        await p.stop()


def test_a_line_without_end_is_split_so_memory_stays_bounded() -> None:
    split = LineSplitter()
    lines = split.feed(b"x" * (3 * MAX_LINE + 10))
    assert [len(x) for x in lines] == [MAX_LINE] * 3
    assert split.finish() == ["x" * 10]


def test_a_multibyte_character_split_across_reads_is_decoded_whole() -> None:
    split = LineSplitter()
    data = "naïve ✓\n".encode()
    assert split.feed(data[:3]) == []
    assert split.feed(data[3:]) == ["naïve ✓"]


async def test_a_large_log_streams_back_complete_and_in_order(tmp_path: Path) -> None:
    p, eid = await run_command(tmp_path, "seq 1 300000")
    try:
        e = await p.store.get_execution(eid)
        assert not e.log_truncated
        n = 0
        async for chunk in p.store.iter_logs(eid):
            for line in chunk.text.splitlines():
                n += 1
                assert line.endswith(f"] {n}")
        assert n == 300000
    finally:
        await p.stop()
