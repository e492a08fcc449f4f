"""Notify's own database: a SQLite file by default, PostgreSQL when configured.

One code path for both: statements use `?` placeholders (translated for psycopg) and the
SQL both understand (`INSERT … ON CONFLICT`, `RETURNING`). Dates and instants are ISO
text, booleans 0/1, so rows read back the same from either database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.settings import Settings

Row = dict[str, Any]
# The database is unreachable or unwell (as opposed to one entry being bad).
OPERATIONAL_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.OperationalError,
    psycopg.OperationalError,
)
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class Tx:
    """One open transaction: run statements, read rows, nest savepoints."""

    def __init__(self, connection: Any, *, postgres: bool) -> None:
        self._conn = connection
        self.postgres = postgres
        self._savepoints = 0

    @property
    def for_update(self) -> str:
        """Row locking for read-modify-write (SQLite locks the whole file instead)."""
        return " FOR UPDATE" if self.postgres else ""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Runs one statement; returns the number of rows it changed."""
        cursor = self._conn.execute(self._sql(sql), tuple(params))
        return int(cursor.rowcount)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Runs a query; returns every row as a dict."""
        cursor = self._conn.execute(self._sql(sql), tuple(params))
        return [dict(row) for row in cursor.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Runs a query; returns its first row, or None."""
        cursor = self._conn.execute(self._sql(sql), tuple(params))
        row = cursor.fetchone()
        return None if row is None else dict(row)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an error inside undoes only what it did, and re-raises."""
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self._conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        else:
            self._conn.execute(f"RELEASE SAVEPOINT {name}")

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql


class Database:
    """Connections to notify's database, one transaction at a time per thread."""

    def __init__(
        self,
        *,
        sqlite_path: Path | None = None,
        postgres_url: str = "",
        schema: str = "",
        pool_size: int = 4,
    ) -> None:
        if bool(sqlite_path) == bool(postgres_url):
            raise ValueError("give either a SQLite path or a PostgreSQL URL")
        self.postgres = bool(postgres_url)
        self._sqlite_path = sqlite_path
        self._local = threading.local()
        self._sqlite_connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        if postgres_url:
            kwargs: dict[str, Any] = {"row_factory": dict_row}
            if schema:
                if not _SCHEMA_NAME.match(schema):
                    raise ValueError(f"not a usable PostgreSQL schema name: {schema!r}")
                with psycopg.connect(postgres_url, autocommit=True) as conn:
                    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                kwargs["options"] = f"-c search_path={schema}"
            self._pool = ConnectionPool(
                postgres_url, min_size=1, max_size=pool_size, kwargs=kwargs, open=True
            )
        elif sqlite_path is not None:
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database `settings` name: PostgreSQL when a URL is set, else the file
        `$CARELEDGER_DATA_DIR/notify.sqlite`."""
        if settings.notify_database_url:
            return cls(
                postgres_url=settings.notify_database_url, schema=settings.notify_postgres_schema
            )
        return cls(sqlite_path=settings.data_dir / "notify.sqlite")

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A transaction that commits when the block ends and rolls back on an error."""
        if self._pool is not None:
            with self._pool.connection() as pg, pg.transaction():
                yield Tx(pg, postgres=True)
            return
        lite = self._sqlite()
        # IMMEDIATE takes the write lock up front: two writers never deadlock upgrading.
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(lite, postgres=False)
        except BaseException:
            lite.execute("ROLLBACK")
            raise
        lite.execute("COMMIT")

    def ping(self) -> None:
        """Raises when the database cannot be reached."""
        with self.transaction() as tx:
            tx.one("SELECT 1 AS ok")

    def close(self) -> None:
        """Closes every connection."""
        if self._pool is not None:
            self._pool.close()
        with self._lock:
            for conn in self._sqlite_connections:
                conn.close()
            self._sqlite_connections.clear()

    def _sqlite(self) -> sqlite3.Connection:
        existing: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if existing is not None:
            return existing
        assert self._sqlite_path is not None
        conn = sqlite3.connect(
            self._sqlite_path, timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: a commit is followed by an XACK, so it must survive a
        # power cut, or an acknowledged notification would be lost.
        conn.execute("PRAGMA synchronous=FULL")
        self._local.conn = conn
        with self._lock:
            self._sqlite_connections.append(conn)
        return conn
