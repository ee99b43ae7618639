"""Retention: which finished executions are kept, and for how long.

A policy (:class:`RetentionPolicy`) has three rules, applied to each job's finished executions
(running ones are never pruned):

* ``keep_days`` per status: an execution older than that many days (by ``started_at``) goes; a
  status absent from the map, or mapped to null, is kept whatever its age;
* ``keep_max``: at most this many executions per job, the oldest going first (null: no cap);
* ``keep_min``: the newest this many executions of a job stay whatever the other two rules say.

A job's latest failed execution is always kept, however old: "when did this last fail, and why"
is answered for as long as the job exists.

There is one global policy (``GET``/``PUT /api/pulse/settings/retention``) and each job may
override any of its rules with its ``retention`` object: the rules it names win, the others
come from the global policy (``keep_days`` is merged status by status).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pulse.clock import format_ts, parse_ts
from pulse.errors import InvalidInputError
from pulse.models import ExecutionStatus

MAX_KEEP_DAYS = 36_500  # a hundred years: "forever" is null
MAX_KEEP_COUNT = 100_000_000
PRUNABLE = (ExecutionStatus.COMPLETED.value, ExecutionStatus.FAILED.value)
RULES = ("keep_days", "keep_max", "keep_min")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """The rules of one policy; see the module docstring."""

    keep_days: Mapping[str, int | None] = field(default_factory=dict)
    keep_max: int | None = None
    keep_min: int = 0

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        """Per status with an age limit, the instant before which its executions go."""
        return {
            status: now - timedelta(days=days)
            for status, days in self.keep_days.items()
            if days is not None
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "keep_days": {s: self.keep_days.get(s) for s in PRUNABLE if s in self.keep_days},
            "keep_max": self.keep_max,
            "keep_min": self.keep_min,
        }


DEFAULT_POLICY = RetentionPolicy(
    keep_days={"completed": 30, "failed": 90}, keep_max=10_000, keep_min=20
)
"""The global policy of a fresh install: successes for 30 days, failures for 90, never more
than 10,000 runs of a job, and always its last 20. At 1.1 KB a run, 100 jobs running every
minute then level off near 1.1 GB instead of growing by 160 MB a day."""


def _count(name: str, value: object, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(name, "must be an integer")
    if not minimum <= value <= maximum:
        raise InvalidInputError(name, f"must be between {minimum} and {maximum}")
    return value


def _keep_days(name: str, value: object) -> dict[str, int | None]:
    if not isinstance(value, dict):
        raise InvalidInputError(name, "must be an object of days per status")
    days: dict[str, int | None] = {}
    for status, n in value.items():
        if status not in PRUNABLE:
            if status == ExecutionStatus.RUNNING.value:
                reason = "running executions are never pruned"
            else:
                reason = "unknown status"
            choices = " or ".join(repr(s) for s in PRUNABLE)
            raise InvalidInputError(f"{name}.{status}", f"{reason}: the statuses are {choices}")
        days[status] = (
            None if n is None else _count(f"{name}.{status}", n, minimum=1, maximum=MAX_KEEP_DAYS)
        )
    return days


def parse_rules(value: object, field_name: str = "retention") -> dict[str, Any]:
    """The rules given in a ``retention`` object, validated, as a dict holding only the rules
    named (a job's override). Raises InvalidInputError naming the field at fault."""
    if not isinstance(value, dict):
        raise InvalidInputError(field_name, "must be an object with keep_days, keep_max, keep_min")
    rules: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{field_name}.{key}"
        if key == "keep_days":
            rules[key] = _keep_days(name, item)
        elif key == "keep_max":
            rules[key] = (
                None if item is None else _count(name, item, minimum=1, maximum=MAX_KEEP_COUNT)
            )
        elif key == "keep_min":
            if item is None:
                raise InvalidInputError(name, "must be an integer (0 keeps no floor)")
            rules[key] = _count(name, item, minimum=0, maximum=MAX_KEEP_COUNT)
        else:
            raise InvalidInputError(name, "unknown rule: the rules are " + ", ".join(RULES))
    keep_max, keep_min = rules.get("keep_max"), rules.get("keep_min")
    if keep_max is not None and keep_min is not None and keep_min > keep_max:
        raise InvalidInputError(f"{field_name}.keep_min", "must not exceed keep_max")
    return rules


def parse_policy(value: object, field_name: str = "retention") -> RetentionPolicy:
    """A whole policy (the global one): rules left out are the defaults'."""
    return merge(DEFAULT_POLICY, parse_rules(value, field_name))


def merge(base: RetentionPolicy, rules: Mapping[str, Any] | None) -> RetentionPolicy:
    """``base`` with a job's ``rules`` (from :func:`parse_rules`) laid over it."""
    if not rules:
        return base
    keep_days = dict(base.keep_days)
    keep_days.update(rules.get("keep_days", {}))
    policy = RetentionPolicy(
        keep_days=keep_days,
        keep_max=rules.get("keep_max", base.keep_max),
        keep_min=rules.get("keep_min", base.keep_min),
    )
    if policy.keep_max is not None and policy.keep_min > policy.keep_max:
        # A job's floor above the global cap (or the reverse): the floor wins, it is the
        # promise made about that job.
        policy = RetentionPolicy(policy.keep_days, policy.keep_min, policy.keep_min)
    return policy


@dataclass(frozen=True, slots=True)
class JobPrune:
    """What one prune deleted (or, dry, would delete) of one job."""

    job_id: str
    deleted: int
    policy: RetentionPolicy


@dataclass(frozen=True, slots=True)
class PruneReport:
    """One prune: when, where, how many, under which policies. ``jobs`` lists the jobs that
    lost executions."""

    started_at: datetime
    finished_at: datetime
    node_id: str
    trigger: str  # 'schedule' (the maintenance loop) or 'manual' (API, CLI)
    dry_run: bool
    deleted: int
    policy: RetentionPolicy  # the global one
    jobs: list[JobPrune] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "node_id": self.node_id,
            "trigger": self.trigger,
            "dry_run": self.dry_run,
            "deleted": self.deleted,
            "policy": self.policy.to_json(),
            "jobs": [
                {"job_id": j.job_id, "deleted": j.deleted, "policy": j.policy.to_json()}
                for j in self.jobs
            ],
        }


def _policy_from(value: Mapping[str, Any]) -> RetentionPolicy:
    return RetentionPolicy(
        keep_days=dict(value.get("keep_days") or {}),
        keep_max=value.get("keep_max"),
        keep_min=int(value.get("keep_min") or 0),
    )


def report_json(report: PruneReport) -> dict[str, Any]:
    """A report as stored: :meth:`PruneReport.to_json` with its times as text."""
    data = report.to_json()
    data["started_at"] = format_ts(report.started_at)
    data["finished_at"] = format_ts(report.finished_at)
    return data


def report_from(data: Mapping[str, Any]) -> PruneReport:
    return PruneReport(
        started_at=parse_ts(data["started_at"]),
        finished_at=parse_ts(data["finished_at"]),
        node_id=data["node_id"],
        trigger=data["trigger"],
        dry_run=bool(data.get("dry_run")),
        deleted=int(data["deleted"]),
        policy=_policy_from(data["policy"]),
        jobs=[
            JobPrune(j["job_id"], int(j["deleted"]), _policy_from(j["policy"]))
            for j in data.get("jobs", [])
        ],
    )
