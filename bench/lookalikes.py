"""Benchmark of the likely-duplicate check (register/lookalikes.py) per identification, as
the register grows.

    python bench/lookalikes.py [--cases N ...] [--checks K] [--store DIR]

For each size N (default 10,000 and 100,000), read models of N cases are built as
bench/dashboard.py builds them (its province, its templates replicated across villages:
names and birthdays recur, which makes the check work harder than a real register would),
in a fresh SQLite folder. `--store DIR` measures a store kept by `bench/report.py --keep`
or `bench/dashboard.py --keep` as well (its `var` folder), e.g. the 1,000,000-case one.

On each store, K identify bodies are checked, interleaved with a baseline in the same
rounds:

- check, look-alike: a child registered already (her name, birth date and father's phone,
  in her village): the check finds her;
- check, new child: a name and phone nobody holds;
- baseline: a primary-key read of one case row on the same read-model database (the
  smallest query it answers).

Reported: median and p95 µs of each, and the ratios check / baseline, which say whether
the check grows with the register. Results go to bench/results/lookalikes-sqlite.json.
Only local files are touched.
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
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_support import open_settings, results_header  # noqa: E402


def sample_bodies(service: Any, count: int, rng: Random) -> tuple[list[Any], list[Any], list[str]]:
    """Identify bodies like registered children, bodies of nobody, and case ids."""
    store, personal = service.read_models.store, service.read_models.queries.personal
    rows = store.read(
        lambda tx: tx.rows(
            "SELECT case_id, jurisdiction, personal FROM {cases} "
            "WHERE rowid IN (SELECT rowid FROM {cases} ORDER BY random() LIMIT ?)",
            (count,),
        )
    )
    alike, new, ids = [], [], []
    for n, r in enumerate(rows):
        fields = personal.open(bytes(r["personal"]))
        phones = [p for p in fields.get("parent_phones") or [] if p]
        ids.append(r["case_id"])
        body = {
            "child": {"name": fields.get("name") or "", "birth_date": fields.get("birth_date")},
            "address": {"jurisdiction": r["jurisdiction"]},
            "parents": [{"relation": "father", "phone": phones[0] if phones else None}],
        }
        alike.append(body)
        new.append(
            body
            | {
                "child": {"name": f"测试{n}号{rng.randrange(10**6)}", "birth_date": "2016-01-01"},
                "parents": [{"relation": "father", "phone": f"1990{rng.randrange(10**7):07d}"}],
            }
        )
    return alike, new, ids


def measure(service: Any, checks: int, rng: Random) -> dict[str, Any]:
    from services.cases.register.lookalikes import register_lookalikes

    find = register_lookalikes(service.read_models)
    alike, new, ids = sample_bodies(service, checks, rng)
    store = service.read_models.store

    def baseline(case_id: str) -> Callable[[], Any]:
        return lambda: store.read(
            lambda tx: tx.rows("SELECT case_id FROM {cases} WHERE case_id = ?", (case_id,))
        )

    runs: dict[str, list[float]] = {"check, look-alike": [], "check, new child": [], "baseline": []}
    found = 0
    for a, b, case_id in zip(alike, new, ids, strict=True):
        for name, call in (
            ("check, look-alike", lambda a=a: find(a)),
            ("check, new child", lambda b=b: find(b)),
            ("baseline", baseline(case_id)),
        ):
            started = time.perf_counter()
            answer = call()
            runs[name].append(time.perf_counter() - started)
            if name == "check, look-alike":
                found += bool(answer)
    out: dict[str, Any] = {
        name: {
            "median_us": round(statistics.median(v) * 1e6),
            "p95_us": round(sorted(v)[int(len(v) * 0.95)] * 1e6),
        }
        for name, v in runs.items()
    }
    base = out["baseline"]["median_us"] or 1
    out["ratios"] = {
        "look-alike / baseline": round(out["check, look-alike"]["median_us"] / base, 1),
        "new child / baseline": round(out["check, new child"]["median_us"] / base, 1),
    }
    out["look_alikes_found"] = f"{found} of {len(alike)}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--store", type=Path, help="a kept `var` folder to measure as well")
    args = parser.parse_args(argv)

    from dashboard import build, lives, make_province, template_of

    from services.cases.bootstrap import build_case_service
    from shared.clock import Clock
    from shared.settings import Settings

    started = time.perf_counter()
    rng = Random(20261204)
    today = Clock().today()
    results: dict[str, Any] = {**results_header("lookalikes", "sqlite"), "sizes": {}}

    def progress(text: str) -> None:
        print(f"[lookalikes {time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr)

    province = make_province()
    for cases in args.cases:
        tmp = Path(tempfile.mkdtemp(prefix="careledger-bench-lookalikes-"))
        try:
            with open_settings(None, tmp) as settings:
                service = build_case_service(settings)
                try:
                    count = min(cases, 20_000)
                    templates = [template_of(c) for c in lives(Random(7), today, count)]
                    build(settings, service, province, templates, cases, progress)
                    progress(f"measuring {args.checks} checks on {cases:,} cases")
                    results["sizes"][str(cases)] = measure(service, args.checks, rng)
                finally:
                    service.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.store:
        service = build_case_service(Settings(data_dir=args.store).with_generated_secrets())
        try:
            cases = service.read_models.store.read(
                lambda tx: int(tx.value("SELECT COUNT(*) FROM {cases}"))
            )
            progress(f"measuring {args.checks} checks on the kept store of {cases:,} cases")
            results["sizes"][str(cases)] = measure(service, args.checks, rng)
        finally:
            service.close()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "lookalikes-sqlite.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for size, m in results["sizes"].items():
        print(f"{int(size):>10,} cases", end="")
        for name in ("check, look-alike", "check, new child", "baseline"):
            print(f" | {name} {m[name]['median_us']:,} µs (p95 {m[name]['p95_us']:,})", end="")
        print(f" | {m['ratios']} | found {m['look_alikes_found']}")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
