"""``pulse store copy``: a real SQLite history moved into a fresh PostgreSQL database, compared
field by field through the Store API, interrupted and resumed, rerun, and driven through the
command line."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pulse.models import (
    Execution,
    ExecutionStatus,
    JobState,
    LogChunk,
    LogStream,
    Overlap,
    Schedule,
    Target,
    Trigger,
)
from pulse.store.base import NodeInfo, Store
from pulse.store.copy import CopyError, CopyReport, Progress, copy_store
from pulse.store.postgres import PostgresStore
from pulse.store.sqlite import SQLiteStore
from tests.store import builders as b
from tests.store.builders import at

pytestmark = pytest.mark.postgres

PULSE = Path(sys.executable).with_name("pulse")
COMPLETED = ExecutionStatus.COMPLETED
FAILED = ExecutionStatus.FAILED


class Stop(Exception):
    """Raised from the progress callback to interrupt a copy between two batches."""


async def run(
    store: Store,
    job_id: str,
    started: float,
    status: ExecutionStatus | None = COMPLETED,
    logs: list[str] | None = None,
    stream: LogStream = LogStream.STDOUT,
) -> str:
    """One execution of a job at ``at(started)`` with ``logs`` as its chunks, the first ones
    appended while it runs and the last one with its end; ``status`` None leaves it running."""
    req = await store.enqueue(b.request(job_id, created_at=at(started), trigger=Trigger.MANUAL))
    await store.claim_run_requests("old-node", 100, at(started))
    await b.start_execution(store, b.execution(req, started_at=at(started), node_id="old-node"))
    chunks = b.chunks(logs or [], stream=stream)
    if status is None:
        await store.append_logs(req.execution_id, chunks)
        return req.execution_id
    await store.append_logs(req.execution_id, chunks[:-1])
    size = sum(len(c.text.encode()) for c in chunks)
    await store.finish_execution(
        req.execution_id,
        b.result(status, completed_at=at(started + 1.5), log_bytes=size),
        chunks[-1:],
    )
    return req.execution_id


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """A SQLite store with a varied history: cron and interval jobs, a paused handler job with
    a payload, completed, failed and running executions, small logs (kept in the seed's
    ``logs`` column too) and a large one (chunks only), a NUL in a log, queued requests."""
    store = SQLiteStore(tmp_path / "pulse.db")
    await store.open()
    cron = await store.create_job(b.job(name="backup", description="nightly"))
    every = await store.create_job(
        b.job(
            name="poll",
            schedule=Schedule(interval_seconds=30),
            timeout_seconds=12.5,
            overlap=Overlap.ALLOW,
        )
    )
    handler = await store.create_job(
        b.job(
            name="report",
            schedule=Schedule(cron="0 9 * * 1", timezone="America/New_York"),
            target=Target(handler="reports.weekly", payload={"to": ["a@b.c"], "n": 3}),
            state=JobState.PAUSED,
            next_run_at=None,
        )
    )
    for i in range(12):
        status = FAILED if i % 4 == 3 else COMPLETED
        await run(store, cron.id, i * 60, status, [f"line {i}.{k}\n" for k in range(i % 5 + 1)])
    for i in range(7):
        await run(store, every.id, 1000 + i * 30, COMPLETED, ["ok\n"])
    big = ["x" * 50_000 + "\n" for _ in range(3)]  # > 64 KiB: the seed's logs column stays NULL
    await run(store, handler.id, 2000, COMPLETED, big, stream=LogStream.LOG)
    await run(store, handler.id, 2100, FAILED, ["bad\x00byte é ✓\n", "Traceback…\n"])
    await run(store, every.id, 3000, None, ["still going\n"])  # running
    await store.enqueue(b.request(cron.id, created_at=at(4000), trigger=Trigger.MANUAL))
    await store.enqueue(b.request(every.id, created_at=at(4001), trigger=Trigger.MANUAL))
    yield store
    await store.close()


@pytest.fixture
async def target(postgres_url: str) -> AsyncIterator[PostgresStore]:
    store = PostgresStore(postgres_url)
    await store.open()
    yield store
    await store.close()


def sqlite_url(store: SQLiteStore) -> str:
    return f"sqlite:///{store.path}"


async def copy(source: SQLiteStore, target: PostgresStore, **kw: Any) -> CopyReport:
    # copy_store blocks; in a thread, so the stores' own threads and loop stay free.
    return await asyncio.to_thread(copy_store, sqlite_url(source), target.url, **kw)


async def history(store: Store) -> dict[str, Any]:
    """Everything the Store API shows of a store: jobs, every execution (listed, and fetched
    one by one), every log chunk, and the totals kept by the counters."""
    out: dict[str, Any] = {"jobs": await store.list_jobs()}
    for job in out["jobs"]:
        page = await store.list_executions(job.id, limit=10_000, offset=0)
        executions: list[Execution] = page.items
        assert page.total == len(executions)
        out[job.id] = {
            "total": page.total,
            "by_status": {
                s: (await store.list_executions(job.id, 1, 0, s)).total for s in ExecutionStatus
            },
            "executions": executions,
            "fetched": [await store.get_execution(e.id) for e in executions],
            "logs": {e.id: [c async for c in store.iter_logs(e.id, batch=2)] for e in executions},
        }
    return out


def without_nul(h: dict[str, Any]) -> dict[str, Any]:
    """The source's history as PostgreSQL holds it: NUL is replaced by U+FFFD."""

    def clean(c: LogChunk) -> LogChunk:
        return replace(c, text=c.text.replace("\x00", "\ufffd"))

    for key, value in h.items():
        if key != "jobs":
            value["logs"] = {e: [clean(c) for c in cs] for e, cs in value["logs"].items()}
    return h


