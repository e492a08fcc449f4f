"""The one rule of what is personal in a case's events (domain/personal_data.py): what
per-case keys seal and erasure wipes. Written out by hand where it matters, so a change
of the rule is a change of this file too."""

from __future__ import annotations

from typing import Any

import pytest

from services.cases.domain.personal_data import (
    CLEAR,
    RECORD,
    WHOLE,
    is_personal_path,
    personal_fields,
    replace_leaves,
    rule_for,
)
from tests.support import IDENTIFY


@pytest.mark.parametrize(
    ("path", "personal"),
    [
        ("child.name", True),
        ("child.id_number", True),
        ("child.birth_date", True),
        ("parents.0.phone", True),
        ("parents.1.work_location", True),
        ("guardian.name", True),
        ("address.detail", True),
        ("child.sex", False),
        ("child.school.status", False),
        ("guardian.type", False),
        ("parents.0.status", False),
        ("identified_on", False),
        ("address.jurisdiction", False),
    ],
)
def test_a_path_of_the_record_is_personal_or_a_fact(path: str, personal: bool) -> None:
    assert is_personal_path(path) is personal


def test_a_closure_reason_is_a_code_and_a_guardian_change_reason_is_free_text() -> None:
    assert rule_for("Closed", "reason", {}) == CLEAR
    assert rule_for("GuardianChanged", "reason", {}) == WHOLE
    assert rule_for("Closed", "note", {}) == WHOLE


def test_a_correction_is_sealed_when_the_field_it_corrects_is_personal() -> None:
    assert rule_for("Corrected", "new_value", {"field": "child.name"}) == WHOLE
    assert rule_for("Corrected", "new_value", {"field": "identified_on"}) == CLEAR
    assert rule_for("Corrected", "field", {"field": "child.name"}) == CLEAR


def test_a_field_nobody_decided_on_is_personal() -> None:
    assert rule_for("Visited", "something_new", {}) == WHOLE
    assert rule_for("Visited", "jurisdiction", {}) == CLEAR


def test_the_bookkeeping_of_an_event_is_never_sealed() -> None:
    state = {"originator_id": 1, "originator_version": 2, "timestamp": 3, "record": IDENTIFY}
    assert dict(personal_fields("Identified", state)) == {"record": RECORD}


def test_replacing_the_leaves_keeps_the_facts_and_never_changes_the_original() -> None:
    seen: list[str] = []

    def blank(value: Any, where: str) -> None:
        seen.append(where)

    wiped = replace_leaves(IDENTIFY, RECORD, blank, "record")

    assert wiped["child"]["name"] is None and IDENTIFY["child"]["name"] == "王小明"
    assert wiped["parents"][0]["phone"] is None and wiped["parents"][0]["status"] == "working_away"
    assert wiped["address"] == {"jurisdiction": IDENTIFY["address"]["jurisdiction"], "detail": None}
    assert wiped["guardian"]["type"] == "grandparent" and wiped["identified_on"] == "2026-03-01"
    # a missing or None leaf is left alone (the mother has no phone)
    assert "record.parents.1.phone" not in seen and "record.parents.0.phone" in seen
