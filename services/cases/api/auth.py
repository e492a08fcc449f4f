"""Login and logout: bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import g, request

from .blueprint import Blueprint
from .http import actor, service
from .schemas import LoginSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens")


@blp.route("/token", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(201, TokenSchema)
def login(body: dict[str, Any]) -> Any:
    """Log in with username and password; answers an expiring bearer token"""
    # The peer's address: behind a reverse proxy, every client shares the proxy's.
    login = service().accounts.login(body["username"], body["password"], request.remote_addr)
    user = login.user
    return {
        "token": login.issued.token,
        "expires_at": login.issued.expires_at.isoformat(),
        "user": {
            "username": user.username,
            "role": user.role,
            "scope": user.scope,
            "display_name": user.display_name,
            "disabled": user.disabled,
        },
    }


@blp.route("/token", methods=["DELETE"])
@blp.response(204)
def logout() -> None:
    """Revoke the token this request carries"""
    service().accounts.revoke(actor(), g.token_id)
