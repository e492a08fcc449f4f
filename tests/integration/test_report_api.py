"""The periodic report over HTTP: PDF and Excel of the small city (small_city.py), every
figure as the dashboard gives it, and the caller's scope and bad input refused."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from services.cases.bootstrap import CaseService
from services.cli import main
from tests.integration.bad_input import assert_invalid
from tests.integration.projection_support import command_env
from tests.integration.small_city import CITY, TOWNSHIP, build_small_city, import_city_divisions
from tests.support import (
    GUARDIAN_CHANGE,
    INTERVENTION,
    VILLAGE,
    VISIT,
    caught_up,
    identify_body,
    json_of,
    login,
)

REPORTS = "/api/v1/reports"


@pytest.fixture
def city(client: FlaskClient, service: CaseService) -> FlaskClient:
    build_small_city(client)
    import_city_divisions(service)
    caught_up(service)
    return client


def fetch(client: FlaskClient, user: str = "civil_city", **query: Any) -> Any:
    return client.get(REPORTS, query_string=query, headers=login(client, user))


def summary(client: FlaskClient, scope: str) -> Any:
    return client.get(
        "/api/v1/dashboard/summary",
        query_string={"scope": scope},
        headers=login(client, "civil_city"),
    ).json


def test_the_pdf_is_in_chinese_with_the_dashboards_figures(city: FlaskClient) -> None:
    answer = fetch(city, scope=CITY, period="2026-11", format="pdf")

    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(answer.data)).pages)
    assert "南昌市农村留守儿童关爱保护工作定期通报（2026-11）" in text
    s = summary(city, CITY)
    active = s["cases"]["active"]
    assert f"在册留守儿童\n{active}\n0\n{active}\n" in text  # this period, the one before, change
    assert f"祖父母\n{s['guardian_types']['grandparent']}\n" in text
    assert "关爱保护场所及年度建设计划进度：尚未上线。" not in text  # the sites are in


SITE: dict[str, Any] = {
    "name": "前坊村儿童之家",
    "kind": "children_home",
    "jurisdiction": VILLAGE,
    "capacity": 30,
    "staff": {"name": "刘芳", "phone": "13900139000"},
    "opening_hours": "16:00-18:30",
}


def add_sites(client: FlaskClient, service: CaseService) -> dict[str, Any]:
    """An open site with a child attending, a planned one, and the city's plan; the
    sites' figures the dashboard gives for the city now."""
    civil = login(client, "civil_city")
    opened = json_of(client.post("/api/v1/sites", json=SITE, headers=civil))
    for status, on in (("built", "2026-11-02"), ("open", "2026-11-03")):
        body = {"status": status, "changed_on": on}
        client.post(f"/api/v1/sites/{opened['id']}/transitions", json=body, headers=civil)
    client.post("/api/v1/sites", json={**SITE, "name": "后坊村儿童之家"}, headers=civil)
    client.put(f"/api/v1/site-plans/{CITY}/2026", json={"target": 4}, headers=civil)
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    attend = {"site_id": opened["id"], "attended_on": "2026-11-04"}
    client.post(f"/api/v1/cases/{case['id']}/site-attendance", json=attend, headers=civil)
    caught_up(service)
    figures = client.get(f"/api/v1/sites/figures?scope={CITY}", headers=civil)
    return dict(json_of(figures))


def test_the_report_reads_the_care_sites_and_plan_as_the_dashboard_gives_them(
    city: FlaskClient, service: CaseService
) -> None:
    f = add_sites(city, service)
    assert (f["sites"]["standing"], f["plan"]["built"], f["children_served"]) == (1, 1, 1)

    book = load_workbook(BytesIO(fetch(city, scope=CITY, period="2026-11", format="xlsx").data))
    pdf = fetch(city, scope=CITY, period="2026-11", format="pdf")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)

    rows = {
        r[0]: r[1:]
        for r in book["关爱保护场所及年度计划进度"].iter_rows(min_row=3, values_only=True)
    }
    assert rows["关爱保护场所（已建成）"] == (f["sites"]["standing"], 0, 1)
    assert rows["其中开放运行"][0] == f["sites"]["open"]
    assert rows["规划待建"][0] == f["sites"]["planned"] == 1
    assert rows["有场所的村"][0] == f["villages"]["with_site"]
    assert rows["无场所的村"][0] == f["villages"]["without_site"]
    assert rows["年度新建计划"][0] == f["plan"]["target"] == 4
    assert rows["年度已新建"][0] == f["plan"]["built"]
    assert rows["年度计划完成率"][0] == f["plan"]["share"] == 0.25
    # attending from 2026-11-04: served at the month's end, not at October's
    assert rows["场所服务儿童"] == (f["children_served"], 0, 1)
    assert isinstance(rows["有场所的村"][0], int)
    assert "关爱保护场所及年度计划进度" in text
    assert "年度新建计划\n4\n4\n0\n" in text  # the plan of 2026, both periods in 2026


