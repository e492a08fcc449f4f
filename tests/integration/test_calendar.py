"""The child's calendar (issue 11): a child reaching 16 is flagged on the day by the
scheduled job, acting as the named system actor `system:calendar`, and the case is closed
once the township supervisor confirms; the same when both parents have returned. Both
backends, through the HTTP API and the job itself."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.calendar_job import CalendarJob
from services.cli import main
from shared.settings import Settings
from tests.support import TODAY, caught_up, identify_body, json_of, login

TURNED_16 = "2010-11-20"  # sixteen on 2026-11-20, before TODAY (2026-11-29)
STILL_15 = "2011-01-05"


def _identify(client: FlaskClient, born: str) -> str:
    body = identify_body()
    body["child"] = {**body["child"], "birth_date": born}
    answer = client.post("/api/v1/cases", json=body, headers=login(client, "civil"))
    assert answer.status_code == 201, answer.json
    return str(json_of(answer)["id"])


def _case(client: FlaskClient, case_id: str) -> Any:
    return json_of(client.get(f"/api/v1/cases/{case_id}", headers=login(client, "supervisor")))


def _events(client: FlaskClient, case_id: str) -> list[Any]:
    history = client.get(f"/api/v1/cases/{case_id}/history", headers=login(client, "civil"))
    return list(json_of(history)["events"])


def _job(service: CaseService) -> CalendarJob:
    caught_up(service)  # the job narrows the register through the read models
    return CalendarJob(service)


def test_a_child_who_turned_16_is_flagged_once_and_closed_when_the_supervisor_confirms(
    client: FlaskClient, service: CaseService
) -> None:
    sixteen, fifteen = _identify(client, TURNED_16), _identify(client, STILL_15)

    assert _job(service).check(TODAY) == 1
    assert _job(service).check(TODAY) == 0  # flagged once, not every day

    flagged = _events(client, sixteen)[-2:]
    assert [e["type"] for e in flagged] == ["closure_proposed", "review_requested"]
    assert flagged[0]["actor"]["username"] == "system:calendar"
    assert flagged[0]["data"] == {"reason": "reached_16", "proposed_on": TODAY.isoformat()}
    assert _events(client, fifteen)[-1]["type"] == "identified"
    caught_up(service)
    waiting = client.get("/api/v1/worklists/awaiting-review", headers=login(client, "supervisor"))
    assert [i["case"]["id"] for i in json_of(waiting)["items"]] == [sixteen]
    assert _case(client, sixteen)["status"] == "active"  # nothing closes without review

    confirmed = client.post(
        f"/api/v1/cases/{sixteen}/review/confirmation", headers=login(client, "supervisor")
    )

    assert confirmed.status_code == 200, confirmed.json
    closed = json_of(confirmed)
    assert closed["status"] == "closed"
    assert closed["closure"]["reason"] == "reached_16"
    assert closed["closure"]["closed_on"] == TODAY.isoformat()


def test_a_closure_the_supervisor_returns_leaves_the_case_open_and_is_not_proposed_again(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _identify(client, TURNED_16)
    assert _job(service).check(TODAY) == 1

    returned = client.post(
        f"/api/v1/cases/{case_id}/review/return",
        json={"comment": "出生日期有误，待核实户口簿"},
        headers=login(client, "supervisor"),
    )

    assert returned.status_code == 200, returned.json
    case = json_of(returned)
    assert case["status"] == "active"
    assert case["review"]["status"] == "confirmed"  # nothing waits, nothing to resubmit
    assert _job(service).check(TODAY) == 0


def test_parents_back_home_propose_the_closure_for_review(
    client: FlaskClient, service: CaseService
) -> None:
    case_id = _identify(client, STILL_15)
    civil = login(client, "civil")
    url = f"/api/v1/cases/{case_id}/corrections"

    # the father comes home to stay (the mother works away): no longer a left-behind
    # child; the correction stands (not refused as inconsistent) and asks for closure
    back = client.post(
        url,
        json={"field": "parents.0.status", "value": "at_home", "reason": "父亲返乡"},
        headers=civil,
    )

    assert back.status_code == 200, back.json
    assert json_of(back)["status"] == "active"
    assert [e["type"] for e in _events(client, case_id)[-3:]] == [
        "corrected",
        "closure_proposed",
        "review_requested",
    ]
    confirmed = client.post(
        f"/api/v1/cases/{case_id}/review/confirmation", headers=login(client, "supervisor")
    )
    assert json_of(confirmed)["closure"]["reason"] == "parents_returned"


def test_the_command_checks_once_and_says_how_many_it_flagged(
    client: FlaskClient, service: CaseService, settings: Settings
) -> None:
    _identify(client, TURNED_16)
    caught_up(service)
    env = {"CARELEDGER_DATA_DIR": str(settings.data_dir), "CARELEDGER_LOG_FORMAT": "text"}
    if settings.database_url:
        env |= {
            "CARELEDGER_DATABASE_URL": settings.database_url,
            "CARELEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        }

    result = CliRunner().invoke(main, ["cases", "calendar", "--once"], env=env)

    # The command's clock is today's (2026-12 or later), past the fixture's TODAY.
    assert result.exit_code == 0, result.output
    assert "calendar: 1 cases flagged for closure at 16" in result.output
