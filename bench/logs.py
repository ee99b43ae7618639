"""Logs: one shell job printing 100 MiB, run by a real ``pulse serve``.

    python bench/logs.py --mib 100                       # default log cap (10 MiB)
    python bench/logs.py --mib 100 --cap-mib 200         # cap above the output: all is stored

The job prints ``--mib`` MiB of 100-byte lines (``yes … | head -c``). Measured:

- capture throughput: MiB of output per second of the execution's ``duration_ms``;
- the server's memory: its VmRSS sampled every 10 ms from /proc during the run, minus the
  VmRSS before the run (peak growth), and the same for the download;
- the stored log: bytes that ``GET /executions/{id}/logs`` returns (the head and tail kept by the
  cap, plus the marker; every line is stored with a time stamp prefix of 27 bytes, so an
  uncapped log is larger than the output);
- the download throughput of ``/logs`` (streamed, read by httpx in one sequential request).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from benchlib import MIB, emit, pulse_server, rss_kib

LINE = "x" * 99  # with its newline, 100 bytes


class RssSampler:
    """Samples a process's VmRSS in a thread; ``peak`` is the largest seen (KiB)."""

    def __init__(self, pid: int, every: float = 0.01) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self.peak = rss_kib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(self.every)


def settled_rss(pid: int) -> int:
    """VmRSS once start-up is over (the median of a few samples, KiB)."""
    samples = []
    for _ in range(5):
        samples.append(rss_kib(pid))
        time.sleep(0.1)
    return sorted(samples)[2]


def run(mib: int, cap_mib: float | None, data_dir: Path) -> dict[str, Any]:
    env = {} if cap_mib is None else {"PULSE_LOG_CAP_BYTES": str(int(cap_mib * MIB))}
    cap_bytes = int((cap_mib or 10) * MIB)
    command = f"yes {LINE} | head -c {mib * MIB}"
    with (
        pulse_server(data_dir, env=env) as (base, proc),
        httpx.Client(base_url=base + "/api/pulse", timeout=120) as api,
    ):
        job = api.post(
            "/jobs", json={"name": "big-output", "command": command, "interval_seconds": 86400}
        )
        job.raise_for_status()
        job_id = job.json()["id"]
        time.sleep(0.5)  # let the server settle (first request, imports) before the baseline
        base_rss = settled_rss(proc.pid)
        hwm_before = rss_kib(proc.pid, "VmHWM")

        with RssSampler(proc.pid) as run_rss:
            started = time.perf_counter()
            execution_id = api.post(f"/jobs/{job_id}/trigger").json()["execution_id"]
            while True:
                time.sleep(0.1)
                page = api.get(f"/jobs/{job_id}/executions", params={"limit": 1}).json()
                items = page["executions"]
                if items and items[0]["id"] == execution_id and items[0]["status"] != "running":
                    execution = items[0]
                    break
                if time.perf_counter() - started > 300:
                    raise SystemExit("the job did not finish in 300 s")
        if execution["status"] != "completed":
            raise SystemExit(f"the job failed: {execution.get('error_message')}")
        hwm_after = rss_kib(proc.pid, "VmHWM")
        duration_s = execution["duration_ms"] / 1000

        time.sleep(0.3)
        dl_base = settled_rss(proc.pid)
        with RssSampler(proc.pid) as dl_rss:
            t0 = time.perf_counter()
            size = 0
            with api.stream("GET", f"/executions/{execution_id}/logs") as r:
                r.raise_for_status()
                for part in r.iter_bytes(256 * 1024):
                    size += len(part)
            dl_s = time.perf_counter() - t0

    full = execution["log_dropped_bytes"] == 0
    if not full and size > cap_bytes + 1024:
        raise SystemExit(f"stored log {size} bytes is larger than the cap {cap_bytes} + marker")
    return {
        "output_mib": mib,
        "cap_mib": round(cap_bytes / MIB, 1),
        "capture_s": round(duration_s, 2),
        "capture_mib_s": round(mib / duration_s, 1),
        "server_rss_base_mib": round(base_rss / 1024, 1),
        "run_rss_growth_mib": round((run_rss.peak - base_rss) / 1024, 1),
        "run_hwm_growth_mib": round(max(0, hwm_after - hwm_before) / 1024, 1),
        "log_bytes": execution["log_bytes"],
        "dropped_bytes": execution["log_dropped_bytes"],
        "stored_mib": round(size / MIB, 2),
        "download_s": round(dl_s, 2),
        "download_mib_s": round(size / MIB / dl_s, 1),
        "download_rss_growth_mib": round((dl_rss.peak - dl_base) / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mib", type=int, default=100, help="MiB the job prints")
    ap.add_argument("--cap-mib", type=float, help="log cap (PULSE_LOG_CAP_BYTES); default 10")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pulse-bench-logs-") as d:
        emit(run(args.mib, args.cap_mib, Path(d)))


if __name__ == "__main__":
    sys.exit(main())
