"""The processes of shell jobs, as the operating system sees them.

Every job process carries its owner in its environment: ``PULSE_EXECUTION_ID`` (which run it
serves) and ``PULSE_OWNER`` (the Pulse process that started it: its pid and its start time in
clock ticks since boot, which together name one process for the life of the machine, unlike a
pid alone, which the kernel reuses). After a crash (``kill -9``, out of memory) the jobs of the
dead server keep running; the next Pulse process on the host finds them by that mark and kills
their process groups before it records their runs as failed, so that a ``forbid`` job never
runs beside a leftover copy of itself. Nothing else is ever signalled: a process is killed only
if its own environment names a Pulse process that is gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EXECUTION_VAR = "PULSE_EXECUTION_ID"
OWNER_VAR = "PULSE_OWNER"
_PROC = Path("/proc")


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot (field 22 of /proc/PID/stat), or
    None if there is no such process (or no /proc)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields follow its last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def owner_mark(pid: int | None = None) -> str:
    """The ``PULSE_OWNER`` value naming this process (or ``pid``)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{start_ticks(pid) or 0}"


def owner_alive(mark: str) -> bool:
    """Whether the Pulse process named by an owner mark still runs (same pid, same start)."""
    pid_text, _, ticks_text = mark.partition(":")
    try:
        pid, ticks = int(pid_text), int(ticks_text)
    except ValueError:
        return False
    now = start_ticks(pid)
    return now is not None and (ticks == 0 or now == ticks)


@dataclass(frozen=True, slots=True)
class JobProcess:
    pid: int
    pgid: int
    execution_id: str
    owner: str


def job_processes() -> Iterator[JobProcess]:
    """Every process on this host that carries a Pulse owner mark."""
    try:
        entries = list(_PROC.iterdir())
    except OSError:
        return
    own = os.getpid()
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if OWNER_VAR.encode() not in environ:
            continue
        values = {}
        for item in environ.split(b"\0"):
            key, sep, value = item.partition(b"=")
            if sep and key in (OWNER_VAR.encode(), EXECUTION_VAR.encode()):
                values[key.decode()] = value.decode("utf-8", "replace")
        if OWNER_VAR not in values or EXECUTION_VAR not in values:
            continue
        pid = int(entry.name)
        try:
            pgid = os.getpgid(pid)
        except OSError:
            continue
        yield JobProcess(pid, pgid, values[EXECUTION_VAR], values[OWNER_VAR])


def kill_leftovers(wait_seconds: float = 5.0) -> set[str]:
    """Kill (SIGKILL, whole process groups) every job process whose owner is gone; returns the
    execution ids they served. Waits up to ``wait_seconds`` for them to be gone."""
    orphans = [p for p in job_processes() if not owner_alive(p.owner)]
    for p in orphans:
        with contextlib.suppress(OSError):
            os.killpg(p.pgid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_seconds
    pending = {p.pid for p in orphans}
    while pending and time.monotonic() < deadline:
        pending = {pid for pid in pending if _exists(pid)}
        if pending:
            time.sleep(0.02)
    return {p.execution_id for p in orphans}


def _exists(pid: int) -> bool:
    """Whether ``pid`` is still a process that is not a zombie."""
    try:
        stat = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")
