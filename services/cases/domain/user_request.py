"""The UserRequest aggregate: an admin's request for an account that may read case data.

An admin sees no case data, so she may not make herself (or anyone) an account that does
on her own word: the request waits until a second person, a civil-affairs user whose
scope holds the requested one, approves it. Only then is the User registered. Each step
is an event here (Requested, Approved, Rejected), with who took it.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

from .errors import DomainError

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class RequestDecidedError(DomainError):
    """Raised when approving or rejecting a request that was already decided."""


class SelfApprovalError(DomainError):
    """Raised when the person who asked for an account tries to decide on it."""


class UserRequest(Aggregate):
    """A pending account: who is asked for, in which role and scope, by whom."""

    @event("Requested")
    def __init__(
        self,
        username: str,
        role: str,
        scope: str,
        display_name: str,
        password_hash: str,
        email: str | None,
        actor: dict[str, Any],
    ) -> None:
        self.username = username
        self.role = role
        self.scope = scope
        self.display_name = display_name
        self.password_hash = password_hash
        self.email = email
        self.requested_by: str = actor["username"]
        self.status = PENDING
        self.decided_by: str | None = None

    def approve(self, actor: dict[str, Any]) -> None:
        """Approves the request: the account may be registered."""
        self._check_decider(actor)
        self._approved(actor=actor)

    def reject(self, actor: dict[str, Any]) -> None:
        """Rejects the request: no account is made."""
        self._check_decider(actor)
        self._rejected(actor=actor)

    def _check_decider(self, actor: dict[str, Any]) -> None:
        if self.status != PENDING:
            raise RequestDecidedError(f"the request was already {self.status}")
        if actor["username"] in (self.requested_by, self.username):
            raise SelfApprovalError("a request is decided by someone other than who asked")

    @event("Approved")
    def _approved(self, actor: dict[str, Any]) -> None:
        self.status = APPROVED
        self.decided_by = actor["username"]

    @event("Rejected")
    def _rejected(self, actor: dict[str, Any]) -> None:
        self.status = REJECTED
        self.decided_by = actor["username"]
