"""Migrations of the tables in the read models' database that are not rebuilt from the
log (today the division names, loaded by `careledger divisions import`). The read models
themselves are rebuilt into a new generation instead (docs/database.md).

Add one as the next numbered module, `m0002_what_it_does.py`, with
`upgrade(tx: Transaction) -> None`.
"""

from __future__ import annotations

from shared.migrations import Migration, discover
from shared.migrations import upgrade as apply
from shared.sql import Database

COMPONENT = "read_models"


def migrations() -> list[Migration]:
    """This database's migrations, in order."""
    return discover(__name__)


def upgrade(db: Database, *, target: int | None = None) -> list[int]:
    """Brings the read models' reference tables up to date; returns the versions applied."""
    return apply(db, COMPONENT, migrations(), target=target)
