"""Who sees which field of a child's record: every role × field, in the case, its history,
the list and the worklists; the auditor's reasoned read of one masked field.

The table is written out by hand from product.md and issue 10 ("police the child's
identity, address and the mandatory report, not visit notes; education school data and
attendance; health and the women's federation what their interventions need; auditors
history with ID and phone numbers masked"), never computed from shared/field_views.py,
so the two can disagree. V: shown as stored; M: masked (`3601**********1233`); A: absent
(the key is not in the answer at all).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.bootstrap import CaseService
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import (
    GUARDIAN_CHANGE,
    INTERVENTION,
    VISIT,
    caught_up,
    identify_body,
    json_of,
    login,
)

ID_NUMBER = "360124201503021233"
V, M, A = "V", "M", "A"
ROLES = ("director", "supervisor", "civil", "education", "police", "health", "womens", "auditor")

# fmt: off
#                                           dir sup civ edu pol hea wom aud
CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "id":                                  (V,  V,  V,  V,  V,  V,  V,  V),
    "status":                              (V,  V,  V,  V,  V,  V,  V,  V),
    "jurisdiction":                        (V,  V,  V,  V,  V,  V,  V,  V),
    "has_mandatory_report":                (V,  V,  V,  V,  V,  V,  V,  V),
    "child.name":                          (V,  V,  V,  V,  V,  V,  V,  V),
    "child.sex":                           (V,  V,  V,  V,  V,  V,  V,  V),
    "child.birth_date":                    (V,  V,  V,  V,  V,  V,  V,  V),
    "sixteenth_birthday":                  (V,  V,  V,  V,  V,  V,  V,  V),
    "child.id_number":                     (V,  V,  V,  A,  V,  A,  A,  M),
    "child.hukou_registered":              (V,  V,  V,  A,  V,  A,  A,  V),
    "child.school":                        (V,  V,  V,  V,  A,  A,  A,  V),
    "child.health":                        (V,  V,  V,  A,  A,  V,  A,  V),
    "child.disability":                    (V,  V,  V,  A,  A,  V,  A,  V),
    "address":                             (V,  V,  V,  A,  V,  V,  V,  V),
    "parents.0.status":                    (V,  V,  V,  A,  A,  A,  V,  V),
    "parents.0.work_location":             (V,  V,  V,  A,  A,  A,  V,  V),
    "parents.0.phone":                     (V,  V,  V,  A,  A,  A,  V,  M),
    "guardian.name":                       (V,  V,  V,  A,  A,  V,  V,  V),
    "guardian.phone":                      (V,  V,  V,  A,  A,  V,  V,  M),
    "guardian_type":                       (V,  V,  V,  A,  A,  V,  V,  V),
    "entrustment_signed":                  (V,  V,  V,  A,  A,  A,  V,  V),
    "source":                              (V,  V,  V,  A,  A,  A,  A,  V),
    "risk_level":                          (V,  V,  V,  A,  A,  A,  A,  V),
    "next_visit_due":                      (V,  V,  V,  V,  A,  A,  A,  V),
    "last_visit_on":                       (V,  V,  V,  V,  A,  A,  A,  V),
    "assigned_to":                         (V,  V,  V,  A,  A,  A,  A,  V),
    "school_status":                       (V,  V,  V,  V,  A,  A,  A,  V),
    "recent_visits.0.visited_on":          (V,  V,  V,  V,  A,  V,  V,  V),
    "recent_visits.0.notes":               (V,  V,  V,  A,  A,  A,  A,  V),
    "recent_visits.0.school_attendance":   (V,  V,  V,  V,  A,  A,  A,  V),
    "recent_visits.0.emotional_state":     (V,  V,  V,  A,  A,  V,  V,  V),
    "recent_visits.0.living_conditions":   (V,  V,  V,  A,  A,  A,  V,  V),
    "recent_visits.0.safety_concerns":     (V,  V,  V,  A,  A,  A,  A,  V),
}
# Which interventions each role sees, by department (the police: also every mandatory
# report, whoever answers for it).
INTERVENTIONS: dict[str, set[str]] = {
    "director":   {"civil_affairs", "education", "police", "health"},
    "supervisor": {"civil_affairs", "education", "police", "health"},
    "civil":      {"civil_affairs", "education", "police", "health"},
    "education":  {"education"},
    "police":     {"police"},
    "health":     {"health"},
    "womens":     set(),
    "auditor":    {"civil_affairs", "education", "police", "health"},
}
# The corrections a role sees (the one of the guardian's phone), and how.
CORRECTION: dict[str, str] = {
    "director": V, "supervisor": V, "civil": V, "education": A,
    "police": A, "health": V, "womens": V, "auditor": M,
}
# In the history: a key of an event's data, by role.
#                                           dir sup civ edu pol hea wom aud
HISTORY_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("identified", "record.child.name"):        (V,  V,  V,  V,  V,  V,  V,  V),
    ("identified", "record.child.id_number"):   (V,  V,  V,  A,  V,  A,  A,  M),
    ("identified", "record.parents.0.phone"):   (V,  V,  V,  A,  A,  A,  V,  M),
    ("identified", "record.source"):            (V,  V,  V,  A,  A,  A,  A,  V),
    ("visited", "visit.notes"):                 (V,  V,  V,  A,  A,  A,  A,  V),
    ("visited", "visit.school_attendance"):     (V,  V,  V,  V,  A,  A,  A,  V),
    ("visited", "risk_level_after"):            (V,  V,  V,  A,  A,  A,  A,  V),
    ("guardian_changed", "guardian.name"):      (V,  V,  V,  A,  A,  V,  V,  V),
    ("guardian_changed", "reason"):             (V,  V,  V,  A,  A,  V,  V,  V),
}
# A row of the case list and of a worklist.
#                                           dir sup civ edu pol hea wom aud
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "child.name":                          (V,  V,  V,  V,  V,  V,  V,  V),
    "guardian_type":                       (V,  V,  V,  A,  A,  V,  V,  V),
    "risk_level":                          (V,  V,  V,  A,  A,  A,  A,  V),
    "school_status":                       (V,  V,  V,  V,  A,  A,  A,  V),
    "next_visit_due":                      (V,  V,  V,  V,  A,  A,  A,  V),
    "has_mandatory_report":                (V,  V,  V,  V,  V,  V,  V,  V),
}
# fmt: on

MASKED = {
    "child.id_number": "3601**********1233",
    "parents.0.phone": "1380***8000",
    "guardian.phone": "1390***9000",
}
_MISSING = object()


def at(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if int(part) < len(node) else _MISSING
        elif isinstance(node, dict):
            node = node.get(part, _MISSING)
        if node is _MISSING:
            return _MISSING
    return node


def expect(table: dict[Any, tuple[str, ...]], role: str) -> dict[Any, str]:
    return {key: marks[ROLES.index(role)] for key, marks in table.items()}


def check(seen: Any, whole: Any, path: str, mark: str, masked: str | None = None) -> None:
    value, full = at(seen, path), at(whole, path)
    assert full is not _MISSING and full is not None, f"the fixture lacks {path}"
    if mark == V:
        assert value == full, path
    elif mark == A:
        assert value is _MISSING, f"{path} should be absent, is {value!r}"
    else:
        assert masked is not None and value == masked, path
        assert value != full


@pytest.fixture
def service(sqlite_settings: Settings) -> Iterator[CaseService]:
    svc = make_service(sqlite_settings)
    yield svc
    svc.close()


@pytest.fixture
def client(sqlite_settings: Settings, service: CaseService) -> FlaskClient:
    return create_app(sqlite_settings, case_service=service).test_client()


@pytest.fixture
def case_url(client: FlaskClient, service: CaseService) -> str:
    """A case with every field filled: ID number, health, a visit, a guardian change,
    a corrected phone and interventions of four departments (one a mandatory report)."""
    civil = login(client, "civil")
    body = identify_body()
    body["child"] = body["child"] | {"id_number": ID_NUMBER, "health": "哮喘", "disability": "无"}
    response = client.post("/api/v1/cases", json=body, headers=civil)
    url = response.headers["Location"]
    client.post(f"{url}/visits", json=VISIT, headers=civil)
    client.post(f"{url}/assignment", json={"assignee": "director"}, headers=civil)
    client.post(f"{url}/guardian-changes", json=GUARDIAN_CHANGE, headers=civil)
    correction = {"field": "guardian.phone", "value": "13900139000", "reason": "新号码"}
    assert client.post(f"{url}/corrections", json=correction, headers=civil).status_code == 200
    for department, kind in (
        ("civil_affairs", "psychological_support"),
        ("education", "dropout_prevention"),
        ("police", "mandatory_report"),
        ("health", "health_protection"),
    ):
        opened = INTERVENTION | {"department": department, "kind": kind}
        assert client.post(f"{url}/interventions", json=opened, headers=civil).status_code == 201
    caught_up(service)
    return str(url)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_the_fields_of_a_case_its_work_needs(
    client: FlaskClient, case_url: str, role: str
) -> None:
    whole = json_of(client.get(case_url, headers=login(client, "civil")))
    seen = json_of(client.get(case_url, headers=login(client, role)))
    for path, mark in expect(CASE_FIELDS, role).items():
        check(seen, whole, path, mark, MASKED.get(path))
    departments = {i["department"] for i in seen.get("interventions", [])}
    assert departments == INTERVENTIONS[role]
    corrections = [c for c in seen.get("corrections", []) if c["field"] == "guardian.phone"]
    if CORRECTION[role] == A:
        assert corrections == []
    else:
        masked = CORRECTION[role] == M
        assert corrections[0]["new_value"] == ("1390***9000" if masked else "13900139000")


@pytest.mark.parametrize("role", ROLES)
def test_the_history_shows_each_role_only_its_fields(
    client: FlaskClient, case_url: str, role: str
) -> None:
    whole = json_of(client.get(f"{case_url}/history", headers=login(client, "civil")))["events"]
    seen = json_of(client.get(f"{case_url}/history", headers=login(client, role)))["events"]
    assert [e["type"] for e in seen] == [e["type"] for e in whole]  # what happened, when
    of = {e["type"]: e["data"] for e in seen}
    full = {e["type"]: e["data"] for e in whole}
    for (kind, path), mark in expect(HISTORY_FIELDS, role).items():
        masked = MASKED.get(path.removeprefix("record."))
        check(of[kind], full[kind], path, mark, masked)
    opened = {e["data"].get("intervention", {}).get("department") for e in seen}
    assert opened - {None} == INTERVENTIONS[role]


@pytest.mark.parametrize("role", ROLES)
def test_list_and_worklist_rows_show_each_role_only_its_fields(
    client: FlaskClient, case_url: str, role: str
) -> None:
    whole = json_of(client.get("/api/v1/cases", headers=login(client, "civil")))["items"][0]
    seen = json_of(client.get("/api/v1/cases", headers=login(client, role)))["items"][0]
    for path, mark in expect(ROW_FIELDS, role).items():
        check(seen, whole, path, mark)
    reports = json_of(
        client.get("/api/v1/worklists/mandatory-reports", headers=login(client, role))
    )["items"][0]
    full = json_of(
        client.get("/api/v1/worklists/mandatory-reports", headers=login(client, "civil"))
    )["items"][0]
    for path, mark in expect(ROW_FIELDS, role).items():
        check(reports["case"], full["case"], path, mark)
    # The report itself only to those who see the police's interventions.
    if "police" in INTERVENTIONS[role]:
        assert reports["intervention"]["kind"] == "mandatory_report"
    else:
        assert reports["intervention"] is None


@pytest.mark.parametrize(
    ("role", "query", "allowed"),
    [
        ("education", "risk_level=high", False),
        ("education", "guardian_type=none", False),
        ("education", "overdue=true", True),  # it records school visits
        ("womens", "overdue=true", False),
        ("education", "q=王小明", True),
        ("education", f"q={ID_NUMBER}", False),
        ("auditor", f"q={ID_NUMBER}", False),
        ("police", f"q={ID_NUMBER}", True),
        ("civil", f"q={ID_NUMBER}", True),
        ("health", "guardian_type=none", True),
    ],
)
def test_nobody_filters_or_searches_by_a_field_they_may_not_see(
    client: FlaskClient, case_url: str, role: str, query: str, allowed: bool
) -> None:
    response = client.get(f"/api/v1/cases?{query}", headers=login(client, role))
    assert response.status_code == (200 if allowed else 403), response.json


@pytest.mark.parametrize(
    ("role", "worklist", "status"),
    [
        ("education", "no-guardian", 403),
        ("education", "overdue-visits", 200),
        ("health", "no-guardian", 200),
        ("womens", "overdue-visits", 403),
        ("auditor", "overdue-visits", 200),
    ],
)
def test_a_worklist_drawn_from_a_hidden_field_is_refused(
    client: FlaskClient, case_url: str, role: str, worklist: str, status: int
) -> None:
    response = client.get(f"/api/v1/worklists/{worklist}", headers=login(client, role))
    assert response.status_code == status


def test_a_write_answers_with_the_case_as_the_writer_may_see_it(
    client: FlaskClient, case_url: str
) -> None:
    # The education bureau records a school change on a case it may see: the answer
    # holds the school, not the parents' phones or the visits' notes.
    change = {"change": "enrolled", "changed_on": "2026-11-03", "school_name": "一中"}
    education = login(client, "education")
    response = client.post(f"{case_url}/school-changes", json=change, headers=education)
    body = json_of(response)
    assert response.status_code == 200, body
    assert "parents" not in body and "guardian" not in body
    assert "school" in body["child"] and "id_number" not in body["child"]


# ---- an auditor's reasoned read of one masked field ---------------------------------------


def test_an_auditor_reads_one_masked_field_in_clear_with_a_reason_that_is_logged(
    client: FlaskClient, case_url: str
) -> None:
    auditor = login(client, "auditor")
    response = client.get(f"{case_url}/fields/child.id_number?reason=核查重复登记", headers=auditor)
    assert response.status_code == 200, response.json
    assert json_of(response)["value"] == ID_NUMBER
    phone = client.get(f"{case_url}/fields/parents.0.phone?reason=联系家长", headers=auditor)
    assert json_of(phone)["value"] == "13800138000"
    case_id = case_url.rsplit("/", 1)[1]
    log = json_of(client.get(f"/api/v1/audit/access-log?case_id={case_id}", headers=auditor))
    purposes = [e["purpose"] for e in log]
    assert "reveal child.id_number: 核查重复登记" in purposes
    assert "reveal parents.0.phone: 联系家长" in purposes


@pytest.mark.parametrize(
    ("who", "path", "status", "field"),
    [
        ("auditor", "child.id_number", 422, "reason"),  # no reason
        ("auditor", "child.id_number?reason=%20%20", 422, "reason"),  # a blank one
        ("auditor", "child.name?reason=x", 422, "field"),  # not masked: read the case
        ("auditor", "parents.7.phone?reason=x", 404, None),  # no such parent
        ("civil", "child.id_number?reason=x", 403, None),  # not an auditor: reads it anyway
        ("education", "child.id_number?reason=x", 403, None),
        ("admin", "child.id_number?reason=x", 403, None),
    ],
)
def test_an_unmasked_read_needs_an_auditor_a_masked_field_and_a_reason(
    client: FlaskClient, case_url: str, who: str, path: str, status: int, field: str | None
) -> None:
    headers = login(client, who)
    case_id = case_url.rsplit("/", 1)[1]
    before = len(json_of(client.get("/api/v1/audit/access-log", headers=login(client, "auditor"))))
    response = client.get(f"{case_url}/fields/{path}", headers=headers)
    assert response.status_code == status, response.json
    if field:
        assert field in json_of(response)["errors"]
    after = json_of(client.get("/api/v1/audit/access-log", headers=login(client, "auditor")))
    assert len(after) == before  # a refused read is not logged as read
    assert not any(e["purpose"].startswith("reveal") for e in after if e["case_id"] == case_id)
