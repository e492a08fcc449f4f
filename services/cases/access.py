"""Who may see and do what to which case: role capabilities plus jurisdiction scope.

Checked in the application, not the HTTP layer, so every entrypoint is held to it.
A case outside the caller's scope is reported as not found: its existence is private.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.jurisdictions import in_scope
from shared.roles import DEPARTMENT_OF_ROLE, Capability, Role, can

from .domain import Case


class CaseNotFoundError(Exception):
    """Raised when no case has that id, or the caller may not know that it exists."""


class ForbiddenError(Exception):
    """Raised when the caller's role may not do this, or not in this jurisdiction."""


@dataclass(frozen=True)
class Actor:
    """The authenticated user behind a request, as every event records them."""

    username: str
    role: Role
    scope: str
    request_id: str

    def as_event_data(self) -> dict[str, Any]:
        """What each stored event keeps of the actor."""
        return {"username": self.username, "role": str(self.role), "request_id": self.request_id}


def may_see(actor: Actor, case: Case) -> bool:
    """True when the case is in the caller's scope and role lets them read it."""
    if not can(actor.role, Capability.READ_CASE) or not in_scope(case.jurisdiction, actor.scope):
        return False
    # The police see only the cases handed to them (vocabulary.POLICE_CASE_KINDS).
    return actor.role is not Role.POLICE or case.holds_police_work


def in_emergency(actor: Actor, case: Case, now: datetime) -> bool:
    """True when the caller may not see the case as her scope and role stand, but holds a
    break-the-glass grant to read it that has not expired."""
    if not can(actor.role, Capability.READ_CASE) or may_see(actor, case):
        return False
    until = case.emergency_access_until(actor.username)
    return until is not None and now < until


def require_read(actor: Actor, case: Case, now: datetime) -> None:
    """Raises unless the caller may read `case`: in her view, or under an emergency grant
    still running at `now` (reads only: a grant lets her do nothing else)."""
    require(actor, Capability.READ_CASE)
    if not may_see(actor, case) and not in_emergency(actor, case, now):
        raise CaseNotFoundError("no case with that id")


def require(actor: Actor, capability: Capability, case: Case | None = None) -> None:
    """Raises unless `actor` may use `capability` (on `case`, when given).

    The role is checked first: its refusal (403) does not depend on the case, so it
    reveals nothing; only then does a case outside the caller's view answer 404."""
    if not can(actor.role, capability):
        raise ForbiddenError(f"the role {actor.role} may not {capability.replace('_', ' ')}")
    if case is not None and not may_see(actor, case):
        raise CaseNotFoundError("no case with that id")


def require_in_scope(actor: Actor, jurisdiction: str, field: str = "jurisdiction") -> None:
    """Raises unless `jurisdiction` lies inside the caller's scope."""
    if not in_scope(jurisdiction, actor.scope):
        raise ForbiddenError(f"{field} {jurisdiction} is outside your scope {actor.scope}")


def require_department(actor: Actor, department: str) -> None:
    """Department roles (education, police, …) act only on their own department's work."""
    own = DEPARTMENT_OF_ROLE.get(actor.role)
    if own is not None and own != department:
        raise ForbiddenError(f"the role {actor.role} acts only on {own} interventions")
