"""Small helpers shared by the benchmark scripts of ``bench/``.

Each benchmark script runs one case in its own process and prints its figures as one JSON line
on stdout (the last line); ``bench/run.py`` starts those processes and aggregates the lines.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable
PULSE_BIN = str(Path(PY).with_name("pulse"))
MIB = 1024 * 1024


def pct(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values`` by the nearest-rank method: a value that
    was actually observed, so ``pct(v, 100)`` is the maximum."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def emit(result: dict[str, Any]) -> None:
    """Print the case's result as the last line of stdout, for ``run.py``."""
    sys.stdout.flush()
    print(json.dumps(result), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of process ``pid`` from /proc (KiB): VmRSS now, or VmHWM, its peak."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for pid {pid}")


@contextlib.contextmanager
def pulse_server(
    data_dir: Path, env: dict[str, str] | None = None, workers: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``pulse serve`` on a free port over ``data_dir``; yields (base URL, process)."""
    import httpx

    port = free_port()
    cmd = [PULSE_BIN, "serve", "--port", str(port), "--data-dir", str(data_dir)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    full_env = {**os.environ, **(env or {})}
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"pulse serve exited; see {data_dir / 'server.log'}")
            try:
                if httpx.get(base + "/api/pulse/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("pulse serve did not come up in 30 s")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def run_case(script: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``bench/<script>`` with ``args`` in a fresh interpreter; its last stdout line is the
    JSON result. Stderr passes through, so progress and errors stay visible."""
    proc = subprocess.run(
        [PY, str(BENCH / script), *args],
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{script} {' '.join(args)} failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