def test_the_pdf_is_in_english_when_asked(city: FlaskClient) -> None:
    answer = fetch(city, scope=CITY, period="2026-Q4", format="pdf", lang="en")

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(answer.data)).pages)
    assert "periodic report (2026-Q4)" in text and "Active children" in text


def test_the_workbook_has_a_sheet_per_table_with_numbers_as_numbers(city: FlaskClient) -> None:
    answer = fetch(city, scope=TOWNSHIP, period="2026-11", format="xlsx")

    assert answer.status_code == 200
    assert answer.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(BytesIO(answer.data))
    assert book.sheetnames[:2] == ["主要指标", "按监护类型"]
    rows = {r[0]: r[1:] for r in book["主要指标"].iter_rows(min_row=3, values_only=True)}
    s = summary(city, TOWNSHIP)
    assert rows["在册留守儿童"] == (s["cases"]["active"], 0, s["cases"]["active"])
    assert rows["逾期未走访"][0] == s["overdue_visits"]
    assert rows["近30天走访覆盖率"][0] == s["visit_coverage"]["last_30_days"]["share"]
    assert rows["随祖父母生活占比"][0] == 0.5  # 2 of 4
    # every visit of the small city found the child lonely: 3 visited of 4 active
    assert s["emotional_states"]["lonely"] == 3
    assert rows["最近一次走访孤独或苦恼占比"][0] == 1.0
    guardians = {r[0]: r[1] for r in book["按监护类型"].iter_rows(min_row=3, values_only=True)}
    assert guardians["祖父母"] == 2 and isinstance(guardians["祖父母"], int)


def test_a_scope_outside_the_callers_and_the_police_are_refused(city: FlaskClient) -> None:
    assert fetch(city, "civil", scope=CITY, period="2026-Q3", format="pdf").status_code == 403
    assert fetch(city, "police", period="2026-Q3", format="pdf").status_code == 403


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("period", {"period": "2026-Q5", "format": "pdf"}),
        ("period", {"period": "2026-13", "format": "pdf"}),
        ("period", {"period": "last quarter", "format": "pdf"}),
        ("format", {"period": "2026-Q3", "format": "docx"}),
        ("lang", {"period": "2026-Q3", "format": "pdf", "lang": "fr"}),
    ],
)
def test_a_bad_period_format_or_language_is_refused_with_the_field(
    city: FlaskClient, field: str, query: dict[str, str]
) -> None:
    assert_invalid(fetch(city, **query), field)


def test_the_command_writes_the_report_and_says_so_in_one_line(
    city: FlaskClient, service: CaseService, tmp_path: Path
) -> None:
    out = tmp_path / "report.xlsx"
    # The command runs on the real clock: November has ended, and the small city was
    # recorded only today, so November's figures are recounted from what the events say.
    args = ["--lang", "en", "--recomputed", "--output", str(out)]

    result = CliRunner().invoke(
        main,
        ["report", "--scope", TOWNSHIP, "--period", "2026-11", "--format", "xlsx", *args],
        env=command_env(service.settings),
    )

    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"report written path={out} scope={TOWNSHIP} period=2026-11")
    rows = {r[0]: r[1] for r in load_workbook(out)["Main figures"].iter_rows(values_only=True)}
    assert rows["Active children"] == summary(city, TOWNSHIP)["cases"]["active"] == 4


def test_the_command_refuses_a_bad_period_before_opening_the_store(service: CaseService) -> None:
    result = CliRunner().invoke(
        main,
        ["report", "--scope", CITY, "--period", "2026-Q5", "--format", "pdf"],
        env=command_env(service.settings),
    )

    assert result.exit_code == 2 and "2026-Q3" in result.output


