"""Where the time of a request goes (issue 10): a job's list of executions and a job's details,
taken apart layer by layer, in-process, on a history seeded by ``bench/serving_seed.py``.

    .venv/bin/python bench/serving_profile.py                 # 100,000 executions, ~1 minute
    .venv/bin/python bench/serving_profile.py --profile 3000  # also cProfile over 3,000 calls
    .venv/bin/python bench/serving_profile.py --collapsed spy.txt  # sort a py-spy profile

Requests are driven straight into the ASGI app (a scope, ``receive`` and ``send``: no HTTP
server, no client), then each layer alone: the app without its three middlewares, the route's
function, the service call (the store's read in its reader thread and the rows turned into
domain objects), the SQL alone on a connection of this thread, the row conversion, the wire
models (pydantic), FastAPI's response validation and JSON serialisation, and each middleware
around an app that answers at once. Each figure is the best of 5 rounds of ``--n`` calls, in
microseconds per call, wall time and CPU time of the whole process (the reader threads
included); on a shared machine the best round is the one least disturbed.

What uvicorn adds (HTTP parsing, the transport, the event loop's work per request) is not here:
``bench/serving.py`` gives the server's CPU per request under ``wrk``; the difference with the
full app's cost here is uvicorn's share.

``--collapsed FILE`` reads a py-spy profile in collapsed form (``py-spy record --format raw
--threads --idle -p PID``, taken during a ``wrk`` run) and sorts its samples by layer, by the
innermost frame that belongs to one.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from serving_seed import job_id, seed_sqlite

ROUNDS = 5


def _scope(path: str, query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"wrk"),
            (b"accept", b"*/*"),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


def asgi_call(app: Any, path: str, query: bytes = b"") -> Callable[[], Awaitable[None]]:
    """A GET of ``path`` straight into ``app``; raises unless it answers 200."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> None:
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(_scope(path, query), receive, send)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")

    return call


async def best(fn: Callable[[], Any], n: int) -> tuple[float, float]:
    """Best of ROUNDS rounds of ``n`` calls: (wall µs, process CPU µs) per call."""
    is_async = asyncio.iscoroutinefunction(fn)
    for _ in range(min(n, 100)):
        r = fn()
        if is_async:
            await r
    walls, cpus = [], []
    for _ in range(ROUNDS):
        w0, c0 = time.perf_counter(), time.process_time()
        if is_async:
            for _ in range(n):
                await fn()
        else:
            for _ in range(n):
                fn()
        walls.append((time.perf_counter() - w0) / n * 1e6)
        cpus.append((time.process_time() - c0) / n * 1e6)
    return min(walls), min(cpus)


