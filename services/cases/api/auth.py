"""Login, refresh and logout: bearer tokens, and the check notify makes of them."""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64encode
from typing import Any

from flask import g, request

from shared.roles import CAPABILITIES, Role

from ..accounts import Login
from ..projections.read_models import worklists_for
from .blueprint import Blueprint
from .http import actor, service
from .schemas import LoginSchema, RefreshSchema, TokenCheckSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens")


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(
    429,
    description="Too many failed logins for this username or address (problem+json)",
    headers=_RETRY_AFTER,
)
@blp.alt_response(
    503, description="Every password-hashing slot is busy (problem+json)", headers=_RETRY_AFTER
)
def login(body: dict[str, Any]) -> Any:
    """Log in with username and password; answers a short access token and a refresh token"""
    # The TCP peer, or the client a trusted proxy names (CARELEDGER_TRUSTED_PROXIES).
    accounts = service().accounts
    return _session(accounts.login(body["username"], body["password"], request.remote_addr))


@blp.route("/refresh", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenSchema)
def refresh(body: dict[str, Any]) -> Any:
    """Trade a refresh token for a new access token (refused once the session is revoked,
    the user disabled or the password changed)"""
    return _session(service().accounts.refresh(body["refresh_token"]))


@blp.route("/token", methods=["GET"])
@blp.response(200, TokenCheckSchema)
def check() -> Any:
    """Whether the access token this request carries still holds, and whose it is (the
    notify service asks this before trusting a token)"""
    who, claims = actor(), g.token
    return {
        "username": who.username,
        "role": str(who.role),
        "scope": who.scope,
        "token_id": claims.token_id,
        "session_id": claims.session,
        "expires_at": claims.expires_at.isoformat(),
    }


@blp.route("/token", methods=["DELETE"])
@blp.response(204)
def logout() -> None:
    """Revoke the session of the token this request carries (its refresh token too)"""
    service().accounts.revoke(actor(), g.token.session)


def device_key(token_secret: str, username: str) -> str:
    """The key the web app wraps its on-device encryption key with (docs/web-app.md#offline):
    the same for a user at every login, so writes queued before the browser was killed can
    be read again after the next login; derived from the server's secret, never stored."""
    digest = hmac.new(
        token_secret.encode(), b"careledger web device key v1\n" + username.encode(), hashlib.sha256
    ).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


def _session(login: Login) -> dict[str, Any]:
    user = login.user
    return {
        "token": login.issued.token,
        "expires_at": login.issued.expires_at.isoformat(),
        "expires_in": service().accounts.access_token_ttl_seconds,
        "refresh_token": login.refresh.token,
        "refresh_expires_at": login.refresh.expires_at.isoformat(),
        "device_key": device_key(service().accounts.token_secret, user.username),
        "user": {
            "username": user.username,
            "role": user.role,
            "scope": user.scope,
            "display_name": user.display_name,
            "disabled": user.disabled,
            "capabilities": sorted(CAPABILITIES[Role(user.role)]),
            "worklists": worklists_for(Role(user.role)),
        },
    }
