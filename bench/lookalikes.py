"""Benchmark of the likely-duplicate check (register/lookalikes.py) per identification, as
the register grows.

    python bench/lookalikes.py [--sizes 10000,100000,1000000] [--townships K] [--checks K]

Read-model rows (the case row, its sealed personal fields, its keyed-hash search tokens)
are written in bulk through the projection's own `CaseRows.save`, not through the use
case, in a fresh SQLite folder: children named from a pool (a name is shared by few),
born on one of a few thousand days, each with her father's phone, spread over the
villages of `--townships` townships of one county (1, the default, puts the whole register
within the check's reach: the worst case; a real township holds a few thousand children).
At each size, K identify bodies are checked, interleaved with a baseline in the same
rounds:

- check, look-alike: a child registered already (her name, birth date and father's phone,
  in her village): the check finds her;
- check, new child: a name and phone nobody holds;
- baseline: a primary-key read of one case row on the same database.

Reported: median and p95 µs of each, and the ratios check / baseline, which say whether
the check grows with the register. Results go to bench/results/lookalikes-sqlite.json.
Only local files are touched.
"""

from __future__ import annotations

import argparse
import json
import os
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

_BATCH = 2_000
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "小明晓华丽娟伟强军平秀英桂兰玉芳海涛子轩浩然欣怡梓涵"
_COUNTY = "360124"


def _name(i: int) -> str:
    g = len(_GIVEN)
    return _SURNAMES[i % 20] + _GIVEN[(i // 20) % g] + _GIVEN[(i // (20 * g)) % g]


def _state(i: int, townships: int) -> Any:
    from services.cases.projections.state import CaseState

    village = f"{_COUNTY}{100 + i % townships:03d}{200 + i // townships % 20:03d}"
    return CaseState(
        case_id=f"bench-{i:08d}",
        version=1,
        position=i + 1,
        jurisdiction=village,
        identified_in=village,
        identified_on="2026-03-01",
        status="active",
        guardian_type="grandparent",
        guardian_since="2026-03-01",
        entrustment_signed=False,
        school_record_status="enrolled",
        personal={
            "name": _name(i),
            "sex": "female",
            "birth_date": f"{2010 + i % 8}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "parent_phones": [f"139{i:08d}", None],
        },
        personal_changed=True,
    )


def seed(service: Any, start: int, end: int, townships: int) -> None:
    from services.cases.projections.case_rows import CaseRows

    rows, store = CaseRows(service.read_models.queries.personal), service.read_models.store
    for low in range(start, end, _BATCH):
        with store.writing() as tx:
            states = [_state(i, townships) for i in range(low, min(end, low + _BATCH))]
            rows.save(tx, states, set(), {})


def bodies(n: int, checks: int, townships: int, rng: Random) -> tuple[list[Any], list[Any]]:
    """Identify bodies of registered children (chosen at random), and of nobody."""
    alike, new = [], []
    for k in range(checks):
        s = _state(rng.randrange(n), townships)
        body = {
            "child": {"name": s.personal["name"], "birth_date": s.personal["birth_date"]},
            "address": {"jurisdiction": s.jurisdiction},
            "parents": [{"relation": "father", "phone": s.personal["parent_phones"][0]}],
        }
        alike.append(body)
        other = {"name": f"测试{k}号{rng.randrange(10**6)}", "birth_date": "2016-01-01"}
        new.append(body | {"child": other, "parents": [{"phone": f"1990{k:07d}"}]})
    return alike, new


def measure(service: Any, n: int, checks: int, townships: int, rng: Random) -> dict[str, Any]:
    from services.cases.register.lookalikes import register_lookalikes

    find = register_lookalikes(service.read_models)
    alike, new = bodies(n, checks, townships, rng)
    ids = [f"bench-{rng.randrange(n):08d}" for _ in alike]
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
    parser.add_argument("--sizes", default="10000,100000", help="registered children, rising")
    parser.add_argument("--townships", type=int, default=1, help="townships they live in")
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args(argv)

    from services.cases.bootstrap import build_case_service

    started = time.perf_counter()
    rng = Random(20261204)
    results: dict[str, Any] = {
        **results_header("lookalikes", "sqlite"),
        "townships": args.townships,
        "sizes": {},
    }

    def progress(text: str) -> None:
        print(f"[lookalikes {time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp, open_settings(None, Path(tmp)) as settings:
        service = build_case_service(settings)
        try:
            seeded = 0
            for n in (int(size) for size in args.sizes.split(",")):
                seed(service, seeded, n, args.townships)
                progress(f"{n:,} children registered; measuring {args.checks} checks")
                seeded = n
                results["sizes"][str(n)] = measure(service, n, args.checks, args.townships, rng)
        finally:
            service.close()
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_avg_at_end"] = list(os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "lookalikes-sqlite.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for size, m in results["sizes"].items():
        print(f"{int(size):>10,} children", end="")
        for name in ("check, look-alike", "check, new child", "baseline"):
            print(f" | {name} {m[name]['median_us']:,} µs (p95 {m[name]['p95_us']:,})", end="")
        print(f" | {m['ratios']} | found {m['look_alikes_found']}")
    print(f"wrote {path.relative_to(HERE.parent)} in {results['duration_s']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
