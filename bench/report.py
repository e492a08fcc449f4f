"""Benchmark of the periodic report (定期通报) at province scale: a city's quarterly report
from read models holding up to 1,000,000 cases.

    python bench/report.py [--quick] [--cases N] [--rounds R] [--period 2026-Q3] [--keep]

Building. As bench/dashboard.py builds them (its templates, its province, its bulk
builder and loader: the projector's own code, rows inserted in big transactions), plus
the daily series (`rm<N>_daily`) the report reads for a period that has ended: each event
recorded on the day its fact took effect, as in a store that followed the children's
lives as they happened. SQLite only (the series is summed across chunks with an upsert;
PostgreSQL's COPY does not). No care sites are built: their table is read, and empty.
The consistency of the bulk builder with the projector is bench/dashboard.py's check.

Measuring. `reports.produce.produce` — what `careledger report` and GET /api/v1/reports
call — in-process, as civil affairs of the province, for the city holding the most cases
and one quarter (default: the last that has ended, read from the daily series; the
current one is read from the live counters and the series for the quarter before), PDF
and xlsx, `--rounds` times each, interleaved with the baseline measured in the same run:
the dashboard summary of the same city, today (live counters) and as of the quarter's end
(the daily series). Reported: median and max seconds; the read-model statements of one
report with their times (the slowest first), and the query plan of the slowest.

The store is a fresh SQLite folder, deleted at the end unless --keep. Results go to
bench/results/report-sqlite.json. Only 127.0.0.1 is contacted; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from random import Random
from typing import Any

from bench_support import open_settings, results_header
from dashboard import (
    BUILD_SEED,
    PROVINCE,
    build,
    lives,
    make_province,
    template_of,
    traced,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def last_quarter(today: date) -> str:
    """The last quarter that has ended before `today` ("2026-Q3")."""
    quarter = (today.month - 1) // 3  # 0 in January–March: the year before's Q4
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


def measure(
    calls: dict[str, Callable[[], Any]], rounds: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Each call `rounds` times, interleaved round by round; seconds per call."""
    samples: dict[str, list[float]] = defaultdict(list)
    for round_ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
        progress(
            f"round {round_ + 1}/{rounds}: "
            + ", ".join(f"{name} {samples[name][-1]:.2f} s" for name in calls)
        )
    return {
        name: {
            "n": len(s),
            "median_s": round(statistics.median(s), 3),
            "max_s": round(max(s), 3),
        }
        for name, s in samples.items()
    }


