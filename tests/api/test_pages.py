"""Kept answers of the hottest reads: served again only while nothing was committed since."""

from __future__ import annotations

from dataclasses import replace

import httpx

from pulse import Pulse
from pulse.api.pages import PageCache
from pulse.api.schemas import PulseExecution
from pulse.clock import FakeClock
from tests.api.test_executions import make_history


async def test_a_kept_page_is_served_until_anything_is_written(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 3)
    cache: PageCache = client._transport.app.state.pages  # type: ignore[attr-defined]
    paths = [f"/jobs/{jid}/executions?limit=2", "/executions?limit=2", f"/jobs/{jid}", "/jobs"]
    first = [(await client.get(p)).json() for p in paths]
    hits = cache.hits
    again = [(await client.get(p)).json() for p in paths]
    assert again == first and cache.hits == hits + len(paths)  # nothing changed: kept

    # A write anywhere (here a run of the job) and every page is built again.
    clock.advance(60)
    await pulse.engine.tick()
    await pulse.engine.run_pending()
    after = [(await client.get(p)).json() for p in paths]
    assert cache.hits == hits + len(paths)
    assert after[0]["total"] == 4 and after[0]["executions"][0] != first[0]["executions"][0]
    assert after[1]["executions"][0]["id"] == after[0]["executions"][0]["id"]
    assert after[2]["last_execution_id"] == after[0]["executions"][0]["id"]
    assert after[3]["jobs"][0]["last_run_at"] != first[3]["jobs"][0]["last_run_at"]


async def test_a_direct_write_to_the_store_is_seen_at_once(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 2)
    before = (await client.get(f"/jobs/{jid}")).json()
    # Not through the service: no event, but the database changed, so the page is read again.
    job = await pulse.store.get_job(jid)
    await pulse.store.update_job(replace(job, name="renamed underneath"))
    assert (await client.get(f"/jobs/{jid}")).json()["name"] == "renamed underneath"
    assert before["name"] != "renamed underneath"


async def test_pages_sent_straight_as_json_have_the_documented_fields_in_order(
    client: httpx.AsyncClient, pulse: Pulse, clock: FakeClock
) -> None:
    jid = await make_history(client, pulse, clock, 1)
    fields = list(PulseExecution.model_fields)
    for path in (f"/jobs/{jid}/executions", "/executions"):
        listed = (await client.get(path)).json()["executions"][0]
        assert list(listed) == fields
        assert PulseExecution.model_validate(listed).model_dump() == listed
