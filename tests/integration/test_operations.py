"""The command line, the offline API documentation, and what the logs may say."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cli import main
from shared.vocabulary import RISK_LEVELS, SAFETY_CONCERNS
from tests.support import IDENTIFY, identify_body, json_of, login


def test_users_add_creates_a_user_who_can_log_in(tmp_path: Path) -> None:
    runner = CliRunner(env={"CARELEDGER_DATA_DIR": str(tmp_path)})

    added = runner.invoke(
        main,
        [
            "users",
            "add",
            "zhang.wei",
            "--role",
            "child_director",
            "--scope",
            "360124105203",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    again = runner.invoke(
        main,
        ["users", "add", "zhang.wei", "--role", "police", "--scope", "360124", "--password-stdin"],
        input="another password 123\n",
    )

    assert added.exit_code == 0, added.output
    assert again.exit_code != 0 and "taken" in again.output
    from services.cases.api import create_app
    from shared.settings import Settings

    settings = Settings(data_dir=tmp_path).with_generated_secrets()
    client = create_app(settings).test_client()
    assert login(client, "zhang.wei", "a long enough password")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--role", "child_director", "--scope", "3601241052"], "scope"),
        (["--role", "sheriff", "--scope", "3601"], "role"),
    ],
)
def test_users_add_refuses_a_bad_role_or_scope(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    runner = CliRunner(env={"CARELEDGER_DATA_DIR": str(tmp_path)})
    result = runner.invoke(
        main, ["users", "add", "li.na", *args, "--password-stdin"], input="a long enough password\n"
    )
    assert result.exit_code != 0 and complaint in result.output.lower()


def test_the_openapi_spec_documents_every_case_endpoint(client: FlaskClient) -> None:
    spec = json_of(client.get("/api/v1/openapi.json"))
    paths = set(spec["paths"])
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/history",
        "/api/v1/cases/{case_id}/visits",
        "/api/v1/cases/{case_id}/guardian-changes",
        "/api/v1/cases/{case_id}/interventions",
        "/api/v1/cases/{case_id}/interventions/{intervention_id}/progress",
        "/api/v1/cases/{case_id}/interventions/{intervention_id}/closure",
        "/api/v1/cases/{case_id}/assignment",
        "/api/v1/cases/{case_id}/transfer",
        "/api/v1/cases/{case_id}/closure",
        "/api/v1/cases/{case_id}/reopening",
        "/api/v1/cases/{case_id}/corrections",
        "/api/v1/auth/token",
        "/api/v1/admin/users",
        "/api/v1/audit/access-log",
    } <= paths
    summary = spec["paths"]["/api/v1/cases"]["post"]["summary"]
    assert summary.startswith("Identify a left-behind child")


def test_the_docs_page_loads_every_asset_from_the_service_itself(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(s.startswith("/api/v1/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_request_logs_never_carry_a_child_s_personal_data(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = login(client, "director")
    child = {**IDENTIFY["child"], "id_number": "36012420150302002X"}
    with caplog.at_level(logging.DEBUG):
        created = client.post("/api/v1/cases", json=identify_body(child=child), headers=headers)
        client.get(f"/api/v1/cases/{json_of(created)['id']}", headers=headers)

    assert created.status_code == 201, created.json
    logged = caplog.text
    assert "path=/api/v1/cases" in logged  # the request was logged…
    for secret in (IDENTIFY["child"]["name"], "36012420150302002X", "13800138000"):
        assert secret not in logged  # …without the child's data


def test_the_openapi_spec_still_lists_the_terms_and_bounds_the_domain_checks(
    client: FlaskClient,
) -> None:
    schemas = json_of(client.get("/api/v1/openapi.json"))["components"]["schemas"]
    visit, guardian = schemas["Visit"]["properties"], schemas["Guardian"]["properties"]
    assert visit["risk_level"]["enum"] == list(RISK_LEVELS)
    assert visit["safety_concerns"]["items"]["enum"] == list(SAFETY_CONCERNS)
    assert guardian["name"]["maxLength"] == 50
