"""A pruned SQLite file gives its space back: a new file is made with incremental auto-vacuum,
and each prune hands the pages it freed back to the file system."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from pulse.models import ExecutionStatus
from pulse.retention import RetentionPolicy
from pulse.store.base import ExecutionEnd
from pulse.store.sqlite import SQLiteStore
from tests.store import builders as b


def _pragma(path: Path, name: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


async def test_pruning_shrinks_the_file_instead_of_leaving_free_pages(tmp_path: Path) -> None:
    path = tmp_path / "pulse.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        assert _pragma(path, "auto_vacuum") == 2  # incremental
        job = await store.create_job(b.job())
        log = "x" * 4000 + "\n"
        for batch in range(4):
            reqs = [
                await store.enqueue(b.request(job.id, created_at=b.at(batch * 1000 + i)))
                for i in range(100)
            ]
            claimed = await store.claim_run_requests("n1", 1000, b.at(batch * 1000 + 100))
            assert len(claimed) == 100
            await b.start_executions(store, [b.execution(r) for r in reqs])
            await store.finish_executions(
                [
                    ExecutionEnd(
                        r.execution_id,
                        b.result(ExecutionStatus.COMPLETED, b.at(batch * 1000 + 200)),
                        b.chunks([log] * 5),
                    )
                    for r in reqs
                ]
            )
        await store.close()
        full = _pragma(path, "page_count")
        await store.open()
        policy = RetentionPolicy(keep_max=10, keep_min=0)
        deleted = await store.prune_executions({job.id: policy}, b.at(10_000), batch=64)
        assert deleted == {job.id: 390}
        await store.close()
        # 400 runs of 20 KB of log each: ~2,000 pages of 4 KiB; nearly all of them go back.
        assert full > 2000
        assert _pragma(path, "page_count") < full / 4
        assert _pragma(path, "freelist_count") < full / 10
    finally:
        await store.close()


async def test_the_wal_is_copied_into_the_database_while_the_node_runs(tmp_path: Path) -> None:
    # A copy of the database file alone (as a backup tool that ignores the -wal file takes)
    # holds what was written a moment ago: the WAL is copied back by a thread of the store's
    # own, not only when the writer's WAL grows past its limit or the store closes.
    path = tmp_path / "pulse.db"
    store = SQLiteStore(path)
    await store.open()
    try:
        jobs = [await store.create_job(b.job(name=f"j{i}")) for i in range(20)]
        copy = tmp_path / "copy.db"
        for _ in range(50):
            copy.write_bytes(path.read_bytes())
            with closing(sqlite3.connect(copy)) as conn:
                try:
                    names = {r[0] for r in conn.execute("SELECT name FROM scheduled_jobs")}
                except sqlite3.OperationalError:  # not even the schema in the file yet
                    names = set()
            if names == {j.name for j in jobs}:
                break
            await asyncio.sleep(0.1)
        assert names == {j.name for j in jobs}
        assert (tmp_path / "pulse.db-wal").exists()  # the store is still open on it
    finally:
        await store.close()
