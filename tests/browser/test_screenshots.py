"""The README's pictures: the jobs page, and the Job Detail Panel with a log open. Taken on a
server of their own so that the other tests' jobs do not crowd them.

They are written to docs/screenshots/ only with PULSE_UPDATE_SCREENSHOTS=1 (so that a test run
leaves the work tree clean); otherwise to a temporary folder, the scenes still checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import CHROMIUM, SCREENSHOTS, PulseServer, ensure_ui_built

pytestmark = pytest.mark.browser

INGEST = (
    "echo 'connecting to events.internal:9092'; sleep 0.3; echo 'subscribed to topic events.v2'; "
    'for i in $(seq 1 400); do echo "batch $i: 500 events, lag 12 ms"; '
    'if [ $((i % 7)) -eq 0 ]; then echo "retrying partition $((i % 4)) after timeout" >&2; fi; '
    "sleep 0.15; done"
)
BACKUP = (
    "echo 'dumping database orders'; echo 'pg_dump: 1,284,113 rows'; "
    "echo 'warning: table audit_log is large' >&2; echo 'compressing'; "
    "echo 'uploaded orders-2025-12-06.sql.gz (412 MiB)'"
)


@pytest.fixture
def showcase(tmp_path: Path) -> Iterator[PulseServer]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    ensure_ui_built()
    server = PulseServer(tmp_path / "server")
    yield server
    server.stop()


async def test_it_saves_screenshots_of_the_jobs_page_and_the_panel(
    showcase: PulseServer, page: Any, tmp_path: Path
) -> None:
    s = showcase
    backup = s.create_job(
        name="nightly-backup",
        description="Dump the orders database to object storage",
        cron="0 2 * * *",
        timezone="Europe/Berlin",
        command=BACKUP,
        overlap="allow",
    )
    s.create_job(name="sync-invoices", command="echo synced 42 invoices", interval_seconds=300)
    report = s.create_job(
        name="weekly-report", cron="30 9 * * 1-5", timezone="America/New_York", command="echo sent"
    )
    flaky = s.create_job(
        name="export-to-warehouse",
        command="echo 'exporting'; echo 'connection refused: warehouse:5439' >&2; exit 2",
        interval_seconds=900,
    )
    cleanup = s.create_job(
        name="cleanup-tmp", command="find /tmp -mtime +7 -delete", cron="@hourly"
    )
    ingest = s.create_job(name="ingest-events", command=INGEST, interval_seconds=3600)

    for _ in range(3):
        s.trigger(report["id"])
    s.trigger(flaky["id"])
    s.trigger(cleanup["id"])
    for _ in range(5):
        s.trigger(backup["id"])
    s.wait_finished(backup["id"], 5)
    s.patch_job(backup["id"], command=BACKUP + "; echo 'checksum mismatch' >&2; exit 1")
    s.trigger(backup["id"])
    s.wait_finished(backup["id"], 6)
    s.patch_job(backup["id"], command=BACKUP)
    for _ in range(2):
        s.trigger(backup["id"])
    s.wait_finished(backup["id"], 8)
    s.api.post(f"/jobs/{cleanup['id']}/pause").raise_for_status()
    s.trigger(ingest["id"])
    s.wait_finished(flaky["id"], 1)

    out = SCREENSHOTS if os.environ.get("PULSE_UPDATE_SCREENSHOTS") == "1" else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size({"width": 1280, "height": 640})
    await page.goto(s.url)
    await expect(page.locator("tr[data-job-name]")).to_have_count(6)
    await expect(page.locator("[data-live=live]")).to_be_visible()
    await page.screenshot(path=str(out / "jobs.png"))

    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{s.url}/jobs/{backup['id']}")
    await expect(page.locator(".exec")).to_have_count(8)
    # The newest run is open with its log; a failure sits below it.
    s.trigger(backup["id"])
    await expect(page.locator(".exec")).to_have_count(9)
    first = page.locator(".exec").first
    await first.get_by_role("button", name="Show log").click()
    await expect(first.locator(".log-body")).to_contain_text("uploaded")
    await expect(first.locator(".badge")).to_have_text("Completed")
    await expect(first.locator(".exec-summary")).to_contain_text("uploaded")
    await expect(first.locator(".exec-trigger")).to_contain_text("manual")
    await page.mouse.move(0, 0)
    await page.screenshot(path=str(out / "panel.png"))

    await page.goto(f"{s.url}/jobs/{ingest['id']}")
    first = page.locator(".exec").first
    await expect(first.locator(".badge")).to_have_text("Running")
    await first.get_by_role("button", name="Show log").click()
    await expect(first.locator(".log-body")).to_contain_text("batch 8:")
    await page.screenshot(path=str(out / "panel-running.png"))

    await page.set_viewport_size({"width": 375, "height": 812})
    await page.goto(f"{s.url}/jobs/{backup['id']}")
    await expect(page.locator(".exec")).to_have_count(9)
    await page.screenshot(path=str(out / "panel-phone.png"))
