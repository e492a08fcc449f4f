"""Benchmark of the audit chain (issue 9): verification speed, and what chaining costs
the write path.

    python bench/audit_chain.py [--quick] [--events N] [--rounds N] [--postgres URL]

1. Verification: a fresh store of N events (cases identified then visited, 100 cases a
   commit, written through the chained recorder), sealed once; then `Verifier.run` over
   it, in this one process (one core), in events per second. Baseline in the same run:
   reading the same log and decrypting and decoding every event, which any verification
   must do; the ratio is what recomputing the links, chains and checkpoint adds.
2. Write path: the identify + visit use cases (`Cases.identify`, `Cases.record_visit`,
   one commit each, as the API makes them) per second on a store with the chain and on
   one without it (eventsourcing's own recorder), rounds interleaved, in the same run;
   the ratio is the cost of chaining. Sealing is off the write path (the sealer).

Figures are printed and written to bench/results/audit_chain-<backend>.json. The stores
are fresh SQLite files (AES on) in a temporary folder, or fresh PostgreSQL schemas
created and dropped by this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_support import open_settings
from relay import fill, identify_record, visit
from rich.console import Console
from rich.table import Table

from services.cases import migrations
from services.cases.access import Actor
from services.cases.application import Cases
from services.cases.audit import keys
from services.cases.audit.checkpoints import seal
from services.cases.bootstrap import build_case_service
from shared.roles import Role
from shared.sql import EventStoreConnections

RESULTS = Path(__file__).resolve().parent / "results"
ACTOR = Actor("bench", Role.CIVIL_AFFAIRS, "360124", "bench")


class UnchainedCases(Cases):
    """The application as it was before issue 9: eventsourcing's own recorder and mapper."""

    def construct_env(self, name: str, env: Any = None) -> Any:
        from eventsourcing.utils import Environment

        merged = dict(type(self).env) | {"IS_SNAPSHOTTING_ENABLED": "y"} | dict(env or {})
        return Environment(name, merged)


def measure_verification(settings: Any, events: int) -> dict[str, Any]:
    service = build_case_service(settings)
    try:
        fill_started = time.perf_counter()
        fill(service.cases, events)
        fill_seconds = time.perf_counter() - fill_started
        seal(service.tables, keys.signing_key(settings.audit_signing_key))
        verifier = service.audit_verifier()

        started = time.perf_counter()
        report = verifier.run()
        verify_seconds = time.perf_counter() - started
        assert report.ok, report.problems()

        mapper, recorder = service.cases.mapper, service.cases.recorder
        started = time.perf_counter()
        read, position = 0, 1
        while page := recorder.select_notifications(position, 2000):
            for n in page:
                mapper.to_domain_event(n)
            read += len(page)
            position = page[-1].id + 1
        read_seconds = time.perf_counter() - started
    finally:
        service.close()
    return {
        "events": report.events,
        "write_events_per_s": round(report.events / fill_seconds),
        "verify_s": round(verify_seconds, 3),
        "verify_events_per_s": round(report.events / verify_seconds),
        "read_decode_events_per_s": round(read / read_seconds),
        "verify_vs_read_decode": round(read_seconds / verify_seconds, 3),
    }


def open_cases(settings: Any, chained: bool) -> Cases:
    cases = (Cases if chained else UnchainedCases)(settings.eventsourcing_env())
    migrations.upgrade(EventStoreConnections(cases.recorder.datastore))  # type: ignore[attr-defined]
    return cases


def write_round(cases: Cases, count: int) -> float:
    """Identify + visit per second: `count` of each, one commit per call."""
    started = time.perf_counter()
    for n in range(count):
        case_id = cases.identify(ACTOR, identify_record(f"360124105{200 + n % 50:03d}")).case.id
        cases.record_visit(ACTOR, case_id, visit(1 + n % 9))
    return 2 * count / (time.perf_counter() - started)


def measure_writes(postgres: str | None, tmp: Path, rounds: int, count: int) -> dict[str, Any]:
    with (
        open_settings(postgres, tmp, "_chained") as chained_settings,
        open_settings(postgres, tmp, "_plain") as plain_settings,
    ):
        chained, plain = open_cases(chained_settings, True), open_cases(plain_settings, False)
        try:
            rates: dict[str, list[float]] = {"chained": [], "plain": []}
            write_round(chained, 20), write_round(plain, 20)  # warm up both
            for _ in range(rounds):
                rates["plain"].append(write_round(plain, count))
                rates["chained"].append(write_round(chained, count))
        finally:
            chained.close()
            plain.close()
    with_chain, without = statistics.median(rates["chained"]), statistics.median(rates["plain"])
    return {
        "writes_per_round": 2 * count,
        "rounds": rounds,
        "chained_writes_per_s": round(with_chain),
        "plain_writes_per_s": round(without),
        "chained_vs_plain": round(with_chain / without, 3),
        "chained_rounds": [round(r) for r in rates["chained"]],
        "plain_rounds": [round(r) for r in rates["plain"]],
    }


def render(results: dict[str, Any]) -> None:
    console = Console()
    v, w = results["verification"], results["write_path"]
    table = Table(title=f"Audit chain · {results['backend']} · AES on · one process")
    for column in ("measure", "rate", "× baseline"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row(
        "read + decrypt + decode (baseline)", f"{v['read_decode_events_per_s']:,} ev/s", "1.00"
    )
    table.add_row(
        f"verify {v['events']:,} events",
        f"{v['verify_events_per_s']:,} ev/s",
        f"{v['verify_vs_read_decode']:.2f}",
    )
    table.add_row(
        "identify + visit, no chain (baseline)", f"{w['plain_writes_per_s']:,} writes/s", "1.00"
    )
    table.add_row(
        "identify + visit, chained",
        f"{w['chained_writes_per_s']:,} writes/s",
        f"{w['chained_vs_plain']:.2f}",
    )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 events, 3 rounds of 100")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--postgres", default=None, metavar="URL")
    args = parser.parse_args()
    events = args.events or (5_000 if args.quick else 50_000)
    rounds = args.rounds or (3 if args.quick else 5)
    count = 100 if args.quick else 200
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        tmp = Path(folder)
        with open_settings(args.postgres, tmp, "_verify") as settings:
            verification = measure_verification(settings, events)
        write_path = measure_writes(args.postgres, tmp, rounds, count)
    results = {
        "backend": "postgres" if args.postgres else "sqlite",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "duration_s": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "verification": verification,
        "write_path": write_path,
    }
    render(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"audit_chain-{results['backend']}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
