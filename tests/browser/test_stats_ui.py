"""Statistics in the browser: a job's charts say (in their text alternative) what the API
counts, the jobs list shows each job's last outcomes, and the overview lists a failure."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PulseServer
from tests.browser.test_accessibility import AXE, audit

pytestmark = pytest.mark.browser


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def job_with_runs(server: PulseServer, name: str, failed: int, completed: int) -> dict[str, Any]:
    """A job whose first ``failed`` runs failed and whose next ``completed`` runs completed."""
    job = server.create_job(name=unique(name), command="exit 1", overlap="allow")
    for _ in range(failed):
        server.trigger(job["id"])
    server.wait_finished(job["id"], failed)
    server.patch_job(job["id"], command="true")
    for _ in range(completed):
        server.trigger(job["id"])
    server.wait_finished(job["id"], failed + completed)
    return job


def job_stats(server: PulseServer, job_id: str, days: int) -> dict[str, Any]:
    r = server.api.get(f"/jobs/{job_id}/stats", params={"days": days})
    r.raise_for_status()
    stats: dict[str, Any] = r.json()
    return stats


async def test_the_job_charts_text_alternative_counts_what_the_api_counts(
    pulse_server: PulseServer, page: Any
) -> None:
    job = job_with_runs(pulse_server, "charted", failed=2, completed=3)
    api = job_stats(pulse_server, job["id"], 7)
    assert (api["completed"], api["failed"]) == (3, 2), api

    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    stats = page.locator("[data-section=stats]")
    runs = stats.locator("figure[data-chart=runs]")
    # The chart is an image whose name sums it up...
    await expect(
        runs.get_by_role("img", name=re.compile(r"over the last 7 days: 3 completed and 2 failed"))
    ).to_be_visible()
    await expect(stats.locator("[data-stat=success_rate]")).to_have_text("60%")
    # ...and its table has the API's numbers, period by period and in total.
    await runs.get_by_text("Show as a table").click()
    table = runs.locator("table")
    await expect(table.locator("tfoot [data-completed]")).to_have_text(str(api["completed"]))
    await expect(table.locator("tfoot [data-failed]")).to_have_text(str(api["failed"]))
    busy = [p for p in api["series"] if p["completed"] + p["failed"]]
    await expect(table.locator("tbody tr")).to_have_count(len(busy))
    for point in busy:
        row = table.locator(f"tbody tr:has(time[datetime='{point['start']}'])")
        await expect(row.locator("td")).to_have_text(
            [str(point["completed"]), str(point["failed"])]
        )
    # The chart itself is drawn.
    await expect(runs.locator("canvas").first).to_be_visible()
    await expect(stats.locator("figure[data-chart=duration] canvas").first).to_be_visible()

    # Another window: the hourly series of the last 24 hours, with the same totals.
    await stats.get_by_role("button", name="24 h").click()
    await expect(
        runs.get_by_role(
            "img", name=re.compile(r"^Runs per hour over the last 24 hours: 3 completed")
        )
    ).to_be_visible()

    # A run that ends while the page is open is counted without a reload.
    pulse_server.trigger(job["id"])
    await expect(table.locator("tfoot [data-completed]")).to_have_text("4")
    await expect(stats.locator("[data-stat=total]")).to_have_text("6")


async def test_the_jobs_list_shows_each_jobs_last_outcomes_live(
    pulse_server: PulseServer, page: Any
) -> None:
    job = job_with_runs(pulse_server, "striped", failed=2, completed=3)
    await page.goto(pulse_server.url)
    row = page.locator(f"tr[data-job-id='{job['id']}']")
    strip = row.get_by_role("img", name="last 5 runs: 3 completed, 2 failed")
    await expect(strip).to_be_visible()
    # Oldest first: the two failures, then the three successes.
    await expect(strip).to_have_attribute(
        "data-outcomes", "failed,failed,completed,completed,completed"
    )
    await expect(row.locator("[data-rate]")).to_contain_text("60%")

    pulse_server.trigger(job["id"])
    await expect(row.get_by_role("img", name="last 6 runs: 4 completed, 2 failed")).to_be_visible()
    await expect(row.locator("[data-rate]")).to_contain_text("66.7%")


async def test_the_overview_lists_a_failure_and_links_to_it(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("overview-fails"), command="echo nope >&2; exit 3")
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)

    await page.goto(pulse_server.url)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    await expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    failures = page.locator("[data-section=failures-title]")
    row = failures.locator(f"tr[data-execution-id='{execution_id}']")
    await expect(row).to_contain_text(job["name"])
    await expect(row).to_contain_text("exit code 3")

    await row.get_by_role("link", name=re.compile("^view")).click()
    await expect(page).to_have_url(re.compile(f"/executions/{execution_id}$"))
    await expect(page.locator(".outcome--error")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_statistics_pass_an_accessibility_audit(
    pulse_server: PulseServer, browser: Any, scheme: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    job = job_with_runs(pulse_server, f"audited-stats-{scheme}", failed=1, completed=1)
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=scheme
    )
    page = await context.new_page()
    try:
        await page.goto(pulse_server.url)
        row = page.locator(f"tr[data-job-id='{job['id']}']")
        await expect(row.get_by_role("img", name=re.compile("^last 2 runs"))).to_be_visible()
        await audit(page, "jobs page with outcome strips")

        await row.get_by_role("link", name=job["name"]).click()
        stats = page.locator("[data-section=stats]")
        await expect(stats.locator("canvas").first).to_be_visible()
        for summary in await stats.get_by_text("Show as a table").all():
            await summary.click()
        await expect(stats.locator("table").first).to_be_visible()
        await audit(page, "job statistics with their tables open")

        await (
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
        )
        await expect(page.locator("[data-section=failures-title] tbody tr").first).to_be_visible()
        await audit(page, "overview")
    finally:
        await context.close()
