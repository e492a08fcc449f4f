"""Figures as of a past day: as they stood that day, unless recomputed with today's
corrections (services/cases/projections/daily.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import eventsourcing.domain
import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from tests.integration.projection_support import rebuilt_rows
from tests.support import VILLAGE, VISIT, caught_up, identify_body, json_of, login

SUMMARY = "/api/v1/dashboard/summary"
BREAKDOWN = "/api/v1/dashboard/breakdown"
TOWNSHIP = VILLAGE[:9]


@pytest.fixture
def record_on(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Sets the instant events are recorded at (the log's own clock, not the app's)."""

    def at(day: str) -> None:
        instant = datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)
        monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", lambda: instant)

    return at


def figures(client: FlaskClient, path: str, **query: Any) -> Any:
    answer = client.get(path, query_string=query, headers=login(client, "civil_city"))
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_correction_made_today_leaves_yesterdays_figure_unless_recomputed(
    client: FlaskClient, service: CaseService, record_on: Callable[[str], None]
) -> None:
    # given: a child identified (enrolled at school) on 11-20, a second one on 11-25
    civil = login(client, "civil")
    record_on("2026-11-20")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    record_on("2026-11-25")
    client.post("/api/v1/cases", json=identify_body(), headers=civil)
    # when: today (11-29) someone corrects the first: she had in fact dropped out
    record_on("2026-11-29")
    correction = {"field": "child.school.status", "value": "dropped_out", "reason": "登记时写错"}
    answer = client.post(f"/api/v1/cases/{case['id']}/corrections", json=correction, headers=civil)
    assert answer.status_code in (200, 201), answer.json
    caught_up(service)

    # then: yesterday's figure is as it stood, the recomputed one and today's follow it
    as_it_stood = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-28")
    assert as_it_stood["school_dropouts"] == 0
    assert as_it_stood["cases"]["active"] == 2
    recomputed = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-28", recomputed="true")
    assert recomputed["school_dropouts"] == 1
    assert figures(client, SUMMARY, scope=TOWNSHIP)["school_dropouts"] == 1
    # and: the series starts when each child was recorded
    assert figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-22")["cases"]["active"] == 1
    assert figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-19")["cases"]["active"] == 0
    # and: the breakdown one level down answers the same way
    county = VILLAGE[:6]
    rows = figures(client, BREAKDOWN, scope=county, as_of="2026-11-28")["rows"]
    assert [r["school_dropouts"] for r in rows if r["code"] == TOWNSHIP] == [0]
    rows = figures(client, BREAKDOWN, scope=county, as_of="2026-11-28", recomputed="true")["rows"]
    assert [r["school_dropouts"] for r in rows if r["code"] == TOWNSHIP] == [1]


def test_a_rebuild_from_the_log_keeps_the_series(
    client: FlaskClient, service: CaseService, record_on: Callable[[str], None]
) -> None:
    civil = login(client, "civil")
    record_on("2026-11-20")
    client.post("/api/v1/cases", json=identify_body(), headers=civil)
    record_on("2026-11-26")
    client.post("/api/v1/cases", json=identify_body(), headers=civil)
    caught_up(service)
    before = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-22")

    rebuilt_rows(service)

    assert figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-11-22") == before
    assert before["cases"]["active"] == 1


def test_visit_coverage_and_overdue_visits_on_a_past_day_are_as_the_visits_then_known_had_them(
    client: FlaskClient, service: CaseService, record_on: Callable[[str], None]
) -> None:
    # given: a child identified on 08-01, visited on 08-15 (medium risk: due again a month
    # later), then on 10-20; a visit of 09-20 recorded late, on 10-05
    civil = login(client, "civil")
    record_on("2026-08-01")
    body = identify_body(identified_on="2026-08-01")
    case = json_of(client.post("/api/v1/cases", json=body, headers=civil))
    url = f"/api/v1/cases/{case['id']}/visits"
    for visited, recorded in (
        ("2026-08-15", "2026-08-15"),
        ("2026-09-20", "2026-10-05"),
        ("2026-10-20", "2026-10-20"),
    ):
        record_on(recorded)
        visit = VISIT | {"visited_on": visited, "risk_level": "medium"}
        answer = client.post(url, json=visit, headers=civil)
        assert answer.status_code in (200, 201), answer.json
    caught_up(service)

    # then: on 09-30, as it stood, the last visit known was 08-15: visited in the last 90
    # days, not the last 30, and the visit due a month later was overdue
    then = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-09-30")
    assert then["visit_coverage"]["last_30_days"]["visited"] == 0
    assert then["visit_coverage"]["last_90_days"]["visited"] == 1
    assert then["overdue_visits"] == 1
    # recomputed with the visit recorded late: visited on 09-20, nothing overdue
    known = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-09-30", recomputed="true")
    assert known["visit_coverage"]["last_30_days"]["visited"] == 1
    assert known["overdue_visits"] == 0
    # before the first visit, on 08-10: not visited, not yet due
    first = figures(client, SUMMARY, scope=TOWNSHIP, as_of="2026-08-10")
    assert first["visit_coverage"]["last_90_days"]["visited"] == 0
    assert first["cases"]["active"] == 1
    # the breakdown one level down says the same
    rows = figures(client, BREAKDOWN, scope=VILLAGE[:6], as_of="2026-09-30")["rows"]
    (township,) = [r for r in rows if r["code"] == TOWNSHIP]
    assert (township["visit_coverage_30_days"], township["overdue_visits"]) == (0.0, 1)
    # today's figures: the 10-20 visit within 90 days; its month not yet over
    today = figures(client, SUMMARY, scope=TOWNSHIP)
    assert today["visit_coverage"]["last_90_days"]["visited"] == 1
