"""Burst: N jobs due at the same instant; start lag (actual start - scheduled time) of each run.

    python bench/burst.py pulse 1000 --workers 2000
    python bench/burst.py aps-sqlalchemy 1000
    python bench/burst.py aps-memory 1000

Pulse: N interval jobs (a no-op async Python handler) whose ``next_run_at`` is the same instant
T; each run records an execution (``running`` then ``completed``) in SQLite. The lag is read back
from the store after the burst: ``started_at - scheduled_for`` of every execution.

APScheduler 3.11: an ``AsyncIOScheduler`` with N ``date`` jobs at the same ``run_date`` T, in
its SQLAlchemy job store on a SQLite file or in its memory store; the async job itself records
``time.time() - T`` as it starts (APScheduler keeps no history of runs).

The jobs are created before T (which is chosen far enough ahead), and the scheduler is started
shortly before T, so neither creating jobs nor starting up counts in the lag.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import emit, pct

LAGS_MS: list[float] = []  # filled by the APScheduler job as it starts
DONE: asyncio.Event | None = None  # set by the job that completes the burst
EXPECTED = 0


def summary(lags_ms: list[float], n: int, **extra: Any) -> dict[str, Any]:
    if len(lags_ms) != n:
        raise SystemExit(f"expected {n} runs, saw {len(lags_ms)}")
    return {
        "jobs": n,
        "p50_ms": pct(lags_ms, 50),
        "p99_ms": pct(lags_ms, 99),
        "max_ms": pct(lags_ms, 100),
        **extra,
    }


async def sleep_until(when: datetime) -> None:
    await asyncio.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()))


MARGIN = 1.0  # doubled at each retry after a SetupTooSlow


def pick_instant(n: int, per_job_s: float) -> datetime:
    """The burst's instant: far enough ahead to create ``n`` jobs, on a whole millisecond."""
    ahead = (1.5 + n * per_job_s) * MARGIN
    t = datetime.now(UTC) + timedelta(seconds=ahead)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


class SetupTooSlow(Exception):
    """Creating the jobs overran the planned instant; the case is retried with more margin."""


def setup_left(what: str, t: datetime) -> None:
    """Check that the jobs are in place at least 0.5 s before the burst's instant."""
    left = (t - datetime.now(UTC)).total_seconds()
    if left < 0.5:
        raise SetupTooSlow(f"{what} the jobs took longer than planned ({left:.1f} s left)")


# -- Pulse ------------------------------------------------------------------------------------
async def pulse_burst(n: int, workers: int, tmp: Path) -> dict[str, Any]:
    from pulse import Pulse, Settings
    from pulse.clock import parse_ts
    from pulse.jobs import new_job

    p = Pulse(Settings(data_dir=tmp, node_id="bench", workers=workers, poll_seconds=0.05))

    @p.handler("noop")
    async def noop(ctx: Any) -> None:
        return None

    await p.store.open()
    t = pick_instant(n, 0.0005)
    now = datetime.now(UTC)
    jobs = [
        dataclasses.replace(
            new_job({"name": f"burst-{i}", "handler": "noop", "interval_seconds": 3600}, now),
            next_run_at=t,
        )
        for i in range(n)
    ]
    for i in range(0, n, 500):  # concurrent creates share the store's group commits
        await asyncio.gather(*(p.store.create_job(j) for j in jobs[i : i + 500]))
    try:
        setup_left("creating", t)
    except SetupTooSlow:
        await p.store.close()
        raise
    await sleep_until(t - timedelta(seconds=0.5))

    sub = p.hub.subscribe(buffer=10**7)
    await p.start()
    done = 0
    while done < n:
        ev = await asyncio.wait_for(sub.get(), timeout=300)
        if ev.type in ("pulse_execution_completed", "pulse_execution_failed"):
            done += 1
    finished = time.time()
    await p.stop()

    conn = sqlite3.connect(tmp / "pulse.db")
    rows = conn.execute("SELECT started_at, scheduled_for, status FROM pulse_executions").fetchall()
    conn.close()
    if any(status != "completed" for _s, _f, status in rows):
        raise SystemExit("some executions did not complete")
    lags = [(parse_ts(s) - parse_ts(f)).total_seconds() * 1000 for s, f, _st in rows]
    return summary(lags, n, workers=workers, all_done_s=round(finished - t.timestamp(), 3))


# -- APScheduler ------------------------------------------------------------------------------
async def aps_record(scheduled: float) -> None:
    """The APScheduler job: note how late it started. Module level, so that the SQLAlchemy
    store can save a reference to it."""
    LAGS_MS.append((time.time() - scheduled) * 1000)
    if len(LAGS_MS) >= EXPECTED and DONE is not None:
        DONE.set()


async def aps_burst(n: int, store: str, tmp: Path) -> dict[str, Any]:
    global DONE, EXPECTED
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    jobstore: Any = (
        SQLAlchemyJobStore(url=f"sqlite:///{tmp / 'aps.db'}")
        if store == "sqlalchemy"
        else MemoryJobStore()
    )
    # No misfire grace limit: every job must run, however late (the default would skip runs
    # more than 1 s late, which would hide the lag instead of measuring it).
    sched = AsyncIOScheduler(
        jobstores={"default": jobstore},
        job_defaults={"misfire_grace_time": None, "coalesce": False},
        timezone="UTC",
    )
    EXPECTED = n
    DONE = asyncio.Event()
    t = pick_instant(n, 0.0032 if store == "sqlalchemy" else 0.0002)
    sched.start(paused=True)  # jobs go straight into the store; nothing runs until resume()
    for _ in range(n):
        sched.add_job(aps_record, "date", run_date=t, args=[t.timestamp()])
    try:
        setup_left("adding", t)
    except SetupTooSlow:
        sched.shutdown(wait=False)
        raise
    await sleep_until(t - timedelta(seconds=0.5))
    sched.resume()
    await asyncio.wait_for(DONE.wait(), timeout=300)
    finished = time.time()
    sched.shutdown(wait=False)
    return summary(list(LAGS_MS), n, all_done_s=round(finished - t.timestamp(), 3))


def main() -> None:
    global MARGIN
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("system", choices=["pulse", "aps-sqlalchemy", "aps-memory"])
    ap.add_argument("jobs", type=int)
    ap.add_argument("--workers", type=int, default=8, help="Pulse worker concurrency")
    args = ap.parse_args()
    for attempt in range(4):
        try:
            with tempfile.TemporaryDirectory(prefix="pulse-bench-burst-") as d:
                if args.system == "pulse":
                    result = asyncio.run(pulse_burst(args.jobs, args.workers, Path(d)))
                else:
                    store = args.system.removeprefix("aps-")
                    result = asyncio.run(aps_burst(args.jobs, store, Path(d)))
            break
        except SetupTooSlow as e:
            if attempt == 3:
                raise
            print(f"{e}; retrying with twice the margin", file=sys.stderr)
            MARGIN *= 2
            LAGS_MS.clear()
    result["system"] = args.system
    emit(result)


if __name__ == "__main__":
    sys.exit(main())
