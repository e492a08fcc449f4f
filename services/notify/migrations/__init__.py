"""Migrations of notify's database (services/notify/schema.py says which tables hold
what, and which of them the log cannot give back).

Add one as the next numbered module, `m0002_what_it_does.py`, with
`upgrade(tx: Transaction) -> None`; see docs/database.md.
"""

from __future__ import annotations

from shared.migrations import Migration, discover
from shared.migrations import upgrade as apply
from shared.sql import Database

COMPONENT = "notify"


def migrations() -> list[Migration]:
    """This database's migrations, in order."""
    return discover(__name__)


def upgrade(db: Database, *, target: int | None = None) -> list[int]:
    """Brings notify's tables up to date; returns the versions applied."""
    return apply(db, COMPONENT, migrations(), target=target)
