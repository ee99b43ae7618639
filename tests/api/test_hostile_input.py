"""No request can break the API: whatever is sent, the answer is a JSON 4xx naming the field,
nothing unreadable is committed, and ``GET /jobs`` keeps working for everyone. The cases that
reach the database run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pulse import Pulse, Settings
from pulse.clock import FakeClock
from pulse.jobs import (
    MAX_COMMAND_BYTES,
    MAX_ENV_VALUE_BYTES,
    MAX_ENV_VARS,
    MAX_INTERVAL_SECONDS,
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_DEPTH,
)

BASE: dict[str, Any] = {"name": "j", "command": "true", "interval_seconds": 60}
CRON: dict[str, Any] = {"name": "c", "command": "true", "cron": "0 2 * * *"}
HANDLER: dict[str, Any] = {"name": "h", "handler": "h", "interval_seconds": 60}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_pulse(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Pulse]:
    """A Pulse on SQLite, and again on PostgreSQL."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    p = Pulse(Settings(data_dir=tmp_path, database_url=url, node_id="n"), clock=clock)
    await p.start(loops=False)
    yield p
    await p.stop()


@pytest.fixture
async def db_client(db_pulse: Pulse) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=db_pulse.asgi(manage_lifecycle=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1:8000/api/pulse"
    ) as c:
        yield c


async def post_raw(client: httpx.AsyncClient, path: str, text: str) -> httpx.Response:
    """POST a JSON text as written (``json=`` would refuse what these tests need to send)."""
    return await client.post(path, content=text, headers={"content-type": "application/json"})


def refused(r: httpx.Response, field: str, words: str = "", status: int = 422) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"][0]["field"] == field, body
    assert words in body["errors"][0]["message"], body


def with_text(fields: dict[str, Any], path: tuple[str, ...], marker: str) -> str:
    """The JSON of ``fields`` with ``marker`` (a JSON escape) placed at ``path``."""
    doc = json.loads(json.dumps(fields))
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = "MARK"
    return json.dumps(doc).replace("MARK", f"a{marker}b")


TEXT_FIELDS = [
    (BASE, ("name",), "name"),
    (BASE, ("description",), "description"),
    (BASE, ("command",), "command"),
    (BASE, ("cwd",), "cwd"),
    (BASE, ("env", "HOME"), "env.HOME"),
    (HANDLER, ("handler",), "handler"),
    (HANDLER, ("payload", "to"), "payload.to"),
    (HANDLER, ("payload", "a", "b", "c"), "payload.a.b.c"),
    (CRON, ("timezone",), "timezone"),
    (CRON, ("cron",), "cron"),
]


@pytest.mark.parametrize(("marker", "words"), [("\\ud800", "surrogate"), ("\\u0000", "NUL")])
@pytest.mark.parametrize(("base", "path", "field"), TEXT_FIELDS)
async def test_it_refuses_texts_that_cannot_be_stored_in_every_field(
    db_client: httpx.AsyncClient,
    base: dict[str, Any],
    path: tuple[str, ...],
    field: str,
    marker: str,
    words: str,
) -> None:
    refused(await post_raw(db_client, "/jobs", with_text(base, path, marker)), field, words)
    jobs = await db_client.get("/jobs")
    assert jobs.status_code == 200 and jobs.json()["count"] == 0


@pytest.mark.parametrize("marker", ["\\udfff", "\\u0000"])
async def test_it_refuses_bad_texts_in_object_keys_and_in_changes(
    db_client: httpx.AsyncClient, marker: str
) -> None:
    payload_key = (
        f'{{"name": "h", "handler": "h", "interval_seconds": 60, "payload": {{"k{marker}": 1}}}}'
    )
    refused(await post_raw(db_client, "/jobs", payload_key), "payload", "object keys")
    env_key = (
        f'{{"name": "j", "command": "true", "interval_seconds": 60, "env": {{"K{marker}": "v"}}}}'
    )
    r = await post_raw(db_client, "/jobs", env_key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("env")
    job = (await db_client.post("/jobs", json=BASE)).json()
    r = await db_client.patch(
        f"/jobs/{job['id']}",
        content=f'{{"command": "echo a{marker}b"}}',
        headers={"content-type": "application/json"},
    )
    refused(r, "command")
    assert (await db_client.get(f"/jobs/{job['id']}")).json() == job
    assert (await db_client.get("/jobs")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/jobs/%00",
        "/jobs/SPJ_%00x",
        "/jobs/%00/executions",
        "/executions/%00",
        "/executions/%00/logs",
        "/executions/%00/log-chunks",
        "/jobs/" + "x" * 65,
        "/jobs/a%20b",
    ],
)
async def test_it_refuses_ids_that_are_not_ids(db_client: httpx.AsyncClient, path: str) -> None:
    r = await db_client.get(path)
    field = "job_id" if path.startswith("/jobs") else "execution_id"
    refused(r, field, "must be an id")


