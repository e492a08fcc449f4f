"""Migrations of the case service's tables beside the event store that are not rebuilt
from the log (today the access log), in the event store's database and schema.

Add one as the next numbered module, `m0002_what_it_does.py`, with
`upgrade(tx: Transaction) -> None`; see docs/database.md.
"""

from __future__ import annotations

from shared.migrations import Migration, discover
from shared.migrations import upgrade as apply
from shared.sql import Database

COMPONENT = "cases"


def migrations() -> list[Migration]:
    """This database's migrations, in order."""
    return discover(__name__)


def upgrade(db: Database, *, target: int | None = None) -> list[int]:
    """Brings the case service's own tables up to date; returns the versions applied."""
    return apply(db, COMPONENT, migrations(), target=target)
