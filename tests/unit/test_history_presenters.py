"""The history shows each Case event through its own presenter: every event class has one
(or is ignored on purpose), and nothing else of a stored event reaches the answer."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import AggregateEvent

from services.cases.access import Actor
from services.cases.api.presenters import HISTORY, history_entries, history_entry
from services.cases.application import Cases
from services.cases.domain import Case
from shared.dispatch import UnknownEventError
from shared.roles import Role
from tests.support import IDENTIFY, VISIT, FixedClock

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, "360124", "r1")
# The bases the eventsourcing library gives every aggregate; no event is stored as one.
_LIBRARY_BASES = {"Event", "Created"}


def event_classes(aggregate: type[Any]) -> set[type[Any]]:
    """The event classes the aggregate's @event methods made, found by introspection."""
    return {
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, AggregateEvent)
        and name not in _LIBRARY_BASES
    }


def test_the_introspection_finds_the_case_events() -> None:
    names = {cls.__name__ for cls in event_classes(Case)}
    assert {"Identified", "Visited", "Corrected"} <= names
    assert not names & _LIBRARY_BASES


def test_every_case_event_has_a_presenter_or_is_ignored_on_purpose() -> None:
    missing = HISTORY.missing(event_classes(Case))
    assert not missing, (
        "add a presenter to services/cases/api/presenters.py (or HISTORY.ignore(...) with "
        f"the reason) for: {sorted(cls.__qualname__ for cls in missing)}"
    )


def test_an_event_with_no_presenter_is_refused_loudly() -> None:
    class Unknown:
        pass

    with pytest.raises(UnknownEventError, match="Unknown"):
        history_entry(Unknown())  # type: ignore[arg-type]


def test_a_field_added_to_a_stored_event_stays_out_of_the_history() -> None:
    # given a visit whose stored event carries a field no presenter shows
    cases = Cases(clock=FixedClock())
    case_id = cases.identify(CIVIL, IDENTIFY).case.id
    cases.record_visit(CIVIL, case_id, VISIT)
    visited = cases.history(CIVIL, case_id).events[-1]
    object.__setattr__(visited, "internal_note", "not for the API")

    # when it is shown
    entry = history_entry(visited)

    # then the presenter's fields are there, and nothing else
    assert entry["type"] == "visited"
    assert entry["data"]["visit"]["visited_on"] == VISIT["visited_on"]
    assert "internal_note" not in entry["data"]


def test_the_history_loads_the_case_once_and_lists_its_events_up_to_that_version() -> None:
    cases = Cases(clock=FixedClock())
    case_id = cases.identify(CIVIL, IDENTIFY).case.id
    cases.record_visit(CIVIL, case_id, VISIT)
    loads: list[object] = []
    get = cases.repository.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        loads.append(args[0])
        return get(*args, **kwargs)

    cases.repository.get = counting_get  # type: ignore[method-assign]

    history = cases.history(CIVIL, case_id)

    assert loads == [case_id]
    assert [e.originator_version for e in history.events] == [1, 2]
    assert history.case.version == 2
    assert [e["type"] for e in history_entries(history.events)] == ["identified", "visited"]
