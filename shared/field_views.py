"""Who sees which field of a case: the one rule every view of a child's record applies
(the case, a version of it, its history, list and search rows, worklists).

Fields are named by their path in the case as the API shows it (`child.name`,
`parents.*.phone`, `recent_visits.*.notes`; `*` stands for any item of a list). For each
role a field is

- VISIBLE: shown as stored;
- MASKED: shown with all but its first four and last four characters starred
  (`4107**********1234`), for auditors' ID numbers and phones: an auditor who needs one in
  clear asks for that one field of that one case with a reason, which is logged;
- ABSENT: left out of the answer altogether (not null: absent).

Case workers (child directors, supervisors, civil affairs) see the whole record: it is
their work. Departments see what their work needs (product.md, issue 10): the police the
child's identity, address and the mandatory report; education the school and attendance;
health and the women's federation what their interventions need. Interventions a
department sees are its own (and, for the police, every mandatory report). Admins see no
case data. A field not named below is absent for a department: a new field stays private
until this table says who needs it. docs/personal-data.md has the table in words.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from shared.roles import DEPARTMENT_OF_ROLE, Role


class Visibility(StrEnum):
    VISIBLE = "visible"
    MASKED = "masked"
    ABSENT = "absent"


# The bookkeeping of a case, not about the child: every role that reads cases sees it.
_CASE = (
    "id",
    "version",
    "status",
    "jurisdiction",
    "identified_on",
    "created_at",
    "modified_at",
    "intervention_id",
    "open_interventions",
    "has_mandatory_report",
    "closed_on",
    "erasure_request",  # an erasure waiting for a decision, and one done (issue 10)
    "erasure",
)
# Who the child is (without the ID number, which fewer roles need).
_IDENTITY = ("child.name", "child.sex", "child.birth_date", "sixteenth_birthday")
_ADDRESS = ("address",)
_FAMILY = (
    "parents",
    "guardian",
    "guardian_type",
    "guardian_since",
    "entrustment_signed",
    "entrustment_signed_on",
)
_SCHOOL = (
    "child.school",
    "school_status",
    "recent_visits.*.visited_on",
    "recent_visits.*.school_attendance",
)
# When the child was and is next to be visited (education records school visits too).
_VISIT_DATES = ("last_visit_on", "next_visit_due", "visit_overdue", "visit_count")
_HEALTH = (
    "child.health",
    "child.disability",
    "recent_visits.*.visited_on",
    "recent_visits.*.emotional_state",
)
_INTERVENTIONS = ("interventions",)  # only those of the role's department: see below

_DEPARTMENT_FIELDS: dict[Role, frozenset[str]] = {
    Role.POLICE: frozenset(
        _CASE + _IDENTITY + ("child.id_number", "child.hukou_registered") + _ADDRESS
    )
    | frozenset(_INTERVENTIONS),
    Role.EDUCATION: frozenset(_CASE + _IDENTITY + _SCHOOL + _VISIT_DATES + _INTERVENTIONS),
    Role.HEALTH: frozenset(
        _CASE + _IDENTITY + _ADDRESS + _HEALTH + _INTERVENTIONS + ("guardian", "guardian_type")
    ),
    Role.WOMENS_FEDERATION: frozenset(
        _CASE
        + _IDENTITY
        + _ADDRESS
        + _FAMILY
        + _INTERVENTIONS
        + (
            "recent_visits.*.visited_on",
            "recent_visits.*.guardian_present",
            "recent_visits.*.living_conditions",
            "recent_visits.*.emotional_state",
        )
    ),
}
# What auditors see only masked, unless they ask for it with a reason.
MASKED_FOR_AUDITORS = frozenset({"child.id_number", "parents.*.phone", "guardian.phone"})
CASE_WORKERS = frozenset({Role.CHILD_DIRECTOR, Role.CHILD_SUPERVISOR, Role.CIVIL_AFFAIRS})
# What `view` answers for a field the role may not see at all.
ABSENT: Any = object()
_INDEX = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


def normalise(path: str) -> str:
    """`parents.0.phone` → `parents.*.phone`: list positions do not change who sees what."""
    return _INDEX.sub("*", path)


def _under(path: str, allowed: str) -> bool:
    return path == allowed or path.startswith(allowed + ".")


def visibility(role: Role, path: str) -> Visibility:
    """How `role` sees the field at `path` (dotted, list items as `*` or an index)."""
    path = normalise(path)
    if role in CASE_WORKERS:
        return Visibility.VISIBLE
    if role is Role.AUDITOR:
        masked = any(_under(path, m) for m in MASKED_FOR_AUDITORS)
        return Visibility.MASKED if masked else Visibility.VISIBLE
    allowed = _DEPARTMENT_FIELDS.get(role, frozenset())
    if any(_under(path, a) for a in allowed):
        return Visibility.VISIBLE
    return Visibility.ABSENT


def _partly_visible(role: Role, path: str) -> bool:
    """True when some field below `path` is visible to `role` (so `child` is kept, with
    only the fields of it the role may see)."""
    if role in CASE_WORKERS or role is Role.AUDITOR:
        return True
    return any(a.startswith(path + ".") for a in _DEPARTMENT_FIELDS.get(role, frozenset()))


def mask(value: Any) -> Any:
    """`410702201001011234` → `4107**********1234`; a short or missing value all starred."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def shows_intervention(role: Role, intervention: dict[str, Any]) -> bool:
    """True when `role` sees this intervention: case workers and auditors all of them, a
    department its own, and the police every mandatory report."""
    own = DEPARTMENT_OF_ROLE.get(role)
    if own is None:
        return role is not Role.ADMIN
    if role is Role.POLICE and intervention.get("kind") == "mandatory_report":
        return True
    return intervention.get("department") == own


def view(role: Role, value: Any, path: str = "") -> Any:
    """`value` (found at `path` in a case) as `role` may see it; ABSENT parts removed,
    MASKED ones masked. The caller's dict is not changed."""
    if path:
        seen = visibility(role, path)
        if seen is Visibility.MASKED:
            return mask(value)
        if seen is Visibility.VISIBLE and role is not Role.AUDITOR:
            return value
        if seen is Visibility.ABSENT and not _partly_visible(role, path):
            return ABSENT
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            shown = view(role, item, f"{path}.{key}" if path else key)
            if shown is not ABSENT:
                out[key] = shown
        return out
    if isinstance(value, list):
        return [view(role, item, f"{path}.*") for item in value]
    return value


def case_view(role: Role, case: dict[str, Any]) -> dict[str, Any]:
    """A case (or a list row) as `role` may see it."""
    shown: dict[str, Any] = view(role, case)
    if "interventions" in shown:
        shown["interventions"] = [i for i in shown["interventions"] if shows_intervention(role, i)]
    if "corrections" in case:
        shown["corrections"] = [
            c for c in (correction_view(role, c) for c in case["corrections"]) if c is not None
        ]
    return shown


def correction_view(role: Role, correction: dict[str, Any]) -> dict[str, Any] | None:
    """A correction (field, old value, new value, reason) as `role` may see it: only when
    it may see the field corrected; with the values masked when the field is masked."""
    seen = visibility(role, str(correction.get("field", "")))
    if seen is Visibility.ABSENT:
        return None
    if seen is Visibility.MASKED:
        return correction | {
            "old_value": mask(correction.get("old_value")),
            "new_value": mask(correction.get("new_value")),
        }
    return dict(correction)