async def test_it_refuses_nul_in_query_strings(db_client: httpx.AsyncClient) -> None:
    jid = (await db_client.post("/jobs", json=BASE)).json()["id"]
    refused(await db_client.get(f"/jobs/{jid}/executions?status=%00"), "status")
    refused(await db_client.get(f"/jobs/{jid}/executions?limit=1%00"), "limit")


@pytest.mark.parametrize("name", ["offset", "after_seq", "limit"])
async def test_integers_past_64_bits_are_refused(
    db_pulse: Pulse, db_client: httpx.AsyncClient, name: str
) -> None:
    jid = (await db_client.post("/jobs", json=BASE)).json()["id"]
    eid = (await db_client.post(f"/jobs/{jid}/trigger")).json()["execution_id"]
    await db_pulse.engine.run_pending()
    path = f"/executions/{eid}/log-chunks" if name == "after_seq" else f"/jobs/{jid}/executions"
    for value in (2**63, 10**30):
        refused(await db_client.get(path, params={name: value}), name)
    if name != "limit":
        r = await db_client.get(path, params={name: 2**63 - 1})
        assert r.status_code == 200, r.text


async def test_a_very_large_offset_reads_an_empty_page(db_client: httpx.AsyncClient) -> None:
    jid = (await db_client.post("/jobs", json=BASE)).json()["id"]
    page = (await db_client.get(f"/jobs/{jid}/executions", params={"offset": 2**63 - 1})).json()
    assert page["executions"] == [] and page["has_more"] is False


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


