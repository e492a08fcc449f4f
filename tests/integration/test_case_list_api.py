"""The case list and the worklists read the read models: every filter, stable order and
pagination, search by name or ID number inside the caller's scope, the police's narrower
view, access logging, and read-your-writes with `min_position`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.projections.projector import build_projector
from shared.runner import Runner
from tests.integration.small_city import ID_NUMBER, TOWNSHIP, V1, V2, SmallCity, build_small_city
from tests.support import caught_up, identify_body, json_of, login

CASES = "/api/v1/cases"


@pytest.fixture
def city(client: FlaskClient, service: CaseService) -> SmallCity:
    built = build_small_city(client)
    caught_up(service)
    return built


def listed(
    client: FlaskClient, city: SmallCity, user: str = "civil_city", **query: Any
) -> list[str]:
    """The letters (A…E) of the cases listed, in order."""
    answer = client.get(CASES, query_string=query, headers=login(client, user))
    assert answer.status_code == 200, answer.json
    letter = {case_id: name for name, case_id in city.ids.items()}
    return [letter[item["id"]] for item in json_of(answer)["items"]]


FILTERS = [
    ({}, "EDCBA"),  # newest identification first
    ({"jurisdiction": V2}, "EC"),
    ({"jurisdiction": "360121"}, "D"),
    ({"jurisdiction": TOWNSHIP}, "ECBA"),
    ({"status": "closed"}, "D"),
    ({"status": "active"}, "ECBA"),
    ({"risk_level": "high"}, "C"),
    ({"risk_level": "low"}, "A"),
    ({"guardian_type": "none"}, "B"),
    ({"guardian_type": "grandparent"}, "EDC"),
    ({"overdue": "true"}, "CB"),
    ({"overdue": "false"}, "EDA"),
    ({"q": "王"}, "BA"),  # a surname
    ({"q": "王小"}, "A"),  # the start of a name
    ({"q": "小明"}, "A"),  # a given name
    ({"q": " 王 小 明 "}, "A"),  # spaces do not matter
    ({"q": ID_NUMBER}, "A"),
    ({"q": ID_NUMBER.lower()}, "A"),
    ({"q": "刘"}, ""),
    ({"status": "active", "guardian_type": "grandparent", "jurisdiction": V2}, "EC"),
    ({"overdue": "true", "risk_level": "high", "q": "李小红"}, "C"),
]


def test_each_filter_of_the_list(client: FlaskClient, city: SmallCity, subtests: Any) -> None:
    for query, expected in FILTERS:
        with subtests.test(msg=str(query)):
            assert "".join(listed(client, city, **query)) == expected


def test_pages_keep_a_stable_order_and_the_total(client: FlaskClient, city: SmallCity) -> None:
    headers = login(client, "civil_city")
    pages = [
        client.get(CASES, query_string={"per_page": 2, "page": n}, headers=headers).json
        for n in (1, 2, 3, 4)
    ]

    assert [p["total"] for p in pages] == [5, 5, 5, 5]  # type: ignore[index]
    assert ["".join(listed(client, city, per_page=2, page=n)) for n in (1, 2, 3, 4)] == [
        "ED",
        "CB",
        "A",
        "",
    ]


def test_the_list_shows_what_a_list_needs_and_never_more(
    client: FlaskClient, city: SmallCity
) -> None:
    answer: Any = client.get(
        CASES, query_string={"q": "王小明"}, headers=login(client, "civil_city")
    ).json
    item = answer["items"][0]

    assert item["child"] == {"name": "王小明", "sex": "female", "birth_date": "2015-03-02"}
    assert (
        item["guardian_type"],
        item["risk_level"],
        item["entrustment_signed"],
        item["assigned_to"],
        item["last_visit_on"],
        item["next_visit_due"],
        item["visit_overdue"],
        item["jurisdiction"],
    ) == ("other_relative", "low", True, "director", "2026-11-20", "2027-02-18", False, V1)
    assert "id_number" not in item["child"] and "parents" not in item


def test_search_finds_only_inside_the_callers_scope(client: FlaskClient, city: SmallCity) -> None:
    assert listed(client, city, "director", q="王") == ["B", "A"]
    assert listed(client, city, "director_elsewhere", q="王") == []  # village V2
    assert listed(client, city, "director_elsewhere") == ["E", "C"]
    assert listed(client, city, "civil_elsewhere", q="张三丰") == ["D"]  # 南昌县, D's county
    assert listed(client, city, "civil_elsewhere", q="王") == []


@pytest.mark.parametrize("jurisdiction", [V2, V2[:9], "3601", "3602"])
def test_a_jurisdiction_filter_outside_the_callers_scope_is_a_403_not_a_narrowed_list(
    client: FlaskClient, city: SmallCity, jurisdiction: str
) -> None:
    # given a child director of village V1, asking for another village, her township,
    # her city, and another city
    answer = client.get(
        CASES, query_string={"jurisdiction": jurisdiction}, headers=login(client, "director")
    )

    assert answer.status_code == 403, answer.json
    assert answer.mimetype == "application/problem+json"


def test_the_police_list_only_cases_with_a_mandatory_report(
    client: FlaskClient, city: SmallCity
) -> None:
    assert listed(client, city, "police") == ["C"]
    assert listed(client, city, "police", q="王") == []


def test_names_are_stored_encrypted_and_searched_by_keyed_hashes(
    client: FlaskClient, city: SmallCity, service: CaseService
) -> None:
    stored = service.read_models.store.read(
        lambda tx: (tx.rows("SELECT * FROM {cases}"), tx.rows("SELECT * FROM {search}"))
    )
    everything = repr(stored)

    for secret in ("王小明", "李小红", ID_NUMBER, "2015-03-02"):
        assert secret not in everything
        assert secret.encode() not in b"".join(bytes(r["personal"]) for r in stored[0])


def test_listing_logs_each_case_read(
    client: FlaskClient, city: SmallCity, service: CaseService
) -> None:
    client.get(
        CASES,
        query_string={"jurisdiction": V2, "purpose": "home_visit_preparation"},
        headers=login(client, "civil_city"),
    )
    entries = service.access_log.search(scope="", username="civil_city")

    assert {(e.case_id, e.jurisdiction, e.purpose) for e in entries} == {
        (city.ids["E"], V2, "home_visit_preparation"),
        (city.ids["C"], V2, "home_visit_preparation"),
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"min_position": "-1"}, "min_position"),
        ({"min_position": "x"}, "min_position"),
        ({"per_page": "101"}, "per_page"),
        ({"q": ""}, "q"),
    ],
)
def test_a_bad_list_parameter_is_refused(
    client: FlaskClient, query: dict[str, str], field: str
) -> None:
    answer = client.get(CASES, query_string=query, headers=login(client, "civil_city"))
    assert answer.status_code == 422 and field in json_of(answer)["errors"]


# ---- worklists ------------------------------------------------------------------------------


def worklist(
    client: FlaskClient, city: SmallCity, name: str, user: str = "civil_city", **query: Any
) -> list[tuple[str, Any, Any]]:
    answer = client.get(
        f"/api/v1/worklists/{name}", query_string=query, headers=login(client, user)
    )
    assert answer.status_code == 200, answer.json
    letter = {case_id: name for name, case_id in city.ids.items()}
    return [
        (letter[i["case"]["id"]], (i["intervention"] or {}).get("kind"), i["days_overdue"])
        for i in json_of(answer)["items"]
    ]


def test_the_worklists_most_urgent_first(client: FlaskClient, city: SmallCity) -> None:
    # B has no guardian, so it comes before the longer overdue C (test_worklist_ranking.py)
    assert worklist(client, city, "overdue-visits") == [("B", None, 12), ("C", None, 82)]
    assert worklist(client, city, "overdue-visits", as_of="2027-01-05") == [
        ("B", None, 49),
        ("C", None, 119),
        ("E", None, 11),
    ]
    assert worklist(client, city, "overdue-visits", assignee="director") == []
    assert worklist(client, city, "no-guardian") == [("B", None, None)]
    assert worklist(client, city, "mandatory-reports") == [("C", "mandatory_report", None)]
    # B's urgent guardianship first; C's dropout task (routine, opened by rule, due 10-01)
    assert worklist(client, city, "overdue-interventions") == [
        ("B", "temporary_guardianship", 9),
        ("C", "dropout_prevention", 59),
    ]
    assert worklist(client, city, "overdue-interventions", as_of="2027-01-01") == [
        ("B", "temporary_guardianship", 42),
        ("C", "dropout_prevention", 92),
        ("C", "mandatory_report", 1),
    ]


def test_worklists_keep_to_scope_role_and_department(client: FlaskClient, city: SmallCity) -> None:
    assert worklist(client, city, "overdue-visits", "director") == [("B", None, 12)]
    assert worklist(client, city, "overdue-visits", "director_elsewhere") == [("C", None, 82)]
    # education's own: the dropout task C's visit opened; nobody else's
    assert worklist(client, city, "overdue-interventions", "education") == [
        ("C", "dropout_prevention", 59)
    ]
    assert worklist(client, city, "mandatory-reports", "police") == [
        ("C", "mandatory_report", None)
    ]
    police = login(client, "police")
    for name in ("overdue-visits", "no-guardian", "overdue-interventions"):
        assert client.get(f"/api/v1/worklists/{name}", headers=police).status_code == 403
    assert (
        client.get("/api/v1/worklists/everything", headers=login(client, "civil")).status_code
        == 404
    )


def test_worklist_reads_are_logged(
    client: FlaskClient, city: SmallCity, service: CaseService
) -> None:
    worklist(client, city, "no-guardian", "supervisor")
    entries = service.access_log.search(scope="", username="supervisor")
    assert [(e.case_id, e.purpose) for e in entries] == [(city.ids["B"], "worklist:no-guardian")]


# ---- read your writes --------------------------------------------------------------------------


@pytest.fixture
def projector(service: CaseService) -> Iterator[None]:
    """The projector following the log in a thread, as `careledger cases project` does."""
    loop = build_projector(
        service.settings, service.cases, service.read_models.store, subscribe=False, lease=False
    )
    runner = Runner(loop, idle_seconds=0.05)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield
    runner.stop()
    thread.join(timeout=10)


def test_a_read_with_the_writes_position_sees_the_write(
    client: FlaskClient, projector: None
) -> None:
    civil = login(client, "civil")
    written = client.post(CASES, json=identify_body(), headers=civil)
    position = int(written.headers["X-Log-Position"])

    answer = client.get(CASES, query_string={"min_position": position}, headers=civil)

    assert [item["id"] for item in json_of(answer)["items"]] == [json_of(written)["id"]]
    assert int(answer.headers["X-Read-Model-Position"]) >= position
    assert answer.headers["X-Read-Model-Behind"] == "false"
    for path in ("/api/v1/dashboard/summary", "/api/v1/worklists/overdue-visits"):
        answer = client.get(path, query_string={"min_position": position}, headers=civil)
        assert answer.headers["X-Read-Model-Behind"] == "false"


def test_a_read_says_so_when_the_projector_has_not_caught_up_in_time(
    client: FlaskClient, service: CaseService
) -> None:
    service.read_models.wait_seconds = 0.3
    civil = login(client, "civil")
    written = client.post(CASES, json=identify_body(), headers=civil)
    position = int(written.headers["X-Log-Position"])

    started = time.monotonic()
    answer = client.get(CASES, query_string={"min_position": position}, headers=civil)
    waited = time.monotonic() - started

    assert answer.status_code == 200 and waited >= 0.3
    assert answer.headers["X-Read-Model-Behind"] == "true"
    assert int(answer.headers["X-Read-Model-Position"]) < position
    assert json_of(answer)["items"] == []
    service.read_models.wait_seconds = 60.0  # were it to wait, it would be for a minute
    started = time.monotonic()
    plain = client.get(CASES, headers=civil)  # without min_position: no waiting at all
    assert time.monotonic() - started < 30.0
    assert plain.headers["X-Read-Model-Behind"] == "false"


def test_waiting_reads_are_bounded_and_one_past_the_bound_is_served_at_once(
    client: FlaskClient, service: CaseService
) -> None:
    # given the projector behind, a long wait, and every waiting slot taken by other reads
    service.read_models.wait_seconds = 60.0
    civil = login(client, "civil")
    written = client.post(CASES, json=identify_body(), headers=civil)
    position = int(written.headers["X-Log-Position"])
    slots = service.read_models._waiting
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        # when one more read asks to wait for its write
        started = time.monotonic()
        answer = client.get(CASES, query_string={"min_position": position}, headers=civil)
        # then it is answered now (not after a minute), and says it is behind
        assert time.monotonic() - started < 30.0
        assert answer.status_code == 200
        assert answer.headers["X-Read-Model-Behind"] == "true"
    finally:
        for _ in range(taken):
            slots.release()
    assert taken == 4


def test_every_write_answers_with_its_log_position(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    first = client.post(CASES, json=identify_body(), headers=civil)
    second = client.post(
        f"{CASES}/{json_of(first)['id']}/visits",
        json={
            "visited_on": "2026-04-01",
            "mode": "home",
            "guardian_present": True,
            "living_conditions": "fair",
            "school_attendance": "regular",
            "emotional_state": "stable",
            "safety_concerns": [],
            "risk_level": "low",
        },
        headers=civil,
    )

    assert int(first.headers["X-Log-Position"]) < int(second.headers["X-Log-Position"])
    assert int(second.headers["X-Log-Position"]) == service.cases.recorder.max_notification_id()
    replay_key = {"Idempotency-Key": "visit-1"}
    again = [client.post(CASES, json=identify_body(), headers=civil | replay_key) for _ in range(2)]
    assert again[1].headers["Idempotent-Replayed"] == "true"
    assert int(again[1].headers["X-Log-Position"]) >= int(again[0].headers["X-Log-Position"])
