"""A child without hukou registration: the rules open a household-registration task
(落户) for the county police, who see that case (and no other they were not handed),
find the task on their open-interventions worklist, and close it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.support import caught_up, identify_body, json_of, login


def _identify(client: FlaskClient, hukou: bool) -> dict[str, Any]:
    child = identify_body()["child"] | {"hukou_registered": hukou}
    answer = client.post(
        "/api/v1/cases", json=identify_body(child=child), headers=login(client, "civil")
    )
    assert answer.status_code == 201, answer.json
    case: dict[str, Any] = json_of(answer)
    return case


def test_the_police_see_and_close_the_household_registration_the_rules_opened(
    client: FlaskClient, service: CaseService
) -> None:
    # given: one child without hukou, one with
    unregistered, registered = _identify(client, hukou=False), _identify(client, hukou=True)
    caught_up(service)
    police = login(client, "police")

    # then: the police read the first case, not the second
    assert client.get(f"/api/v1/cases/{unregistered['id']}", headers=police).status_code == 200
    assert client.get(f"/api/v1/cases/{registered['id']}", headers=police).status_code == 404
    listed = json_of(client.get("/api/v1/cases", headers=police))
    assert [c["id"] for c in listed["items"]] == [unregistered["id"]]
    # their worklists are the mandatory reports and their own open interventions
    login_answer = client.post(
        "/api/v1/auth/token", json={"username": "police", "password": "correct horse battery"}
    )
    assert json_of(login_answer)["user"]["worklists"] == ["mandatory-reports", "open-interventions"]
    tasks = json_of(client.get("/api/v1/worklists/open-interventions", headers=police))
    assert [(i["case"]["id"], i["intervention"]["kind"]) for i in tasks["items"]] == [
        (unregistered["id"], "household_registration")
    ]
    task = tasks["items"][0]["intervention"]
    assert task["department"] == "police" and task["due_by"] == "2026-03-31"
    # the education bureau's list of open interventions holds none of the police's
    education = login(client, "education")
    mine = json_of(client.get("/api/v1/worklists/open-interventions", headers=education))
    assert mine["items"] == []

    # when: the police close it
    done = client.post(
        f"/api/v1/cases/{unregistered['id']}/interventions/{task['intervention_id']}/closure",
        json={"outcome": "已办理户籍登记", "closed_on": "2026-04-10"},
        headers=police,
    )

    # then: it leaves their list; the case stays theirs to read (its history holds it)
    assert done.status_code == 200, done.json
    caught_up(service)
    after = json_of(client.get("/api/v1/worklists/open-interventions", headers=police))
    assert after["items"] == []
    assert client.get(f"/api/v1/cases/{unregistered['id']}", headers=police).status_code == 200


def test_civil_affairs_lists_every_open_intervention_the_soonest_due_first(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, hukou=False)
    civil = login(client, "civil")
    body = {
        "kind": "psychological_support",
        "department": "civil_affairs",
        "urgency": "routine",
        "description": "心理辅导",
        "opened_on": "2026-03-05",
        "due_by": "2026-03-20",
    }
    opened = client.post(f"/api/v1/cases/{case['id']}/interventions", json=body, headers=civil)
    assert opened.status_code in (200, 201), opened.json
    caught_up(service)

    items = json_of(client.get("/api/v1/worklists/open-interventions", headers=civil))["items"]

    assert [(i["intervention"]["kind"], i["intervention"]["due_by"]) for i in items] == [
        ("psychological_support", "2026-03-20"),
        ("household_registration", "2026-03-31"),
    ]
