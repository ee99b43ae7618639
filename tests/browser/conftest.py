"""Browser tests: Debian's Chromium, driven by Playwright's async API, against a real
``pulse serve`` subprocess on a free port with a temporary SQLite database.

The server is started once per session (starting one takes a second; the tests create their
own jobs, so they do not see each other's). Each test gets a fresh browser context.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

# Chromium, the server and the test share two cores, and the suite must pass beside two CPU
# hogs: a page may take seconds to fetch and render, well past the 5 s Playwright expects by
# default. Assertions still wait only as long as it takes.
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
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
SCREENSHOTS = ROOT / "docs" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for p in paths:
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_ui_built() -> None:
    """Build the UI when it is missing or older than its sources (the Makefile normally has)."""
    index = DIST / "index.html"
    sources = [WEB / "src", WEB / "index.html", WEB / "vite.config.ts", WEB / "package.json"]
    if index.exists() and index.stat().st_mtime >= _newest_mtime(sources):
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("the UI is not built and npm is missing")
    if not (WEB / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build"], cwd=WEB, check=True, stdout=subprocess.DEVNULL)


def pulse_command() -> list[str]:
    exe = Path(sys.executable).with_name("pulse")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pulse.cli"]


class PulseServer:
    """A ``pulse serve`` subprocess and an HTTP client for setting up what a test needs."""

    def __init__(
        self, data_dir: Path, env: dict[str, str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir / "server.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*pulse_command(), "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        self.api = httpx.Client(base_url=f"{self.url}/api/pulse", timeout=30)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulse serve exited:\n{self.log_path.read_text()}")
            try:
                # Any answer will do: /health may want the API token.
                if self.api.get("/health").status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"pulse serve did not come up:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        self.api.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    # -- helpers for setting up a test's data through the API --------------------------------
    def create_job(self, **body: Any) -> dict[str, Any]:
        if "cron" not in body:
            body.setdefault("interval_seconds", 86400)
        r = self.api.post("/jobs", json=body)
        r.raise_for_status()
        job: dict[str, Any] = r.json()
        return job

    def patch_job(self, job_id: str, **body: Any) -> dict[str, Any]:
        r = self.api.patch(f"/jobs/{job_id}", json=body)
        r.raise_for_status()
        job: dict[str, Any] = r.json()
        return job

    def trigger(self, job_id: str) -> str:
        r = self.api.post(f"/jobs/{job_id}/trigger")
        r.raise_for_status()
        return str(r.json()["execution_id"])

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        r = self.api.get(f"/executions/{execution_id}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        e: dict[str, Any] = r.json()
        return e

    def executions(self, job_id: str, **query: Any) -> dict[str, Any]:
        r = self.api.get(f"/jobs/{job_id}/executions", params=query)
        r.raise_for_status()
        page: dict[str, Any] = r.json()
        return page

    def wait_finished(self, job_id: str, count: int, timeout: float = 60) -> None:
        """Wait until the job has ``count`` executions and none of them is running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            total = self.executions(job_id, limit=1)["total"]
            running = self.executions(job_id, limit=1, status="running")["total"]
            if total >= count and running == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish {count} executions in {timeout} s")


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (`make chromium` installs it)")
    ensure_ui_built()
    server = PulseServer(tmp_path_factory.mktemp("pulse-browser"))
    yield server
    server.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    pg = await context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    await context.close()


@pytest.fixture
async def phone(browser: Any) -> AsyncIterator[Any]:
    context = await browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    pg = await context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    await context.close()
