"""The case's value objects: an identification (the child, the address, the parents, the
guardian), a visit and an intervention, each checked whole.

`parse(json)` checks every rule a value holds on its own: its shape, its vocabulary
terms, lengths and formats, and how its parts fit together (a guardian unless the type
is none, one entry per parent, a due date after the visit). A broken rule raises
InvalidValueError naming the dotted path of the field (`guardian.name`, `parents.1`,
`safety_concerns.0`), in the words the API has always answered with. `to_json()` gives
back exactly the dict the events store, key for key and in the same order, so events
recorded through these are byte-identical to those recorded before them.

Rules that need the case or the calendar (not before identification, not after today,
eligibility) stay with the Case; whoever writes a case (the API, the demo seeder, an
importer) goes through the Case, and so through these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import shared.vocabulary as v

from .checks import (
    is_valid_id_number,
    is_valid_phone,
    one_of,
    optional_text,
    parse_date,
    text,
)
from .errors import InvalidValueError

Json = dict[str, Any]
_MISSING = object()


class _Fields:
    """One JSON object, read field by field: each read checks its field and names its
    dotted path when it refuses. Unknown fields are refused: whatever is not read here
    would be silently dropped from the event."""

    def __init__(self, data: object, path: str, known: Sequence[str]) -> None:
        if not isinstance(data, dict):
            raise InvalidValueError("Invalid input type.", field=path or "_schema")
        for key in data:
            if key not in known:
                raise InvalidValueError("Unknown field.", field=self._join(path, str(key)))
        self.data: dict[str, Any] = data
        self.base = path

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def path(self, key: str) -> str:
        """The dotted path of `key` in the body."""
        return self._join(self.base, key)

    def required(self, key: str) -> Any:
        """The value at `key`, which must be given and not null."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            raise InvalidValueError("Missing data for required field.", field=self.path(key))
        if value is None:
            raise InvalidValueError("Field may not be null.", field=self.path(key))
        return value

    def term(self, key: str, vocabulary: tuple[str, ...]) -> str:
        """A required term of `vocabulary`."""
        return one_of(self.required(key), vocabulary, self.path(key))

    def optional_term(self, key: str, vocabulary: tuple[str, ...]) -> str | None:
        """A term of `vocabulary`, or None."""
        value = self.data.get(key)
        return None if value is None else one_of(value, vocabulary, self.path(key))

    def text(self, key: str, max_length: int) -> str:
        """A required text: at most `max_length` characters, not blank."""
        return text(self.required(key), self.path(key), max_length=max_length)

    def optional_text(self, key: str, max_length: int) -> str | None:
        """A text as above, or None: when given at all, it must say something."""
        return optional_text(self.data.get(key), self.path(key), max_length=max_length)

    def date(self, key: str) -> str:
        """A required YYYY-MM-DD date, kept as its string."""
        return parse_date(self.required(key), self.path(key)).isoformat()

    def optional_date(self, key: str) -> str | None:
        """A YYYY-MM-DD date, or None."""
        value = self.data.get(key)
        return None if value is None else parse_date(value, self.path(key)).isoformat()

    def flag(self, key: str, default: bool | None = None) -> bool:
        """true or false; `default` when not given (required when there is none)."""
        value = self.data.get(key, _MISSING)
        if value is _MISSING and default is not None:
            return default
        value = self.required(key)
        if not isinstance(value, bool):
            raise InvalidValueError("Not a valid boolean.", field=self.path(key))
        return value

    def phone(self, key: str) -> str | None:
        """A phone number, or None."""
        value = self.data.get(key)
        if value is None:
            return None
        checked = text(value, self.path(key), max_length=20)
        if not is_valid_phone(checked):
            raise InvalidValueError("Not a valid phone number.", field=self.path(key))
        return checked

    def id_number(self, key: str) -> str | None:
        """An 18-character resident ID number whose check digit is right, or None."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not is_valid_id_number(value):
            raise InvalidValueError(
                "Not a valid 18-character resident ID number.", field=self.path(key)
            )
        return value

    def items(self, key: str, *, min_length: int = 0, max_length: int) -> list[Any]:
        """A list of `min_length` to `max_length` items (the empty list when not given
        and none are required)."""
        value = self.data.get(key, [] if min_length == 0 else _MISSING)
        if value is _MISSING or value is None:
            self.required(key)
        if not isinstance(value, list):
            raise InvalidValueError("Not a valid list.", field=self.path(key))
        if not min_length <= len(value) <= max_length:
            message = (
                f"Length must be between {min_length} and {max_length}."
                if min_length
                else f"Longer than maximum length {max_length}."
            )
            raise InvalidValueError(message, field=self.path(key))
        return value


def _once(values: Sequence[str], what: str, field: str) -> None:
    if len(set(values)) != len(values):
        raise InvalidValueError(f"Each {what} may be listed once.", field=field)


# ---- identification ---------------------------------------------------------------------


@dataclass(frozen=True)
class School:
    """The school a child attends (or left, or never entered)."""

    status: str
    name: str | None = None
    grade: str | None = None

    @classmethod
    def parse(cls, data: object, path: str = "child.school") -> School:
        """Checks a school; raises InvalidValueError naming the field."""
        f = _Fields(data, path, ("name", "grade", "status"))
        return cls(
            name=f.optional_text("name", 100),
            grade=f.optional_text("grade", 20),
            status=f.term("status", v.SCHOOL_STATUSES),
        )

    def to_json(self) -> Json:
        """The school as events store it."""
        return {"name": self.name, "grade": self.grade, "status": self.status}


@dataclass(frozen=True)
class Child:
    """Who the case is about, as identified."""

    name: str
    sex: str
    birth_date: str
    id_number: str | None = None
    hukou_registered: bool = True
    school: School | None = None
    health: str | None = None
    disability: str | None = None

    @classmethod
    def parse(cls, data: object, path: str = "child") -> Child:
        """Checks a child's facts; raises InvalidValueError naming the field."""
        known = (
            "name",
            "sex",
            "birth_date",
            "id_number",
            "hukou_registered",
            "school",
            "health",
            "disability",
        )
        f = _Fields(data, path, known)
        school = f.data.get("school")
        return cls(
            name=f.text("name", 50),
            sex=f.term("sex", v.SEXES),
            birth_date=f.date("birth_date"),
            id_number=f.id_number("id_number"),
            hukou_registered=f.flag("hukou_registered", default=True),
            school=None if school is None else School.parse(school, f.path("school")),
            health=f.optional_text("health", 500),
            disability=f.optional_text("disability", 200),
        )

    def to_json(self) -> Json:
        """The child as events store it."""
        return {
            "name": self.name,
            "sex": self.sex,
            "birth_date": self.birth_date,
            "id_number": self.id_number,
            "hukou_registered": self.hukou_registered,
            "school": None if self.school is None else self.school.to_json(),
            "health": self.health,
            "disability": self.disability,
        }


