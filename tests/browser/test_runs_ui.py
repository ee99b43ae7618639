"""The Runs page and the run actions: every run across jobs with its filters in the URL, more
runs by cursor, live arrivals, cancel and re-run (one or several, confirmed), export; the
execution page's cancel, re-run and lineage; the job form's retry policy."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PulseServer
from tests.browser.test_accessibility import AXE, audit

pytestmark = pytest.mark.browser


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def wait_for(predicate: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def wait_running(server: PulseServer, execution_id: str) -> None:
    wait_for(
        lambda: (e := server.execution(execution_id)) is not None and e["status"] == "running",
        f"{execution_id} running",
    )


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


async def test_the_runs_page_filters_by_the_url_and_keeps_the_filters_across_history(
    pulse_server: PulseServer, page: Any
) -> None:
    ok = pulse_server.create_job(name=unique("runs-ok"), command="echo alpha fine", overlap="allow")
    bad = pulse_server.create_job(
        name=unique("runs-bad"), command="echo beta trouble; exit 2", overlap="allow"
    )
    ok_id = pulse_server.trigger(ok["id"])
    for _ in range(2):
        pulse_server.trigger(bad["id"])
    pulse_server.wait_finished(ok["id"], 1)
    pulse_server.wait_finished(bad["id"], 2)

    await page.goto(pulse_server.url)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Runs").click()
    await expect(page.get_by_role("heading", name="Runs", level=1)).to_be_visible()
    table = page.locator("table.runs-table")
    await expect(table.locator(f"tr:has-text('{bad['name']}')")).to_have_count(2)
    headers = ["", "Status", "Job", "Started", "Duration", "Trigger", "Node", "Result", "Actions"]
    await expect(table.get_by_role("columnheader")).to_have_text(headers)
    await expect(table.get_by_role("checkbox", name="Select every run shown")).to_be_visible()

    await page.get_by_label("Job", exact=True).select_option(label=bad["name"])
    await expect(page).to_have_url(re.compile(f"job={bad['id']}"))
    body = table.locator("tbody tr")
    await expect(body).to_have_count(2)
    await expect(body.first).to_contain_text("exit code 2")

    await page.get_by_label("Status", exact=True).select_option("completed")
    await expect(page.get_by_text("No runs match these filters")).to_be_visible()
    assert query_of(page.url) == {"status": ["completed"], "job": [bad["id"]]}

    # Back and forward step through the filters; a reload keeps them.
    await page.go_back()
    await expect(body).to_have_count(2)
    await expect(page.get_by_label("Status", exact=True)).to_have_value("")
    await page.go_forward()
    await expect(page.get_by_text("No runs match these filters")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("completed")
    await expect(page.get_by_label("Job", exact=True)).to_have_value(bad["id"])
    await page.get_by_role("button", name="Clear the filters").click()
    await expect(page).to_have_url(re.compile(r"/runs$"))

    # A window of days ending yesterday has none of them; one from today has them all.
    await page.goto(f"{pulse_server.url}/runs?job={bad['id']}")
    await expect(body).to_have_count(2)
    yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    await page.get_by_label("Started until").fill(yesterday)
    await expect(page.get_by_text("No runs match these filters")).to_be_visible()
    assert query_of(page.url)["to"] == [yesterday]
    await page.get_by_label("Started until").fill("")
    await page.get_by_label("Started from").fill(datetime.now().strftime("%Y-%m-%d"))
    await expect(body).to_have_count(2)

    # The node that ran them, and one that did not.
    node = (pulse_server.execution(ok_id) or {})["node_id"]
    await page.get_by_label("Node").fill("no-such-node")
    await page.get_by_label("Node").press("Enter")
    await expect(page.get_by_text("No runs match these filters")).to_be_visible()
    await page.get_by_label("Node").fill(node)
    await page.get_by_label("Node").press("Enter")
    await expect(body).to_have_count(2)
    await page.goto(f"{pulse_server.url}/runs")

    # Text search over results and errors.
    await page.get_by_label("Search errors and results").fill("alpha")
    await page.get_by_label("Search errors and results").press("Enter")
    await expect(page).to_have_url(re.compile(r"q=alpha"))
    await expect(body).to_have_count(1)
    await expect(body.first).to_contain_text(ok["name"])


async def test_export_downloads_what_the_filter_shows(pulse_server: PulseServer, page: Any) -> None:
    job = pulse_server.create_job(name=unique("exported"), command="echo gamma", overlap="allow")
    ids = [pulse_server.trigger(job["id"]) for _ in range(3)]
    pulse_server.wait_finished(job["id"], 3)

    await page.goto(f"{pulse_server.url}/runs?job={job['id']}&status=completed")
    await expect(page.locator("table.runs-table tbody tr")).to_have_count(3)
    csv_link = page.get_by_role("link", name="Export CSV")
    href = await csv_link.get_attribute("href")
    assert href is not None
    assert query_of(href) == {"format": ["csv"], "status": ["completed"], "job_id": [job["id"]]}

    async with page.expect_download() as info:
        await csv_link.click()
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text)
    lines = text.strip().splitlines()
    assert len(lines) == 4, text  # a header and the three runs
    for execution_id in ids:
        assert execution_id in text

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Export NDJSON").click()
    download = await info.value
    text = await asyncio.to_thread(Path(await download.path()).read_text)
    assert len(text.strip().splitlines()) == 3, text


async def test_load_more_follows_the_cursor_and_new_runs_arrive_live(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("many"), command="true", overlap="allow")
    for _ in range(53):
        pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 53)

    await page.goto(f"{pulse_server.url}/runs?job={job['id']}")
    body = page.locator("table.runs-table tbody tr")
    await expect(body).to_have_count(50)
    await expect(page.locator("[data-live=live]")).to_be_visible()
    await page.get_by_role("button", name="Load more").click()
    await expect(body).to_have_count(53)
    await expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    ids = await body.evaluate_all("rs => rs.map(r => r.dataset.executionId)")
    assert len(set(ids)) == 53

    # A new run comes in on top without a reload, and the pages loaded stay.
    await page.evaluate("window.__noReload = true")
    new_id = pulse_server.trigger(job["id"])
    await expect(body.first).to_have_attribute("data-execution-id", new_id)
    await expect(body).to_have_count(54)
    await expect(body.first.locator(".badge")).to_have_text("Completed")
    assert await page.evaluate("window.__noReload === true")


async def test_cancel_and_re_run_from_the_runs_page_one_or_several(
    pulse_server: PulseServer, page: Any
) -> None:
    slow = pulse_server.create_job(name=unique("slow"), command="sleep 120", overlap="allow")
    quick = pulse_server.create_job(name=unique("quick"), command="echo done", overlap="allow")
    running_id = pulse_server.trigger(slow["id"])
    for _ in range(2):
        pulse_server.trigger(quick["id"])
    pulse_server.wait_finished(quick["id"], 2)
    wait_running(pulse_server, running_id)

    await page.goto(f"{pulse_server.url}/runs?job={slow['id']}")
    row = page.locator(f"tr[data-execution-id='{running_id}']")
    await row.get_by_role("button", name=re.compile("^Cancel the run of")).click()
    dialog = page.get_by_role("dialog", name="Cancel this run?")
    await expect(dialog).to_contain_text(slow["name"])
    await dialog.get_by_role("button", name="Keep running").click()
    await expect(row.locator(".badge")).to_have_text("Running")
    await row.get_by_role("button", name=re.compile("^Cancel the run of")).click()
    await page.get_by_role("dialog").get_by_role("button", name="Cancel run").click()
    await expect(row.locator(".badge")).to_have_text("Cancelled", timeout=30_000)
    await expect(row).to_contain_text("cancelled")

    await page.goto(f"{pulse_server.url}/runs?job={quick['id']}")
    body = page.locator("table.runs-table tbody tr")
    await expect(body).to_have_count(2)
    await page.get_by_label("Select every run shown").check()
    bulk = page.get_by_role("group", name="Selected runs")
    await expect(bulk).to_contain_text("2 selected")
    await bulk.get_by_role("button", name="Re-run 2").click()
    dialog = page.get_by_role("dialog", name="Re-run 2 runs?")
    await dialog.get_by_role("button", name="Re-run 2 runs").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await expect(body).to_have_count(4)
    triggers = page.locator("tbody td[data-label=Trigger]")
    await expect(triggers.filter(has_text=re.compile("^re-run$"))).to_have_count(2)
    reruns = [
        e for e in pulse_server.executions(quick["id"])["executions"] if e["trigger"] == "rerun"
    ]
    assert len(reruns) == 2 and all(e["rerun_of"] for e in reruns), reruns


async def test_the_execution_page_cancels_re_runs_and_shows_the_lineage(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(
        name=unique("lineage"), command="echo started; sleep 120", overlap="allow"
    )
    execution_id = pulse_server.trigger(job["id"])
    wait_running(pulse_server, execution_id)

    await page.goto(f"{pulse_server.url}/executions/{execution_id}")
    await expect(page.locator(".log-body")).to_contain_text("started")
    await page.get_by_role("button", name="Cancel run").click()
    await page.get_by_role("dialog").get_by_role("button", name="Cancel run").click()
    await expect(page.locator("h1 .badge")).to_have_text(re.compile("Cancelling…|Cancelled"))
    await expect(page.locator("h1 .badge")).to_have_text("Cancelled", timeout=30_000)
    await expect(page.locator("[data-outcome=cancelled]")).to_contain_text("Stopped on request")
    await expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)

    # Re-run goes to the new execution, which links back; the first lists it.
    await page.get_by_role("button", name="Re-run").click()
    await page.get_by_role("dialog").get_by_role("button", name="Re-run").click()
    await expect(page).not_to_have_url(re.compile(f"/executions/{execution_id}$"))
    back = page.locator(f"[data-rerun-of='{execution_id}']")
    await expect(back).to_be_visible()
    new_id = urlparse(page.url).path.rsplit("/", 1)[-1]
    await expect(page.locator(".facts")).to_contain_text("re-run")
    # The re-run is still running: cancel it through the API so the test leaves nothing behind.
    pulse_server.api.post(f"/executions/{new_id}/cancel")

    await back.click()
    lineage = page.locator("[data-section=reruns]")
    await expect(lineage.locator(f"[data-rerun='{new_id}']")).to_be_visible()


async def test_retries_set_in_the_job_form_show_as_a_chain(
    pulse_server: PulseServer, page: Any
) -> None:
    name = unique("retried")
    await page.goto(pulse_server.url)
    await page.get_by_role("button", name="+ New job").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Name", exact=True).fill(name)
    await dialog.get_by_label("Run every").fill("1")
    await dialog.get_by_label("Unit").select_option("days")
    await dialog.get_by_label("Command", exact=True).fill("echo try; exit 1")
    await dialog.get_by_label("Attempts per run").fill("3")
    await dialog.get_by_label("First retry after (seconds)").fill("0.2")
    await dialog.get_by_role("button", name="Create job").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    jobs = pulse_server.api.get("/jobs").json()["jobs"]
    job = next(j for j in jobs if j["name"] == name)
    assert (job["max_attempts"], job["retry_backoff_seconds"]) == (3, 0.2)

    first = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 3)
    await page.goto(f"{pulse_server.url}/executions/{first}")
    lineage = page.locator("[data-section=reruns]")
    await expect(lineage.locator("li")).to_have_count(2)
    await expect(lineage).to_contain_text("attempt 2")
    await expect(lineage).to_contain_text("attempt 3")
    await lineage.locator("li", has_text="attempt 3").get_by_role("link").click()
    await expect(page.locator(".facts")).to_contain_text("Retry of")
    await expect(page.locator(f"[data-rerun-of='{first}']")).to_be_visible()

    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.locator("[data-fact=retries]")).to_contain_text("up to 3 attempts")


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_runs_page_passes_an_accessibility_audit(
    pulse_server: PulseServer, browser: Any, scheme: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    job = pulse_server.create_job(
        name=unique(f"audited-runs-{scheme}"), command="echo fine; exit 1", overlap="allow"
    )
    pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=scheme
    )
    page = await context.new_page()
    try:
        await page.goto(f"{pulse_server.url}/runs")
        await expect(page.locator(f"tr:has-text('{job['name']}')")).to_have_count(1)
        await audit(page, "runs page")
        await page.locator("tbody tr").first.get_by_role("checkbox").check()
        await expect(page.get_by_role("group", name="Selected runs")).to_be_visible()
        await audit(page, "runs page with a selection")
        await page.goto(f"{pulse_server.url}/runs?status=running&q=nothing%20here")
        await expect(page.get_by_text("No runs match these filters")).to_be_visible()
        await audit(page, "runs page without matches")
    finally:
        await context.close()


async def test_the_runs_page_fits_a_phone(pulse_server: PulseServer, phone: Any) -> None:
    job = pulse_server.create_job(name=unique("phone-runs"), command="echo small")
    pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)
    await phone.goto(f"{pulse_server.url}/runs")
    await expect(phone.locator(f"tr:has-text('{job['name']}')")).to_have_count(1)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width} px wide"
