"""The names of villages (and any other division code) that notifications name places by,
imported with the case service's (`careledger divisions import`)."""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the place names table: code → name."""
    tx.execute("CREATE TABLE place_names (code TEXT PRIMARY KEY, name TEXT NOT NULL)")
