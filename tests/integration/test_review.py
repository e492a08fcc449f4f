"""Review before it counts (填表人 / 复核人, issue 11): a village child director's
identification, and her change of a key fact, wait for the township supervisor, who
confirms or returns them with a comment; the director corrects and resubmits. The
figures count confirmed cases and show the pending ones apart. Both backends."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.survey_support import id_number
from tests.support import GUARDIAN_CHANGE, caught_up, identify_body, json_of, login

SUMMARY = "/api/v1/dashboard/summary"


def _identify(client: FlaskClient, user: str, **child: Any) -> Any:
    body = identify_body()
    body["child"] = {**body["child"], **child}
    response = client.post("/api/v1/cases", json=body, headers=login(client, user))
    assert response.status_code == 201, response.json
    return json_of(response)


def _post(client: FlaskClient, user: str, url: str, body: Any = None, **headers: str) -> Any:
    return client.post(url, json=body, headers={**login(client, user), **headers})


def _confirm(client: FlaskClient, user: str, case_id: str, **headers: str) -> Any:
    return _post(client, user, f"/api/v1/cases/{case_id}/review/confirmation", **headers)


def _return(client: FlaskClient, user: str, case_id: str, body: Any, **headers: str) -> Any:
    return _post(client, user, f"/api/v1/cases/{case_id}/review/return", body, **headers)


def _resubmit(client: FlaskClient, user: str, case_id: str, **headers: str) -> Any:
    return _post(client, user, f"/api/v1/cases/{case_id}/review/resubmission", **headers)


def _case(client: FlaskClient, case_id: str, user: str = "civil") -> Any:
    return json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, user)))


def _summary(client: FlaskClient, service: CaseService) -> Any:
    caught_up(service)
    return json_of(client.get(SUMMARY, headers=login(client, "civil")))


def _worklist(client: FlaskClient, service: CaseService, user: str, name: str) -> Any:
    caught_up(service)
    response = client.get(f"/api/v1/worklists/{name}", headers=login(client, user))
    return response


def _events(client: FlaskClient, case_id: str) -> list[tuple[str, Any]]:
    response = client.get(f"/api/v1/cases/{case_id}/history", headers=login(client, "civil"))
    return [(e["type"], e["data"]) for e in json_of(response)["events"]]


def test_a_directors_case_counts_once_the_supervisor_confirms_it(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, "director")

    assert case["review"]["status"] == "pending"
    assert case["review"]["subject"] == "identification"
    assert case["review"]["submitted_by"] == "director"
    summary = _summary(client, service)
    assert summary["cases"] == {"active": 0, "closed": 0, "total": 0}
    assert summary["this_month"]["identified"] == 0
    assert summary["pending_review"] == {"new_cases": 1, "returned": 0, "changes": 0, "total": 1}
    waiting = json_of(_worklist(client, service, "supervisor", "awaiting-review"))
    assert [i["case"]["id"] for i in waiting["items"]] == [case["id"]]
    assert waiting["items"][0]["case"]["review"]["status"] == "pending"

    response = _confirm(client, "supervisor", case["id"], **{"If-Match": f'"{case["version"]}"'})

    assert response.status_code == 200, response.json
    assert json_of(response)["review"]["status"] == "confirmed"
    summary = _summary(client, service)
    assert summary["cases"] == {"active": 1, "closed": 0, "total": 1}
    assert summary["pending_review"]["total"] == 0
    assert json_of(_worklist(client, service, "supervisor", "awaiting-review"))["total"] == 0
    assert [t for t, _ in _events(client, case["id"])] == [
        "identified",
        "review_requested",
        "review_confirmed",
    ]


def test_cases_identified_by_supervisors_or_civil_affairs_count_at_once(
    client: FlaskClient, service: CaseService
) -> None:
    by_supervisor = _identify(client, "supervisor")
    by_civil = _identify(client, "civil", birth_date="2014-05-06", name="李四")

    assert by_supervisor["review"] is None and by_civil["review"] is None
    summary = _summary(client, service)
    assert summary["cases"]["active"] == 2
    assert summary["pending_review"]["total"] == 0
    assert _confirm(client, "supervisor", by_civil["id"]).status_code == 409


def test_returned_with_a_comment_corrected_and_resubmitted(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, "director")

    returned = _return(client, "supervisor", case["id"], {"comment": "出生日期与户口本不符"})

    assert returned.status_code == 200, returned.json
    seen = _case(client, case["id"], "director")
    assert seen["review"]["status"] == "returned"
    assert seen["review"]["comment"] == "出生日期与户口本不符"
    mine = json_of(_worklist(client, service, "director", "returned-for-correction"))
    assert [i["case"]["id"] for i in mine["items"]] == [case["id"]]
    assert _summary(client, service)["pending_review"]["returned"] == 1
    # The director corrects (the correction joins the open review) and resubmits.
    corrected = _post(
        client,
        "director",
        f"/api/v1/cases/{case['id']}/corrections",
        {"field": "child.birth_date", "value": "2015-04-02", "reason": "户口本"},
    )
    assert corrected.status_code == 200, corrected.json
    assert json_of(corrected)["review"]["status"] == "returned"
    resubmitted = _resubmit(client, "director", case["id"])
    assert resubmitted.status_code == 200, resubmitted.json
    review = json_of(resubmitted)["review"]
    assert (review["status"], review["submission"], review["comment"]) == ("pending", 2, None)
    assert _confirm(client, "supervisor", case["id"]).status_code == 200
    assert _summary(client, service)["cases"]["active"] == 1
    history = _events(client, case["id"])
    assert (
        "review_returned",
        {
            "submission": 1,
            "subject": "identification",
            "comment": "出生日期与户口本不符",
            "reviewed_on": history[2][1]["reviewed_on"],
        },
    ) in history
    assert [t for t, _ in history][-2:] == ["review_resubmitted", "review_confirmed"]


def test_a_directors_change_of_a_key_fact_waits_for_review_and_the_case_still_counts(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, "director")
    assert _confirm(client, "supervisor", case["id"]).status_code == 200

    corrected = _post(
        client,
        "director",
        f"/api/v1/cases/{case['id']}/corrections",
        {"field": "child.id_number", "value": id_number(7), "reason": "补录"},
    )

    assert corrected.status_code == 200, corrected.json
    review = json_of(corrected)["review"]
    assert (review["status"], review["subject"], review["key_facts"]) == (
        "pending",
        "change",
        ["child.id_number"],
    )
    summary = _summary(client, service)
    assert summary["cases"]["active"] == 1  # counted, with the facts as changed
    assert summary["pending_review"] == {"new_cases": 0, "returned": 0, "changes": 1, "total": 1}
    assert _confirm(client, "supervisor", case["id"]).status_code == 200
    # A guardian change that changes the guardian's type is a key fact too.
    changed = _post(
        client, "director", f"/api/v1/cases/{case['id']}/guardian-changes", GUARDIAN_CHANGE
    )
    assert changed.status_code == 200, changed.json
    assert json_of(changed)["review"]["key_facts"] == ["guardian.type"]
    assert json_of(changed)["review"]["submission"] == 3


def test_other_changes_and_others_changes_need_no_review(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, "supervisor")
    url = f"/api/v1/cases/{case['id']}/corrections"

    by_director = _post(
        client, "director", url, {"field": "child.name", "value": "王晓明", "reason": "错字"}
    )
    by_supervisor = _post(
        client,
        "supervisor",
        url,
        {"field": "child.birth_date", "value": "2015-04-02", "reason": "户口本"},
    )

    assert by_director.status_code == 200 and by_supervisor.status_code == 200
    assert json_of(by_supervisor)["review"] is None


def test_bad_reviews_are_refused_and_write_nothing(
    client: FlaskClient, service: CaseService
) -> None:
    case = _identify(client, "director")
    before = _case(client, case["id"])

    outside = _confirm(client, "civil_elsewhere", case["id"])
    assert outside.status_code == 404
    own = _confirm(client, "director", case["id"])
    assert own.status_code == 403
    assert _return(client, "director", case["id"], {"comment": "x"}).status_code == 403
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        refused = _return(client, "supervisor", case["id"], body)
        assert refused.status_code == 422, body
        assert "comment" in json_of(refused)["errors"]
    not_returned = _resubmit(client, "director", case["id"])
    assert not_returned.status_code == 409
    assert json_of(not_returned)["code"] == "not_returned"
    stale = _confirm(client, "supervisor", case["id"], **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert _case(client, case["id"]) == before

    assert (
        _confirm(client, "supervisor", case["id"], **{"Idempotency-Key": "r-1"}).status_code == 200
    )
    replay = _confirm(client, "supervisor", case["id"], **{"Idempotency-Key": "r-1"})
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    after = _case(client, case["id"])
    second = _confirm(client, "supervisor", case["id"])  # the same submission again
    assert second.status_code == 409
    assert json_of(second)["code"] == "review_not_pending"
    assert _return(client, "civil", case["id"], {"comment": "晚了"}).status_code == 409
    assert _case(client, case["id"]) == after


def test_the_review_worklists_are_for_who_reviews_and_who_corrects(
    client: FlaskClient, service: CaseService
) -> None:
    _identify(client, "director")

    assert _worklist(client, service, "director", "awaiting-review").status_code == 403
    assert _worklist(client, service, "education", "returned-for-correction").status_code == 403
    assert json_of(_worklist(client, service, "civil", "awaiting-review"))["total"] == 1
    assert json_of(_worklist(client, service, "civil_elsewhere", "awaiting-review"))["total"] == 0
    login_answer = client.post(
        "/api/v1/auth/token", json={"username": "supervisor", "password": "correct horse battery"}
    )
    assert "awaiting-review" in str(login_answer.json)
