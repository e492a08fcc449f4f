"""The field-view rule's small parts: masking, list positions, and the safe default (a
field nobody named stays private to departments)."""

from __future__ import annotations

from typing import Any

import pytest

from shared import field_views
from shared.field_views import Visibility, mask, normalise, visibility
from shared.roles import Role

DEPARTMENTS = (Role.POLICE, Role.EDUCATION, Role.HEALTH, Role.WOMENS_FEDERATION)


def test_masking_keeps_the_first_and_last_four_characters() -> None:
    assert mask("410702201001011234") == "4107**********1234"
    assert mask("13800138000") == "1380***8000"
    assert mask("12345678") == "********"  # too short to show any of it
    assert mask(None) is None


def test_list_positions_do_not_change_who_sees_what() -> None:
    assert normalise("parents.0.phone") == "parents.*.phone"
    assert normalise("recent_visits.12.notes") == "recent_visits.*.notes"
    assert normalise("child.name") == "child.name"
    assert visibility(Role.AUDITOR, "parents.1.phone") is Visibility.MASKED


@pytest.mark.parametrize("role", DEPARTMENTS)
def test_a_field_nobody_named_stays_private_to_departments(role: Role) -> None:
    assert visibility(role, "child.favourite_colour") is Visibility.ABSENT
    assert visibility(Role.CIVIL_AFFAIRS, "child.favourite_colour") is Visibility.VISIBLE


def test_admins_see_no_field_of_a_case() -> None:
    case = {"id": "c", "child": {"name": "王小明"}, "status": "active"}
    assert field_views.case_view(Role.ADMIN, case) == {}


def test_a_view_never_changes_the_dict_it_was_given() -> None:
    case: dict[str, Any] = {
        "child": {"name": "王小明", "id_number": "410702201001011234"},
        "parents": [],
    }
    field_views.case_view(Role.AUDITOR, case)
    field_views.case_view(Role.EDUCATION, case)
    assert case["child"]["id_number"] == "410702201001011234"
