"""Likely duplicates flagged at identification (issue 11, "Duplicates"): an event on the
new case naming the other case and why, by ids and reason codes only; never a refusal."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.support import (
    IDENTIFY,
    OTHER_VILLAGE,
    VILLAGE,
    caught_up,
    identify_body,
    json_of,
    login,
)


def _identify(client: FlaskClient, headers: dict[str, str], **child: Any) -> Any:
    body = identify_body(child={**IDENTIFY["child"], **child})
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201
    return response


def _identify_with(
    client: FlaskClient,
    headers: dict[str, str],
    *,
    village: str = VILLAGE,
    phone: str | None = "13800138000",
    **child: Any,
) -> Any:
    """Identifies a child in `village` whose father's phone is `phone`."""
    body = identify_body(
        child={**IDENTIFY["child"], **child},
        address={"jurisdiction": village, "detail": "一组"},
        parents=[
            {"relation": "father", "status": "working_away", "phone": phone},
            {"relation": "mother", "status": "working_away"},
        ],
    )
    response = client.post("/api/v1/cases", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response


def _flags(client: FlaskClient, headers: dict[str, str], case_id: str) -> list[Any]:
    response = client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
    assert response.status_code == 200
    return [e for e in json_of(response)["events"] if e["type"] == "duplicate_suspected"]


def test_a_child_like_a_registered_one_is_flagged_on_the_new_case(
    client: FlaskClient, service: CaseService
) -> None:
    headers = login(client, "civil")
    first = json_of(_identify(client, headers, name="王小明"))["id"]
    caught_up(service)

    response = _identify(client, headers, name="王晓明")  # read the same: wang xiao ming

    second = json_of(response)
    flags = _flags(client, headers, second["id"])
    assert [f["data"] for f in flags] == [  # IDENTIFY gives both the father's phone
        {"other_case_id": first, "reasons": ["name_reading", "birth_date", "same_parents"]}
    ]
    # The answer is the case as flagged: its ETag is the version a next write names.
    assert response.headers["ETag"] == f'"{flags[0]["version"]}"'
    assert "王" not in str(flags)  # ids and reason codes, no names
    assert _flags(client, headers, first) == []


def test_another_birth_date_or_another_reading_is_not_flagged(
    client: FlaskClient, service: CaseService
) -> None:
    headers = login(client, "civil")
    _identify(client, headers, name="王小明")
    caught_up(service)

    other_day = json_of(_identify(client, headers, name="王小明", birth_date="2015-03-03"))
    other_name = json_of(_identify_with(client, headers, name="汪小敏", phone="13500135000"))

    assert _flags(client, headers, other_day["id"]) == []
    assert _flags(client, headers, other_name["id"]) == []


def _flagged_pair(client: FlaskClient, service: CaseService) -> tuple[str, str]:
    headers = login(client, "civil")
    first = json_of(_identify(client, headers, name="王小明"))["id"]
    caught_up(service)
    return first, json_of(_identify(client, headers, name="王晓明"))["id"]


def _dismiss(client: FlaskClient, user: str, case_id: str, other: str, **headers: str) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/duplicates/{other}/dismissal",
        headers={**login(client, user), **headers},
    )


