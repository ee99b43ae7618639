"""An automated accessibility audit (axe-core, from the UI's dev dependencies) of each page in
both colour schemes: labelled controls, roles, and readable contrast. Serious and critical
findings fail the test."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import WEB, PulseServer

pytestmark = pytest.mark.browser

AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"


async def audit(page: Any, what: str) -> None:
    await page.add_script_tag(path=str(AXE))
    # Animations finish first, so contrast is measured on settled colours.
    await page.wait_for_timeout(300)
    result = await page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ['violations'] });
          return r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary),
            }));
        }"""
    )
    assert result == [], f"{what}:\n{json.dumps(result, indent=2)}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_pages_pass_an_accessibility_audit(
    pulse_server: PulseServer, browser: Any, scheme: str
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in web/")
    job = pulse_server.create_job(
        name=f"audited-{scheme}", command="echo out; echo err >&2; exit 1", cron="0 2 * * *"
    )
    execution_id = pulse_server.trigger(job["id"])
    pulse_server.wait_finished(job["id"], 1)

    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=scheme
    )
    page = await context.new_page()
    try:
        await page.goto(pulse_server.url)
        await expect(page.locator(f"tr[data-job-id='{job['id']}']")).to_be_visible()
        await audit(page, "jobs page")

        await page.get_by_role("button", name="+ New job").click()
        await expect(page.get_by_role("dialog")).to_be_visible()
        await audit(page, "job form")
        await page.keyboard.press("Escape")

        await page.goto(f"{pulse_server.url}/jobs/{job['id']}")
        await page.locator(".exec-toggle").first.click()
        await expect(page.locator(".log-body")).to_contain_text("err")
        await audit(page, "job detail panel with a log open")

        await page.goto(f"{pulse_server.url}/executions/{execution_id}")
        await expect(page.locator(".outcome--error")).to_be_visible()
        await audit(page, "execution page")

        await page.goto(f"{pulse_server.url}/jobs/SPJ_missing")
        await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        await audit(page, "not-found page")
    finally:
        await context.close()
