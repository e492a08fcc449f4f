"""Inputs an attacker or a flaky client sends (issue 10, "500s" and "Smaller"): each that
used to end in a 500 is now a 4xx naming the field and the reason, and changes nothing;
names refuse hidden characters; a retry serialised anew is still a replay."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import NotifyService
from shared.tokens import issue_token
from tests.integration.notify_support import (
    TOKEN_SECRET,
    Publisher,
    TrustedTokens,
    consumer,
    drain,
)
from tests.support import VISIT, caught_up, identify_body, json_of, login

LONE_SURROGATE = '"\\ud800"'  # JSON text of a string no UTF-8 can hold


def _log_head(service: CaseService) -> int:
    return service.cases.recorder.max_notification_id() or 0


def test_a_lone_surrogate_in_the_login_is_a_422_on_its_field(
    client: FlaskClient, service: CaseService
) -> None:
    before = _log_head(service)
    body = '{"username": ' + LONE_SURROGATE + ', "password": "x"}'

    answer = client.post("/api/v1/auth/token", data=body, content_type="application/json")

    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert "username" in json_of(answer)["errors"]
    assert _log_head(service) == before


def test_a_lone_surrogate_deep_in_an_identification_is_a_422_naming_the_path(
    client: FlaskClient, service: CaseService
) -> None:
    headers = login(client, "director") | {"Content-Type": "application/json"}
    before = _log_head(service)
    body = identify_body()
    body["parents"][0]["work_location"] = "SURROGATE"
    raw = json.dumps(body, ensure_ascii=False).replace('"SURROGATE"', LONE_SURROGATE)

    answer = client.post("/api/v1/cases", data=raw, headers=headers)

    assert answer.status_code == 422, answer.json
    assert list(json_of(answer)["errors"]) == ["parents.0.work_location"]
    assert _log_head(service) == before


def test_correcting_the_grade_of_a_child_with_no_school_record_is_a_422(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    child = identify_body()["child"]
    del child["school"]
    case = json_of(client.post("/api/v1/cases", json=identify_body(child=child), headers=civil))
    before = _log_head(service)

    answer = client.post(
        f"/api/v1/cases/{case['id']}/corrections",
        json={"field": "child.school.grade", "value": "4", "reason": "核实"},
        headers=civil,
    )

    assert answer.status_code == 422, answer.json
    assert "field" in json_of(answer)["errors"]
    assert _log_head(service) == before


@pytest.mark.parametrize("path", ["summary", "trend", "breakdown", "ranking"])
@pytest.mark.parametrize("as_of", ["0001-01-01", "1999-12-31", "3000-01-01", "9999-12-31"])
def test_a_dashboard_date_outside_the_registers_years_is_a_422_on_as_of(
    client: FlaskClient, service: CaseService, as_of: str, path: str
) -> None:
    civil = login(client, "civil")
    caught_up(service)

    answer = client.get(f"/api/v1/dashboard/{path}?scope=360124&as_of={as_of}", headers=civil)

    assert answer.status_code == 422, answer.json
    assert "as_of" in json_of(answer)["errors"]


def test_a_dashboard_date_at_the_edges_of_the_registers_years_is_answered(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    caught_up(service)

    for as_of in ("2000-01-01", "2999-12-31"):
        answer = client.get(f"/api/v1/dashboard/trend?scope=360124&as_of={as_of}", headers=civil)
        assert answer.status_code == 200, answer.json


@pytest.fixture
def notify_client(
    notify: NotifyService, redis_client: redis.Redis, publisher: Publisher
) -> Iterator[FlaskClient]:
    publisher.staff()
    drain(consumer(notify, redis_client, publisher.stream))
    yield create_notify_app(notify.settings, notify=notify, tokens=TrustedTokens()).test_client()


def _notify_auth(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TOKEN_SECRET, username, 3600).token}"}


@pytest.mark.parametrize("notification_id", [2**63 - 1, 2**63, 2**64, 10**30])
def test_a_notification_id_past_64_bits_names_nothing(
    notify_client: FlaskClient, notification_id: int
) -> None:
    answer = notify_client.post(
        f"/api/v1/notifications/{notification_id}/read", headers=_notify_auth("civil")
    )

    assert answer.status_code == 404, answer.json
    assert answer.mimetype == "application/problem+json"


def test_a_lone_surrogate_on_notify_is_a_422_on_its_field(notify_client: FlaskClient) -> None:
    # the same shared body check as the case service's: notify's JSON is no weaker
    body = '{"url": "https://county.example.org/hook", "secret": ' + LONE_SURROGATE + "}"

    answer = notify_client.post(
        "/api/v1/subscriptions",
        data=body,
        content_type="application/json",
        headers=_notify_auth("admin"),
    )

    assert answer.status_code == 422, answer.json
    assert answer.mimetype == "application/problem+json"
    assert list(json_of(answer)["errors"]) == ["secret"]


def test_json_nested_six_thousand_deep_is_a_400_on_the_body(notify_client: FlaskClient) -> None:
    body = "[" * 6000 + "]" * 6000

    answer = notify_client.post(
        "/api/v1/subscriptions",
        data=body,
        content_type="application/json",
        headers=_notify_auth("admin"),
    )

    assert answer.status_code == 400, answer.json
    assert "body" in json_of(answer)["errors"]


@pytest.mark.parametrize(
    "name",
    ["王\x00小明", "王\u200b小明", "\u202e明小王", "王小明\x07"],
    ids=["nul", "zwsp", "rlo", "bel"],
)
def test_a_name_with_control_or_invisible_characters_is_refused_on_its_field(
    client: FlaskClient, service: CaseService, name: str
) -> None:
    headers = login(client, "director")
    body = identify_body()
    body["child"]["name"] = name
    before = _log_head(service)

    answer = client.post("/api/v1/cases", json=body, headers=headers)

    assert answer.status_code == 422, answer.json
    assert list(json_of(answer)["errors"]) == ["child.name"]
    assert _log_head(service) == before


def test_a_name_is_kept_in_unicode_nfc(client: FlaskClient) -> None:
    headers = login(client, "director")
    body = identify_body()
    body["guardian"]["name"] = "Zoe\u0301"  # e + combining acute: NFC is one character

    answer = client.post("/api/v1/cases", json=body, headers=headers)

    assert answer.status_code == 201, answer.json
    case = json_of(client.get(f"/api/v1/cases/{json_of(answer)['id']}", headers=headers))
    assert case["guardian"]["name"] == "Zo\u00e9"


def test_a_retry_whose_body_was_serialised_anew_is_replayed_not_refused(
    client: FlaskClient, service: CaseService
) -> None:
    # given a visit sent with an Idempotency-Key
    headers = login(client, "civil") | {"Content-Type": "application/json"}
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=headers))
    url = f"/api/v1/cases/{case['id']}/visits"
    visit = dict(VISIT)
    first = client.post(url, data=json.dumps(visit), headers=headers | {"Idempotency-Key": "v-9"})
    assert first.status_code == 200, first.json
    before = _log_head(service)
    # when the phone retries with the same request serialised otherwise (key order,
    # spacing, escaped Chinese)
    again = json.dumps(dict(reversed(list(visit.items()))), indent=2, ensure_ascii=True)
    retry = client.post(url, data=again, headers=headers | {"Idempotency-Key": "v-9"})
    # then it is the replay of the first, and nothing more is written
    assert retry.status_code == 200, retry.json
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert _log_head(service) == before
