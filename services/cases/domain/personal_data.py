"""Which parts of a case's events say who the child (or her family) is, or what was seen
or said about her: the one rule that per-case keys seal (keys/sealing.py) and that an
erased case's state is wiped by (Case._erased). docs/personal-data.md has it in words.

Everything else stays readable after erasure on purpose: the non-personal facts (dates,
kinds, vocabularies, the village code, counters) are what the dashboards, the reports and
the audit chain are made of.

A rule names, for each top-level field of an event, either the paths of its personal
leaves (`child.name`, `parents.*.phone`; `*` is any item of a list), WHOLE (the value
itself is personal: free text) or CLEAR. A field no rule names is personal unless
TOP_LEVEL_CLEAR calls it clear: a new field stays sealed until someone decides otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Final

# The audit chain's classification of events' top-level fields (audit/canonical.py):
# a field in neither set counts as personal.
# Top-level content fields of events that say who a child (or a staff member) is or what
# was seen or said about them: digested. docs/personal-data.md has them in words.
TOP_LEVEL_PERSONAL: Final = frozenset(
    {
        "record",  # Identified: the child, address, parents, guardian
        "visit",  # Visited: what the visitor saw, notes, concerns
        "guardian",
        "intervention",  # InterventionOpened: its description
        "note",
        "outcome",
        "reason",
        "address_detail",
        "school_name",
        "grade",
        "old_value",  # Corrected: any field of the record, before and after
        "new_value",
        "display_name",  # users and account requests
        "email",
        "password_hash",
        "comment",  # ReviewReturned: what the reviewer asks to be corrected (free text)
        "staff",  # a care site's staff contact: name and phone
    }
)
# Top-level fields that are codes, dates, ids, counters and staff identities: in clear.
TOP_LEVEL_CLEAR: Final = frozenset(
    {
        "originator_topic",
        "class_version",
        "actor",
        "jurisdiction",
        "from_jurisdiction",
        "requester_scope",
        "next_visit_due",
        "risk_level_before",
        "risk_level_after",
        "school_status_before",
        "school_status_after",
        "effective_on",
        "entrustment_signed_on",
        "intervention_id",
        "progressed_on",
        "closed_on",
        "change",
        "changed_on",
        "assignee",
        "transferred_on",
        "reopened_on",
        "field",
        "username",
        "expires_at",
        "role",
        "scope",
        "token_id",
        "record_id",
        "fingerprint",
        "case_id",
        "case_version",
        "status",
        "other_case_id",  # likely duplicates: the other case, and the rule's reason codes
        "reasons",
        "basis",  # erasure: its ground (ERASURE_BASES), who asked, when
        "requested_by",
        "erased_on",
        "submission",  # reviews (复核): the submission's number, what it is of, the names
        "subject",  # of the key facts changed (never their values), and its dates
        "key_facts",
        "requested_on",
        "reviewed_on",
        "resubmitted_on",
        "proposed_on",  # a closure the calendar proposed
        # Care sites and plans (a public place, its kind, size and hours), and the
        # attendance of a case at one: codes, ids, dates and counts.
        "name",
        "kind",
        "capacity",
        "opening_hours",
        "status_before",
        "registered_on",
        "site_id",
        "site_jurisdiction",
        "site_before",
        "attended_on",
        "left_on",
        "year",
        "target",
        "target_before",
    }
)

WHOLE: Final = ("",)  # the whole value is personal
CLEAR: Final = ()  # nothing in it is personal

# The identification record, as the Identified event stores it (domain/values.py).
RECORD: Final = (
    "child.name",
    "child.birth_date",
    "child.id_number",
    "child.school.name",
    "child.school.grade",
    "child.health",
    "child.disability",
    "address.detail",
    "parents.*.work_location",
    "parents.*.phone",
    "guardian.name",
    "guardian.phone",
)
GUARDIAN: Final = ("name", "phone")

# Per event (the name @event gives it), the fields whose rule is not the default.
EVENT_FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "Identified": {"record": RECORD},
    "Visited": {"visit": ("notes",)},
    "GuardianChanged": {"guardian": GUARDIAN, "reason": WHOLE},
    "InterventionOpened": {"intervention": ("description",)},
    "InterventionProgressed": {"note": WHOLE},
    "InterventionClosed": {"outcome": WHOLE},
    "SchoolChanged": {"school_name": WHOLE, "grade": WHOLE, "note": WHOLE},
    # A closure's reason is a code (CLOSURE_REASONS): the reports count closures by it.
    "Closed": {"reason": CLEAR, "note": WHOLE},
    "Reopened": {"reason": WHOLE},
    "EmergencyAccessGranted": {"reason": WHOLE},
    "ErasureRequested": {"reason": WHOLE},
    # A proposed closure's reason is a code too (CLOSURE_PROPOSALS).
    "ClosureProposed": {"reason": CLEAR},
    "ErasureDeclined": {"reason": WHOLE},
}
# A correction's values are personal when the field corrected is (Corrected).
CORRECTED_VALUES: Final = frozenset({"old_value", "new_value"})

_RECORD_PATTERNS = tuple(
    re.compile("^" + re.escape(path).replace(r"\*", r"\d+") + "$") for path in RECORD
)


def is_personal_path(field: str) -> bool:
    """Whether a path of the record (`child.name`, `parents.0.phone`, `guardian.type`) is
    personal: what a correction of it carries is sealed and wiped with the case."""
    return any(pattern.match(field) for pattern in _RECORD_PATTERNS)


def rule_for(event_name: str, field: str, state: dict[str, Any]) -> tuple[str, ...]:
    """The personal paths of `field` in an event called `event_name` whose content is
    `state`."""
    if field in CORRECTED_VALUES and event_name == "Corrected":
        return WHOLE if is_personal_path(str(state.get("field", ""))) else CLEAR
    rules = EVENT_FIELDS.get(event_name, {})
    if field in rules:
        return rules[field]
    return CLEAR if field in TOP_LEVEL_CLEAR and field not in TOP_LEVEL_PERSONAL else WHOLE


Visit = Callable[[Any, str], Any]
# What every event carries to be stored at all: never personal.
_BOOKKEEPING = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def replace_leaves(value: Any, paths: tuple[str, ...], visit: Visit, where: str) -> Any:
    """`value` with each leaf at `paths` replaced by `visit(leaf, its concrete path)`; a
    new structure along the paths, the rest shared (never changes `value` in place).
    Missing and None leaves are left alone."""
    out = value
    for path in paths:
        out = _replace(out, path.split(".") if path else [], visit, where)
    return out


def _replace(node: Any, parts: list[str], visit: Visit, where: str) -> Any:
    if not parts:
        return node if node is None else visit(node, where)
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(node, list):
            return node
        return [_replace(item, rest, visit, f"{where}.{n}") for n, item in enumerate(node)]
    if not isinstance(node, dict) or head not in node:
        return node
    return {**node, head: _replace(node[head], rest, visit, f"{where}.{head}")}


def personal_fields(
    event_name: str, state: dict[str, Any]
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Each top-level field of an event's content with personal paths, and the paths."""
    for field in state:
        if field in _BOOKKEEPING:
            continue
        paths = rule_for(event_name, field, state)
        if paths:
            yield field, paths
