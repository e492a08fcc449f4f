"""Webhook subscriptions on notify's API: admins only, inside their own scope; bad input
is a 422 naming the field and changes nothing; the secret never comes back; a
subscription gets the outbox rows of the alerts it matches, and no more after it is
deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from services.notify.api import create_app
from services.notify.bootstrap import NotifyService
from shared.tokens import issue_token
from tests.integration.notify_support import (
    OTHER_COUNTY_VILLAGE,
    TOKEN_SECRET,
    VILLAGE,
    Publisher,
    TrustedTokens,
    consumer,
    drain,
    new_case_id,
    outbox,
)

SECRET = "0123456789abcdef-secret"
GOOD = {
    "url": "https://county.example.org/hook",
    "secret": SECRET,
    "scope": VILLAGE[:6],
    "kinds": ["no_guardian", "harm_found"],
}


@pytest.fixture
def client(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> Iterator[FlaskClient]:
    """Notify's API over a directory of staff, with an admin for the city (3601) and one
    for another city (3602)."""
    publisher.staff()
    publisher.user("admin_elsewhere", "admin", "3602")
    drain(consumer(notify, redis_client, publisher.stream))
    yield create_app(notify.settings, notify=notify, tokens=TrustedTokens()).test_client()


def _auth(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TOKEN_SECRET, username, 3600).token}"}


def _add(client: FlaskClient, body: dict[str, Any], username: str = "admin") -> Any:
    return client.post("/api/v1/subscriptions", json=body, headers=_auth(username))


def _stored(notify: NotifyService) -> list[dict[str, Any]]:
    with notify.db.transaction() as tx:
        return tx.all("SELECT * FROM subscriptions ORDER BY id")


def test_an_admin_adds_lists_and_deletes_a_subscription_and_never_sees_its_secret(
    client: FlaskClient, notify: NotifyService
) -> None:
    # when
    added = _add(client, GOOD)
    # then
    assert added.status_code == 201, added.json
    body = added.json
    assert body is not None
    assert added.headers["Location"] == f"/api/v1/subscriptions/{body['id']}"
    assert {k: body[k] for k in ("url", "scope", "kinds", "created_by")} == {
        "url": GOOD["url"],
        "scope": "360124",
        "kinds": ["harm_found", "no_guardian"],
        "created_by": "admin",
    }
    assert "secret" not in body
    listed = client.get("/api/v1/subscriptions", headers=_auth("admin"))
    assert listed.status_code == 200 and listed.json == [body]
    assert SECRET not in json.dumps(_stored(notify))  # sealed, not stored as given
    deleted = client.delete(f"/api/v1/subscriptions/{body['id']}", headers=_auth("admin"))
    assert deleted.status_code == 204
    assert client.get("/api/v1/subscriptions", headers=_auth("admin")).json == []
    again = client.delete(f"/api/v1/subscriptions/{body['id']}", headers=_auth("admin"))
    assert again.status_code == 404 and again.mimetype == "application/problem+json"


def test_absent_kinds_mean_every_kind(client: FlaskClient) -> None:
    added = _add(client, {k: v for k, v in GOOD.items() if k != "kinds"})
    assert added.status_code == 201 and added.json["kinds"] == []


@pytest.mark.parametrize("username", ["civil", "supervisor", "auditor", "police"])
def test_only_admins_manage_subscriptions(
    client: FlaskClient, notify: NotifyService, username: str
) -> None:
    assert _add(client, GOOD, username).status_code == 403
    assert client.get("/api/v1/subscriptions", headers=_auth(username)).status_code == 403
    _add(client, GOOD)
    denied = client.delete("/api/v1/subscriptions/1", headers=_auth(username))
    assert denied.status_code == 403 and denied.mimetype == "application/problem+json"
    assert len([s for s in _stored(notify) if s["active"]]) == 1


def test_without_a_token_the_answer_is_401(client: FlaskClient) -> None:
    assert client.post("/api/v1/subscriptions", json=GOOD).status_code == 401
    assert client.get("/api/v1/subscriptions").status_code == 401
    assert client.delete("/api/v1/subscriptions/1").status_code == 401


def test_a_scope_outside_the_admins_own_is_403_and_stores_nothing(
    client: FlaskClient, notify: NotifyService
) -> None:
    response = _add(client, {**GOOD, "scope": OTHER_COUNTY_VILLAGE.replace("3601", "3602")[:6]})
    assert response.status_code == 403
    assert "outside your scope" in response.json["detail"]
    assert _add(client, {**GOOD, "scope": "36"}).status_code == 403  # the province is wider
    assert _stored(notify) == []


def test_admins_see_and_delete_only_the_subscriptions_inside_their_scope(
    client: FlaskClient, notify: NotifyService
) -> None:
    ours = _add(client, GOOD).json
    theirs = _add(client, {**GOOD, "scope": "360201"}, "admin_elsewhere").json
    assert ours is not None and theirs is not None
    assert client.get("/api/v1/subscriptions", headers=_auth("admin")).json == [ours]
    assert client.get("/api/v1/subscriptions", headers=_auth("admin_elsewhere")).json == [theirs]
    # to an admin, another city's subscription does not exist
    response = client.delete(f"/api/v1/subscriptions/{theirs['id']}", headers=_auth("admin"))
    assert response.status_code == 404
    assert [s["active"] for s in _stored(notify)] == [1, 1]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"url": "ftp://county.example.org/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@county.example.org/hook"}, "url"),
        ({"url": "http://:80/hook"}, "url"),
        ({"url": "http://county.example.org:99999/hook"}, "url"),
        ({"url": "https://" + "a" * 2000 + ".org/"}, "url"),
        ({"secret": "too-short"}, "secret"),
        ({"secret": "x" * 257}, "secret"),
        ({"scope": "3601245"}, "scope"),
        ({"scope": "abcdef"}, "scope"),
        ({"kinds": ["no_guardian", "weather"]}, "kinds"),
        ({"kinds": "no_guardian"}, "kinds"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    client: FlaskClient, notify: NotifyService, change: dict[str, Any], field: str
) -> None:
    response = _add(client, {**GOOD, **change})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert SECRET not in response.get_data(as_text=True)
    assert _stored(notify) == []


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://0.0.0.0:8000/hook", "unspecified"),
        ("http://10.0.0.5/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://100.64.0.1/hook", "non-public"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
        ("http://2130706433/hook", "DNS name"),
        ("http://0177.0.0.1/hook", "DNS name"),
        ("http://0x7f000001/hook", "DNS name"),
        ("http://127.1/hook", "DNS name"),
        ("http://county.example.org/hook\r\nX-Injected: 1", "line breaks"),
        ("http://county.exa\nmple.org/hook", "line breaks"),
        ("http://county.example.org/ho ok", "spaces"),
        ("http://county.example.org/\thook", "spaces"),
        ("https://token@county.example.org/hook", "user name"),
        ("file:///etc/passwd", "http"),
        ("gopher://county.example.org/", "http"),
    ],
)
def test_a_url_webhooks_may_not_reach_is_a_422_with_the_reason_and_stores_nothing(
    client: FlaskClient, notify: NotifyService, url: str, reason: str
) -> None:
    response = _add(client, {**GOOD, "url": url})

    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    [message] = response.json["errors"]["url"]
    assert reason in message
    assert _stored(notify) == []


def test_loopback_is_taken_when_the_operator_allows_it(
    client: FlaskClient, notify: NotifyService
) -> None:
    # given: CARELEDGER_WEBHOOK_ALLOW=127.0.0.1/32
    notify.settings = replace(notify.settings, webhook_allow=("127.0.0.1/32",))
    # when / then: loopback is taken, the rest of the private ranges are not
    assert _add(client, {**GOOD, "url": "http://127.0.0.1:9000/hook"}).status_code == 201
    assert _add(client, {**GOOD, "url": "http://10.0.0.5/hook"}).status_code == 422
    assert [s["url"] for s in _stored(notify)] == ["http://127.0.0.1:9000/hook"]


@pytest.mark.parametrize("missing", ["url", "secret", "scope"])
def test_a_missing_field_is_a_422_naming_it(
    client: FlaskClient, notify: NotifyService, missing: str
) -> None:
    response = _add(client, {k: v for k, v in GOOD.items() if k != missing})
    assert response.status_code == 422
    assert missing in response.json["errors"]
    assert _stored(notify) == []


def test_a_subscription_gets_outbox_rows_for_the_alerts_it_matches_until_deleted(
    client: FlaskClient, notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> None:
    # given: a subscription for harm found in the county
    subscription = _add(client, {**GOOD, "kinds": ["harm_found"]}).json
    assert subscription is not None
    harmed, alone = new_case_id(), new_case_id()
    publisher.identify(harmed)
    publisher.visit(harmed, safety_concerns=["suspected_abuse"])
    publisher.identify(alone, guardian_type="none")  # another kind: not for it
    publisher.identify(new_case_id(), OTHER_COUNTY_VILLAGE, guardian_type="none")
    # when
    drain(consumer(notify, redis_client, publisher.stream))
    # then
    [row] = outbox(notify)
    assert (row["channel"], row["subscription_id"], row["target"]) == (
        "webhook",
        subscription["id"],
        GOOD["url"],
    )
    assert json.loads(row["payload"])["case_id"] == harmed
    # and once deleted, new alerts are not queued for it
    client.delete(f"/api/v1/subscriptions/{subscription['id']}", headers=_auth("admin"))
    publisher.visit(harmed, visited_on="2026-05-01", safety_concerns=["abandonment"])
    drain(consumer(notify, redis_client, publisher.stream))
    assert len(outbox(notify)) == 1


def test_the_openapi_spec_documents_the_subscriptions(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec is not None
    assert {"/api/v1/subscriptions", "/api/v1/subscriptions/{subscription_id}"} <= set(
        spec["paths"]
    )
    new = spec["components"]["schemas"]["NewSubscription"]
    assert new["properties"]["secret"]["writeOnly"] is True
    assert "secret" not in spec["components"]["schemas"]["Subscription"]["properties"]
