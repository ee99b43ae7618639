"""The Pulse application the PostgreSQL benchmarks serve (``pulse serve --app pg_app:app``, with
``PYTHONPATH=bench``): one no-op Python handler whose print output (1 KiB) Pulse captures into
the execution's log.

``PULSE_BENCH_POOL``, when set, caps the node's connection pool below Pulse's own choice
(``min(workers + 4, 40)``), so that several nodes with many workers fit the server's
``max_connections`` beside the other users of a shared server."""

from __future__ import annotations

import os

import pulse
from pulse.store import Store, open_store


class BenchPulse(pulse.Pulse):
    @property
    def store(self) -> Store:
        pool = os.environ.get("PULSE_BENCH_POOL")
        if self._store is None and pool:
            self._store = open_store(self.settings.store_url, connections=int(pool))
        return super().store


app = BenchPulse()

LINE = "x" * 1023  # with its newline, 1 KiB of output


@app.handler("noop")
async def noop(ctx: pulse.RunContext) -> None:
    print(LINE)
