"""Pulse: a scheduler for recurring jobs whose heart is execution history."""

from __future__ import annotations

from pulse.app import Pulse
from pulse.engine.handlers import RunContext
from pulse.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PulseError,
    StoreError,
    StoreUnavailableError,
)
from pulse.models import Execution, ExecutionStatus, Job, RunRequest
from pulse.service import JobService
from pulse.settings import Settings

__all__ = [
    "ConflictError",
    "Execution",
    "ExecutionStatus",
    "InvalidInputError",
    "Job",
    "JobService",
    "NotFoundError",
    "Pulse",
    "PulseError",
    "RunContext",
    "RunRequest",
    "Settings",
    "StoreError",
    "StoreUnavailableError",
]
__version__ = "0.1.0"
