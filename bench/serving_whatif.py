"""What a suggested change to the serving path would gain, measured before anyone makes it:
``pulse serve`` with changes applied in memory (``src/`` is not touched), loaded with ``wrk``
beside an unchanged server, on one seeded history.

    .venv/bin/python bench/serving_whatif.py                # every variant, about 3 minutes
    .venv/bin/python bench/serving_whatif.py --seconds 5 --rounds 1
    .venv/bin/python bench/serving_whatif.py serve --patch inline-deps --port 8123 --data-dir D

The variants (``--patch``, combinable):

* ``inline-deps``: FastAPI runs a dependency written as a plain ``def`` in a worker thread, one
  hop per request and per such dependency (``pulse.api.deps._service``, ``runs.execution_filter``);
  here those of ``pulse.api`` are called inline, as they would be if declared ``async def``
  (they do no I/O).
* ``inline-reads``: ``SQLiteStore._read`` runs its statement on the event loop's thread instead
  of handing it to a reader thread (the statements of these endpoints take 10-150 µs; the hand-off
  costs more, and under load the threads contend for the GIL).
* ``construct-wire``: ``PulseExecution.of`` builds its model without validating it again
  (``model_construct``): the values come from the store, already typed. FastAPI still checks
  the response model and serialises it in Rust.
* ``wire-rows``: a prototype of the seed's list (its plain first page) as stored rows straight
  to JSON, in front of the real route: see :func:`_wire_rows`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PATCHES = ("inline-deps", "inline-reads", "construct-wire", "wire-rows")
VARIANTS: list[tuple[str, list[str]]] = [
    ("as is", []),
    ("inline-deps", ["inline-deps"]),
    ("inline-reads", ["inline-reads"]),
    ("construct-wire", ["construct-wire"]),
    ("all three", ["inline-deps", "inline-reads", "construct-wire"]),
    ("wire-rows (seed's list only)", ["wire-rows"]),
]


def apply(patches: list[str]) -> None:
    if "inline-deps" in patches:
        import fastapi.dependencies.utils as dep_utils

        threadpool = dep_utils.run_in_threadpool

        async def inline(func: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(func, "__module__", "").startswith("pulse.api"):
                return func(*args, **kwargs)
            return await threadpool(func, *args, **kwargs)

        dep_utils.run_in_threadpool = inline  # type: ignore[assignment]

    if "inline-reads" in patches:
        import sqlite3

        from pulse.errors import StoreError
        from pulse.store import sqlite as sqlite_store

        async def read(self: Any, fn: Any) -> Any:
            if self._readers is None:
                raise StoreError("the store is closed")
            try:
                return fn(self._reader())
            except sqlite3.Error as e:
                raise sqlite_store.store_error(e) from e

        sqlite_store.SQLiteStore._read = read  # type: ignore[method-assign]

    if "wire-rows" in patches:
        _wire_rows()

    if "construct-wire" in patches:
        from pulse.api import schemas

        def of(cls: Any, e: Any) -> Any:
            return cls.model_construct(**schemas.execution_dict(e))

        schemas.PulseExecution.of = classmethod(of)  # type: ignore[assignment, method-assign]


def _wire_rows() -> None:
    """A prototype of the seed's list as rows straight to JSON, in front of the real route
    (its plain, first-page form: no ``offset``, no ``status``): the job checked, the page and
    the total read on the event loop's thread, the stored columns (time stamps are stored as
    the wire's RFC 3339 text) put in dicts and serialised by pydantic-core's ``to_json``, no
    domain objects, no response model. Same answer as the route's (the test below checks)."""
    import pydantic_core
    from serving import cursor
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from pulse.api import app as app_module
    from pulse.api.schemas import PulseExecution
    from pulse.store.sqlite import Q

    fields = [f for f in PulseExecution.model_fields if f != "log_truncated"]
    sql = (
        f"SELECT {', '.join(fields)} FROM pulse_executions"
        " INDEXED BY idx_pulse_executions_job_started WHERE scheduled_job_id = :job_id"
        " ORDER BY started_at DESC, id DESC LIMIT :limit"
    )
    create_app = app_module.create_app

    def patched(node: Any, **kwargs: Any) -> Any:
        app = create_app(node, **kwargs)
        store = node.service.store
        real = app.router.routes  # the real route answers everything else

        async def fast_list(request: Request) -> Response:
            params = request.query_params
            if set(params) - {"limit"}:
                return await _fallthrough(request)
            job = request.path_params["job_id"]
            limit = int(params.get("limit", 50))
            conn = store._reader()
            conn.execute("BEGIN")
            try:
                if conn.execute(Q["job_exists"], {"id": job}).fetchone() is None:
                    return await _fallthrough(request)
                rows = conn.execute(sql, {"job_id": job, "limit": limit}).fetchall()
                total = conn.execute(Q["count_executions"], {"job_id": job}).fetchone()[0]
            finally:
                conn.execute("COMMIT")
            items = []
            for r in rows:
                item = dict(zip(fields, r, strict=True))
                item["log_truncated"] = item["log_dropped_bytes"] > 0
                items.append(item)
            more = len(items) < total
            body = {
                "executions": items,
                "count": len(items),
                "total": total,
                "has_more": more,
                "next_cursor": cursor(items[-1]["started_at"], items[-1]["id"]) if more else None,
            }
            return Response(pydantic_core.to_json(body), media_type="application/json")

        async def _fallthrough(request: Request) -> Response:
            raise NotImplementedError("the prototype answers the plain first page only")

        real.insert(0, Route("/api/pulse/jobs/{job_id}/executions", fast_list, methods=["GET"]))
        return app

    app_module.create_app = patched


