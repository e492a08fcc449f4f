"""Both OpenAPI specs document every error answer as problem+json with the shared Problem
schema (shared/http/openapi.py): no catch-all `default`, the statuses each operation can
get, and login and refresh open to anyone (with 401 for wrong credentials)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.cases.api import create_app as create_case_app
from services.notify.api import create_app as create_notify_app
from services.notify.api.token_check import TokenSource
from services.notify.bootstrap import build_notify
from shared.settings import Settings
from tests.conftest import make_service


class _Nobody:
    def holds(self, token: str) -> bool:
        return False


def _case_spec(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path / "cases").with_generated_secrets()
    service = make_service(settings)
    try:
        app = create_case_app(settings, case_service=service)
        return dict(app.test_client().get("/api/v1/openapi.json").json or {})
    finally:
        service.close()


def _notify_spec(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path / "notify", token_secret="x" * 40)
    notify = build_notify(settings)
    tokens: TokenSource = _Nobody()
    try:
        app = create_notify_app(settings, notify=notify, tokens=tokens)
        return dict(app.test_client().get("/api/v1/openapi.json").json or {})
    finally:
        notify.close()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.mark.parametrize("spec_of", [_case_spec, _notify_spec], ids=["cases", "notify"])
def test_every_error_answer_is_problem_json_with_the_shared_schema(
    tmp_path: Path, spec_of: Any
) -> None:
    spec = spec_of(tmp_path)
    assert spec["components"]["schemas"]["Problem"]["required"] == ["status", "title", "detail"]
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        assert "default" not in responses, (method, path)
        errors = {code: r for code, r in responses.items() if int(code) >= 400}
        assert {"400", "413", "422"} <= set(errors), (method, path)
        for code, response in errors.items():
            assert response["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (method, path, code)
        if "{" in path:
            assert "404" in errors, (method, path)


def test_login_and_refresh_need_no_token_and_document_wrong_credentials(tmp_path: Path) -> None:
    spec = _case_spec(tmp_path)
    login = spec["paths"]["/api/v1/auth/token"]["post"]
    refresh = spec["paths"]["/api/v1/auth/refresh"]["post"]

    assert login["security"] == [] and refresh["security"] == []
    assert {"401", "429", "503"} <= set(login["responses"]) and "403" not in login["responses"]
    assert "Retry-After" in login["responses"]["429"]["headers"]


def test_a_write_on_a_case_documents_the_stale_version_and_the_conflict(tmp_path: Path) -> None:
    visits = _case_spec(tmp_path)["paths"]["/api/v1/cases/{case_id}/visits"]["post"]

    assert {"401", "403", "404", "409", "412"} <= set(visits["responses"])
    assert "ETag" in visits["responses"]["412"]["headers"]


def test_notify_documents_that_it_fails_closed_when_it_cannot_check_a_token(
    tmp_path: Path,
) -> None:
    for method, path, operation in _operations(_notify_spec(tmp_path)):
        assert "503" in operation["responses"], (method, path)
