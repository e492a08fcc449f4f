"""The division names (`careledger divisions import FILE`): code, name, and the code one
level up (`parent`, '' for a province), by which the dashboard lists a scope's known
children. Not tied to a read-model generation, so every rebuild keeps it.
"""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the divisions table and its index by parent."""
    tx.execute(
        "CREATE TABLE IF NOT EXISTS divisions (code TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "parent TEXT NOT NULL)"
    )
    tx.execute("CREATE INDEX IF NOT EXISTS divisions_parent ON divisions (parent, code)")
