"""Notify's own directory of users, learned from the user.* events on the stream, so that
nothing is typed twice: who holds which role over which jurisdiction, who is disabled,
which tokens were revoked, and each user's e-mail address when their registration gave one
(user.registered v2; a v1 entry carries none)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.notify.route.rules import Holder
from shared.contracts import Envelope
from shared.dispatch import Registry
from shared.jurisdictions import SCOPE_LENGTHS
from shared.sql import Transaction


@dataclass(frozen=True)
class DirectoryUser:
    """A user as notify knows them."""

    username: str
    role: str
    scope: str
    display_name: str
    email: str | None
    disabled: bool


UserChange = Callable[[Transaction, dict[str, Any]], None]
# Every user type of the stream is decided here (case types go to the case facts).
DIRECTORY: Registry[str, UserChange] = Registry("notify's directory")
DIRECTORY.ignore("user.password_changed", why="notify keeps no passwords")


def apply_user_event(tx: Transaction, env: Envelope) -> None:
    """Records a user.* event. Registration never re-enables a user whose disabling was
    handled first (entries may arrive out of order). Raises UnknownEventError for a type
    not decided on in `DIRECTORY`."""
    change = DIRECTORY.handler(env.type)
    if change is not None:
        change(tx, env.payload)


@DIRECTORY.on("user.registered")
def _registered(tx: Transaction, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO users (username, role, scope, display_name, email, disabled) "
        "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (username) DO UPDATE SET "
        "role = excluded.role, scope = excluded.scope, "
        "display_name = excluded.display_name, email = excluded.email",
        (p["username"], p["role"], p["scope"], p["display_name"], p.get("email")),
    )


@DIRECTORY.on("user.disabled")
def _disabled(tx: Transaction, p: dict[str, Any]) -> None:
    # A placeholder without role or scope until the registration arrives: it holds
    # no role anywhere, so it receives nothing and cannot log in.
    tx.execute(
        "INSERT INTO users (username, role, scope, display_name, disabled) "
        "VALUES (?, '', '', '', 1) ON CONFLICT (username) DO UPDATE SET disabled = 1",
        (p["username"],),
    )


@DIRECTORY.on("user.token_revoked")
def _token_revoked(tx: Transaction, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO revoked_tokens (token_id, username) VALUES (?, ?) "
        "ON CONFLICT (token_id) DO NOTHING",
        (p["token_id"], p["username"]),
    )


def holders_over(tx: Transaction, village: str) -> list[Holder]:
    """Every enabled user whose scope contains `village`, whatever their role."""
    prefixes = [village[:n] for n in SCOPE_LENGTHS if len(village) >= n]
    if not prefixes:
        return []
    marks = ", ".join("?" for _ in prefixes)
    rows = tx.all(
        f"SELECT username, role, scope FROM users WHERE disabled = 0 AND scope IN ({marks})",
        prefixes,
    )
    return [Holder(r["username"], r["role"], r["scope"]) for r in rows]


def find_user(tx: Transaction, username: str) -> DirectoryUser | None:
    """The user called `username`, or None."""
    row = tx.one(
        "SELECT username, role, scope, display_name, email, disabled FROM users WHERE username = ?",
        (username,),
    )
    if row is None:
        return None
    return DirectoryUser(
        row["username"],
        row["role"],
        row["scope"],
        row["display_name"],
        row["email"],
        bool(row["disabled"]),
    )


def is_revoked(tx: Transaction, token_id: str) -> bool:
    """True when the token was revoked (logout)."""
    return (
        tx.one("SELECT 1 AS revoked FROM revoked_tokens WHERE token_id = ?", (token_id,))
        is not None
    )


def emails_of(tx: Transaction, usernames: list[str]) -> dict[str, str]:
    """The e-mail address of each user that has one."""
    if not usernames:
        return {}
    marks = ", ".join("?" for _ in usernames)
    rows = tx.all(
        f"SELECT username, email FROM users WHERE email IS NOT NULL AND email <> '' "
        f"AND username IN ({marks})",
        usernames,
    )
    return {r["username"]: r["email"] for r in rows}
