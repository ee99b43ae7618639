"""The web UI's benchmark: one command, `uv run python bench/ui_bench.py`.

It builds the UI if needed, starts `pulse serve` on a free port with a temporary SQLite
database, drives Debian's Chromium with Playwright, and prints:

- the gzip size of the JS and CSS that the first page load fetches (target <= 100 KiB);
- the time from navigation to the Job Detail Panel showing 50 executions (target <= 300 ms);
- the time from clicking "show log" on a 10 MiB log to its first screen drawn (target <= 1 s);
- the time to jump to the middle of that log and draw the rows there.

Times are the median of several runs, measured inside the page (performance.now()).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
DIST = ROOT / "src" / "pulse" / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIG_COMMAND = (
    "seq -f 'line %06g: the quick brown fox jumps over the lazy dog, again and again' 1 150000"
)

# Resolves when the panel shows `n` executions; the time is since navigation start.
WAIT_FOR_ROWS = """(n) => new Promise((resolve) => {
  const check = () => {
    if (document.querySelectorAll('.exec').length >= n) {
      requestAnimationFrame(() => resolve(performance.now()));
      return true;
    }
    return false;
  };
  if (check()) return;
  const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
  obs.observe(document, { childList: true, subtree: true });
})"""

# Clicks "show log" on the first execution; resolves with the time until its first rows are drawn.
OPEN_LOG = """() => new Promise((resolve) => {
  const button = document.querySelector('.exec .exec-toggle');
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    if (document.querySelector('.log-row')) {
      obs.disconnect();
      requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
    }
  });
  obs.observe(document, { childList: true, subtree: true });
  button.click();
})"""

# Jumps to the middle of the open log; resolves once the rows there are in the DOM and drawn.
JUMP_TO_MIDDLE = """() => new Promise((resolve) => {
  const body = document.querySelector('.log-body');
  const lines = Number(body.dataset.lines);
  const target = Math.floor(lines / 2);
  const t0 = performance.now();
  body.scrollTop = body.scrollHeight / 2;
  const wait = () => {
    const rows = [...body.querySelectorAll('.log-row')].map((r) => Number(r.dataset.line));
    if (rows.some((n) => Math.abs(n - target) < 40)) {
      requestAnimationFrame(() => resolve(performance.now() - t0));
    } else {
      requestAnimationFrame(wait);
    }
  };
  requestAnimationFrame(wait);
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_ui() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is missing")
    if not (WEB / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build"], cwd=WEB, check=True, stdout=subprocess.DEVNULL)


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        exe = Path(sys.executable).with_name("pulse")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pulse.cli"]
        self.log = (data_dir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [*cmd, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.api = httpx.Client(base_url=f"{self.url}/api/pulse", timeout=60)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                sys.exit("pulse serve did not start")
            time.sleep(0.1)

    def job_with_runs(self, name: str, command: str, runs: int) -> str:
        job = self.api.post(
            "/jobs",
            json={"name": name, "command": command, "interval_seconds": 86400, "overlap": "allow"},
        )
        job.raise_for_status()
        job_id: str = job.json()["id"]
        for _ in range(runs):
            self.api.post(f"/jobs/{job_id}/trigger").raise_for_status()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            q = {"limit": 1}
            total = self.api.get(f"/jobs/{job_id}/executions", params=q).json()["total"]
            running = self.api.get(
                f"/jobs/{job_id}/executions", params={**q, "status": "running"}
            ).json()["total"]
            if total >= runs and running == 0:
                return job_id
            time.sleep(0.2)
        sys.exit(f"{name}: executions did not finish")

    def stop(self) -> None:
        self.api.close()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


async def first_load_bytes(browser: Any, url: str) -> dict[str, int]:
    """Raw and gzip sizes of the JS and CSS fetched by a cold load of the jobs page."""
    context = await browser.new_context()
    page = await context.new_page()
    bodies: list[tuple[str, bytes]] = []

    async def on_response(response: Any) -> None:
        if response.request.resource_type in ("script", "stylesheet"):
            bodies.append((response.url, await response.body()))

    page.on("response", on_response)
    await page.goto(url, wait_until="networkidle")
    await context.close()
    raw = sum(len(b) for _, b in bodies)
    gz = sum(len(gzip.compress(b, compresslevel=9)) for _, b in bodies)
    return {"files": len(bodies), "raw": raw, "gzip": gz}


async def panel_times(browser: Any, url: str, runs: int) -> tuple[list[float], list[float]]:
    """Navigation start -> 50 executions drawn; cold (new context) and warm (same context)."""
    cold: list[float] = []
    warm: list[float] = []
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    for i in range(runs + 1):
        if i % 2 == 0:
            await context.close()
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            page = await context.new_page()
        await page.goto(url, wait_until="commit")
        t = float(await page.evaluate(WAIT_FOR_ROWS, 50))
        (cold if i % 2 == 0 else warm).append(t)
    await context.close()
    return cold, warm


async def log_times(browser: Any, url: str, runs: int) -> tuple[list[float], list[float], int]:
    opens: list[float] = []
    jumps: list[float] = []
    lines = 0
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    for _ in range(runs):
        await page.goto(url)
        await page.wait_for_selector(".exec .exec-toggle")
        opens.append(float(await page.evaluate(OPEN_LOG)))
        lines = int(await page.get_attribute(".log-body", "data-lines") or 0)
        jumps.append(float(await page.evaluate(JUMP_TO_MIDDLE)))
    await context.close()
    return opens, jumps, lines


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER TARGET"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions of each timing")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--no-build", action="store_true", help="use the UI as built")
    args = parser.parse_args()

    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"{CHROMIUM} is missing (`make chromium`)")
    if not args.no_build or not (DIST / "index.html").exists():
        build_ui()

    with tempfile.TemporaryDirectory(prefix="pulse-ui-bench-") as tmp:
        server = Server(Path(tmp))
        try:
            print("setting up: a job with 60 executions, and one 10 MiB log ...", flush=True)
            panel_job = server.job_with_runs("bench-panel", "echo ok", 60)
            log_job = server.job_with_runs("bench-big-log", BIG_COMMAND, 1)
            page = server.api.get(f"/jobs/{log_job}/executions").json()["executions"][0]
            # What is stored and served: the output less what the size cap dropped.
            log_bytes = int(page["log_bytes"]) - int(page["log_dropped_bytes"])

            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                size = await first_load_bytes(browser, server.url)
                cold, warm = await panel_times(browser, f"{server.url}/jobs/{panel_job}", args.runs)
                opens, jumps, lines = await log_times(
                    browser, f"{server.url}/jobs/{log_job}", args.runs
                )
                await browser.close()
        finally:
            server.stop()

    gz_kib = size["gzip"] / 1024
    cold_ms = statistics.median(cold)
    warm_ms = statistics.median(warm)
    open_ms = statistics.median(opens)
    jump_ms = statistics.median(jumps)
    print()
    print(
        f"first load JS+CSS   {size['files']} files, {size['raw'] / 1024:.1f} KiB raw, "
        f"{gz_kib:.1f} KiB gzip   (target <= 100 KiB: {verdict(gz_kib, 100)})"
    )
    print(
        f"panel, 50 rows      {cold_ms:.0f} ms cold, {warm_ms:.0f} ms warm (median of "
        f"{len(cold)}/{len(warm)}; from navigation start; target <= 300 ms: "
        f"{verdict(cold_ms, 300)})"
    )
    print(
        f"10 MiB log, open    {open_ms:.0f} ms to the first screen ({log_bytes / 2**20:.1f} MiB, "
        f"{lines:,} lines; median of {len(opens)}; target <= 1000 ms: "
        f"{verdict(open_ms, 1000)})"
    )
    print(f"10 MiB log, jump    {jump_ms:.0f} ms to draw the middle of the log after a scroll")
    if args.json:
        print(
            json.dumps(
                {
                    "first_load_gzip_bytes": size["gzip"],
                    "first_load_raw_bytes": size["raw"],
                    "panel_50_cold_ms": round(cold_ms, 1),
                    "panel_50_warm_ms": round(warm_ms, 1),
                    "log_10mib_open_ms": round(open_ms, 1),
                    "log_10mib_jump_ms": round(jump_ms, 1),
                    "log_bytes": log_bytes,
                    "log_lines": lines,
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
