"""The SQL of a search of executions across jobs (:meth:`pulse.store.base.Store.search_executions`),
for both backends: the statements are named blocks of ``sql/sqlite_search.sql`` and
``sql/postgres_search.sql``, composed here.

A search is one statement holding only the conditions of the filters given: each statement the
planner sees then names exactly what it filters on, and can be served by the index made for it (a
generic ``(:x IS NULL OR col = :x)`` would leave SQLite no index to choose). The conditions are
constant text from the SQL files; what callers send travels as parameters only, and the words of
a full-text search as a query this module writes, each word quoted.

Words need a choice neither planner makes well, because the cost of each way depends on how many
executions hold them: rare words are best looked up in the full-text index and their executions
sorted (the cost grows with the matches), common ones by walking the history's index newest first
and testing each row (the cost grows with the rows walked before a page is full). SQLite reads
the matches first, up to 10,000 (:func:`sqlite_rows`); PostgreSQL walks a bounded stretch first
and looks the words up only when it found too few (:func:`postgres_rows`). Measured on
1,000,000 executions, every search of ``bench/search_bench.py`` answers a page in under 100 ms
either way (docs/benchmarks.md).

The selected columns are the fields of :class:`~pulse.models.Execution` (:data:`FIELDS`): every
column but the seed's ``logs`` (and PostgreSQL's ``search`` vector), so that a page never loads a
log, and a column added to the model is selected without changes here. They come back as plain
tuples: an export writes them out as they are (times are stored as the API's own RFC 3339 text),
and the store's ``search_executions`` makes executions of them.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from pulse.clock import format_ts, parse_ts
from pulse.models import Execution, Trigger
from pulse.search import ExecutionFilter, Position
from pulse.store import queries

SQLITE = queries.load("sqlite_search.sql")
POSTGRES = queries.load("postgres_search.sql")

FIELDS = tuple(f.name for f in dataclasses.fields(Execution))
"""The columns of an execution's row as a search reads it, in order: the fields of
:class:`~pulse.models.Execution`, times as their stored RFC 3339 text."""
COLUMNS = ", ".join(FIELDS)
_STARTED_AT = FIELDS.index("started_at")
_ID = FIELDS.index("id")

COMMON_WORDS = 10_000
"""SQLite: words held by at least this many executions are searched by walking the history."""
RECENT_WINDOW = 5_000
"""PostgreSQL: the executions walked, newest first from the page's position, before the words
are looked up in the full-text index instead."""


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 query matching rows holding every word, the last as a prefix. Words are runs of
    letters and digits (:func:`pulse.search.search_words`); quoted, they are strings, never
    operators, whatever they spell (``AND``, ``NEAR``, a column name)."""
    return " ".join(f'"{w}"' for w in words) + "*"


def tsquery(words: Sequence[str]) -> str:
    """The same query in PostgreSQL's ``to_tsquery`` syntax: every word quoted, ``&`` between
    them, the last one a prefix (``:*``)."""
    return " & ".join(f"'{w}'" for w in words) + ":*"


Row = tuple[Any, ...]
"""An execution as read: its values in the order of :data:`FIELDS`."""


def sqlite_rows(
    c: sqlite3.Connection, where: ExecutionFilter, limit: int, after: Position | None
) -> list[Row]:
    """One page's rows on SQLite (see :func:`page`).

    With words, their matches are read from the full-text index first (their rowids, up to
    :data:`COMMON_WORDS`: a few milliseconds, the index alone is read). Fewer: the statement
    looks them up by rowid and sorts them (about 3 µs a match). More: it walks the
    history's index newest first, keeping the entries among the matches (a set built once), so
    a page is full after a few thousand entries at most, unless the words are common only in
    old runs (then the whole index is read: 0.25 s per million executions)."""
    conditions, params = _conditions(SQLITE, where, limit, after)
    if where.words:
        words = fts5_query(where.words)
        found = c.execute(SQLITE["matches"], {"words": words, "cap": COMMON_WORDS}).fetchall()
        if len(found) < COMMON_WORDS:
            # Every match is in hand: the page is looked up among them, without asking the
            # index again (a prefix of a common word costs FTS5 a merge of its whole doclist).
            conditions.append(SQLITE["among_matches"])
            params["rowids"] = json.dumps([r[0] for r in found])
        else:
            conditions.append(SQLITE["common_words"])
            params["words"] = words
    cur = c.cursor()
    cur.row_factory = None  # plain tuples, not the reader connection's sqlite3.Row
    rows: list[Row] = cur.execute(
        _statement(SQLITE, "search_executions", conditions), params
    ).fetchall()
    return rows


async def postgres_rows(
    conn: psycopg.AsyncConnection[Any],
    where: ExecutionFilter,
    limit: int,
    after: Position | None,
) -> list[Row]:
    """One page's rows on PostgreSQL (see :func:`page`).

    With words, the executions after the position (in the order of the history, within the
    other filters) are tested first, until a page of matches is found or
    :data:`RECENT_WINDOW` were tested; when they hold a page, or are all there is, that is the
    page (a few milliseconds). Otherwise the matches are rare and looked up in the GIN index
    of the search column, then sorted. (PostgreSQL's estimates
    for prefix searches are too rough to leave it the choice: it walked a million rows for a
    word held by two, and sorted thousands for one held by one run in a hundred.)

    Never prepared: psycopg prepares a statement run often, and the plans of these depend on
    the values (the words, the position in the history)."""
    conditions, params = _conditions(POSTGRES, where, limit, after)
    async with conn.cursor(row_factory=tuple_row) as cur:
        if not where.words:
            query = _statement(POSTGRES, "search_executions", conditions)
            await cur.execute(query, params, prepare=False)
            return await cur.fetchall()
        params["words"] = tsquery(where.words)
        params["window"] = RECENT_WINDOW
        await cur.execute(_statement(POSTGRES, "recent_matches", conditions), params, prepare=False)
        walked = await cur.fetchall()  # each row: the execution's columns, then hit, walked
        hits = [r[:-2] for r in walked if r[-2]][: limit + 1]
        if len(hits) > limit or all(r[-1] < RECENT_WINDOW for r in walked):
            return hits
        await cur.execute(_statement(POSTGRES, "matches", conditions), params, prepare=False)
        return await cur.fetchall()


def page(rows: Sequence[Row], limit: int) -> tuple[list[Row], Position | None]:
    """The rows of a page read for ``limit`` (one more, if there is one), and where the next
    page starts (None: this is the last)."""
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    return list(rows[:limit]), Position(parse_ts(last[_STARTED_AT]), last[_ID])


def _conditions(
    sql: Mapping[str, str], where: ExecutionFilter, limit: int, after: Position | None
) -> tuple[list[str], dict[str, Any]]:
    """The conditions (but the words') of a page after ``after`` and their parameters, which
    read one row more than ``limit``: it tells whether another page follows."""
    conditions: list[str] = []
    params: dict[str, Any] = {"limit": limit + 1}

    def given(name: str, **values: Any) -> None:
        conditions.append(sql[name])
        params.update(values)

    if where.job_id is not None:
        given("job", job_id=where.job_id)
    if where.status is not None:
        given("status", status=where.status.value)
    if where.trigger is not None:
        name = "trigger" if where.trigger is Trigger.SCHEDULE else "rare_trigger"
        given(name, trigger=where.trigger.value)
    if where.node_id is not None:
        given("node", node_id=where.node_id)
    if where.started_after is not None:
        given("started_after", started_after=format_ts(where.started_after))
    # One upper bound, the tighter: with both, the planner would take the window's end for
    # the range it reads and test the keyset row by row, so a page deep in a window would read
    # every row of the window before it.
    before = where.started_before
    if after is not None and (before is None or after.started_at < before):
        given("after", after_started_at=format_ts(after.started_at), after_id=after.id)
    elif before is not None:
        given("started_before", started_before=format_ts(before))
    return conditions, params


def _statement(sql: Mapping[str, str], name: str, conditions: Sequence[str]) -> str:
    # A block's comments end at a line's end: one condition per line.
    return sql[name].format(
        columns=COLUMNS,
        where="\n  AND ".join(conditions) or "true",
    )
