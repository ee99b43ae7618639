"""``/api/pulse/executions``: one execution, its whole log (streamed) and its log chunks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from pulse.api.deps import ServiceDep
from pulse.api.schemas import (
    INT64_MAX,
    ExecutionDetail,
    ExecutionId,
    LogChunkOut,
    LogChunksResponse,
    error_responses,
    execution_dict,
)

router = APIRouter(tags=["executions"])

ONE = error_responses(404, 422, not_found="No execution has this id.")


@router.get(
    "/executions/{execution_id}",
    responses={200: {"model": ExecutionDetail}, **ONE},
    response_class=StreamingResponse,
)
async def get_execution(execution_id: ExecutionId, service: ServiceDep) -> StreamingResponse:
    """The execution with its whole log in ``logs``. The body is streamed, so a large log costs
    the server constant memory."""
    execution = await service.get_execution(execution_id)
    head = json.dumps(execution_dict(execution))

    async def body() -> AsyncIterator[bytes]:
        yield (head[:-1] + ', "logs": "').encode()
        async for chunk in service.iter_logs(execution_id):
            yield json.dumps(chunk.text)[1:-1].encode()
        yield b'"}'

    return StreamingResponse(body(), media_type="application/json")


@router.get(
    "/executions/{execution_id}/logs",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/plain": {}}}, **ONE},
)
async def get_logs(execution_id: ExecutionId, service: ServiceDep) -> StreamingResponse:
    """The whole log as plain text, streamed chunk by chunk."""
    await service.get_execution(execution_id)  # 404 before the stream starts

    async def body() -> AsyncIterator[bytes]:
        async for chunk in service.iter_logs(execution_id):
            yield chunk.text.encode("utf-8", "replace")

    return StreamingResponse(
        body(),
        media_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'inline; filename="{execution_id}.log"'},
    )


@router.get(
    "/executions/{execution_id}/log-chunks",
    response_model=LogChunksResponse,
    responses=ONE,
)
async def get_log_chunks(
    execution_id: ExecutionId,
    service: ServiceDep,
    after_seq: Annotated[
        int, Query(ge=0, le=INT64_MAX, description="Return chunks after this one, 0 to 2^63-1.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> LogChunksResponse:
    """Log chunks in order, for incremental reading (``pulse logs --follow``, the UI)."""
    execution = await service.get_execution(execution_id)
    chunks = await service.read_logs(execution_id, after_seq, limit)
    return LogChunksResponse(
        chunks=[LogChunkOut.of(c) for c in chunks],
        next_seq=chunks[-1].seq if chunks else after_seq,
        status=execution.status.value,
    )
