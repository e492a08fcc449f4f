"""What per-case keys cost (issue 10: crypto-shredding), beside the single-key setup.

    python bench/case_keys.py [--cases N] [--rounds R] [--postgres URL]

Two stores side by side in one process: one with per-case keys (each case's personal
leaves sealed under its own key, kept in its own key store), one with the store's cipher
alone (`case_master_keys` empty), both AES-encrypted at rest as always. Round by round,
interleaved, each store gets N identifications, N visits (one per case) and N openings of
a case with the aggregate cache off, once with the case keys cached in memory (a warm
process) and once with the key cache emptied before each opening (a new process, or a
case not read for 30 s). Reported: the rates of each and their ratio, per-case over
single-key; read the ratios (the machine is shared), not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_support import open_settings
from bench.case_service import identify_body, visit_body

RESULTS = Path(__file__).resolve().parent / "results"
VILLAGE = "360124105203"


def _cases(settings: Any) -> Any:
    from services.cases.application import Cases
    from services.cases.bootstrap import build_case_service

    build_case_service(settings).close()  # the store's tables and migrations
    # The aggregate cache off: each opening reads the store (and, with per-case keys,
    # opens what it sealed), as a case not read lately does.
    from services.cases.keys.store import CaseKeys

    cases = Cases(settings.eventsourcing_env() | {"AGGREGATE_CACHE_MAXSIZE": ""})
    cases.use_case_keys(CaseKeys.open(settings))
    return cases


def _rate(count: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def _round(cases: Any, n: int, today: date) -> dict[str, float]:
    from services.cases.access import Actor
    from shared.roles import Role

    actor = Actor("bench", Role.CIVIL_AFFAIRS, VILLAGE[:6], "bench")
    ids: list[UUID] = []
    body = identify_body(today)

    def identify() -> None:
        for _ in range(n):
            ids.append(cases.identify(actor, body).case.id)

    def visit() -> None:
        for case_id in ids:
            cases.record_visit(actor, case_id, visit_body(today))

    def open_warm() -> None:
        for case_id in ids:
            cases.repository.get(case_id)

    def open_cold() -> None:
        for case_id in ids:
            if cases.case_keys is not None:
                cases.case_keys._cache.clear()  # as a new process: the key read again
            cases.repository.get(case_id)

    return {
        "identify_per_s": _rate(n, identify),
        "visit_per_s": _rate(n, visit),
        "open_key_cached_per_s": _rate(n, open_warm),
        "open_key_uncached_per_s": _rate(n, open_cold),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=200, help="cases per round and store")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite files")
    args = parser.parse_args(argv)
    today = date.today()
    samples: dict[str, list[dict[str, float]]] = {"per_case": [], "single_key": []}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        keyed = stack.enter_context(open_settings(args.postgres, Path(tmp), "_keyed"))
        single = replace(
            stack.enter_context(open_settings(args.postgres, Path(tmp), "_single")),
            case_master_keys=(),
        )
        stores = {"per_case": _cases(keyed), "single_key": _cases(single)}
        assert stores["per_case"].case_keys is not None
        assert stores["single_key"].case_keys is None
        for _ in range(args.rounds):
            for name, cases in stores.items():  # interleaved, round by round
                samples[name].append(_round(cases, args.cases, today))
        for cases in stores.values():
            cases.close()
    backend = "postgres" if args.postgres else "sqlite"
    medians = {
        name: {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        for name, rounds in samples.items()
    }
    ratios = {k: medians["per_case"][k] / medians["single_key"][k] for k in medians["per_case"]}
    print(f"per-case keys against one key, {backend}, {args.cases} cases x {args.rounds} rounds")
    print(f"{'':28}{'per-case':>12}{'single key':>12}{'ratio':>8}")
    for k, r in ratios.items():
        print(f"{k:28}{medians['per_case'][k]:>12.0f}{medians['single_key'][k]:>12.0f}{r:>8.2f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"case_keys-{backend}.json"
    out.write_text(json.dumps({"medians": medians, "ratios": ratios}, indent=2) + "\n")
    print(
        f"case keys: identify x{ratios['identify_per_s']:.2f}, visit x{ratios['visit_per_s']:.2f}, "
        f"open x{ratios['open_key_cached_per_s']:.2f} (key cached) / "
        f"x{ratios['open_key_uncached_per_s']:.2f} (key read) of the single-key rates; {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
