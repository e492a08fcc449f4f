"""What the benchmarks share: a store to measure on, made fresh and thrown away after."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
