"""Versioned migrations for the tables that are not rebuilt from the log.

A migration set is a package of numbered modules, `m0001_initial.py`, `m0002_….py`, each
with `upgrade(tx: Transaction) -> None`. `upgrade(db, component, migrations)` applies the
ones the database has not had yet, in order, each in its own transaction together with
its row in `schema_migrations` (component, version, name, applied_at): a migration that
fails leaves neither half its changes nor its row, and running it again is a no-op.
Both SQLite and PostgreSQL change tables transactionally; a migration must not use the
few statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM).

Several components may share one database or PostgreSQL schema (the case service and
notify, when configured so): each has its own rows in `schema_migrations`. Concurrent
starters wait for each other (`Database.exclusive`), so a migration runs once.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.sql import Database, Transaction

log = logging.getLogger("careledger.migrations")
_MODULE = re.compile(r"^m(\d{4})_([a-z0-9_]+)$")
_TABLE = "schema_migrations"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} (component TEXT NOT NULL, version INTEGER NOT NULL, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))"
)


class MigrationError(Exception):
    """Raised when a migration set is malformed (a gap or a repeated number)."""


@dataclass(frozen=True)
class Migration:
    """One numbered change to a database's tables."""

    version: int
    name: str
    upgrade: Callable[[Transaction], None]


def discover(package: str) -> list[Migration]:
    """The migrations of `package` (modules `m0001_name`, …), numbered 1, 2, 3 … in order."""
    module = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(module.__path__):
        match = _MODULE.match(info.name)
        if match:
            step = importlib.import_module(f"{package}.{info.name}")
            found.append(Migration(int(match[1]), match[2], step.upgrade))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"{package}: migrations must be numbered 1, 2, 3 …: {versions}")
    return found


def upgrade(
    db: Database, component: str, migrations: Sequence[Migration], *, target: int | None = None
) -> list[int]:
    """Applies `component`'s migrations the database has not had (up to `target`, default
    all); returns the versions applied now."""
    _create_table(db)
    applied_now: list[int] = []
    for migration in migrations:
        if target is not None and migration.version > target:
            break
        with db.exclusive(_lock(db)) as tx:
            _search_path(db, tx)
            done = tx.one(
                f"SELECT 1 AS done FROM {_TABLE} WHERE component = ? AND version = ?",
                (component, migration.version),
            )
            if done:
                continue
            migration.upgrade(tx)
            tx.execute(
                f"INSERT INTO {_TABLE} (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                (component, migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
        log.info(
            "event=migration_applied component=%s version=%s name=%s",
            component,
            migration.version,
            migration.name,
        )
        applied_now.append(migration.version)
    newer = [v for v in applied_versions(db, component) if v > len(migrations)]
    if newer:
        log.warning("event=database_newer_than_code component=%s versions=%s", component, newer)
    return applied_now


def applied_versions(db: Database, component: str) -> list[int]:
    """The versions of `component` recorded in the database, in order."""
    with db.exclusive(_lock(db)) as tx:
        _search_path(db, tx)
        tx.execute(_CREATE)
        rows = tx.all(
            f"SELECT version FROM {_TABLE} WHERE component = ? ORDER BY version", (component,)
        )
    return [int(r["version"]) for r in rows]


def _create_table(db: Database) -> None:
    try:
        _create_table_once(db)
    except Exception:
        # Two components whose lock names differ (one names the schema, the other relies
        # on the default search_path) can race on PostgreSQL's catalog; the second
        # attempt finds the table there.
        log.warning("event=schema_migrations_create_retry")
        _create_table_once(db)


def _create_table_once(db: Database) -> None:
    with db.exclusive(_lock(db)) as tx:
        _search_path(db, tx)
        tx.execute(_CREATE)


def _lock(db: Database) -> str:
    # One lock per schema, not per component: two components sharing a schema both
    # create `schema_migrations`, and PostgreSQL's catalog does not let them race.
    return f"migrations {db.schema}"


def _search_path(db: Database, tx: Transaction) -> None:
    # Migrations name tables unqualified; on PostgreSQL they land in the database's schema.
    if db.postgres and db.schema:
        tx.execute(f'SET LOCAL search_path TO "{db.schema}"')
