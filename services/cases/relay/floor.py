"""Where the relay refills a lost stream from (the floor), kept beside the events.

Redis keeps the stream with an append-only file, yet may still lose it (a disk, a
failover, an operator). The relay then used to refill the stream from the log's first
position, and every consumer had to read the whole log again as duplicates before it
reached what happened after the loss: with a province's ten million events, an alert
raised just then would wait a quarter of an hour. Entries every consumer group had
acknowledged are needed by none of them, so the relay records, each time it trims, the
highest position every group had acknowledged (with all before it), and refills from
there. The floor only rises, and is never above the log's head."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.sql import Database


class RelayFloor:
    """The floor of one stream, in the event store's database."""

    def __init__(self, db: Database, stream: str) -> None:
        self.db = db
        self.stream = stream
        self.name = db.table("careledger_relay_floor")

    def position(self) -> int:
        """The recorded floor (0: none)."""
        with self.db.transaction() as tx:
            row = tx.one(f"SELECT position FROM {self.name} WHERE stream = ?", (self.stream,))
        return int(row["position"]) if row else 0

    def raise_to(self, position: int) -> None:
        """Records `position` unless the floor is already at or above it."""
        if position <= 0:
            return
        now = datetime.now(UTC).isoformat()
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO {self.name} AS floor (stream, position, recorded_at) "
                "VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET "
                "position = excluded.position, recorded_at = excluded.recorded_at "
                "WHERE floor.position < excluded.position",
                (self.stream, position, now),
            )
