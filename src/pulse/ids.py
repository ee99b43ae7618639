"""Identifiers: ``SPJ_…`` jobs, ``JB_…`` run requests, ``PX_{random}_{unix_ts}`` executions."""

from __future__ import annotations

import random
import secrets
import time

# Ids must be unique, not secret: a generator seeded from the OS once per process, instead of a
# system call for every id (three per execution).
_rng = random.Random(secrets.randbits(128))


def _random(n: int) -> str:
    """``n`` random lowercase hex characters (4 bits each)."""
    return f"{_rng.getrandbits(4 * n):0{n}x}"


def job_id() -> str:
    """A new scheduled job id."""
    return f"SPJ_{_random(12)}"


def run_request_id() -> str:
    """A new run request (async job) id."""
    return f"JB_{_random(12)}"


def execution_id(unix_ts: int | None = None) -> str:
    """A new execution id in the seed's format ``PX_{random}_{timestamp}``."""
    ts = int(time.time()) if unix_ts is None else unix_ts
    return f"PX_{_random(10)}_{ts}"