class _Answer:
    """An ASGI app that answers 200 at once: what a middleware costs is measured around it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def measure(db: Path, n: int, profile: int, apps_only: bool) -> None:
    os.environ["PULSE_PRUNE_INTERVAL"] = "0"
    import serving_app
    from fastapi.routing import APIRoute

    from pulse.api import jobs as jobs_api
    from pulse.api.guard import BodyMiddleware, GuardMiddleware
    from pulse.api.schemas import JobOut, ListExecutionsResponse, PulseExecution
    from pulse.api.security import SecurityMiddleware
    from pulse.app import Pulse
    from pulse.schedules import describe
    from pulse.settings import Settings
    from pulse.store.rows import execution_from, job_from
    from pulse.store.sqlite import Q

    pulse = Pulse(Settings.from_env(data_dir=db.parent))
    await pulse.start()
    try:
        app = pulse.asgi(manage_lifecycle=False)
        bare = pulse.asgi(manage_lifecycle=False)
        bare.user_middleware = []  # before its first call, which builds the middleware stack
        svc = pulse.service
        job = job_id(1)
        base = "/api/pulse"
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        params = {"job_id": job, "limit": 50, "offset": 0, "id": job}

        def sql_list() -> list[Any]:
            conn.execute("BEGIN")
            rows = conn.execute(Q["list_executions"], params).fetchall()
            conn.execute(Q["count_executions"], params).fetchone()
            conn.execute("COMMIT")
            return rows

        rows = sql_list()
        page = await svc.list_executions(job, 50, 0, None)
        items = [PulseExecution.of(e) for e in page.items]
        list_model = ListExecutionsResponse(
            executions=items, count=len(items), total=page.total, has_more=True
        )
        job_row = conn.execute(Q["get_job"], {"id": job}).fetchone()
        the_job = job_from(job_row)
        job_model = JobOut.of(the_job)

        def route_of(path: str) -> APIRoute:
            routes = jobs_api.router.routes
            return next(r for r in routes if isinstance(r, APIRoute) and r.path == path)

        list_field = route_of("/jobs/{job_id}/executions").response_field
        job_field = route_of("/jobs/{job_id}").response_field

        def fastapi_serialise(field: Any, obj: Any) -> Callable[[], bytes]:
            def run() -> bytes:
                value, errors = field.validate(obj, {}, loc=("response",))
                assert not errors
                return bytes(field.serialize_json(value))

            return run

        async def handler_list() -> None:
            await jobs_api.list_executions(job, svc, 50, 0, None)

        async def handler_job() -> None:
            await jobs_api.get_job(job, svc)

        async def service_list() -> None:
            await svc.list_executions(job, 50, 0, None)

        async def service_job() -> None:
            await svc.get_job(job)

        def wire_list() -> None:
            its = [PulseExecution.of(e) for e in page.items]
            ListExecutionsResponse(executions=its, count=len(its), total=page.total, has_more=True)

        layers: list[tuple[str, str, Callable[[], Any]]] = [
            ("list", "whole app, as served (middlewares, routing, handler, JSON)",
             asgi_call(app, f"{base}/jobs/{job}/executions", b"limit=50")),
            ("list", "the app without its 3 middlewares",
             asgi_call(bare, f"{base}/jobs/{job}/executions", b"limit=50")),
            ("list", "the route's function (service call + wire models)", handler_list),
            ("list", "service.list_executions (store: reader thread, SQL, rows → Execution)",
             service_list),
            ("list", "  the SQL alone (page + total, this thread)", sql_list),
            ("list", "  rows → Execution (execution_from x 50)",
             lambda: [execution_from(r) for r in rows]),
            ("list", "wire models: PulseExecution.of x 50 + ListExecutionsResponse", wire_list),
            ("list", "FastAPI's response validation + JSON (serialize_json)",
             fastapi_serialise(list_field, list_model)),
            ("job", "whole app, as served", asgi_call(app, f"{base}/jobs/{job}")),
            ("job", "the app without its 3 middlewares", asgi_call(bare, f"{base}/jobs/{job}")),
            ("job", "the route's function", handler_job),
            ("job", "service.get_job (store: reader thread, SQL, row → Job)",
             service_job),
            ("job", "  the SQL alone (this thread)",
             lambda: conn.execute(Q["get_job"], {"id": job}).fetchone()),
            ("job", "  row → Job (job_from)", lambda: job_from(job_row)),
            ("job", "wire model: JobOut.of", lambda: JobOut.of(the_job)),
            ("job", "  of which describe(schedule)", lambda: describe(the_job.schedule)),
            ("job", "FastAPI's response validation + JSON (serialize_json)",
             fastapi_serialise(job_field, job_model)),
            ("health", "whole app, as served", asgi_call(app, f"{base}/health")),
            ("trivial", "trivial FastAPI app (bench/serving_app.py)",
             asgi_call(serving_app.app, "/hello")),
            ("middleware", "GuardMiddleware around an app answering at once",
             asgi_call(GuardMiddleware(_Answer()), f"{base}/health")),
            ("middleware", "SecurityMiddleware (same)",
             asgi_call(SecurityMiddleware(_Answer(), pulse.settings), f"{base}/health")),
            ("middleware", "BodyMiddleware (same)",
             asgi_call(BodyMiddleware(_Answer()), f"{base}/health")),
            ("middleware", "no middleware: the app answering at once",
             asgi_call(_Answer(), f"{base}/health")),
        ]  # fmt: skip
        if apps_only:
            layers = [
                ("list", "whole app", layers[0][2]),
                ("job", "whole app", layers[8][2]),
                ("runs", "whole app", asgi_call(app, f"{base}/executions", b"limit=50")),
            ]
            profile = 0
        print(f"{'what':<78} {'wall µs':>9} {'CPU µs':>9}")
        for group, name, fn in layers:
            wall, cpu = await best(fn, n)
            print(f"{group + ': ' + name:<78} {wall:9.1f} {cpu:9.1f}", flush=True)

        if profile:
            for label, fn in (
                ("list", layers[0][2]),
                ("job", layers[8][2]),
            ):
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(profile):
                    await fn()
                prof.disable()
                print(f"\n== cProfile, {label}, {profile} calls: time by layer (tottime) ==")
                by_layer(pstats.Stats(prof), profile)
    finally:
        await pulse.stop()


LAYERS = [
    ("pulse/api/guard", "pulse middleware: guard"),
    ("pulse/api/security", "pulse middleware: security"),
    ("pulse/api/schemas", "pulse wire models (schemas.py)"),
    ("pulse/api/", "pulse API routes"),
    ("pulse/store/rows", "store: rows → domain objects"),
    ("pulse/store/", "store"),
    ("pulse/schedules", "describe(schedule)"),
    ("pulse/cronspec", "describe(schedule)"),
    ("pulse/clock", "time stamps (clock.py)"),
    ("pulse/", "pulse, other"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("pydantic", "pydantic"),
    ("uvicorn/", "uvicorn"),
    ("httptools", "uvicorn"),
    ("uvloop", "event loop"),
    ("asyncio/", "event loop"),
    ("concurrent/", "thread hand-off"),
    ("threading", "thread hand-off"),
    ("json/", "json"),
    ("sqlite3", "sqlite3 (C)"),
    ("enum", "enum"),
    ("typing", "typing"),
]


def layer_of(where: str) -> str:
    for needle, name in LAYERS:
        if needle in where:
            return name
    return "other: " + where.rsplit("/", 1)[-1][:40]


def by_layer(stats: pstats.Stats, calls: int) -> None:
    totals: Counter[str] = Counter()
    raw: Any = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        where = filename if filename != "~" else func
        totals[layer_of(where)] += tottime
    whole = sum(totals.values())
    for name, t in totals.most_common(18):
        print(f"  {name:<45} {t / calls * 1e6:8.1f} µs  {t / whole:6.1%}")
    print(f"  {'(profiled total; cProfile inflates it)':<45} {whole / calls * 1e6:8.1f} µs")
    stats.sort_stats("tottime").print_stats(15)
    stats.print_callers("run_sync_in_worker_thread")


def collapsed(path: Path) -> None:
    """Samples of a py-spy profile (``--threads``, collapsed) by thread, and the event loop's
    thread by layer: the innermost frame that names one. A reader thread's samples outside a
    statement are its hand-off: being woken and taking the GIL back (py-spy counts a thread
    waiting for the GIL as busy)."""
    totals: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        n = int(count)
        if "MainThread" not in frames[0] and "(pulse:" not in (frames[1:2] or [""])[0]:
            inner = frames[-1]
            if "pulse/store/" in inner:
                totals["reader threads: a statement (SQLite, rows)"] += n
            else:
                totals["reader threads: hand-off (woken, waiting for the GIL)"] += n
            continue
        name = "other"
        for frame in reversed(frames):
            layer = layer_of(frame)
            if not layer.startswith("other"):
                name = layer
                break
        totals["event loop thread: " + name] += n
    whole = sum(totals.values())
    for name, n in totals.most_common(30):
        print(f"  {name:<70} {n:8d} samples  {n / whole:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--n", type=int, default=1000, help="calls per round")
    ap.add_argument("--profile", type=int, default=0, help="also cProfile this many calls")
    ap.add_argument("--collapsed", type=Path, help="a py-spy collapsed profile to sort")
    ap.add_argument("--db", type=Path, help="an SQLite file seeded before (not seeded again)")
    ap.add_argument(
        "--patch", action="append", default=[], help="a change of bench/serving_whatif.py"
    )
    ap.add_argument("--apps-only", action="store_true", help="only the whole app, per endpoint")
    args = ap.parse_args()
    if args.collapsed:
        collapsed(args.collapsed)
        return
    from serving_whatif import apply

    apply(args.patch)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-profile-") as d:
        db = args.db
        if db is None:
            db = Path(d) / "pulse.db"
            info = seed_sqlite(db, args.rows)
            print(f"seeded: {info}", file=sys.stderr)
        # The loop `pulse serve` runs on (uvicorn picks uvloop when installed).
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(measure(db, args.n, args.profile, args.apps_only))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    main()