def sqlite_rows(path: str, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return [tuple(r) for r in conn.execute(query)]


def pg_rows(url: str, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [tuple(r) for r in conn.execute(query, params)]


async def test_the_copy_moves_jobs_executions_and_logs_field_by_field(
    source: SQLiteStore, target: PostgresStore
) -> None:
    report = await copy(source, target)

    assert report.ok, report.mismatches
    copied = {t.label: (t.total, t.copied, t.present) for t in report.tables}
    assert copied == {
        "jobs": (3, 3, 0),
        "executions": (22, 22, 0),
        "log chunks": (46, 46, 0),
        "run requests": (2, 2, 0),
    }
    assert await history(target) == without_nul(await history(source))
    # The seed's logs column, which the Store API does not show: small logs whole, big ones NULL.
    src_logs = {
        r[0]: r[1] for r in sqlite_rows(source.path, "SELECT id, logs FROM pulse_executions")
    }
    dst_logs = {r[0]: r[1] for r in pg_rows(target.url, "SELECT id, logs FROM pulse_executions")}
    assert dst_logs == {k: v and v.replace("\x00", "\ufffd") for k, v in src_logs.items()}
    assert sum(v is None for v in dst_logs.values()) == 2  # the big log and the running one
    # Every column of every row, not only those the API maps (PostgreSQL's search column is
    # computed from two of them).
    for table, key in (("scheduled_jobs", "id"), ("pulse_executions", "id")):
        columns = ", ".join(r[1] for r in sqlite_rows(source.path, f"PRAGMA table_info({table})"))
        src = sqlite_rows(source.path, f"SELECT {columns} FROM {table} ORDER BY {key}")
        dst = pg_rows(target.url, f'SELECT {columns} FROM {table} ORDER BY {key} COLLATE "C"')
        assert [tuple(str(v).replace("\x00", "\ufffd") for v in r) for r in src] == [
            tuple(str(v) for v in r) for r in dst
        ]
    # The queued requests run on the target, oldest first; claimed ones stayed behind.
    claimed = await target.claim_run_requests("new-node", 10, at(5000))
    assert [r.created_at for r in claimed] == [at(4000), at(4001)]
    # The warning about the running execution; the verified counts.
    assert any("still running" in w for w in report.warnings)
    checks = {c.what: (c.source, c.target) for c in report.checks}
    assert checks["executions"] == (22, 22)
    assert checks["log chunks"] == (46, 46)
    # Bytes as PostgreSQL holds them: the NUL became a 3-byte U+FFFD.
    assert (
        checks["log bytes"][0]
        == checks["log bytes"][1]
        == sum(
            len(str(r[0]).encode()) + 2 * str(r[0]).count("\x00")
            for r in sqlite_rows(source.path, "SELECT text FROM pulse_execution_logs")
        )
    )


async def test_an_interrupted_copy_resumes_without_duplicates(
    source: SQLiteStore, target: PostgresStore
) -> None:
    seen: list[Progress] = []

    def stop_after_five(p: Progress) -> None:
        seen.append(p)
        if p.batches == 5:
            raise Stop

    with pytest.raises(Stop):
        await copy(source, target, batch_size=4, progress=stop_after_five)
    # Jobs (1 batch) and executions (4 batches of 4) were partly committed, nothing more.
    assert [(p.current, p.batches) for p in seen][-1] == ("executions", 5)
    assert pg_rows(target.url, "SELECT count(*) FROM pulse_executions") == [(16,)]
    assert pg_rows(target.url, "SELECT count(*) FROM pulse_execution_logs") == [(0,)]

    report = await copy(source, target, batch_size=4)

    assert report.ok, report.mismatches
    done = {t.label: (t.copied, t.present) for t in report.tables}
    assert done == {
        "jobs": (0, 3),
        "executions": (6, 16),
        "log chunks": (46, 0),
        "run requests": (2, 0),
    }
    assert await history(target) == without_nul(await history(source))
    counts = pg_rows(
        target.url,
        "SELECT scheduled_job_id, status, n FROM pulse_execution_counts ORDER BY 1, 2",
    )
    real = pg_rows(
        target.url,
        "SELECT scheduled_job_id, status, count(*) FROM pulse_executions GROUP BY 1, 2"
        " ORDER BY 1, 2",
    )
    assert counts == real


async def test_a_second_run_copies_nothing_and_says_so(
    source: SQLiteStore, target: PostgresStore
) -> None:
    first = await copy(source, target)
    second = await copy(source, target)

    assert first.copied == 73
    assert second.ok
    assert second.copied == 0
    assert all(t.present == t.total for t in second.tables)
    assert pg_rows(target.url, "SELECT count(*) FROM pulse_run_requests") == [(2,)]


async def test_a_request_that_ran_on_the_target_is_not_queued_again(
    source: SQLiteStore, target: PostgresStore
) -> None:
    await copy(source, target)
    [req, _] = await target.claim_run_requests("new-node", 10, at(5000))
    await b.start_execution(target, b.execution(req, started_at=at(5000), node_id="new-node"))
    await target.finish_execution(req.execution_id, b.result(completed_at=at(5001)))

    report = await copy(source, target)

    assert report.tables[-1].copied == 0
    assert pg_rows(target.url, "SELECT count(*) FROM pulse_run_requests") == [(1,)]


async def test_a_history_that_grew_on_the_target_fails_verification(
    source: SQLiteStore, target: PostgresStore
) -> None:
    await copy(source, target)
    job = next(j for j in await target.list_jobs() if j.name == "backup")
    await run(target, job.id, 9000, FAILED)

    report = await copy(source, target)

    assert not report.ok
    assert report.mismatches == [
        f"job {job.id}: 3 failed execution(s) in the source, 4 in the target"
    ]


async def test_a_large_history_is_copied_in_bounded_batches(
    tmp_path: Path, target: PostgresStore
) -> None:
    """Thousands of executions and a multi-MiB log, written straight into the source file (the
    API would take longer than the copy), moved in batches bounded by rows and by bytes."""
    store = SQLiteStore(tmp_path / "big.db")
    await store.open()
    job = await store.create_job(b.job())
    await store.close()
    line = "y" * 1023 + "\n"
    t = "2025-01-01T00:00:00.000Z"
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.executemany(
            "INSERT INTO pulse_executions (id, scheduled_job_id, status, started_at,"
            " created_at, updated_at, logs) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (f"PX_{i:010d}_1", job.id, "completed" if i % 10 else "failed", t, t, t, line)
                for i in range(5000)
            ),
        )
        conn.executemany(
            "INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)"
            " VALUES (?, ?, ?, ?, ?)",
            ((f"PX_{i % 5000:010d}_1", i // 5000 + 1, t, "stdout", line) for i in range(10_000)),
        )
    sizes: list[int] = []

    def progress(p: Progress) -> None:
        sizes.append(p.tables[2].done)

    report = await asyncio.to_thread(
        copy_store,
        f"sqlite:///{store.path}",
        target.url,
        batch_bytes=1024 * 1024,
        progress=progress,
    )

    assert report.ok, report.mismatches
    assert report.tables[1].copied == 5000
    assert report.tables[2].copied == 10_000
    assert report.tables[2].bytes == 10_000 * 1024
    # 1 MiB of text per batch: 1,024 chunks of 1 KiB, not the 1,000-row default... or less.
    steps = [b2 - a for a, b2 in itertools.pairwise(sizes) if b2 > a]
    assert max(steps) <= 1024
    page = await target.list_executions(job.id, 10, 0, ExecutionStatus.FAILED)
    assert page.total == 500


async def test_chunks_left_by_a_job_deleted_mid_run_are_not_copied(
    source: SQLiteStore, target: PostgresStore
) -> None:
    doomed = await source.create_job(b.job(name="doomed"))
    execution_id = await run(source, doomed.id, 5000, None, ["before\n"])
    await source.delete_job(doomed.id)
    await source.append_logs(execution_id, b.chunks(["after\n"], first_seq=2))

    report = await copy(source, target)

    assert report.ok, report.mismatches
    assert report.tables[2].total == 46
    assert any("1 log chunk(s) belong to no execution" in w for w in report.warnings)
    assert pg_rows(
        target.url,
        "SELECT count(*) FROM pulse_execution_logs WHERE execution_id = %s",
        (execution_id,),
    ) == [(0,)]


async def test_an_empty_source_copies_nothing_and_verifies(
    tmp_path: Path, target: PostgresStore
) -> None:
    empty = SQLiteStore(tmp_path / "empty.db")
    await empty.open()
    await empty.close()

    report = await asyncio.to_thread(copy_store, sqlite_url(empty), target.url)

    assert report.ok
    assert report.copied == 0
    assert [c.source for c in report.checks] == [0, 0, 0, 0]


async def test_a_node_still_serving_the_source_is_refused_unless_forced(
    source: SQLiteStore, target: PostgresStore
) -> None:
    now = datetime.now(UTC)
    await source.heartbeat(NodeInfo("old-node", "box", 4242, now - timedelta(hours=1), now))

    with pytest.raises(CopyError, match=r"stop `pulse serve` first.*--force"):
        await copy(source, target)
    assert pg_rows(target.url, "SELECT count(*) FROM scheduled_jobs") == [(0,)]

    report = await copy(source, target, force=True)
    assert report.ok
    assert any("still uses this database: old-node (host " in w for w in report.warnings)


async def test_a_stale_node_row_does_not_block_the_copy(
    source: SQLiteStore, target: PostgresStore
) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await source.heartbeat(NodeInfo("killed", "box", 1, long_ago, long_ago))

    assert (await copy(source, target)).ok


async def test_a_different_job_with_the_same_id_is_refused(
    source: SQLiteStore, target: PostgresStore
) -> None:
    [mine, *_] = await source.list_jobs()
    await target.create_job(b.job(id=mine.id, name="someone else's", created_at=at(-99)))

    with pytest.raises(CopyError, match=f"different job with id {mine.id}"):
        await copy(source, target)
    assert pg_rows(target.url, "SELECT count(*) FROM pulse_executions") == [(0,)]


async def test_bad_urls_name_the_flag(tmp_path: Path, postgres_url: str) -> None:
    async def error(src: str, dst: str) -> str:
        with pytest.raises(CopyError) as e:
            await asyncio.to_thread(copy_store, src, dst)
        return str(e.value)

    db = tmp_path / "pulse.db"
    store = SQLiteStore(db)
    await store.open()
    await store.close()
    ok = f"sqlite:///{db}"
    assert (await error(ok, "mysql://x")).startswith("--to: expected a postgresql://")
    assert (await error(ok, "postgresql://u:secret@127.0.0.1:1/x")).startswith(
        "--to: cannot connect to postgresql://u:***@127.0.0.1:1/x"
    )
    assert "not a valid PostgreSQL URL" in await error(ok, "postgresql://h/x?no_such_option=1")
    assert (await error(f"sqlite:///{tmp_path}/nope.db", postgres_url)).startswith(
        "--from: no such file"
    )
    assert not (tmp_path / "nope.db").exists()
    other = tmp_path / "other.db"
    sqlite_rows(str(other), "CREATE TABLE t (x)")
    assert "is not a Pulse database" in await error(f"sqlite:///{other}", postgres_url)
    assert (await error(postgres_url, postgres_url)).startswith("--from: copying from PostgreSQL")


# -- the command line ------------------------------------------------------------------------
def pulse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PULSE), "store", "copy", *args], capture_output=True, text=True, timeout=60
    )


async def test_the_command_copies_verifies_and_prints_a_summary(
    source: SQLiteStore, target: PostgresStore
) -> None:
    done = await asyncio.to_thread(pulse, "--from", sqlite_url(source), "--to", target.url)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "jobs 3/3, executions 22/22, log chunks 46/46" in out  # the progress line
    assert re.search(r"\n  executions +22 copied, 0 already there\n", out)
    assert "verified: jobs 3, executions 22, log chunks 46, log bytes" in out
    assert "warning: 1 execution(s) are still running" in out

    again = await asyncio.to_thread(
        pulse, "--from", sqlite_url(source), "--to", target.url, "--json"
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["ok"] is True
    assert summary["copied"] == 0
    assert summary["tables"]["executions"] == {"source": 22, "copied": 0, "already_present": 22}


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("sqlite:///elsewhere.db", "error: --to: expected a postgresql://… URL"),
        ("postgresql://pulse@127.0.0.1:1/nowhere", "error: --to: cannot connect to"),
    ],
)
async def test_a_bad_target_exits_non_zero_with_a_clear_message(
    source: SQLiteStore, to: str, message: str
) -> None:
    done = await asyncio.to_thread(pulse, "--from", sqlite_url(source), "--to", to)

    assert done.returncode == 1
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr
