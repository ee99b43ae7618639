"""Executions written out as CSV or NDJSON, straight from the rows a search reads.

An export is the list of ``GET /executions`` without its pages: the same fields in the same
order, one execution per row or line. It is written from the rows as the store reads them
(:meth:`pulse.store.base.Store.iter_execution_rows`), never from executions: times are stored as
the API's own RFC 3339 text, so the text read is the text written, and parsing each time into a
``datetime`` to format it back cost most of an export (14,000 rows a second on a loaded machine;
see docs/benchmarks.md). The rows arrive a batch at a time; each batch is encoded and sent
before the next is read, so memory stays bounded by a batch.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Sequence
from operator import itemgetter
from typing import Any

from pydantic_core import to_json

from pulse.api.schemas import PulseExecution
from pulse.clock import format_ts, parse_ts
from pulse.models import Execution
from pulse.store.search import FIELDS, Row

COLUMNS = list(PulseExecution.model_fields)
"""An export's columns: the fields of an execution as the API lists it (all but its log)."""

_TIMES = {f.name for f in dataclasses.fields(Execution) if "datetime" in str(f.type)}
_CANONICAL = len("2025-12-06T02:00:00.000Z")


def _canonical(value: str) -> str:
    # Pulse writes every time as format_ts does; a row from elsewhere (an import) may not be.
    if len(value) == _CANONICAL and value[-1] == "Z":
        return value
    return format_ts(parse_ts(value))


# A row's columns in the list's order, picked in one call (log_truncated's place holds
# log_dropped_bytes until it is turned into the flag), then the few that need a look.
_PICK = itemgetter(
    *(FIELDS.index("log_dropped_bytes" if c == "log_truncated" else c) for c in COLUMNS)
)
_TRUNCATED = COLUMNS.index("log_truncated")
_TIMES_AT = [i for i, c in enumerate(COLUMNS) if c in _TIMES]


def wire(row: Row) -> list[Any]:
    """A row's values in the order of :data:`COLUMNS`, as the list shows them (as
    :func:`pulse.api.schemas.execution_dict` makes them of an execution)."""
    values = list(_PICK(row))
    values[_TRUNCATED] = values[_TRUNCATED] > 0
    for i in _TIMES_AT:
        if values[i] is not None:
            values[i] = _canonical(values[i])
    return values


async def csv_body(batches: AsyncIterator[Sequence[Row]]) -> AsyncIterator[bytes]:
    """A header, then a line per execution: empty for null, true/false for booleans, as JSON
    would write them (CRLF line ends, RFC 4180 quoting)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield _take(out)
    async for rows in batches:
        lines = [wire(row) for row in rows]
        for line in lines:
            line[_TRUNCATED] = "true" if line[_TRUNCATED] else "false"
        writer.writerows(lines)  # None is written empty
        yield _take(out)


async def ndjson_body(batches: AsyncIterator[Sequence[Row]]) -> AsyncIterator[bytes]:
    """A JSON object per line, as the list shows each execution."""
    async for rows in batches:
        yield b"".join(to_json(dict(zip(COLUMNS, wire(row), strict=True))) + b"\n" for row in rows)


def _take(out: io.StringIO) -> bytes:
    data = _encode(out.getvalue())
    out.seek(0)
    out.truncate()
    return data


def _encode(text: str) -> bytes:
    # "replace": a text that cannot be UTF-8 (a lone surrogate) must not cut the export short.
    return text.encode("utf-8", "replace")
