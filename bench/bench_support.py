"""What the benchmarks share: a store to measure on, made fresh and thrown away after,
and the header of a results file."""

from __future__ import annotations

import os
import platform
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@contextmanager
def open_settings(
    postgres_url: str | None, tmp: Path, suffix: str = "", *, keep: bool = False
) -> Iterator[Any]:
    """Settings on a fresh SQLite folder, or on a fresh PostgreSQL schema dropped after
    (unless `keep`)."""
    from shared.settings import Settings

    data_dir = tmp / f"var{suffix}"
    if not postgres_url:
        yield Settings(data_dir=data_dir).with_generated_secrets()
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}{suffix}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Settings(
            data_dir=data_dir, database_url=postgres_url, postgres_schema=schema
        ).with_generated_secrets()
    finally:
        if keep:
            print(
                f"kept the PostgreSQL schema {schema} (drop it with DROP SCHEMA {schema} CASCADE)",
                file=sys.stderr,
            )
        else:
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def results_header(benchmark: str, backend: str) -> dict[str, Any]:
    """What every results file starts with: which run, when, and on what machine (its
    load at the end is added by the script)."""
    return {
        "benchmark": benchmark,
        "backend": backend,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_avg_at_start": list(os.getloadavg()),
        },
    }
