"""Demo jobs for ``pulse serve --demo``: history fills within a minute of the first start."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulse.service import JobService

log = logging.getLogger("pulse")

DEMO_JOBS: list[dict[str, Any]] = [
    {
        "name": "heartbeat",
        "description": "Succeeds every 10 seconds.",
        "command": 'echo "checking services"; sleep 1; echo "all 3 services healthy"',
        "interval_seconds": 10,
    },
    {
        "name": "flaky-import",
        "description": "Fails: prints to stderr and exits 2.",
        "command": "echo 'importing batch'; echo 'connection refused: db:5432' >&2; exit 2",
        "interval_seconds": 20,
    },
    {
        "name": "chatty-report",
        "description": "Prints 20,000 lines.",
        "command": 'for i in $(seq 1 20000); do echo "row $i: value=$((i * 7 % 1000))"; done; '
        "echo 'report done: 20000 rows'",
        "interval_seconds": 30,
    },
    {
        "name": "slow-backup",
        "description": "Runs for about 40 seconds, printing progress.",
        "command": 'for i in $(seq 1 20); do echo "copied $((i * 5))%"; sleep 2; done; '
        "echo 'backup complete'",
        "interval_seconds": 60,
    },
    {
        "name": "nightly-cleanup",
        "description": "A cron schedule in a time zone.",
        "command": "echo 'removed 0 stale files'",
        "cron": "0 2 * * *",
        "timezone": "Europe/Berlin",
    },
]


async def add_demo_jobs(service: JobService) -> int:
    """Create the demo jobs if there is no job at all (a store someone uses is left alone);
    returns how many were created."""
    if await service.list_jobs():
        return 0
    now = service.clock.now()
    for i, fields in enumerate(DEMO_JOBS):
        # A newcomer sees every interval job run within seconds, not after its interval.
        first = now + timedelta(seconds=2 + i) if "interval_seconds" in fields else None
        await service.create_job(dict(fields), first_run_at=first)
    log.info("added %d demo jobs", len(DEMO_JOBS))
    return len(DEMO_JOBS)
