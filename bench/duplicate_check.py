"""Benchmark of the duplicate check per identification (one child, one case) as the
register grows.

    python bench/duplicate_check.py [--children N] [--seed-seconds S] [--postgres URL]

On a fresh store (SQLite folder with AES on, or a fresh PostgreSQL schema dropped after),
children with ID numbers are seeded in batches of 1,000 cases with their claims per atomic
append (what `Cases.identify` writes, without the use case's per-call overhead) until N
children or S seconds, whichever comes first. At a tenth of the seeding and at its end:

- check — `Cases.registered_case(number)`: the lookup every identification with an ID
  number makes, for a number registered and one that is not (median and p95, µs);
- baseline — `recorder.max_notification_id()`, the smallest query the store answers,
  in the same rounds, interleaved;
- identify — the whole `Cases.identify` use case with an ID number and without one
  (median, ms): what the check adds to an identification.

The ratio check / baseline at both sizes says whether the check grows with the register
(it is a primary-key lookup of the claim, so it should not). Results go to
bench/results/duplicate_check-<backend>.json. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import open_settings

from services.cases.access import Actor
from services.cases.application import Cases
from services.cases.bootstrap import build_case_service
from services.cases.domain import Case
from shared.roles import Role
from tests.integration.survey_support import id_number
from tests.support import IDENTIFY, TOWNSHIP

_BATCH = 1000
_ROUNDS = 300
ACTOR = Actor("bench", Role.CHILD_SUPERVISOR, TOWNSHIP, "bench")


def _number(i: int) -> str:
    # Distinct for i below 365 × 20 years × 1000: a birth date and a serial.
    day = i // 1000
    return id_number(
        i % 1000, birth=f"{2000 + day // 336:04d}{1 + day // 28 % 12:02d}{1 + day % 28:02d}"
    )


def _record(number: str | None) -> dict[str, Any]:
    return {**IDENTIFY, "child": {**IDENTIFY["child"], "id_number": number}}


def _seed(cases: Cases, start: int, stop: int) -> None:
    for first in range(start, stop, _BATCH):
        batch: list[Any] = []
        for i in range(first, min(first + _BATCH, stop)):
            number = _number(i)
            case = Case.identify(
                record=_record(number), actor=ACTOR.as_event_data(), today=cases.clock.today()
            )
            batch += [case, cases._claim_record(number, case)]
        cases.save(*batch)


def _micros(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1e6


def _measure(cases: Cases, registered: int, fresh_from: int) -> dict[str, Any]:
    hit, miss, base = [], [], []
    for n in range(_ROUNDS):
        known = _number((n * 7919) % registered)
        unknown = _number(fresh_from + 10_000_000 + n)
        hit.append(_micros(lambda k=known: cases.registered_case(k)))
        miss.append(_micros(lambda u=unknown: cases.registered_case(u)))
        base.append(_micros(cases.recorder.max_notification_id))
    with_number, without = [], []
    for n in range(30):
        number = _number(fresh_from + 20_000_000 + n)
        with_number.append(_micros(lambda x=number: cases.identify(ACTOR, _record(x))) / 1000)
        without.append(_micros(lambda: cases.identify(ACTOR, _record(None))) / 1000)

    def p(values: list[float], q: float) -> float:
        return round(sorted(values)[int(q * (len(values) - 1))], 1)

    result = {
        "registered": registered,
        "check_hit_us": {"median": p(hit, 0.5), "p95": p(hit, 0.95)},
        "check_miss_us": {"median": p(miss, 0.5), "p95": p(miss, 0.95)},
        "baseline_us": {"median": p(base, 0.5), "p95": p(base, 0.95)},
        "identify_with_number_ms": round(statistics.median(with_number), 2),
        "identify_without_number_ms": round(statistics.median(without), 2),
    }
    result["check_over_baseline"] = round(statistics.median(miss) / statistics.median(base), 2)
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--seed-seconds", type=float, default=180.0)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    results: dict[str, Any] = {"backend": backend, "seed_seconds_budget": args.seed_seconds}
    with tempfile.TemporaryDirectory() as tmpdir, open_settings(args.postgres, Path(tmpdir)) as s:
        service = build_case_service(s)
        cases = service.cases
        try:
            started = time.perf_counter()
            tenth = max(_BATCH, args.children // 10)
            _seed(cases, 0, tenth)
            results["small"] = _measure(cases, tenth, args.children)
            seeded = tenth
            while seeded < args.children and time.perf_counter() - started < args.seed_seconds:
                _seed(cases, seeded, seeded + 10 * _BATCH)
                seeded += 10 * _BATCH
            results["seeded"] = seeded
            results["seed_rate_per_second"] = round(seeded / (time.perf_counter() - started))
            results["large"] = _measure(cases, seeded, args.children + 1000)
        finally:
            service.close()
    print(
        f"seeded {results['seeded']} children; check (miss) / baseline: "
        f"{results['small']['check_over_baseline']} at {results['small']['registered']}, "
        f"{results['large']['check_over_baseline']} at {results['large']['registered']}",
        file=sys.stderr,
    )
    out = Path(__file__).parent / "results" / f"duplicate_check-{backend}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
