"""Pulse's benchmarks, side by side with their peers: ``make bench`` (= ``python bench/run.py``).

    python bench/run.py             # the full set, 3 runs of each case (about 10-15 minutes)
    python bench/run.py --quick     # a smoke run: small sizes, one run each (about 2 minutes)
    python bench/run.py --only burst --only logs --runs 5

Every case runs in a fresh interpreter (``bench/burst.py``, ``throughput.py``, ``history.py``,
``logs.py``), so no case inherits another's memory, threads or warm caches. The runs of the
systems compared are interleaved (Pulse, peer, peer, Pulse, …) so that a noisy neighbour on the
machine hurts them alike. Figures are medians over the runs. The tables are printed and written
to ``bench/results.md`` (``results-quick.md`` for ``--quick``), the raw runs to ``results.json``;
``docs/benchmarks.md`` quotes the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from benchlib import BENCH, run_case

BENCHMARKS = ("burst", "throughput", "history", "logs")


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def spread(runs: list[dict[str, Any]], key: str) -> str:
    """``median`` or ``median (min-max)`` over the runs, for a table cell."""
    values = [r[key] for r in runs]
    mid = statistics.median(values)
    if len(values) == 1:
        return fmt_num(mid)
    return f"{fmt_num(mid)} ({fmt_num(min(values))}-{fmt_num(max(values))})"


def fmt_num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}".removesuffix(".0")
    return f"{x:.2f}".rstrip("0").rstrip(".")


def fmt_ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{fmt_num(ms)} ms"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def repeat(runs: int, cases: list[tuple[str, list[str]]], label: str) -> dict[str, list[Any]]:
    """Run each (script, args) case ``runs`` times, round-robin; results by case key."""
    out: dict[str, list[Any]] = {" ".join(c[1]): [] for c in cases}
    for i in range(runs):
        for script, args in cases:
            key = " ".join(args)
            t0 = time.monotonic()
            result = run_case(script, *args)
            out[key].append(result)
            took = time.monotonic() - t0
            print(f"  [{label} {i + 1}/{runs}] {key}: {short(result)} ({took:.0f} s)", flush=True)
    return out


def short(result: dict[str, Any]) -> str:
    keys = ("p50_ms", "p99_ms", "per_s", "capture_mib_s", "bare_autocommit_per_s")
    return ", ".join(f"{k}={result[k]:.0f}" for k in keys if k in result) or "done"


# -- burst ------------------------------------------------------------------------------------
def bench_burst(runs: int, quick: bool) -> tuple[str, dict[str, Any]]:
    sizes = [200, 1000] if quick else [1000, 10000]
    # Reference figures from the issue (measured on this machine class by whoever filed it).
    reference = {
        ("aps-sqlalchemy", 1000): "p99 ~1.2 s",
        ("aps-sqlalchemy", 10000): "p99 ~11 s",
        ("aps-memory", 1000): "p99 ~80 ms",
        ("aps-memory", 10000): "p99 0.3-0.6 s",
    }
    targets = {1000: "p99 ≤ 150 ms", 10000: "p99 ≤ 3 s"}
    rows = []
    raw: dict[str, Any] = {}
    for n in sizes:
        high = max(2000, n)  # enough workers that concurrency does not bound the lag
        cases = [
            ("burst.py", ["pulse", str(n), "--workers", str(high)]),
            ("burst.py", ["aps-sqlalchemy", str(n)]),
            ("burst.py", ["aps-memory", str(n)]),
        ]
        results = repeat(runs, cases, f"burst {n}")
        # The default worker count (8), once: the lag is then bound by concurrency.
        results.update(repeat(1, [("burst.py", ["pulse", str(n), "--workers", "8"])], "burst"))
        raw[str(n)] = results
        names = {
            f"pulse {n} --workers {high}": f"Pulse, SQLite, workers={high}",
            f"pulse {n} --workers 8": "Pulse, SQLite, workers=8 (default), 1 run",
            f"aps-sqlalchemy {n}": "APScheduler 3.11, SQLAlchemyJobStore on SQLite",
            f"aps-memory {n}": "APScheduler 3.11, MemoryJobStore (no durability)",
        }
        for key, name in names.items():
            rs = results[key]
            system = key.split()[0]
            rows.append(
                [
                    f"{n:,}",
                    name,
                    fmt_ms(median_of(rs, "p50_ms")),
                    fmt_ms(median_of(rs, "p99_ms"))
                    + (
                        f" ({fmt_ms(min(r['p99_ms'] for r in rs))}-"
                        f"{fmt_ms(max(r['p99_ms'] for r in rs))})"
                        if len(rs) > 1
                        else ""
                    ),
                    fmt_ms(median_of(rs, "max_ms")),
                    f"{len(rs)}",
                    targets.get(n, "") if key == f"pulse {n} --workers {high}" else "",
                    reference.get((system, n), ""),
                ]
            )
    md = table(
        [
            "jobs",
            "system",
            "lag p50",
            "lag p99 (min-max)",
            "lag max",
            "runs",
            "target",
            "issue's figure",
        ],
        rows,
    )
    return md, raw


# -- throughput -------------------------------------------------------------------------------
def bench_throughput(runs: int, quick: bool) -> tuple[str, dict[str, Any]]:
    jobs, workers = 3000, 4000
    seconds, warmup = ("8", "3") if quick else ("30", "5")
    case = [
        "--jobs",
        str(jobs),
        "--workers",
        str(workers),
        "--seconds",
        seconds,
        "--warmup",
        warmup,
    ]
    results = repeat(
        runs,
        [("throughput.py", case), ("throughput.py", [*case, "--loop", "asyncio"])],
        "throughput",
    )
    pulse, plain = results.values()
    ceiling = next(iter(repeat(runs, [("throughput.py", ["--sqlite-ceiling"])], "sqlite").values()))
    rows = [
        [
            f"Pulse: {jobs:,} jobs every 1 s, Python no-op handler printing 1 KiB, "
            f"workers={workers}; {seconds} s after {warmup} s warm-up; {loop} event loop",
            spread(result, "per_s"),
            f"{fmt_num(median_of(result, 'cpu_cores_used'))} cores busy; start lag p50 "
            f"{fmt_ms(median_of(result, 'lag_p50_ms'))}, "
            f"p99 {fmt_ms(median_of(result, 'lag_p99_ms'))}",
            target,
        ]
        for result, loop, target in [
            (pulse, "uvloop (as `pulse serve` runs)", "≥ 2,000/s"),
            (plain, "plain asyncio", ""),
        ]
    ] + [
        [
            "SQLite ceiling: INSERT + UPDATE of a bare 2-column table, each its own commit",
            spread(ceiling, "bare_autocommit_per_s"),
            "raw sqlite3, WAL, synchronous=NORMAL",
            "issue: ~10,000/s",
        ],
        [
            "SQLite ceiling: INSERT + UPDATE of `pulse_executions` (indexes, count triggers), "
            "each its own commit",
            spread(ceiling, "schema_autocommit_per_s"),
            "same",
            "",
        ],
        [
            "SQLite ceiling: same pair on `pulse_executions`, 100 pairs per commit",
            spread(ceiling, "schema_grouped_per_s"),
            "what group commit can reach",
            "",
        ],
    ]
    md = table(["what", "per second: median (min-max)", "notes", "target"], rows)
    return md, {"pulse": pulse, "pulse_asyncio": plain, "sqlite": ceiling}


# -- history ----------------------------------------------------------------------------------
def bench_history(runs: int, quick: bool) -> tuple[str, dict[str, Any]]:
    rows_n = 100_000 if quick else 1_000_000
    args = ["--rows", str(rows_n), *(["--quick"] if quick else [])]
    result = run_case("history.py", *args, timeout=900)

    rows = []
    for name, store in result["store"].items():
        http = result["http"][name]
        target = "" if "offset 0" not in name else "p95 ≤ 5 ms"
        rows.append(
            [
                name,
                fmt_ms(store["p50_ms"]),
                fmt_ms(store["p95_ms"]),
                fmt_ms(http["p50_ms"]),
                fmt_ms(http["p95_ms"]),
                str(store["n"]),
                target,
            ]
        )
    db = result["db"]
    md = table(
        [
            "page of 50 + total",
            "store p50",
            "store p95",
            "HTTP p50",
            "HTTP p95",
            "requests",
            "target",
        ],
        rows,
    )
    md += (
        f"\n\nDatabase: {db['rows']:,} executions of one job ({db['counts']}), "
        f"{db['db_mib']} MiB, built in {db['build_s']} s."
    )
    return md, result


# -- logs -------------------------------------------------------------------------------------
def bench_logs(runs: int, quick: bool) -> tuple[str, dict[str, Any]]:
    mib = "20" if quick else "100"
    cases = [("logs.py", ["--mib", mib]), ("logs.py", ["--mib", mib, "--cap-mib", "200"])]
    results = repeat(runs, cases, "logs")
    rows = []
    for key, rs in results.items():
        cap = "200 MiB (all kept)" if "--cap-mib" in key else "10 MiB (default)"
        rows.append(
            [
                cap,
                spread(rs, "capture_mib_s"),
                f"{fmt_num(median_of(rs, 'capture_s'))} s",
                spread(rs, "run_rss_growth_mib"),
                f"{fmt_num(median_of(rs, 'stored_mib'))} MiB",
                spread(rs, "download_mib_s"),
                spread(rs, "download_rss_growth_mib"),
            ]
        )
    md = table(
        [
            f"log cap ({mib} MiB printed)",
            "capture MiB/s",
            "capture time",
            "server RSS growth, MiB (target ≤ 64)",
            "stored",
            "/logs download MiB/s",
            "RSS growth during download, MiB",
        ],
        rows,
    )
    return md, results


def machine() -> dict[str, str]:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            (ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")),
            "",
        )
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "apscheduler": version("apscheduler"),
        "sqlalchemy": version("sqlalchemy"),
        "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each")
    ap.add_argument("--runs", type=int, help="runs per case (default 3, or 1 with --quick)")
    ap.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these")
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    chosen = args.only or list(BENCHMARKS)
    fns: dict[str, Callable[[int, bool], tuple[str, dict[str, Any]]]] = {
        "burst": bench_burst,
        "throughput": bench_throughput,
        "history": bench_history,
        "logs": bench_logs,
    }
    info = machine()
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    started = datetime.now(UTC)
    print(f"{command.strip()}: {info}", flush=True)
    sections: list[str] = []
    raw: dict[str, Any] = {"machine": info, "command": command.strip()}
    for name in BENCHMARKS:
        if name not in chosen:
            continue
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        md, data = fns[name](runs, args.quick)
        raw[name] = data
        sections.append(f"### {name}\n\n{md}\n")
        print(f"\n{md}\n({time.monotonic() - t0:.0f} s)\n", flush=True)
    took = (datetime.now(UTC) - started).total_seconds()
    header = (
        f"Command: `{command.strip()}`, started {started:%Y-%m-%d %H:%M} UTC, took "
        f"{took / 60:.1f} min. Machine: {info['cpus']} CPUs ({info['cpu_model']}), Python "
        f"{info['python']}, SQLite {info['sqlite']}, APScheduler {info['apscheduler']}, "
        f"SQLAlchemy {info['sqlalchemy']}; load average at start {info['load_at_start']}.\n"
    )
    stem = "results-quick" if args.quick else "results"
    (BENCH / f"{stem}.md").write_text(header + "\n" + "\n".join(sections))
    (BENCH / f"{stem}.json").write_text(json.dumps(raw, indent=1) + "\n")
    print(f"wrote bench/{stem}.md and bench/{stem}.json")


if __name__ == "__main__":
    main()
