"""A payload's plain form: what a payload schema (shared/contracts.py) would load unchanged,
recognised without marshmallow's machinery.

Loading a payload through its schema was about a quarter of what notify spends on an
entry: for every field marshmallow looks the value up, checks it is present, calls the
field, then each validator, and builds the error bookkeeping it will not need. Nearly every
entry the relay writes is plain: each value already of its type, a term of its vocabulary,
a date written `YYYY-MM-DD`. `plain_reader(schema)` compiles the schema's own declared
fields (their types, `required`, `allow_none`, `OneOf` and `Range` validators) into one
check that either returns the payload as `parse_entry` would return it or None, and then
the schema decides and says why. It is no second rule: it reads the rule off the schema,
accepts only a part of what the schema accepts, and gives the same values
(tests/unit/test_contract_plain_form.py). A schema with anything it does not know (a
field type, a validator, a hook, a `data_key`) gets no reader: always the schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from marshmallow import Schema, fields, missing, validate

# A value's check: the value as `parse_entry` keeps it, or _NOT_PLAIN.
_NOT_PLAIN = object()
_Check = Callable[[Any], Any]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: Any) -> Any:
    # The schema reads it with date.fromisoformat and parse_entry writes it back with
    # isoformat(): a date already written that way comes out as it went in.
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        return _NOT_PLAIN
    try:
        date.fromisoformat(value)
    except ValueError:
        return _NOT_PLAIN
    return value


def _string(value: Any) -> Any:
    return value if type(value) is str else _NOT_PLAIN


def _integer(value: Any) -> Any:
    return value if type(value) is int else _NOT_PLAIN  # bool, float, "3": the schema


def _one_of(choices: frozenset[str], inner: _Check) -> _Check:
    def check(value: Any) -> Any:
        value = inner(value)
        return value if value is not _NOT_PLAIN and value in choices else _NOT_PLAIN

    return check


def _in_range(rule: validate.Range, inner: _Check) -> _Check:
    def check(value: Any) -> Any:
        value = inner(value)
        if value is _NOT_PLAIN:
            return value
        low, high = rule.min, rule.max
        if low is not None and (value < low if rule.min_inclusive else value <= low):
            return _NOT_PLAIN
        if high is not None and (value > high if rule.max_inclusive else value >= high):
            return _NOT_PLAIN
        return value

    return check


def _list_of(inner: _Check) -> _Check:
    def check(value: Any) -> Any:
        if type(value) is not list:
            return _NOT_PLAIN
        items = [inner(each) for each in value]
        return _NOT_PLAIN if any(x is _NOT_PLAIN for x in items) else items

    return check


def _nullable(inner: _Check) -> _Check:
    def check(value: Any) -> Any:
        return None if value is None else inner(value)

    return check


def _field_check(field: fields.Field[Any]) -> _Check | None:
    """The check of one declared field, or None when it is beyond what this module reads."""
    if field.data_key is not None or field.attribute is not None:
        return None
    if getattr(field, "pre_load", None) or field.load_default is not missing:
        return None
    check: _Check
    kind = type(field)
    if kind is fields.String:
        check = _string
    elif isinstance(field, fields.Date) and kind is fields.Date:
        if field.format not in (None, "iso", "iso8601"):
            return None
        check = _date
    elif kind is fields.Integer:
        check = _integer
    elif isinstance(field, fields.List) and kind is fields.List:
        inner = _field_check(field.inner)
        if inner is None:
            return None
        check = _list_of(inner)
    else:
        return None
    for rule in field.validators:
        if type(rule) is validate.OneOf and kind is fields.String:
            check = _one_of(frozenset(rule.choices), check)
        elif type(rule) is validate.Range and kind is fields.Integer:
            check = _in_range(rule, check)
        else:
            return None
    return _nullable(check) if field.allow_none else check


@cache
def plain_reader(schema: type[Schema]) -> Callable[[Any], dict[str, Any] | None] | None:
    """The plain-form reader of a payload schema (`unknown=RAISE`, every field required),
    or None when the schema holds anything it does not know."""
    instance = schema()
    hooks = getattr(instance, "_hooks", None)  # marshmallow's own: unknown if it moves
    if hooks is None or any(hooks.values()) or instance.unknown != "raise":
        return None
    checks: dict[str, _Check] = {}
    for name, field in instance.load_fields.items():
        check = _field_check(field)
        if check is None or not field.required:
            return None
        checks[name] = check
    names = frozenset(checks)

    def read(payload: Any) -> dict[str, Any] | None:
        if type(payload) is not dict or payload.keys() != names:
            return None
        out = {}
        for name, check in checks.items():
            value = check(payload[name])
            if value is _NOT_PLAIN:
                return None
            out[name] = value
        return out

    return read
