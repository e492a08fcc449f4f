"""The User aggregate: who may use CareLedger, in which role, over which jurisdiction.

Users are events on the same log as cases, so the notify service learns who holds which
role where from the stream, and nothing is typed twice. The password hash never leaves
the case service (the stream contract omits it).
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import DomainError

_USER_NAMESPACE = uuid5(NAMESPACE_URL, "https://careledger.example/users")


class UserDisabledError(DomainError):
    """Raised when acting as, or on, a user who has been disabled."""


class User(Aggregate):
    """A person with one role over one jurisdiction prefix."""

    # Registrations stored before users had an address replay with the default below;
    # the class attribute also covers any state restored without the field.
    email: str | None = None

    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        """Usernames are unique: the id derives from the name, so a second one conflicts."""
        return user_id(username)

    @event("Registered")
    def __init__(
        self,
        username: str,
        role: str,
        scope: str,
        display_name: str,
        password_hash: str,
        actor: dict[str, Any],
        email: str | None = None,
    ) -> None:
        self.username = username
        self.role = role
        self.scope = scope
        self.display_name = display_name
        self.password_hash = password_hash
        self.email = email  # a staff address for e-mailed notifications; optional
        self.disabled = False
        self.revoked_token_ids: list[str] = []

    def revoke_token(self, token_id: str, actor: dict[str, Any]) -> None:
        """Revokes one bearer token (logout)."""
        if token_id not in self.revoked_token_ids:
            self._token_revoked(token_id=token_id, actor=actor)

    @event("TokenRevoked")
    def _token_revoked(self, token_id: str, actor: dict[str, Any]) -> None:
        self.revoked_token_ids.append(token_id)

    def rehash_password(self, password_hash: str, actor: dict[str, Any]) -> None:
        """Replaces the stored password hash (new password, or stronger hash parameters)."""
        self._password_changed(password_hash=password_hash, actor=actor)

    @event("PasswordChanged")
    def _password_changed(self, password_hash: str, actor: dict[str, Any]) -> None:
        self.password_hash = password_hash

    def disable(self, actor: dict[str, Any]) -> None:
        """Disables the user; every token they hold stops working."""
        if self.disabled:
            raise UserDisabledError("the user is already disabled")
        self._disabled(actor=actor)

    @event("Disabled")
    def _disabled(self, actor: dict[str, Any]) -> None:
        self.disabled = True


def user_id(username: str) -> UUID:
    """The aggregate id of the user called `username`."""
    return uuid5(_USER_NAMESPACE, username)
