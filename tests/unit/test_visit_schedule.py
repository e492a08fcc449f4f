"""The child's calendar (issue 11): the next visit is due by risk and guardianship, weekly
for high risk or no capable guardian, monthly at medium risk, quarterly at low, unless the
visitor sets a date; a city may choose its own intervals, and a date once recorded stays
as recorded when the city changes them."""

from __future__ import annotations

from typing import Any

import pytest

from services.cases.domain import Case, InvalidValueError
from services.cases.domain.visit_due import VisitSchedule
from shared.settings import Settings, SettingsError
from tests.support import IDENTIFY, TODAY, VISIT

ACTOR = {"username": "director", "role": "child_director", "request_id": "r"}
VISITED_ON = "2026-04-01"  # VISIT's date


def _case(guardian: dict[str, Any] | None = None, schedule: VisitSchedule | None = None) -> Case:
    record = {**IDENTIFY, "guardian": {**IDENTIFY["guardian"], **(guardian or {})}}
    if schedule is None:
        return Case.identify(record=record, actor=ACTOR, today=TODAY)
    return Case.identify(record=record, actor=ACTOR, today=TODAY, schedule=schedule)


def _visited(case: Case, schedule: VisitSchedule | None = None, **visit: Any) -> Case:
    body = {**VISIT, **visit}
    if schedule is None:
        case.record_visit(visit=body, actor=ACTOR, today=TODAY)
    else:
        case.record_visit(visit=body, actor=ACTOR, today=TODAY, schedule=schedule)
    return case


@pytest.mark.parametrize(
    ("risk", "due"), [("high", "2026-04-08"), ("medium", "2026-05-01"), ("low", "2026-06-30")]
)
def test_after_a_visit_the_next_is_due_by_its_risk_level(risk: str, due: str) -> None:
    assert _visited(_case(), risk_level=risk).next_visit_due == due


@pytest.mark.parametrize(
    "guardian",
    [{"capacity": "unable"}, {"type": "none", "name": None, "relation": None, "phone": None}],
)
def test_a_child_with_no_capable_guardian_is_visited_weekly_whatever_the_risk(
    guardian: dict[str, Any],
) -> None:
    case = _case(guardian)
    assert case.next_visit_due == "2026-03-08"  # a week after identification, 2026-03-01
    assert _visited(case, risk_level="low").next_visit_due == "2026-04-08"


def test_the_visitor_may_set_the_date_herself() -> None:
    assert _visited(_case(), risk_level="low", next_visit_due="2026-04-10").next_visit_due == (
        "2026-04-10"
    )


def test_a_city_chooses_its_own_intervals_and_others_keep_the_default() -> None:
    nanchang = VisitSchedule(by_city={"3601": {"high": 3, "medium": 14, "low": 60}})
    here = _visited(_case(schedule=nanchang), nanchang, risk_level="medium")
    assert here.next_visit_due == "2026-04-15"
    elsewhere = VisitSchedule(by_city={"3602": {"high": 3, "medium": 14, "low": 60}})
    assert _visited(_case(schedule=elsewhere), elsewhere, risk_level="medium").next_visit_due == (
        "2026-05-01"
    )


def test_a_date_once_recorded_stays_when_the_schedule_changes() -> None:
    case = _visited(
        _case(),
        VisitSchedule(default={"high": 3, "medium": 14, "low": 60}),
        risk_level="medium",
    )
    # the case read afterwards (default schedule) says what the visit recorded
    assert case.next_visit_due == "2026-04-15"


@pytest.mark.parametrize(
    "days",
    [
        {"high": 7, "medium": 30},
        {"high": 0, "medium": 30, "low": 90},
        {"high": 7, "medium": 30, "low": 400},
    ],
)
def test_a_schedule_without_every_level_or_with_a_nonsense_interval_is_refused(
    days: dict[str, int],
) -> None:
    with pytest.raises(InvalidValueError):
        VisitSchedule(default=days)


def test_the_intervals_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"CARELEDGER_VISIT_INTERVALS": "high=5,medium=20,low=60; 3601:high=3,medium=14,low=60"}
    )
    assert settings.visit_intervals == (("", 5, 20, 60), ("3601", 3, 14, 60))
    for bad in ("high=7,medium=30", "3601:high=0,medium=30,low=90", "36:high=7,medium=30,low=90"):
        with pytest.raises(SettingsError, match="CARELEDGER_VISIT_INTERVALS"):
            Settings.from_env({"CARELEDGER_VISIT_INTERVALS": bad})


# ---- the tasks a fact opens ----------------------------------------------------------------


def _tasks(case: Case) -> list[tuple[str, str, str | None]]:
    return [(i["kind"], i["department"], i["due_by"]) for i in case.interventions.values()]


def test_a_child_without_household_registration_is_the_polices_to_register() -> None:
    record = {**IDENTIFY, "child": {**IDENTIFY["child"], "hukou_registered": False}}
    case = Case.identify(record=record, actor=ACTOR, today=TODAY)

    assert _tasks(case) == [("household_registration", "police", "2026-03-31")]
    assert [type(e).__name__ for e in case.collect_events()] == [
        "Identified",
        "InterventionOpened",
    ]
    assert _tasks(_case()) == []  # registered: nothing to do


def test_a_dropout_found_opens_one_dropout_prevention_task_for_education() -> None:
    case = _visited(_case(), school_attendance="dropped_out")
    assert _tasks(case) == [("dropout_prevention", "education", "2026-05-01")]
    # still out at the next visit: the open task stands, no second one
    _visited(case, visited_on="2026-04-08", school_attendance="dropped_out")
    assert len(_tasks(case)) == 1


def test_a_school_change_to_dropped_out_opens_the_task_too() -> None:
    case = _case()
    case.change_school(
        change="dropped_out",
        changed_on="2026-05-10",
        school_name=None,
        grade=None,
        note=None,
        actor=ACTOR,
        today=TODAY,
    )
    assert _tasks(case) == [("dropout_prevention", "education", "2026-06-09")]
