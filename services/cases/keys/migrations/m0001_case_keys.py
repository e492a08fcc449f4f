"""Each case's data key, wrapped by a master key (which one: `master_key_id`), and the
cases whose key was destroyed by erasure (a tombstone: no key is ever made for them
again)."""

from __future__ import annotations

from shared.sql import Transaction


def upgrade(tx: Transaction) -> None:
    """Creates the keys and the tombstones."""
    tx.execute(
        "CREATE TABLE careledger_case_keys (case_id TEXT PRIMARY KEY, "
        "master_key_id TEXT NOT NULL, wrapped TEXT NOT NULL, created_at TEXT NOT NULL)"
    )
    tx.execute("CREATE INDEX careledger_case_keys_master ON careledger_case_keys (master_key_id)")
    tx.execute(
        "CREATE TABLE careledger_erased_cases (case_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL)"
    )
