"""The care site's own rules, without HTTP or a store: its details checked whole, its
life only forward, a plan's target a positive whole number, one plan per place and year."""

from __future__ import annotations

from typing import Any

import pytest

from services.cases.access import Actor
from services.cases.application import Cases
from services.cases.domain import InvalidValueError
from services.cases.domain.site import (
    Site,
    SiteNotOpenError,
    SitePlan,
    SiteTransitionError,
    plan_id,
)
from services.cases.idempotency import IdempotencyKey
from services.cases.sites import Sites, Written
from shared.roles import Role
from tests.support import TODAY, VILLAGE, FixedClock

ACTOR = {"username": "civil", "role": "civil_affairs", "request_id": "t"}
DETAILS: dict[str, Any] = {
    "name": "前坊村儿童之家",
    "kind": "children_home",
    "jurisdiction": VILLAGE,
    "capacity": 30,
    "staff": {"name": "刘芳", "phone": "13900139000"},
    "opening_hours": "16:00-18:30",
}


def new_site(**changes: Any) -> Site:
    return Site.register(details={**DETAILS, **changes}, actor=ACTOR, today=TODAY)


def test_a_site_is_planned_then_built_open_and_closed_and_records_each_day() -> None:
    site = new_site()
    for status, on in (("built", "2026-03-01"), ("open", "2026-04-01"), ("closed", "2026-11-01")):
        site.move(status=status, changed_on=on, actor=ACTOR, today=TODAY)
    assert site.status == "closed"
    assert site.dates == {
        "built_on": "2026-03-01",
        "opened_on": "2026-04-01",
        "closed_on": "2026-11-01",
    }
    events: Any = site.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered"] + ["StatusChanged"] * 3
    assert (events[2].status_before, events[2].status) == ("built", "open")


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ((), "open"),
        ((), "planned"),
        (("built",), "built"),
        (("built", "open"), "built"),
        (("closed",), "open"),
        (("closed",), "closed"),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(
    steps: tuple[str, ...], refused: str
) -> None:
    site = new_site()
    for status in steps:
        site.move(status=status, changed_on="2026-03-01", actor=ACTOR, today=TODAY)
    before = site.status
    with pytest.raises((SiteTransitionError, InvalidValueError)) as error:
        site.move(status=refused, changed_on="2026-04-01", actor=ACTOR, today=TODAY)
    assert error.value.field == "status"
    assert site.status == before


def test_only_an_open_site_takes_children() -> None:
    site = new_site()
    with pytest.raises(SiteNotOpenError):
        site.require_open()
    site.move(status="built", changed_on="2026-03-01", actor=ACTOR, today=TODAY)
    site.move(status="open", changed_on="2026-03-02", actor=ACTOR, today=TODAY)
    site.require_open()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"capacity": 2.5}, "capacity"),
        ({"capacity": 10_001}, "capacity"),
        ({"jurisdiction": "3601241052031"}, "jurisdiction"),
        ({"jurisdiction": "360124105000"}, "jurisdiction"),
        ({"kind": "playground"}, "kind"),
        ({"staff": None}, "staff"),
        ({"staff": {"name": "刘芳", "phone": "13900139000", "email": "x"}}, "staff.email"),
        ({"opening_hours": "\u202e16:00"}, "opening_hours"),
    ],
)
def test_bad_details_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as error:
        new_site(**changes)
    assert error.value.field == field


def test_a_plan_has_one_id_per_place_and_year_and_a_positive_target() -> None:
    plan = SitePlan.draw_up(jurisdiction="3601", year=2026, target=50, actor=ACTOR)
    assert plan.id == plan_id("3601", 2026) != plan_id("3601", 2027)
    assert plan.revise(target=50, actor=ACTOR) is False
    assert plan.revise(target=60, actor=ACTOR) is True
    for bad in (0, "60", True, None):
        with pytest.raises(InvalidValueError):
            plan.revise(target=bad, actor=ACTOR)
    assert plan.target == 60
    with pytest.raises(InvalidValueError):
        SitePlan.draw_up(jurisdiction="360124105203", year=2026, target=5, actor=ACTOR)


class _RacingSites(Sites):
    """Sites whose first look for an earlier answer misses it, as when a concurrent
    retry with the same key saves between that look and this request's save."""

    missed = False

    def _replay(self, key: IdempotencyKey, kind: type[Any]) -> Written | None:
        if not self.missed:
            self.missed = True
            return None
        return super()._replay(key, kind)


def test_a_retry_racing_the_first_request_gets_the_first_answer() -> None:
    cases = Cases(clock=FixedClock())
    civil = Actor("civil", Role.CIVIL_AFFAIRS, VILLAGE[:6], "r")
    key = IdempotencyKey("civil", "k-1", "fingerprint")
    first = Sites(cases).register(civil, DETAILS, key)

    again = _RacingSites(cases).register(civil, DETAILS, key)

    assert again.replayed and again.aggregate.id == first.aggregate.id
