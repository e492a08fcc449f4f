"""Links for the events a store had before the chain (issue 9).

Runs when the case service starts (bootstrap), after the migrations. Once per store (a
row in the chain's state table says it was done), under a lock of its own: the events a
store already had are chained in log order, and the state records from which position
every link was written together with its event (`proven_from`). The adopted links prove
only that nothing changed since the adoption; docs/auditors.md says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from shared.sql import Database, Transaction

from .links import CHAIN, STATE, facts_from_stored, insert, link, table

PROVEN_FROM = "proven_from"
_PAGE = 500


def adopt_unchained(tables: Database, recorder: Any, mapper: Mapper[UUID]) -> None:
    """Chains the events stored before the chain existed, once per store."""
    schema = tables.schema
    with tables.transaction(write=False) as tx:
        if proven_from(tx, schema) is not None:
            return
    with tables.exclusive("audit adopt") as tx:
        if proven_from(tx, schema) is not None:
            return
        events = _events_table(recorder, tx, schema)
        if tx.postgres:  # no append slips in between the last adopted event and the state
            tx.execute(f"LOCK TABLE {events} IN EXCLUSIVE MODE")
        last = _adopt(tx, schema, events, mapper)
        state = table(tx, schema, STATE)
        tx.execute_many(
            f"INSERT INTO {state} (name, value) VALUES (?, ?)",
            [(PROVEN_FROM, str(last + 1)), ("adopted_at", datetime.now(UTC).isoformat())],
        )


def proven_from(tx: Transaction, schema: str) -> int | None:
    """The first position whose link was written with its event (None: not adopted)."""
    value = tx.value(f"SELECT value FROM {table(tx, schema, STATE)} WHERE name = ?", (PROVEN_FROM,))
    return None if value is None else int(value)


def _events_table(recorder: Any, tx: Transaction, schema: str) -> str:
    name = str(recorder.events_table_name)
    return f'"{schema}".{name}' if tx.postgres else name


def _adopt(tx: Transaction, schema: str, events: str, mapper: Mapper[UUID]) -> int:
    """Links every event that has none, in log order; returns the last position seen."""
    position_column = "notification_id" if tx.postgres else "rowid"
    chain = table(tx, schema, CHAIN)
    last = 0
    while True:
        rows = tx.all(
            f"SELECT {position_column} AS position, originator_id, originator_version, topic, "
            f"state FROM {events} WHERE {position_column} > ? ORDER BY {position_column} "
            f"LIMIT {_PAGE}",
            (last,),
        )
        if not rows:
            return last
        chained = {
            int(row["position"])
            for row in tx.all(
                f"SELECT position FROM {chain} WHERE position > ? AND position <= ?",
                (last, rows[-1]["position"]),
            )
        }
        for row in rows:
            position = int(row["position"])
            if position not in chained:
                stored = StoredEvent(
                    originator_id=UUID(str(row["originator_id"])),
                    originator_version=int(row["originator_version"]),
                    topic=str(row["topic"]),
                    state=bytes(row["state"]),
                )
                facts = facts_from_stored(mapper, stored)
                insert(tx, schema, [link(tx, schema, stored, facts, position)])
        last = int(rows[-1]["position"])
