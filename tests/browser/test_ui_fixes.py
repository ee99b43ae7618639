"""What a new user tripped over, each checked in Chromium: colour codes in logs and results, a
failed run's last output shown as its result, a running run's stale size and times, form errors
that stayed, cron and time zone defaults, a refused token, an offline page that looked current,
focus after navigation, control names, unknown pages, the run list's headers and the log's
copy / wrap / UTC options."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import CHROMIUM, PulseServer, ensure_ui_built
from tests.browser.test_accessibility import AXE, audit

pytestmark = pytest.mark.browser

# About 40 s of output, a line every 0.3 s: long enough to look at while it runs. Tests cancel
# it when they are done.
SLOW_COMMAND = "for i in $(seq 1 130); do echo line $i; sleep 0.3; done"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def wait_started(server: PulseServer, execution_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        e = server.execution(execution_id)
        if e is not None:
            return e
        time.sleep(0.1)
    raise AssertionError(f"{execution_id} did not start in {timeout} s")


def cancel(server: PulseServer, execution_id: str) -> None:
    server.api.post(f"/executions/{execution_id}/cancel")


async def test_colour_codes_are_drawn_in_the_log_and_stripped_from_the_result(
    pulse_server: PulseServer, page: Any
) -> None:
    command = (
        r"printf '\033[31mred alert\033[0m plain \033[1;32mbold green\033[0m\n'; "
        r"printf '\033[36mcyan starts\nstill cyan\033[0m\n'; "
        r"printf '\033]0;a title\007\033[2K\033[1Gdone \033[33mcoloured\033[0m\n'"
    )
    job = pulse_server.create_job(name=unique("ansi"), command=command)
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)

    await page.goto(f"{pulse_server.url}/executions/{execution_id}")
    log = page.locator(".log-body")
    await expect(log).to_contain_text("red alert plain bold green")
    red = log.locator(".ansi-fg-1", has_text="red alert")
    await expect(red).to_have_css("color", "rgb(255, 107, 107)")
    await expect(log.locator(".ansi-bold", has_text="bold green")).to_have_css("font-weight", "700")
    text = await log.inner_text()
    assert "[31m" not in text and "\x1b" not in text and "a title" not in text, text
    await expect(log).to_contain_text("done coloured")
    # A colour opened on one line goes on over the next until it is reset.
    await expect(log.locator(".ansi-fg-6", has_text="still cyan")).to_be_visible()

    result = page.locator("[data-outcome=result]")
    await expect(result).to_contain_text("done coloured")
    assert "\x1b" not in (await result.inner_text())
    assert "[33m" not in (await result.inner_text())


async def test_a_failed_run_shows_its_error_first_and_its_last_output_line_as_such(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(
        name=unique("fails"), command="echo about to fail; echo boom >&2; exit 3"
    )
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)

    await page.goto(f"{pulse_server.url}/executions/{execution_id}")
    await expect(page.locator(".outcome--error")).to_contain_text("3")
    # Not called a result: the run has none.
    await expect(page.get_by_role("heading", name="Result", exact=True)).to_have_count(0)
    last = page.locator("[data-outcome=last-output]")
    await expect(last).to_contain_text("Last output line")
    await expect(last).to_contain_text("about to fail")
    order = await page.evaluate(
        """() => {
          const e = document.querySelector('[data-outcome=error]');
          const l = document.querySelector('[data-outcome=last-output]');
          return Boolean(e.compareDocumentPosition(l) & Node.DOCUMENT_POSITION_FOLLOWING);
        }"""
    )
    assert order, "the error comes before the last output line"


def seconds_of_duration(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d)?) s", text.strip())
    assert m, text
    return float(m.group(1))


def seconds_of_relative(text: str) -> float:
    if text.strip() == "just now":
        return 0
    m = re.fullmatch(r"(\d+) seconds ago", text.strip())
    assert m, text
    return float(m.group(1))


async def test_a_running_runs_page_agrees_with_itself_on_size_and_times(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("running"), command=SLOW_COMMAND)
    execution_id = pulse_server.trigger(job["id"])
    wait_started(pulse_server, execution_id)
    try:
        await page.goto(f"{pulse_server.url}/executions/{execution_id}")
        await expect(page.locator(".log-body")).to_contain_text("line 3")
        # Lines are shown: the log is not "0 B".
        await expect(page.locator("[data-fact=log]")).to_have_text("tailing live")
        await expect(page.get_by_test_id("log-count")).not_to_contain_text("0 B")

        # Once it has run a while, "started N seconds ago" says what the duration says.
        duration = page.locator(".facts .duration")
        await expect(duration).to_have_text(re.compile(r"^(\d\d|[89]\.\d) s$"))
        started, took = await page.evaluate(
            """() => [document.querySelector('.facts time').textContent,
                      document.querySelector('.facts .duration').textContent]"""
        )
        assert abs(seconds_of_relative(started) - seconds_of_duration(took)) <= 2, (started, took)
    finally:
        cancel(pulse_server, execution_id)


async def test_a_fields_error_goes_when_the_field_changes(
    pulse_server: PulseServer, page: Any
) -> None:
    await page.goto(pulse_server.url)
    await page.get_by_role("button", name="+ New job").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name="Create job").click()
    name_error = dialog.locator("[data-field-error=name]")
    await expect(name_error).to_have_text("give the job a name")
    command_error = dialog.locator("[data-field-error=command]")
    await expect(command_error).to_be_visible()

    await dialog.get_by_label("Name", exact=True).fill("fixed")
    await expect(name_error).to_have_count(0)
    await expect(dialog.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "false")
    # The other field's error stays until that field is fixed.
    await expect(command_error).to_be_visible()


async def test_an_invalid_cron_is_said_so_at_once_and_a_new_job_takes_the_browsers_zone(
    pulse_server: PulseServer, browser: Any
) -> None:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id="America/Sao_Paulo"
    )
    page = await context.new_page()
    try:
        await page.goto(pulse_server.url)
        await page.get_by_role("button", name="+ New job").click()
        dialog = page.get_by_role("dialog")
        await dialog.get_by_text("Cron", exact=True).click()
        await expect(dialog.get_by_label("Time zone")).to_have_value("America/Sao_Paulo")

        cron = dialog.get_by_label("Cron expression")
        await cron.fill("99 2 * * *")
        problem = dialog.locator("[data-cron-problem]")
        await expect(problem).to_contain_text("bad minute '99': 99 is not in 0-59")
        await expect(cron).to_have_attribute("aria-invalid", "true")
        await expect(dialog.locator(".schedule-preview strong")).to_have_count(0)

        await cron.fill("0 2 * * 1-5")
        await expect(problem).to_have_count(0)
        await expect(dialog.get_by_text("at 02:00 on weekdays, America/Sao_Paulo")).to_be_visible()
    finally:
        await context.close()


TOKEN = "ui-test-token-" + "0123456789abcdef"


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[PulseServer]:
    """A server of this test's own that wants an API token."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    ensure_ui_built()
    server = PulseServer(tmp_path, env={"PULSE_API_TOKEN": TOKEN})
    yield server
    server.stop()


