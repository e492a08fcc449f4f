"""The inbox and the outbox: an alert becomes one inbox row per recipient, and one outbox
row per external delivery (each matching webhook subscription; an e-mail to each recipient
with an address when SMTP is configured), all in the caller's transaction.

Uniqueness does the deduplication: (rule, dedup key, recipient) in the inbox and the
idempotency key in the outbox, so handling the same event or due date twice adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notify.route.directory import emails_of, holders_over
from services.notify.route.rules import Alert, Holder, choose_recipients
from shared.sql import Transaction


@dataclass(frozen=True)
class Delivered:
    """What delivering one alert wrote."""

    inbox_rows: int
    outbox_rows: int


class Reads:
    """What delivering reads but alerts do not change, read once per batch: the holders of
    a village's scopes and the active webhook subscriptions. A batch of ten thousand entries
    raises hundreds of alerts in a few dozen villages; without this, each alert cost two
    round trips before its first row.

    A user event handled in the batch changes the holders: `forget` before it, and the
    alerts after it read the directory it left, as they would without the memo. A
    subscription added by the API while a batch runs applies from the next batch."""

    def __init__(self) -> None:
        self._holders: dict[str, list[Holder]] = {}
        self._subscriptions: list[dict[str, Any]] | None = None

    def holders_over(self, tx: Transaction, village: str) -> list[Holder]:
        if (found := self._holders.get(village)) is None:
            found = self._holders[village] = holders_over(tx, village)
        return list(found)  # a copy: `deliver` adds to it

    def subscriptions(self, tx: Transaction) -> list[dict[str, Any]]:
        if self._subscriptions is None:
            self._subscriptions = tx.all(
                "SELECT id, url, scope, kinds FROM subscriptions WHERE active = 1 ORDER BY id"
            )
        return self._subscriptions

    def forget(self) -> None:
        self._holders.clear()
        self._subscriptions = None


def deliver(
    tx: Transaction, alert: Alert, now: datetime, *, email: bool, reads: Reads | None = None
) -> Delivered:
    """Writes the alert's inbox rows and outbox rows; rows already there stay as they are.
    `reads` (a batch's) saves reading the directory and subscriptions again."""
    reads = reads or Reads()
    holders = reads.holders_over(tx, alert.jurisdiction)
    for over in {a.over for a in alert.audiences if a.over}:  # e.g. a requester's supervisor
        holders += reads.holders_over(tx, over)
    recipients = sorted(
        {
            name
            for audience in alert.audiences
            for name in choose_recipients(holders, audience, alert.jurisdiction)
        }
    )
    created = now.isoformat()
    payload = _payload(alert, created)
    inbox_ids = _inbox_rows(tx, alert, recipients, created)
    outbox = 0
    for subscription in _subscriptions_for(reads.subscriptions(tx), alert):
        outbox += _enqueue(
            tx,
            None,
            int(subscription["id"]),
            "webhook",
            subscription["url"],
            f"{alert.rule}:{alert.dedup_key}:webhook:{subscription['id']}",
            payload,
            created,
        )
    if email:
        outbox += _emails(tx, alert, inbox_ids, payload, created)
    return Delivered(len(inbox_ids), outbox)


def deliver_to(
    tx: Transaction, alert: Alert, recipients: list[str], now: datetime, *, email: bool
) -> Delivered:
    """A repair (reconcile): the inbox rows of `recipients` that are missing, and their
    e-mails; no webhooks, which went out when the event was first handled (a subscription
    added since must not receive old alerts)."""
    created = now.isoformat()
    inbox_ids = _inbox_rows(tx, alert, sorted(recipients), created)
    outbox = _emails(tx, alert, inbox_ids, _payload(alert, created), created) if email else 0
    return Delivered(len(inbox_ids), outbox)


def _inbox_rows(
    tx: Transaction, alert: Alert, recipients: list[str], created: str
) -> dict[str, int]:
    """Inserts the missing inbox rows; returns the new rows' ids by recipient."""
    inbox_ids: dict[str, int] = {}
    for username in recipients:
        row = tx.one(
            "INSERT INTO notifications (rule, dedup_key, recipient, kind, level, case_id, "
            "intervention_id, jurisdiction, title, body, event_id, occurred_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (rule, dedup_key, recipient) DO NOTHING RETURNING id",
            (
                alert.rule,
                alert.dedup_key,
                username,
                alert.kind,
                alert.level,
                alert.case_id,
                alert.intervention_id,
                alert.jurisdiction,
                alert.title,
                alert.body,
                alert.event_id,
                alert.occurred_at,
                created,
            ),
        )
        if row is not None:
            inbox_ids[username] = int(row["id"])
    return inbox_ids


def _emails(
    tx: Transaction, alert: Alert, inbox_ids: dict[str, int], payload: dict[str, Any], created: str
) -> int:
    """One e-mail per new inbox row whose recipient has an address."""
    outbox = 0
    for username, address in emails_of(tx, sorted(inbox_ids)).items():
        mail = {**payload, "to": address, "subject": alert.title}
        outbox += _enqueue(
            tx,
            inbox_ids[username],
            None,
            "email",
            address,
            f"{alert.rule}:{alert.dedup_key}:email:{username}",
            mail,
            created,
        )
    return outbox


def record_subscription(
    tx: Transaction,
    *,
    url: str,
    secret: str,
    scope: str,
    kinds: list[str],
    created_by: str,
    now: datetime,
) -> int:
    """Adds an active webhook subscription; returns its id. An empty `kinds` means every
    kind."""
    row = tx.one(
        "INSERT INTO subscriptions (url, secret, scope, kinds, created_by, "
        "created_at, active) VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id",
        (url, secret, scope, json.dumps(sorted(kinds)), created_by, now.isoformat()),
    )
    assert row is not None
    return int(row["id"])


def _subscriptions_for(rows: list[dict[str, Any]], alert: Alert) -> list[dict[str, Any]]:
    # Few subscriptions per city: filtering in Python keeps the SQL portable.
    return [
        r
        for r in rows
        if alert.jurisdiction.startswith(r["scope"])
        and (not json.loads(r["kinds"]) or alert.kind in json.loads(r["kinds"]))
    ]


def _enqueue(
    tx: Transaction,
    notification_id: int | None,
    subscription_id: int | None,
    channel: str,
    target: str,
    key: str,
    payload: dict[str, Any],
    now: str,
) -> int:
    return tx.execute(
        "INSERT INTO outbox (notification_id, subscription_id, channel, target, "
        "idempotency_key, payload, status, attempts, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        (
            notification_id,
            subscription_id,
            channel,
            target,
            key,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
            now,
            now,
        ),
    )


def _payload(alert: Alert, created_at: str) -> dict[str, Any]:
    """What an external delivery carries: the same words as the inbox, no personal data."""
    return {
        "kind": alert.kind,
        "level": alert.level,
        "rule": alert.rule,
        "dedup_key": alert.dedup_key,
        "case_id": alert.case_id,
        "intervention_id": alert.intervention_id,
        "jurisdiction": alert.jurisdiction,
        "title": alert.title,
        "body": alert.body,
        "event_id": alert.event_id,
        "due_on": alert.due_on,
        "occurred_at": alert.occurred_at,
        "created_at": created_at,
    }
