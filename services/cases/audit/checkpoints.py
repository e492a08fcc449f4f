"""Checkpoints: a running hash over every link of the whole log and the access log's
newest hash, sealed and signed (docs/auditors.md).

The per-aggregate chains show a changed or reordered event; only a hash over the whole
log shows that a whole case, the last events of a case, or the newest events of the log
were removed with their links. A checkpoint's message is canonical JSON:

    {"v": 1, "seq": k, "previous": hex SHA-256 of checkpoint k-1's message (zeros for 1),
     "position": P, "events": links up to P, "log_hash": R_P,
     "access_id": A, "access_rows": rows up to A, "access_hash": hash of row A,
     "sealed_at": ISO instant}

with `R_0` = 32 zero bytes and `R = SHA-256(R || position as 8 bytes big-endian ||
link hash)` over the links in position order; the signature is Ed25519 over the message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.sql import Database, Transaction, advisory_key

from . import canonical, keys
from .access_chain import GENESIS_HEX
from .links import CHAIN

CHECKPOINTS = "careledger_audit_checkpoints"
ACCESS_LOG = "careledger_access_log"
_PAGE = 5000


class SealRefusedError(Exception):
    """Raised when the newest checkpoint does not verify: sealing on would bless tampering."""


@dataclass(frozen=True)
class Checkpoint:
    """One sealed checkpoint, as its signed message says."""

    seq: int
    position: int
    events: int
    log_hash: str
    access_id: int
    access_rows: int
    access_hash: str
    previous: str
    sealed_at: str
    message: bytes
    signature: str

    @classmethod
    def parse(cls, seq: int, message: str, signature: str) -> Checkpoint:
        """A stored row; raises ValueError when its message is not a checkpoint's."""
        try:
            fields = json.loads(message)
            return cls(
                seq=int(fields["seq"]),
                position=int(fields["position"]),
                events=int(fields["events"]),
                log_hash=str(fields["log_hash"]),
                access_id=int(fields["access_id"]),
                access_rows=int(fields["access_rows"]),
                access_hash=str(fields["access_hash"]),
                previous=str(fields["previous"]),
                sealed_at=str(fields["sealed_at"]),
                message=message.encode("utf-8"),
                signature=signature,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"checkpoint {seq} is not a checkpoint's message") from error

    @property
    def digest(self) -> str:
        """What the next checkpoint names as its `previous`."""
        return hashlib.sha256(self.message).hexdigest()


def fold(running: bytes, position: int, link_hash_hex: str) -> bytes:
    """The running hash after one more link."""
    return hashlib.sha256(
        running + position.to_bytes(8, "big") + bytes.fromhex(link_hash_hex)
    ).digest()


def stored(db: Database, tx: Transaction) -> list[tuple[int, str, str]]:
    """Every checkpoint row (seq, message, signature), in order."""
    rows = tx.all(f"SELECT seq, message, signature FROM {db.table(CHECKPOINTS)} ORDER BY seq")
    return [(int(r["seq"]), str(r["message"]), str(r["signature"])) for r in rows]


def newest(db: Database, tx: Transaction, public: Ed25519PublicKey) -> Checkpoint | None:
    """The newest checkpoint, once its signature verifies."""
    row = tx.one(
        f"SELECT seq, message, signature FROM {db.table(CHECKPOINTS)} ORDER BY seq DESC LIMIT 1"
    )
    if row is None:
        return None
    checkpoint = Checkpoint.parse(int(row["seq"]), row["message"], row["signature"])
    if checkpoint.seq != int(row["seq"]) or not keys.verifies(
        public, checkpoint.message, checkpoint.signature
    ):
        raise SealRefusedError(
            f"checkpoint {row['seq']} does not verify: run `careledger audit verify`"
        )
    return checkpoint


def links_after(
    db: Database, tx: Transaction, position: int, head: int
) -> Iterator[tuple[int, str]]:
    """(position, hash) of the links after `position` up to `head`, in order."""
    chain = db.table(CHAIN)
    while True:
        rows = tx.all(
            f"SELECT position, hash FROM {chain} WHERE position > ? AND position <= ? "
            f"ORDER BY position LIMIT {_PAGE}",
            (position, head),
        )
        for row in rows:
            yield int(row["position"]), str(row["hash"])
        if len(rows) < _PAGE:
            return
        position = int(rows[-1]["position"])


@dataclass(frozen=True)
class Pending:
    """What the newest checkpoint does not cover yet."""

    events: int
    access_rows: int
    last_sealed_at: datetime | None


def pending(db: Database) -> Pending:
    """How many links and access-log rows wait for a seal (cheap: two counts)."""
    with db.transaction(write=False) as tx:
        row = tx.one(f"SELECT message FROM {db.table(CHECKPOINTS)} ORDER BY seq DESC LIMIT 1")
        last: dict[str, Any] = json.loads(row["message"]) if row else {}
        events = tx.value(
            f"SELECT COUNT(*) FROM {db.table(CHAIN)} WHERE position > ?", (last.get("position", 0),)
        )
        access = tx.value(
            f"SELECT COUNT(*) FROM {db.table(ACCESS_LOG)} WHERE id > ?", (last.get("access_id", 0),)
        )
    sealed_at = datetime.fromisoformat(str(last["sealed_at"])) if last else None
    return Pending(int(events), int(access), sealed_at)


def seal(db: Database, key: Ed25519PrivateKey, *, now: datetime | None = None) -> Checkpoint | None:
    """Seals what the newest checkpoint does not cover; None when there is nothing new.
    Raises SealRefusedError when the newest checkpoint does not verify."""
    with db.exclusive("audit seal") as tx:
        if tx.postgres:  # the links up to the head are all committed: appends wait
            tx.execute("SELECT pg_advisory_xact_lock(?)", (advisory_key("access log"),))
        last = newest(db, tx, key.public_key())
        chain = db.table(CHAIN)
        head = int(tx.value(f"SELECT COALESCE(MAX(position), 0) FROM {chain}"))
        access = tx.one(
            f"SELECT id, hash FROM {db.table(ACCESS_LOG)} ORDER BY id DESC LIMIT 1"
        ) or {"id": 0, "hash": GENESIS_HEX}
        position = last.position if last else 0
        access_id = last.access_id if last else 0
        if head <= position and int(access["id"]) <= access_id:
            return None
        running = bytes.fromhex(last.log_hash) if last else canonical.GENESIS
        events = last.events if last else 0
        for at, link_hash in links_after(db, tx, position, head):
            running = fold(running, at, link_hash)
            events += 1
        access_rows = int(
            tx.value(f"SELECT COUNT(*) FROM {db.table(ACCESS_LOG)} WHERE id <= ?", (access["id"],))
        )
        seq = last.seq + 1 if last else 1
        fields: dict[str, Any] = {
            "v": 1,
            "seq": seq,
            "previous": last.digest if last else GENESIS_HEX,
            "position": max(head, position),
            "events": events,
            "log_hash": running.hex(),
            "access_id": int(access["id"]),
            "access_rows": access_rows,
            "access_hash": str(access["hash"]),
            "sealed_at": (now or datetime.now(UTC)).isoformat(),
        }
        message = canonical.encode(fields)
        signature = key.sign(message).hex()
        tx.execute(
            f"INSERT INTO {db.table(CHECKPOINTS)} (seq, message, signature) VALUES (?, ?, ?)",
            (seq, message.decode("utf-8"), signature),
        )
        return Checkpoint.parse(seq, message.decode("utf-8"), signature)
