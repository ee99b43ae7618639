"""Identifiers: ``SPJ_…`` jobs, ``JB_…`` run requests, ``PX_{random}_{unix_ts}`` executions."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


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
