"""School changed (控辍保学): the rule, the endpoint, and every follower of the log: the
stream entry, the dashboards' school figures, notify's dropout alert, the history."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.cases.bootstrap import CaseService
from services.cases.domain import (
    Case,
    CaseClosedError,
    DateBeforeIdentificationError,
    FutureDateError,
    InvalidValueError,
)
from services.cases.relay.entries import EntryMapper
from services.notify.route.casefacts import evolve
from services.notify.route.rules import alerts_for
from shared.contracts import parse_entry
from tests.support import (
    IDENTIFY,
    TODAY,
    VILLAGE,
    VISIT,
    caught_up,
    identify_body,
    json_of,
    login,
)

ACTOR = {"username": "education", "role": "education", "request_id": "t"}
DROPPED_OUT = {"change": "dropped_out", "changed_on": "2026-05-10"}


def change(case: Case, **body: Any) -> None:
    body = {"school_name": None, "grade": None, "note": None, **DROPPED_OUT, **body}
    case.change_school(actor=ACTOR, today=TODAY, **body)


def new_case() -> Case:
    return Case.identify(record=copy.deepcopy(IDENTIFY), actor=ACTOR, today=TODAY)


def test_a_dropout_then_a_return_moves_the_school_status_and_records_the_transition() -> None:
    case = new_case()
    change(case)
    assert case.school_status == "dropped_out"
    change(case, change="returned", changed_on="2026-09-01", school_name="前坊中学", grade="7")
    assert (case.school_status, case.child["school"]["name"]) == ("enrolled", "前坊中学")
    recorded: Any = case.collect_events()[-1]
    assert (recorded.school_status_before, recorded.school_status_after) == (
        "dropped_out",
        "enrolled",
    )


def test_a_return_recorded_after_a_visit_that_saw_the_dropout_counts() -> None:
    case = new_case()
    case.record_visit(visit={**VISIT, "school_attendance": "dropped_out"}, actor=ACTOR, today=TODAY)
    change(case, change="returned", changed_on="2026-09-01")
    assert case.school_status == "enrolled"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"changed_on": "2026-02-01"}, DateBeforeIdentificationError),
        ({"changed_on": "2026-12-01"}, FutureDateError),
        ({"change": "graduated"}, InvalidValueError),
    ],
)
def test_a_school_change_is_refused_before_identification_in_the_future_or_unknown(
    body: dict[str, Any], error: type[Exception]
) -> None:
    case = new_case()
    with pytest.raises(error):
        change(case, **body)
    assert case.school_status == "enrolled"


def test_a_closed_case_takes_no_school_change() -> None:
    case = new_case()
    case.close_case(reason="moved_out", closed_on="2026-04-01", note=None, actor=ACTOR, today=TODAY)
    with pytest.raises(CaseClosedError):
        change(case)


def test_the_stream_says_what_changed_without_the_school_and_notify_alerts_education() -> None:
    case = new_case()
    change(case, school_name="前坊小学", note="家长带去外地")
    events = case.collect_events()
    mapper = EntryMapper(lambda _: "nobody")
    identified = parse_entry({**mapper.to_entry(1, events[0]), "previous_id": "0-0"})
    entry = mapper.to_entry(2, events[1])
    env = parse_entry({**entry, "previous_id": "1-0"})
    assert (env.type, env.payload) == (
        "case.school_changed",
        {
            "change": "dropped_out",
            "changed_on": "2026-05-10",
            "school_status_before": "enrolled",
            "school_status_after": "dropped_out",
        },
    )
    assert "前坊" not in entry["payload"] and "家长" not in entry["payload"]
    before = evolve(None, identified)
    after = evolve(before, env)
    assert after.dropped_out
    assert [(a.kind, a.audiences[0].role) for a in alerts_for(env, before, after)] == [
        ("school_dropout", "education")
    ]


def test_education_records_a_dropout_and_the_dashboard_and_history_follow(
    client: FlaskClient, service: CaseService
) -> None:
    civil = login(client, "civil")
    case = json_of(client.post("/api/v1/cases", json=identify_body(), headers=civil))
    url = f"/api/v1/cases/{case['id']}"
    education = login(client, "education")

    answer = client.post(f"{url}/school-changes", json=DROPPED_OUT, headers=education)
    police = client.post(f"{url}/school-changes", json=DROPPED_OUT, headers=login(client, "police"))

    assert answer.status_code == 200, answer.json
    assert json_of(answer)["school_status"] == "dropped_out"
    assert police.status_code in (403, 404)
    caught_up(service)
    summary = json_of(client.get(f"/api/v1/dashboard/summary?scope={VILLAGE}", headers=civil))
    assert summary["school_dropouts"] == 1
    history = json_of(client.get(f"{url}/history", headers=civil))["events"]
    # the dropout opens education's task to bring the child back (控辍保学), in the same append
    assert [e["type"] for e in history] == ["identified", "school_changed", "intervention_opened"]
    assert history[1]["data"]["change"] == "dropped_out"
    assert history[2]["data"]["intervention"]["kind"] == "dropout_prevention"
    assert history[2]["data"]["intervention"]["department"] == "education"
