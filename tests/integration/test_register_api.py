"""The register's spreadsheets over HTTP: the survey upload (dry run and real), its
template, and who may use them."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from werkzeug.test import TestResponse

from services.cases.bootstrap import CaseService
from services.cases.register.columns import HEADERS
from tests.integration.survey_support import csv_bytes, id_number, survey_row, xlsx
from tests.support import VILLAGE, caught_up, json_of, login

UPLOAD = "/api/v1/imports/survey"


def upload(
    client: FlaskClient, username: str, content: bytes, query: str = "", name: str = "s.xlsx"
) -> TestResponse:
    return client.post(
        f"{UPLOAD}{query}",
        data={"file": (io.BytesIO(content), name)},
        headers=login(client, username),
        content_type="multipart/form-data",
    )


def test_a_dry_run_upload_reports_per_row_and_writes_nothing(
    client: FlaskClient, service: CaseService
) -> None:
    before = service.cases.recorder.max_notification_id()
    content = xlsx([survey_row(), survey_row(性别="男孩")])

    response = upload(client, "supervisor", content, "?dry_run=true")

    assert response.status_code == 200
    body = json_of(response)
    assert body["dry_run"] is True
    assert body["counts"]["would_create"] == 1
    assert body["rows"][1] == {
        "row": 3,
        "outcome": "refused",
        "case_id": None,
        "problems": [{"column": "性别", "message": "「男孩」不是允许的值，应为：女、男"}],
        "likely_duplicates": [],
    }
    assert service.cases.recorder.max_notification_id() == before


def test_an_upload_creates_cases_once_however_often_it_is_sent(client: FlaskClient) -> None:
    content = xlsx([survey_row(), survey_row(姓名="李四")])

    first = json_of(upload(client, "civil", content))
    again = json_of(upload(client, "civil", content))

    assert first["counts"]["created"] == 2
    assert again["counts"]["created"] == 0
    assert again["counts"]["already_imported"] == 2
    case_id = first["rows"][0]["case_id"]
    read = client.get(f"/api/v1/cases/{case_id}", headers=login(client, "civil"))
    assert json_of(read)["child"]["name"] == "王小明"


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("director", 403),
        ("supervisor", 200),
        ("civil", 200),
        ("education", 403),
        ("police", 403),
        ("health", 403),
        ("womens", 403),
        ("auditor", 403),
        ("admin", 403),
    ],
)
def test_only_supervisors_and_civil_affairs_may_upload(
    client: FlaskClient, service: CaseService, username: str, status: int
) -> None:
    before = service.cases.recorder.max_notification_id()

    response = upload(client, username, xlsx([survey_row()]), "?dry_run=true")

    assert response.status_code == status
    assert service.cases.recorder.max_notification_id() == before


def test_a_sheet_with_wrong_columns_is_refused_naming_the_file_field(client: FlaskClient) -> None:
    content = xlsx([{"姓名": "王小明"}], headers=["姓名", "性别", "生日", "监护类型"])

    response = upload(client, "supervisor", content)

    assert response.status_code == 422
    assert "缺少必填列" in json_of(response)["errors"]["file"][0]


def test_an_upload_without_a_file_is_refused(client: FlaskClient) -> None:
    response = client.post(UPLOAD, headers=login(client, "supervisor"))

    assert response.status_code == 422
    assert "file" in json_of(response)["errors"]


def test_a_scope_outside_the_uploaders_is_refused(client: FlaskClient) -> None:
    response = upload(client, "supervisor", xlsx([survey_row()]), "?scope=360121")

    assert response.status_code == 403


def test_a_sheet_larger_than_a_json_body_may_be_uploaded(client: FlaskClient) -> None:
    # The API refuses JSON bodies over 64 KiB; a survey sheet of hundreds of rows is more.
    content = csv_bytes([survey_row(姓名=f"王{n}") for n in range(500)])
    assert len(content) > 64 * 1024

    response = upload(client, "supervisor", content, "?dry_run=true", name="s.csv")

    assert response.status_code == 200


def test_the_template_lists_the_columns_and_their_allowed_values(client: FlaskClient) -> None:
    response = client.get(f"{UPLOAD}/template", headers=login(client, "director"))

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data))
    sheet, notes = book.worksheets
    assert tuple(c.value for c in sheet[1]) == HEADERS
    allowed = {row[0]: row[2] for row in notes.iter_rows(min_row=2, values_only=True) if row[0]}
    assert allowed["性别"] == "女、男"
    assert allowed["监护类型"] == "父母、祖父母、其他亲属、受委托人、机构、无"
    # Filled in as it comes, the template is a sheet the importer reads.
    filled = sheet
    filled.append([survey_row().get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    response = upload(client, "supervisor", out.getvalue(), "?dry_run=true")
    assert json_of(response)["counts"]["would_create"] == 1


def test_the_template_needs_a_login(client: FlaskClient) -> None:
    assert client.get(f"{UPLOAD}/template").status_code == 401


# ---- the export --------------------------------------------------------------------------


def _export(client: FlaskClient, username: str, query: str = "") -> list[tuple[object, ...]]:
    response = client.get(f"/api/v1/register.xlsx{query}", headers=login(client, username))
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Cache-Control"] == "no-store"
    return list(load_workbook(io.BytesIO(response.data)).worksheets[0].iter_rows(values_only=True))


def _registered(client: FlaskClient, service: CaseService) -> list[str]:
    content = xlsx([survey_row(身份证号=id_number(9)), survey_row(姓名="李四", 母亲状况="死亡")])
    report = json_of(upload(client, "civil", content))
    caught_up(service)
    return [r["case_id"] for r in report["rows"]]


def test_the_export_has_the_templates_columns_in_its_words(
    client: FlaskClient, service: CaseService
) -> None:
    ids = _registered(client, service)

    rows = _export(client, "supervisor")

    header, *cases = rows
    assert header == ("案件编号", "案件状态", *HEADERS)
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in cases}
    assert set(by_id) == set(ids)
    first = by_id[ids[0]]
    assert first["案件状态"] == "在册"
    assert first["姓名"] == "王小明" and first["性别"] == "女"
    assert first["身份证号"] == id_number(9)
    assert first["父亲状况"] == "外出务工" and first["监护类型"] == "祖父母"
    assert first["就学状态"] == "在校" and first["来源"] == "摸底排查"
    assert by_id[ids[1]]["母亲状况"] == "死亡"


def test_each_role_exports_only_what_it_sees_in_the_api(
    client: FlaskClient, service: CaseService
) -> None:
    _registered(client, service)

    education = _export(client, "education")
    auditor = _export(client, "auditor")
    health = _export(client, "health")

    # Education: identity and school, no ID number, address, parents or guardian.
    assert "身份证号" not in education[0] and "父亲状况" not in education[0]
    assert "详细地址" not in education[0] and "监护人姓名" not in education[0]
    assert "就学状态" in education[0] and len(education) == 3
    # Health: the guardian and the address, not the school or the parents.
    assert "监护人电话" in health[0] and "就学状态" not in health[0]
    assert "父亲状况" not in health[0]
    # Auditors: everything, the ID number and phones masked.
    record = dict(zip(auditor[0], next(r for r in auditor[1:] if r[2] == "王小明"), strict=True))
    assert record["身份证号"] == id_number(9)[:4] + "*" * 10 + id_number(9)[-4:]
    assert record["监护人电话"] == "1390***9000"


def test_the_police_export_only_reported_cases_and_others_only_their_scope(
    client: FlaskClient, service: CaseService
) -> None:
    _registered(client, service)

    assert len(_export(client, "police")) == 1  # the header: nothing reported yet
    assert len(_export(client, "director_elsewhere")) == 1
    refused = client.get("/api/v1/register.xlsx?scope=360121", headers=login(client, "civil"))
    assert refused.status_code == 403
    assert client.get("/api/v1/register.xlsx").status_code == 401
    assert client.get("/api/v1/register.xlsx", headers=login(client, "admin")).status_code == 403


def test_every_exported_case_is_logged_as_read(client: FlaskClient, service: CaseService) -> None:
    ids = _registered(client, service)

    _export(client, "education", f"?scope={VILLAGE}")

    log = client.get(
        "/api/v1/audit/access-log?username=education", headers=login(client, "auditor")
    )
    entries = json_of(log)
    assert sorted(e["case_id"] for e in entries if e["purpose"] == "export") == sorted(ids)
