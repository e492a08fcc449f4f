"""Care sites (关爱保护场所) and the yearly plan of new ones: their own aggregates.

A site is a place children go after school or on holidays (a 儿童之家, a room in an
elderly-care centre, a school's, a community centre's, a women's federation's 儿童家园).
It is planned, built, opened and at last closed, each step only forward. A plan says how
many new sites a jurisdiction means to build in a year; it is one aggregate per
jurisdiction and year, so its id follows from them and a second plan cannot appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

import shared.vocabulary as v

from .checks import one_of, past_date
from .errors import DomainError, InvalidValueError
from .values import _Fields

Json = dict[str, Any]
_PLAN_NAMESPACE = uuid5(NAMESPACE_URL, "https://careledger.example/site-plans")
MAX_CAPACITY = 10_000
MAX_TARGET = 100_000
_SCOPE_LENGTHS = (2, 4, 6, 9, 12)


class SiteTransitionError(DomainError):
    """Raised when a site is asked to move to a status its life does not allow from where it is."""


class SiteNotOpenError(DomainError):
    """Raised when a child is recorded attending a site that is not open."""


def _positive(value: object, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError("Not a valid integer.", field=field)
    if not 1 <= value <= maximum:
        raise InvalidValueError(f"Must be between 1 and {maximum}.", field=field)
    return value


def _village(value: object, field: str) -> str:
    # Well-formed here; the application checks the code is a known village.
    if not isinstance(value, str) or len(value) != 12 or not value.isascii() or not value.isdigit():
        raise InvalidValueError("Must be a 12-digit village code (统计用区划代码).", field=field)
    if value.endswith("000"):
        raise InvalidValueError("Must name a village, not a township.", field=field)
    return value


@dataclass(frozen=True)
class SiteDetails:
    """What registering a site records: the body of the create command."""

    name: str
    kind: str
    jurisdiction: str
    capacity: int
    staff: Json
    opening_hours: str

    @classmethod
    def parse(cls, data: object) -> SiteDetails:
        """Checks a site's details; raises InvalidValueError naming the field."""
        known = ("name", "kind", "jurisdiction", "capacity", "staff", "opening_hours")
        f = _Fields(data, "", known)
        staff = _Fields(f.required("staff"), "staff", ("name", "phone"))
        phone = staff.phone("phone")
        if phone is None:
            staff.required("phone")
        return cls(
            name=f.text("name", 100),
            kind=f.term("kind", v.SITE_KINDS),
            jurisdiction=_village(f.required("jurisdiction"), "jurisdiction"),
            capacity=_positive(f.required("capacity"), "capacity", MAX_CAPACITY),
            staff={"name": staff.text("name", 50), "phone": phone},
            opening_hours=f.text("opening_hours", 200),
        )

    def to_json(self) -> Json:
        """The details as the Registered event stores them."""
        return {
            "name": self.name,
            "kind": self.kind,
            "jurisdiction": self.jurisdiction,
            "capacity": self.capacity,
            "staff": dict(self.staff),
            "opening_hours": self.opening_hours,
        }


class Site(Aggregate):
    """One care site. Every event carries the acting user as `actor`."""

    @classmethod
    def register(cls, *, details: Json, actor: Json, today: date) -> Site:
        """A new site, planned (not built yet), registered `today`."""
        checked = SiteDetails.parse(details).to_json()
        return cls(**checked, registered_on=today.isoformat(), actor=actor)

    @event("Registered")
    def __init__(
        self,
        name: str,
        kind: str,
        jurisdiction: str,
        capacity: int,
        staff: Json,
        opening_hours: str,
        registered_on: str,
        actor: Json,
    ) -> None:
        self.registered_on = registered_on
        self.name = name
        self.kind = kind
        self.jurisdiction = jurisdiction
        self.capacity = capacity
        self.staff = dict(staff)
        self.opening_hours = opening_hours
        self.status = "planned"
        # The day of each step taken: built_on, opened_on, closed_on.
        self.dates: dict[str, str] = {}

    def move(self, *, status: object, changed_on: object, actor: Json, today: date) -> None:
        """Moves the site one step in its life (built, open or closed) on a past date."""
        status = one_of(status, tuple(v.SITE_MOVES), "status")
        allowed_from = v.SITE_MOVES[status]
        if self.status not in allowed_from:
            raise SiteTransitionError(
                f"a {self.status} site cannot become {status} "
                f"(only a {' or '.join(allowed_from)} one can)",
                field="status",
            )
        day = past_date(changed_on, "changed_on", today)
        latest = max(self.dates.values(), default=None)
        if latest is not None and day.isoformat() < latest:
            raise InvalidValueError(
                f"the site's last step was on {latest}; a later one cannot come before it",
                field="changed_on",
            )
        self._status_changed(
            jurisdiction=self.jurisdiction,
            status_before=self.status,
            status=status,
            changed_on=day.isoformat(),
            actor=actor,
        )

    @event("StatusChanged")
    def _status_changed(
        self, jurisdiction: str, status_before: str, status: str, changed_on: str, actor: Json
    ) -> None:
        self.status = status
        self.dates[{"built": "built_on", "open": "opened_on", "closed": "closed_on"}[status]] = (
            changed_on
        )

    def require_open(self) -> None:
        """Raises unless children may be recorded attending the site now."""
        if self.status != "open":
            raise SiteNotOpenError(
                f"the site is {self.status}: only an open site takes children", field="site_id"
            )


class SitePlan(Aggregate):
    """How many new sites a jurisdiction plans to build in a year."""

    @staticmethod
    def create_id(jurisdiction: str, year: int, **_: Any) -> UUID:
        """One plan per jurisdiction and year: the id follows from them."""
        return plan_id(jurisdiction, year)

    @classmethod
    def draw_up(cls, *, jurisdiction: str, year: int, target: object, actor: Json) -> SitePlan:
        """A new plan of `target` new sites."""
        check_plan_key(jurisdiction, year)
        return cls(
            jurisdiction=jurisdiction,
            year=year,
            target=_positive(target, "target", MAX_TARGET),
            actor=actor,
        )

    @event("DrawnUp")
    def __init__(self, jurisdiction: str, year: int, target: int, actor: Json) -> None:
        self.jurisdiction = jurisdiction
        self.year = year
        self.target = target

    def revise(self, *, target: object, actor: Json) -> bool:
        """Sets a new target; False (nothing recorded) when it is the same."""
        checked = _positive(target, "target", MAX_TARGET)
        if checked == self.target:
            return False
        self._revised(
            jurisdiction=self.jurisdiction,
            year=self.year,
            target_before=self.target,
            target=checked,
            actor=actor,
        )
        return True

    @event("Revised")
    def _revised(
        self, jurisdiction: str, year: int, target_before: int, target: int, actor: Json
    ) -> None:
        self.target = target


def check_plan_key(jurisdiction: object, year: object) -> None:
    """A plan is for a jurisdiction (a code of 2, 4, 6 or 9 digits) and a year."""
    if (
        not isinstance(jurisdiction, str)
        or len(jurisdiction) not in _SCOPE_LENGTHS[:-1]
        or not jurisdiction.isascii()
        or not jurisdiction.isdigit()
    ):
        raise InvalidValueError(
            "Must be a jurisdiction code of 2, 4, 6 or 9 digits.", field="jurisdiction"
        )
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidValueError("Must be a year between 2000 and 2100.", field="year")


def plan_id(jurisdiction: str, year: int) -> UUID:
    """The aggregate id of the plan of `jurisdiction` for `year`."""
    return uuid5(_PLAN_NAMESPACE, f"{jurisdiction}/{year}")
