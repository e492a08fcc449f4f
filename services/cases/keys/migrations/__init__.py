"""Migrations of the case-key store (keys/store.py): a database of its own on SQLite
(`case-keys.sqlite` beside the store), a table beside the events on PostgreSQL unless
`CARELEDGER_CASE_KEYS_DATABASE_URL` names another. docs/database.md."""

from __future__ import annotations

from shared.migrations import Migration, discover
from shared.migrations import upgrade as apply
from shared.sql import Database

COMPONENT = "case_keys"


def migrations() -> list[Migration]:
    """This database's migrations, in order."""
    return discover(__name__)


def upgrade(db: Database, *, target: int | None = None) -> list[int]:
    """Brings the case-key tables up to date; returns the versions applied."""
    return apply(db, COMPONENT, migrations(), target=target)
