"""Webhook subscriptions: admins add, list and delete the ones inside their scope."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint

from services.notify.api.auth import admin_scope, username
from services.notify.api.http import service
from services.notify.api.subscription_schemas import NewSubscriptionSchema, SubscriptionSchema
from services.notify.deliver.sealing import SecretBox
from services.notify.deliver.targets import WebhookTargets
from services.notify.route.subscriptions import (
    add_subscription,
    delete_subscription,
    list_subscriptions,
)

blp = Blueprint(
    "subscriptions",
    __name__,
    url_prefix="/api/v1/subscriptions",
    description="Signed webhooks, managed by admins",
)


@blp.route("", methods=["POST"])
@blp.arguments(NewSubscriptionSchema)
@blp.response(201, SubscriptionSchema)
def add(body: dict[str, Any]) -> Any:
    """Add a webhook for the notifications of a scope inside the admin's own"""
    scope = admin_scope()
    notify = service()
    added = add_subscription(
        notify.db,
        SecretBox.from_settings(notify.settings),
        targets=WebhookTargets.from_settings(notify.settings),
        admin=username(),
        admin_scope=scope,
        url=body["url"],
        secret=body["secret"],
        scope=body["scope"],
        kinds=sorted(set(body["kinds"])),
        now=notify.clock.now(),
    )
    return asdict(added), 201, {"Location": f"/api/v1/subscriptions/{added.id}"}


@blp.route("", methods=["GET"])
@blp.response(200, SubscriptionSchema(many=True))
def list_all() -> Any:
    """The active subscriptions inside the admin's scope"""
    return [asdict(s) for s in list_subscriptions(service().db, admin_scope())]


# Ids are 64-bit: a larger one names nothing (404) rather than overflowing the database.
@blp.route("/<int(max=9223372036854775807):subscription_id>", methods=["DELETE"])
@blp.response(204)
def delete(subscription_id: int) -> Any:
    """Delete a subscription: its deliveries still waiting are not sent"""
    delete_subscription(service().db, subscription_id, admin_scope(), service().clock.now())
    return ""
