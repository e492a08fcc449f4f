"""The dashboard API: every figure of a small city worked out by hand (see small_city.py),
"overdue" as of any day, and each call held to the caller's scope and role."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.small_city import (
    CITY,
    COUNTY,
    TOWNSHIP,
    V1,
    V2,
    V3,
    VILLAGE_NAMES,
    build_small_city,
    import_city_divisions,
)
from tests.support import caught_up, login

SUMMARY = "/api/v1/dashboard/summary"


@pytest.fixture
def city(client: FlaskClient, service: CaseService) -> FlaskClient:
    build_small_city(client)
    import_city_divisions(service)
    caught_up(service)
    return client


def get(client: FlaskClient, path: str, user: str = "civil_city", **query: Any) -> Any:
    answer = client.get(path, query_string=query, headers=login(client, user))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_summary_of_a_township_gives_every_figure_of_the_product(city: FlaskClient) -> None:
    s = get(city, SUMMARY, scope=TOWNSHIP)

    assert (s["code"], s["level"], s["as_of"]) == (TOWNSHIP, "township", "2026-11-29")
    assert s["cases"] == {"active": 4, "closed": 0, "total": 4}
    assert s["guardian_types"] == {
        "parent": 0,
        "grandparent": 2,
        "other_relative": 1,
        "entrusted_adult": 0,
        "institution": 0,
        "none": 1,
    }
    assert s["no_guardian"] == 1
    assert s["risk_levels"] == {"low": 1, "medium": 1, "high": 1, "not_yet_visited": 1}
    assert s["this_month"] == {
        "month": "2026-11",
        "identified": 1,
        "children_visited": 2,
        "visits": 2,
        "interventions_opened": 1,
        "mandatory_reports_opened": 0,
        "closed": 0,
        "reopened": 0,
        "returned_to_school": 0,
        # the child identified this month has no guardian (small_city.py)
        "no_guardian_found": 1,
        "no_guardian_to_parent": 0,
        "no_guardian_to_grandparent": 0,
        "no_guardian_to_other_relative": 0,
        "no_guardian_to_entrusted_adult": 0,
        "no_guardian_to_institution": 0,
        "no_guardian_closed": 0,
        "hukou_registered": 0,
    }
    assert s["visit_coverage"] == {
        "last_30_days": {"visited": 2, "share": 0.5},
        "last_90_days": {"visited": 3, "share": 0.75},
    }
    assert s["overdue_visits"] == 2  # B (due 11-17) and C (due 09-08)
    assert s["entrustment"] == {"signed": 1, "entrustable": 3, "share": 0.3333}
    assert s["school"] == {"enrolled": 3, "dropped_out": 1, "not_in_school": 0}
    assert s["school_dropouts"] == 1
    interventions = s["interventions"]
    # C's dropout (the 09-01 visit) opened education's task by rule, due 10-01: overdue
    assert (interventions["open"], interventions["overdue"]) == (3, 2)
    assert {k: n for k, n in interventions["by_kind"].items() if n} == {
        "temporary_guardianship": 1,
        "mandatory_report": 1,
        "dropout_prevention": 1,
    }
    assert {k: n for k, n in interventions["by_department"].items() if n} == {
        "civil_affairs": 1,
        "police": 1,
        "education": 1,
    }
    assert {k: n for k, n in interventions["overdue_by_department"].items() if n} == {
        "civil_affairs": 1,
        "education": 1,
    }
    assert s["mandatory_reports"] == {"open": 1, "overdue": 0, "cases": 1}
    assert s["workload"] == {
        "directors": 1,
        "assigned": 1,
        "unassigned": 3,
        "average_per_director": 1.0,
        "most_per_director": 1,
        "by_director": [{"username": "director", "active_cases": 1}],
    }


def test_the_city_adds_the_closed_case_of_the_other_county(city: FlaskClient) -> None:
    s = get(city, SUMMARY)  # civil_city's own scope by default

    assert (s["code"], s["name"]) == (CITY, "南昌市")
    assert s["cases"] == {"active": 4, "closed": 1, "total": 5}
    assert s["this_month"]["closed"] == 1
    assert get(city, SUMMARY, scope=V3[:6])["cases"] == {"active": 0, "closed": 1, "total": 1}


def test_overdue_and_coverage_are_counted_for_the_day_asked(city: FlaskClient) -> None:
    s = get(city, SUMMARY, scope=COUNTY, as_of="2027-01-05")

    assert s["as_of"] == "2027-01-05"
    assert s["overdue_visits"] == 3  # E's next visit (12-25) has now passed too
    assert s["interventions"]["overdue"] == 3  # with C's dropout task (due 10-01)
    assert s["mandatory_reports"]["overdue"] == 1  # due 12-31
    assert s["visit_coverage"]["last_30_days"]["visited"] == 0
    assert s["visit_coverage"]["last_90_days"]["visited"] == 2
    assert s["this_month"]["month"] == "2027-01" and s["this_month"]["visits"] == 0
    # a past day: by the visits known today (recomputed); as it stood, nothing was
    # recorded yet (the small city is recorded when the test runs)
    past = get(city, SUMMARY, scope=COUNTY, as_of="2026-11-16", recomputed="true")
    # C (visited 09-01, high risk: due a week later), and A and E, whose visits of 11-20
    # and 11-25 had not yet happened: by today's due dates only C would be
    assert past["overdue_visits"] == 3
    assert get(city, SUMMARY, scope=COUNTY, as_of="2026-11-16")["overdue_visits"] == 0


def test_the_breakdown_has_one_row_per_village_with_its_name(city: FlaskClient) -> None:
    b = get(city, "/api/v1/dashboard/breakdown", scope=TOWNSHIP)
    rows = {r["code"]: r for r in b["rows"]}

    assert V1 in rows and V2 in rows and all(len(code) == 12 for code in rows)
    assert all(r["level"] == "village" for r in rows.values())
    assert (rows[V1]["name"], rows[V2]["name"]) == (VILLAGE_NAMES[V1], VILLAGE_NAMES[V2])
    assert {
        k: rows[V1][k]
        for k in (
            "active",
            "no_guardian",
            "overdue_visits",
            "visited_last_30_days",
            "identified_this_month",
            "open_interventions",
            "overdue_interventions",
        )
    } == {
        "active": 2,
        "no_guardian": 1,
        "overdue_visits": 1,
        "visited_last_30_days": 1,
        "identified_this_month": 1,
        "open_interventions": 1,
        "overdue_interventions": 1,
    }
    assert {
        k: rows[V2][k]
        for k in (
            "active",
            "high_risk",
            "overdue_visits",
            "visited_last_30_days",
            "school_dropouts",
            "mandatory_reports_open",
            "entrustment_signed_share",
        )
    } == {
        "active": 2,
        "high_risk": 1,
        "overdue_visits": 1,
        "visited_last_30_days": 1,
        "school_dropouts": 1,
        "mandatory_reports_open": 1,
        "entrustment_signed_share": 0.0,
    }
    quiet = [r for code, r in rows.items() if code not in (V1, V2)]
    assert quiet and all(r["active"] == 0 for r in quiet)


def test_the_breakdown_of_a_city_lists_its_counties_by_their_official_names(
    city: FlaskClient,
) -> None:
    rows = {r["code"]: r for r in get(city, "/api/v1/dashboard/breakdown")["rows"]}

    assert rows[COUNTY]["name"] == "进贤县" and rows[V3[:6]]["name"] == "南昌县"
    assert rows[COUNTY]["active"] == 4 and rows[V3[:6]]["active"] == 0


def test_the_trend_gives_each_month_and_the_active_count_at_its_end(city: FlaskClient) -> None:
    months = get(city, "/api/v1/dashboard/trend", scope=TOWNSHIP, months=3)["months"]

    assert [m["month"] for m in months] == ["2026-09", "2026-10", "2026-11"]
    assert [
        (
            m["visits"],
            m["children_visited"],
            m["interventions_opened"],
            m["mandatory_reports_opened"],
            m["identified"],
        )
        for m in months
    ] == [(1, 1, 2, 1, 0), (0, 0, 0, 0, 0), (2, 2, 1, 0, 1)]  # 09: report and dropout task
    assert [m["active_at_month_end"] for m in months] == [3, 3, 4]
    city_months = get(city, "/api/v1/dashboard/trend", months=2)["months"]
    assert [(m["closed"], m["active_at_month_end"]) for m in city_months] == [(0, 4), (1, 4)]


def test_the_ranking_scores_townships_and_counties_for_the_assessment(city: FlaskClient) -> None:
    townships = get(city, "/api/v1/dashboard/ranking", level="township")

    assert townships["ranked_level"] == "township"
    first, last = townships["rows"]
    # coverage 0.5, on time 1 - 2/4, entrustment 1/3, interventions on time 1 - 2/3 (B's
    # and C's dropout task overdue, of three open)
    assert (first["code"], first["rank"], first["score"]) == (TOWNSHIP, 1, 41.7)
    assert (last["code"], last["rank"], last["score"]) == (V3[:9], 2, None)
    counties = get(city, "/api/v1/dashboard/ranking")["rows"]
    assert [(r["code"], r["name"], r["score"]) for r in counties] == [
        (COUNTY, "进贤县", 41.7),
        (V3[:6], "南昌县", None),
    ]


# ---- scope and role ---------------------------------------------------------------------------

DASHBOARD = [
    "/api/v1/dashboard/summary",
    "/api/v1/dashboard/breakdown",
    "/api/v1/dashboard/trend",
    "/api/v1/dashboard/ranking",
    "/api/v1/worklists/overdue-visits",
]


OUTSIDE = [
    ("civil", V3[:6]),  # another county
    ("director", TOWNSHIP),  # above a village director's own scope
    ("supervisor", CITY),
    ("auditor", "36"),  # the whole province, from a city auditor
    ("admin", CITY),
]  # no case data at all


@pytest.mark.parametrize("path", DASHBOARD)
def test_a_scope_outside_the_callers_own_or_an_admin_is_refused(
    city: FlaskClient, path: str
) -> None:
    for user, scope in OUTSIDE:
        answer = city.get(path, query_string={"scope": scope}, headers=login(city, user))
        assert answer.status_code == 403, (user, scope, answer.json)
        assert answer.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", DASHBOARD)
def test_every_dashboard_call_answers_for_the_callers_own_scope_by_default(
    city: FlaskClient, path: str
) -> None:
    for user in ("director", "supervisor", "education", "auditor"):
        if user == "director" and path.endswith("ranking"):
            continue  # a village has nothing below it to rank (422, see below)
        body = get(city, path, user)
        assert body.get("code", body.get("scope")) in (V1, TOWNSHIP, COUNTY, CITY)


def test_the_police_get_only_mandatory_report_figures(city: FlaskClient) -> None:
    assert get(city, SUMMARY, "police") == {
        "code": COUNTY,
        "level": "county",
        "name": "进贤县",
        "as_of": "2026-11-29",
        "mandatory_reports": {"open": 1, "overdue": 0, "cases": 1},
    }
    rows = get(city, "/api/v1/dashboard/breakdown", "police")["rows"]
    assert all(
        set(r)
        == {
            "code",
            "level",
            "name",
            "mandatory_reports_open",
            "mandatory_reports_overdue",
            "reported_cases",
        }
        for r in rows
    )
    assert sum(r["mandatory_reports_open"] for r in rows) == 1
    months = get(city, "/api/v1/dashboard/trend", "police", months=3)["months"]
    assert [m["mandatory_reports_opened"] for m in months] == [1, 0, 0]
    assert all(set(m) == {"month", "mandatory_reports_opened"} for m in months)
    police = login(city, "police")
    assert city.get("/api/v1/dashboard/ranking", headers=police).status_code == 403


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        (SUMMARY, {"scope": "3601X"}, "scope"),
        (SUMMARY, {"scope": "360"}, "scope"),
        (SUMMARY, {"as_of": "2026-13-01"}, "as_of"),
        (SUMMARY, {"as_of": "yesterday"}, "as_of"),
        (SUMMARY, {"min_position": "-1"}, "min_position"),
        (SUMMARY, {"min_position": "soon"}, "min_position"),
        (SUMMARY, {"colour": "red"}, "colour"),
        ("/api/v1/dashboard/breakdown", {"months": "3"}, "months"),
        ("/api/v1/dashboard/trend", {"months": "0"}, "months"),
        ("/api/v1/dashboard/trend", {"months": "37"}, "months"),
        ("/api/v1/dashboard/ranking", {"level": "planet"}, "level"),
        ("/api/v1/dashboard/ranking", {"level": "city"}, "level"),
        ("/api/v1/dashboard/ranking", {"scope": V1}, "scope"),
        ("/api/v1/worklists/overdue-visits", {"per_page": "0"}, "per_page"),
        ("/api/v1/worklists/no-guardian", {"as_of": "29/11/2026"}, "as_of"),
        ("/api/v1/worklists/mandatory-reports", {"assignee": ""}, "assignee"),
        ("/api/v1/worklists/overdue-interventions", {"page": "0"}, "page"),
    ],
)
def test_a_bad_dashboard_parameter_is_refused_naming_it(
    client: FlaskClient, path: str, query: dict[str, str], field: str
) -> None:
    answer = client.get(path, query_string=query, headers=login(client, "civil_city"))
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]  # type: ignore[index]


def test_a_departments_intervention_figures_are_its_own_as_its_worklist_is(
    city: FlaskClient, service: CaseService
) -> None:
    cases = get(city, "/api/v1/cases", "civil", per_page=50)["items"]
    active = next(c["id"] for c in cases if c["status"] == "active")
    opened = city.post(
        f"/api/v1/cases/{active}/interventions",
        json={
            "kind": "dropout_prevention",
            "department": "education",
            "urgency": "urgent",
            "description": "劝返",
            "opened_on": "2026-11-01",
            "due_by": "2026-11-15",
        },
        headers=login(city, "civil"),
    )
    assert opened.status_code == 201, opened.json
    caught_up(service)
    for user, department, open_, overdue in (
        # and C's dropout task, opened by rule and overdue, is education's too
        ("education", "education", 2, 2),
        ("civil", None, 4, 3),
    ):
        figures = get(city, SUMMARY, user)["interventions"]
        worklist = get(city, "/api/v1/worklists/overdue-interventions", user)
        assert (figures["department"], figures["open"], figures["overdue"]) == (
            department,
            open_,
            overdue,
        )
        assert figures["overdue"] == worklist["total"]
        rows = get(city, "/api/v1/dashboard/breakdown", user)["rows"]
        assert sum(r["open_interventions"] for r in rows) == open_
        assert sum(r["overdue_interventions"] for r in rows) == overdue
