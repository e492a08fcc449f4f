"""Notify hears a revocation from the case service itself, not from the stream: with the
relay and notify's consumer stopped (nothing published), a logged-out token or a disabled
user's token is refused by notify's API once its last answer from the case service is
`token_check_seconds` old; and when the case service cannot answer, notify refuses (503)
rather than trust a token it cannot vouch for."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from services.cases.api import create_app as create_cases_app
from services.notify.api import create_app as create_notify_app
from services.notify.api.token_check import CaseServiceTokens
from services.notify.bootstrap import NotifyService, build_notify
from shared.clock import Clock
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.notify_support import TOKEN_SECRET, Publisher, consumer, drain
from tests.support import json_of, login

INBOX = "/api/v1/notifications"


class SteppingClock(Clock):
    """An instant that moves only when the test says."""

    def __init__(self) -> None:
        self.instant = datetime(2026, 3, 1, 4, 0, tzinfo=Clock().now().tzinfo)

    def now(self) -> datetime:
        return self.instant

    def advance(self, seconds: float) -> None:
        self.instant += timedelta(seconds=seconds)


@contextmanager
def _serve(app: Callable[..., Any]) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def cases(sqlite_settings: Settings) -> Iterator[FlaskClient]:
    """The case service, signing with the secret notify verifies with; no relay runs."""
    service = make_service(replace(sqlite_settings, token_secret=TOKEN_SECRET))
    app = create_cases_app(service.settings, case_service=service)
    yield app.test_client()
    service.close()


@pytest.fixture
def cases_url(cases: FlaskClient) -> Iterator[str]:
    """The same case service over real HTTP, where notify asks."""
    with _serve(cases.application) as url:
        yield url


@pytest.fixture
def stepping() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def notify_on_clock(
    notify_settings: Settings,
    stepping: SteppingClock,
    redis_client: redis.Redis,
    publisher: Publisher,
) -> Iterator[NotifyService]:
    """Notify whose directory knows the staff (the last it heard from the stream)."""
    service = build_notify(notify_settings, clock=stepping)
    publisher.staff()
    drain(consumer(service, redis_client, publisher.stream))
    yield service
    service.close()


def _notify_api(notify: NotifyService, cases_url: str) -> FlaskClient:
    settings = replace(notify.settings, cases_url=cases_url)
    return create_notify_app(settings, notify=notify).test_client()


def _nothing_learned_from_the_stream(notify: NotifyService) -> None:
    with notify.db.transaction() as tx:
        assert tx.all("SELECT token_id FROM revoked_tokens") == []
        assert tx.all("SELECT username FROM users WHERE disabled = 1") == []


def test_a_logged_out_token_is_refused_by_notify_within_seconds_while_nothing_is_published(
    cases: FlaskClient,
    cases_url: str,
    notify_on_clock: NotifyService,
    stepping: SteppingClock,
    redis_client: redis.Redis,
    publisher: Publisher,
) -> None:
    # given
    notify = _notify_api(notify_on_clock, cases_url)
    headers = login(cases, "civil")
    assert notify.get(INBOX, headers=headers).status_code == 200
    published = redis_client.xlen(publisher.stream)
    # when
    assert cases.delete("/api/v1/auth/token", headers=headers).status_code == 204
    # then: the answer notify holds is at most token_check_seconds old, and no older
    stepping.advance(notify_on_clock.settings.token_check_seconds - 1)
    assert notify.get(INBOX, headers=headers).status_code == 200
    stepping.advance(1)
    refused = notify.get(INBOX, headers=headers)
    assert refused.status_code == 401
    assert json_of(refused)["detail"] == "the token has been revoked"
    assert redis_client.xlen(publisher.stream) == published
    _nothing_learned_from_the_stream(notify_on_clock)


def test_a_disabled_users_token_is_refused_by_notify_within_seconds_while_nothing_is_published(
    cases: FlaskClient, cases_url: str, notify_on_clock: NotifyService, stepping: SteppingClock
) -> None:
    # given
    notify = _notify_api(notify_on_clock, cases_url)
    headers = login(cases, "police")
    assert notify.get(INBOX, headers=headers).status_code == 200
    # when
    disabled = cases.post("/api/v1/admin/users/police/disable", headers=login(cases, "admin"))
    assert disabled.status_code == 200, disabled.json
    stepping.advance(notify_on_clock.settings.token_check_seconds)
    # then
    assert notify.get(INBOX, headers=headers).status_code == 401
    assert notify.post(f"{INBOX}/1/read", headers=headers).status_code == 401
    _nothing_learned_from_the_stream(notify_on_clock)


def test_a_token_revoked_before_notify_first_sees_it_is_refused_at_once(
    cases: FlaskClient, cases_url: str, notify_on_clock: NotifyService
) -> None:
    notify = _notify_api(notify_on_clock, cases_url)
    headers = login(cases, "civil")
    assert cases.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert notify.get(INBOX, headers=headers).status_code == 401
    # the user's other sessions are not touched
    assert notify.get(INBOX, headers=login(cases, "civil")).status_code == 200


def test_notify_refuses_with_503_when_the_case_service_cannot_be_reached(
    cases: FlaskClient, notify_on_clock: NotifyService, stepping: SteppingClock
) -> None:
    # given: a port nobody listens on (a server started and stopped)
    with _serve(cases.application) as gone:
        pass
    notify = _notify_api(notify_on_clock, gone)
    # when
    response = notify.get(INBOX, headers=login(cases, "civil"))
    # then
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert "cannot be checked" in json_of(response)["detail"]


def test_notify_refuses_once_its_last_answer_is_old_and_the_case_service_is_gone(
    cases: FlaskClient, notify_on_clock: NotifyService, stepping: SteppingClock
) -> None:
    # given: a token the case service vouched for
    headers = login(cases, "civil")
    with _serve(cases.application) as url:
        notify = _notify_api(notify_on_clock, url)
        assert notify.get(INBOX, headers=headers).status_code == 200
    # when: the case service stops
    stepping.advance(notify_on_clock.settings.token_check_seconds)
    # then
    assert notify.get(INBOX, headers=headers).status_code == 503


def test_notify_refuses_with_503_when_the_case_service_answers_an_error(
    cases: FlaskClient, notify_on_clock: NotifyService
) -> None:
    def broken(environ: Any, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
        return [b"boom"]

    with _serve(broken) as url:
        notify = _notify_api(notify_on_clock, url)
        assert notify.get(INBOX, headers=login(cases, "civil")).status_code == 503


def test_the_case_service_answers_whose_token_it_is(cases: FlaskClient, cases_url: str) -> None:
    headers = login(cases, "civil")
    body = json_of(cases.get("/api/v1/auth/token", headers=headers))
    assert (body["username"], body["role"]) == ("civil", "civil_affairs")
    assert body["session_id"] and body["token_id"] and body["expires_at"]
    token = headers["Authorization"].removeprefix("Bearer ")
    assert CaseServiceTokens(cases_url).holds(token) is True
    assert CaseServiceTokens(cases_url).holds(token + "x") is False
