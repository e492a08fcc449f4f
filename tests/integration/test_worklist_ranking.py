"""The worklists rank by urgency, one rule for all of them (projections/queries.py,
`urgency_order`): a child with no guardian first, then an immediate intervention, then
high risk, then the longest overdue. The small city (small_city.py) plus two children of
village V1 written here:

    F 周小华  medium risk, visited 08-20 (due 09-19),
              an immediate intervention opened 10-01, due 11-01 (overdue)
    G 吴小军  low risk, visited 05-01 (due 07-30: the longest overdue of all)

so overdue visits, by days alone, would read G, C, F, B."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.small_city import TOWNSHIP, V1, build_small_city
from tests.support import VISIT, caught_up, identify_body, login


def _identify(client: FlaskClient, headers: dict[str, str], name: str) -> str:
    body = identify_body(
        child={
            "name": name,
            "sex": "male",
            "birth_date": "2014-05-06",
            "hukou_registered": True,
            "school": {"name": "前坊小学", "grade": "4", "status": "enrolled"},
        },
        guardian={
            "type": "grandparent",
            "name": "李秀英",
            "relation": "grandmother",
            "capacity": "able",
        },
        address={"jurisdiction": V1, "detail": "二组"},
        identified_on="2026-01-05",
    )
    answer = client.post("/api/v1/cases", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    return str(answer.json["id"])  # type: ignore[index]


def _post(client: FlaskClient, headers: dict[str, str], path: str, body: dict[str, Any]) -> None:
    answer = client.post(path, json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.json


@pytest.fixture
def names(client: FlaskClient, service: CaseService) -> dict[str, str]:
    city = build_small_city(client)
    civil = login(client, "civil_city")
    f = _identify(client, civil, "周小华")
    _post(
        client,
        civil,
        f"/api/v1/cases/{f}/visits",
        VISIT | {"visited_on": "2026-08-20", "risk_level": "medium"},
    )
    _post(
        client,
        civil,
        f"/api/v1/cases/{f}/interventions",
        {
            "kind": "psychological_support",
            "department": "health",
            "urgency": "immediate",
            "description": "心理危机",
            "opened_on": "2026-10-01",
            "due_by": "2026-11-01",
        },
    )
    g = _identify(client, civil, "吴小军")
    _post(
        client,
        civil,
        f"/api/v1/cases/{g}/visits",
        VISIT | {"visited_on": "2026-05-01", "risk_level": "low"},
    )
    caught_up(service)
    return {**city.ids, "F": f, "G": g}


def _order(client: FlaskClient, worklist: str, ids: dict[str, str]) -> list[str]:
    answer = client.get(
        f"/api/v1/worklists/{worklist}",
        query_string={"scope": TOWNSHIP},
        headers=login(client, "civil_city"),
    )
    assert answer.status_code == 200, answer.json
    letter = {case_id: name for name, case_id in ids.items()}
    return [letter[item["case"]["id"]] for item in answer.json["items"]]  # type: ignore[index]


def test_overdue_visits_rank_no_guardian_then_immediate_then_high_risk_then_days(
    client: FlaskClient, names: dict[str, str]
) -> None:
    assert _order(client, "overdue-visits", names) == ["B", "F", "C", "G"]


def test_overdue_interventions_rank_by_the_same_rule(
    client: FlaskClient, names: dict[str, str]
) -> None:
    # F's immediate intervention is the longer overdue; B has no guardian; C's dropout
    # task (routine, opened by rule at its dropout visit) comes after them
    assert _order(client, "overdue-interventions", names) == ["B", "F", "C"]


def test_a_worklist_line_carries_the_intervention_s_own_due_date_and_urgency(
    client: FlaskClient, names: dict[str, str]
) -> None:
    answer = client.get(
        "/api/v1/worklists/overdue-interventions",
        query_string={"scope": TOWNSHIP},
        headers=login(client, "civil_city"),
    )
    second = answer.json["items"][1]  # type: ignore[index]
    assert second["intervention"]["urgency"] == "immediate"
    assert second["intervention"]["due_by"] == "2026-11-01"
    assert second["days_overdue"] == 28
