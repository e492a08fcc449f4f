"""Claiming due outbox rows and recording how their delivery went.

Two notify processes may work the same outbox. A claim is one statement: it picks due
rows (`status = 'pending'`, `next_attempt_at <= now`) and, in the same UPDATE, counts the
attempt and moves `next_attempt_at` a lease ahead, so no other worker sees them due while
this one sends. PostgreSQL skips rows another claim has locked (FOR UPDATE SKIP LOCKED);
SQLite's write lock makes claims take turns. Nothing is held open while sending: a
worker killed mid-send leaves the row to be claimed again when the lease runs out (the
receiver sees the same Idempotency-Key twice, at worst).

Recording is guarded by the attempt number the claim returned: when a lease ran out and
another worker claimed the row meanwhile, the late answer changes nothing. A sender whose
batch may outlast the lease (e-mail: each message may wait minutes for its answer) calls
`keep_claim` before each send, which extends the lease of a row that is still its own and
says when another worker has it, so the row is never sent by both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.sql import Database, Row, Transaction

_RETURNING = "id, channel, target, idempotency_key, payload, attempts, subscription_id"


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row: what to send, where, and which attempt this is."""

    id: int
    channel: str
    target: str
    idempotency_key: str
    payload: str  # the JSON text, sent byte for byte as written
    attempt: int
    subscription_id: int | None = None
    sealed_secret: str | None = None  # webhooks: the subscription's, still sealed
    subscription_active: bool = True


def claim_due(
    db: Database, channel: str, now: datetime, *, limit: int, lease: timedelta
) -> list[Delivery]:
    """Claims up to `limit` due rows of `channel`, oldest due first."""
    with db.transaction() as tx:
        skip_locked = " FOR UPDATE SKIP LOCKED" if tx.postgres else ""
        # MATERIALIZED: the due rows are picked once. As a plain `IN (subquery)`,
        # PostgreSQL may run the subquery again per row and claim far more than `limit`.
        rows = tx.all(
            f"WITH due AS MATERIALIZED (SELECT id FROM outbox WHERE channel = ? "
            f"AND status = 'pending' AND next_attempt_at <= ? "
            f"ORDER BY next_attempt_at, id LIMIT ?{skip_locked}) "
            f"UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? "
            f"WHERE status = 'pending' AND id IN (SELECT id FROM due) RETURNING {_RETURNING}",
            (channel, now.isoformat(), limit, (now + lease).isoformat()),
        )
        secrets = _secrets(tx, rows)
    deliveries = []
    for r in rows:
        sub = None if r["subscription_id"] is None else int(r["subscription_id"])
        # A webhook whose subscription row is gone counts as deleted: it is not sent.
        sealed, active = (None, True) if sub is None else secrets.get(sub, (None, False))
        deliveries.append(
            Delivery(
                int(r["id"]),
                r["channel"],
                r["target"],
                r["idempotency_key"],
                r["payload"],
                int(r["attempts"]),
                sub,
                sealed,
                active,
            )
        )
    return sorted(deliveries, key=lambda d: d.id)


def keep_claim(db: Database, delivery: Delivery, until: datetime) -> bool:
    """Extends the claim on `delivery` to `until`; False when another worker claimed the
    row since (its lease ran out) or it is no longer pending."""
    with db.transaction() as tx:
        return (
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ? "
                "WHERE id = ? AND status = 'pending' AND attempts = ?",
                (until.isoformat(), delivery.id, delivery.attempt),
            )
            == 1
        )


def record_sent(db: Database, delivery: Delivery, now: datetime) -> bool:
    """Marks the delivery sent; False when the claim was lost meanwhile."""
    with db.transaction() as tx:
        return (
            tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL "
                "WHERE id = ? AND status = 'pending' AND attempts = ?",
                (now.isoformat(), delivery.id, delivery.attempt),
            )
            == 1
        )


