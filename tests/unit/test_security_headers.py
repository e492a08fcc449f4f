"""Every answer of both services carries the security headers: API JSON, problem+json
errors, the dashboard's page and files, the API docs; and the docs page runs no inline
script (so it works under its first-party policy)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.cases.api import create_app as create_cases_app
from services.notify.api import create_app as create_notify_app
from services.notify.bootstrap import build_notify
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import PASSWORD

STRICT = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def cases_app(sqlite_settings: Settings) -> Iterator[Flask]:
    service = make_service(sqlite_settings)
    yield create_cases_app(sqlite_settings, case_service=service)
    service.close()


@pytest.fixture
def notify_app(tmp_path: Path) -> Iterator[Flask]:
    settings = Settings(data_dir=tmp_path / "var", token_secret="t" * 32)
    notify = build_notify(settings)
    yield create_notify_app(settings, notify=notify)
    notify.close()


def _assert_secured(response: object, *, policy: str = STRICT) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Content-Security-Policy"] == policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/cases", 401),  # problem+json
        ("GET", "/api/v1/nowhere", 404),
        ("DELETE", "/healthz", 405),
        ("POST", "/api/v1/auth/token", 422),  # no body: invalid fields
        ("GET", "/dashboard/", 200),
        ("GET", "/dashboard", 308),
        ("GET", "/dashboard/sw.js", 200),
        ("GET", "/dashboard/assets/missing.js", 404),
        ("GET", "/api/v1/docs-init.js", 200),
        ("GET", "/api/v1/docs-assets/swagger-ui-bundle.js", 200),
    ],
)
def test_every_answer_of_the_case_service_carries_the_security_headers(
    cases_app: Flask, method: str, path: str, status: int
) -> None:
    response = cases_app.test_client().open(path, method=method)

    assert response.status_code == status
    _assert_secured(response)


def test_a_logged_in_api_answer_carries_the_security_headers(cases_app: Flask) -> None:
    client: FlaskClient = cases_app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "civil", "password": PASSWORD})
    assert token.status_code == 201
    _assert_secured(token)

    answer = client.get(
        "/api/v1/dashboard/summary?scope=3601",
        headers={"Authorization": f"Bearer {token.get_json()['token']}"},
    )

    assert answer.status_code in (200, 403)
    _assert_secured(answer)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/notifications", 401),
        ("POST", "/api/v1/subscriptions", 401),
        ("GET", "/api/v1/nowhere", 404),
        ("GET", "/api/v1/docs-init.js", 200),
    ],
)
def test_every_answer_of_the_notify_service_carries_the_security_headers(
    notify_app: Flask, method: str, path: str, status: int
) -> None:
    response = notify_app.test_client().open(path, method=method)

    assert response.status_code == status
    _assert_secured(response)


@pytest.mark.parametrize("which", ["cases", "notify"])
def test_the_api_docs_page_has_no_inline_script_and_a_first_party_policy(
    cases_app: Flask, notify_app: Flask, which: str
) -> None:
    app = cases_app if which == "cases" else notify_app

    response = app.test_client().get("/api/v1/docs")

    assert response.status_code == 200
    _assert_secured(response, policy=STRICT.replace("img-src 'self'", "img-src 'self' data:"))
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in page and "<style" not in page
