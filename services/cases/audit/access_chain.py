"""The access log's chain: each row's hash over the one before it and its own fields,
in id order (docs/auditors.md). One rule, used by the access log as it writes, the
migration that chained the rows already there, and verification."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from . import canonical

GENESIS_HEX = canonical.GENESIS.hex()
# The fields of a row the hash covers (the id is its place in the chain, not its content).
FIELDS = ("at", "username", "role", "case_id", "jurisdiction", "purpose", "request_id")


def row_document(row: Mapping[str, Any]) -> bytes:
    """The canonical bytes of one access-log row."""
    return canonical.encode({name: row[name] for name in FIELDS})


def row_hash(previous_hex: str, row: Mapping[str, Any]) -> str:
    """A row's hash (hex) after the row whose hash is `previous_hex`."""
    return hashlib.sha256(bytes.fromhex(previous_hex) + row_document(row)).hexdigest()
