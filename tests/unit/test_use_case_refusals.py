"""Bad values sent straight to the use cases (the Cases application, no HTTP): each is
refused by the domain with the error the API maps to 422, naming the field the API
names, and nothing is written. tests/integration/test_bad_input_bodies.py proves the same
answers over HTTP; this table proves the rules hold without the HTTP schemas, for the
demo seeder and any future importer too."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from random import Random
from typing import Any

import pytest

from services.cases.access import Actor
from services.cases.api.errors import STATUS_OF
from services.cases.api.schemas import IdentifySchema, InterventionSchema, VisitSchema
from services.cases.application import Cases
from services.cases.demo.history import Life
from services.cases.demo.people import RecordMaker
from services.cases.demo.places import villages
from services.cases.demo.visits import Visitor
from services.cases.domain import (
    Case,
    DateBeforeIdentificationError,
    DateBeforeOpeningError,
    DomainError,
    FutureDateError,
    InvalidValueError,
    NotEligibleError,
)
from services.cases.domain.values import Guardian, Identification, Intervention, Visit
from shared.roles import Role
from tests.integration.bad_input import (
    CLOSURE,
    DROP,
    INTERVENTION_CLOSURE,
    PROGRESS,
    TRANSFER,
    edit,
)
from tests.support import (
    COUNTY,
    GUARDIAN_CHANGE,
    IDENTIFY,
    INTERVENTION,
    TODAY,
    VISIT,
    FixedClock,
)

CIVIL = Actor("civil", Role.CIVIL_AFFAIRS, COUNTY, "request-1")

# A use case: given the application, a case it holds and one of its interventions, and
# a body, it runs the write the body is for.
UseCase = Callable[[Cases, Any, str, dict[str, Any]], object]


def _identify(cases: Cases, _: Any, __: str, body: dict[str, Any]) -> object:
    return cases.identify(CIVIL, body)


def _visit(cases: Cases, case_id: Any, _: str, body: dict[str, Any]) -> object:
    return cases.record_visit(CIVIL, case_id, body)


def _guardian(cases: Cases, case_id: Any, _: str, body: dict[str, Any]) -> object:
    return cases.change_guardian(CIVIL, case_id, body)


def _intervention(cases: Cases, case_id: Any, _: str, body: dict[str, Any]) -> object:
    return cases.open_intervention(CIVIL, case_id, body)


def _progress(cases: Cases, case_id: Any, iid: str, body: dict[str, Any]) -> object:
    return cases.progress_intervention(CIVIL, case_id, iid, body)


def _closure(cases: Cases, case_id: Any, iid: str, body: dict[str, Any]) -> object:
    return cases.close_intervention(CIVIL, case_id, iid, body)


def _transfer(cases: Cases, case_id: Any, _: str, body: dict[str, Any]) -> object:
    return cases.transfer(CIVIL, case_id, body)


def _close_case(cases: Cases, case_id: Any, _: str, body: dict[str, Any]) -> object:
    return cases.close_case(CIVIL, case_id, body)


# The domain errors, named for the table below.
BAD, FUTURE, NOT_ELIGIBLE = InvalidValueError, FutureDateError, NotEligibleError
BEFORE_IDENTIFICATION, BEFORE_OPENING = DateBeforeIdentificationError, DateBeforeOpeningError

Row = tuple[UseCase, dict[str, Any], dict[str, Any], str, type[DomainError]]


def rows(
    use_case: UseCase,
    sample: dict[str, Any],
    refusals: list[tuple[dict[str, Any], str, type[DomainError]]],
) -> list[Row]:
    """One row per (changes to the sample, the field, the error)."""
    return [(use_case, sample, changes, field, error) for changes, field, error in refusals]


# Each write's bad values: vocabularies, consistency, lengths and formats first, then
# the rules that need the case or the calendar.
REFUSALS: list[Row] = [
    *rows(
        _identify,
        IDENTIFY,
        [
            ({"child.sex": "unknown"}, "child.sex", BAD),
            ({"child.school.status": "graduated"}, "child.school.status", BAD),
            ({"parents.0.relation": "uncle"}, "parents.0.relation", BAD),
            ({"parents.0.status": "missing"}, "parents.0.status", BAD),
            ({"parents.1.relation": "father"}, "parents", BAD),
            ({"parents": []}, "parents", BAD),
            ({"guardian.type": "neighbour"}, "guardian.type", BAD),
            ({"guardian.capacity": "weak"}, "guardian.capacity", BAD),
            ({"guardian.name": DROP}, "guardian.name", BAD),
            ({"guardian.relation": DROP}, "guardian.relation", BAD),
            ({"guardian.capacity": DROP}, "guardian.capacity", BAD),
            ({"source": "facebook"}, "source", BAD),
            ({"child.name": "长" * 51}, "child.name", BAD),
            ({"child.name": "   "}, "child.name", BAD),
            ({"child.nickname": "小明"}, "child.nickname", BAD),
            ({"child.id_number": "360124201503020021"}, "child.id_number", BAD),
            ({"guardian.phone": "call grandma"}, "guardian.phone", BAD),
            ({"parents.0.phone": "12"}, "parents.0.phone", BAD),
            ({"child.birth_date": "2015-3-2"}, "child.birth_date", BAD),
            ({"child.birth_date": "2010-03-01"}, "child.birth_date", NOT_ELIGIBLE),
            ({"parents.1.status": "at_home"}, "parents", NOT_ELIGIBLE),
            ({"identified_on": "2027-03-01"}, "identified_on", FUTURE),
        ],
    ),
    *rows(
        _visit,
        VISIT,
        [
            ({"risk_level": "extreme"}, "risk_level", BAD),
            ({"mode": "carrier_pigeon"}, "mode", BAD),
            ({"living_conditions": "excellent"}, "living_conditions", BAD),
            ({"school_attendance": "sometimes"}, "school_attendance", BAD),
            ({"emotional_state": "happy"}, "emotional_state", BAD),
            ({"safety_concerns": ["aliens"]}, "safety_concerns.0", BAD),
            ({"safety_concerns": ["neglect", "neglect"]}, "safety_concerns", BAD),
            ({"guardian_present": "sometimes"}, "guardian_present", BAD),
            ({"notes": "长" * 2001}, "notes", BAD),
            ({"weather": "雨"}, "weather", BAD),
            ({"next_visit_due": "2026-03-31"}, "next_visit_due", BAD),
            ({"visited_on": "2026-02-28"}, "visited_on", BEFORE_IDENTIFICATION),
            ({"visited_on": "2026-11-30"}, "visited_on", FUTURE),
        ],
    ),
    *rows(
        _guardian,
        GUARDIAN_CHANGE,
        [
            ({"guardian.type": "neighbour"}, "guardian.type", BAD),
            ({"guardian.capacity": DROP}, "guardian.capacity", BAD),
            ({"guardian.name": "长" * 51}, "guardian.name", BAD),
        ],
    ),
    *rows(
        _intervention,
        INTERVENTION,
        [
            ({"kind": "prayer"}, "kind", BAD),
            ({"department": "army"}, "department", BAD),
            ({"urgency": "whenever"}, "urgency", BAD),
            ({"description": "  "}, "description", BAD),
            ({"due_by": "2026-05-09"}, "due_by", BAD),
            ({"opened_on": "2026-02-28"}, "opened_on", BEFORE_IDENTIFICATION),
        ],
    ),
    *rows(
        _progress,
        PROGRESS,
        [
            ({"progressed_on": "2026-05-09"}, "progressed_on", BEFORE_OPENING),
        ],
    ),
    *rows(
        _closure,
        INTERVENTION_CLOSURE,
        [
            ({"closed_on": "2026-05-09"}, "closed_on", BEFORE_OPENING),
        ],
    ),
    *rows(
        _transfer,
        TRANSFER,
        [
            ({"address_detail": "长" * 201}, "address_detail", BAD),
            ({"reason": "  "}, "reason", BAD),
        ],
    ),
    *rows(
        _close_case,
        CLOSURE,
        [
            ({"reason": "bored"}, "reason", BAD),
            ({"note": "长" * 501}, "note", BAD),
        ],
    ),
]


@pytest.fixture
def cases() -> Cases:
    return Cases({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=FixedClock())


def case_with_intervention(cases: Cases) -> tuple[Any, str]:
    case_id = cases.identify(CIVIL, IDENTIFY).case.id
    iid = cases.open_intervention(CIVIL, case_id, INTERVENTION).intervention_id
    assert iid is not None
    return case_id, iid


@pytest.mark.parametrize(
    ("use_case", "sample", "changes", "field", "error"),
    REFUSALS,
    ids=[f"{row[0].__name__[1:]}:{','.join(row[2])}" for row in REFUSALS],
)
def test_a_bad_value_sent_to_a_use_case_is_refused_by_the_domain_as_the_api_refuses_it(
    cases: Cases,
    use_case: UseCase,
    sample: dict[str, Any],
    changes: dict[str, Any],
    field: str,
    error: type[DomainError],
) -> None:
    # given the sample itself is accepted (on a case of its own)
    use_case(cases, *case_with_intervention(cases), sample)
    # and a case with an intervention (identified 2026-03-01, intervention 2026-05-10)
    case_id, iid = case_with_intervention(cases)
    written = cases.recorder.max_notification_id()
    # when
    with pytest.raises(DomainError) as refusal:
        use_case(cases, case_id, iid, edit(sample, changes))
    # then
    assert type(refusal.value) is error and refusal.value.field == field, repr(refusal.value)
    assert STATUS_OF[error] == 422
    assert cases.recorder.max_notification_id() == written


def test_what_the_http_schemas_load_is_stored_byte_for_byte_as_before() -> None:
    # The value objects' JSON is what the events stored when marshmallow's output went
    # straight into them: same keys, same order, same values.
    for schema, value, sample in (
        (IdentifySchema(), Identification, IDENTIFY),
        (VisitSchema(), Visit, VISIT),
        (InterventionSchema(), Intervention, INTERVENTION),
    ):
        loaded = schema.load(sample)
        parsed: Any = value.parse(loaded)
        assert json.dumps(parsed.to_json(), ensure_ascii=False) == json.dumps(
            loaded, ensure_ascii=False
        )
    guardian = IdentifySchema().load(IDENTIFY)["guardian"]
    assert list(Guardian.parse(guardian).to_json().items()) == list(guardian.items())


def test_the_demo_seeder_goes_through_the_same_rules() -> None:
    # given a demo child whose record holds a guardian nobody could name
    rng = Random(7)
    home = villages()[0]
    record = RecordMaker(rng, TODAY).record(home)
    record["guardian"] = {**record["guardian"], "type": "grandparent", "name": None}
    # then the seeder's own path (Life → Case) refuses it, as the API would
    with pytest.raises(InvalidValueError) as refusal:
        Life(rng, TODAY, record, lax=False).play()
    assert refusal.value.field == "guardian.name"

    # and a visitor who found a risk level nobody can read back is refused too
    class CarelessVisitor(Visitor):
        def visit(self, day: date, guardian: dict[str, Any]) -> tuple[dict[str, Any], str]:
            visit, by = super().visit(day, guardian)
            return {**visit, "risk_level": "extreme"}, by

    life = Life(rng, TODAY, RecordMaker(rng, TODAY).record(home), lax=False)
    life.visitor = CarelessVisitor(rng, life.record, lax=False)
    with pytest.raises(InvalidValueError) as refusal:
        life.play()
    assert refusal.value.field == "risk_level"


def test_every_value_the_demo_seeds_reads_back_unchanged() -> None:
    rng = Random(11)
    maker = RecordMaker(rng, TODAY)
    for home in villages()[:60]:
        case: Case = Life(rng, TODAY, maker.record(home), lax=False).play()
        for event in case.pending_events:
            for name, value in (
                ("record", Identification),
                ("visit", Visit),
                ("guardian", Guardian),
                ("intervention", Intervention),
            ):
                stored = getattr(event, name, None)
                if stored is not None:
                    assert value.parse(stored).to_json() == stored


def test_a_value_object_is_frozen() -> None:
    visit = Visit.parse(VISIT)
    with pytest.raises(AttributeError):
        visit.risk_level = "high"  # type: ignore[misc]
    assert replace(visit, risk_level="high").risk_level == "high"
    assert date.fromisoformat(visit.visited_on) < TODAY
