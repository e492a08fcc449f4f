"""Bearer tokens, the same ones the case service issues: the signature and expiry are
checked with the shared secret, then notify's own directory (learned from the stream)
says whether the user exists, is enabled, and has not revoked the token, and which role
and scope they hold. The directory can lag the case service by as long as the stream
does, so the case service is asked too (token_check.py): its word, at most a few
seconds old, is what lets a token in."""

from __future__ import annotations

from typing import cast

from flask import g, request

from services.notify.api.errors import AuthenticationError, ForbiddenError
from services.notify.api.http import service, token_checks
from services.notify.route.directory import find_user, is_revoked
from shared.roles import Role
from shared.tokens import InvalidTokenError, verify_token


def authenticate() -> None:
    """Sets the caller's username, or raises AuthenticationError (401)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("a bearer token is required")
    try:
        claims = verify_token(service().settings.token_secret, token.strip())
    except InvalidTokenError as error:
        raise AuthenticationError(str(error)) from None
    with service().db.transaction() as tx:
        user = find_user(tx, claims.username)
        revoked = is_revoked(tx, claims.token_id) or is_revoked(tx, claims.session)
    if user is None or not user.role:
        raise AuthenticationError("the user is not known to the notify service")
    if user.disabled or revoked or not token_checks().holds(claims.token_id, token.strip()):
        raise AuthenticationError("the token has been revoked")
    g.username = user.username
    g.role = user.role
    g.scope = user.scope


def username() -> str:
    """The authenticated caller."""
    return cast(str, g.username)


def admin_scope() -> str:
    """The caller's scope, when the caller is an admin; else ForbiddenError (403)."""
    if g.role != Role.ADMIN:
        raise ForbiddenError("only admins manage subscriptions")
    return cast(str, g.scope)
