"""Bad request bodies on the case endpoints: each is refused with 422, `errors` naming the
dotted field and the reason, and nothing is written (architecture.md, promise 7).

Each parametrized row is one rule; its variants run as subtests on one fresh service, so
a failure names the rule (the test id) and the input (the subtest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.bad_input import (
    ASSIGNMENT,
    CASES,
    CLOSURE,
    CORRECTION,
    DROP,
    INTERVENTION_CLOSURE,
    LOOSE_DATES,
    PROGRESS,
    REOPENING,
    TRANSFER,
    WRITES,
    World,
    assert_invalid,
    edit,
)
from tests.support import (
    GUARDIAN_CHANGE,
    IDENTIFY,
    INTERVENTION,
    VILLAGE,
    VISIT,
    identify_body,
)

# (changes to the sample body, the field the error must name, words its reason must say)
Variant = tuple[dict[str, Any], str, tuple[str, ...]]


def describe(changes: dict[str, Any]) -> str:
    def short(value: Any) -> str:
        text = "(dropped)" if value is DROP else repr(value)
        return text if len(text) <= 30 else f"{text[:12]}…({len(text)} chars)"

    return ", ".join(f"{path}={short(value)}" for path, value in changes.items())


def missing(*fields: str) -> list[Variant]:
    return [({f: DROP}, f, ("missing",)) for f in fields]


def loose_dates(field: str) -> list[Variant]:
    return [({field: d}, field, ("YYYY-MM-DD",) if isinstance(d, str) else ()) for d in LOOSE_DATES]


def terms(**bad: str) -> list[Variant]:
    return [({f: v}, f, ("one of",)) for f, v in bad.items()]


def too_long(**limits: int) -> list[Variant]:
    return [({f: "长" * (n + 1)}, f, (str(n),)) for f, n in limits.items()]


# Where the variants go: the path, and the cases that must stay as they are.
Target = Callable[[], tuple[str, tuple[str, ...]]]


def refuse_all(
    world: World, subtests: Any, target: Target, sample: dict[str, Any], variants: list[Variant]
) -> None:
    """POSTs each variant of `sample` as a civil affairs officer: each is a 422 naming the
    field and leaves the log where it was, and the cases end as they began. When one is
    wrongly accepted, the variants after it go to a fresh target, so that each variant
    is judged on its own."""
    path, cases = target()
    at_first = world.written(*cases)
    for changes, field, words in variants:
        with subtests.test(msg=describe(changes)):
            before = world.position()
            response = world.post("civil", path, edit(sample, changes))
            wrote = world.position() != before
            if wrote:
                path, cases = target()
                at_first = world.written(*cases)
            assert_invalid(response, field, *words)
            assert not wrote, "the refused request wrote events"
    assert world.written(*cases) == at_first


def test_the_sample_bodies_are_accepted_so_each_refusal_is_about_its_one_change(
    world: World,
) -> None:
    url = world.open_case()
    iid = world.open_intervention(url)
    for name, (path, body) in WRITES.items():
        if name == "intervention":
            continue
        response = world.post("civil", url + path.format(iid=iid), body)
        assert response.status_code == 200, (name, response.get_json())


IDENTIFY_REFUSALS = [
    pytest.param(
        [
            ({"nickname": "小明"}, "nickname", ("unknown",)),
            ({"child.nickname": "小明"}, "child.nickname", ("unknown",)),
            ({"child.school.teacher": "张老师"}, "child.school.teacher", ("unknown",)),
            ({"address.street": "前坊路"}, "address.street", ("unknown",)),
            ({"parents.0.age": 40}, "parents.0.age", ("unknown",)),
            ({"guardian.age": 70}, "guardian.age", ("unknown",)),
        ],
        id="unknown-fields-at-any-depth",
    ),
    pytest.param(
        [
            *missing(
                "child",
                "child.name",
                "child.sex",
                "child.birth_date",
                "child.school.status",
                "address",
                "address.jurisdiction",
                "address.detail",
                "parents",
                "parents.1.relation",
                "parents.1.status",
                "guardian",
                "guardian.type",
                "source",
                "identified_on",
            ),
            *[
                ({f"guardian.{f}": DROP}, f"guardian.{f}", ("required",))
                for f in ("name", "relation", "capacity")
            ],
            ({"child.name": None}, "child.name", ()),
            ({"child.name": ""}, "child.name", ()),
            ({"address.detail": ""}, "address.detail", ()),
            ({"parents": []}, "parents", ()),
            ({"guardian": None}, "guardian", ()),
            ({"identified_on": None}, "identified_on", ()),
        ],
        id="missing-null-or-empty-required-fields",
    ),
    pytest.param(
        [
            ({"child.name": "   "}, "child.name", ()),
            ({"address.detail": " \t "}, "address.detail", ()),
            ({"guardian.name": "  "}, "guardian.name", ()),
        ],
        id="blank-required-text",
    ),
    pytest.param(
        too_long(
            **{
                "child.name": 50,
                "child.school.name": 100,
                "child.school.grade": 20,
                "child.health": 500,
                "child.disability": 200,
                "address.detail": 200,
                "parents.0.work_location": 100,
                "guardian.name": 50,
                "guardian.relation": 30,
            }
        ),
        id="over-long-strings",
    ),
    pytest.param(
        [
            # A village code is 12 ASCII digits.
            *[
                ({"address.jurisdiction": code}, "address.jurisdiction", ("12-digit",))
                for code in (
                    "36012410520",
                    "3601241052030",
                    "3601",
                    "",
                    "36012410520A",
                    "36012410520 ",
                    "３６０１２４１０５２０３",
                )
            ],
            ({"address.jurisdiction": 360124105203}, "address.jurisdiction", ()),
            # 36012420150302002X is valid: a wrong check character, or a wrong length.
            ({"child.id_number": "360124201503020021"}, "child.id_number", ("id number",)),
            ({"child.id_number": "36012420150302002Y"}, "child.id_number", ("id number",)),
            ({"child.id_number": "36012420150302002"}, "child.id_number", ()),
            ({"child.id_number": "36012420150302002XX"}, "child.id_number", ()),
            ({"guardian.phone": "call grandma"}, "guardian.phone", ("phone",)),
            ({"parents.0.phone": "12"}, "parents.0.phone", ("phone",)),
            ({"parents.0.phone": "1" * 21}, "parents.0.phone", ()),
        ],
        id="malformed-village-code-id-number-or-phone",
    ),
    pytest.param(
        [
            *loose_dates("identified_on"),
            *[
                ({"child.birth_date": d}, "child.birth_date", ("YYYY-MM-DD",))
                for d in ("2015-3-2", "2015-02-29", "02/03/2015", "2015-03-02T00:00:00")
            ],
        ],
        id="dates-not-strictly-yyyy-mm-dd",
    ),
    pytest.param(
        [
            *terms(
                **{
                    "child.sex": "unknown",
                    "child.school.status": "graduated",
                    "parents.0.relation": "uncle",
                    "parents.0.status": "missing",
                    "guardian.type": "neighbour",
                    "guardian.capacity": "weak",
                    "source": "facebook",
                }
            ),
            ({"child.sex": "Female"}, "child.sex", ("one of",)),
            ({"parents.1.relation": "father"}, "parents", ("once",)),
            (
                {"parents": [*IDENTIFY["parents"], {"relation": "mother", "status": "deceased"}]},
                "parents",
                (),
            ),
        ],
        id="terms-outside-the-vocabularies-or-repeated",
    ),
    pytest.param(
        [
            ({"child": "王小明"}, "child", ()),
            ({"child": ["王小明"]}, "child", ()),
            ({"parents": IDENTIFY["parents"][0]}, "parents", ()),
            ({"child.hukou_registered": "maybe"}, "child.hukou_registered", ()),
            ({"child.name": 42}, "child.name", ()),
            ({"address.detail": ["前坊村"]}, "address.detail", ()),
        ],
        id="values-of-the-wrong-type",
    ),
    pytest.param(
        [
            # Identified on 2026-03-01: sixteen that day or before, or not yet born.
            ({"child.birth_date": "2010-03-01"}, "child.birth_date", ("16",)),
            ({"child.birth_date": "2010-02-28"}, "child.birth_date", ("16",)),
            ({"child.birth_date": "2001-01-01"}, "child.birth_date", ("16",)),
            ({"child.birth_date": "2026-04-01"}, "child.birth_date", ("after",)),
            # One parent at home and able, or neither working away.
            ({"parents.1.status": "at_home"}, "parents", ("at home",)),
            (
                {"parents.0.status": "at_home", "parents.1.status": "at_home"},
                "parents",
                ("neither",),
            ),
            (
                {"parents.0.status": "deceased", "parents.1.status": "incarcerated"},
                "parents",
                ("neither",),
            ),
            ({"parents": [{"relation": "mother", "status": "at_home"}]}, "parents", ("neither",)),
        ],
        id="a-child-who-is-not-left-behind",
    ),
    pytest.param(
        [
            ({"identified_on": "2026-11-30"}, "identified_on", ("after today",)),
            ({"identified_on": "2027-03-01"}, "identified_on", ("after today",)),
            ({"child.birth_date": "2026-12-01"}, "child.birth_date", ("after today",)),
        ],
        id="future-dates",
    ),
]


@pytest.mark.parametrize("variants", IDENTIFY_REFUSALS)
def test_a_bad_identification_is_refused_naming_the_field_and_opens_no_case(
    world: World, subtests: Any, variants: list[Variant]
) -> None:
    refuse_all(world, subtests, lambda: (CASES, ()), IDENTIFY, variants)


WORK_REFUSALS = [
    pytest.param(
        "/visits",
        VISIT,
        [
            ({"weather": "雨"}, "weather", ("unknown",)),
            *missing(
                "visited_on",
                "mode",
                "guardian_present",
                "living_conditions",
                "school_attendance",
                "emotional_state",
                "risk_level",
            ),
            ({"guardian_present": None}, "guardian_present", ()),
            ({"guardian_present": "sometimes"}, "guardian_present", ()),
            *too_long(notes=2000),
            *terms(
                mode="carrier_pigeon",
                living_conditions="excellent",
                school_attendance="sometimes",
                emotional_state="happy",
                risk_level="extreme",
            ),
            ({"safety_concerns": ["aliens"]}, "safety_concerns.0", ("one of",)),
            ({"safety_concerns": ["neglect", "neglect"]}, "safety_concerns", ("once",)),
            ({"safety_concerns": "neglect"}, "safety_concerns", ()),
            *loose_dates("visited_on"),
            ({"next_visit_due": "2026-5-1"}, "next_visit_due", ("YYYY-MM-DD",)),
            ({"visited_on": "2026-11-30"}, "visited_on", ("after today",)),
            ({"visited_on": "2026-02-28"}, "visited_on", ("before",)),
            ({"next_visit_due": "2026-03-31"}, "next_visit_due", ()),
            ({"next_visit_due": "2026-04-01"}, "next_visit_due", ()),
        ],
        id="visit",
    ),
    pytest.param(
        "/guardian-changes",
        GUARDIAN_CHANGE,
        [
            ({"witness": "村委会"}, "witness", ("unknown",)),
            ({"guardian.nickname": "建国"}, "guardian.nickname", ("unknown",)),
            *missing("guardian", "guardian.type", "reason", "effective_on"),
            ({"guardian.capacity": DROP}, "guardian.capacity", ("required",)),
            *too_long(reason=500, **{"guardian.name": 50}),
            ({"reason": "   "}, "reason", ()),
            *terms(**{"guardian.type": "neighbour", "guardian.capacity": "weak"}),
            *loose_dates("effective_on"),
            ({"effective_on": "2026-12-01"}, "effective_on", ("after today",)),
            ({"effective_on": "2026-02-01"}, "effective_on", ("before",)),
            ({"entrustment_signed_on": "2026-12-01"}, "entrustment_signed_on", ("after today",)),
            ({"entrustment_signed_on": "2026-5-2"}, "entrustment_signed_on", ("YYYY-MM-DD",)),
        ],
        id="guardian-change",
    ),
    pytest.param(
        "/interventions",
        INTERVENTION,
        [
            ({"budget": 100}, "budget", ("unknown",)),
            *missing("kind", "department", "urgency", "description", "opened_on"),
            *too_long(description=2000),
            ({"description": "  "}, "description", ()),
            *terms(kind="prayer", department="army", urgency="whenever"),
            *loose_dates("opened_on"),
            ({"opened_on": "2026-11-30"}, "opened_on", ("after today",)),
            ({"opened_on": "2026-02-28"}, "opened_on", ("before",)),
            ({"due_by": "2026-05-09"}, "due_by", ("before",)),
            ({"due_by": "2026-5-9"}, "due_by", ("YYYY-MM-DD",)),
        ],
        id="intervention",
    ),
    pytest.param(
        "/interventions/{iid}/progress",
        PROGRESS,
        [
            ({"by": "civil"}, "by", ("unknown",)),
            *missing("note", "progressed_on"),
            *too_long(note=2000),
            ({"note": "   "}, "note", ()),
            *loose_dates("progressed_on"),
            ({"progressed_on": "2026-11-30"}, "progressed_on", ("after today",)),
            ({"progressed_on": "2026-05-09"}, "progressed_on", ("before",)),
        ],
        id="progress-note",
    ),
    pytest.param(
        "/interventions/{iid}/closure",
        INTERVENTION_CLOSURE,
        [
            ({"by": "civil"}, "by", ("unknown",)),
            *missing("outcome", "closed_on"),
            *too_long(outcome=2000),
            ({"outcome": "   "}, "outcome", ()),
            *loose_dates("closed_on"),
            ({"closed_on": "2026-11-30"}, "closed_on", ("after today",)),
            ({"closed_on": "2026-05-09"}, "closed_on", ("before",)),
        ],
        id="intervention-closure",
    ),
    pytest.param(
        "/assignment",
        ASSIGNMENT,
        [
            ({"note": "请跟进"}, "note", ("unknown",)),
            *missing("assignee"),
            ({"assignee": ""}, "assignee", ()),
            ({"assignee": "d" * 65}, "assignee", ("64",)),
            ({"assignee": 42}, "assignee", ()),
            ({"assignee": "nobody"}, "assignee", ()),
            ({"assignee": "civil"}, "assignee", ()),
            ({"assignee": "director_elsewhere"}, "assignee", ()),
        ],
        id="assignment",
    ),
    pytest.param(
        "/transfer",
        TRANSFER,
        [
            ({"village": VILLAGE}, "village", ("unknown",)),
            *missing("jurisdiction", "reason", "transferred_on"),
            ({"jurisdiction": "36012410520"}, "jurisdiction", ("12-digit",)),
            ({"jurisdiction": "36012410520B"}, "jurisdiction", ("12-digit",)),
            ({"jurisdiction": VILLAGE}, "jurisdiction", ("already",)),
            *too_long(reason=500, address_detail=200),
            ({"reason": "  "}, "reason", ()),
            ({"address_detail": ""}, "address_detail", ()),
            ({"address_detail": "   "}, "address_detail", ()),
            *loose_dates("transferred_on"),
            ({"transferred_on": "2026-11-30"}, "transferred_on", ("after today",)),
            ({"transferred_on": "2026-02-28"}, "transferred_on", ("before",)),
        ],
        id="transfer",
    ),
    pytest.param(
        "/closure",
        CLOSURE,
        [
            ({"by": "civil"}, "by", ("unknown",)),
            *missing("reason", "closed_on"),
            *terms(reason="bored"),
            *too_long(note=500),
            *loose_dates("closed_on"),
            ({"closed_on": "2026-11-30"}, "closed_on", ("after today",)),
            ({"closed_on": "2026-02-28"}, "closed_on", ("before",)),
        ],
        id="case-closure",
    ),
    pytest.param(
        "/reopening",
        REOPENING,
        [
            ({"by": "civil"}, "by", ("unknown",)),
            *missing("reason", "reopened_on"),
            *too_long(reason=500),
            ({"reason": "   "}, "reason", ()),
            *loose_dates("reopened_on"),
            ({"reopened_on": "2026-11-30"}, "reopened_on", ("after today",)),
            ({"reopened_on": "2026-07-31"}, "reopened_on", ("before",)),
        ],
        id="reopening",
    ),
]


@pytest.mark.parametrize(("path", "sample", "variants"), WORK_REFUSALS)
def test_bad_work_on_a_case_is_refused_naming_the_field_and_writes_nothing(
    world: World, subtests: Any, path: str, sample: dict[str, Any], variants: list[Variant]
) -> None:
    def target() -> tuple[str, tuple[str, ...]]:
        url = world.open_case()
        iid = world.open_intervention(url)
        if path == "/reopening":
            world.close_case(url)
        return url + path.format(iid=iid), (url,)

    refuse_all(world, subtests, target, sample, variants)


CORRECTION_REFUSALS = [
    pytest.param(
        [
            ({"field": f}, "field", ("field",))
            for f in (
                "child.nickname",
                "nickname",
                "child",
                "child.school",
                "guardian.type",
                "parents.2.status",
                "parents.0.relation",
                "address",
                "child..name",
            )
        ]
        + [({"field": ""}, "field", ())],
        id="a-field-that-does-not-exist",
    ),
    pytest.param(
        [
            ({"field": "address.jurisdiction", "value": "360124105204"}, "field", ("transfer",)),
        ],
        id="the-village-which-only-a-transfer-moves",
    ),
    pytest.param(
        [
            ({"field": f, "value": v}, "value", ())
            for f, v in (
                ("child.name", "王小明"),
                ("child.hukou_registered", True),
                ("source", "survey"),
                ("guardian.capacity", "able"),
                ("parents.0.status", "working_away"),
                ("identified_on", "2026-03-01"),
            )
        ],
        id="no-change",
    ),
    pytest.param(
        [
            ({"field": f, "value": v}, "value", ())
            for f, v in (
                ("child.hukou_registered", "yes"),
                ("child.hukou_registered", 1),
                ("child.name", 42),
                ("child.name", True),
                ("child.name", "王" * 51),
                ("child.name", "   "),
                ("child.birth_date", 20150302),
                ("child.birth_date", "2015-3-2"),
                ("child.birth_date", "2027-01-01"),
                ("child.sex", "other"),
                ("child.id_number", "360124201503020021"),
                ("guardian.phone", "call me"),
                ("source", "facebook"),
                ("parents.0.status", "missing"),
                ("child.name", {"zh": "王小红"}),
                ("child.name", ["王小红"]),
                ("child.name", 1.5),
                ("address.detail", "长" * 501),
            )
        ],
        id="a-value-of-the-wrong-type-or-invalid",
    ),
    pytest.param(
        [
            ({"old_value": "王小明"}, "old_value", ("unknown",)),
            *missing("field", "value", "reason"),
            *too_long(reason=500),
            ({"reason": "  "}, "reason", ()),
        ],
        id="a-malformed-correction",
    ),
]


@pytest.mark.parametrize("variants", CORRECTION_REFUSALS)
def test_a_bad_correction_is_refused_naming_the_field_and_writes_nothing(
    world: World, subtests: Any, variants: list[Variant]
) -> None:
    def target() -> tuple[str, tuple[str, ...]]:
        url = world.open_case()
        return f"{url}/corrections", (url,)

    refuse_all(world, subtests, target, CORRECTION, variants)


def test_a_correction_that_would_contradict_the_rest_of_the_case_is_refused(
    world: World, subtests: Any
) -> None:
    # Each of these values, given at identification or on a visit, is refused; corrected
    # in afterwards it must be refused too, or the case holds what it may never hold.
    def target() -> tuple[str, tuple[str, ...]]:
        url = world.open_case()  # identified on 2026-03-01, born on 2015-03-02
        assert world.post("civil", f"{url}/visits", VISIT).status_code == 200  # 2026-04-01
        return f"{url}/corrections", (url,)

    refuse_all(
        world,
        subtests,
        target,
        CORRECTION,
        [
            ({"field": "identified_on", "value": "2026-04-02"}, "value", ()),
            ({"field": "identified_on", "value": "2015-03-01"}, "value", ()),
            ({"field": "child.birth_date", "value": "2026-03-02"}, "value", ()),
            ({"field": "child.birth_date", "value": "2009-01-01"}, "value", ()),
        ],
    )


def test_an_iso_week_date_is_not_taken_for_a_yyyy_mm_dd_date(world: World, subtests: Any) -> None:
    # 2026-W09-7 is 2026-03-01 and 2026-W14-3 is 2026-04-01: ten characters, but not the
    # YYYY-MM-DD the contract asks for.
    url = world.open_case()
    attempts = [
        (CASES, identify_body(identified_on="2026-W09-7"), "identified_on", ()),
        (f"{url}/visits", {**VISIT, "visited_on": "2026-W14-3"}, "visited_on", (url,)),
        (
            f"{url}/corrections",
            {**CORRECTION, "field": "child.birth_date", "value": "2015-W10-2"},
            "value",
            (url,),
        ),
    ]
    for path, body, field, cases in attempts:
        with subtests.test(msg=f"{path} {field}"):
            before = world.written(*cases)
            assert_invalid(world.post("civil", path, body), field, "YYYY-MM-DD")
            assert world.written(*cases) == before
