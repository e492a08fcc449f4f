"""Benchmark of the projector: rebuild and catch-up rates against reading the log raw.

    python bench/projections.py [--quick] [--children N] [--rounds R] [--postgres URL]

The machine is shared and noisy, so every rate sits beside a baseline measured in the same
run, in interleaved rounds: the baseline reads the same notifications page by page
(`select_notifications`, 1,000 at a time) and decodes each one (`mapper.to_domain_event`:
decryption and JSON) and does nothing else. Then, on the same store:

1. rebuild — `rebuild()` of every read model into a new generation (as
   `careledger cases rebuild-projections` does), one transaction per page of 20,000;
2. catch-up — the real projector (`build_projector`: polling on SQLite, LISTEN/NOTIFY
   subscription on PostgreSQL) from position 0 on an empty generation until it reaches
   the log's head.

Reported: events/s of each, and their ratios to the raw rate (the aim: rebuild at least
half of raw). The whole run, baseline included, uses the garbage-collector settings of the
projector's process (`tune_gc`). The store is the demo city (`seed_demo`, fixed seed) in a
fresh SQLite folder (AES on), or with --postgres a fresh schema created and dropped here.
Results go to bench/results/projections-<backend>.json. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bench_support import open_settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PAGE = 1000


def raw_read(service: Any) -> dict[str, float]:
    """Reads and decodes every notification, page by page: the baseline."""
    recorder, mapper = service.cases.recorder, service.cases.mapper
    started, position, count = time.perf_counter(), 0, 0
    while page := recorder.select_notifications(position, PAGE, inclusive_of_start=False):
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        position = page[-1].id
    seconds = time.perf_counter() - started
    return {"events": count, "seconds": round(seconds, 3), "per_second": round(count / seconds)}


def rebuild_run(service: Any) -> dict[str, float]:
    """A full rebuild into a new generation, switched to at the end."""
    from services.cases.projections.pages import PageProjection
    from services.cases.projections.personal import PersonalData
    from services.cases.projections.rebuild import rebuild

    projection = PageProjection(service.cases.mapper, PersonalData(service.settings.cipher_key))
    summary = rebuild(
        service.cases.recorder, projection, service.read_models.store, grace_seconds=0
    )
    return {
        "events": summary.events,
        "seconds": round(summary.seconds, 3),
        "per_second": round(summary.rate),
    }


def catch_up_run(service: Any) -> dict[str, float]:
    """The real projector from an empty active generation up to the log's head."""
    from services.cases.projections.projector import build_projector

    store = service.read_models.store
    generation = store.begin_generation()
    with store.switching(generation):
        pass  # the empty generation is now the active one, at position 0
    store.drop_retired()
    head = service.cases.recorder.max_notification_id() or 0
    projector = build_projector(service.settings, service.cases, store, lease=False)
    started = time.perf_counter()
    try:
        while projector.position < head:
            projector.run_once()
    finally:
        projector.feed.close()
    seconds = time.perf_counter() - started
    return {
        "events": projector.events,
        "seconds": round(seconds, 3),
        "per_second": round(projector.events / seconds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 children, 2 rounds")
    parser.add_argument("--children", type=int, help="children to seed (default 10,000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL URL, e.g. postgresql://postgres@127.0.0.1:5432/test; "
        "a fresh schema is created and dropped",
    )
    args = parser.parse_args(argv)
    if args.postgres and (host := urlparse(args.postgres).hostname) not in (
        "127.0.0.1",
        "localhost",
    ):
        parser.error(f"only a PostgreSQL on 127.0.0.1 is benchmarked, not {host}")
    children = args.children or (2000 if args.quick else 10_000)
    rounds = args.rounds or (2 if args.quick else 3)

    from services.cases.bootstrap import build_case_service
    from services.cases.demo import seed_demo
    from services.cases.projections.projector import tune_gc

    # The projector and rebuild processes run with fewer collections; so does this whole
    # run, baseline included, so the ratios compare like with like.
    tune_gc()

    started = time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "projections",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_start": list(os.getloadavg()),
        },
        "children": children,
        "rounds": rounds,
        "page_size": PAGE,
    }
    with (
        tempfile.TemporaryDirectory(prefix="careledger-bench-") as tmpdir,
        open_settings(args.postgres, Path(tmpdir)) as settings,
    ):
        results["backend"] = "postgres" if settings.uses_postgres else "sqlite"
        service = build_case_service(settings)
        try:
            seeded = seed_demo(service, children=children, show_progress=False)
            results["events_in_log"] = service.cases.recorder.max_notification_id()
            results["seed_seconds"] = round(seeded.seconds, 1)
            runs: dict[str, list[dict[str, float]]] = {"raw": [], "rebuild": [], "catch_up": []}
            for round_ in range(1, rounds + 1):
                for name, run in (
                    ("raw", raw_read),
                    ("rebuild", rebuild_run),
                    ("catch_up", catch_up_run),
                ):
                    print(
                        f"[{results['backend']}] round {round_}/{rounds}: {name} …", file=sys.stderr
                    )
                    runs[name].append(run(service))
        finally:
            service.close()
    medians = {name: statistics.median(r["per_second"] for r in rs) for name, rs in runs.items()}
    results["runs"] = runs
    results["median_events_per_second"] = medians
    results["ratios_to_raw"] = {
        "rebuild": round(medians["rebuild"] / medians["raw"], 3),
        "catch_up": round(medians["catch_up"] / medians["raw"], 3),
        # Per round too: the machine drifts, and a round's own ratio is the fairer one.
        "rebuild_per_round": [
            round(b["per_second"] / a["per_second"], 3)
            for a, b in zip(runs["raw"], runs["rebuild"], strict=True)
        ],
        "catch_up_per_round": [
            round(b["per_second"] / a["per_second"], 3)
            for a, b in zip(runs["raw"], runs["catch_up"], strict=True)
        ],
    }
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    render(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"projections-{results['backend']}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


def render(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"projections · {results['backend']} · {results['events_in_log']} "
        f"events ({results['children']} children)"
    )
    for column in ("run", "events/s (median)", "per round", "ratio to raw"):
        table.add_column(column, justify="right")
    medians, ratios = results["median_events_per_second"], results["ratios_to_raw"]
    for name in ("raw", "rebuild", "catch_up"):
        per_round = ", ".join(str(r["per_second"]) for r in results["runs"][name])
        ratio = "1" if name == "raw" else f"{ratios[name]:.2f}"
        table.add_row(name, f"{medians[name]:.0f}", per_round, ratio)
    Console(stderr=True).print(table)


if __name__ == "__main__":
    sys.exit(main())
