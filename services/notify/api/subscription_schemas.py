"""The subscriptions API's input and output schemas. The secret goes in and never out."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.notify.deliver.targets import WebhookTargetError, check_syntax
from services.notify.route.rules import KINDS
from shared.jurisdictions import is_scope


def _webhook_url(value: str) -> None:
    # Its form here; where its host resolves is checked when the subscription is added.
    try:
        check_syntax(value)
    except WebhookTargetError as error:
        raise ValidationError(str(error)) from None


def _scope(value: str) -> None:
    if not is_scope(value):
        raise ValidationError("Must be a jurisdiction prefix of 2, 4, 6, 9 or 12 digits.")


def _kinds(value: list[str]) -> None:
    unknown = sorted(set(value) - set(KINDS))
    if unknown:
        raise ValidationError(f"Unknown kinds {unknown}; the kinds are {', '.join(KINDS)}.")


class NewSubscriptionSchema(Schema):
    """A webhook to add: where, signed with which secret, for which scope and kinds."""

    class Meta:
        unknown = RAISE

    url = fields.String(
        required=True,
        validate=[validate.Length(max=2000), _webhook_url],
        metadata={"example": "https://county.example.org/careledger-hook"},
    )
    secret = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=16, max=256),
        metadata={
            "description": "signs each body (HMAC-SHA256); at least 16 characters; never returned"
        },
    )
    scope = fields.String(
        required=True,
        validate=_scope,
        metadata={"example": "360124", "description": "a prefix inside the admin's own scope"},
    )
    kinds = fields.List(
        fields.String(),
        load_default=list,
        validate=_kinds,
        metadata={
            "description": "the kinds to send; empty or absent: all",
            "example": ["no_guardian", "harm_found"],
        },
    )


class SubscriptionSchema(Schema):
    """A subscription as admins see it (never its secret)."""

    id = fields.Integer()
    url = fields.String()
    scope = fields.String()
    kinds = fields.List(fields.String(), metadata={"description": "empty: every kind"})
    created_by = fields.String()
    created_at = fields.String()