async def test_a_refused_token_is_said_so_and_a_saved_token_can_be_changed_or_forgotten(
    token_server: PulseServer, page: Any
) -> None:
    await page.add_init_script(
        "if (!sessionStorage.getItem('seeded')) {"
        " localStorage.setItem('pulse.token', 'not-the-token');"
        " sessionStorage.setItem('seeded', '1'); }"
    )
    await page.goto(token_server.url)
    dialog = page.get_by_role("dialog", name="API token refused")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("The token was refused")

    await dialog.get_by_label("API token").fill(TOKEN)
    await dialog.get_by_role("button", name="Save token").click()
    await expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    await expect(page.locator(".live")).to_have_attribute("data-live", "live")
    await expect(page.get_by_role("dialog")).to_have_count(0)

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    card = page.locator("[data-section=token]")
    await expect(card).to_contain_text("cdef")
    await card.get_by_role("button", name="Change token").click()
    change = page.get_by_role("dialog", name="Change the API token")
    await expect(change).to_be_visible()
    await change.get_by_role("button", name="Cancel").click()

    await card.get_by_role("button", name="Forget token").click()
    # Without a token the server asks for one, and says nothing was refused.
    asked = page.get_by_role("dialog", name="API token needed")
    await expect(asked).to_be_visible()
    await expect(asked).not_to_contain_text("refused")
    assert await page.evaluate("localStorage.getItem('pulse.token')") is None


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[list[PulseServer]]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    ensure_ui_built()
    servers = [PulseServer(tmp_path)]
    yield servers
    servers[-1].stop()


async def test_an_offline_page_says_how_old_its_data_is_and_stops_ticking(
    own_server: list[PulseServer], page: Any
) -> None:
    server = own_server[0]
    job = server.create_job(name="ticking", command="sleep 120")
    execution_id = server.trigger(job["id"])
    wait_started(server, execution_id)
    await page.clock.install()
    await page.goto(f"{server.url}/executions/{execution_id}")
    await expect(page.locator(".live")).to_have_attribute("data-live", "live")
    duration = page.locator(".facts .duration")
    await expect(duration).to_be_visible()

    server.stop()
    banner = page.locator("[data-banner=offline]")
    await expect(banner).to_have_text(
        re.compile(r"Connection lost — data shown is from \d\d:\d\d:\d\d; retrying…")
    )
    await expect(banner).to_have_attribute("role", "alert")
    frozen = await duration.text_content()
    # Half a minute later the page still shows the run as it was when the connection went.
    await page.clock.fast_forward(30_000)
    await page.evaluate("() => new Promise(r => setTimeout(r, 0))")
    assert await duration.text_content() == frozen


