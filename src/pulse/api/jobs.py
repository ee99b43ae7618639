"""``/api/pulse/jobs``: job definitions, manual runs, and a job's history (the seed's list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from pulse.api.deps import ServiceDep
from pulse.api.pages import PagesDep, json_bytes
from pulse.api.schemas import (
    WRITE,
    ExecutionStatus,
    JobCreate,
    JobId,
    JobOut,
    JobUpdate,
    ListExecutionsResponse,
    ListJobsResponse,
    Offset,
    TriggerResponse,
    error_responses,
    execution_dict,
)
from pulse.models import ExecutionStatus as Status
from pulse.search import cursor_after

router = APIRouter(tags=["jobs"])

_NO_JOB = "No job has this id."
ONE = error_responses(404, 422, not_found=_NO_JOB)
"""A call on one job, without a body."""
CHANGE = error_responses(404, 422, 507, not_found=_NO_JOB)
"""A call that changes one job, without a body."""


@router.get("/jobs", response_model=ListJobsResponse, responses=error_responses())
async def list_jobs(request: Request, service: ServiceDep, pages: PagesDep) -> Response:
    """Every job, with its last execution's status and duration."""

    async def build() -> bytes:
        jobs = await service.list_jobs()
        return (
            ListJobsResponse(jobs=[JobOut.of(j) for j in jobs], count=len(jobs))
            .model_dump_json()
            .encode()
        )

    return await pages.answer(request, build)


@router.post("/jobs", status_code=201, response_model=JobOut, responses=WRITE)
async def create_job(body: JobCreate, service: ServiceDep) -> JobOut:
    """Create a job: a name, a schedule (``cron`` + ``timezone`` or ``interval_seconds``) and
    a target (``command`` or ``handler``)."""
    return JobOut.of(await service.create_job(body.model_dump(exclude_unset=True)))


@router.get("/jobs/{job_id}", response_model=JobOut, responses=ONE)
async def get_job(
    request: Request, job_id: JobId, service: ServiceDep, pages: PagesDep
) -> Response:
    async def build() -> bytes:
        return JobOut.of(await service.get_job(job_id)).model_dump_json().encode()

    return await pages.answer(request, build)


@router.patch(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**WRITE, **error_responses(404, not_found=_NO_JOB)},
)
async def update_job(job_id: JobId, body: JobUpdate, service: ServiceDep) -> JobOut:
    """Change any of the fields given; a new schedule starts counting from now."""
    return JobOut.of(await service.update_job(job_id, body.model_dump(exclude_unset=True)))


@router.delete("/jobs/{job_id}", status_code=204, responses=CHANGE)
async def delete_job(job_id: JobId, service: ServiceDep) -> Response:
    """Delete the job and its history. Its running executions are stopped first (SIGTERM,
    then SIGKILL a few seconds later) and announced failed ("job deleted")."""
    await service.delete_job(job_id)
    return Response(status_code=204)


@router.post("/jobs/{job_id}/pause", response_model=JobOut, responses=CHANGE)
async def pause_job(job_id: JobId, service: ServiceDep) -> JobOut:
    return JobOut.of(await service.pause_job(job_id))


@router.post("/jobs/{job_id}/resume", response_model=JobOut, responses=CHANGE)
async def resume_job(job_id: JobId, service: ServiceDep) -> JobOut:
    """Resume; slots missed while paused do not run."""
    return JobOut.of(await service.resume_job(job_id))


@router.post(
    "/jobs/{job_id}/trigger",
    status_code=202,
    response_model=TriggerResponse,
    responses=CHANGE,
)
async def trigger_job(job_id: JobId, service: ServiceDep) -> TriggerResponse:
    """Run the job now. The answer names the execution that will record the run."""
    request = await service.run_now(job_id)
    return TriggerResponse(
        run_request_id=request.id, execution_id=request.execution_id, job_id=request.job_id
    )


@router.get("/jobs/{job_id}/executions", response_model=ListExecutionsResponse, responses=ONE)
async def list_executions(
    request: Request,
    job_id: JobId,
    service: ServiceDep,
    pages: PagesDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500.")] = 50,
    offset: Offset = 0,
    status: Annotated[ExecutionStatus | None, Query(description="Only this status.")] = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description=(
                "Continue after this `next_cursor` instead of skipping `offset` executions"
                " (then ignored): a page that neither repeats nor skips runs while they start"
                " and go, and costs the same however deep."
            ),
        ),
    ] = None,
) -> Response:
    """A page of the job's executions, newest first (the seed's list), by `offset` or by
    `cursor`; `next_cursor` continues it either way."""
    wanted = None if status is None else Status(status)

    async def build() -> bytes:
        if cursor is not None:
            page, next_cursor = await service.list_executions_after(job_id, limit, cursor, wanted)
            has_more = next_cursor is not None
        else:
            page = await service.list_executions(job_id, limit, offset, wanted)
            has_more = offset + len(page.items) < page.total
            next_cursor = cursor_after(page.items[-1]) if has_more and page.items else None
        # Shaped as ListExecutionsResponse, straight to JSON: building the models of 50 rows
        # and then checking them against the same models costs more than the read itself.
        items = [execution_dict(e) for e in page.items]
        return json_bytes(
            {
                "executions": items,
                "count": len(items),
                "total": page.total,
                "has_more": has_more,
                "next_cursor": next_cursor,
            }
        )

    return await pages.answer(request, build)
