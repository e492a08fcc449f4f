"""The users read model: who holds which role over which scope, for the admin's list.

Kept by the projector from the User events in the same transaction as the other read
models (pages.py), so a rebuild fills it too and it is never ahead of or behind them. A
handful of rows per user and few events: one statement per event is plenty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.dispatch import Registry

from ..domain.user import User
from .tx import Tx

# A decoded User event and its place in the log.
Event = tuple[int, Any]
Handler = Callable[[Tx, int, Any], None]

USERS: Registry[type, Handler] = Registry("the users read model")


@dataclass(frozen=True)
class UserRow:
    """One user as the admin list shows them."""

    username: str
    role: str
    scope: str
    display_name: str
    email: str | None
    disabled: bool


def _event(name: str) -> type[Any]:
    # Made by the @event decorator when User is created: invisible to the type checker.
    event_class: type[Any] = getattr(User, name)
    return event_class


@USERS.on(_event("Registered"))
def _registered(tx: Tx, position: int, e: Any) -> None:
    tx.put(
        "users",
        ("user_id", "username", "position", "role", "scope", "display_name", "email", "disabled"),
        ("text", "text", "bigint", "text", "text", "text", "text", "integer"),
        ("user_id",),
        [
            (
                str(e.originator_id),
                e.username,
                position,
                e.role,
                e.scope,
                e.display_name,
                # Registrations stored before users had an address carry none.
                getattr(e, "email", None),
                0,
            )
        ],
    )


@USERS.on(_event("Disabled"))
def _disabled(tx: Tx, position: int, e: Any) -> None:
    tx.run("UPDATE {users} SET disabled = 1 WHERE user_id = ?", (str(e.originator_id),))


USERS.ignore(_event("TokenRevoked"), why="a revoked token changes nothing the list shows")
USERS.ignore(_event("PasswordChanged"), why="the list never shows a password hash")


def apply(tx: Tx, events: Sequence[Event]) -> None:
    """Moves the users read model by these User events, in log order."""
    for position, event in events:
        handler = USERS.handler(type(event))
        if handler is not None:
            handler(tx, position, event)


def users_in(tx: Tx, scope: str) -> list[UserRow]:
    """The users whose scope lies inside `scope`, in registration order."""
    rows = tx.rows(
        "SELECT username, role, scope, display_name, email, disabled FROM {users} "
        "WHERE scope LIKE ? ORDER BY position",
        (f"{scope}%",),
    )
    return [
        UserRow(
            r["username"], r["role"], r["scope"], r["display_name"], r["email"], bool(r["disabled"])
        )
        for r in rows
    ]
