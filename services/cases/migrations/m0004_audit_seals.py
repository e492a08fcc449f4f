"""Checkpoints over the whole log, and the access log chained (issue 9).

- `careledger_audit_checkpoints`: each seal's signed message (docs/auditors.md) and its
  Ed25519 signature.
- the access log gets `prev_hash` and `hash`: each row chained to the one before, as
  `AccessLog.record` writes them from now on. Rows already there are chained here, in id
  order, and `access_proven_from` records the first id chained as it was written.
"""

from __future__ import annotations

from shared.sql import Transaction

from ..audit.access_chain import GENESIS_HEX, row_hash


def upgrade(tx: Transaction) -> None:
    """Creates the checkpoints' table and chains the access log."""
    tx.execute(
        "CREATE TABLE careledger_audit_checkpoints (seq INTEGER PRIMARY KEY, "
        "message TEXT NOT NULL, signature TEXT NOT NULL)"
    )
    for column in ("prev_hash", "hash"):
        tx.execute(f"ALTER TABLE careledger_access_log ADD COLUMN {column} TEXT")
    previous = GENESIS_HEX
    last = 0
    for row in tx.all("SELECT * FROM careledger_access_log ORDER BY id"):
        current = row_hash(previous, row)
        tx.execute(
            "UPDATE careledger_access_log SET prev_hash = ?, hash = ? WHERE id = ?",
            (previous, current, row["id"]),
        )
        previous, last = current, int(row["id"])
    tx.execute(
        "INSERT INTO careledger_audit_state (name, value) VALUES (?, ?)",
        ("access_proven_from", str(last + 1)),
    )
