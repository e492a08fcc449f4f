"""GET /api/v1/rules and GET /api/v1/rules/eligibility: what the web forms explain before
they submit is the server's own rule, so its answer agrees with what identify does."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from shared.vocabulary import GUARDIAN_TYPES, INTERVENTION_KINDS
from tests.support import IDENTIFY, TODAY, identify_body, json_of, login

AT_HOME_MOTHER = [
    {"relation": "father", "status": "working_away"},
    {"relation": "mother", "status": "at_home"},
]


def test_the_rules_name_the_vocabularies_today_and_the_eligibility_terms(
    client: FlaskClient,
) -> None:
    answer = json_of(client.get("/api/v1/rules", headers=login(client, "director")))
    assert answer["today"] == TODAY.isoformat()
    assert answer["vocabularies"]["guardian_types"] == list(GUARDIAN_TYPES)
    assert answer["vocabularies"]["intervention_kinds"] == list(INTERVENTION_KINDS)
    assert answer["eligibility"]["age_limit_years"] == 16
    assert "deceased" in answer["eligibility"]["parent_unable_statuses"]
    assert "child.name" in answer["correctable_fields"]


def test_the_rules_need_a_login(client: FlaskClient) -> None:
    assert client.get("/api/v1/rules").status_code == 401


@pytest.mark.parametrize(
    ("birth_date", "parents", "eligible", "field"),
    [
        (IDENTIFY["child"]["birth_date"], IDENTIFY["parents"], True, None),
        (IDENTIFY["child"]["birth_date"], AT_HOME_MOTHER, False, "parents"),
        ("2008-01-01", IDENTIFY["parents"], False, "child.birth_date"),
    ],
)
def test_the_eligibility_check_agrees_with_identify(
    client: FlaskClient, birth_date: str, parents: list[Any], eligible: bool, field: str | None
) -> None:
    headers = login(client, "director")
    question = {p["relation"]: p["status"] for p in parents}
    question |= {"birth_date": birth_date, "on": IDENTIFY["identified_on"]}
    answer = json_of(
        client.get("/api/v1/rules/eligibility", query_string=question, headers=headers)
    )
    assert answer["eligible"] is eligible
    assert answer["field"] == field

    child = {**IDENTIFY["child"], "birth_date": birth_date}
    identified = client.post(
        "/api/v1/cases", json=identify_body(child=child, parents=parents), headers=headers
    )
    assert identified.status_code == (201 if eligible else 422)
    if not eligible:
        assert json_of(identified)["errors"][field] == [answer["reason"]]


def test_a_malformed_eligibility_question_is_a_422(client: FlaskClient) -> None:
    headers = login(client, "director")
    question = {"birth_date": "2015-13-01", "father": "away"}
    answer = client.get("/api/v1/rules/eligibility", query_string=question, headers=headers)
    assert answer.status_code == 422
    assert set(json_of(answer)["errors"]) == {"birth_date", "father"}
