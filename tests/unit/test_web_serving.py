"""How the case service serves the built web app: index.html and the service worker never
cached, hashed assets cached for good and sent precompressed (brotli, then gzip) when the
browser accepts it, nothing outside the build, and a clear 503 when it was never built.
A build is faked in a temporary folder, so these run without node."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from services.cases import web
from services.cases.api import create_app
from shared.settings import Settings
from tests.conftest import make_service
from tests.support import PASSWORD

SCRIPT = b"console.log('careledger');"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_bytes(b"<!doctype html><title>CareLedger</title>")
    (folder / "sw.js").write_bytes(b"self.addEventListener('fetch', () => {});")
    (folder / "assets" / "app-ABC123.js").write_bytes(SCRIPT)
    (folder / "assets" / "app-ABC123.js.gz").write_bytes(gzip.compress(SCRIPT))
    (folder / "assets" / "app-ABC123.js.br").write_bytes(b"brotli bytes")
    (folder.parent / "secret.txt").write_bytes(b"not served")
    return folder


@pytest.fixture
def app(sqlite_settings: Settings, dist: Path) -> Iterator[Flask]:
    service = make_service(sqlite_settings)
    flask_app = create_app(sqlite_settings, case_service=service)
    flask_app.config[web.DIST_SETTING] = str(dist)
    yield flask_app
    service.close()


def test_the_page_is_never_cached(app: Flask) -> None:
    answer = app.test_client().get("/dashboard/")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-cache"
    assert answer.mimetype == "text/html"
    assert b"CareLedger" in answer.data


def test_a_hashed_asset_is_immutable_and_sent_as_brotli_when_accepted(app: Flask) -> None:
    answer = app.test_client().get(
        "/dashboard/assets/app-ABC123.js", headers={"Accept-Encoding": "gzip, deflate, br"}
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Encoding"] == "br"
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert answer.mimetype == "text/javascript"
    assert answer.data == b"brotli bytes"


def test_gzip_when_brotli_is_not_accepted_and_plain_when_nothing_is(app: Flask) -> None:
    client = app.test_client()
    gzipped = client.get("/dashboard/assets/app-ABC123.js", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/dashboard/assets/app-ABC123.js", headers={"Accept-Encoding": "identity"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.data) == SCRIPT
    assert "Content-Encoding" not in plain.headers
    assert plain.data == SCRIPT
    assert plain.headers["Vary"] == "Accept-Encoding"


def test_an_encoding_refused_with_q_zero_is_not_sent(app: Flask) -> None:
    answer = app.test_client().get(
        "/dashboard/assets/app-ABC123.js", headers={"Accept-Encoding": "br;q=0, gzip"}
    )
    assert answer.headers["Content-Encoding"] == "gzip"


def test_the_service_worker_may_control_the_app_and_is_never_cached(app: Flask) -> None:
    answer = app.test_client().get("/dashboard/sw.js")
    assert answer.status_code == 200
    assert answer.headers["Service-Worker-Allowed"] == "/dashboard/"
    assert answer.headers["Cache-Control"] == "no-cache"


def test_the_address_without_its_slash_leads_inside_the_service_worker_s_scope(
    app: Flask,
) -> None:
    answer = app.test_client().get("/dashboard")
    assert answer.status_code == 308
    assert answer.headers["Location"] == "/dashboard/"


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/assets/missing.js",
        "/dashboard/assets/../../secret.txt",
        "/dashboard/assets/%2e%2e/%2e%2e/secret.txt",
        "/dashboard/assets/app-ABC123.js.br",  # the compressed copies are not addresses
    ],
)
def test_nothing_outside_the_build_is_served(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 404


def test_a_missing_build_answers_503_saying_how_to_build_it(app: Flask, tmp_path: Path) -> None:
    app.config[web.DIST_SETTING] = str(tmp_path / "never-built")
    answer = app.test_client().get("/dashboard/")
    assert answer.status_code == 503
    assert "./dev" in answer.get_json()["detail"]


def test_the_login_answer_says_what_the_role_may_do(app: Flask) -> None:
    answer = app.test_client().post(
        "/api/v1/auth/token", json={"username": "police", "password": PASSWORD}
    )
    assert answer.status_code == 201
    assert answer.get_json()["user"]["capabilities"] == ["read_case", "work_intervention"]