@dataclass(frozen=True)
class Address:
    """Where the child lives: the village (its 12-digit code, checked where the caller's
    scope is) and the rest of the address."""

    jurisdiction: str
    detail: str

    @classmethod
    def parse(cls, data: object, path: str = "address") -> Address:
        """Checks an address; raises InvalidValueError naming the field."""
        f = _Fields(data, path, ("jurisdiction", "detail"))
        jurisdiction = f.required("jurisdiction")
        if not isinstance(jurisdiction, str):
            raise InvalidValueError("Not a valid string.", field=f.path("jurisdiction"))
        return cls(jurisdiction=jurisdiction, detail=f.text("detail", 200))

    def to_json(self) -> Json:
        """The address as events store it."""
        return {"jurisdiction": self.jurisdiction, "detail": self.detail}


@dataclass(frozen=True)
class Parent:
    """One parent: which one, and whether away, at home or unable to care."""

    relation: str
    status: str
    work_location: str | None = None
    phone: str | None = None

    @classmethod
    def parse(cls, data: object, path: str) -> Parent:
        """Checks one parent's entry; raises InvalidValueError naming the field."""
        f = _Fields(data, path, ("relation", "status", "work_location", "phone"))
        return cls(
            relation=f.term("relation", v.PARENT_RELATIONS),
            status=f.term("status", v.PARENT_STATUSES),
            work_location=f.optional_text("work_location", 100),
            phone=f.phone("phone"),
        )

    @classmethod
    def parse_all(cls, data: object, path: str = "parents") -> tuple[Parent, ...]:
        """Checks the list of parents: one or two entries, each parent listed once."""
        f = _Fields({path: data}, "", (path,))
        entries = f.items(path, min_length=1, max_length=len(v.PARENT_RELATIONS))
        parents = tuple(cls.parse(p, f"{path}.{n}") for n, p in enumerate(entries))
        _once([p.relation for p in parents], "parent", path)
        return parents

    def to_json(self) -> Json:
        """The parent as events store it."""
        return {
            "relation": self.relation,
            "status": self.status,
            "work_location": self.work_location,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class Guardian:
    """Who looks after the child: a person, an institution, or nobody (type none)."""

    type: str
    name: str | None = None
    relation: str | None = None
    phone: str | None = None
    capacity: str | None = None

    @classmethod
    def parse(cls, data: object, path: str = "guardian") -> Guardian:
        """Checks a guardian; raises InvalidValueError naming the field."""
        f = _Fields(data, path, ("type", "name", "relation", "phone", "capacity"))
        guardian = cls(
            type=f.term("type", v.GUARDIAN_TYPES),
            name=f.optional_text("name", 50),
            relation=f.optional_text("relation", 30),
            phone=f.phone("phone"),
            capacity=f.optional_term("capacity", v.CAPACITIES),
        )
        if guardian.type != "none":
            # Someone looks after the child: the case must say who, and how well.
            for key in ("name", "relation", "capacity"):
                if getattr(guardian, key) is None:
                    raise InvalidValueError("Required unless the type is none.", field=f.path(key))
        return guardian

    def to_json(self) -> Json:
        """The guardian as events store it."""
        return {
            "type": self.type,
            "name": self.name,
            "relation": self.relation,
            "phone": self.phone,
            "capacity": self.capacity,
        }


@dataclass(frozen=True)
class Identification:
    """What identifying a child records: the body of the identify command."""

    child: Child
    address: Address
    parents: tuple[Parent, ...]
    guardian: Guardian
    source: str
    identified_on: str

    @classmethod
    def parse(cls, data: object) -> Identification:
        """Checks an identification; raises InvalidValueError naming the field."""
        known = ("child", "address", "parents", "guardian", "source", "identified_on")
        f = _Fields(data, "", known)
        return cls(
            child=Child.parse(f.required("child")),
            address=Address.parse(f.required("address")),
            parents=Parent.parse_all(f.required("parents")),
            guardian=Guardian.parse(f.required("guardian")),
            source=f.term("source", v.SOURCES),
            identified_on=f.date("identified_on"),
        )

    def to_json(self) -> Json:
        """The identification as the Identified event stores it."""
        return {
            "child": self.child.to_json(),
            "address": self.address.to_json(),
            "parents": [p.to_json() for p in self.parents],
            "guardian": self.guardian.to_json(),
            "source": self.source,
            "identified_on": self.identified_on,
        }


# ---- work on a case -----------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """A home, phone, video or school visit: what the visitor found."""

    visited_on: str
    mode: str
    guardian_present: bool
    living_conditions: str
    school_attendance: str
    emotional_state: str
    risk_level: str
    safety_concerns: tuple[str, ...] = ()
    notes: str | None = None
    next_visit_due: str | None = None
    site_id: str | None = None  # the care site the visit took place at, if any

    @classmethod
    def parse(cls, data: object) -> Visit:
        """Checks a visit; raises InvalidValueError naming the field."""
        known = (
            "visited_on",
            "mode",
            "guardian_present",
            "living_conditions",
            "school_attendance",
            "emotional_state",
            "safety_concerns",
            "risk_level",
            "notes",
            "next_visit_due",
            "site_id",
        )
        f = _Fields(data, "", known)
        concerns = f.items("safety_concerns", max_length=len(v.SAFETY_CONCERNS))
        visit = cls(
            visited_on=f.date("visited_on"),
            mode=f.term("mode", v.VISIT_MODES),
            guardian_present=f.flag("guardian_present"),
            living_conditions=f.term("living_conditions", v.LIVING_CONDITIONS),
            school_attendance=f.term("school_attendance", v.SCHOOL_ATTENDANCE),
            emotional_state=f.term("emotional_state", v.EMOTIONAL_STATES),
            safety_concerns=tuple(
                one_of(c, v.SAFETY_CONCERNS, f"safety_concerns.{n}") for n, c in enumerate(concerns)
            ),
            risk_level=f.term("risk_level", v.RISK_LEVELS),
            notes=f.optional_text("notes", 2000),
            next_visit_due=f.optional_date("next_visit_due"),
            site_id=_site_id(f.data.get("site_id")),
        )
        _once(visit.safety_concerns, "concern", "safety_concerns")
        if visit.next_visit_due is not None and visit.next_visit_due <= visit.visited_on:
            raise InvalidValueError(
                "the next visit must be due after this one", field="next_visit_due"
            )
        return visit

    def to_json(self) -> Json:
        """The visit as the Visited event stores it (a site only when there was one, so
        visits recorded before sites existed stay byte-identical)."""
        site = {} if self.site_id is None else {"site_id": self.site_id}
        return {
            "visited_on": self.visited_on,
            "mode": self.mode,
            "guardian_present": self.guardian_present,
            "living_conditions": self.living_conditions,
            "school_attendance": self.school_attendance,
            "emotional_state": self.emotional_state,
            "safety_concerns": list(self.safety_concerns),
            "risk_level": self.risk_level,
            "notes": self.notes,
            "next_visit_due": self.next_visit_due,
        } | site


def _site_id(value: object) -> str | None:
    # A site's id, in the canonical form of a UUID (the application checks it exists).
    if value is None:
        return None
    try:
        return str(UUID(value)) if isinstance(value, str) and len(value) == 36 else _bad_site()
    except ValueError:
        return _bad_site()


def _bad_site() -> str:
    raise InvalidValueError("Not a valid UUID.", field="site_id")


@dataclass(frozen=True)
class Intervention:
    """What a department undertakes for the child (admonition talk, mandatory report…)."""

    kind: str
    department: str
    urgency: str
    description: str
    opened_on: str
    due_by: str | None = None

    @classmethod
    def parse(cls, data: object) -> Intervention:
        """Checks an intervention; raises InvalidValueError naming the field."""
        known = ("kind", "department", "urgency", "description", "opened_on", "due_by")
        f = _Fields(data, "", known)
        intervention = cls(
            kind=f.term("kind", v.INTERVENTION_KINDS),
            department=f.term("department", v.DEPARTMENTS),
            urgency=f.term("urgency", v.URGENCIES),
            description=f.text("description", 2000),
            opened_on=f.date("opened_on"),
            due_by=f.optional_date("due_by"),
        )
        if intervention.due_by is not None and intervention.due_by < intervention.opened_on:
            raise InvalidValueError("the due date is before the opening date", field="due_by")
        return intervention

    def to_json(self) -> Json:
        """The intervention as the InterventionOpened event stores it."""
        return {
            "kind": self.kind,
            "department": self.department,
            "urgency": self.urgency,
            "description": self.description,
            "opened_on": self.opened_on,
            "due_by": self.due_by,
        }
