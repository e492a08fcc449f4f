"""Roles and what each may do. Both services import this one table."""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import DEPARTMENTS


class Role(StrEnum):
    """The roles of product.md."""

    CHILD_DIRECTOR = "child_director"
    CHILD_SUPERVISOR = "child_supervisor"
    CIVIL_AFFAIRS = "civil_affairs"
    EDUCATION = "education"
    POLICE = "police"
    HEALTH = "health"
    WOMENS_FEDERATION = "womens_federation"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Capability(StrEnum):
    """One thing a role may do to a case (or, for admins, to users)."""

    READ_CASE = "read_case"
    IDENTIFY = "identify"
    VISIT = "visit"
    CHANGE_GUARDIAN = "change_guardian"
    OPEN_INTERVENTION = "open_intervention"
    WORK_INTERVENTION = "work_intervention"  # progress and close
    ASSIGN = "assign"
    TRANSFER = "transfer"
    CLOSE_CASE = "close_case"
    REOPEN_CASE = "reopen_case"
    CORRECT = "correct"
    READ_AUDIT = "read_audit"
    MANAGE_USERS = "manage_users"
    # Decide on an admin's request for an account that may read case data (a second
    # person: admins may not grant such access on their own word).
    APPROVE_USERS = "approve_users"
    # Import a township's survey spreadsheet (摸底排查表): many identifications at once,
    # for those who answer for a township's register, not each village's director.
    IMPORT_SURVEY = "import_survey"
    # Decide on a likely-duplicate flag (dismiss it): who answers for a township's register.
    RESOLVE_DUPLICATES = "resolve_duplicates"
    # Ask for, approve or decline the erasure of a closed case's personal data (issue 10):
    # civil affairs at county level or above, two different people (Cases.approve_erasure).
    ERASE_CASE = "erase_case"
    # Confirm or return what a village child director submitted for review (复核): the
    # township answers for its register; civil affairs above it may do what it may.
    REVIEW = "review"
    # Register care sites (关爱保护场所), move them through their life, set the yearly
    # plan of new ones: civil affairs, in their scope (issue 12).
    MANAGE_SITES = "manage_sites"


_C = Capability
_FIELD_WORK = {
    _C.READ_CASE,
    _C.IDENTIFY,
    _C.VISIT,
    _C.CHANGE_GUARDIAN,
    _C.OPEN_INTERVENTION,
    _C.CORRECT,
}
_DEPARTMENT = {_C.READ_CASE, _C.OPEN_INTERVENTION, _C.WORK_INTERVENTION}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.CHILD_DIRECTOR: frozenset(_FIELD_WORK),
    Role.CHILD_SUPERVISOR: frozenset(
        _FIELD_WORK
        | {_C.WORK_INTERVENTION, _C.ASSIGN, _C.TRANSFER, _C.IMPORT_SURVEY}
        | {_C.RESOLVE_DUPLICATES, _C.REVIEW}
    ),
    Role.CIVIL_AFFAIRS: frozenset(
        _FIELD_WORK
        | {_C.WORK_INTERVENTION, _C.ASSIGN, _C.TRANSFER, _C.CLOSE_CASE, _C.REOPEN_CASE}
        | {_C.APPROVE_USERS, _C.IMPORT_SURVEY, _C.RESOLVE_DUPLICATES, _C.REVIEW}
        | {_C.ERASE_CASE, _C.MANAGE_SITES}
    ),
    Role.EDUCATION: frozenset(_DEPARTMENT | {_C.VISIT}),
    # Police receive mandatory reports and record their actions on them; they open nothing.
    Role.POLICE: frozenset({_C.READ_CASE, _C.WORK_INTERVENTION}),
    Role.HEALTH: frozenset(_DEPARTMENT),
    Role.WOMENS_FEDERATION: frozenset(_DEPARTMENT),
    Role.AUDITOR: frozenset({_C.READ_CASE, _C.READ_AUDIT}),
    Role.ADMIN: frozenset({_C.MANAGE_USERS}),
}

# Roles that act only on interventions of their own department.
DEPARTMENT_OF_ROLE: dict[Role, str] = {
    Role.EDUCATION: "education",
    Role.POLICE: "police",
    Role.HEALTH: "health",
    Role.WOMENS_FEDERATION: "womens_federation",
}

# Who answers for an intervention of each department: a department's own role, else civil
# affairs. Courts have no role here: civil affairs, who go to court for guardianship,
# answer for theirs.
ROLE_OF_DEPARTMENT: dict[str, Role] = {
    department: Role.CIVIL_AFFAIRS for department in DEPARTMENTS
} | {department: role for role, department in DEPARTMENT_OF_ROLE.items()}


def can(role: Role, capability: Capability) -> bool:
    """True when `role` holds `capability`."""
    return capability in CAPABILITIES[role]


def reads_case_data(role: Role) -> bool:
    """True when `role` reads children's records or their history (the audit log): an
    admin's request for such an account needs a second person's approval."""
    return bool(CAPABILITIES[role] & {Capability.READ_CASE, Capability.READ_AUDIT})
