"""Bad input gets a 404 or 422 naming the field and the reason; never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

BASE = {"name": "j", "command": "true", "interval_seconds": 60}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**BASE, "interval_seconds": None, "cron": "61 * * * *"}, "cron", "not a valid cron"),
        ({**BASE, "interval_seconds": None, "cron": "every day"}, "cron", "5 fields"),
        (
            {**BASE, "interval_seconds": None, "cron": "* * * * *", "timezone": "Europe/Atlantis"},
            "timezone",
            "unknown time zone",
        ),
        ({**BASE, "interval_seconds": 0}, "interval_seconds", "greater than 0"),
        ({**BASE, "interval_seconds": -60}, "interval_seconds", "greater than 0"),
        ({**BASE, "interval_seconds": "soon"}, "interval_seconds", "integer"),
        ({"command": "true", "interval_seconds": 60}, "name", "required"),
        ({**BASE, "name": "  "}, "name", "must not be empty"),
        ({**BASE, "command": None}, "command", "either command"),
        ({**BASE, "handler": "h"}, "command", "either command"),
        ({**BASE, "overlap": "sometimes"}, "overlap", "must be one of"),
        ({**BASE, "timeout_seconds": -1}, "timeout_seconds", "greater than 0"),
        ({**BASE, "colour": "red"}, "colour", "unknown field"),
        ({"name": "j", "command": "true"}, "schedule", "either cron or interval_seconds"),
    ],
)
async def test_an_invalid_job_is_refused_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, words: str
) -> None:
    r = await client.post("/jobs", json=body)
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["errors"][0]["field"] == field
    assert words in err["errors"][0]["message"]
    assert field in err["detail"]
    assert (await client.get("/jobs")).json()["count"] == 0  # nothing half-created


async def test_an_invalid_change_leaves_the_job_as_it_was(client: httpx.AsyncClient) -> None:
    job = (await client.post("/jobs", json=BASE)).json()
    r = await client.patch(f"/jobs/{job['id']}", json={"cron": "not cron at all"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cron"
    assert (await client.get(f"/jobs/{job['id']}")).json() == job


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 501}, "limit", "less than or equal to 500"),
        ({"limit": "many"}, "limit", "integer"),
        ({"offset": -1}, "offset", "greater than or equal to 0"),
        ({"status": "exploded"}, "status", "must be one of"),
    ],
)
async def test_bad_list_parameters_are_refused(
    client: httpx.AsyncClient, params: dict[str, Any], field: str, words: str
) -> None:
    jid = (await client.post("/jobs", json=BASE)).json()["id"]
    r = await client.get(f"/jobs/{jid}/executions", params=params)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field
    assert words in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/jobs/SPJ_nope"),
        ("PATCH", "/jobs/SPJ_nope"),
        ("DELETE", "/jobs/SPJ_nope"),
        ("POST", "/jobs/SPJ_nope/pause"),
        ("POST", "/jobs/SPJ_nope/resume"),
        ("POST", "/jobs/SPJ_nope/trigger"),
        ("GET", "/jobs/SPJ_nope/executions"),
        ("GET", "/executions/PX_nope_1"),
        ("GET", "/executions/PX_nope_1/logs"),
        ("GET", "/executions/PX_nope_1/log-chunks"),
    ],
)
async def test_unknown_ids_are_404_naming_the_id(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    kw: dict[str, Any] = {"json": {"name": "x"}} if method == "PATCH" else {}
    r = await client.request(method, path, **kw)
    assert r.status_code == 404
    assert "nope" in r.json()["detail"] and "not found" in r.json()["detail"]


async def test_malformed_json_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs", content=b'{"name": "x",', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body"
    assert "malformed JSON" in r.json()["detail"]


async def test_a_json_array_body_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/jobs", json=[1, 2])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_is_refused(
    client: httpx.AsyncClient, ctype: str | None
) -> None:
    headers = {"content-type": ctype} if ctype else {}
    r = await client.post("/jobs", content=b"name=x&command=id", headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "content-type"
    assert "application/json" in r.json()["detail"]


async def test_unknown_endpoints_are_404_in_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/nothing-here")
    assert r.status_code == 404 and r.json()["detail"] == "no such endpoint"


async def test_the_openapi_document_describes_every_endpoint(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = set(doc["paths"])
    assert {
        "/api/pulse/jobs",
        "/api/pulse/jobs/{job_id}",
        "/api/pulse/jobs/{job_id}/pause",
        "/api/pulse/jobs/{job_id}/resume",
        "/api/pulse/jobs/{job_id}/trigger",
        "/api/pulse/jobs/{job_id}/executions",
        "/api/pulse/executions/{execution_id}",
        "/api/pulse/executions/{execution_id}/logs",
        "/api/pulse/executions/{execution_id}/log-chunks",
    } <= paths
    schemas = doc["components"]["schemas"]
    assert {"PulseExecution", "ListExecutionsResponse", "ExecutionDetail", "JobOut"} <= set(schemas)
