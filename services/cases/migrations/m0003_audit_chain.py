"""The audit chain (issue 9, services/cases/audit/): one link per stored event, the
aggregates' salts kept apart from the events, and the chain's own state.

- `careledger_audit_chain`: per event, its log position, the previous and its own hash
  (hex) and its canonical document (docs/auditors.md), written in the same transaction
  as the event.
- `careledger_audit_salts`: each aggregate's salt for the digests of personal fields. A
  separate table so erasing a child's data deletes the salt and leaves the chain whole.
- `careledger_audit_state`: named facts about the chain (from which position it was
  written with the events, rather than adopted afterwards).
"""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the chain's tables."""
    tx.execute(
        "CREATE TABLE careledger_audit_chain (position BIGINT PRIMARY KEY, "
        "originator_id TEXT NOT NULL, version INTEGER NOT NULL, prev_hash TEXT NOT NULL, "
        "hash TEXT NOT NULL, document TEXT NOT NULL, UNIQUE (originator_id, version))"
    )
    tx.execute(
        "CREATE TABLE careledger_audit_salts (originator_id TEXT PRIMARY KEY, salt TEXT NOT NULL)"
    )
    tx.execute("CREATE TABLE careledger_audit_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
