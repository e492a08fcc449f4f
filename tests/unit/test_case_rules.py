"""The rules of a case (product.md), on the aggregate alone: no store, no HTTP."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from services.cases.application import Cases
from services.cases.domain import (
    Case,
    CaseClosedError,
    CaseNotClosedError,
    DateBeforeIdentificationError,
    DateBeforeOpeningError,
    FutureDateError,
    InterventionNotOpenError,
    NotEligibleError,
    NothingToCorrectError,
    SameJurisdictionError,
    UnknownFieldError,
    UnknownInterventionError,
)
from tests.support import IDENTIFY, INTERVENTION, OTHER_VILLAGE, TODAY, VISIT

ACTOR = {"username": "director", "role": "child_director", "request_id": "r1"}


def new_case(**changes: Any) -> Case:
    record = copy.deepcopy(IDENTIFY)
    record.update(changes)
    return Case.identify(record=record, actor=ACTOR, today=TODAY)


def parents(father: str, mother: str) -> list[dict[str, str]]:
    return [{"relation": "father", "status": father}, {"relation": "mother", "status": mother}]


@pytest.mark.parametrize(
    ("father", "mother"),
    [
        ("working_away", "working_away"),
        ("working_away", "deceased"),
        ("incarcerated", "working_away"),
        ("working_away", "lacks_capacity"),
        ("working_away", "unknown"),
    ],
)
def test_a_child_with_both_parents_away_or_one_away_and_one_unable_is_eligible(
    father: str, mother: str
) -> None:
    assert new_case(parents=parents(father, mother)).status == "active"


@pytest.mark.parametrize(
    ("father", "mother", "reason"),
    [
        ("at_home", "working_away", "at home and able"),
        ("at_home", "at_home", "neither parent works away"),
        ("deceased", "deceased", "neither parent works away"),
    ],
)
def test_a_child_with_a_parent_able_to_care_at_home_is_refused_with_the_reason(
    father: str, mother: str, reason: str
) -> None:
    with pytest.raises(NotEligibleError, match=reason):
        new_case(parents=parents(father, mother))


def test_a_single_listed_parent_working_away_makes_the_other_unknown_and_eligible() -> None:
    assert new_case(parents=[{"relation": "mother", "status": "working_away"}]).version == 1


def test_a_child_who_is_16_on_the_identification_day_is_refused() -> None:
    child = {**IDENTIFY["child"], "birth_date": "2010-03-01"}
    with pytest.raises(NotEligibleError, match="already 16"):
        new_case(child=child)


def test_a_child_one_day_short_of_16_is_eligible() -> None:
    child = {**IDENTIFY["child"], "birth_date": "2010-03-02"}
    assert new_case(child=child).sixteenth_birthday == "2026-03-02"


def test_identification_in_the_future_is_refused() -> None:
    with pytest.raises(FutureDateError):
        new_case(identified_on="2026-11-30")


def test_a_visit_before_identification_is_refused() -> None:
    case = new_case()
    with pytest.raises(DateBeforeIdentificationError):
        case.record_visit(visit={**VISIT, "visited_on": "2026-02-28"}, actor=ACTOR, today=TODAY)


def test_a_visit_in_the_future_is_refused() -> None:
    case = new_case()
    with pytest.raises(FutureDateError):
        case.record_visit(visit={**VISIT, "visited_on": "2026-11-30"}, actor=ACTOR, today=TODAY)


def test_nothing_but_reopening_is_accepted_on_a_closed_case() -> None:
    case = new_case()
    case.close_case(
        reason="parents_returned", closed_on="2026-06-01", note=None, actor=ACTOR, today=TODAY
    )
    with pytest.raises(CaseClosedError):
        case.record_visit(visit=VISIT, actor=ACTOR, today=TODAY)
    with pytest.raises(CaseClosedError):
        case.open_intervention(
            intervention_id="i1", intervention=INTERVENTION, actor=ACTOR, today=TODAY
        )
    with pytest.raises(CaseClosedError):
        case.correct(field="child.name", value="王小红", reason="错字", actor=ACTOR, today=TODAY)
    case.reopen(reason="父亲再次外出务工", reopened_on="2026-07-01", actor=ACTOR, today=TODAY)
    assert case.status == "active" and case.closure is None


def test_an_open_case_cannot_be_reopened() -> None:
    with pytest.raises(CaseNotClosedError):
        new_case().reopen(reason="x", reopened_on="2026-07-01", actor=ACTOR, today=TODAY)


def test_only_an_open_intervention_progresses_or_closes() -> None:
    case = new_case()
    case.open_intervention(
        intervention_id="i1", intervention=INTERVENTION, actor=ACTOR, today=TODAY
    )
    case.close_intervention(
        intervention_id="i1", outcome="好转", closed_on="2026-06-01", actor=ACTOR, today=TODAY
    )
    with pytest.raises(InterventionNotOpenError):
        case.progress_intervention(
            intervention_id="i1", note="再访", progressed_on="2026-06-02", actor=ACTOR, today=TODAY
        )
    with pytest.raises(InterventionNotOpenError):
        case.close_intervention(
            intervention_id="i1", outcome="x", closed_on="2026-06-02", actor=ACTOR, today=TODAY
        )
    with pytest.raises(UnknownInterventionError):
        case.progress_intervention(
            intervention_id="nope", note="x", progressed_on="2026-06-02", actor=ACTOR, today=TODAY
        )


def test_a_correction_keeps_the_old_value_beside_the_new() -> None:
    case = new_case()
    case.correct(field="child.school.grade", value="4", reason="升学", actor=ACTOR, today=TODAY)
    assert case.child["school"]["grade"] == "4"
    assert case.corrections == [
        {"field": "child.school.grade", "old_value": "3", "new_value": "4", "reason": "升学"}
    ]


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("child.nickname", "x", UnknownFieldError),
        ("address.jurisdiction", OTHER_VILLAGE, UnknownFieldError),
        ("parents.2.status", "deceased", UnknownFieldError),
        ("child.name", "王小明", NothingToCorrectError),
    ],
)
def test_a_correction_must_name_a_field_that_exists_and_change_it(
    field: str, value: Any, error: type[Exception]
) -> None:
    case = new_case()
    with pytest.raises(error):
        case.correct(field=field, value=value, reason="x", actor=ACTOR, today=TODAY)
    assert case.version == 1


def test_a_parent_listed_second_can_be_corrected_by_position() -> None:
    case = new_case()
    case.correct(
        field="parents.1.status", value="deceased", reason="核实", actor=ACTOR, today=TODAY
    )
    assert case.record["parents"][1]["status"] == "deceased"


def test_a_transfer_to_the_same_village_is_refused() -> None:
    case = new_case()
    with pytest.raises(SameJurisdictionError):
        case.transfer(
            jurisdiction=case.jurisdiction,
            address_detail=None,
            reason="搬家",
            transferred_on="2026-06-01",
            actor=ACTOR,
            today=TODAY,
        )


def test_a_transfer_moves_the_case_and_clears_the_assignment() -> None:
    case = new_case()
    case.assign(assignee="director", actor=ACTOR)
    case.transfer(
        jurisdiction=OTHER_VILLAGE,
        address_detail="新地址",
        reason="搬家",
        transferred_on="2026-06-01",
        actor=ACTOR,
        today=TODAY,
    )
    assert case.jurisdiction == OTHER_VILLAGE and case.assigned_to is None
    assert case.record["address"] == {"jurisdiction": OTHER_VILLAGE, "detail": "新地址"}


def test_the_next_visit_is_due_by_risk_unless_the_visitor_says() -> None:
    case = new_case()
    assert case.next_visit_due == "2026-03-31"  # 30 days after identification
    case.record_visit(
        visit={**VISIT, "risk_level": "high", "next_visit_due": None}, actor=ACTOR, today=TODAY
    )
    assert case.next_visit_due == "2026-04-08"  # a week after a high-risk visit
    case.record_visit(
        visit={
            **VISIT,
            "visited_on": "2026-05-01",
            "risk_level": "low",
            "next_visit_due": "2026-06-15",
        },
        actor=ACTOR,
        today=TODAY,
    )
    assert case.next_visit_due == "2026-06-15"


def test_a_child_with_no_guardian_is_due_a_visit_within_a_week() -> None:
    case = new_case(guardian={"type": "none"})
    assert case.guardian_type == "none"
    assert case.next_visit_due == "2026-03-08"


def test_a_dropout_seen_on_a_visit_overrides_the_enrolment_on_record() -> None:
    case = new_case()
    case.record_visit(visit={**VISIT, "school_attendance": "dropped_out"}, actor=ACTOR, today=TODAY)
    assert case.school_status == "dropped_out"


def test_a_visit_records_the_risk_and_school_status_before_and_after_it() -> None:
    # given a case enrolled at school, not yet visited
    case = new_case()
    # when a visit finds the risk high and the child dropped out
    case.record_visit(
        visit={**VISIT, "risk_level": "high", "school_attendance": "dropped_out"},
        actor=ACTOR,
        today=TODAY,
    )
    # then the event says what changed, as the case derives it (the dropout's task
    # follows it: test_visit_schedule.py)
    visited: Any = next(e for e in case.collect_events() if type(e).__name__ == "Visited")
    assert (visited.risk_level_before, visited.risk_level_after) == (None, "high")
    assert (visited.school_status_before, visited.school_status_after) == (
        "enrolled",
        "dropped_out",
    )


def test_a_visit_recorded_late_and_older_than_the_latest_changes_nothing_it_records() -> None:
    case = new_case()
    case.record_visit(
        visit={**VISIT, "visited_on": "2026-04-08", "risk_level": "medium"},
        actor=ACTOR,
        today=TODAY,
    )
    case.record_visit(
        visit={
            **VISIT,
            "visited_on": "2026-04-01",
            "risk_level": "high",
            "school_attendance": "dropped_out",
        },
        actor=ACTOR,
        today=TODAY,
    )
    visited: Any = case.collect_events()[-1]
    assert (visited.risk_level_before, visited.risk_level_after) == ("medium", "medium")
    assert (visited.school_status_before, visited.school_status_after) == ("enrolled", "enrolled")
    assert (case.risk_level, case.school_status) == ("medium", "enrolled")


def test_a_visit_stored_before_visits_recorded_their_transition_still_replays() -> None:
    # given a Visited event as stored before it carried the risk and school status around it
    case = new_case()
    case.record_visit(visit={**VISIT, "risk_level": "high"}, actor=ACTOR, today=TODAY)
    identified, visited = case.collect_events()
    mapper = Cases({"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper
    stored = mapper.to_stored_event(visited)
    state = json.loads(stored.state)
    for name in (
        "risk_level_before",
        "risk_level_after",
        "school_status_before",
        "school_status_after",
    ):
        del state[name]
    old = mapper.to_domain_event(replace(stored, state=json.dumps(state).encode()))
    assert isinstance(old, Case.Event) and not hasattr(old, "risk_level_after")
    # when it is replayed, then the case is what it was
    replayed: Any = old.mutate(identified.mutate(None))
    assert (replayed.visit_count, replayed.risk_level) == (1, "high")


def test_a_mandatory_report_opens_the_case_to_the_police() -> None:
    case = new_case()
    assert not case.has_mandatory_report
    case.open_intervention(
        intervention_id="i1",
        intervention={**INTERVENTION, "kind": "mandatory_report", "department": "police"},
        actor=ACTOR,
        today=TODAY,
    )
    assert case.has_mandatory_report


def test_commands_before_a_save_never_change_the_events_already_pending() -> None:
    # given a case identified, its guardian changed, then both corrected before any save
    case = new_case()
    case.change_guardian(
        guardian={**IDENTIFY["guardian"], "name": "张三"},
        reason="变更",
        effective_on="2026-04-01",
        entrustment_signed_on=None,
        actor=ACTOR,
        today=TODAY,
    )
    case.correct(field="child.name", value="王小红", reason="错字", actor=ACTOR, today=TODAY)
    case.correct(field="guardian.name", value="张四", reason="错字", actor=ACTOR, today=TODAY)
    case.transfer(
        jurisdiction=OTHER_VILLAGE,
        address_detail=None,
        reason="搬家",
        transferred_on="2026-05-01",
        actor=ACTOR,
        today=TODAY,
    )
    # then the pending events still say what was true when each was recorded
    identified, guardian_changed, *_ = case.collect_events()
    assert identified.record["child"]["name"] == "王小明"  # type: ignore[attr-defined]
    assert identified.record["address"]["jurisdiction"] == IDENTIFY["address"]["jurisdiction"]  # type: ignore[attr-defined]
    assert guardian_changed.guardian["name"] == "张三"  # type: ignore[attr-defined]


def test_progress_or_closure_dated_before_the_intervention_opened_is_refused_as_such() -> None:
    # given an intervention opened on 2026-05-10, long after identification (2026-03-01)
    case = new_case()
    case.open_intervention(
        intervention_id="i1", intervention=INTERVENTION, actor=ACTOR, today=TODAY
    )
    # then a date between the two is refused for what it is: before the opening
    with pytest.raises(DateBeforeOpeningError) as progress:
        case.progress_intervention(
            intervention_id="i1", note="x", progressed_on="2026-05-09", actor=ACTOR, today=TODAY
        )
    with pytest.raises(DateBeforeOpeningError) as closure:
        case.close_intervention(
            intervention_id="i1", outcome="x", closed_on="2026-05-09", actor=ACTOR, today=TODAY
        )
    assert (progress.value.field, closure.value.field) == ("progressed_on", "closed_on")
