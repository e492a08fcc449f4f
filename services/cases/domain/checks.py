"""Small value checks the aggregate runs before it records anything."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from .errors import FutureDateError, InvalidValueError

# Only the calendar form: Python also reads week dates (2026-W09-7) as ISO dates.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: object, field: str) -> date:
    """Parses a strict ISO date (YYYY-MM-DD)."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise InvalidValueError(f"{value!r} is not a date of the form YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValueError(f"{value!r} is not a valid date", field=field) from None


def past_date(value: object, field: str, today: date) -> date:
    """Parses a date that records a fact, so it cannot lie after today."""
    parsed = parse_date(value, field)
    if parsed > today:
        raise FutureDateError(f"{parsed.isoformat()} is after today", field=field)
    return parsed


def one_of(value: object, allowed: Iterable[str], field: str) -> str:
    """Checks a term belongs to its vocabulary."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise InvalidValueError(f"Must be one of: {', '.join(allowed)}.", field=field)
    assert isinstance(value, str)
    return value


def text(value: object, field: str, *, max_length: int, required: bool = True) -> str:
    """Checks a free-text value is a bounded string, non-blank when required, with no
    control or invisible format characters; returns it in Unicode NFC."""
    # The API's words for the same refusals, whichever layer makes them.
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidValueError("Not a valid string.", field=field)
    value = unicodedata.normalize("NFC", value)
    if any(_hidden(c) for c in value):
        # NUL, zero-width and right-to-left override characters make two names that
        # read the same differ, or hide what a name says.
        raise InvalidValueError(
            "Must not contain control or invisible formatting characters.", field=field
        )
    if len(value) > max_length:
        raise InvalidValueError(f"Length must be between 1 and {max_length}.", field=field)
    if required and not value.strip():
        raise InvalidValueError("Must not be blank.", field=field)
    return value


def _hidden(char: str) -> bool:
    # Line breaks and tabs are text in notes; every other control (Cc) or format (Cf:
    # zero-width, bidirectional overrides) character is not.
    return char not in "\n\r\t" and unicodedata.category(char) in ("Cc", "Cf")


def optional_text(value: object, field: str, *, max_length: int) -> str | None:
    """A bounded text or None: when given at all, it must say something."""
    return None if value is None else text(value, field, max_length=max_length)


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID number (GB 11643) whose check digit is right."""
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return value[17].upper() == _ID_CHECK_CHARS[total % 11]


def is_valid_phone(value: str) -> bool:
    """True for a plausible phone number: 5 to 20 digits, with + - ( ) or spaces."""
    digits = sum(c.isdigit() for c in value)
    return 5 <= digits <= 20 and all(c.isdigit() or c in "+-() " for c in value) and value.isascii()