def test_the_supervisor_dismisses_a_flag_once(client: FlaskClient, service: CaseService) -> None:
    first, second = _flagged_pair(client, service)

    response = _dismiss(client, "supervisor", second, first, **{"Idempotency-Key": "d-1"})

    assert response.status_code == 200
    history = client.get(f"/api/v1/cases/{second}/history", headers=login(client, "civil"))
    dismissed = [e for e in json_of(history)["events"] if e["type"] == "duplicate_dismissed"]
    assert [e["data"] for e in dismissed] == [{"other_case_id": first}]
    # The same request again is a replay; another is refused: the flag is closed.
    again = _dismiss(client, "supervisor", second, first, **{"Idempotency-Key": "d-1"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _dismiss(client, "supervisor", second, first).status_code == 409


def test_bad_dismissals_are_refused_and_write_nothing(
    client: FlaskClient, service: CaseService
) -> None:
    first, second = _flagged_pair(client, service)
    version = json_of(client.get(f"/api/v1/cases/{second}", headers=login(client, "civil")))

    assert _dismiss(client, "supervisor", second, second).status_code == 422  # itself
    assert _dismiss(client, "supervisor", first, second).status_code == 409  # not flagged
    assert _dismiss(client, "director", second, first).status_code == 403  # role
    assert _dismiss(client, "civil_elsewhere", second, first).status_code == 404  # scope
    stale = _dismiss(client, "supervisor", second, first, **{"If-Match": '"1"'})
    assert stale.status_code == 412
    after = json_of(client.get(f"/api/v1/cases/{second}", headers=login(client, "civil")))
    assert after == version


def _merge(client: FlaskClient, user: str, case_id: str, into: str) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/duplicates/{into}/merge", headers=login(client, user)
    )


def _events(client: FlaskClient, case_id: str) -> list[Any]:
    response = client.get(f"/api/v1/cases/{case_id}/history", headers=login(client, "civil"))
    return [(e["type"], e["data"]) for e in json_of(response)["events"]]


def _active(client: FlaskClient, service: CaseService) -> int:
    caught_up(service)
    response = client.get("/api/v1/dashboard/summary", headers=login(client, "civil"))
    active: int = json_of(response)["cases"]["active"]
    return active


def test_a_merge_closes_one_case_and_links_both_histories(
    client: FlaskClient, service: CaseService
) -> None:
    first, second = _flagged_pair(client, service)
    assert _active(client, service) == 2

    response = _merge(client, "supervisor", second, first)

    assert response.status_code == 200
    assert json_of(response)["status"] == "closed"
    assert ("merged_into", {"other_case_id": first}) in _events(client, second)
    closed = [d for t, d in _events(client, second) if t == "closed"]
    assert closed and closed[0]["reason"] == "duplicate"
    assert ("duplicate_merged", {"other_case_id": second}) in _events(client, first)
    # The merged duplicate no longer counts as an active child.
    assert _active(client, service) == 1
    # The flag is resolved, the case closed: neither again.
    assert _merge(client, "supervisor", second, first).status_code == 409
    assert _dismiss(client, "supervisor", second, first).status_code == 409


def test_bad_merges_are_refused_and_write_nothing(
    client: FlaskClient, service: CaseService
) -> None:
    first, second = _flagged_pair(client, service)
    before = (_events(client, first), _events(client, second))

    assert _merge(client, "supervisor", second, second).status_code == 422  # itself
    assert _merge(client, "director", second, first).status_code == 403  # role
    assert _merge(client, "civil_elsewhere", second, first).status_code == 404  # scope
    unflagged = json_of(
        _identify_with(client, login(client, "civil"), name="李晓红", phone="13500135000")
    )["id"]
    assert _merge(client, "supervisor", unflagged, first).status_code == 409  # no flag
    assert (_events(client, first), _events(client, second)) == before


def test_the_supervisor_finds_the_flagged_cases_in_her_worklist_until_she_decides(
    client: FlaskClient, service: CaseService
) -> None:
    first, second = _flagged_pair(client, service)
    caught_up(service)
    worklist = "/api/v1/worklists/likely-duplicates"

    listed = json_of(client.get(worklist, headers=login(client, "supervisor")))
    police = client.get(worklist, headers=login(client, "police"))
    director = client.get(worklist, headers=login(client, "director"))

    assert [i["case"]["id"] for i in listed["items"]] == [second]
    assert listed["items"][0]["case"]["likely_duplicates"] == [first]
    assert (police.status_code, director.status_code) == (403, 403)
    case = json_of(client.get(f"/api/v1/cases/{second}", headers=login(client, "supervisor")))
    assert case["likely_duplicates"] == [first]

    assert _dismiss(client, "supervisor", second, first).status_code == 200
    caught_up(service)
    assert json_of(client.get(worklist, headers=login(client, "supervisor")))["items"] == []


def test_a_look_alike_in_a_neighbouring_village_is_flagged_whoever_identifies(
    client: FlaskClient, service: CaseService
) -> None:
    # given: the next village's director registered 王小明 (born 2015-03-02)
    elsewhere = json_of(
        _identify_with(client, login(client, "director_elsewhere"), village=OTHER_VILLAGE)
    )["id"]
    caught_up(service)
    director = login(client, "director")

    # when: this village's director registers 王晓明, born the same day, same father's phone
    answer = _identify_with(client, director, name="王晓明")

    # then: flagged, with why; she learns the other case's id, nothing of the child
    mine = json_of(answer)
    assert [f["data"] for f in _flags(client, director, mine["id"])] == [
        {
            "other_case_id": elsewhere,
            "reasons": ["name_reading", "birth_date", "same_parents", "nearby_village"],
        }
    ]
    assert "王小明" not in answer.get_data(as_text=True)
    assert client.get(f"/api/v1/cases/{elsewhere}", headers=director).status_code == 404
    # and the township supervisor finds the pair on her worklist
    caught_up(service)
    supervisor = login(client, "supervisor")
    listed = json_of(client.get("/api/v1/worklists/likely-duplicates", headers=supervisor))
    assert [(r["case"]["id"], r["case"]["likely_duplicates"]) for r in listed["items"]] == [
        (mine["id"], [elsewhere])
    ]


def test_a_look_alike_in_another_township_is_not_flagged(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    _identify_with(client, civil, village="360124100201")  # 进贤县, another township
    caught_up(service)

    mine = json_of(_identify_with(client, civil))

    assert _flags(client, civil, mine["id"]) == []


def test_the_same_parents_and_birth_date_under_another_name_is_flagged(
    client: FlaskClient, service: CaseService
) -> None:
    # given: 王小明, whose father's phone is 13800138000
    civil = login(client, "civil")
    first = json_of(_identify_with(client, civil, name="王小明", phone="138-0013-8000"))["id"]
    caught_up(service)

    # when: the same child by her milk name, the same father's phone written otherwise;
    # and a child of the same parents born another day; and one of other parents
    milk_name = json_of(_identify_with(client, civil, name="毛毛", phone="13800138000"))["id"]
    sibling = json_of(
        _identify_with(client, civil, name="王小红", birth_date="2017-06-01", phone="13800138000")
    )["id"]
    stranger = json_of(_identify_with(client, civil, name="李毛毛", phone="13900000000"))["id"]

    # then: only the first is a likely duplicate
    assert [f["data"] for f in _flags(client, civil, milk_name)] == [
        {"other_case_id": first, "reasons": ["birth_date", "same_parents"]}
    ]
    assert _flags(client, civil, sibling) == []
    assert _flags(client, civil, stranger) == []
