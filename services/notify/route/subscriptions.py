"""Webhook subscriptions, managed by admins: add one over a scope inside their own, list
and delete the ones inside their scope. Secrets are sealed before they are stored and
never read back out through here.

Deleting keeps the row (inactive) for the outbox rows that name it, and stops its
deliveries still waiting: a receiver the admin removed hears nothing more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.inbox import record_subscription
from shared.jurisdictions import in_scope
from shared.sql import Database

_COLUMNS = "id, url, scope, kinds, created_by, created_at"


class SubscriptionNotFoundError(LookupError):
    """Raised when a subscription does not exist, was deleted, or lies outside the
    caller's scope (to them it does not exist)."""


class OutsideScopeError(PermissionError):
    """Raised when an admin names a scope outside their own."""


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription as admins see it: never its secret."""

    id: int
    url: str
    scope: str
    kinds: list[str]
    created_by: str
    created_at: str


def add_subscription(
    db: Database,
    box: SecretBox,
    *,
    targets: WebhookTargets,
    admin: str,
    admin_scope: str,
    url: str,
    secret: str,
    scope: str,
    kinds: list[str],
    now: datetime,
) -> Subscription:
    """Adds an active subscription over `scope`, which must lie inside the admin's, to a
    `url` webhooks may reach (`targets`; raises WebhookTargetError otherwise)."""
    if not in_scope(scope, admin_scope):
        raise OutsideScopeError(f"the scope {scope} is outside your scope {admin_scope}")
    targets.check_subscription(url)
    with db.transaction() as tx:
        new_id = record_subscription(
            tx,
            url=url,
            secret=box.seal(secret),
            scope=scope,
            kinds=kinds,
            created_by=admin,
            now=now,
        )
        row = tx.one(f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (new_id,))
    assert row is not None
    return _subscription(row)


def list_subscriptions(db: Database, admin_scope: str) -> list[Subscription]:
    """The active subscriptions inside the admin's scope, oldest first."""
    with db.transaction() as tx:
        rows = tx.all(f"SELECT {_COLUMNS} FROM subscriptions WHERE active = 1 ORDER BY id")
    return [_subscription(r) for r in rows if in_scope(r["scope"], admin_scope)]


def delete_subscription(
    db: Database, subscription_id: int, admin_scope: str, now: datetime
) -> None:
    """Deactivates the subscription; its deliveries still waiting end as failed."""
    with db.transaction() as tx:
        row = tx.one(
            f"SELECT scope FROM subscriptions WHERE id = ? AND active = 1{tx.for_update}",
            (subscription_id,),
        )
        if row is None or not in_scope(row["scope"], admin_scope):
            raise SubscriptionNotFoundError(f"no subscription {subscription_id}")
        tx.execute("UPDATE subscriptions SET active = 0 WHERE id = ?", (subscription_id,))
        tx.execute(
            "UPDATE outbox SET status = 'failed', last_error = ? "
            "WHERE subscription_id = ? AND status = 'pending'",
            (f"subscription deleted at {now.isoformat()}", subscription_id),
        )


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        int(row["id"]),
        row["url"],
        row["scope"],
        json.loads(row["kinds"]),
        row["created_by"],
        row["created_at"],
    )
