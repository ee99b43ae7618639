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
    PulseExecution,
    RunLink,
    TriggerResponse,
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
    reruns = [RunLink.of(e).model_dump() for e in await service.runs_of(execution_id)]
    head = json.dumps({**execution_dict(execution), "reruns": reruns})

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


@router.post(
    "/executions/{execution_id}/cancel",
    status_code=202,
    response_model=PulseExecution,
    responses=error_responses(404, 409, 422, 507, not_found="No execution has this id."),
)
async def cancel_execution(execution_id: ExecutionId, service: ServiceDep) -> PulseExecution:
    """Cancel a running execution, on whichever node runs it: its command gets SIGTERM (SIGKILL
    after the shutdown grace), a handler is cancelled. It ends `failed` with the error
    "cancelled" and `cancelled_at`; the answer comes at once, with `cancel_requested_at` set,
    and the end follows (`pulse_execution_failed` on the WebSocket). 409 if it already ended."""
    return PulseExecution.of(await service.cancel(execution_id))


@router.post(
    "/executions/{execution_id}/rerun",
    status_code=202,
    response_model=TriggerResponse,
    responses=error_responses(404, 409, 422, 507, not_found="No execution (or job) has this id."),
)
async def rerun_execution(execution_id: ExecutionId, service: ServiceDep) -> TriggerResponse:
    """Run a finished execution's job again now. The new execution has `trigger` "rerun" and
    `rerun_of` this one, which lists it in `reruns`. 409 while this one still runs."""
    request = await service.rerun(execution_id)
    return TriggerResponse(
        run_request_id=request.id, execution_id=request.execution_id, job_id=request.job_id
    )
