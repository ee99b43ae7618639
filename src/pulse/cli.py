"""The ``pulse`` command: ``serve`` runs a node; the other commands talk to a running server
over its REST API (``--url``, default the local one), human-readable by default, ``--json`` for
scripts."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

from pulse.errors import PulseError

if TYPE_CHECKING:
    import socket

    import uvicorn

    from pulse.app import Pulse
    from pulse.settings import Settings

# The local server, on the port `pulse serve` would pick.
DEFAULT_URL = f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"


# -- serve --------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    import uvicorn

    from pulse.app import Pulse
    from pulse.settings import Settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=None if args.data_dir is None else __import__("pathlib").Path(args.data_dir),
        database_url=args.database_url,
        workers=args.workers,
        node_id=args.node_id,
    )
    if args.app:
        module_name, _, attr = args.app.partition(":")
        pulse = getattr(importlib.import_module(module_name), attr or "app")
        if not isinstance(pulse, Pulse):
            _fail(f"--app {args.app}: not a pulse.Pulse object")
        pulse.settings = settings
    else:
        pulse = Pulse(settings)
    pulse.demo = args.demo
    config = uvicorn.Config(
        pulse.asgi(manage_lifecycle=False),
        host=settings.host,
        port=settings.port,
        log_level="info",
        # uvicorn's own lines go through the root logger set up above: one format for all.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
        ws_ping_interval=20,
        # Bigger frames are cut off by the server before Pulse could answer them with an error.
        ws_max_size=1024 * 1024,
    )
    # The event loop uvicorn would run itself (uvloop when installed).
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        return runner.run(_serve(pulse, config))


async def _serve(pulse: Pulse, config: uvicorn.Config) -> int:
    """Start Pulse, then the HTTP server; 1 if Pulse cannot start.

    Pulse starts before uvicorn rather than in the app's lifespan: a failure there would reach
    the operator as uvicorn's log lines around a chained traceback, when what they need is the
    cause (a damaged file, a database server that is down, a data directory that cannot be
    written), in one line."""
    # While PostgreSQL is away the connection pool logs every failed attempt, each with libpq's
    # hint on a line of its own; if the pool gives up, the reason is printed once, below.
    pool_log = logging.getLogger("psycopg.pool")
    level = pool_log.level
    pool_log.setLevel(logging.ERROR)
    try:
        await pulse.start()
    except (PulseError, OSError) as e:
        print(_cannot_start(pulse.settings, e), file=sys.stderr, flush=True)
        return 1
    finally:
        pool_log.setLevel(level)
    logging.getLogger("pulse").info("Pulse on http://%s:%d", _url_host(config.host), config.port)
    server = _server(config, pulse)
    try:
        await server.serve()
    finally:
        # A server that never started (its port taken) exits without shutting down.
        if not server.started:
            await pulse.stop()
    return 0


def _server(config: uvicorn.Config, pulse: Pulse) -> uvicorn.Server:
    """uvicorn's server, stopping Pulse where the app's lifespan would: once the connections
    have closed, and before uvicorn re-raises the signal that stopped it (which ends the
    process)."""
    import uvicorn  # only `pulse serve` pays for importing the server

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            if not self.force_exit:  # a second Ctrl-C skips the lifespan's shutdown too
                await pulse.stop()

    return Server(config)


def _cannot_start(settings: Settings, error: Exception) -> str:
    """The reason Pulse cannot start, on one line, naming the database (a password hidden);
    libpq's messages span lines (a hint follows the error)."""
    from pulse.app import _safe_url

    reason = " ".join(str(error).split())
    url = settings.store_url
    where = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else _safe_url(url)
    if where not in reason:
        reason = f"{where}: {reason}"
    return f"pulse: cannot start: {reason}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- client -------------------------------------------------------------------------------------
class Client:
    def __init__(self, url: str, token: str | None) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.base = url.rstrip("/")
        self.http = httpx.Client(base_url=self.base + "/api/pulse", headers=headers, timeout=30)

    def call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            r = self.http.request(method, path, **kw)
        except httpx.TransportError as e:
            _fail(f"cannot reach Pulse at {self.base} ({e}); is `pulse serve` running?", code=2)
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text
            _fail(f"{detail} (HTTP {r.status_code})")
        if r.status_code == 204:
            return None
        if r.headers.get("content-type", "").startswith("application/json"):
            return r.json()
        return r.text


