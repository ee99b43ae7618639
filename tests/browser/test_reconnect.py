"""When the server goes away the UI says so, offers a retry, and comes back by itself."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import CHROMIUM, PulseServer, ensure_ui_built

pytestmark = pytest.mark.browser


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[list[PulseServer]]:
    """A server of this test's own, which the test stops and starts again (same port and data)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    ensure_ui_built()
    servers = [PulseServer(tmp_path)]
    yield servers
    servers[-1].stop()


async def test_it_shows_offline_then_reconnects_after_a_server_restart(
    own_server: list[PulseServer], tmp_path: Path, page: Any
) -> None:
    server = own_server[0]
    job = server.create_job(name="survivor", command="echo still here")
    await page.goto(server.url)
    live = page.locator(".live")
    await expect(live).to_have_attribute("data-live", "live")
    await expect(page.locator("tr[data-job-name]")).to_have_count(1)

    server.stop()
    await expect(live).to_have_attribute("data-live", "offline")
    await expect(live).to_contain_text("Offline")

    # Moving within the app while the server is away: a message and a retry, not a blank page.
    await page.get_by_role("link", name="survivor").click()
    error = page.get_by_role("alert").filter(has_text="not answering")
    await expect(error.first).to_be_visible()
    await expect(page.get_by_role("button", name="Retry").first).to_be_visible()

    restarted = PulseServer(tmp_path, port=server.port)
    own_server.append(restarted)
    restarted.create_job(name="born-while-away", command="true")
    # Back by itself (backoff), and the page refetches what it missed.
    await expect(live).to_have_attribute("data-live", "live", timeout=20_000)
    await expect(page.get_by_role("heading", name="survivor")).to_be_visible()
    await page.get_by_role("link", name="Jobs", exact=True).first.click()
    await expect(page.locator("tr[data-job-name]")).to_have_count(2)

    # And live updates flow again over the new connection.
    restarted.trigger(job["id"])
    row = page.locator(f"tr[data-job-id='{job['id']}']")
    await expect(row.locator(".badge")).to_have_text("Completed", timeout=15_000)


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[PulseServer]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    ensure_ui_built()
    server = PulseServer(tmp_path, env={"PULSE_API_TOKEN": "s3cret-token"})
    server.api.headers["Authorization"] = "Bearer s3cret-token"
    yield server
    server.stop()


async def test_it_asks_for_the_api_token_and_keeps_it(token_server: PulseServer, page: Any) -> None:
    token_server.create_job(name="guarded", command="echo hi")
    await page.goto(token_server.url)
    dialog = page.get_by_role("dialog", name="API token needed")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("API token").fill("s3cret-token")
    await dialog.get_by_role("button", name="Save token").click()
    await expect(page.locator("tr[data-job-name=guarded]")).to_be_visible()
    await expect(page.locator(".live")).to_have_attribute("data-live", "live")
    # Kept in this browser: a reload needs no prompt.
    await page.reload()
    await expect(page.locator("tr[data-job-name=guarded]")).to_be_visible()
    await expect(page.get_by_role("dialog")).to_have_count(0)
