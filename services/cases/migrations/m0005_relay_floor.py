"""The relay's floor per stream: the highest log position every consumer group had
acknowledged (with all before it) when the relay last trimmed. After Redis loses its data
the relay refills the stream from there, not from the log's start (docs/relay-and-stream.md)."""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the floor table: one row per stream."""
    tx.execute(
        "CREATE TABLE careledger_relay_floor (stream TEXT PRIMARY KEY, "
        "position INTEGER NOT NULL, recorded_at TEXT NOT NULL)"
    )
