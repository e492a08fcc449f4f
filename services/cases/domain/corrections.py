"""Which facts a correction may name, and what a valid new value for each is.

A field is a dotted path into the identify body (`child.name`, `child.school.grade`,
`parents.0.status`). The village code is not corrected here: moving a case between
villages is a transfer, which changes who may see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from shared.vocabulary import CAPACITIES, PARENT_STATUSES, SCHOOL_STATUSES, SEXES, SOURCES

from .checks import is_valid_id_number, is_valid_phone, one_of, past_date, text
from .errors import InvalidValueError, UnknownFieldError

Check = Callable[[Any, str, date], Any]


def _text(max_length: int, *, required: bool = True) -> Check:
    return lambda v, f, _: text(v, f, max_length=max_length, required=required) or None


def _term(vocabulary: tuple[str, ...]) -> Check:
    return lambda v, f, _: one_of(v, vocabulary, f)


def _past_date(v: Any, f: str, today: date) -> str:
    return past_date(v, f, today).isoformat()


def _boolean(v: Any, f: str, _: date) -> bool:
    if not isinstance(v, bool):
        raise InvalidValueError("must be true or false", field=f)
    return v


def _id_number(v: Any, f: str, _: date) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or not is_valid_id_number(v):
        raise InvalidValueError("is not a valid 18-character ID number", field=f)
    return v.upper()


def _phone(v: Any, f: str, _: date) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str) or not is_valid_phone(v):
        raise InvalidValueError("is not a valid phone number", field=f)
    return v


_PARENT_FIELDS: dict[str, Check] = {
    "status": _term(PARENT_STATUSES),
    "work_location": _text(100, required=False),
    "phone": _phone,
}

CORRECTABLE: dict[str, Check] = {
    "child.name": _text(50),
    "child.sex": _term(SEXES),
    "child.birth_date": _past_date,
    "child.id_number": _id_number,
    "child.hukou_registered": _boolean,
    "child.school.name": _text(100, required=False),
    "child.school.grade": _text(20, required=False),
    "child.school.status": _term(SCHOOL_STATUSES),
    "address.detail": _text(200),
    "guardian.name": _text(50),
    "guardian.relation": _text(30),
    "guardian.phone": _phone,
    "guardian.capacity": _term(CAPACITIES),
    "source": _term(SOURCES),
    "identified_on": _past_date,
}

_PARENT_PATH = re.compile(r"^parents\.([01])\.([a-z_]+)$")


def check_correction(field: str, value: Any, today: date) -> Any:
    """Returns the normalised new value for `field`, or raises why it cannot be corrected."""
    check = CORRECTABLE.get(field)
    if check is None and (m := _PARENT_PATH.match(field)):
        check = _PARENT_FIELDS.get(m.group(2))
    if check is None:
        if field == "address.jurisdiction":
            raise UnknownFieldError(
                "the village is changed by a transfer, not a correction", field="field"
            )
        raise UnknownFieldError(f"{field!r} is not a field that can be corrected", field="field")
    return check(value, "value", today)


def get_path(facts: dict[str, Any], path: str) -> Any:
    """The value at a dotted path; a missing leaf reads as None, a missing branch fails."""
    node: Any = facts
    parts = path.split(".")
    for part in parts[:-1]:
        node = _child(node, part, path)
    if isinstance(node, list):
        return _child(node, parts[-1], path)
    return node.get(parts[-1]) if isinstance(node, dict) else None


def set_path(facts: dict[str, Any], path: str, value: Any) -> None:
    """Sets the value at a dotted path, creating a missing leaf (an optional field)."""
    node: Any = facts
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = _child(node, part, path)
    node[parts[-1]] = value


def _child(node: Any, part: str, path: str) -> Any:
    if isinstance(node, list):
        index = int(part)
        if index >= len(node):
            raise UnknownFieldError(
                f"{path!r} names a parent the case does not list", field="field"
            )
        return node[index]
    if isinstance(node, dict) and part in node:
        if node[part] is None:
            # e.g. the grade of a child with no school record: there is nothing to correct
            # (a school change records a school).
            raise UnknownFieldError(
                f"the case records no {part}, so {path!r} cannot be corrected", field="field"
            )
        return node[part]
    raise UnknownFieldError(f"{path!r} is not a field of this case", field="field")
