"""Create a job in the form, run it, and watch it live: the badge, the log, the outcome."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PulseServer

pytestmark = pytest.mark.browser

# Prints a line on stdout and one on stderr every 0.4 s for about 4 s, then a summary.
SLOW_COMMAND = (
    'for i in 1 2 3 4 5 6 7 8 9 10; do echo "step $i of 10"; echo "warning $i" >&2; '
    "sleep 0.4; done; echo all done"
)


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


async def test_it_creates_a_job_in_the_form_and_shows_the_servers_message_beside_a_bad_field(
    pulse_server: PulseServer, page: Any
) -> None:
    name = unique("nightly-backup")
    await page.goto(pulse_server.url)
    await page.get_by_role("button", name="+ New job").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Name", exact=True).fill(name)
    await dialog.get_by_text("Cron", exact=True).click()
    await dialog.get_by_label("Cron expression").fill("99 2 * * *")
    await dialog.get_by_label("Time zone").fill("Europe/Berlin")
    await dialog.get_by_label("Command", exact=True).fill("echo hi")
    await dialog.get_by_role("button", name="Create job").click()

    # The server refuses the cron expression; its message sits beside the field.
    error = dialog.locator("[data-field-error=cron]")
    await expect(error).to_contain_text("not a valid cron expression")
    await expect(dialog.get_by_label("Cron expression")).to_have_attribute("aria-invalid", "true")

    await dialog.get_by_label("Cron expression").fill("0 2 * * *")
    await expect(dialog.get_by_text("at 02:00, Europe/Berlin")).to_be_visible()
    await dialog.get_by_role("button", name="Create job").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)

    row = page.locator(f"tr[data-job-name='{name}']")
    await expect(row).to_contain_text("at 02:00, Europe/Berlin")
    await expect(row).to_contain_text("Active")
    await expect(row).to_contain_text("Never run")


async def test_it_runs_a_job_and_shows_it_live_without_reload(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("live-job"), command=SLOW_COMMAND)
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.get_by_text("No executions yet")).to_be_visible()
    await expect(page.locator("[data-live=live]")).to_be_visible()

    # Mark the document, so that a reload would be noticed.
    await page.evaluate("window.__noReload = true")
    await page.get_by_role("button", name="Run now").first.click()

    row = page.locator(".exec").first
    badge = row.locator(".badge")
    await expect(badge).to_have_text("Running")
    await expect(badge).to_have_class("badge badge--purple")
    color = await badge.evaluate("e => getComputedStyle(e).color")
    assert color in ("rgb(107, 33, 168)", "rgb(220, 194, 255)"), color  # purple, light or dark

    # The log opened by "Run now" fills in while the execution runs.
    log = row.locator(".log-body")
    await expect(log).to_be_visible()
    await expect(log).to_contain_text("step 1 of 10")
    first_count = int(await log.get_attribute("data-lines") or 0)
    await expect(log).to_contain_text("step 4 of 10")
    assert int(await log.get_attribute("data-lines") or 0) > first_count
    assert await badge.text_content() == "Running", "lines should arrive while it is still running"
    # stdout and stderr are told apart.
    await expect(log.locator(".log-row--stderr").first).to_contain_text("warning")
    await expect(log.locator(".log-row--stdout").first).to_contain_text("step")

    # The badge turns green by itself, and the duration stops ticking.
    await expect(badge).to_have_text("Completed", timeout=20_000)
    await expect(badge).to_have_class("badge badge--green")
    await expect(log).to_contain_text("all done")
    await expect(row.locator(".exec-summary")).to_contain_text("all done")
    assert await page.evaluate("window.__noReload === true")

    # The jobs page shows the last execution too.
    await page.get_by_role("link", name="Jobs", exact=True).first.click()
    jrow = page.locator(f"tr[data-job-id='{job['id']}']")
    await expect(jrow.locator(".badge")).to_have_text("Completed")


async def test_a_failing_job_shows_the_red_badge_and_its_error(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(
        name=unique("failing"), command="echo about to fail; echo boom >&2; exit 3"
    )
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.get_by_text("No executions yet")).to_be_visible()
    await expect(page.locator("[data-live=live]")).to_be_visible()
    pulse_server.trigger(job["id"])

    row = page.locator(".exec").first
    await expect(row.locator(".badge")).to_have_text("Failed", timeout=20_000)
    await expect(row.locator(".badge")).to_have_class("badge badge--red")
    error = row.locator(".exec-error")
    await expect(error).to_be_visible()
    message = (await error.text_content()) or ""
    assert "3" in message, message

    # The execution page shows the whole error and the log.
    await row.locator(".exec-link").click()
    await expect(page.locator(".outcome--error")).to_contain_text(message)
    await expect(page.locator(".log-body")).to_contain_text("boom")

    # The download button gives the plain-text log.
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download").click()
    download = await info.value
    assert download.suggested_filename.endswith(".log")
    text = await asyncio.to_thread(Path(await download.path()).read_text)
    assert "[stderr] boom" in text and "about to fail" in text, text


async def test_deep_links_survive_a_reload_and_unknown_ids_say_not_found(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("deep-link"), command="echo hi")
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.get_by_role("heading", name=job["name"])).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name=job["name"])).to_be_visible()

    await page.goto(f"{pulse_server.url}/jobs/SPJ_nope")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await page.goto(f"{pulse_server.url}/executions/PX_nope_1")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()


async def test_pause_resume_and_delete_with_confirmation(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("to-delete"), command="echo hi", interval_seconds=300)
    await page.goto(pulse_server.url)
    row = page.locator(f"tr[data-job-id='{job['id']}']")
    await expect(row).to_contain_text("every 5 minutes")
    await row.get_by_role("button", name=f"Pause {job['name']}").click()
    await expect(row).to_contain_text("Paused")
    await row.get_by_role("button", name=f"Resume {job['name']}").click()
    await expect(row.locator(".state-pill")).to_have_text("Active")

    await row.get_by_role("button", name=f"Delete {job['name']}").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("cannot be undone")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(row).to_be_visible()
    await row.get_by_role("button", name=f"Delete {job['name']}").click()
    await page.get_by_role("dialog").get_by_role("button", name="Delete job").click()
    await expect(row).to_have_count(0)
    assert pulse_server.api.get(f"/jobs/{job['id']}").status_code == 404


async def test_it_edits_a_job_and_works_from_the_keyboard(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(
        name=unique("keyboard"), command="echo typed", interval_seconds=60
    )
    pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.locator(".exec")).to_have_count(1)

    # Edit: the form comes filled in; the change shows at once.
    await page.get_by_role("button", name=f"Edit {job['name']}").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_label("Command", exact=True)).to_have_value("echo typed")
    await dialog.get_by_label("Run every").fill("2")
    await dialog.get_by_label("Unit").select_option("hours")
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(page.locator(".facts")).to_contain_text("every 2 hours")

    # Keyboard: the log toggle is reachable with Tab and opens with Enter; Escape closes dialogs.
    toggle = page.locator(".exec-toggle").first
    await toggle.focus()
    await page.keyboard.press("Enter")
    await expect(toggle).to_have_attribute("aria-expanded", "true")
    await expect(page.locator(".log-body")).to_contain_text("typed")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
    assert focused.startswith("Open execution"), focused
    await page.get_by_role("button", name=f"Delete {job['name']}").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_have_count(0)
    # Focus goes back where it was.
    focused = await page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
    assert focused == f"Delete {job['name']}", focused


async def test_the_log_follows_the_end_unless_the_user_scrolls_up(
    pulse_server: PulseServer, page: Any
) -> None:
    command = 'for i in $(seq 1 300); do echo "tick $i"; sleep 0.02; done'
    job = pulse_server.create_job(name=unique("follow"), command=command)
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    await expect(page.locator("[data-live=live]")).to_be_visible()
    await page.get_by_role("button", name="Run now").first.click()
    log = page.locator(".log-body").first
    await expect(log).to_contain_text("tick 40")

    at_end = "el => el.scrollTop + el.clientHeight >= el.scrollHeight - 30"
    assert await log.evaluate(at_end), "a running log should follow its end"

    await log.evaluate("el => { el.scrollTop = 0; }")
    lines_then = int(await log.get_attribute("data-lines") or 0)
    await page.wait_for_function(
        f"document.querySelector('.log-body').dataset.lines > {lines_then + 30}"
    )
    assert await log.evaluate("el => el.scrollTop") == 0, "scrolled up: stay put"
    await expect(log).to_contain_text("tick 1")

    await page.get_by_role("button", name="Follow the end").click()
    await page.wait_for_function(
        f"document.querySelector('.log-body').dataset.lines > {lines_then + 60}"
    )
    assert await log.evaluate(at_end), "following again after the button"
    await expect(page.locator(".exec .badge").first).to_have_text("Completed", timeout=20_000)
    await expect(log).to_contain_text("tick 300")


async def test_a_job_created_elsewhere_appears_without_reload(
    pulse_server: PulseServer, page: Any
) -> None:
    await page.goto(pulse_server.url)
    await expect(page.locator("[data-live=live]")).to_be_visible()
    name = unique("from-the-cli")
    job = pulse_server.create_job(name=name, command="echo hi", interval_seconds=120)
    row = page.locator(f"tr[data-job-id='{job['id']}']")
    await expect(row).to_contain_text("every 2 minutes")
    pulse_server.api.post(f"/jobs/{job['id']}/pause").raise_for_status()
    await expect(row.locator(".state-pill")).to_have_text("Paused")
    pulse_server.api.delete(f"/jobs/{job['id']}").raise_for_status()
    await expect(row).to_have_count(0)
