"""Benchmark of the audit export (issue 9): how fast a scope is exported, verified offline
and a case replayed, and that the export's memory does not grow with the log.

    python bench/audit_export.py [--quick] [--events N] [--postgres URL]

1. A fresh store of N events (cases identified then visited, 100 cases a commit, through
   the chained recorder; all cases in one county), sealed once.
2. Baseline, same run: reading the log and decrypting and decoding every event (what any
   export must do at least).
3. `Exporter.lines` for the county (every case in scope: the heaviest export) written to a
   file, in events per second (one process, one core); then `ExportVerifier.run` over the
   file (no database), and `replay` of one case from it.
4. Memory: the export's peak traced allocation (tracemalloc) at N/5 events and at N events,
   in separate passes; their ratio stays near 1 when memory is flat in the events (what
   grows is only the set of case ids in scope). The export reads pages of 2,000 positions,
   so N/5 must be past a few pages (N ≥ 20,000) for the ratio to say anything.

Figures are printed and written to bench/results/audit_export-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from bench_support import open_settings
from relay import fill
from rich.console import Console
from rich.table import Table

from services.cases.audit import keys
from services.cases.audit.checkpoints import seal
from services.cases.audit.replay import replay
from services.cases.audit.verify_export import ExportVerifier
from services.cases.audit_export_command import domain_transcoder
from services.cases.bootstrap import build_case_service

RESULTS = Path(__file__).resolve().parent / "results"
SCOPE = "360124"


def read_lines(file: Path) -> Any:
    with open(file, encoding="utf-8") as lines:
        yield from lines


def export_peak(service: Any, upto: int) -> int:
    """Peak bytes traced while exporting the log's first `upto` positions (discarded)."""
    exporter = service.audit_exporter()
    exporter.head = lambda: upto  # only the first `upto` positions
    tracemalloc.start()
    for _ in exporter.lines(SCOPE):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return int(peak)


def measure(settings: Any, events: int, tmp: Path) -> dict[str, Any]:
    service = build_case_service(settings)
    try:
        fill(service.cases, events)
        seal(service.tables, keys.signing_key(settings.audit_signing_key))
        head = service.cases.recorder.max_notification_id()

        mapper, recorder = service.cases.mapper, service.cases.recorder
        started = time.perf_counter()
        read, position = 0, 1
        while page := recorder.select_notifications(position, 2000):
            for n in page:
                mapper.to_domain_event(n)
            read += len(page)
            position = page[-1].id + 1
        read_seconds = time.perf_counter() - started

        file = tmp / "export.jsonl"
        started = time.perf_counter()
        with open(file, "w", encoding="utf-8") as out:
            for text in service.audit_exporter().lines(SCOPE):
                out.write(text)
        export_seconds = time.perf_counter() - started

        started = time.perf_counter()
        report = ExportVerifier().run(read_lines(file))
        verify_seconds = time.perf_counter() - started
        assert report.ok, report.problems()

        case_id = next(
            json.loads(text)["aggregate"]
            for text in read_lines(file)
            if text.startswith('{"aggregate"')
        )
        started = time.perf_counter()
        case = replay(read_lines(file), case_id=UUID(case_id), transcoder=domain_transcoder())
        replay_seconds = time.perf_counter() - started

        small, whole = export_peak(service, head // 5), export_peak(service, head)
    finally:
        service.close()
    return {
        "events": report.events,
        "file_mb": round(file.stat().st_size / 1e6, 1),
        "read_decode_events_per_s": round(read / read_seconds),
        "export_events_per_s": round(report.events / export_seconds),
        "export_vs_read_decode": round(read_seconds / export_seconds, 3),
        "verify_export_events_per_s": round(report.events / verify_seconds),
        "replay_one_case_s": round(replay_seconds, 3),
        "replayed_version": case.version,
        "export_peak_kb_at_fifth": round(small / 1024),
        "export_peak_kb_at_all": round(whole / 1024),
        "peak_all_vs_fifth": round(whole / small, 2),
    }


def render(results: dict[str, Any]) -> None:
    m = results["export"]
    table = Table(title=f"Audit export · {results['backend']} · AES on · one process")
    for column in ("measure", "figure", "× baseline"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row(
        "read + decrypt + decode (baseline)", f"{m['read_decode_events_per_s']:,} ev/s", "1.00"
    )
    table.add_row(
        f"export {m['events']:,} events ({m['file_mb']} MB)",
        f"{m['export_events_per_s']:,} ev/s",
        f"{m['export_vs_read_decode']:.2f}",
    )
    table.add_row("verify-export (offline)", f"{m['verify_export_events_per_s']:,} ev/s", "")
    table.add_row("replay one case from the file", f"{m['replay_one_case_s']} s", "")
    table.add_row(
        "export peak memory, 1/5 of the log → all of it",
        f"{m['export_peak_kb_at_fifth']:,} → {m['export_peak_kb_at_all']:,} KB",
        f"{m['peak_all_vs_fifth']:.2f}",
    )
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--postgres", default=None, metavar="URL")
    args = parser.parse_args()
    events = args.events or (20_000 if args.quick else 50_000)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-audit-export-") as folder:
        tmp = Path(folder)
        with open_settings(args.postgres, tmp, "_export") as settings:
            measured = measure(settings, events, tmp)
    results = {
        "backend": "postgres" if args.postgres else "sqlite",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "duration_s": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "export": measured,
    }
    render(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"audit_export-{results['backend']}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
