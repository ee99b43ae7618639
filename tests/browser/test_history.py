"""Browsing a long history: the status filter and pages through 120 executions, on a desktop
and on a 375 x 812 phone; and a 10 MiB log that opens and scrolls."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PulseServer

pytestmark = pytest.mark.browser

FAILED = 30
COMPLETED = 90


@pytest.fixture(scope="module")
def long_history(pulse_server: PulseServer) -> dict[str, Any]:
    """A job with 120 finished executions: 30 failed, then 90 completed."""
    job = pulse_server.create_job(name="long-history", command="echo nope; exit 1", overlap="allow")
    for _ in range(FAILED):
        pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], FAILED)
    pulse_server.patch_job(job["id"], command="echo fine")
    for _ in range(COMPLETED):
        pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], FAILED + COMPLETED)
    return job


def shown(first: int, last: int, total: int) -> str:
    """The pagination's "51-100 of 120", with its en dash."""
    return f"{first}\N{EN DASH}{last} of {total}"


async def assert_statuses(page: Any, status: str, count: int) -> None:
    rows = page.locator(".exec")
    await expect(rows).to_have_count(count)
    statuses = await rows.evaluate_all("rs => rs.map(r => r.dataset.status)")
    assert set(statuses) == {status}, statuses


async def browse_history(page: Any, url: str) -> None:
    await page.goto(url)
    pagination = page.get_by_role("navigation", name="Executions pages")
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(1, 50, 120))
    await expect(page.locator(".exec")).to_have_count(50)

    await pagination.get_by_role("button", name="Next page").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(51, 100, 120))
    await pagination.get_by_role("button", name="Last page").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(101, 120, 120))
    await expect(page.locator(".exec")).to_have_count(20)
    # Newest first: the oldest executions, the failures, are on the last page.
    await assert_statuses(page, "failed", 20)
    await expect(pagination.get_by_role("button", name="Next page")).to_be_disabled()

    filters = page.get_by_role("group", name="Filter executions by status")
    await filters.get_by_role("button", name="Failed").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(1, 30, 30))
    await assert_statuses(page, "failed", FAILED)
    await expect(page.locator(".exec .exec-error").first).to_contain_text("1")

    await filters.get_by_role("button", name="Completed").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(1, 50, 90))
    await pagination.get_by_role("button", name="Next page").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(51, 90, 90))
    await assert_statuses(page, "completed", 40)

    # The filter and page live in the URL, so a reload keeps them.
    assert "status=completed" in page.url and "page=2" in page.url
    await page.reload()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(51, 90, 90))

    await filters.get_by_role("button", name="Running").click()
    await expect(page.get_by_text("No running executions")).to_be_visible()
    await filters.get_by_role("button", name="All").click()
    await expect(pagination.locator(".pagination-range")).to_have_text(shown(1, 50, 120))


async def test_it_filters_by_status_and_pages_through_120_executions(
    pulse_server: PulseServer, long_history: dict[str, Any], page: Any
) -> None:
    await browse_history(page, f"{pulse_server.url}/jobs/{long_history['id']}")


async def test_the_same_works_on_a_375_px_phone(
    pulse_server: PulseServer, long_history: dict[str, Any], phone: Any
) -> None:
    await browse_history(phone, f"{pulse_server.url}/jobs/{long_history['id']}")
    # Nothing sticks out sideways, and the page buttons are on screen and big enough to tap.
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width} px wide"
    await phone.get_by_role("button", name="Last page").scroll_into_view_if_needed()
    for name in ("First page", "Previous page", "Next page", "Last page"):
        box = await phone.get_by_role("button", name=name).bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (name, box)
        assert box["height"] >= 28, (name, box)


# About 12 MiB of output: over the default 10 MiB cap, so the stored log is ~10 MiB with
# Pulse's truncation marker between its head and its tail.
BIG_COMMAND = (
    "seq -f 'line %06g: the quick brown fox jumps over the lazy dog, again and again' 1 150000"
)


@pytest.fixture(scope="module")
def big_log(pulse_server: PulseServer) -> dict[str, Any]:
    job = pulse_server.create_job(name="big-log", command=BIG_COMMAND)
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1, timeout=90)
    e = pulse_server.executions(job["id"])["executions"][0]
    assert e["id"] == execution_id
    return {"job": job, "execution": e}


async def test_a_10_mib_log_opens_and_scrolls(
    pulse_server: PulseServer, big_log: dict[str, Any], page: Any
) -> None:
    execution = big_log["execution"]
    assert execution["log_bytes"] >= 9 * 1024 * 1024, execution
    await page.goto(f"{pulse_server.url}/jobs/{big_log['job']['id']}")
    row = page.locator(".exec").first
    started = time.monotonic()
    await row.get_by_role("button", name="Show log").click()
    log = row.locator(".log-body")
    await expect(log.locator(".log-row").first).to_contain_text("line 000001")
    opened = time.monotonic() - started
    lines = int(await log.get_attribute("data-lines") or 0)
    assert lines > 100_000, lines
    # Only a screenful (and a margin) is in the DOM.
    assert await log.locator(".log-row").count() < 200
    assert opened < 5, f"opening took {opened:.2f} s"

    # Scroll to the middle: Pulse's marker of the dropped bytes is there.
    await log.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    await expect(log.locator(".log-row--truncation")).to_contain_text(
        "bytes dropped", timeout=5_000
    )
    # And to the end: the tail is there, and typing End / Home scrolls with the keyboard.
    await log.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    await expect(log).to_contain_text("line 150000")
    await log.focus()
    await page.keyboard.press("Home")
    await expect(log).to_contain_text("line 000001")
    await expect(row.locator(".log-truncated")).to_contain_text("dropped")

    # Find in the log: the match is brought into view and marked.
    search = row.get_by_label("Find in log")
    await search.fill("line 120000:")
    await search.press("Enter")
    await expect(row.get_by_test_id("log-matches")).to_have_text("1 / 1")
    await expect(log.locator(".log-row--target mark")).to_have_text("line 120000:")
    # The row is still responsive: closing the log works at once.
    await row.get_by_role("button", name="Hide log").click()
    await expect(row.locator(".log-body")).to_have_count(0)
