"""The security baseline: loopback by default, token elsewhere, no cross-origin driving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from pulse import Pulse, Settings
from pulse.errors import InvalidInputError


def test_binding_a_public_address_without_a_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as e:
        Settings(host="0.0.0.0", data_dir=tmp_path).validated()
    assert e.value.field == "host" and "PULSE_API_TOKEN" in str(e.value)
    Settings(host="0.0.0.0", api_token="t0ken", data_dir=tmp_path).validated()  # fine with one


async def test_a_foreign_host_header_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.get("/jobs", headers={"host": "evil.example:8000"})
    assert r.status_code == 421 and "evil.example" in r.json()["detail"]
    assert (await client.get("/jobs", headers={"host": "localhost:8000"})).status_code == 200


async def test_requests_from_another_origin_are_refused(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/jobs",
        json={"name": "x", "command": "id", "interval_seconds": 60},
        headers={"origin": "http://evil.example"},
    )
    assert r.status_code == 403 and "evil.example" in r.json()["detail"]
    assert (await client.get("/jobs")).json()["count"] == 0
    same = await client.get("/jobs", headers={"origin": "http://127.0.0.1:8000"})
    assert same.status_code == 200
    r = await client.get("/jobs", headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403


@pytest.fixture
async def token_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    p = Pulse(Settings(data_dir=tmp_path, host="0.0.0.0", api_token="s3cret", node_id="n"))
    await p.start(loops=False)
    transport = httpx.ASGITransport(app=p.asgi(manage_lifecycle=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://pulse.internal:8000/api/pulse"
    ) as c:
        yield c
    await p.stop()


async def test_with_a_token_every_api_call_needs_it(token_client: httpx.AsyncClient) -> None:
    assert (await token_client.get("/jobs")).status_code == 401
    wrong = await token_client.get("/jobs", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "token" in wrong.json()["detail"]
    ok = await token_client.get("/jobs", headers={"authorization": "Bearer s3cret"})
    assert ok.status_code == 200