async def test_payload_nesting_is_bounded(db_client: httpx.AsyncClient) -> None:
    ok = await db_client.post("/jobs", json={**HANDLER, "payload": nested(MAX_PAYLOAD_DEPTH)})
    assert ok.status_code == 201, ok.text
    assert ok.json()["payload"] == nested(MAX_PAYLOAD_DEPTH)
    too_deep = await db_client.post(
        "/jobs", json={**HANDLER, "payload": nested(MAX_PAYLOAD_DEPTH + 1)}
    )
    refused(too_deep, "payload" + ".a" * MAX_PAYLOAD_DEPTH, "nested deeper than 32")
    for depth in (300, 50_000):  # past the JSON reader's depth, and past Python's recursion
        text = '{"name": "h", "handler": "h", "interval_seconds": 60, "payload": '
        text += "[" * depth + "]" * depth + "}"
        r = await post_raw(db_client, "/jobs", text)
        assert r.status_code == 422 and "nested deeper" in r.json()["detail"], r.text
    listed = await db_client.get("/jobs")
    assert listed.status_code == 200 and listed.json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**HANDLER, "payload": {"x": "y" * MAX_PAYLOAD_BYTES}}, "payload", "at most 65536 bytes"),
        ({**BASE, "command": "x" * (MAX_COMMAND_BYTES + 1)}, "command", "at most"),
        ({**BASE, "command": "é" * (MAX_COMMAND_BYTES // 2 + 1)}, "command", "bytes"),
        ({**BASE, "name": "n" * 201}, "name", "at most 200 characters"),
        ({**BASE, "description": "d" * 4001}, "description", "at most 4000 characters"),
        ({**BASE, "cwd": "/" + "d" * 5000}, "cwd", "at most"),
        ({**BASE, "env": {f"V{i}": "" for i in range(MAX_ENV_VARS + 1)}}, "env", "at most 256"),
        ({**BASE, "env": {"V" * 257: "x"}}, "env", "at most 256 characters"),
        ({**BASE, "env": {"V": "x" * (MAX_ENV_VALUE_BYTES + 1)}}, "env.V", "at most 32768"),
        ({**BASE, "env": {"A=B": "x"}}, "env", "'A=B' is not a valid variable name"),
        ({**BASE, "env": {"": "x"}}, "env", "'' is not a valid variable name"),
        ({**BASE, "env": {"1A": "x"}}, "env", "'1A' is not a valid variable name"),
        ({**BASE, "interval_seconds": 10**12}, "interval_seconds", "less than or equal"),
        ({**BASE, "interval_seconds": MAX_INTERVAL_SECONDS + 1}, "interval_seconds", "less"),
        ({**BASE, "interval_seconds": True}, "interval_seconds", "integer"),
        ({**BASE, "interval_seconds": 60.0}, "interval_seconds", "integer"),
        ({**BASE, "interval_seconds": "60"}, "interval_seconds", "integer"),
        ({**BASE, "timeout_seconds": True}, "timeout_seconds", "number"),
        ({**BASE, "timeout_seconds": "5"}, "timeout_seconds", "number"),
        ({**BASE, "timeout_seconds": 10**9}, "timeout_seconds", "less than or equal"),
        ({**CRON, "timezone": "Europe/" + "x" * 300}, "timezone", "at most 64"),
        ({**CRON, "timezone": ""}, "timezone", "must not be empty"),
        ({**CRON, "timezone": "   "}, "timezone", "must not be empty"),
        ({**BASE, "timezone": "Europe/Berlin"}, "timezone", "only a cron schedule"),
        ({**BASE, "timezone": "UTC"}, "timezone", "only a cron schedule"),
        ({**CRON, "cron": "* " * 200}, "cron", "at most 256"),
    ],
)
async def test_sizes_and_types_are_bounded(
    db_client: httpx.AsyncClient, body: dict[str, Any], field: str, words: str
) -> None:
    r = await db_client.post("/jobs", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"].startswith(field), r.text
    assert words in r.json()["errors"][0]["message"], r.text
    assert (await db_client.get("/jobs")).json()["count"] == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
async def test_numbers_must_be_finite(db_client: httpx.AsyncClient, constant: str) -> None:
    timeout = (
        f'{{"name": "j", "command": "true", "interval_seconds": 60, "timeout_seconds": {constant}}}'
    )
    r = await post_raw(db_client, "/jobs", timeout)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body", r.text
    payload = f'{{"name": "h", "handler": "h", "interval_seconds": 60, "payload": [{constant}]}}'
    assert (await post_raw(db_client, "/jobs", payload)).status_code == 422
    assert (await db_client.get("/jobs")).json()["count"] == 0


@pytest.mark.parametrize(
    "text",
    [
        "{",
        '{"name": "j",}',
        "[1, 2]",
        '"just a string"',
        "1" * 5000,
        '{"name": "j", "command": "true", "interval_seconds": ' + "9" * 5000 + "}",
    ],
)
async def test_malformed_or_odd_json_is_refused(db_client: httpx.AsyncClient, text: str) -> None:
    r = await post_raw(db_client, "/jobs", text)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"detail", "errors"}


async def test_invalid_utf8_is_refused(db_client: httpx.AsyncClient) -> None:
    for name, words in ((b"\xed\xa0\x80", "surrogate"), (b"\xff\xfe", "UTF-8")):
        r = await db_client.post(
            "/jobs",
            content=b'{"name": "' + name + b'", "command": "true", "interval_seconds": 60}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422 and words in r.text, r.text


async def test_a_body_over_a_mebibyte_is_refused_with_413(db_client: httpx.AsyncClient) -> None:
    big = json.dumps({**BASE, "description": "d" * (1024 * 1024)})
    r = await post_raw(db_client, "/jobs", big)
    refused(r, "body", "at most 1048576 bytes", status=413)

    async def stream() -> AsyncIterator[bytes]:  # no Content-Length: counted while it comes
        yield b'{"name": "j", "description": "'
        for _ in range(20):
            yield b"d" * 65536
        yield b'"}'

    r = await db_client.post(
        "/jobs", content=stream(), headers={"content-type": "application/json"}
    )
    refused(r, "body", "at most", status=413)
    assert (await db_client.get("/jobs")).json()["count"] == 0


async def test_nothing_unreadable_is_committed_through_a_change(
    db_client: httpx.AsyncClient,
) -> None:
    job = (await db_client.post("/jobs", json=HANDLER)).json()
    for text in (
        '{"payload": {"k": "\\ud83d"}}',
        '{"env": {"K": "\\u0000"}}',
        '{"payload": ' + "[" * 40 + "]" * 40 + "}",
        '{"timeout_seconds": NaN}',
        '{"interval_seconds": true}',
    ):
        r = await db_client.patch(
            f"/jobs/{job['id']}", content=text, headers={"content-type": "application/json"}
        )
        assert r.status_code == 422, (text, r.text)
    assert (await db_client.get(f"/jobs/{job['id']}")).json() == job
    assert (await db_client.get("/jobs")).json()["jobs"] == [job]