async def test_focus_moves_to_the_new_pages_heading(pulse_server: PulseServer, page: Any) -> None:
    job = pulse_server.create_job(name=unique("focus"), command="true")
    await page.goto(pulse_server.url)
    await expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    await nav.get_by_role("link", name="Overview").click()
    await expect(page.get_by_role("heading", name="Overview", level=1)).to_be_focused()

    await nav.get_by_role("link", name="Jobs").click()
    await page.get_by_role("link", name=job["name"]).click()
    # The job's page draws its heading once the job has loaded; then it takes the focus.
    await expect(page.get_by_role("heading", name=job["name"], level=1)).to_be_focused()
    await page.go_back()
    await expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_focused()


async def test_the_run_list_has_headers_times_on_hover_and_a_toggle_named_for_people(
    pulse_server: PulseServer, page: Any
) -> None:
    job = pulse_server.create_job(name=unique("listed"), command="echo hi")
    pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)
    await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
    table = page.get_by_role("table", name="Executions, newest first")
    await expect(table.get_by_role("columnheader")).to_have_text(
        ["Log", "Status", "Started", "Duration", "Result", "Open"]
    )
    row = table.get_by_role("row").nth(1)
    await expect(row.get_by_role("cell")).to_have_count(6)
    when = row.locator("time")
    await expect(when).to_have_attribute(
        "title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d( \S+)?$")
    )
    toggle = row.locator(".exec-toggle")
    name = await toggle.get_attribute("aria-label")
    assert name is not None
    assert re.fullmatch(
        r"Show log of the run started (just now|\d+ seconds? ago|\d+ minutes? ago) "
        r"\(\d\d:\d\d:\d\d\)",
        name,
    ), name


async def test_an_unknown_address_shows_a_page_not_found_with_a_way_home(
    pulse_server: PulseServer, page: Any
) -> None:
    await page.goto(f"{pulse_server.url}/no/such/page")
    await expect(page.get_by_role("heading", name="Page not found", exact=True)).to_be_visible()
    await expect(page.get_by_text("/no/such/page")).to_be_visible()
    await expect(page).to_have_title(re.compile("^Page not found"))
    await audit(page, "page not found")
    await page.get_by_role("link", name="Go to the jobs").click()
    await expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()


LONG_LINE = "x" * 400


async def test_the_log_copies_wraps_and_shows_utc_remembering_the_choices(
    pulse_server: PulseServer, browser: Any
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    job = pulse_server.create_job(
        name=unique("log-options"), command=f"echo first; echo {LONG_LINE}; echo last"
    )
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)

    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id="Asia/Kolkata"
    )
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=pulse_server.url)
    page = await context.new_page()
    try:
        await page.goto(f"{pulse_server.url}/executions/{execution_id}")
        log = page.locator(".log-body")
        await expect(log).to_contain_text("last")

        await page.get_by_role("button", name="Copy the log").click()
        await expect(page.get_by_role("button", name="Copied the log")).to_be_visible()
        copied = await page.evaluate("navigator.clipboard.readText()")
        assert "first" in copied and LONG_LINE in copied and "last" in copied, copied

        # Wrapping: the long line takes several rows and nothing scrolls sideways.
        long_row = log.locator(".log-row", has_text=LONG_LINE)
        assert (await long_row.bounding_box())["height"] <= 21
        assert await log.evaluate("el => el.scrollWidth > el.clientWidth")
        await page.get_by_label("Wrap lines").check()
        await expect(log).to_have_attribute("data-wrap", "true")
        box = await long_row.bounding_box()
        assert box is not None and box["height"] >= 40, box
        assert await log.evaluate("el => el.scrollWidth <= el.clientWidth")
        await expect(log.locator(".log-row", has_text="last")).to_be_visible()

        # UTC: the clock of the first line is its UTC time (Kolkata is 5:30 ahead).
        first = log.locator(".log-row", has_text="first").locator(".log-ts")
        iso = await first.get_attribute("title")
        assert iso is not None
        at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
        millis = f"{at.microsecond // 1000:03d}"
        local = at + timedelta(hours=5, minutes=30)
        await expect(first).to_have_text(local.strftime("%H:%M:%S.") + millis)
        await page.get_by_label("UTC times").check()
        await expect(first).to_have_text(at.strftime("%H:%M:%S.") + millis)
        await audit(page, "log with its options on")

        # Both choices are remembered.
        await page.reload()
        await expect(page.get_by_label("Wrap lines")).to_be_checked()
        await expect(page.get_by_label("UTC times")).to_be_checked()
        await expect(first).to_have_text(at.strftime("%H:%M:%S.") + millis)
    finally:
        await context.close()
