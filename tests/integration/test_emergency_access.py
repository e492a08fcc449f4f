"""Break-the-glass: a user opens a case outside her scope in an emergency, with a reason.
The access lasts `emergency_access_hours`, reads under it are marked in the access log,
it lets her read and nothing else, and it ends on time (the clock is the project's)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from services.cases.api import create_app
from services.cases.bootstrap import CaseService
from shared.roles import Role
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import PASSWORD, VISIT, FixedClock, identify_body, json_of, login

REASON = {"reason": "孩子走失，家属在我县求助，需核实监护人"}


@pytest.fixture
def service(sqlite_settings: Settings) -> Iterator[CaseService]:
    svc = make_service(replace(sqlite_settings, emergency_access_hours=3))
    svc.accounts.register(
        None, username="education_elsewhere", role=Role.EDUCATION, scope="360121", password=PASSWORD
    )
    yield svc
    svc.close()


@pytest.fixture
def client(sqlite_settings: Settings, service: CaseService) -> FlaskClient:
    return create_app(sqlite_settings, case_service=service).test_client()


@pytest.fixture
def case_url(client: FlaskClient) -> str:
    """A case in 进贤县, which `civil_elsewhere` (南昌县) may not see."""
    response = client.post("/api/v1/cases", json=identify_body(), headers=login(client, "civil"))
    assert response.status_code == 201
    return str(response.headers["Location"])


def events(service: CaseService) -> int:
    return service.cases.recorder.max_notification_id() or 0


def access_log(client: FlaskClient, case_url: str) -> list[dict[str, str]]:
    case_id = case_url.rsplit("/", 1)[1]
    response = client.get(
        f"/api/v1/audit/access-log?case_id={case_id}", headers=login(client, "auditor")
    )
    return list(json_of(response))


def test_granted_used_and_logged_as_emergency(
    client: FlaskClient, service: CaseService, case_url: str
) -> None:
    elsewhere = login(client, "civil_elsewhere")
    assert client.get(case_url, headers=elsewhere).status_code == 404  # out of scope

    response = client.post(f"{case_url}/emergency-access", json=REASON, headers=elsewhere)

    assert response.status_code == 201, response.json
    body = json_of(response)
    now = service.cases.clock.now()
    assert body["username"] == "civil_elsewhere"
    assert body["expires_at"] == (now + timedelta(hours=3)).isoformat()  # the setting
    read = client.get(case_url, headers=elsewhere)
    assert read.status_code == 200 and json_of(read)["child"]["name"] == "王小明"
    assert client.get(f"{case_url}/history", headers=elsewhere).status_code == 200
    # the case as it stood before the grant, read under it, is an emergency read too
    assert client.get(f"{case_url}?version=1", headers=elsewhere).status_code == 200
    mine = [e for e in access_log(client, case_url) if e["username"] == "civil_elsewhere"]
    assert len(mine) == 3 and all(e["purpose"].startswith("emergency: ") for e in mine)
    # The grant is in the case's history: who, why and until when (for case workers and
    # auditors), and the in-scope reads stay unmarked.
    history = json_of(client.get(f"{case_url}/history", headers=login(client, "civil")))
    grant = history["events"][-1]
    assert grant["type"] == "emergency_access_granted"
    assert grant["data"]["reason"] == REASON["reason"]
    assert grant["actor"]["username"] == "civil_elsewhere"
    theirs = [e for e in access_log(client, case_url) if e["username"] == "civil"]
    assert theirs and not any(e["purpose"].startswith("emergency") for e in theirs)


def test_the_grant_lets_her_read_and_nothing_else(client: FlaskClient, case_url: str) -> None:
    elsewhere = login(client, "civil_elsewhere")
    client.post(f"{case_url}/emergency-access", json=REASON, headers=elsewhere)
    assert client.post(f"{case_url}/visits", json=VISIT, headers=elsewhere).status_code == 404
    others = login(client, "education_elsewhere")
    assert client.get(case_url, headers=others).status_code == 404  # hers alone


def test_the_grant_expires(client: FlaskClient, service: CaseService, case_url: str) -> None:
    elsewhere = login(client, "civil_elsewhere")
    client.post(f"{case_url}/emergency-access", json=REASON, headers=elsewhere)
    assert client.get(case_url, headers=elsewhere).status_code == 200
    clock = service.cases.clock
    assert isinstance(clock, FixedClock)
    clock.day += timedelta(days=1)  # 24 hours later: past the 3 hours granted
    elsewhere = login(client, "civil_elsewhere")
    assert client.get(case_url, headers=elsewhere).status_code == 404
    assert client.get(f"{case_url}/history", headers=elsewhere).status_code == 404


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_a_reason_is_required(
    client: FlaskClient, service: CaseService, case_url: str, body: dict[str, object]
) -> None:
    before = events(service)
    response = client.post(
        f"{case_url}/emergency-access", json=body, headers=login(client, "civil_elsewhere")
    )
    assert response.status_code == 422
    assert "reason" in json_of(response)["errors"]
    assert events(service) == before


def test_not_for_admins_who_read_no_case_data(
    client: FlaskClient, service: CaseService, case_url: str
) -> None:
    before = events(service)
    response = client.post(
        f"{case_url}/emergency-access", json=REASON, headers=login(client, "admin")
    )
    assert response.status_code == 403
    assert events(service) == before


def test_not_for_a_case_already_in_view_nor_an_unknown_one(
    client: FlaskClient, service: CaseService, case_url: str
) -> None:
    before = events(service)
    mine = client.post(f"{case_url}/emergency-access", json=REASON, headers=login(client, "civil"))
    assert mine.status_code == 422 and "case_id" in json_of(mine)["errors"]
    unknown = client.post(
        "/api/v1/cases/00000000-0000-4000-8000-000000000000/emergency-access",
        json=REASON,
        headers=login(client, "civil_elsewhere"),
    )
    assert unknown.status_code == 404
    assert events(service) == before


def test_a_department_under_the_grant_still_sees_only_its_fields(
    client: FlaskClient, case_url: str
) -> None:
    education = login(client, "education_elsewhere")
    client.post(f"{case_url}/emergency-access", json=REASON, headers=education)
    body = json_of(client.get(case_url, headers=education))
    assert body["child"]["name"] == "王小明"
    assert "parents" not in body and "guardian" not in body
