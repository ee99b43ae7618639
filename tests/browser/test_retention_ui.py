"""Retention in the browser: the settings page saves the global policy (and names a bad
field), a job's page edits the job's own rules, and a prune is previewed, then done.

These tests change the global policy and prune, so they run against a server of their own
that never prunes by itself: nothing of another test's history is touched, and no scheduled
prune runs between a preview and the prune it announces."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import CHROMIUM, PulseServer, ensure_ui_built
from tests.browser.test_accessibility import AXE, audit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing (`make chromium` installs it)")
    ensure_ui_built()
    data: Path = tmp_path_factory.mktemp("pulse-retention")
    s = PulseServer(data, env={"PULSE_PRUNE_INTERVAL": "0"})
    yield s
    s.stop()


@pytest.fixture
def default_policy(server: PulseServer) -> Iterator[None]:
    """The global policy is the default one before and after the test."""
    server.api.put("/settings/retention", json={}).raise_for_status()
    yield
    server.api.put("/settings/retention", json={}).raise_for_status()


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def get(server: PulseServer, path: str) -> Any:
    r = server.api.get(path)
    r.raise_for_status()
    return r.json()


async def open_settings(page: Any, server: PulseServer) -> None:
    await page.goto(server.url)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()


async def test_the_settings_page_saves_the_global_policy_and_names_a_bad_field(
    server: PulseServer, default_policy: None, page: Any
) -> None:
    await open_settings(page, server)
    form = page.locator("[data-section=policy] form")
    await expect(form.get_by_label("Keep completed runs (days)")).to_have_value("30")
    await form.get_by_label("Keep completed runs (days)").fill("45")
    await form.get_by_label("Keep failed runs", exact=True).select_option("none")
    await form.get_by_role("button", name="Save policy").click()
    await expect(
        page.get_by_role("status").filter(has_text="Saved the retention policy")
    ).to_be_visible()
    assert get(server, "/settings/retention") == {
        "keep_days": {"completed": 45, "failed": None},
        "keep_max": 10000,
        "keep_min": 20,
    }

    # Back on the page later, the form shows the stored policy.
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs").click()
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    await expect(form.get_by_label("Keep completed runs (days)")).to_have_value("45")
    await expect(form.get_by_label("Keep failed runs", exact=True)).to_have_value("none")

    # A floor above the cap is refused, and the server's message stands beside the floor.
    await form.get_by_label("At most (runs)").fill("1000000")
    await form.get_by_label("Always keep the newest").fill("2000000")
    await form.get_by_role("button", name="Save policy").click()
    error = form.locator("[data-field-error=keep_min]")
    await expect(error).to_contain_text("keep_max")
    await expect(form.get_by_label("Always keep the newest")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert get(server, "/settings/retention")["keep_min"] == 20


async def test_a_jobs_page_edits_the_jobs_own_retention(
    server: PulseServer, default_policy: None, page: Any
) -> None:
    job = server.create_job(name=unique("kept-longer"), command="true")
    await page.goto(f"{server.url}/jobs/{job['id']}")
    card = page.locator("[data-section=retention]")
    await expect(card).to_contain_text("This job follows the global policy")
    await expect(card.locator("[data-rule=failed] [data-rule-value]")).to_have_text("90 days")

    await card.get_by_role("button", name="Edit retention").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Keep failed runs", exact=True).select_option("value")
    await dialog.get_by_label("Keep failed runs (days)").fill("180")
    await dialog.get_by_label("At most", exact=True).select_option("none")
    await dialog.get_by_role("button", name="Save retention").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)

    # The rules the job sets are marked as its own; the others still follow the global policy.
    await expect(card.locator("[data-rule=failed] [data-rule-value]")).to_have_text("180 days")
    await expect(card.locator("[data-rule=failed]")).to_have_attribute("data-overridden", "true")
    await expect(card.locator("[data-rule=keep_max] [data-rule-value]")).to_have_text("no cap")
    await expect(card.locator("[data-rule=completed]")).to_have_attribute(
        "data-overridden", "false"
    )
    await expect(card).to_contain_text("This job sets 2 rules of its own")
    assert get(server, f"/jobs/{job['id']}")["retention"] == {
        "keep_days": {"failed": 180},
        "keep_max": None,
    }

    await card.get_by_role("button", name="Use global policy").click()
    await expect(card).to_contain_text("This job follows the global policy")
    await expect(card.locator("[data-rule=failed] [data-rule-value]")).to_have_text("90 days")
    assert get(server, f"/jobs/{job['id']}")["retention"] is None


async def test_a_prune_is_previewed_then_done(
    server: PulseServer, default_policy: None, page: Any
) -> None:
    job = server.create_job(name=unique("capped"), command="true", overlap="allow")
    server.patch_job(job["id"], retention={"keep_max": 2, "keep_min": 1})
    for _ in range(4):
        server.trigger(job["id"])
    server.wait_finished(job["id"], 4)

    await open_settings(page, server)
    prune = page.locator("[data-section=prune]")
    await prune.get_by_role("button", name="Preview").click()
    row = prune.locator(f"tr[data-job-id='{job['id']}']")
    await expect(row).to_contain_text(job["name"])
    await expect(row.locator("[data-deleted]")).to_have_text("2")
    await expect(row).to_contain_text("at most 2")
    # A dry run deletes nothing.
    assert server.executions(job["id"])["total"] == 4

    await prune.get_by_role("button", name="Prune now").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("2 finished executions")
    await dialog.get_by_role("button", name="Prune now").click()
    await expect(page.get_by_role("status").filter(has_text="Pruned 2 executions")).to_be_visible()
    assert server.executions(job["id"])["total"] == 2

    prunes = page.locator("[data-section=prunes] tr[data-prune]")
    await expect(prunes.first).to_contain_text("by hand")
    await expect(prunes.first.locator("[data-deleted]")).to_have_text("2")
    latest = get(server, "/maintenance/prunes?limit=1")["prunes"][0]
    assert latest["deleted"] == 2 and latest["trigger"] == "manual", latest


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_settings_and_retention_pass_an_accessibility_audit(
    server: PulseServer, browser: Any, scheme: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    job = server.create_job(name=unique(f"audited-retention-{scheme}"), command="true")
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=scheme
    )
    page = await context.new_page()
    try:
        await open_settings(page, server)
        await page.locator("[data-section=prune]").get_by_role("button", name="Preview").click()
        await expect(page.locator("[data-preview]")).to_be_visible()
        await audit(page, "settings page with a prune preview")

        await page.goto(f"{server.url}/jobs/{job['id']}")
        card = page.locator("[data-section=retention]")
        await card.get_by_role("button", name="Edit retention").click()
        await expect(page.get_by_role("dialog")).to_be_visible()
        await audit(page, "a job's retention dialog")
    finally:
        await context.close()
