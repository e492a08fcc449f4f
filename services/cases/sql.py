"""Plain tables beside the event store (the access log), on SQLite or PostgreSQL.

They share the event store's connection pool, so they need no second configuration.
Statements are written with `?` placeholders and translated for PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore


class SqlTables:
    """Runs statements on the event store's own database."""

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore) -> None:
        self.datastore = datastore
        self.is_postgres = isinstance(datastore, PostgresDatastore)

    def table(self, name: str) -> str:
        """The qualified name of one of our tables."""
        if isinstance(self.datastore, PostgresDatastore):
            return f'"{self.datastore.schema}".{name}'
        return name

    def execute(self, statement: str, rows: Sequence[Sequence[Any]] = ((),)) -> None:
        """Runs `statement` once per row of parameters, in one transaction."""
        with self._cursor(commit=True) as cursor:
            for params in rows:
                cursor.execute(self._sql(statement), params)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Runs a SELECT and returns its rows as dicts."""
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            return [dict(row) for row in cursor.fetchall()]

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.is_postgres else statement

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor
