"""Property tests: whatever sequence of commands is tried, the accepted ones replay to the
same state (from events alone, and through snapshots), and a refused one changes nothing."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.cases.application import Cases
from services.cases.domain import Case, DomainError
from tests.support import IDENTIFY, INTERVENTION, OTHER_VILLAGE, TODAY, VILLAGE, VISIT

ACTOR = {"username": "director", "role": "child_director", "request_id": "prop"}

# Dates around the identification (2026-03-01) and today (2026-11-29): some before,
# some in the future, so that refusals are exercised as often as acceptances.
dates = st.integers(min_value=-60, max_value=300).map(
    lambda d: (date(2026, 3, 1) + timedelta(days=d)).isoformat()
)
intervention_ids = st.sampled_from(["i0", "i1", "i2", "missing"])

commands = st.one_of(
    # a risk level, and a school attendance after it when not "regular"
    st.tuples(
        st.just("visit"),
        dates,
        st.sampled_from(["low", "medium", "high", "medium dropped_out", "high dropped_out"]),
    ),
    st.tuples(st.just("guardian"), dates, st.sampled_from(["grandparent", "none"])),
    st.tuples(st.just("open"), dates, intervention_ids),
    st.tuples(st.just("progress"), dates, intervention_ids),
    st.tuples(st.just("close_intervention"), dates, intervention_ids),
    st.tuples(st.just("close"), dates, st.sampled_from(["parents_returned", "duplicate"])),
    st.tuples(st.just("reopen"), dates, st.just("")),
    st.tuples(
        st.just("correct"),
        st.sampled_from(["child.name", "child.nickname", "source"]),
        st.sampled_from(["王小红", "王小明", "school", "survey", "bogus"]),
    ),
    st.tuples(st.just("transfer"), dates, st.sampled_from([VILLAGE, OTHER_VILLAGE])),
    st.tuples(st.just("school"), dates, st.sampled_from(["enrolled", "returned", "dropped_out"])),
    st.tuples(st.just("correct"), st.just("identified_on"), dates),
)


def apply(case: Case, command: tuple[str, str, str]) -> None:
    kind, a, b = command
    if kind == "visit":
        risk, _, attendance = b.partition(" ")
        case.record_visit(
            visit={
                **VISIT,
                "visited_on": a,
                "risk_level": risk,
                "school_attendance": attendance or "regular",
            },
            actor=ACTOR,
            today=TODAY,
        )
    elif kind == "guardian":
        guardian = {"type": b} if b == "none" else IDENTIFY["guardian"]
        case.change_guardian(
            guardian=guardian,
            reason="变化",
            effective_on=a,
            entrustment_signed_on=None,
            actor=ACTOR,
            today=TODAY,
        )
    elif kind == "open":
        case.open_intervention(
            intervention_id=b,
            intervention={**INTERVENTION, "opened_on": a, "due_by": None},
            actor=ACTOR,
            today=TODAY,
        )
    elif kind == "progress":
        case.progress_intervention(
            intervention_id=b, note="跟进", progressed_on=a, actor=ACTOR, today=TODAY
        )
    elif kind == "close_intervention":
        case.close_intervention(
            intervention_id=b, outcome="完成", closed_on=a, actor=ACTOR, today=TODAY
        )
    elif kind == "close":
        case.close_case(reason=b, closed_on=a, note=None, actor=ACTOR, today=TODAY)
    elif kind == "reopen":
        case.reopen(reason="重新纳入", reopened_on=a, actor=ACTOR, today=TODAY)
    elif kind == "school":
        case.change_school(
            change=b,
            changed_on=a,
            school_name=None,
            grade=None,
            note=None,
            actor=ACTOR,
            today=TODAY,
        )
    elif kind == "correct":
        case.correct(field=a, value=b, reason="核实", actor=ACTOR, today=TODAY)
    else:
        case.transfer(
            jurisdiction=b,
            address_detail=None,
            reason="搬家",
            transferred_on=a,
            actor=ACTOR,
            today=TODAY,
        )


def state(case: Case) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(case).items() if k != "_pending_events"})


def run(command_list: list[tuple[str, str, str]]) -> tuple[Case, int]:
    case = Case.identify(record=copy.deepcopy(IDENTIFY), actor=ACTOR, today=TODAY)
    refused = 0
    for command in command_list:
        before = state(case)
        try:
            apply(case, command)
        except DomainError:
            refused += 1
            assert state(case) == before, f"refused {command} changed the case"
    return case, refused


@settings(max_examples=150, deadline=None)
@given(st.lists(commands, max_size=30))
def test_accepted_commands_replay_from_their_events_to_the_same_state(
    command_list: list[tuple[str, str, str]],
) -> None:
    case, _ = run(command_list)
    expected = state(case)
    replayed: Any = None
    event: Any
    for event in case.collect_events():
        replayed = event.mutate(replayed)
    assert state(replayed) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(commands, max_size=30))
def test_each_visit_records_the_risk_and_school_status_the_case_had_before_and_after_it(
    command_list: list[tuple[str, str, str]],
) -> None:
    # whoever follows the log reads these transitions instead of deriving them in order
    case, _ = run(command_list)
    replayed: Any = None
    event: Any
    for event in case.collect_events():
        before = None if replayed is None else (replayed.risk_level, replayed.school_status)
        replayed = event.mutate(replayed)
        if type(event).__name__ == "Visited":
            recorded: Any = event
            assert (recorded.risk_level_before, recorded.school_status_before) == before
            assert (recorded.risk_level_after, recorded.school_status_after) == (
                replayed.risk_level,
                replayed.school_status,
            )


@settings(max_examples=150, deadline=None)
@given(st.lists(commands, max_size=30))
def test_each_event_records_the_due_date_and_school_status_the_case_has_after_it(
    command_list: list[tuple[str, str, str]],
) -> None:
    # the one rule is computed by the case; followers read it from these events
    case, _ = run(command_list)
    replayed: Any = None
    event: Any
    for event in case.collect_events():
        replayed = event.mutate(replayed)
        recorded = vars(event)
        if "next_visit_due" in type(event).__dataclass_fields__:
            assert recorded["next_visit_due"] == replayed.next_visit_due
        if "school_status_after" in recorded:
            assert recorded["school_status_after"] == replayed.school_status


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(commands, min_size=20, max_size=60))
def test_a_stored_case_reads_back_the_same_through_snapshots(
    command_list: list[tuple[str, str, str]],
) -> None:
    # given an in-memory store that snapshots every few events
    class SnappyCases(Cases):
        snapshotting_intervals = {Case: 3}  # noqa: RUF012

    app = SnappyCases({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    case, _ = run(command_list)
    expected = state(case)
    # when each event is saved on its own (so snapshots are taken along the way)
    event: Any
    for event in case.collect_events():
        app.save(event)
        if event.originator_version % 3 == 0:
            app.take_snapshot(case.id, version=event.originator_version)
    # then reading it back, and reading any earlier version, agrees with a replay
    assert state(app.repository.get(case.id)) == expected
    events = list(app.events.get(case.id))
    middle = len(events) // 2 or 1
    replayed: Any = None
    for stored in events[:middle]:
        assert isinstance(stored, Case.Event)  # what the store reads back is the Case's
        replayed = stored.mutate(replayed)
    assert state(app.repository.get(case.id, version=middle)) == state(replayed)
