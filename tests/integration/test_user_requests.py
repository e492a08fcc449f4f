"""An admin sees no case data and may not grant herself (or anyone) an account that does:
such an account is a request until a second person, a civil-affairs user whose scope holds
the requested one, approves it. Every step is an event on the request."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.domain.user_request import SelfApprovalError, UserRequest
from services.cases.relay.entries import EntryMapper
from shared.roles import Role
from tests.support import PASSWORD, login

USERS = "/api/v1/admin/users"
REQUESTS = "/api/v1/admin/user-requests"
# The admin (city scope 3601) asks for a civil-affairs account over the city for herself.
SELF_GRANT = {
    "username": "admin.ca",
    "password": "a long enough password",
    "role": "civil_affairs",
    "scope": "3601",
}


def _request(client: FlaskClient, body: dict[str, Any] = SELF_GRANT) -> str:
    response = client.post(USERS, json=body, headers=login(client, "admin"))
    assert response.status_code == 202, response.json
    assert response.json["status"] == "pending"  # type: ignore[index]
    assert response.headers["Location"] == f"{REQUESTS}/{response.json['id']}"  # type: ignore[index]
    return str(response.json["id"])  # type: ignore[index]


def _can_log_in(client: FlaskClient, username: str, password: str) -> bool:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return response.status_code == 201


def _events(service: CaseService, request_id: str) -> list[str]:
    stored = service.cases.events.get(UUID(request_id))
    return [type(e).__name__ for e in stored]


def test_an_admin_s_self_granted_account_cannot_log_in_until_someone_else_approves(
    client: FlaskClient, service: CaseService
) -> None:
    # given the admin's request for a city-wide civil-affairs account
    request_id = _request(client)

    # then the account does not exist yet: no login, as for an unknown name
    assert not _can_log_in(client, "admin.ca", SELF_GRANT["password"])

    # when the city's civil-affairs user approves it
    approved = client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, "civil_city"))

    # then the account logs in, and each step is an event on the request
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"  # type: ignore[index]
    assert approved.json["decided_by"] == "civil_city"  # type: ignore[index]
    assert approved.json["requested_by"] == "admin"  # type: ignore[index]
    assert _can_log_in(client, "admin.ca", SELF_GRANT["password"])
    assert _events(service, request_id) == ["Requested", "Approved"]
    user = service.accounts.get("admin.ca")
    assert (user.role, user.scope) == ("civil_affairs", "3601")


def test_no_admin_may_approve_a_request_not_even_another_admin(
    client: FlaskClient, service: CaseService
) -> None:
    request_id = _request(client)
    service.accounts.register(
        None, username="admin2", role=Role.ADMIN, scope="3601", password=PASSWORD
    )
    before = _events(service, request_id)

    for admin in ("admin", "admin2"):
        refused = client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, admin))
        assert refused.status_code == 403, refused.json

    assert _events(service, request_id) == before == ["Requested"]
    assert not _can_log_in(client, "admin.ca", SELF_GRANT["password"])


def test_a_requester_may_not_approve_her_own_request(service: CaseService) -> None:
    # given a request made by a civil-affairs user who also holds the admin's capability
    # (the domain rule stands whatever the roles: the one who asked never decides)
    request = UserRequest(
        username="someone",
        role="police",
        scope="360124",
        display_name="someone",
        password_hash="x",
        email=None,
        actor={"username": "civil_city", "role": "admin", "request_id": "r"},
    )
    service.cases.save(request)
    lead = Actor("civil_city", Role.CIVIL_AFFAIRS, "3601", "r2")

    with pytest.raises(SelfApprovalError):
        service.accounts.approve(lead, request.id)
    with pytest.raises(SelfApprovalError):
        service.accounts.reject(lead, request.id)

    assert _events(service, str(request.id)) == ["Requested"]


def test_civil_affairs_outside_the_requested_scope_cannot_see_the_request(
    client: FlaskClient, service: CaseService
) -> None:
    # the request is city-wide: a county's civil affairs sits below it, another county's
    # beside it; neither holds it
    request_id = _request(client)
    for outsider in ("civil", "civil_elsewhere"):
        refused = client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, outsider))
        assert refused.status_code == 404, refused.json
    assert _events(service, request_id) == ["Requested"]


def test_other_roles_may_not_decide_and_a_decided_request_stays_decided(
    client: FlaskClient, service: CaseService
) -> None:
    request_id = _request(client, {**SELF_GRANT, "username": "new.director", "scope": "360124"})
    for role_user in ("director", "supervisor", "auditor", "police"):
        refused = client.post(f"{REQUESTS}/{request_id}/reject", headers=login(client, role_user))
        assert refused.status_code == 403, refused.json

    rejected = client.post(f"{REQUESTS}/{request_id}/reject", headers=login(client, "civil"))
    assert rejected.status_code == 200 and rejected.json["status"] == "rejected"  # type: ignore[index]
    again = client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, "civil_city"))
    assert again.status_code == 409, again.json
    assert _events(service, request_id) == ["Requested", "Rejected"]
    assert not _can_log_in(client, "new.director", SELF_GRANT["password"])


def test_an_auditor_account_needs_approval_too_and_an_admin_account_does_not(
    client: FlaskClient,
) -> None:
    admin = login(client, "admin")
    auditor = client.post(
        USERS, json={**SELF_GRANT, "username": "aud2", "role": "auditor"}, headers=admin
    )
    assert auditor.status_code == 202, auditor.json
    other_admin = client.post(
        USERS, json={**SELF_GRANT, "username": "adm2", "role": "admin"}, headers=admin
    )
    assert other_admin.status_code == 201, other_admin.json
    assert _can_log_in(client, "adm2", SELF_GRANT["password"])


def test_a_request_for_a_taken_username_is_refused(client: FlaskClient) -> None:
    taken = client.post(
        USERS, json={**SELF_GRANT, "username": "civil"}, headers=login(client, "admin")
    )
    assert taken.status_code == 409, taken.json


def test_an_unknown_or_malformed_request_id_is_a_404(client: FlaskClient) -> None:
    lead = login(client, "civil_city")
    assert client.post(f"{REQUESTS}/{'0' * 32}/approve", headers=lead).status_code == 404
    assert client.post(f"{REQUESTS}/not-an-id/approve", headers=lead).status_code == 404


def test_the_stream_learns_of_the_user_only_once_approved(
    client: FlaskClient, service: CaseService
) -> None:
    request_id = _request(client)
    client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, "civil_city"))
    mapper = EntryMapper(lambda _: "admin.ca")
    recorder: Any = service.cases.recorder
    entries = [
        mapper.to_entry(n.id, service.cases.mapper.to_domain_event(n))
        for n in recorder.select_notifications(None, 10_000)
    ]
    types = [
        e["type"]
        for e in entries
        if e["aggregate_id"] in (request_id, str(service.accounts.get("admin.ca").id))
    ]
    assert types == ["user_request.recorded", "user_request.recorded", "user.registered"]
    assert all(e["payload"] == "{}" for e in entries if e["type"] == "user_request.recorded")


def test_the_admin_s_list_shows_the_user_only_once_approved(client: FlaskClient) -> None:
    # the read models step over the request's events; the user appears with her registration
    admin = login(client, "admin")
    request_id = _request(client)
    names = [u["username"] for u in client.get(USERS, headers=admin).json]  # type: ignore[union-attr]
    assert "admin.ca" not in names
    client.post(f"{REQUESTS}/{request_id}/approve", headers=login(client, "civil_city"))
    names = [u["username"] for u in client.get(USERS, headers=admin).json]  # type: ignore[union-attr]
    assert "admin.ca" in names
