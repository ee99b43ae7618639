"""The SQL of a prune, shared by both backends (they differ only in how parameters are written).

A job is pruned in three steps:

1. its finished-execution count (from the counters) says whether any rule can apply at all: a
   job with no more than ``keep_min`` finished runs loses nothing, and the cap costs nothing
   to check while the job is under it;
2. :func:`nth_newest_query` reads the limits: the newest run the floor protects, and the
   newest run past the cap;
3. :func:`victims_query` selects a batch of what goes, oldest first, which the backend deletes
   with the batch's logs (never the job's latest failure, read anew by each batch); repeated
   until a batch comes back short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pulse.clock import format_ts
from pulse.retention import PRUNABLE, RetentionPolicy

Param = Callable[[str], str]  # a parameter's name → its placeholder in the backend's SQL
Key = tuple[str, str]  # (started_at, id): the order of a job's history

FINISHED = "status IN ('completed', 'failed')"


def sqlite_param(name: str) -> str:
    return f":{name}"


def postgres_param(name: str) -> str:
    return f"%({name})s"


def nth_newest_query(p: Param) -> str:
    """The key of the job's ``offset``+1-th newest finished execution."""
    return (
        "SELECT started_at, id FROM pulse_executions"
        f" WHERE scheduled_job_id = {p('job')} AND {FINISHED}"
        f" ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET {p('offset')}"
    )


def finished_count_query(p: Param) -> str:
    return (
        "SELECT coalesce(sum(n), 0) AS n FROM pulse_execution_counts"
        f" WHERE scheduled_job_id = {p('job')} AND {FINISHED}"
    )


@dataclass(slots=True)
class Bounds:
    """What one job's prune must respect, read before its batches."""

    job_id: str
    policy: RetentionPolicy
    now: datetime
    floor: Key | None = None  # this run and newer ones are kept
    cap: Key | None = None  # this run and newer ones are within keep_max
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def has_rules(self) -> bool:
        return bool(self.policy.cutoffs(self.now)) or self.policy.keep_max is not None

    def where(self, p: Param) -> str:
        """The condition on a job's executions that selects those to delete."""
        params: dict[str, Any] = {"job": self.job_id}
        parts = [f"scheduled_job_id = {p('job')}", FINISHED]
        if self.floor is not None:
            params["floor_at"], params["floor_id"] = self.floor
            parts.append(f"(started_at, id) < ({p('floor_at')}, {p('floor_id')})")
        # The job's latest failure, read by every batch rather than once when the prune began:
        # a run that fails while the job is being pruned becomes its latest failure, and stays.
        parts.append(
            "id <> coalesce(("
            f"SELECT id FROM pulse_executions WHERE scheduled_job_id = {p('job')}"
            " AND status = 'failed' ORDER BY started_at DESC, id DESC LIMIT 1), '')"
        )
        goes = []
        for status, cutoff in sorted(self.policy.cutoffs(self.now).items()):
            if status in PRUNABLE:
                params[f"cut_{status}"] = format_ts(cutoff)
                goes.append(f"(status = '{status}' AND started_at < {p('cut_' + status)})")
        if self.cap is not None:
            params["cap_at"], params["cap_id"] = self.cap
            goes.append(f"(started_at, id) < ({p('cap_at')}, {p('cap_id')})")
        parts.append("(" + " OR ".join(goes or ["false"]) + ")")
        self.params = params
        return " AND ".join(parts)


def victims_query(bounds: Bounds, p: Param) -> str:
    """A batch of ``limit`` executions to delete, oldest first."""
    return (
        f"SELECT id FROM pulse_executions WHERE {bounds.where(p)}"
        f" ORDER BY started_at, id LIMIT {p('limit')}"
    )


def count_query(bounds: Bounds, p: Param) -> str:
    """How many would go (a dry run)."""
    return f"SELECT count(*) AS n FROM pulse_executions WHERE {bounds.where(p)}"


def needs_bounds(policy: RetentionPolicy, finished: int) -> tuple[bool, bool]:
    """Whether a job with ``finished`` finished executions needs its floor, and its cap, read;
    (False, False) with no age rule means it loses nothing."""
    floor = policy.keep_min > 0
    cap = policy.keep_max is not None and finished > policy.keep_max
    return floor, cap


def prunable(policy: RetentionPolicy, finished: int, now: datetime) -> bool:
    if finished <= policy.keep_min:
        return False
    return needs_bounds(policy, finished)[1] or bool(policy.cutoffs(now))


def add_counts(total: dict[str, int], more: Mapping[str, int]) -> None:
    for job_id, n in more.items():
        if n:
            total[job_id] = total.get(job_id, 0) + n
