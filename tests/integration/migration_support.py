"""Helpers of the migration tests: a database's tables and rows, read without knowing
them in advance, so every table of the last release is filled and compared."""

from __future__ import annotations

from typing import Any

from shared.sql import Database, Transaction

# Columns whose CHECK constraints allow only some values.
ALLOWED: dict[tuple[str, str], list[str]] = {
    ("outbox", "channel"): ["webhook", "email", "webhook"],
    ("outbox", "status"): ["pending", "sent", "failed"],
    ("due_dates", "kind"): ["visit", "intervention", "visit"],
    ("careledger_access_log", "at"): [
        "2026-03-01T08:00:00+00:00",
        "2026-03-02T09:30:00+00:00",
        "2026-03-03T10:45:00+00:00",
    ],
}
ROWS_PER_TABLE = 3


def tables(tx: Transaction, schema: str) -> list[str]:
    """The tables of the database (of `schema` on PostgreSQL), by name."""
    if tx.postgres:
        rows = tx.all(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = ? AND table_type = 'BASE TABLE'",
            (schema,),
        )
    else:
        rows = tx.all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    return sorted(r["name"] for r in rows)


def columns(tx: Transaction, schema: str, table: str) -> list[tuple[str, bool, bool]]:
    """(name, holds integers, may be NULL) of each column of `table`."""
    if tx.postgres:
        rows = tx.all(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (schema, table),
        )
        return [
            (r["column_name"], "int" in r["data_type"], r["is_nullable"] == "YES") for r in rows
        ]
    rows = tx.all(f"PRAGMA table_info({table})")
    return [(r["name"], "INT" in r["type"].upper(), not r["notnull"] and not r["pk"]) for r in rows]


def fill(db: Database, names: list[str]) -> None:
    """Puts ROWS_PER_TABLE rows in each of `names`: every column set (its generated id
    aside), the first row NULL wherever NULL is allowed, text with Chinese in it."""
    with db.transaction() as tx:
        for table in names:
            described = [c for c in columns(tx, db.schema, table) if c[0] != "id"]
            for i in range(ROWS_PER_TABLE):
                values: list[Any] = []
                for name, integer, nullable in described:
                    if (table, name) in ALLOWED:
                        values.append(ALLOWED[(table, name)][i])
                    elif nullable and i == 0:
                        values.append(None)
                    else:
                        values.append(i + 1 if integer else f"{table}.{name} {i} 留守儿童")
                marks = ", ".join("?" for _ in described)
                tx.execute(
                    f"INSERT INTO {db.table(table)} ({', '.join(c[0] for c in described)}) "
                    f"VALUES ({marks})",
                    values,
                )


def contents(db: Database, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every row of each of `names`, in a stable order."""
    found = {}
    with db.transaction(write=False) as tx:
        for table in names:
            rows = tx.all(f"SELECT * FROM {db.table(table)}")
            found[table] = sorted(rows, key=lambda r: sorted((k, str(v)) for k, v in r.items()))
    return found


def shape(db: Database, *, leave_out: tuple[str, ...] = ("schema_migrations",)) -> list[Any]:
    """The database's tables, columns, indexes and constraints, schema names left out, so
    two databases made by different code can be compared."""
    with db.transaction(write=False) as tx:
        if not tx.postgres:
            rows = tx.all(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
            )
            return [r for r in rows if r["tbl_name"] not in leave_out]
        schema = db.schema
        described = tx.all(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "is_identity FROM information_schema.columns WHERE table_schema = ? "
            "ORDER BY table_name, ordinal_position",
            (schema,),
        )
        indexes = tx.all(
            "SELECT tablename AS table_name, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = ? ORDER BY indexname",
            (schema,),
        )
        constraints = tx.all(
            "SELECT c.conrelid::regclass::text AS table_name, c.conname, "
            "pg_get_constraintdef(c.oid) AS definition FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = ? "
            "ORDER BY c.conname",
            (schema,),
        )
    found = []
    for row in [*described, *indexes, *constraints]:
        if row["table_name"].split(".")[-1].strip('"') in leave_out:
            continue
        found.append({k: str(v).replace(schema, "<schema>") for k, v in row.items()})
    return found
