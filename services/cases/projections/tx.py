"""One transaction on one read-model generation: statements written once with `?` and
`{table}` placeholders, run on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Statements(Protocol):
    """Turns statement templates into SQL for one generation and database."""

    is_postgres: bool

    def sql(self, template: str, generation: int) -> str:
        """`template` with the generation's table names and the database's placeholders."""


class Tx:
    """One transaction on one generation's tables; statements use `?` and `{table}`."""

    def __init__(self, cursor: Any, store: Statements, generation: int, position: int) -> None:
        self.cursor = cursor
        self.store = store
        self.generation = generation
        self.position = position  # the tracking position when the transaction began
        self.previous = 0  # when switching: the generation this one replaces

    def sql(self, template: str) -> str:
        """The statement for this generation and database."""
        return self.store.sql(template, self.generation)

    def run(self, template: str, params: Sequence[Any] = ()) -> None:
        """Executes one statement."""
        self.cursor.execute(self.sql(template), params)

    def run_many(self, template: str, rows: Sequence[Sequence[Any]]) -> None:
        """Executes one statement for each row of parameters."""
        if rows:
            self.cursor.executemany(self.sql(template), rows)

    def rows(self, template: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a query, as dicts."""
        self.cursor.execute(self.sql(template), params)
        return [dict(row) for row in self.cursor.fetchall()]

    def value(self, template: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query (None when it has no row)."""
        found = self.rows(template, params)
        return next(iter(found[0].values())) if found else None

    def put(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        key: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """Inserts rows, replacing the columns of those whose `key` exists. On PostgreSQL
        one statement over arrays (`types` are the columns' PostgreSQL types)."""
        if not rows:
            return
        rest = [c for c in columns if c not in key]
        conflict = (
            (
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in rest)
            )
            if rest
            else f"ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )
        if not self.store.is_postgres:
            self.run_many(
                f"INSERT INTO {{{table}}} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) {conflict}",
                rows,
            )
            return
        arrays = ", ".join(f"?::{t}[]" for t in types)
        self.run(
            f"INSERT INTO {{{table}}} ({', '.join(columns)}) "
            f"SELECT * FROM unnest({arrays}) {conflict}",
            _columns(rows),
        )

    def add_to(
        self,
        table: str,
        keys: Sequence[str],
        extra: Sequence[str],
        rows: Sequence[Sequence[Any]],
        values: Sequence[str] = ("n",),
    ) -> None:
        """Adds the `values` columns (each row's last ones) to the counter rows with these
        keys, creating them as needed; `extra` columns are set on creation. On PostgreSQL
        it is one statement over arrays (a page of events writes thousands of rows)."""
        if not rows:
            return
        columns = [*keys, *extra, *values]
        upsert = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(
            f"{v} = t.{v} + excluded.{v}" for v in values
        )
        if not self.store.is_postgres:
            self.run_many(
                f"INSERT INTO {{{table}}} AS t ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))}) {upsert}",
                rows,
            )
            return
        types = ["text"] * (len(keys) + len(extra)) + ["bigint"] * len(values)
        arrays = ", ".join(f"?::{t}[]" for t in types)
        self.run(
            f"INSERT INTO {{{table}}} AS t ({', '.join(columns)}) "
            f"SELECT * FROM unnest({arrays}) {upsert}",
            _columns(rows),
        )

    def drop_zeros(
        self,
        table: str,
        keys: Sequence[str],
        rows: Sequence[Sequence[Any]],
        values: Sequence[str] = ("n",),
    ) -> None:
        """Deletes the counter rows with these keys whose `values` are all zero."""
        if not rows:
            return
        zero = " AND ".join(f"{v} = 0" for v in values)
        if not self.store.is_postgres:
            where = " AND ".join(f"{k} = ?" for k in keys)
            self.run_many(f"DELETE FROM {{{table}}} WHERE {where} AND {zero}", rows)
            return
        arrays = ", ".join("?::text[]" for _ in keys)
        self.run(
            f"DELETE FROM {{{table}}} WHERE ({', '.join(keys)}) IN "
            f"(SELECT * FROM unnest({arrays})) AND {zero}",
            _columns(rows),
        )

    def advance(self, position: int) -> None:
        """Records how far in the log this generation got, in this same transaction."""
        self.run(
            "UPDATE {generations} SET position = ? WHERE generation = ?",
            (position, self.generation),
        )
        self.position = position


def _columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]
