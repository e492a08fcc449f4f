"""`GET /api/v1/audit/verify` (issue 9): auditors only, inside their scope; a clean store
answers ok, a tampered case is named by id, version and problem."""

from __future__ import annotations

from flask.testing import FlaskClient

from services.cases.audit.links import CHAIN
from services.cases.bootstrap import CaseService
from tests.support import IDENTIFY, VILLAGE, json_of, login


def new_case(client: FlaskClient) -> str:
    response = client.post("/api/v1/cases", json=IDENTIFY, headers=login(client, "civil"))
    assert response.status_code == 201, response.json
    return str(json_of(response)["id"])


def test_an_auditor_verifies_their_scope(client: FlaskClient) -> None:
    new_case(client)
    auditor = login(client, "auditor")

    whole = client.get("/api/v1/audit/verify", headers=auditor)
    village = client.get("/api/v1/audit/verify", query_string={"scope": VILLAGE}, headers=auditor)

    assert whole.status_code == 200, whole.json
    assert json_of(whole)["ok"] is True
    assert json_of(whole)["scope"] == "3601"  # the auditor's own
    assert json_of(whole)["aggregates"] == 1
    assert json_of(village)["ok"] is True
    assert "all verified" in json_of(village)["summary"]


def test_a_tampered_case_is_named(client: FlaskClient, service: CaseService) -> None:
    case_id = new_case(client)
    db = service.tables
    db.execute(
        f"UPDATE {db.table(CHAIN)} SET document = REPLACE(document, '\"v\":1', '\"v\":2') "
        "WHERE originator_id = ?",
        [(case_id,)],
    )

    response = client.get("/api/v1/audit/verify", headers=login(client, "auditor"))

    body = json_of(response)
    assert body["ok"] is False
    assert [(f["aggregate"], f["version"], f["problem"]) for f in body["cases"]] == [
        (case_id, 1, "changed")
    ]


def test_only_auditors_inside_their_scope_may_verify(client: FlaskClient) -> None:
    auditor = login(client, "auditor")  # scope 3601
    outside = client.get("/api/v1/audit/verify", query_string={"scope": "3602"}, headers=auditor)
    wider = client.get("/api/v1/audit/verify", query_string={"scope": "36"}, headers=auditor)
    director = client.get("/api/v1/audit/verify", headers=login(client, "civil"))
    bad = client.get("/api/v1/audit/verify", query_string={"scope": "南昌"}, headers=auditor)

    assert (outside.status_code, wider.status_code, director.status_code) == (403, 403, 403)
    assert bad.status_code == 422
    assert "scope" in str(bad.json)
