"""How the web app's notification bell reaches notify, on notify's own origin: the case
service's policy names notify's origin in connect-src (nothing wider), the app learns the
address from /dashboard/config.json, and notify answers cross-origin calls from the web
app's origin only, preflights before authentication."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from services.cases.api import create_app as create_cases_app
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import build_notify
from shared.settings import Settings, SettingsError
from tests.conftest import make_service

NOTIFY = "http://notify.example:8001"
WEB = "http://cases.example:8000"


@pytest.fixture
def cases_app(sqlite_settings: Settings) -> Iterator[Flask]:
    settings = replace(sqlite_settings, notify_url=NOTIFY)
    service = make_service(settings)
    yield create_cases_app(settings, case_service=service)
    service.close()


@pytest.fixture
def notify_app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings(data_dir=tmp_path / "var", token_secret="t" * 32, cases_url=WEB)
    notify = build_notify(settings)
    yield create_notify_app(settings, notify=notify)
    notify.close()


def test_the_case_service_lets_scripts_call_notify_s_origin_and_no_other(cases_app: Flask) -> None:
    policy = cases_app.test_client().get("/healthz").headers["Content-Security-Policy"]
    assert "connect-src 'self' http://notify.example:8001;" in policy
    assert "*" not in policy


def test_without_a_notify_address_the_policy_stays_first_party(sqlite_settings: Settings) -> None:
    service = make_service(sqlite_settings)
    app = create_cases_app(sqlite_settings, case_service=service)
    policy = app.test_client().get("/healthz").headers["Content-Security-Policy"]
    config = app.test_client().get("/dashboard/config.json").get_json()
    service.close()
    assert "connect-src 'self';" in policy
    assert config == {"notify_url": None}


def test_the_app_learns_notify_s_address(cases_app: Flask) -> None:
    answer = cases_app.test_client().get("/dashboard/config.json")
    assert answer.get_json() == {"notify_url": NOTIFY}
    assert answer.headers["Cache-Control"] == "no-cache"


def test_notify_answers_a_preflight_from_the_web_app_without_a_token(notify_app: Flask) -> None:
    answer = notify_app.test_client().options(
        "/api/v1/notifications",
        headers={
            "Origin": WEB,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == WEB
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


def test_notify_allows_no_other_origin(notify_app: Flask) -> None:
    client = notify_app.test_client()
    preflight = client.options("/api/v1/notifications", headers={"Origin": "http://evil.example"})
    call = client.get("/api/v1/notifications", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert preflight.status_code != 204
    assert call.status_code == 401  # and no CORS header: the browser hides the answer
    assert "Access-Control-Allow-Origin" not in call.headers


def test_an_unauthenticated_cross_origin_call_is_still_refused(notify_app: Flask) -> None:
    answer = notify_app.test_client().get("/api/v1/notifications", headers={"Origin": WEB})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == WEB


def test_the_addresses_are_read_from_the_environment_and_checked() -> None:
    settings = Settings.from_env(
        {
            "CARELEDGER_NOTIFY_URL": NOTIFY + "/",
            "CARELEDGER_WEB_ORIGINS": f"{WEB}, https://b.example",
        }
    )
    assert settings.notify_url == NOTIFY
    assert settings.web_origins == (WEB, "https://b.example")
    with pytest.raises(SettingsError, match="CARELEDGER_NOTIFY_URL"):
        Settings.from_env({"CARELEDGER_NOTIFY_URL": "javascript:alert(1)"})
