"""Retries of failed runs: when the next attempt comes.

A job with ``max_attempts`` above 1 runs a failed attempt again, as a new execution (``trigger``
"retry", ``attempt`` n, ``rerun_of`` the first attempt), until one succeeds or ``max_attempts``
ran. The wait before attempt n+1 doubles from ``retry_backoff_seconds`` with each attempt, up to
:data:`MAX_BACKOFF_SECONDS`, and is then drawn at random between half of it and all of it
("equal jitter"), so that jobs failing together do not all come back at the same instant.

Only failures of the job itself are retried (an exit code, a timeout, a handler's exception),
not runs Pulse stopped (cancelled, shut down, job deleted, node lost); and none while the job is
paused or deleted.
"""

from __future__ import annotations

import random

MAX_ATTEMPTS = 100
MAX_BACKOFF_SECONDS = 3600.0
DEFAULT_BACKOFF_SECONDS = 10.0


def backoff(base: float, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1 for the first) before the next."""
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2.0 ** min(attempt - 1, 60))
    draw = (rng or random).random()
    return ceiling / 2 + draw * ceiling / 2
