"""Procrastinate 3, the peer of the PostgreSQL throughput benchmark (``bench/pg_nodes.py``).

    python bench/pg_procrastinate.py worker URL CONCURRENCY POOL   # one worker process

A worker runs the queued ``noop`` tasks with ``CONCURRENCY`` at once and exits once the queue
is empty (``wait=False``). Its connection pool is sized like a Pulse node's (``POOL``), and jobs
are kept after they finish (``delete_jobs="never"``, the default), as Pulse keeps its history.
"""

from __future__ import annotations

import asyncio
import sys

import procrastinate

LINE = "x" * 1023


def make_app(url: str, pool: int) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=pool)
    app = procrastinate.App(connector=connector)

    @app.task(name="noop")
    async def noop() -> None:
        # The same work as Pulse's handler; stdout goes to /dev/null, as nothing captures it.
        print(LINE)

    return app


async def run_worker(url: str, concurrency: int, pool: int) -> None:
    app = make_app(url, pool)
    async with app.open_async():
        await app.run_worker_async(
            concurrency=concurrency,
            wait=False,
            install_signal_handlers=False,
            listen_notify=False,  # the queue is full from the start: nothing to wait for
            delete_jobs="never",
        )


def main() -> None:
    if len(sys.argv) != 5 or sys.argv[1] != "worker":
        sys.exit(__doc__)
    asyncio.run(run_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))


if __name__ == "__main__":
    main()
