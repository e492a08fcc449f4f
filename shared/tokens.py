"""Bearer tokens both services accept: signed (HS256) JWTs with an expiry and an id.

The case service issues them; either service verifies the signature and expiry here and
then checks, against its own copy of the user directory, that the user is enabled and
the token id was not revoked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

_ALGORITHM = "HS256"
_AUDIENCE = "careledger"


class InvalidTokenError(Exception):
    """Raised when a token is malformed, badly signed or expired."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token and when it stops working."""

    token: str
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: who, which token, until when."""

    username: str
    token_id: str
    expires_at: datetime


def issue_token(
    secret: str, username: str, ttl_seconds: int, now: datetime | None = None
) -> IssuedToken:
    """Signs a token for `username` valid for `ttl_seconds`."""
    issued_at = now or datetime.now(UTC)
    expires_at = (issued_at + timedelta(seconds=ttl_seconds)).replace(microsecond=0)
    token_id = secrets.token_hex(16)
    claims = {
        "sub": username,
        "jti": token_id,
        "aud": _AUDIENCE,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return IssuedToken(jwt.encode(claims, secret, algorithm=_ALGORITHM), token_id, expires_at)


def verify_token(secret: str, token: str) -> TokenClaims:
    """Checks signature and expiry; raises InvalidTokenError with the reason."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "jti", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("the token has expired") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("the token is not valid") from None
    return TokenClaims(
        str(claims["sub"]), str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC)
    )