def statements(store: Any, call: Callable[[], Any]) -> dict[str, Any]:
    """The read-model statements of one call, slowest first, and the slowest one's plan."""
    log: list[tuple[float, str, list[Any]]] = []
    with traced(log):
        call()
    by_sql: dict[str, list[float]] = defaultdict(list)
    for seconds, sql, _ in log:
        by_sql[" ".join(sql.split())[:160]].append(seconds)
    seconds, sql, params = max(log)

    def plan(tx: Any) -> list[str]:
        tx.cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [" | ".join(str(v) for v in tuple(row)) for row in tx.cursor.fetchall()]

    return {
        "statements": len(log),
        "statements_s": round(sum(s for s, _, _ in log), 3),
        "by_statement": sorted(
            (
                {"sql": k, "calls": len(v), "total_ms": round(sum(v) * 1000, 1)}
                for k, v in by_sql.items()
            ),
            key=lambda r: -float(r["total_ms"]),  # type: ignore[arg-type]
        )[:12],
        "slowest_ms": round(seconds * 1000, 1),
        "slowest_sql": " ".join(sql.split()),
        "slowest_params": [str(p) for p in params],
        "slowest_plan": store.read(plan),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20,000 cases, 2 rounds")
    parser.add_argument("--cases", type=int, help="cases to build (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="reports of each format (default 3)")
    parser.add_argument("--period", help="the quarter (default: the last that has ended)")
    parser.add_argument(
        "--templates", type=int, help="children played on the aggregate (default 20,000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the built store's folder")
    args = parser.parse_args(argv)
    cases = args.cases or (20_000 if args.quick else 1_000_000)
    rounds = args.rounds or (2 if args.quick else 3)
    template_count = min(cases, args.templates or (5_000 if args.quick else 20_000))

    from services.cases.access import Actor
    from services.cases.bootstrap import build_case_service
    from services.cases.reports.period import parse
    from services.cases.reports.produce import produce
    from shared.clock import Clock
    from shared.roles import Role

    started = time.perf_counter()

    def progress(text: str) -> None:
        print(f"[report {time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr)

    today = Clock().today()
    period = parse(args.period or last_quarter(today))
    results: dict[str, Any] = {
        **results_header("report", "sqlite"),
        "today": today.isoformat(),
        "period": period.label,
        "cases_asked": cases,
        "templates": template_count,
        "rounds": rounds,
    }
    province = make_province()
    tmp = Path(tempfile.mkdtemp(prefix="careledger-bench-report-"))
    try:
        with open_settings(None, tmp, keep=args.keep) as settings:
            service = build_case_service(settings)
            try:
                t0 = time.perf_counter()
                progress(f"playing {template_count:,} children's years on the aggregate")
                templates = [
                    template_of(c) for c in lives(Random(BUILD_SEED), today, template_count)
                ]
                results["build"] = build(
                    settings, service, province, templates, cases, progress, dated=True
                )
                results["build"]["total_s"] = round(time.perf_counter() - t0, 1)
                progress(
                    f"built in {results['build']['total_s']} s: "
                    f"{results['build']['cases']:,} cases, {results['build']['events']:,} "
                    f"events, {results['build']['sizes']['rows'].get('daily', 0):,} daily rows"
                )
                read_models, store = service.read_models, service.read_models.store
                counts = Counter(
                    {
                        r["scope"]: int(r["n"])
                        for r in store.read(
                            lambda tx: tx.rows(
                                "SELECT scope, n FROM {counts} WHERE metric = 'cases'"
                            )
                        )
                    }
                )
                city = max(province.codes["city"], key=lambda c: counts[c])
                results["city"] = {"code": city, "cases": counts[city]}
                actor = Actor("bench", Role.CIVIL_AFFAIRS, PROVINCE, "bench")
                end = min(period.end, today)

                def report(fmt: str) -> Callable[[], Any]:
                    return lambda: produce(read_models, actor, city, period, fmt, "zh", today)

                calls = {
                    "baseline: summary today": lambda: read_models.summary(actor, city, today),
                    "baseline: summary as of the period's end": lambda: read_models.summary(
                        actor, city, end, None, "recorded" if end < today else None
                    ),
                    "report pdf": report("pdf"),
                    "report xlsx": report("xlsx"),
                }
                progress(f"measuring {city} ({counts[city]:,} cases), {period.label}")
                results["seconds"] = measure(calls, rounds, progress)
                produced = report("pdf")()
                results["pdf_bytes"], results["figures"] = len(produced.body), produced.figures
                results["report_statements"] = statements(store, report("xlsx"))
            finally:
                service.close()
    finally:
        if args.keep:
            print(f"kept the store's folder {tmp / 'var'}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "report-sqlite.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    render(results)
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


def render(results: dict[str, Any]) -> None:
    b = results["build"]
    print(
        f"{b['cases']:,} cases, {b['events']:,} events built in {b['total_s']} s; "
        f"{results['city']['code']} holds {results['city']['cases']:,}; "
        f"period {results['period']} (today {results['today']})",
        file=sys.stderr,
    )
    for name, r in results["seconds"].items():
        line = f"  {name:45} median {r['median_s']:8.3f} s  max {r['max_s']:8.3f} s"
        print(line, file=sys.stderr)
    s = results["report_statements"]
    print(
        f"  one report: {s['statements']} statements, {s['statements_s']} s; slowest "
        f"{s['slowest_ms']} ms: {s['slowest_sql'][:140]}",
        file=sys.stderr,
    )
    for line in s["slowest_plan"]:
        print(f"    {line}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
