"""The inbox API of the notify service: the case service's bearer tokens, checked against
notify's own directory; each user sees and marks only their own notifications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask.testing import FlaskClient

from services.notify.api import create_app
from services.notify.bootstrap import NotifyService
from shared.tokens import issue_token
from tests.integration.notify_support import (
    TOKEN_SECRET,
    Publisher,
    TrustedTokens,
    consumer,
    drain,
    new_case_id,
)


@pytest.fixture
def client(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> Iterator[FlaskClient]:
    """The inbox API over a directory of staff and three alarms: supervisor and civil get
    three notifications each, police one (the mandatory report)."""
    publisher.staff()
    for _ in range(2):
        publisher.identify(new_case_id(), guardian_type="none")
    publisher.intervention(new_case_id(), "i-1", kind="mandatory_report")
    publisher.identify(new_case_id(), guardian_type="none")
    drain(consumer(notify, redis_client, publisher.stream))
    yield create_app(notify.settings, notify=notify, tokens=TrustedTokens()).test_client()


def _auth(username: str, now: datetime | None = None) -> dict[str, str]:
    token = issue_token(TOKEN_SECRET, username, 3600, now).token
    return {"Authorization": f"Bearer {token}"}


def _sync(notify: NotifyService, redis_client: redis.Redis, publisher: Publisher) -> None:
    drain(consumer(notify, redis_client, publisher.stream))


def test_the_inbox_lists_the_callers_notifications_newest_first(client: FlaskClient) -> None:
    response = client.get("/api/v1/notifications", headers=_auth("civil"))
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert [n["kind"] for n in body["items"]] == [
        "no_guardian",
        "mandatory_report",
        "no_guardian",
        "no_guardian",
    ]
    ids = [n["id"] for n in body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert (body["total"], body["unread"], body["page"], body["per_page"]) == (4, 4, 1, 20)
    first = body["items"][0]
    assert first["read"] is False and first["read_at"] is None
    assert first["case_url"] == f"/api/v1/cases/{first['case_id']}"
    assert first["page_url"] == f"/dashboard/#/cases/{first['case_id']}"


def test_nobody_sees_anothers_notifications(client: FlaskClient) -> None:
    police = client.get("/api/v1/notifications", headers=_auth("police")).json
    education = client.get("/api/v1/notifications", headers=_auth("education")).json
    assert police is not None and education is not None
    assert [n["kind"] for n in police["items"]] == ["mandatory_report"]
    assert education["items"] == [] and education["total"] == 0


def test_marking_read_changes_the_unread_filter_and_keeps_the_first_reading_time(
    client: FlaskClient, clock: object
) -> None:
    headers = _auth("supervisor")
    items = client.get("/api/v1/notifications", headers=headers).json["items"]  # type: ignore[index]
    marked = client.post(f"/api/v1/notifications/{items[1]['id']}/read", headers=headers)
    assert marked.status_code == 200
    assert marked.json["read"] is True and marked.json["read_at"]  # type: ignore[index]
    again = client.post(f"/api/v1/notifications/{items[1]['id']}/read", headers=headers)
    assert again.json["read_at"] == marked.json["read_at"]  # type: ignore[index]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json
    assert unread is not None
    assert [n["id"] for n in unread["items"]] == [items[0]["id"], items[2]["id"]]
    assert (unread["total"], unread["unread"]) == (2, 2)
    everything = client.get("/api/v1/notifications", headers=headers).json
    assert everything is not None and (everything["total"], everything["unread"]) == (3, 2)


def test_marking_someone_elses_notification_is_not_found_and_changes_nothing(
    client: FlaskClient,
) -> None:
    theirs = client.get("/api/v1/notifications", headers=_auth("police")).json["items"][0]  # type: ignore[index]
    response = client.post(f"/api/v1/notifications/{theirs['id']}/read", headers=_auth("civil"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404  # type: ignore[index]
    still = client.get("/api/v1/notifications?unread=true", headers=_auth("police")).json
    assert still is not None and still["total"] == 1
    assert (
        client.post("/api/v1/notifications/999999/read", headers=_auth("police")).status_code == 404
    )


def test_pages_hold_per_page_notifications(client: FlaskClient) -> None:
    page2 = client.get("/api/v1/notifications?page=2&per_page=3", headers=_auth("civil")).json
    assert page2 is not None
    assert len(page2["items"]) == 1 and page2["total"] == 4


@pytest.mark.parametrize(
    "query, field",
    [
        ("per_page=0", "per_page"),
        ("page=x", "page"),
        ("unread=maybe", "unread"),
        ("color=red", "color"),
    ],
)
def test_bad_query_parameters_are_refused_with_the_field(
    client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/notifications?{query}", headers=_auth("civil"))
    assert response.status_code == 422
    assert field in response.json["errors"]  # type: ignore[index]


def test_without_a_token_the_answer_is_401(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/notifications", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.mimetype == "application/problem+json"


def test_a_forged_or_expired_token_is_401(client: FlaskClient) -> None:
    forged = issue_token("another-secret-entirely-0123456789", "civil", 3600).token
    expired = _auth("civil", now=datetime.now(UTC) - timedelta(hours=2))
    for headers in (
        {"Authorization": f"Bearer {forged}"},
        expired,
        {"Authorization": "Bearer not.a.jwt"},
    ):
        assert client.get("/api/v1/notifications", headers=headers).status_code == 401


def test_a_user_unknown_to_notify_is_401(client: FlaskClient) -> None:
    assert client.get("/api/v1/notifications", headers=_auth("stranger")).status_code == 401


def test_a_revoked_token_is_401_and_the_users_other_tokens_still_work(
    client: FlaskClient, notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    issued = issue_token(TOKEN_SECRET, "civil", 3600)
    revoked = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/v1/notifications", headers=revoked).status_code == 200
    publisher.revoke("civil", issued.token_id)
    _sync(notify, redis_client, publisher)
    assert client.get("/api/v1/notifications", headers=revoked).status_code == 401
    assert client.get("/api/v1/notifications", headers=_auth("civil")).status_code == 200


def test_a_revoked_session_heard_from_the_stream_refuses_every_access_token_of_it(
    client: FlaskClient, notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    session = {
        "Authorization": f"Bearer {issue_token(TOKEN_SECRET, 'civil', 300, session_id='s-1').token}"
    }
    assert client.get("/api/v1/notifications", headers=session).status_code == 200
    publisher.revoke("civil", "s-1")  # logout records the session's id
    _sync(notify, redis_client, publisher)
    assert client.get("/api/v1/notifications", headers=session).status_code == 401


def test_a_disabled_user_is_401(
    client: FlaskClient, notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    headers = _auth("police")
    publisher.disable("police")
    _sync(notify, redis_client, publisher)
    response = client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 401
    assert client.post("/api/v1/notifications/1/read", headers=headers).status_code == 401


def test_the_openapi_spec_and_health_need_no_token(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec is not None
    assert {"/api/v1/notifications", "/api/v1/notifications/{notification_id}/read"} <= set(
        spec["paths"]
    )
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
