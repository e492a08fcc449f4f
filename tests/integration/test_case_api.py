"""The case API end to end through the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support import GUARDIAN_CHANGE, INTERVENTION, VISIT, identify_body, json_of, login


def test_identifying_a_child_opens_a_case_with_location_and_etag(client: FlaskClient) -> None:
    # given
    headers = login(client, "director")
    # when
    response = client.post("/api/v1/cases", json=identify_body(), headers=headers)
    # then
    assert response.status_code == 201
    # A child director's identification is saved with its request for review (复核):
    # two events in one append, so the new case is at version 2.
    assert response.headers["ETag"] == '"2"'
    assert json_of(response)["review"]["status"] == "pending"
    assert response.headers["Location"] == f"/api/v1/cases/{json_of(response)['id']}"
    assert json_of(response)["status"] == "active"
    assert json_of(response)["guardian_type"] == "grandparent"
    read = client.get(response.headers["Location"], headers=headers)
    assert read.status_code == 200
    assert json_of(read)["child"]["name"] == "王小明"


def test_a_year_of_work_shows_in_state_and_history(client: FlaskClient) -> None:
    headers = login(client, "civil")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{case['id']}"

    visit = client.post(f"{url}/visits", json=VISIT, headers=headers)
    changed = client.post(f"{url}/guardian-changes", json=GUARDIAN_CHANGE, headers=headers)
    opened = client.post(f"{url}/interventions", json=INTERVENTION, headers=headers)
    iid = json_of(opened)["intervention_id"]
    progressed = client.post(
        f"{url}/interventions/{iid}/progress",
        json={"note": "第一次辅导", "progressed_on": "2026-06-01"},
        headers=headers,
    )
    closed = client.post(
        f"{url}/interventions/{iid}/closure",
        json={"outcome": "情绪好转", "closed_on": "2026-07-01"},
        headers=headers,
    )

    assert [r.status_code for r in (visit, changed, opened, progressed, closed)] == [
        200,
        200,
        201,
        200,
        200,
    ]
    state = json_of(client.get(url, headers=headers))
    assert state["version"] == 6
    assert state["risk_level"] == "medium"
    assert state["last_visit_on"] == "2026-04-01"
    assert state["guardian_type"] == "other_relative"
    assert state["entrustment_signed"] is True
    assert state["open_interventions"] == 0
    history = json_of(client.get(f"{url}/history", headers=headers))["events"]
    assert [e["type"] for e in history] == [
        "identified",
        "visited",
        "guardian_changed",
        "intervention_opened",
        "intervention_progressed",
        "intervention_closed",
    ]
    assert all(
        e["actor"]["username"] == "civil"
        and e["actor"]["role"] == "civil_affairs"
        and e["actor"]["request_id"]
        for e in history
    )


def test_a_case_can_be_read_as_it_stood_at_an_earlier_version(client: FlaskClient) -> None:
    headers = login(client, "director")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{case['id']}"
    client.post(f"{url}/visits", json={**VISIT, "risk_level": "high"}, headers=headers)

    then = client.get(f"{url}?version=1", headers=headers)
    now = client.get(url, headers=headers)

    # Version 2 is the director's request for review (复核), saved with the identification.
    assert json_of(then)["risk_level"] is None and then.headers["ETag"] == '"1"'
    assert json_of(now)["risk_level"] == "high" and now.headers["ETag"] == '"3"'


def test_a_case_can_be_read_as_it_stood_at_an_instant(client: FlaskClient) -> None:
    headers = login(client, "director")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{case['id']}"
    first = json_of(client.get(f"{url}/history", headers=headers))["events"][0]["occurred_at"]
    client.post(f"{url}/visits", json=VISIT, headers=headers)

    at_identification = client.get(url, query_string={"as_of": first}, headers=headers)
    before_anything = client.get(
        url, query_string={"as_of": "2020-01-01T00:00:00+08:00"}, headers=headers
    )

    assert json_of(at_identification)["version"] == 1
    assert before_anything.status_code == 404


def test_a_correction_keeps_old_and_new_value_in_the_history(client: FlaskClient) -> None:
    headers = login(client, "director")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{case['id']}"

    response = client.post(
        f"{url}/corrections",
        json={"field": "child.name", "value": "王小红", "reason": "登记时写错"},
        headers=headers,
    )

    assert response.status_code == 200
    assert json_of(response)["child"]["name"] == "王小红"
    last = json_of(client.get(f"{url}/history", headers=headers))["events"][-1]
    assert last["type"] == "corrected"
    assert last["data"] == {
        "field": "child.name",
        "old_value": "王小明",
        "new_value": "王小红",
        "reason": "登记时写错",
    }
