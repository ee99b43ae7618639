"""Identifiers: ``SPJ_…`` jobs, ``JB_…`` run requests, ``PX_{random}_{unix_ts}`` executions."""

from __future__ import annotations

import secrets
import time


def _random(n: int) -> str:
    """``n`` random lowercase hex characters (4 bits of entropy each)."""
    return secrets.token_hex((n + 1) // 2)[:n]


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
