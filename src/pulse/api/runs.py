"""``/api/pulse/executions`` (the collection): every run across jobs, searched, paged by cursor,
and exported as CSV or NDJSON.

Registered before :mod:`pulse.api.executions`, whose ``/executions/{execution_id}`` would
otherwise take ``/executions/export`` for an execution named ``export``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from pulse.api import export
from pulse.api.deps import ServiceDep
from pulse.api.pages import PagesDep, json_bytes
from pulse.api.schemas import (
    ID_PATTERN,
    ExecutionStatus,
    SearchExecutionsResponse,
    TriggerKind,
    error_responses,
    execution_dict,
)
from pulse.models import ExecutionStatus as Status
from pulse.models import Trigger
from pulse.search import (
    MAX_LIMIT,
    MAX_NODE_CHARS,
    MAX_QUERY_CHARS,
    ExecutionFilter,
    node_filter,
    parse_time,
    search_words,
)

router = APIRouter(tags=["executions"])
T = TypeVar("T")

READ = error_responses(422)

TIME_RULE = (
    "RFC 3339 with a zone (`2025-12-06T02:00:00Z`, `2025-12-06T03:00:00+01:00`) or a date"
    " (`2025-12-06`, midnight UTC); millisecond precision"
)


async def execution_filter(
    status: Annotated[ExecutionStatus | None, Query(description="Only this status.")] = None,
    job_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, description="Only this job's executions.")
    ] = None,
    trigger: Annotated[
        TriggerKind | None, Query(description="Only executions started this way.")
    ] = None,
    node: Annotated[
        str | None,
        Query(max_length=MAX_NODE_CHARS, description="Only executions run by this node (its id)."),
    ] = None,
    started_after: Annotated[
        str | None, Query(description=f"Only executions started at or after this: {TIME_RULE}.")
    ] = None,
    started_before: Annotated[
        str | None, Query(description=f"Only executions started before this: {TIME_RULE}.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_CHARS,
            description=(
                "Words of the error message or the result summary: every word must appear in"
                " either, the last one as a prefix (`conn ref` finds `connection refused`)."
                " Words are runs of letters and digits, case-insensitive; any other character"
                " separates them and is never search syntax. Blank: no search."
            ),
        ),
    ] = None,
) -> ExecutionFilter:
    """The filter the query string describes; 422 naming the parameter at fault."""
    return ExecutionFilter(
        job_id=job_id,
        status=None if status is None else Status(status),
        trigger=None if trigger is None else Trigger(trigger),
        node_id=node_filter(node),
        started_after=None if started_after is None else parse_time(started_after, "started_after"),
        started_before=(
            None if started_before is None else parse_time(started_before, "started_before")
        ),
        words=search_words(q),
    )


Filter = Annotated[ExecutionFilter, Depends(execution_filter)]


@router.get("/executions", response_model=SearchExecutionsResponse, responses=READ)
async def search_executions(
    request: Request,
    where: Filter,
    service: ServiceDep,
    pages: PagesDep,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}.")
    ] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="Where to continue: a `next_cursor` given before."),
    ] = None,
) -> Response:
    """Every run across jobs matching the filters, newest first (by start, then id), without
    logs. Pages follow `next_cursor` (null on the last page); a cursor stays valid while runs
    start and go, and no execution is repeated or skipped across pages."""

    async def build() -> bytes:
        items, next_cursor = await service.search_executions(where, limit, cursor)
        # Shaped as SearchExecutionsResponse, straight to JSON (see the per-job list).
        rows = [execution_dict(e) for e in items]
        return json_bytes({"executions": rows, "next_cursor": next_cursor})

    return await pages.answer(request, build)


_MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}


@router.get(
    "/executions/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "One row (CSV, after a header) or line (NDJSON) per execution.",
            "content": {"text/csv": {}, "application/x-ndjson": {}},
        },
        **READ,
    },
)
async def export_executions(
    where: Filter,
    service: ServiceDep,
    format: Annotated[
        Literal["csv", "ndjson"], Query(description="`csv` (with a header row) or `ndjson`.")
    ] = "csv",
) -> StreamingResponse:
    """Every run matching the filters (as `GET /executions` takes them), newest first, with
    every field `GET /executions` shows but the log. Streamed: read from the database a
    thousand at a time, so an export of any size costs the server constant memory. Runs that
    start during the export are not in it."""
    batches = service.export_execution_rows(where)
    # The first batch is read before the answer starts: a database that is away is then a 503,
    # not a body cut short.
    first = await anext(batches, None)
    rows = _after(first, batches)
    body = export.csv_body(rows) if format == "csv" else export.ndjson_body(rows)
    stamp = service.clock.now().strftime("%Y%m%dT%H%M%SZ")
    name = f"pulse-executions-{where.job_id + '-' if where.job_id else ''}{stamp}.{format}"
    return StreamingResponse(
        body,
        media_type=_MEDIA[format],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def _after(first: T | None, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    if first is None:
        return
    yield first
    async for item in rest:
        yield item
