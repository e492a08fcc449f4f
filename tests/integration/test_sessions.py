"""A login is a session: a short access token that every request carries, and a refresh
token that only buys new access tokens, checked against the user each time (logged out,
disabled or password changed → refused). Both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.support import PASSWORD, json_of

CASES = "/api/v1/cases"


def _login(client: FlaskClient, username: str = "civil") -> dict[str, Any]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return json_of(response)  # type: ignore[no-any-return]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refresh(client: FlaskClient, refresh_token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


def test_a_login_answers_a_short_access_token_and_a_refresh_token(client: FlaskClient) -> None:
    session = _login(client)
    assert session["expires_in"] == 300
    expires_at = datetime.fromisoformat(session["expires_at"])
    assert timedelta(0) < expires_at - datetime.now(UTC) <= timedelta(seconds=300)
    refresh_expires_at = datetime.fromisoformat(session["refresh_expires_at"])
    assert refresh_expires_at - datetime.now(UTC) > timedelta(hours=7)
    assert session["user"]["username"] == "civil"
    assert client.get(CASES, headers=_bearer(session["token"])).status_code == 200


def test_a_refresh_token_buys_a_new_access_token_of_the_same_session(client: FlaskClient) -> None:
    session = _login(client)
    # when
    refreshed = _refresh(client, session["refresh_token"])
    # then
    assert refreshed.status_code == 200, refreshed.json
    body = json_of(refreshed)
    assert body["token"] != session["token"]
    assert body["refresh_token"] == session["refresh_token"]
    assert body["expires_in"] == 300 and body["user"]["username"] == "civil"
    assert client.get(CASES, headers=_bearer(body["token"])).status_code == 200
    first = json_of(client.get("/api/v1/auth/token", headers=_bearer(session["token"])))
    second = json_of(client.get("/api/v1/auth/token", headers=_bearer(body["token"])))
    assert first["session_id"] == second["session_id"]


def test_the_two_kinds_of_token_do_not_stand_in_for_each_other(client: FlaskClient) -> None:
    session = _login(client)
    assert client.get(CASES, headers=_bearer(session["refresh_token"])).status_code == 401
    refused = _refresh(client, session["token"])
    assert refused.status_code == 401
    assert json_of(refused)["detail"] == "the token is not a refresh token"


def test_logging_out_ends_the_session_its_refresh_token_and_every_access_token_of_it(
    client: FlaskClient,
) -> None:
    # given
    session = _login(client)
    other = _login(client)
    refreshed = json_of(_refresh(client, session["refresh_token"]))["token"]
    # when
    assert client.delete("/api/v1/auth/token", headers=_bearer(session["token"])).status_code == 204
    # then
    assert _refresh(client, session["refresh_token"]).status_code == 401
    assert client.get(CASES, headers=_bearer(refreshed)).status_code == 401
    assert client.get(CASES, headers=_bearer(session["token"])).status_code == 401
    assert _refresh(client, other["refresh_token"]).status_code == 200


def test_a_disabled_user_cannot_refresh(client: FlaskClient) -> None:
    session = _login(client, "police")
    admin = _bearer(_login(client, "admin")["token"])
    assert client.post("/api/v1/admin/users/police/disable", headers=admin).status_code == 200
    refused = _refresh(client, session["refresh_token"])
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"


def test_a_changed_password_ends_the_sessions_opened_under_the_old_one(
    client: FlaskClient, service: CaseService
) -> None:
    # given
    session = _login(client)
    # when
    user = service.accounts.get("civil")
    user.rehash_password(service.accounts.hasher.hash("a-new-password"), actor={"username": "x"})
    service.cases.save(user)
    # then
    assert _refresh(client, session["refresh_token"]).status_code == 401
    assert client.get(CASES, headers=_bearer(session["token"])).status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [({}, "refresh_token"), ({"refresh_token": ""}, "refresh_token"), ({"x": 1}, "x")],
)
def test_a_malformed_refresh_request_is_422_with_the_field(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/auth/refresh", json=body)
    assert response.status_code == 422
    assert field in json_of(response)["errors"]


def test_a_forged_refresh_token_is_401(client: FlaskClient) -> None:
    assert _refresh(client, "not.a.jwt").status_code == 401


def test_the_device_key_is_the_same_at_every_login_of_a_user_and_hers_alone(
    client: FlaskClient,
) -> None:
    first, second = _login(client), _login(client)
    refreshed = json_of(_refresh(client, first["refresh_token"]))
    assert len(first["device_key"]) == 43  # 256 bits, base64url
    assert first["device_key"] == second["device_key"] == refreshed["device_key"]
    assert _login(client, "police")["device_key"] != first["device_key"]
