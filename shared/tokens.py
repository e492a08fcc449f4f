"""Bearer tokens both services accept: signed (HS256) JWTs with an expiry and an id.

The case service issues two kinds at login. An *access* token (minutes) is what every
request carries; a *refresh* token (hours) only buys new access tokens, and the case
service checks it against the user each time. Both name their session (`sid`: the
refresh token's id), so revoking the session ends both. Either service verifies the
signature, expiry and kind here; who may still use a token is decided by the case
service (docs/security.md, "Revocation that holds everywhere").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

_ALGORITHM = "HS256"
_AUDIENCE = "careledger"

TokenKind = Literal["access", "refresh"]
_NAMES: dict[str, str] = {"access": "an access token", "refresh": "a refresh token"}


class InvalidTokenError(Exception):
    """Raised when a token is malformed, badly signed, expired or of the wrong kind."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token and when it stops working."""

    token: str
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: who, which token of which session, until when, and
    the stamp of the password it was issued under ("" when it carries none)."""

    username: str
    token_id: str
    expires_at: datetime
    session_id: str = ""
    password_stamp: str = ""

    @property
    def session(self) -> str:
        """The session the token belongs to; a token from before sessions is its own."""
        return self.session_id or self.token_id


def issue_token(
    secret: str,
    username: str,
    ttl_seconds: int,
    now: datetime | None = None,
    *,
    kind: TokenKind = "access",
    session_id: str = "",
    password_stamp: str = "",
) -> IssuedToken:
    """Signs a token of `kind` for `username` valid for `ttl_seconds`. A refresh token is
    its own session; an access token names the session it was issued in."""
    issued_at = now or datetime.now(UTC)
    expires_at = (issued_at + timedelta(seconds=ttl_seconds)).replace(microsecond=0)
    token_id = secrets.token_hex(16)
    claims: dict[str, object] = {
        "sub": username,
        "jti": token_id,
        "aud": _AUDIENCE,
        "typ": kind,
        "sid": token_id if kind == "refresh" else session_id or token_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    if password_stamp:
        claims["pwd"] = password_stamp
    return IssuedToken(jwt.encode(claims, secret, algorithm=_ALGORITHM), token_id, expires_at)


def verify_token(secret: str, token: str, kind: TokenKind = "access") -> TokenClaims:
    """Checks signature, expiry and kind; raises InvalidTokenError with the reason. A
    token without a kind is an access token (issued before refresh tokens existed)."""
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
    if claims.get("typ", "access") != kind:
        raise InvalidTokenError(f"the token is not {_NAMES[kind]}")
    return TokenClaims(
        str(claims["sub"]),
        str(claims["jti"]),
        datetime.fromtimestamp(int(claims["exp"]), UTC),
        str(claims.get("sid", "")),
        str(claims.get("pwd", "")),
    )
