"""The overview's figures with many jobs: totals across jobs, the jobs failing most, the
slowest, the latest failures and every job's outcome strip, checked against the history
written."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import httpx

from pulse import Pulse
from pulse.clock import FakeClock
from pulse.models import ExecutionStatus
from pulse.service import SETTLED_TTL
from pulse.store.base import ExecutionEnd
from tests.store import builders as b

JOBS = 240


async def test_the_overview_of_many_jobs_matches_their_history(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    store = pulse.store
    rng = random.Random(9)
    now = clock.now()
    written: dict[str, list[tuple[ExecutionStatus, int, object]]] = {}
    reqs, ends = [], []
    for k in range(JOBS):
        job = await store.create_job(b.job(name=f"job-{k:03d}", next_run_at=None))
        runs = written.setdefault(job.id, [])
        for i in range(rng.randint(1, 25)):
            started = now - timedelta(hours=20) + timedelta(seconds=k + 300 * i)  # unique
            if started >= now:
                continue
            status = (
                ExecutionStatus.FAILED if rng.random() < k / JOBS else ExecutionStatus.COMPLETED
            )
            ms = rng.randint(1, 1000) * (k + 1)
            req = b.request(job.id, created_at=started)
            reqs.append(req)
            ends.append(ExecutionEnd(req.execution_id, b.result(status, started, duration_ms=ms)))
            runs.append((status, ms, started))
    for req in reqs:
        await store.enqueue(req)
    claimed = await store.claim_run_requests("n1", len(reqs), now)
    assert len(claimed) == len(reqs)
    await b.start_executions(store, [b.execution(r, started_at=r.created_at) for r in reqs])
    await store.finish_executions(ends)

    overall = (await client.get("/stats", params={"days": 1})).json()
    all_runs = [run for runs in written.values() for run in runs]
    failed = sum(1 for s, _, _ in all_runs if s is ExecutionStatus.FAILED)
    assert overall["total"] == len(all_runs) and overall["failed"] == failed
    assert sum(p["completed"] + p["failed"] for p in overall["series"]) == len(all_runs)

    failures = {
        job_id: sum(1 for s, _, _ in runs if s is ExecutionStatus.FAILED)
        for job_id, runs in written.items()
    }
    top = sorted(failures.values(), reverse=True)[:5]
    assert [j["failed"] for j in overall["failing"]] == top

    mean = {
        job_id: sum(ms for _, ms, _ in runs) / len(runs) for job_id, runs in written.items() if runs
    }
    slowest = sorted(mean, key=lambda j: -mean[j])[:5]
    assert [j["job_id"] for j in overall["slowest"]] == slowest

    newest = sorted(
        (started, job_id)
        for job_id, runs in written.items()
        for s, _, started in runs
        if s is ExecutionStatus.FAILED
    )[::-1][:10]
    latest = overall["latest_failures"]
    assert [f["scheduled_job_id"] for f in latest] == [job_id for _, job_id in newest]
    assert all(f["job_name"].startswith("job-") for f in latest)

    strip = {j["job_id"]: j for j in (await client.get("/stats/jobs")).json()["jobs"]}
    assert len(strip) == JOBS
    for job_id, runs in written.items():
        expected = [s.value for s, _, _ in sorted(runs, key=lambda r: r[2])][-20:]
        assert strip[job_id]["recent"] == expected
        assert strip[job_id]["total"] == len(runs)


async def test_the_overview_keeps_settled_hours_yet_shows_every_change_to_them(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    store = pulse.store
    now = clock.now()
    job = await store.create_job(b.job(name="steady", next_run_at=None))
    other = await store.create_job(b.job(name="other", next_run_at=None))

    async def record(job_id: str, started: datetime, *, finish: bool = True) -> str:
        req = b.request(job_id, created_at=started)
        await store.enqueue(req)
        assert await store.claim_run_requests("n1", 10, clock.now())
        await b.start_executions(store, [b.execution(req, started_at=started)])
        if finish:
            end = b.result(ExecutionStatus.COMPLETED, started, duration_ms=10)
            await store.finish_executions([ExecutionEnd(req.execution_id, end)])
        return req.execution_id

    async def total() -> int:
        return int((await client.get("/stats", params={"days": 1})).json()["total"])

    for h in (9, 8, 7):
        await record(job.id, now - timedelta(hours=h))
    long_run = await record(job.id, now - timedelta(hours=6), finish=False)
    await record(other.id, now - timedelta(hours=5))
    assert await total() == 4  # the long run is still going: not counted yet

    # The hour the long run started in was not settled while it ran: its end shows.
    end = b.result(ExecutionStatus.COMPLETED, now, duration_ms=6 * 3_600_000)
    await store.finish_executions([ExecutionEnd(long_run, end)])
    assert await total() == 5
    # So does a run of the last minutes, and one of the hour now.
    await record(job.id, now - timedelta(minutes=3))
    assert await total() == 6

    # Deleting a job takes its runs out of the overview at once.
    await client.delete(f"/jobs/{other.id}")
    assert await total() == 5

    # A run added behind this node's back to an hour long settled (as another node's rebuild
    # would) shows once the kept roll-ups are read again, within SETTLED_TTL.
    await record(job.id, now - timedelta(hours=10))
    assert await total() == 5  # kept: that hour was settled
    clock.advance(SETTLED_TTL.total_seconds() + 1)
    await store.create_job(b.job(name="unrelated"))  # any write (a live node's heartbeat)
    assert await total() == 6
    # A rebuild on this node shows at once.
    await record(job.id, now - timedelta(hours=11))
    assert await total() == 6
    assert (await client.post("/maintenance/rebuild-stats")).status_code == 200
    assert await total() == 7


async def test_a_jobs_stats_keep_settled_days_yet_count_a_long_run_when_it_ends(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    store = pulse.store
    now = clock.now()
    job = await store.create_job(b.job(name="nightly", next_run_at=None))
    ids = []
    for days_ago in (20, 10, 3):
        req = b.request(job.id, created_at=now - timedelta(days=days_ago))
        await store.enqueue(req)
        assert await store.claim_run_requests("n1", 10, now)
        await b.start_executions(store, [b.execution(req, started_at=req.created_at)])
        ids.append(req.execution_id)
    first, second, long_run = ids
    for execution_id, days_ago in ((first, 20), (second, 10)):
        end = b.result(ExecutionStatus.COMPLETED, now - timedelta(days=days_ago), duration_ms=5)
        await store.finish_executions([ExecutionEnd(execution_id, end)])

    async def stats() -> dict[str, object]:
        r = await client.get(f"/jobs/{job.id}/stats", params={"days": 30})
        assert r.status_code == 200
        return dict(r.json())

    assert (await stats())["total"] == 2
    # Running for three days: the day it started in was never settled, and its end counts.
    end = b.result(ExecutionStatus.FAILED, now, duration_ms=3 * 86_400_000)
    await store.finish_executions([ExecutionEnd(long_run, end)])
    after = await stats()
    assert (after["total"], after["failed"]) == (3, 1)
    failed_days = [p for p in after["series"] if p["failed"]]  # type: ignore[attr-defined]
    assert len(failed_days) == 1 and failed_days[0]["start"].startswith(
        (now - timedelta(days=3)).date().isoformat()
    )
    assert await store.oldest_running(job.id) is None
