"""Running one execution's target and turning how it ended into an :class:`ExecutionResult`.

A shell command runs in its own process group (so a timeout or shutdown kills everything it
started), with stdout and stderr read as they are produced. A Python handler runs as a task (or in
a thread when it is a plain function) with its print output and log records captured.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import os
import pwd
import signal
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pulse.clock import Clock
from pulse.engine.capture import LineSplitter, LogSink
from pulse.engine.handlers import Handler, RunContext, begin_capture, end_capture
from pulse.engine.processes import EXECUTION_VAR, OWNER_VAR, owner_mark
from pulse.models import Execution, ExecutionResult, ExecutionStatus, Job, LogStream

log = logging.getLogger("pulse.runner")

# Never handed to a job's process: a job must not be able to read Pulse's own secrets.
_PRIVATE_ENV = ("PULSE_API_TOKEN", "PULSE_API_TOKEN_FILE", "PULSE_DATABASE_URL")
SUMMARY_MAX = 500
CANCELLED = "cancelled"  # the error of a run a user cancelled
READ_SIZE = 64 * 1024
# After the main process exits, how long its pipes may stay open (held by a child it left
# behind in another session) before Pulse stops reading.
PIPE_DRAIN_SECONDS = 2.0


@dataclass
class RunHandle:
    """Lets the engine stop an execution from outside (shutdown, fencing, a deleted job)."""

    execution_id: str
    job_id: str = ""
    abort_reason: str | None = None
    cancelled_at: datetime | None = None  # a user cancelled it (asked at this instant)
    _process: asyncio.subprocess.Process | None = None
    _task: asyncio.Task[Any] | None = None
    _kill_timer: asyncio.TimerHandle | None = None

    def abort(self, reason: str) -> None:
        """End the execution now (SIGKILL); it will be recorded ``failed`` with ``reason``."""
        self.stop(reason, grace=0)

    def stop(self, reason: str, grace: float) -> None:
        """Ask the execution to end: SIGTERM to a command's process group now, SIGKILL after
        ``grace`` seconds if it is still there; a Python handler is cancelled. Recorded
        ``failed`` with ``reason`` unless the command exits 0 on its own within the grace."""
        if self.abort_reason is None:
            self.abort_reason = reason
        if self._process is not None:
            if grace <= 0:
                _kill_group(self._process)
            else:
                _signal_group(self._process, signal.SIGTERM)
                if self._kill_timer is None:
                    proc = self._process
                    self._kill_timer = asyncio.get_running_loop().call_later(
                        grace, _kill_group, proc
                    )
        if self._task is not None:
            self._task.cancel()

    def cancel(self, at: datetime, grace: float) -> None:
        """Stop it because a user cancelled it: as :meth:`stop`, and it is recorded ``failed``
        "cancelled" however it ends."""
        if self.cancelled_at is None:
            self.cancelled_at = at
        self.stop(CANCELLED, grace)

    def _ended(self) -> None:
        if self._kill_timer is not None:
            self._kill_timer.cancel()
            self._kill_timer = None


def _signal_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    # Even after the leader exited: children it left in its group go too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


class Runner:
    def __init__(
        self, clock: Clock, handlers: Mapping[str, Handler], run_as: str | None = None
    ) -> None:
        self._clock = clock
        self._handlers = handlers
        self._owner = owner_mark()
        self._run_as = run_as  # the user commands run as unless their job names one

    async def run(
        self, job: Job, execution: Execution, sink: LogSink, handle: RunHandle
    ) -> ExecutionResult:
        """Run ``job`` for ``execution``; never raises for a failure of the job itself. The
        caller ends the capture (``sink.take_rest``) and records the result."""
        started = self._clock.monotonic()
        status = ExecutionStatus.COMPLETED
        error: str | None = None
        summary: str | None = None
        exit_code: int | None = None
        try:
            if job.target.command is not None:
                exit_code, timed_out = await self._run_shell(job, sink, handle)
                if timed_out:
                    status, error = (
                        ExecutionStatus.FAILED,
                        f"timed out after {_secs(job.timeout_seconds)} s",
                    )
                elif handle.abort_reason is not None and exit_code != 0:
                    status = ExecutionStatus.FAILED
                    error = f"{handle.abort_reason} ({_exit_message(exit_code)})"
                elif exit_code != 0:
                    status = ExecutionStatus.FAILED
                    error = _exit_message(exit_code)
                    last_err = sink.last_line.get(LogStream.STDERR)
                    if last_err:
                        error += f": {last_err.strip()}"
                summary = sink.last_line.get(LogStream.STDOUT)
            elif job.target.handler is not None:
                status, error, summary = await self._run_handler(job, execution, sink, handle)
            else:
                status, error = ExecutionStatus.FAILED, "job has neither a command nor a handler"
        except Exception as e:  # a fault of Pulse's around the job; still recorded, never lost
            log.exception("execution %s: unexpected error", execution.id)
            status, error = ExecutionStatus.FAILED, f"internal error: {e}"
        if handle.cancelled_at is not None:
            status, error = ExecutionStatus.FAILED, CANCELLED
        if status is ExecutionStatus.FAILED and error:
            sink.note(error)
        duration_ms = round((self._clock.monotonic() - started) * 1000)
        return ExecutionResult(
            status=status,
            completed_at=self._clock.now(),
            duration_ms=duration_ms,
            result_summary=_clip(summary),
            error_message=_clip(error) if error else None,
            exit_code=exit_code,
            log_bytes=sink.total_bytes,
            log_dropped_bytes=sink.dropped_bytes,
            cancelled_at=handle.cancelled_at,
        )

    # -- shell --------------------------------------------------------------------------------
    async def _run_shell(
        self, job: Job, sink: LogSink, handle: RunHandle
    ) -> tuple[int | None, bool]:
        assert job.target.command is not None
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        user = job.target.run_as or self._run_as
        as_user: dict[str, Any] = {}
        cwd = job.target.cwd or None
        if user:
            try:
                as_user, home = _user_args(user)
            except (KeyError, OSError) as e:
                sink.note(f"cannot run as user {user!r}: {e}")
                return 126, False
            env.update(HOME=home, USER=user, LOGNAME=user)
            if cwd is None:  # Pulse's own directory may be closed to that user
                cwd = home
        env.update(job.target.env)
        # Who runs it, so that the next Pulse process finds it should this one die (processes.py).
        env[EXECUTION_VAR] = handle.execution_id
        env[OWNER_VAR] = self._owner
        try:
            proc = await asyncio.create_subprocess_shell(
                job.target.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd,
                env=env,
                start_new_session=True,  # own process group: kill it whole
                **as_user,
            )
        except (FileNotFoundError, NotADirectoryError, PermissionError) as e:
            sink.note(f"cannot start the command: {e}")
            return 127, False
        handle._process = proc
        if handle.abort_reason is not None:
            _kill_group(proc)
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            asyncio.create_task(_pump(proc.stdout, LogStream.STDOUT, sink)),
            asyncio.create_task(_pump(proc.stderr, LogStream.STDERR, sink)),
        ]
        timed_out = False
        try:
            if job.timeout_seconds:
                try:
                    await asyncio.wait_for(proc.wait(), job.timeout_seconds)
                except TimeoutError:
                    timed_out = True
                    _kill_group(proc)
                    await proc.wait()
            else:
                await proc.wait()
            # Readers finish when the pipes close. A background child may hold them open: give it
            # a moment, then stop reading (and kill the group, which the job no longer needs).
            _done, pending = await asyncio.wait(readers, timeout=PIPE_DRAIN_SECONDS)
            if pending:
                _kill_group(proc)
                for t in pending:
                    t.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
        except asyncio.CancelledError:
            _kill_group(proc)
            for t in readers:
                t.cancel()
            raise
        finally:
            handle._process = None
            handle._ended()
        return proc.returncode, timed_out

    # -- python -------------------------------------------------------------------------------
    async def _run_handler(
        self, job: Job, execution: Execution, sink: LogSink, handle: RunHandle
    ) -> tuple[ExecutionStatus, str | None, str | None]:
        name = job.target.handler
        assert name is not None
        fn = self._handlers.get(name)
        if fn is None:
            return ExecutionStatus.FAILED, f"no handler registered under the name {name!r}", None
        ctx = RunContext(
            execution_id=execution.id,
            job_id=job.id,
            job_name=job.name,
            payload=job.target.payload,
            scheduled_for=execution.scheduled_for,
            attempt=execution.attempt,
            logger=_logger(name),
        )
        loop = asyncio.get_running_loop()
        is_async = _is_async(fn)

        async def call() -> Any:
            cap, token = begin_capture(sink, loop)
            try:
                if is_async:
                    return await fn(ctx)
                result = await asyncio.to_thread(fn, ctx)
                if inspect.isawaitable(result):
                    result = await result
                return result
            finally:
                end_capture(cap, token)

        task = asyncio.create_task(call())
        handle._task = task
        try:
            if job.timeout_seconds:
                done, _ = await asyncio.wait({task}, timeout=job.timeout_seconds)
                if not done:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                    return (
                        ExecutionStatus.FAILED,
                        f"timed out after {_secs(job.timeout_seconds)} s",
                        None,
                    )
            value = await task
        except asyncio.CancelledError:
            if handle.abort_reason is not None and not _current_task_cancelling():
                return ExecutionStatus.FAILED, handle.abort_reason, None
            raise
        except Exception as e:
            tb = "".join(traceback.format_exception(e))
            sink.write_lines(LogStream.STDERR, tb.rstrip("\n").split("\n"))
            message = str(e) or type(e).__name__
            return ExecutionStatus.FAILED, message, None
        finally:
            handle._task = None
        if value is None:
            return ExecutionStatus.COMPLETED, None, sink.last_line.get(LogStream.STDOUT)
        summary = value if isinstance(value, str) else repr(value)
        return ExecutionStatus.COMPLETED, None, summary


@functools.cache
def _logger(handler: str) -> logging.Logger:
    return logging.getLogger(f"pulse.job.{handler}")


@functools.cache
def _is_async(fn: Handler) -> bool:
    return inspect.iscoroutinefunction(fn)


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task and task.cancelling())


async def _pump(reader: asyncio.StreamReader, stream: LogStream, sink: LogSink) -> None:
    split = LineSplitter()
    while True:
        data = await reader.read(READ_SIZE)
        if not data:
            break
        sink.write_lines(stream, split.feed(data))
        if sink.needs_flush:  # backpressure: don't read faster than the store takes it
            await sink.flush()
    sink.write_lines(stream, split.finish())


def _user_args(name: str) -> tuple[dict[str, Any], str]:
    """What starts a process as user ``name`` (a name or a uid: its uid, primary and other
    groups), and its working directory by default (the user's home, or ``/``). Raises KeyError
    for an unknown user."""
    pw = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    if os.geteuid() != 0 and pw.pw_uid != os.geteuid():
        raise PermissionError("Pulse must run as root to start commands as another user")
    groups = os.getgrouplist(pw.pw_name, pw.pw_gid)
    home = pw.pw_dir if os.path.isdir(pw.pw_dir) else "/"
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": groups}, home


def _exit_message(code: int | None) -> str:
    if code is None:
        return "exited"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _secs(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)