def serve(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patch", action="append", choices=PATCHES, default=[])
    args, rest = ap.parse_known_args(argv)
    apply(args.patch)
    from pulse.cli import main as pulse_main

    return pulse_main(["serve", *rest])


@contextlib.contextmanager
def server(data: Path, patches: list[str]) -> Iterator[tuple[str, int]]:
    from benchlib import PY, free_port
    from serving import _wait_up

    port = free_port()
    cmd = [PY, __file__, "serve", *(f"--patch={p}" for p in patches)]
    cmd += ["--port", str(port), "--data-dir", str(data)]
    env = {**os.environ, "PULSE_PRUNE_INTERVAL": "0"}
    with open(data / f"server-{port}.log", "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base + "/api/pulse/health", proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(15)


def compare(
    rows: int, seconds: float, warmup: float, rounds: int, variants: list[tuple[str, list[str]]]
) -> str:
    from serving import cpu_per_request, endpoints, table, wrk
    from serving_seed import seed_sqlite

    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="pulse-bench-whatif-") as d:
        data = Path(d)
        info = seed_sqlite(data / "pulse.db", rows)
        print(f"seeded: {info}", file=sys.stderr, flush=True)
        labels: list[str] = []
        for r in range(rounds):
            for name, patches in variants:
                with server(data, patches) as (base, pid):
                    for label, url, _ in endpoints(base, pid):
                        if "health" in label:
                            continue
                        if label not in labels:
                            labels.append(label)
                        wrk(url, warmup)
                        res = wrk(url, seconds, pid)
                        results.setdefault((name, label), []).append(res)
                        print(
                            f"  [{r + 1}/{rounds}] {name}: {label}: {res['per_s']:,.0f} req/s,"
                            f" server {res['server_cores']} cores, non-2xx {res['non_2xx']}",
                            file=sys.stderr,
                            flush=True,
                        )
    header = ["variant", *labels]
    out = []
    base_rates = {
        label: statistics.median(r["per_s"] for r in results[("as is", label)]) for label in labels
    }
    base_cpu = {
        label: statistics.median(cpu_per_request(r) for r in results[("as is", label)])
        for label in labels
    }
    for name, _ in variants:
        cells = [name]
        for label in labels:
            rate = statistics.median(r["per_s"] for r in results[(name, label)])
            cpu = statistics.median(cpu_per_request(r) for r in results[(name, label)])
            gain = rate / base_rates[label] - 1
            saved = 1 - cpu / base_cpu[label]
            cells.append(
                f"{rate:,.0f}; {cpu:,.0f} µs"
                + ("" if name == "as is" else f" ({gain:+.0%}; CPU {-saved:+.0%})")
            )
        out.append(cells)
    return table(header, out)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        sys.exit(serve(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--variant", action="append", choices=[v[0] for v in VARIANTS], help="(all by default)"
    )
    args = ap.parse_args()
    chosen = [v for v in VARIANTS if v[0] == "as is" or v[0] in (args.variant or [v[0]])]
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    md = compare(args.rows, args.seconds, args.warmup, args.rounds, chosen)
    print(
        f"\nwrk -t2 -c32 -d{args.seconds:g}s: req/s; server CPU per request; median of"
        f" {args.rounds} round(s),"
        f" {args.rows:,} executions; load average {load:.1f} at the start,"
        f" {os.getloadavg()[0]:.1f} at the end; {time.monotonic() - t0:.0f} s\n\n{md}"
    )


if __name__ == "__main__":
    main()
