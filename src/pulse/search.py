"""Every run across jobs: what a search of the history asks for, and where a page of it ends.

* :class:`ExecutionFilter` — which executions: by job, status, trigger, node, a window of start
  times, and words of their error message or result summary;
* :class:`Position` — where a page ends in the order of the history (newest first: by
  ``started_at``, then ``id``, both descending); the next page starts after it. Callers see it as
  an opaque cursor (:func:`encode_cursor`, :func:`decode_cursor`);
* :func:`search_words` — the words of a query, as both stores' full-text indexes see them.

Pure functions and values: the stores (:meth:`pulse.store.base.Store.search_executions`) read
them, the service and the API build them from what callers send, raising
:class:`~pulse.errors.InvalidInputError` naming the field at fault.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from pulse.clock import format_ts, parse_ts
from pulse.errors import InvalidInputError
from pulse.models import Execution, ExecutionStatus, Trigger

MAX_LIMIT = 500
"""The largest page of executions one call returns."""
EXPORT_BATCH = 1000
"""Executions an export reads at a time (its memory is bounded by one batch)."""
MAX_QUERY_CHARS = 500
MAX_WORDS = 16
MAX_NODE_CHARS = 255

# A word is a run of letters and digits: what FTS5's unicode61 tokenizer and PostgreSQL's
# search column (store migrations 0006) both make of a text. "_" and every punctuation mark
# separate words.
_WORD = re.compile(r"[^\W_]+")
_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    """Which executions a search returns: those matching every criterion given (None, or no
    words: any)."""

    job_id: str | None = None
    status: ExecutionStatus | None = None
    trigger: Trigger | None = None
    node_id: str | None = None
    started_after: datetime | None = None  # started at or after
    started_before: datetime | None = None  # started strictly before
    # Every word must be a word of the error message or the result summary (either one), the
    # last word as a prefix ("conn ref" finds "connection refused"); see search_words.
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: the last execution's start and id. The next page holds the
    executions that come after it, newest first: started earlier, or at the same instant with
    a smaller id."""

    started_at: datetime
    id: str


def encode_cursor(position: Position) -> str:
    """The position as an opaque cursor: URL-safe base64 of JSON, without padding."""
    raw = json.dumps([format_ts(position.started_at), position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def cursor_after(execution: Execution) -> str:
    """The cursor of the page that follows ``execution``."""
    return encode_cursor(Position(execution.started_at, execution.id))


def decode_cursor(cursor: str, field: str = "cursor") -> Position:
    """The position a cursor from :func:`encode_cursor` names; InvalidInputError naming
    ``field`` for anything else."""
    bad = InvalidInputError(field, "is not a cursor this server gave (use next_cursor as is)")
    if not cursor or len(cursor) > 200:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
        or not _TS.match(value[0])
        or not _ID.match(value[1])
    ):
        raise bad
    try:
        started = parse_ts(value[0])
    except ValueError:
        raise bad from None
    return Position(started, value[1])


def search_words(query: str | None, field: str = "q") -> tuple[str, ...]:
    """The words of a search query, lower-cased: runs of letters and digits, everything else
    (punctuation, quotes, operators of either index's query syntax) separating them, so no
    input is ever read as syntax. A blank query searches nothing (no words); one with text but
    no word is refused."""
    if query is None or not query.strip():
        return ()
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInputError(field, f"at most {MAX_QUERY_CHARS} characters")
    words = tuple(w.lower() for w in _WORD.findall(query))
    if not words:
        raise InvalidInputError(field, "has no word to search for (letters or digits)")
    if len(words) > MAX_WORDS:
        raise InvalidInputError(field, f"at most {MAX_WORDS} words")
    return words


def parse_time(text: str, field: str) -> datetime:
    """An instant given as RFC 3339 with a zone (``2025-12-06T02:00:00Z``, ``…+01:00``) or a
    date (``2025-12-06``, midnight UTC); InvalidInputError naming ``field`` otherwise. Stored
    times have millisecond precision, and so does the result (rounded up, so that a bound
    keeps its meaning: nothing stored lies between the instant given and the one used)."""
    rule = "must be an RFC 3339 time with a zone (2025-12-06T02:00:00Z) or a date (2025-12-06)"
    text = text.strip()
    try:
        if any(sep in text for sep in "Tt :"):
            value = datetime.fromisoformat(text)
        else:
            value = datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise InvalidInputError(field, rule) from None
    if value.tzinfo is None:
        raise InvalidInputError(field, rule)
    try:
        value = value.astimezone(UTC)
        extra = value.microsecond % 1000
        if extra:
            value += timedelta(microseconds=1000 - extra)
    except OverflowError:
        raise InvalidInputError(field, "is out of range") from None
    return value


def node_filter(node: str | None, field: str = "node") -> str | None:
    """A node id to filter by (None: any node)."""
    if node is None or node == "":
        return None
    if len(node) > MAX_NODE_CHARS:
        raise InvalidInputError(field, f"at most {MAX_NODE_CHARS} characters")
    return node


def job_filter(job_id: str | None, field: str = "job_id") -> str | None:
    """A job id to filter by (None: any job)."""
    if job_id is None or job_id == "":
        return None
    if not _ID.match(job_id):
        raise InvalidInputError(field, "must be an id: letters, digits and _, up to 64 characters")
    return job_id


def check_limit(limit: int, field: str = "limit") -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(field, f"must be an integer between 1 and {MAX_LIMIT}")
    return limit
