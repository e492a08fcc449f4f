"""Benchmark of the survey import: rows per second for a sheet of 10,000 rows.

    python bench/survey_import.py [--rows N] [--postgres URL]

On a fresh store (SQLite folder with AES on, or with --postgres a fresh schema dropped
after), for one .xlsx sheet of N valid rows (distinct children, ID numbers included):

1. read — `read_sheet` (openpyxl, merged-cell map, headers), no store;
2. dry run — `import_survey(dry_run=True)`: every row checked by `Cases.try_identify`;
3. import — `import_survey`: every row written through `Cases.identify` with its
   idempotency record, one atomic append per row;
4. again — the same file imported a second time (every row found already imported);
   look-alikes — the search for likely duplicates among the registered (read models
   caught up first), for a tenth of the rows: each finds its own case;
5. baseline — the bare `Cases.identify` use case called N/4 times in a loop with no
   idempotency key and no spreadsheet, on the same store: what one row can cost at best.

Reported: seconds and rows/s of each, and import / baseline (the importer's overhead).
The aim (issue 11): 10,000 rows in under a minute. The machine is shared, so read the
ratio beside the absolute time. Results go to bench/results/survey_import-<backend>.json.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_support import open_settings

from services.cases.access import Actor
from services.cases.bootstrap import build_case_service
from services.cases.projections.projector import catch_up
from services.cases.register.lookalikes import register_lookalikes
from services.cases.register.sheets import read_sheet
from services.cases.register.survey import import_survey
from shared.roles import Role
from tests.integration.survey_support import id_number, survey_row, xlsx
from tests.support import IDENTIFY, TOWNSHIP

_SURNAMES = "王李张刘陈杨黄赵吴周"


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        survey_row(
            姓名=f"{_SURNAMES[i % 10]}{i}",
            # Distinct for up to 21,000 rows: lcm(12, 28, 1000) birth dates and serials.
            身份证号=id_number(i, birth=f"2015{1 + i % 12:02d}{1 + i % 28:02d}"),
            出生日期=f"2015-{1 + i % 12:02d}-{1 + i % 28:02d}",
        )
        for i in range(n)
    ]


def _timed(label: str, results: dict[str, Any], rows: int, run: Any) -> Any:
    started = time.perf_counter()
    value = run()
    seconds = time.perf_counter() - started
    results[label] = {"seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}
    print(f"{label:>10}: {seconds:7.2f} s  {rows / seconds:8.0f} rows/s", file=sys.stderr)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    actor = Actor("bench", Role.CHILD_SUPERVISOR, TOWNSHIP, "bench")
    content = xlsx(_rows(args.rows))
    results: dict[str, Any] = {"rows": args.rows, "backend": backend, "bytes": len(content)}
    with tempfile.TemporaryDirectory() as tmpdir, open_settings(args.postgres, Path(tmpdir)) as s:
        service = build_case_service(s)
        try:
            sheet = _timed("read", results, args.rows, lambda: read_sheet(content, "b.xlsx"))
            dry = _timed(
                "dry run",
                results,
                args.rows,
                lambda: import_survey(service.cases, actor, sheet, dry_run=True),
            )
            done = _timed(
                "import", results, args.rows, lambda: import_survey(service.cases, actor, sheet)
            )
            again = _timed(
                "again", results, args.rows, lambda: import_survey(service.cases, actor, sheet)
            )
            # The look for likely duplicates among the registered (one read-model search
            # per row; the import calls it for each row it creates or would create).
            catch_up(s, service.cases, service.read_models.store)
            find = register_lookalikes(service.read_models, actor, service.cases.clock.today())
            sample = [r.record for r in dry.rows[: max(1, args.rows // 10)] if r.record]
            flagged = _timed("look-alikes", results, len(sample), lambda: [find(r) for r in sample])
            results["lookalike_rows_flagged"] = sum(bool(f) for f in flagged)
            base_n = max(1, args.rows // 4)
            record = dict(IDENTIFY)
            _timed(
                "baseline",
                results,
                base_n,
                lambda: [service.cases.identify(actor, record) for _ in range(base_n)],
            )
        finally:
            service.close()
    assert dry.count("would_create") == args.rows, dry.counts()
    assert done.count("created") == args.rows, done.counts()
    assert again.count("already_imported") == args.rows, again.counts()
    ratio = results["import"]["rows_per_second"] / results["baseline"]["rows_per_second"]
    results["import_over_baseline"] = round(ratio, 2)
    results["read_plus_import_seconds"] = round(
        results["read"]["seconds"] + results["import"]["seconds"], 1
    )
    print(
        f"import / baseline: {ratio:.2f}; read + import of {args.rows} rows: "
        f"{results['read_plus_import_seconds']} s",
        file=sys.stderr,
    )
    out = Path(__file__).parent / "results" / f"survey_import-{backend}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
