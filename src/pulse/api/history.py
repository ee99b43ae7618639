"""The history's upkeep and summaries: the retention policy, prunes, and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from pulse.api.deps import ServiceDep
from pulse.api.pages import PagesDep
from pulse.api.schemas import (
    READ,
    WRITE,
    JobId,
    JobsStatsOut,
    JobStatsOut,
    OverallStatsOut,
    PruneOut,
    PruneRequest,
    PrunesOut,
    PulseExecution,
    RebuildOut,
    RetentionPolicyOut,
    RetentionRules,
    error_responses,
)
from pulse.clock import format_ts
from pulse.models import Execution
from pulse.service import JobService
from pulse.stats import MAX_DAYS

router = APIRouter(tags=["history"])


def _days(default: int) -> Any:
    return Query(
        ge=1,
        le=MAX_DAYS,
        description=(
            f"The window: the last this many days (1 to {MAX_DAYS}); hourly series for 2 days or"
            " less, daily (UTC days) beyond."
        ),
    )


Days30 = Annotated[int, _days(30)]
Days1 = Annotated[int, _days(1)]
Days7 = Annotated[int, _days(7)]


# -- retention --------------------------------------------------------------------------------
@router.get("/settings/retention", response_model=RetentionPolicyOut, responses=READ)
async def get_retention(service: ServiceDep) -> RetentionPolicyOut:
    """The global retention policy, which every job follows but for the rules it overrides
    (its `retention`)."""
    return RetentionPolicyOut.model_validate((await service.get_retention()).to_json())


@router.put("/settings/retention", response_model=RetentionPolicyOut, responses=WRITE)
async def put_retention(body: RetentionRules, service: ServiceDep) -> RetentionPolicyOut:
    """Replace the global retention policy; rules left out take their defaults (completed
    runs 30 days, failed 90, at most 10,000 per job, always the last 20). A job's latest
    failure and running executions are always kept. The next prune applies it."""
    policy = await service.set_retention(body.model_dump(exclude_unset=True))
    return RetentionPolicyOut.model_validate(policy.to_json())


@router.post("/maintenance/prune", response_model=PruneOut, responses=WRITE)
async def prune(service: ServiceDep, body: PruneRequest | None = None) -> PruneOut:
    """Prune now: delete the executions the policies let go (with their logs), in small
    batches, and answer how many went, per job. With `dry_run`, count them and delete
    nothing. On several nodes, a prune running elsewhere is waited for first."""
    report = await service.prune(dry_run=body is not None and body.dry_run, wait=True)
    assert report is not None  # with wait, a prune always runs
    return PruneOut.of(report)


@router.get("/maintenance/prunes", response_model=PrunesOut, responses=READ)
async def list_prunes(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, 1 to 200.")] = 20,
) -> PrunesOut:
    """The latest prunes (background and manual), newest first."""
    return PrunesOut(prunes=[PruneOut.of(r) for r in await service.list_prunes(limit)])


@router.post("/maintenance/rebuild-stats", response_model=RebuildOut, responses=WRITE)
async def rebuild_stats(service: ServiceDep) -> RebuildOut:
    """Recompute every roll-up from the raw history stored now. Runs pruned before are then
    lost from the statistics: this repairs, it does not restore."""
    return RebuildOut(counted=await service.rebuild_stats())


# -- statistics -------------------------------------------------------------------------------
@router.get(
    "/jobs/{job_id}/stats",
    response_model=JobStatsOut,
    responses=error_responses(404, 422, not_found="No job has this id."),
)
async def job_stats(
    request: Request, job_id: JobId, service: ServiceDep, pages: PagesDep, days: Days30 = 30
) -> Response:
    """The job's runs in the window: totals, success rate, duration percentiles and a series.
    Kept as roll-ups when runs end, so runs pruned since still count."""

    async def build() -> bytes:
        stats = await service.job_stats(job_id, days)
        return JobStatsOut.model_validate(_wire(stats)).model_dump_json().encode()

    return await pages.answer(request, build, moment=_this_hour(service))


@router.get("/stats", response_model=OverallStatsOut, responses=READ)
async def overall_stats(
    request: Request, service: ServiceDep, pages: PagesDep, days: Days1 = 1
) -> Response:
    """The same totals across all jobs, with what runs now, the jobs failing most, the slowest
    and the latest failures."""

    async def build() -> bytes:
        stats = await service.overall_stats(days)
        return OverallStatsOut.model_validate(_wire(stats)).model_dump_json().encode()

    return await pages.answer(request, build, moment=_this_hour(service))


@router.get("/stats/jobs", response_model=JobsStatsOut, responses=READ)
async def jobs_stats(
    request: Request, service: ServiceDep, pages: PagesDep, days: Days7 = 7
) -> Response:
    """Per job, its runs in the window and the outcomes of its last 20 finished runs, for the
    jobs list."""

    async def build() -> bytes:
        stats = await service.jobs_stats(days)
        return JobsStatsOut.model_validate(_wire(stats)).model_dump_json().encode()

    return await pages.answer(request, build, moment=_this_hour(service))


def _this_hour(service: JobService) -> str:
    """The hour a window ends in: statistics kept as answers are good for that hour only."""
    return service.clock.now().strftime("%Y-%m-%dT%H")


def _wire(value: Any) -> Any:
    """Times as RFC 3339 text and executions as the API shows them, all the way down."""
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, Execution):
        return PulseExecution.of(value)
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value