def test_interventions_closed_in_the_period_are_counted_with_their_days_to_closure(
    client: FlaskClient, service: CaseService
) -> None:
    # given: two interventions closed in 2026-Q3, after 52 and 10 days, one in Q2 after 20
    civil = login(client, "civil")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}"
    for opened, closed in (
        ("2026-05-10", "2026-07-01"),
        ("2026-08-01", "2026-08-11"),
        ("2026-04-01", "2026-04-21"),
    ):
        body = INTERVENTION | {"opened_on": opened}
        iid = json_of(client.post(f"{url}/interventions", json=body, headers=civil))[
            "intervention_id"
        ]
        done = client.post(
            f"{url}/interventions/{iid}/closure",
            json={"outcome": "情绪好转", "closed_on": closed},
            headers=civil,
        )
        assert done.status_code in (200, 201), done.json
    caught_up(service)

    # when
    answer = fetch(client, "civil", scope=VILLAGE[:6], period="2026-Q3", format="xlsx")

    # then: Q3 beside Q2, as numbers
    book = load_workbook(BytesIO(answer.data))
    rows = {
        r[0]: r[1:]
        for r in book["干预措施办结用时（按类型）"].iter_rows(min_row=3, values_only=True)
    }
    assert rows["心理支持"] == (2, 31.0, 1, 20.0)
    assert rows["训诫谈话"] == (0, None, 0, None)
    departments = book["干预措施办结用时（按部门）"]
    assert {r[0]: r[1] for r in departments.iter_rows(min_row=3, values_only=True)}["民政"] == 2


def test_the_share_found_lonely_or_distressed_counts_the_latest_visit_of_the_visited(
    client: FlaskClient, service: CaseService
) -> None:
    # given: one child found distressed, then stable; one distressed; one never visited
    civil = login(client, "civil")
    ids = [
        json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))["id"]
        for _ in range(3)
    ]
    for case, on, mood in (
        (ids[0], "2026-04-01", "distressed"),
        (ids[0], "2026-05-01", "stable"),
        (ids[1], "2026-04-02", "distressed"),
    ):
        visit = VISIT | {"visited_on": on, "emotional_state": mood}
        answer = client.post(f"/api/v1/cases/{case}/visits", json=visit, headers=civil)
        assert answer.status_code in (200, 201), answer.json
    caught_up(service)

    # when
    s = summary(client, VILLAGE[:6])
    answer = fetch(client, "civil", scope=VILLAGE[:6], period="2026-11", format="xlsx")

    # then: 1 of the 2 visited
    assert {k: n for k, n in s["emotional_states"].items() if n} == {"stable": 1, "distressed": 1}
    sheet = load_workbook(BytesIO(answer.data))["主要指标"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert rows["最近一次走访孤独或苦恼占比"] == 0.5


def test_dropouts_returned_to_school_and_children_identified_are_counted_in_their_period(
    client: FlaskClient, service: CaseService
) -> None:
    # given: a child identified in March, dropped out in May, back at school in August
    civil = login(client, "civil")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}/school-changes"
    education = login(client, "education")
    for change, on in (("dropped_out", "2026-05-10"), ("returned", "2026-08-20")):
        body = {"change": change, "changed_on": on, "school_name": None, "grade": None}
        answer = client.post(url, json=body | {"note": None}, headers=education)
        assert answer.status_code in (200, 201), answer.json
    caught_up(service)

    # when
    q3, q1 = (county_sheet(client, period, "主要指标") for period in ("2026-Q3", "2026-Q1"))

    # then: this period, the one before, the change
    assert q3["本期辍学返校"] == (1, 0, 1)
    assert q1["本期新识别"] == (1, 0, 1)  # identified on 2026-03-01
    assert q3["本期新识别"] == (0, 0, 0)


