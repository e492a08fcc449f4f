"""One vocabulary (shared/vocabulary.py), read by everyone who names its terms: the
stream contract refuses a term it does not hold, and notify's wording and routing cover
every term they must, so adding a term cannot leave a follower half-aware of it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from services.notify.route import wording
from shared import vocabulary as v
from shared.contracts import ContractError, parse_entry
from shared.roles import ROLE_OF_DEPARTMENT, Role

VISIT_PAYLOAD: dict[str, Any] = {
    "visited_on": "2026-04-01",
    "mode": "home",
    "risk_level": "high",
    "emotional_state": "lonely",
    "school_attendance": "regular",
    "safety_concerns": ["neglect"],
    "next_visit_due": "2026-04-08",
    "risk_level_before": None,
    "risk_level_after": "high",
    "school_status_before": "enrolled",
    "school_status_after": "enrolled",
}


def visited_entry(payload: dict[str, Any]) -> dict[str, str]:
    case_id = str(uuid.uuid4())
    return {
        "event_id": f"{case_id}:2",
        "position": "2",
        "previous_id": "1-0",
        "type": "case.visited",
        "schema_version": "2",
        "aggregate_id": case_id,
        "case_id": case_id,
        "case_version": "2",
        "occurred_at": "2026-04-01T08:00:00+08:00",
        "jurisdiction": "360124105203",
        "actor": json.dumps({"username": "director", "role": "child_director", "request_id": "r"}),
        "payload": json.dumps(payload),
    }


def test_the_contract_accepts_a_visit_whose_terms_are_all_in_the_vocabulary() -> None:
    assert parse_entry(visited_entry(VISIT_PAYLOAD)).payload["risk_level"] == "high"


@pytest.mark.parametrize(
    "nonsense",
    [
        {"risk_level": "extreme"},
        {"risk_level_before": "extreme"},
        {"mode": "carrier_pigeon"},
        {"emotional_state": "happy"},
        {"school_attendance": "sometimes"},
        {"school_status_after": "graduated"},
        {"safety_concerns": ["aliens"]},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_contract_refuses_a_term_outside_its_vocabulary(nonsense: dict[str, Any]) -> None:
    with pytest.raises(ContractError, match="Must be one of"):
        parse_entry(visited_entry(VISIT_PAYLOAD | nonsense))


def test_notify_words_every_concern_of_harm_intervention_kind_and_department() -> None:
    assert set(wording.CONCERN_WORDS) == set(v.CONCERNS_OF_HARM)
    assert set(wording.INTERVENTION_WORDS) == set(v.INTERVENTION_KINDS)
    assert set(wording.DEPARTMENT_WORDS) == set(v.DEPARTMENTS)


def test_every_department_has_a_role_that_answers_for_it() -> None:
    assert ROLE_OF_DEPARTMENT == {
        "civil_affairs": Role.CIVIL_AFFAIRS,
        "education": Role.EDUCATION,
        "police": Role.POLICE,
        "health": Role.HEALTH,
        "womens_federation": Role.WOMENS_FEDERATION,
        "court": Role.CIVIL_AFFAIRS,  # civil affairs go to court for guardianship
    }


def test_the_named_subsets_are_terms_of_their_vocabulary() -> None:
    assert set(v.CONCERNS_OF_HARM) <= set(v.SAFETY_CONCERNS)
    assert set(v.ENTRUSTABLE_GUARDIAN_TYPES) <= set(v.GUARDIAN_TYPES)
    assert v.PARENT_UNABLE_STATUSES.issubset(v.PARENT_STATUSES)
