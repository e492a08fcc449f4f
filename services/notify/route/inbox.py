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
from shared.sql import SQLITE_MAX_PARAMS, Transaction, pg_rows, pg_rows_param


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
    tx: Transaction,
    alert: Alert,
    now: datetime,
    *,
    email: bool,
    reads: Reads | None = None,
    later: LaterInbox | None = None,
) -> Delivered:
    """Writes the alert's inbox rows and outbox rows; rows already there stay as they are.
    `reads` (a batch's) saves reading the directory and subscriptions again. With `later`
    (a batch's) the inbox rows and their e-mails wait in it, written when the batch ends,
    and `Delivered` counts only the webhooks."""
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
    # The addresses as the directory has them now: a user event later in the batch must
    # not redirect this alert's e-mail.
    addresses = emails_of(tx, recipients) if email else {}
    pending = _Pending(alert, recipients, created, payload, addresses)
    if later is not None:
        later.add(pending)
        return Delivered(0, outbox)
    written = _write(tx, [pending])
    return Delivered(written.inbox_rows, outbox + written.outbox_rows)


def deliver_to(
    tx: Transaction, alert: Alert, recipients: list[str], now: datetime, *, email: bool
) -> Delivered:
    """A repair (reconcile): the inbox rows of `recipients` that are missing, and their
    e-mails; no webhooks, which went out when the event was first handled (a subscription
    added since must not receive old alerts)."""
    created, addressed = now.isoformat(), sorted(recipients)
    addresses = emails_of(tx, addressed) if email else {}
    return _write(tx, [_Pending(alert, addressed, created, _payload(alert, created), addresses)])


@dataclass(frozen=True)
class _Pending:
    """An alert addressed: its inbox rows and e-mails, not yet written."""

    alert: Alert
    recipients: list[str]
    created: str
    payload: dict[str, Any]
    addresses: dict[str, str]  # recipient → e-mail address, when e-mail is on


class LaterInbox:
    """A batch's inbox rows, written in one statement when the batch ends: a batch of a
    thousand entries of the realistic mix raises about fifty rows, and a statement each was
    most of its round trips to PostgreSQL. Written in the batch's transaction before it
    commits, so the rows are as all-or-nothing as the rest of the batch."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []

    def add(self, pending: _Pending) -> None:
        self._pending.append(pending)

    def write(self, tx: Transaction) -> Delivered:
        """Writes what waits; the rows and e-mails it added."""
        pending, self._pending = self._pending, []
        return _write(tx, pending)


# An inbox row's columns and their types on PostgreSQL, in the order `_inbox_values` gives.
_INBOX_COLUMNS = {
    "rule": "text",
    "dedup_key": "text",
    "recipient": "text",
    "kind": "text",
    "level": "integer",
    "case_id": "text",
    "intervention_id": "text",
    "jurisdiction": "text",
    "title": "text",
    "body": "text",
    "event_id": "text",
    "occurred_at": "text",
    "created_at": "text",
}
_INBOX = (
    f"INSERT INTO notifications ({', '.join(_INBOX_COLUMNS)}) {{rows}} "
    "ON CONFLICT (rule, dedup_key, recipient) DO NOTHING RETURNING id, rule, dedup_key, recipient"
)
_INBOX_PG = _INBOX.format(rows=pg_rows(*_INBOX_COLUMNS.values()))
_INBOX_ROW = f"({', '.join('?' for _ in _INBOX_COLUMNS)})"
_INBOX_CHUNK = SQLITE_MAX_PARAMS // len(_INBOX_COLUMNS)  # SQLite: rows per statement


def _write(tx: Transaction, pending: list[_Pending]) -> Delivered:
    """Inserts the inbox rows not there yet (the first of the same rule, dedup key and
    recipient wins, as if written one by one), then an e-mail for each new row whose
    recipient has an address."""
    rows: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for p in pending:
        for username in p.recipients:
            key = (p.alert.rule, p.alert.dedup_key, username)
            rows.setdefault(key, _inbox_values(p.alert, username, p.created))
    new = _insert_inbox(tx, list(rows.values()))
    unmailed = dict(new)  # one e-mail per new row, however many alerts named it
    outbox = 0
    for p in pending:
        for username in p.recipients:
            key = (p.alert.rule, p.alert.dedup_key, username)
            if (address := p.addresses.get(username)) and (
                row_id := unmailed.pop(key, None)
            ) is not None:
                outbox += _email(tx, p, username, address, row_id)
    return Delivered(len(new), outbox)


def _insert_inbox(tx: Transaction, rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, str], int]:
    """The new rows' ids by (rule, dedup key, recipient); rows already there add nothing."""
    if not rows:
        return {}
    if tx.postgres:
        found = tx.all(_INBOX_PG, [pg_rows_param(*zip(*rows, strict=True))])
    else:
        found = []
        for start in range(0, len(rows), _INBOX_CHUNK):
            part = rows[start : start + _INBOX_CHUNK]
            marks = ", ".join(_INBOX_ROW for _ in part)
            found += tx.all(_INBOX.format(rows=f"VALUES {marks}"), [v for r in part for v in r])
    return {(r["rule"], r["dedup_key"], r["recipient"]): int(r["id"]) for r in found}


def _inbox_values(alert: Alert, username: str, created: str) -> tuple[Any, ...]:
    return (
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
    )


def _email(tx: Transaction, pending: _Pending, username: str, address: str, row_id: int) -> int:
    """The e-mail of one new inbox row."""
    alert = pending.alert
    return _enqueue(
        tx,
        row_id,
        None,
        "email",
        address,
        f"{alert.rule}:{alert.dedup_key}:email:{username}",
        {**pending.payload, "to": address, "subject": alert.title},
        pending.created,
    )


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