def _fail(message: str, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def _out(args: argparse.Namespace, data: Any, human: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(human)


def _ago(ts: str | None) -> str:
    if not ts:
        return "-"
    when = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    secs = (datetime.now(UTC) - when).total_seconds()
    future = secs < 0
    secs = abs(secs)
    if secs < 60:
        text = f"{int(secs)}s"
    elif secs < 3600:
        text = f"{int(secs // 60)}m"
    elif secs < 86400:
        text = f"{int(secs // 3600)}h"
    else:
        text = f"{int(secs // 86400)}d"
    return f"in {text}" if future else f"{text} ago"


def _dur(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60000:
        return f"{ms / 1000:.1f}s"
    return f"{ms // 60000}m{(ms % 60000) // 1000:02d}s"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


def _job_text(job: dict[str, Any]) -> str:
    target = job["command"] if job["command"] is not None else f"handler {job['handler']}"
    lines = [
        f"{job['name']}  ({job['id']})",
        f"  schedule   {job['schedule_description']}",
        f"  runs       {target}",
        f"  state      {job['state']}",
        f"  next run   {job['next_run_at'] or '-'} ({_ago(job['next_run_at'])})",
        f"  last run   {job['last_status'] or '-'} {_dur(job['last_duration_ms'])}"
        f" {job['last_execution_id'] or ''}".rstrip(),
        f"  overlap    {job['overlap']}, timeout {job['timeout_seconds'] or 'none'}",
    ]
    if job["skipped_count"]:
        lines.append(
            f"  skipped    {job['skipped_count']} firing(s), last {_ago(job['last_skipped_at'])}"
        )
    return "\n".join(lines)


def _job_fields(args: argparse.Namespace, *, creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if creating or args.name is not None:
        body["name"] = args.name
    for key in (
        "command",
        "handler",
        "cron",
        "timezone",
        "cwd",
        "description",
        "overlap",
        "run_as",
    ):
        value = getattr(args, key, None)
        if value is not None:
            body[key] = value
    if args.every is not None:
        body["interval_seconds"] = args.every
    if args.timeout is not None:
        body["timeout_seconds"] = args.timeout
    if args.payload is not None:
        try:
            body["payload"] = json.loads(args.payload)
        except ValueError as e:
            _fail(f"--payload must be JSON: {e}")
    if args.env:
        env = {}
        for item in args.env:
            key, sep, value = item.partition("=")
            if not sep:
                _fail(f"--env {item!r}: expected KEY=VALUE")
            env[key] = value
        body["env"] = env
    if args.paused:
        body["state"] = "paused"
    return body


def cmd_jobs(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    action = args.action
    if action == "list":
        data = c.call("GET", "/jobs")
        rows = [
            [
                j["id"],
                j["name"],
                j["schedule_description"],
                j["state"],
                _ago(j["next_run_at"]),
                f"{j['last_status'] or '-'} {_dur(j['last_duration_ms'])}",
            ]
            for j in data["jobs"]
        ]
        _out(
            args,
            data,
            _table(rows, ["ID", "NAME", "SCHEDULE", "STATE", "NEXT", "LAST"])
            if rows
            else "no jobs yet",
        )
    elif action == "add":
        job = c.call("POST", "/jobs", json=_job_fields(args, creating=True))
        _out(args, job, f"created {job['id']}\n{_job_text(job)}")
    elif action == "show":
        job = c.call("GET", f"/jobs/{args.job}")
        _out(args, job, _job_text(job))
    elif action == "edit":
        job = c.call("PATCH", f"/jobs/{args.job}", json=_job_fields(args, creating=False))
        _out(args, job, f"updated {job['id']}\n{_job_text(job)}")
    elif action == "rm":
        c.call("DELETE", f"/jobs/{args.job}")
        _out(args, {"deleted": args.job}, f"deleted {args.job}")
    elif action in ("pause", "resume"):
        job = c.call("POST", f"/jobs/{args.job}/{action}")
        _out(args, job, f"{job['name']} ({job['id']}) is {job['state']}")
    elif action == "run":
        data = c.call("POST", f"/jobs/{args.job}/trigger")
        _out(args, data, f"queued {data['execution_id']} (run request {data['run_request_id']})")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    if args.export:
        c.call("GET", f"/jobs/{args.job}")  # an unknown job fails here, not as an empty file
        return _export(c, args.export, _params(job_id=args.job, status=args.status))
    params: dict[str, Any] = {"limit": args.limit, "offset": args.offset}
    if args.status:
        params["status"] = args.status
    data = c.call("GET", f"/jobs/{args.job}/executions", params=params)
    rows = [
        [
            e["id"],
            e["status"],
            _ago(e["started_at"]),
            _dur(e["duration_ms"]),
            e["trigger"],
            (e["error_message"] or e["result_summary"] or "")[:60],
        ]
        for e in data["executions"]
    ]
    human = (
        _table(rows, ["EXECUTION", "STATUS", "STARTED", "DURATION", "TRIGGER", "RESULT"])
        if rows
        else "no executions"
    )
    human += f"\n{data['count']} of {data['total']}" + (
        " (more: --offset)" if data["has_more"] else ""
    )
    _out(args, data, human)
    return 0


# -- runs across jobs ---------------------------------------------------------------------------
def cmd_runs(args: argparse.Namespace) -> int:
    """Every job's executions, newest first, a page at a time (``--cursor`` continues), or
    all of them streamed to stdout (``--export``)."""
    c = Client(args.url, args.token)
    params = _params(
        status=args.status,
        job_id=args.job,
        trigger=args.trigger,
        node=args.node,
        started_after=_when("--since", args.since),
        started_before=_when("--until", args.until),
        q=args.q,
    )
    if args.export:
        return _export(c, args.export, params)
    params["limit"] = args.limit
    if args.cursor:
        params["cursor"] = args.cursor
    data = c.call("GET", "/executions", params=params)
    names = (
        {j["id"]: j["name"] for j in c.call("GET", "/jobs")["jobs"]} if data["executions"] else {}
    )
    rows = [
        [
            e["id"],
            names.get(e["scheduled_job_id"], e["scheduled_job_id"]),
            e["status"],
            _ago(e["started_at"]),
            _dur(e["duration_ms"]),
            e["trigger"],
            e["node_id"] or "-",
            (e["error_message"] or e["result_summary"] or "").replace("\n", " ")[:50],
        ]
        for e in data["executions"]
    ]
    head = ["EXECUTION", "JOB", "STATUS", "STARTED", "DURATION", "TRIGGER", "NODE", "RESULT"]
    human = _table(rows, head) if rows else "no executions"
    if data["next_cursor"]:
        human += f"\nmore: --cursor {data['next_cursor']}"
    _out(args, data, human)
    return 0


def _params(**values: str | None) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


_AGE = re.compile(r"^(\d+)([smhdw])$")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _when(flag: str, value: str | None) -> str | None:
    """An age (``30m``, ``2h``, ``7d``, ``1w``) as the instant that long ago; anything else
    (a date, an RFC 3339 time) as given, for the server to read (or refuse, naming ``flag``'s
    parameter)."""
    if value is None:
        return None
    m = _AGE.match(value.strip())
    if not m:
        return value
    try:
        when = datetime.now(UTC) - timedelta(seconds=int(m.group(1)) * _AGE_UNITS[m.group(2)])
    except OverflowError:
        _fail(f"{flag} {value}: too long ago")
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _export(c: Client, fmt: str, params: dict[str, Any]) -> int:
    """Stream ``GET /executions/export`` to stdout as it comes: constant memory here too."""
    try:
        with c.http.stream("GET", "/executions/export", params={**params, "format": fmt}) as r:
            if r.status_code >= 400:
                r.read()
                try:
                    detail = r.json().get("detail", r.text)
                except ValueError:
                    detail = r.text
                _fail(f"{detail} (HTTP {r.status_code})")
            out = sys.stdout.buffer
            for piece in r.iter_bytes():
                out.write(piece)
            out.flush()
    except httpx.TransportError as e:
        _fail(f"cannot reach Pulse at {c.base} ({e}); is `pulse serve` running?", code=2)
    except BrokenPipeError:
        # The reader went away (`pulse runs --export csv | head`): not an error of ours. Point
        # stdout at nothing so that Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    if not args.follow:
        try:
            with c.http.stream("GET", f"/executions/{args.execution}/logs") as r:
                if r.status_code >= 400:
                    r.read()
                    _fail(f"{r.json().get('detail')} (HTTP {r.status_code})")
                for piece in r.iter_text():
                    sys.stdout.write(piece)
        except httpx.TransportError as e:
            _fail(f"cannot reach Pulse at {c.base} ({e}); is `pulse serve` running?", code=2)
        return 0
    after = 0
    while True:
        data = c.call(
            "GET",
            f"/executions/{args.execution}/log-chunks",
            params={"after_seq": after, "limit": 1000},
        )
        for chunk in data["chunks"]:
            sys.stdout.write(chunk["text"])
        sys.stdout.flush()
        after = data["next_seq"]
        # The server reads the status before the chunks: a finished execution with nothing
        # after ``after`` has no more lines to come.
        if data["status"] != "running" and not data["chunks"]:
            print(f"-- execution {data['status']}", file=sys.stderr)
            return 0 if data["status"] == "completed" else 1
        if not data["chunks"]:
            time.sleep(0.5)


# -- operating runs -----------------------------------------------------------------------------
def cmd_cancel(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    done = [c.call("POST", f"/executions/{eid}/cancel") for eid in args.execution]
    human = "\n".join(f"cancelling {e['id']} (on {e['node_id'] or '?'})" for e in done)
    _out(args, done if len(done) > 1 else done[0], human)
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    done = [c.call("POST", f"/executions/{eid}/rerun") for eid in args.execution]
    human = "\n".join(
        f"re-running {eid}: queued {d['execution_id']}"
        for eid, d in zip(args.execution, done, strict=True)
    )
    _out(args, done if len(done) > 1 else done[0], human)
    return 0


# -- retention and statistics -------------------------------------------------------------------
def _policy_text(policy: dict[str, Any]) -> str:
    days = policy.get("keep_days") or {}
    parts = [
        f"{status} {'forever' if days.get(status) is None else str(days[status]) + ' days'}"
        for status in ("completed", "failed")
    ]
    cap = policy.get("keep_max")
    parts.append("no cap" if cap is None else f"at most {cap} per job")
    parts.append(f"always the last {policy.get('keep_min', 0)}")
    return ", ".join(parts)


def cmd_prune(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    data = c.call("POST", "/maintenance/prune", json={"dry_run": args.dry_run})
    names = {j["id"]: j["name"] for j in c.call("GET", "/jobs")["jobs"]} if data["jobs"] else {}
    rows = [
        [
            names.get(j["job_id"], j["job_id"]),
            j["job_id"],
            str(j["deleted"]),
            _policy_text(j["policy"]),
        ]
        for j in data["jobs"]
    ]
    verb = "would delete" if args.dry_run else "deleted"
    human = f"{verb} {data['deleted']} executions"
    if rows:
        head = ["JOB", "ID", "WOULD GO" if args.dry_run else "DELETED", "POLICY"]
        human = _table(rows, head) + "\n" + human
    _out(args, data, human)
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    if args.action == "set":
        body: dict[str, Any] = {}
        days = {
            status: (None if value == "forever" else _int_arg(f"--{status}-days", value))
            for status, value in (("completed", args.completed_days), ("failed", args.failed_days))
            if value is not None
        }
        if days:
            body["keep_days"] = days
        if args.keep_max is not None:
            body["keep_max"] = (
                None if args.keep_max == "none" else _int_arg("--keep-max", args.keep_max)
            )
        if args.keep_min is not None:
            body["keep_min"] = args.keep_min
        policy = c.call("PUT", "/settings/retention", json=body)
    else:
        policy = c.call("GET", "/settings/retention")
    _out(args, policy, _policy_text(policy))
    return 0


def _int_arg(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        _fail(f"{name}: {value!r} is not a number")


def cmd_stats(args: argparse.Namespace) -> int:
    c = Client(args.url, args.token)
    if args.job == "rebuild":
        data = c.call("POST", "/maintenance/rebuild-stats")
        _out(args, data, f"rebuilt the statistics from {data['counted']} executions")
        return 0
    path = "/stats" if args.job is None else f"/jobs/{args.job}/stats"
    days = args.days if args.days is not None else (1 if args.job is None else 30)
    data = c.call("GET", path, params={"days": days})
    rate = data["success_rate"]
    d = data["duration_ms"]
    lines = [
        f"last {days} day{'s' if days != 1 else ''}: {data['total']} runs,"
        f" {data['completed']} completed, {data['failed']} failed"
        + ("" if rate is None else f", {rate:.1%} success"),
        f"duration p50 {_dur(d['p50'])}, p95 {_dur(d['p95'])}, p99 {_dur(d['p99'])},"
        f" max {_dur(d['max'])}",
    ]
    for item in data.get("failing", []):
        lines.append(f"failing: {item['name']} ({item['failed']} of {item['total']})")
    for item in data.get("latest_failures", [])[:5]:
        lines.append(
            f"failed {_ago(item['started_at'])} ago: {item['job_name']} {item['id']}"
            f" {(item['error_message'] or '')[:60]}"
        )
    _out(args, data, "\n".join(lines))
    return 0


# -- store --------------------------------------------------------------------------------------
def cmd_store(args: argparse.Namespace) -> int:
    """``store copy``: the copy prints progress as it goes (a big history takes minutes) and
    exits non-zero unless the counts verified."""
    from pulse.store.copy import Progress, copy_store, format_progress, format_report

    last = 0.0

    def progress(p: Progress) -> None:
        nonlocal last
        if not args.json and (p.table_done or time.monotonic() - last >= 1.0):
            last = time.monotonic()
            print(format_progress(p), flush=True)

    try:
        report = copy_store(
            args.source,
            args.target,
            batch_size=args.batch_size,
            force=args.force,
            progress=progress,
        )
    except KeyboardInterrupt:
        print("interrupted: what was copied stays; rerun to continue", file=sys.stderr)
        return 130
    _out(args, report.to_json(), format_report(report))
    if not report.ok:
        _fail("the target's counts differ from the source's (see above)")
    return 0


# -- parser -------------------------------------------------------------------------------------
def _token_from_env() -> str | None:
    from pulse.settings import api_token_from_env

    try:
        return api_token_from_env(os.environ)
    except PulseError:  # the server refuses such a setting; a client just sends what it has
        return os.environ.get("PULSE_API_TOKEN")


def _client_options(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    """The options of every command that talks to a server. They go before the subcommand
    (``pulse --url … jobs list``) or after it; the root parser holds the defaults, so a
    subcommand's own copy only overrides them when given."""
    p.add_argument(
        "--url",
        default=os.environ.get("PULSE_URL", DEFAULT_URL) if root else argparse.SUPPRESS,
        help="server URL (default: PULSE_URL, or the local server)",
    )
    p.add_argument(
        "--token",
        default=_token_from_env() if root else argparse.SUPPRESS,
        help="API token (default: PULSE_API_TOKEN, or the file PULSE_API_TOKEN_FILE names)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        default=False if root else argparse.SUPPRESS,
        help="print JSON for scripts",
    )


def _job_options(p: argparse.ArgumentParser, *, creating: bool) -> None:
    if creating:
        p.add_argument("name")
    else:
        p.add_argument("--name")
    p.add_argument("--command", "-c", help="shell command")
    p.add_argument("--handler", help="registered Python handler")
    p.add_argument("--payload", help="JSON payload for the handler")
    p.add_argument("--every", type=int, metavar="SECONDS", help="fixed interval")
    p.add_argument("--cron", help="cron expression, e.g. '*/5 * * * *' or @daily")
    p.add_argument("--timezone", "--tz", dest="timezone", help="IANA time zone for --cron")
    p.add_argument("--timeout", type=float, metavar="SECONDS")
    p.add_argument("--overlap", choices=["forbid", "allow"])
    p.add_argument("--cwd")
    p.add_argument("--run-as", metavar="USER", help="run the command as this user (needs root)")
    p.add_argument("--env", action="append", metavar="KEY=VALUE")
    p.add_argument("--description")
    p.add_argument("--paused", action="store_true", help="create or set the job paused")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="pulse", description=__doc__)
    _client_options(root, root=True)
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run a Pulse node (scheduler, workers, API, UI)")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $PORT or 8000)")
    serve.add_argument("--data-dir", help="data directory (default $PULSE_DATA_DIR or ./data)")
    serve.add_argument("--database-url", help="sqlite:///FILE or postgresql://…")
    serve.add_argument("--workers", type=int, help="executions run at once (default 8)")
    serve.add_argument("--node-id", help="this node's name (default host:pid)")
    serve.add_argument("--demo", action="store_true", help="add demo jobs to an empty store")
    serve.add_argument("--app", help="module:attribute of your pulse.Pulse with handlers")
    serve.set_defaults(fn=cmd_serve)

    jobs = sub.add_parser("jobs", help="manage jobs")
    jsub = jobs.add_subparsers(dest="action", required=True)
    p = jsub.add_parser("list", help="list jobs")
    _client_options(p)
    p = jsub.add_parser("add", help="create a job")
    _job_options(p, creating=True)
    _client_options(p)
    for name, text in (
        ("show", "show a job"),
        ("rm", "delete a job and its history"),
        ("pause", "pause a job"),
        ("resume", "resume a job"),
        ("run", "run a job now"),
    ):
        p = jsub.add_parser(name, help=text)
        p.add_argument("job")
        _client_options(p)
    p = jsub.add_parser("edit", help="change a job")
    p.add_argument("job")
    _job_options(p, creating=False)
    _client_options(p)
    jobs.set_defaults(fn=cmd_jobs)

    hist = sub.add_parser("history", help="a job's executions, newest first")
    hist.add_argument("job")
    hist.add_argument("--status", choices=["running", "completed", "failed"])
    hist.add_argument("--limit", type=int, default=20)
    hist.add_argument("--offset", type=int, default=0)
    hist.add_argument(
        "--export", choices=["csv", "ndjson"], help="stream all of them to stdout instead"
    )
    _client_options(hist)
    hist.set_defaults(fn=cmd_history)

    runs = sub.add_parser(
        "runs", help="every job's executions, newest first: filter, search, page, export"
    )
    runs.add_argument("--status", choices=["running", "completed", "failed"])
    runs.add_argument("--job", metavar="JOB", help="only this job's (its id)")
    runs.add_argument("--trigger", choices=["schedule", "manual", "rerun", "retry"])
    runs.add_argument("--node", metavar="NODE", help="only those this node ran (its id)")
    runs.add_argument(
        "--since",
        metavar="TIME",
        help="started at or after: a date (2025-12-06, UTC), an RFC 3339 time, or an age"
        " (30m, 2h, 7d, 1w)",
    )
    runs.add_argument("--until", metavar="TIME", help="started before (the same forms)")
    runs.add_argument(
        "-q",
        "--query",
        dest="q",
        metavar="TEXT",
        help="words of the error message or result summary (the last one may be a prefix)",
    )
    runs.add_argument("--limit", type=int, default=20, help="executions per page (1 to 500)")
    runs.add_argument("--cursor", help="the next page: the cursor a page ended with")
    runs.add_argument(
        "--export",
        choices=["csv", "ndjson"],
        help="stream every matching execution to stdout instead (no --limit, no --cursor)",
    )
    _client_options(runs)
    runs.set_defaults(fn=cmd_runs)

    logs = sub.add_parser("logs", help="an execution's log")
    logs.add_argument("execution")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until it ends")
    _client_options(logs)
    logs.set_defaults(fn=cmd_logs)

    for name, text, fn in (
        ("cancel", "cancel running executions (on whichever node runs them)", cmd_cancel),
        ("rerun", "run finished executions again", cmd_rerun),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("execution", nargs="+")
        _client_options(p)
        p.set_defaults(fn=fn)

    prune = sub.add_parser("prune", help="delete the history the retention policies let go")
    prune.add_argument("--dry-run", action="store_true", help="say what would go, per job")
    _client_options(prune)
    prune.set_defaults(fn=cmd_prune)

    ret = sub.add_parser("retention", help="the global retention policy")
    rsub = ret.add_subparsers(dest="action", required=True)
    p = rsub.add_parser("show", help="show the global policy")
    _client_options(p)
    p = rsub.add_parser("set", help="replace the global policy (rules left out: defaults)")
    p.add_argument("--completed-days", metavar="DAYS", help="days, or 'forever'")
    p.add_argument("--failed-days", metavar="DAYS", help="days, or 'forever'")
    p.add_argument("--keep-max", metavar="N", help="executions per job at most, or 'none'")
    p.add_argument("--keep-min", type=int, metavar="N", help="newest executions always kept")
    _client_options(p)
    ret.set_defaults(fn=cmd_retention)

    stats = sub.add_parser(
        "stats", help="success rate and durations, of all jobs or one; 'stats rebuild'"
    )
    stats.add_argument("job", nargs="?", help="a job id, or 'rebuild' to recompute roll-ups")
    stats.add_argument("--days", type=int, help="the window (default 1, or 30 for a job)")
    _client_options(stats)
    stats.set_defaults(fn=cmd_stats)

    store = sub.add_parser("store", help="manage the database itself")
    ssub = store.add_subparsers(dest="action", required=True)
    p = ssub.add_parser("copy", help="copy jobs and their whole history into PostgreSQL")
    data_dir = os.environ.get("PULSE_DATA_DIR") or "data"
    p.add_argument(
        "--from",
        dest="source",
        default=f"sqlite:///{data_dir}/pulse.db",
        help="sqlite:///FILE (default: pulse.db in $PULSE_DATA_DIR or ./data)",
    )
    p.add_argument("--to", dest="target", required=True, help="postgresql://… (migrated first)")
    p.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    p.add_argument("--force", action="store_true", help="copy even while a node uses the source")
    p.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print a JSON summary for scripts",
    )
    store.set_defaults(fn=cmd_store)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except PulseError as e:
        _fail(str(e))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