def test_children_with_no_guardian_and_how_each_was_resolved_and_hukou_registered(
    client: FlaskClient, service: CaseService
) -> None:
    # given: three children found with no guardian in March; in 2026-Q3 one is given her
    # grandmother, one an institution, one leaves the county still without a guardian;
    # a fourth, without hukou, is registered by the police in August
    civil, police = login(client, "civil"), login(client, "police")
    alone = {"type": "none", "capacity": "unable"}
    ids = [
        json_of(client.post("/api/v1/cases", json=identify_body(guardian=alone), headers=civil))[
            "id"
        ]
        for _ in range(3)
    ]
    for case, guardian, on in (
        (ids[0], GUARDIAN_CHANGE["guardian"] | {"type": "grandparent"}, "2026-07-15"),
        (
            ids[1],
            GUARDIAN_CHANGE["guardian"] | {"type": "institution", "name": "县儿童福利院"},
            "2026-08-02",
        ),
    ):
        body = GUARDIAN_CHANGE | {"guardian": guardian, "effective_on": on}
        body.pop("entrustment_signed_on")
        answer = client.post(f"/api/v1/cases/{case}/guardian-changes", json=body, headers=civil)
        assert answer.status_code in (200, 201), answer.json
    closed = client.post(
        f"/api/v1/cases/{ids[2]}/closure",
        json={"reason": "moved_out", "closed_on": "2026-09-20"},
        headers=civil,
    )
    assert closed.status_code in (200, 201), closed.json
    child = identify_body()["child"] | {"hukou_registered": False}
    unregistered = json_of(
        client.post("/api/v1/cases", json=identify_body(child=child), headers=civil)
    )
    (task,) = [
        i["intervention_id"]
        for i in unregistered["interventions"]
        if i["kind"] == "household_registration" and i["department"] == "police"
    ]
    done = client.post(
        f"/api/v1/cases/{unregistered['id']}/interventions/{task}/closure",
        json={"outcome": "已办理户籍登记", "closed_on": "2026-08-10"},
        headers=police,
    )
    assert done.status_code in (200, 201), done.json
    caught_up(service)

    # when
    q3, q1 = (county_sheet(client, p, "无人监护儿童及落实监护情况") for p in ("2026-Q3", "2026-Q1"))

    # then: each figure this period, the one before, the change
    assert q1["本期新发现无人监护"] == (3, 0, 3)  # identified on 2026-03-01
    # counted at a period's end as recorded by then: all of it was recorded in November
    assert q1["无人监护儿童"][0] == 0
    assert q3["本期新发现无人监护"] == (0, 0, 0)
    assert q3["本期落实监护：祖父母"] == (1, 0, 1)
    assert q3["本期落实监护：机构"] == (1, 0, 1)
    assert q3["本期落实监护：父母一方"] == (0, 0, 0)
    assert q3["本期无人监护即结案"] == (1, 0, 1)
    assert q3["无人监护儿童"][:2] == (0, 0)
    rows = county_sheet(client, "2026-Q3", "无人监护儿童及落实监护情况", recomputed="true")
    assert rows["无人监护儿童"] == (0, 3, -3)  # with what is known today: 3 at Q2's end
    assert county_sheet(client, "2026-Q3", "主要指标")["本期无户籍儿童登记户口"] == (1, 0, 1)
    # the same figures as the dashboard's months give them
    months = [
        summary_as_of(client, VILLAGE[:6], day)["this_month"]
        for day in ("2026-07-31", "2026-08-31", "2026-09-30")
    ]
    assert sum(m["no_guardian_to_grandparent"] for m in months) == 1
    assert sum(m["no_guardian_to_institution"] for m in months) == 1
    assert sum(m["no_guardian_closed"] for m in months) == 1
    assert sum(m["hukou_registered"] for m in months) == 1


def test_a_directors_child_with_no_guardian_counts_as_found_once_confirmed(
    client: FlaskClient, service: CaseService
) -> None:
    # given: a village director identifies a child with no guardian (pending review)
    director = login(client, "director")
    body = identify_body(guardian={"type": "none", "capacity": "unable"})
    case = json_of(client.post("/api/v1/cases", json=body, headers=director))
    caught_up(service)
    pending = summary_as_of(client, VILLAGE[:6], "2026-03-31")["this_month"]
    assert pending["no_guardian_found"] == 0  # not counted before review

    # when: the supervisor confirms it
    confirmed = client.post(
        f"/api/v1/cases/{case['id']}/review/confirmation",
        headers=login(client, "supervisor"),
    )
    assert confirmed.status_code == 200, confirmed.json
    caught_up(service)

    # then
    assert summary_as_of(client, VILLAGE[:6], "2026-03-31")["this_month"]["no_guardian_found"] == 1


def summary_as_of(client: FlaskClient, scope: str, day: str) -> Any:
    return client.get(
        "/api/v1/dashboard/summary",
        query_string={"scope": scope, "as_of": day},
        headers=login(client, "civil"),
    ).json


def county_sheet(client: FlaskClient, period: str, sheet: str, **query: Any) -> dict[str, Any]:
    """One sheet of the county's workbook for `period`: each row's figures by its label."""
    answer = fetch(client, "civil", scope=VILLAGE[:6], period=period, format="xlsx", **query)
    assert answer.status_code == 200, answer.json
    rows = load_workbook(BytesIO(answer.data))[sheet].iter_rows(min_row=3, values_only=True)
    return {r[0]: r[1:] for r in rows}