def record_retry(db: Database, delivery: Delivery, error: str, retry_at: datetime) -> bool:
    """Keeps the delivery pending until `retry_at`, with the error it met."""
    with db.transaction() as tx:
        return (
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?, last_error = ? "
                "WHERE id = ? AND status = 'pending' AND attempts = ?",
                (retry_at.isoformat(), error, delivery.id, delivery.attempt),
            )
            == 1
        )


def record_failed(db: Database, delivery: Delivery, error: str) -> bool:
    """Gives the delivery up: its final state, with the last error."""
    with db.transaction() as tx:
        return (
            tx.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? "
                "WHERE id = ? AND status = 'pending' AND attempts = ?",
                (error, delivery.id, delivery.attempt),
            )
            == 1
        )


def _secrets(tx: Transaction, rows: list[Row]) -> dict[int, tuple[str, bool]]:
    """The sealed secret and whether it is still active, per subscription of `rows`."""
    ids = sorted({int(r["subscription_id"]) for r in rows if r["subscription_id"] is not None})
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    found = tx.all(f"SELECT id, secret, active FROM subscriptions WHERE id IN ({marks})", ids)
    return {int(r["id"]): (r["secret"], bool(r["active"])) for r in found}


@dataclass(frozen=True)
class Outcome:
    """How sending one delivery went: sent, worth another try, never worth one, unknown
    (nothing may be sent again without an operator), or not tried because another worker
    holds the row."""

    sent: bool
    error: str = ""
    final: bool = False  # a retry cannot help (the subscription was deleted, say)
    unknown: bool = False  # it may have arrived: a retry could deliver it twice
    claim_lost: bool = False  # not tried: another worker claimed the row; record nothing

    @property
    def retryable(self) -> bool:
        """Not sent, and worth another attempt."""
        return not (self.sent or self.final or self.claim_lost)

    @classmethod
    def ok(cls) -> Outcome:
        """Delivered."""
        return cls(True)

    @classmethod
    def retry(cls, error: str) -> Outcome:
        """Not delivered this time; another attempt may succeed."""
        return cls(False, error[:500])

    @classmethod
    def give_up(cls, error: str) -> Outcome:
        """Not delivered, and no attempt ever will be."""
        return cls(False, error[:500], final=True)

    @classmethod
    def outcome_unknown(cls, error: str) -> Outcome:
        """Perhaps delivered, perhaps not: final, so it is never sent twice unasked."""
        return cls(False, error[:500], final=True, unknown=True)

    @classmethod
    def lost(cls) -> Outcome:
        """Not tried: the row's lease ran out and another worker claimed it."""
        return cls(False, "claimed by another worker", claim_lost=True)


def list_deliveries(db: Database, status: str, limit: int) -> list[Row]:
    """The outbox rows in `status`, oldest first (for `careledger notify deliveries`)."""
    with db.transaction() as tx:
        return tx.all(
            "SELECT id, channel, target, status, attempts, next_attempt_at, "
            "last_error, created_at, sent_at FROM outbox WHERE status = ? "
            "ORDER BY id LIMIT ?",
            (status, limit),
        )


class NotFailedError(LookupError):
    """Raised when asked to send again deliveries that are not failed ones."""


def redeliver(db: Database, now: datetime, ids: list[int] | None) -> int:
    """Puts failed deliveries (the given ones, or all) back to pending with a fresh count
    of attempts, due at once; the last error stays until an attempt replaces it. Given ids
    that do not all name failed deliveries change nothing."""
    with db.transaction() as tx:
        if ids is None:
            return tx.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, "
                "next_attempt_at = ? WHERE status = 'failed'",
                (now.isoformat(),),
            )
        wanted = sorted(set(ids))
        marks = ", ".join("?" for _ in wanted)
        failed = {
            int(r["id"])
            for r in tx.all(
                f"SELECT id FROM outbox WHERE status = 'failed' AND id IN ({marks}){tx.for_update}",
                wanted,
            )
        }
        if others := [i for i in wanted if i not in failed]:
            raise NotFailedError(f"not failed deliveries: {', '.join(map(str, others))}")
        return tx.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, "
            f"next_attempt_at = ? WHERE status = 'failed' AND id IN ({marks})",
            (now.isoformat(), *wanted),
        )
