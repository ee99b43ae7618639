"""Runs across jobs over REST: ``GET /executions`` (filters, cursor pages, validation),
``GET /executions/export`` (CSV and NDJSON, equal to the list), and the per-job list's cursor."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pulse import Pulse
from pulse.clock import format_ts
from tests.conftest import START

COLUMNS = (
    "id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,"
    " result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,"
    " rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes"
)
ERRORS = ["exit code 1", 'timed out after 30 s, "quoted", with a comma', "line one\nline two"]
SUMMARIES = ["done", "processed 42 rows", "Ünïcödé ✓", None]


async def _job(client: httpx.AsyncClient, name: str = "runs") -> str:
    body = {"name": name, "interval_seconds": 3600, "command": "true", "state": "paused"}
    r = await client.post("/jobs", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _rows(job_ids: Sequence[str], n: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """``n`` executions of ``job_ids``, one every 10 ms from START on (ties every 7th),
    mixed statuses, triggers, nodes and texts."""
    rnd = random.Random(seed)
    for i in range(n):
        started = START + timedelta(milliseconds=10 * (i - i % 7 // 6))
        status = rnd.choice(["completed", "completed", "failed", "running"])
        ended = (
            None if status == "running" else started + timedelta(milliseconds=rnd.randrange(5000))
        )
        yield (
            f"PX_{rnd.getrandbits(40):010x}_{i}",
            rnd.choice(job_ids),
            None,
            status,
            format_ts(started),
            None if ended is None else format_ts(ended),
            None if ended is None else int((ended - started).total_seconds() * 1000),
            rnd.choice(SUMMARIES) if status == "completed" else None,
            rnd.choice(ERRORS) if status == "failed" else None,
            format_ts(started),
            format_ts(started),
            format_ts(started) if i % 5 else None,
            rnd.choice(["schedule", "schedule", "schedule", "manual", "rerun", "retry"]),
            1 + i % 3,
            None,
            f"node-{i % 4}",
            None if ended is None else (0 if status == "completed" else 1),
            rnd.randrange(10_000),
            0 if i % 11 else 5,
        )


def insert_runs(pulse: Pulse, job_ids: Sequence[str], n: int) -> None:
    """Write ``n`` executions straight into the node's SQLite file, in one transaction: far
    faster than running them. The roll-up triggers are left out meanwhile (statistics are not
    under test here, and they are most of an insert's cost); the counters and the full-text
    index are kept by theirs."""
    path = pulse.store.path  # type: ignore[attr-defined]
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA cache_size = -262144")  # every index's pages stay in memory
        conn.execute("BEGIN IMMEDIATE")
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' AND name LIKE 'pulse_stats%'"
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        marks = ", ".join("?" * len(COLUMNS.split(",")))
        conn.executemany(
            f"INSERT INTO pulse_executions ({COLUMNS}) VALUES ({marks})", _rows(job_ids, n)
        )
        for _, sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")


async def every_page(
    client: httpx.AsyncClient, path: str = "/executions", **params: Any
) -> list[dict[str, Any]]:
    """Every execution the list gives, following next_cursor."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get(path, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["executions"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def from_csv(text: str) -> list[dict[str, Any]]:
    """CSV rows back as the list's JSON would have them (types from the API's own rows)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = []
    for row in reader:
        item: dict[str, Any] = {}
        for k, v in row.items():
            if v == "":
                item[k] = None
            elif v in ("true", "false"):
                item[k] = v == "true"
            elif k in ("duration_ms", "attempt", "exit_code", "log_bytes", "log_dropped_bytes"):
                item[k] = int(v)
            else:
                item[k] = v
        out.append(item)
    return out


def newest_first(items: list[dict[str, Any]]) -> bool:
    keys = [(e["started_at"], e["id"]) for e in items]
    return keys == sorted(keys, reverse=True)


# -- the list -----------------------------------------------------------------------------------


async def test_it_lists_the_runs_of_every_job_newest_first_page_by_page(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    a, b = await _job(client, "a"), await _job(client, "b")
    insert_runs(pulse, [a, b], 230)

    first = (await client.get("/executions", params={"limit": 100})).json()
    listed = await every_page(client, limit=100)

    assert set(first) == {"executions", "next_cursor"}
    assert len(first["executions"]) == 100 and first["next_cursor"]
    assert len(listed) == 230 and len({e["id"] for e in listed}) == 230
    assert newest_first(listed)
    assert {e["scheduled_job_id"] for e in listed} == {a, b}
    assert "logs" not in listed[0]
    default = (await client.get("/executions")).json()
    assert len(default["executions"]) == 50


async def test_the_filters_narrow_the_list(client: httpx.AsyncClient, pulse: Pulse) -> None:
    a, b = await _job(client, "a"), await _job(client, "b")
    insert_runs(pulse, [a, b], 300)
    everything = await every_page(client, limit=500)
    at_100 = everything[-101]["started_at"]
    at_200 = everything[-201]["started_at"]

    cases: list[tuple[dict[str, str], Any]] = [
        ({"status": "failed"}, lambda e: e["status"] == "failed"),
        ({"job_id": a}, lambda e: e["scheduled_job_id"] == a),
        (
            {"job_id": b, "status": "running"},
            lambda e: e["scheduled_job_id"] == b and e["status"] == "running",
        ),
        ({"trigger": "manual"}, lambda e: e["trigger"] == "manual"),
        (
            {"trigger": "schedule", "node": "node-2"},
            lambda e: e["trigger"] == "schedule" and e["node_id"] == "node-2",
        ),
        ({"started_after": at_100}, lambda e: e["started_at"] >= at_100),
        (
            {"started_after": at_100, "started_before": at_200},
            lambda e: at_100 <= e["started_at"] < at_200,
        ),
        ({"q": "timed out"}, lambda e: "timed out" in (e["error_message"] or "")),
        ({"q": "PROCESSED 4"}, lambda e: "processed 42" in (e["result_summary"] or "")),
        ({"q": "ünïcö"}, lambda e: "Ünïcödé" in (e["result_summary"] or "")),
    ]
    for params, keep in cases:
        listed = await every_page(client, limit=37, **params)
        assert listed == [e for e in everything if keep(e)], params
        assert listed, params


async def test_dates_may_be_days_or_times_in_any_zone(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    a = await _job(client)
    insert_runs(pulse, [a], 50)  # START = 2025-03-01T12:00:00Z, one every 10 ms

    async def count(**params: str) -> int:
        return len(await every_page(client, **params))

    assert await count(started_after="2025-03-01") == 50
    assert await count(started_before="2025-03-01") == 0
    assert await count(started_after="2025-03-01T13:00:00+01:00") == 50
    assert await count(started_before="2025-03-01T13:00:00.100+01:00") == 10
    assert await count(started_after="2025-03-01T12:00:00.1005Z") == 39  # rounded up to .101


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"status": ""}, "status"),
        ({"trigger": "cron"}, "trigger"),
        ({"job_id": "not an id!"}, "job_id"),
        ({"node": "n" * 256}, "node"),
        ({"started_after": "yesterday"}, "started_after"),
        ({"started_after": "2025-03-01T12:00:00"}, "started_after"),  # no zone
        ({"started_before": "2025-13-01"}, "started_before"),
        ({"started_before": ""}, "started_before"),
        ({"q": '*** -- "" ()'}, "q"),
        ({"q": "word " * 101}, "q"),
        ({"q": " ".join(f"w{i}" for i in range(17))}, "q"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": "WyJub3QiLCJhIiwiY3Vyc29yIl0"}, "cursor"),  # base64 of JSON, not ours
        ({"cursor": "eyJ0aW1lIjogMX0"}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
async def test_bad_filters_are_refused_naming_the_parameter(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    r = await client.get("/executions", params=params)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    if field not in ("limit", "cursor"):
        r = await client.get("/executions/export", params=params)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        'a"b',
        "NEAR(x y)",
        "x*",
        "x:*",
        "(x | y) & !z",
        "'; --",
        "\\",
        "x AND",
        "col: x",
        "^x",
        "{x}",
    ],
)
async def test_search_syntax_in_q_is_never_an_error(
    client: httpx.AsyncClient, pulse: Pulse, q: str
) -> None:
    insert_runs(pulse, [await _job(client)], 20)
    r = await client.get("/executions", params={"q": q})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["errors"][0]["field"] == "q"


async def test_export_is_not_taken_for_an_execution_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/executions/export")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"


# -- export ------------------------------------------------------------------------------------


async def test_the_csv_export_holds_what_the_list_shows(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    a, b = await _job(client, "a"), await _job(client, "b")
    insert_runs(pulse, [a, b], 1234)

    r = await client.get("/executions/export", params={"format": "csv"})

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith(
        'attachment; filename="pulse-executions-'
    ) and disposition.endswith('.csv"')
    header = r.text.split("\r\n", 1)[0].split(",")
    listed = await every_page(client, limit=500)
    assert header == list(listed[0])
    assert from_csv(r.text) == listed


async def test_the_ndjson_export_of_a_filter_holds_what_the_list_shows(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    a, b = await _job(client, "a"), await _job(client, "b")
    insert_runs(pulse, [a, b], 1500)
    params = {"job_id": a, "status": "failed"}

    r = await client.get("/executions/export", params={**params, "format": "ndjson"})

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/x-ndjson"
    assert f'filename="pulse-executions-{a}-' in r.headers["content-disposition"]
    assert r.text.endswith("\n")
    exported = [json.loads(line) for line in r.text.splitlines()]
    assert exported == await every_page(client, limit=500, **params)
    assert exported and all(e["scheduled_job_id"] == a for e in exported)


async def test_an_export_of_nothing_is_a_header_or_nothing(client: httpx.AsyncClient) -> None:
    csv_ = await client.get("/executions/export", params={"status": "running"})
    ndjson = await client.get("/executions/export", params={"format": "ndjson"})
    bad = await client.get("/executions/export", params={"format": "xml"})

    assert csv_.text.startswith("id,scheduled_job_id,") and csv_.text.count("\r\n") == 1
    assert ndjson.status_code == 200 and ndjson.text == ""
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"


async def test_an_export_of_100000_runs_equals_the_list_page_by_page(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    jobs = [await _job(client, f"j{i}") for i in range(5)]
    insert_runs(pulse, jobs, 100_000)

    listed = await every_page(client, limit=500)
    csv_rows = from_csv((await client.get("/executions/export")).text)
    ndjson = (await client.get("/executions/export", params={"format": "ndjson"})).text

    assert len(listed) == 100_000 and newest_first(listed)
    assert csv_rows == listed
    assert [json.loads(line) for line in ndjson.splitlines()] == listed


# -- the per-job list ---------------------------------------------------------------------------


async def test_a_jobs_list_pages_by_cursor_and_keeps_its_total(
    client: httpx.AsyncClient, pulse: Pulse
) -> None:
    a, b = await _job(client, "a"), await _job(client, "b")
    insert_runs(pulse, [a, b], 200)
    by_offset = (await client.get(f"/jobs/{a}/executions", params={"limit": 500})).json()
    total = by_offset["total"]
    assert by_offset["next_cursor"] is None and not by_offset["has_more"]

    first = (await client.get(f"/jobs/{a}/executions", params={"limit": 30})).json()
    assert first["has_more"] and first["next_cursor"]
    pages = [first]
    while pages[-1]["next_cursor"]:
        params = {
            "limit": 30,
            "offset": 999_999,
            "cursor": pages[-1]["next_cursor"],
        }  # offset ignored
        page = (await client.get(f"/jobs/{a}/executions", params=params)).json()
        assert page["total"] == total and page["count"] == len(page["executions"])
        assert page["has_more"] == (page["next_cursor"] is not None)
        pages.append(page)

    assert [e for p in pages for e in p["executions"]] == by_offset["executions"]
    failed = await every_page(client, f"/jobs/{a}/executions", status="failed", limit=7)
    assert failed == [e for e in by_offset["executions"] if e["status"] == "failed"]


async def test_a_jobs_list_refuses_a_bad_cursor_and_an_unknown_job(
    client: httpx.AsyncClient,
) -> None:
    a = await _job(client)
    bad = await client.get(f"/jobs/{a}/executions", params={"cursor": "nope"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    cursor = (await client.get("/executions")).json()["next_cursor"]
    assert cursor is None
    from pulse.search import Position, encode_cursor

    some = encode_cursor(Position(START, "PX_x"))
    assert (
        await client.get("/jobs/SPJ_nosuch/executions", params={"cursor": some})
    ).status_code == 404
