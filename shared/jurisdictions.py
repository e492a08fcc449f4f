"""Jurisdiction codes: the 12-digit statistical division codes (统计用区划代码).

A code is 2 digits of province, 2 of city, 2 of county, 3 of township and 3 of village.
A user's scope is a prefix of 2, 4, 6, 9 or 12 digits; a case is in scope when its
village code starts with that prefix.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

SCOPE_LENGTHS = (2, 4, 6, 9, 12)
LEVEL_BY_LENGTH = {2: "province", 4: "city", 6: "county", 9: "township", 12: "village"}


def is_village_code(code: str) -> bool:
    """True when `code` is a well-formed 12-digit village code."""
    return len(code) == 12 and code.isascii() and code.isdigit()


def is_scope(code: str) -> bool:
    """True when `code` is a well-formed scope prefix (2, 4, 6, 9 or 12 digits)."""
    return len(code) in SCOPE_LENGTHS and code.isascii() and code.isdigit()


def in_scope(code: str, scope: str) -> bool:
    """True when jurisdiction `code` lies inside the prefix `scope`."""
    return code.startswith(scope)


def level_of(code: str) -> str:
    """The level name of a scope code: province, city, county, township or village."""
    return LEVEL_BY_LENGTH[len(code)]


@dataclass(frozen=True)
class Division:
    """One official division down to township level, from the shipped reference data."""

    code: str
    name: str
    level: str
    parent_code: str


@cache
def divisions() -> dict[str, Division]:
    """Jiangxi's official divisions (province to township), keyed by code."""
    text = resources.files("shared").joinpath("data/jiangxi-jurisdictions.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["code"]: Division(row["code"], row["name"], row["level"], row["parent_code"])
        for row in rows
    }


def children_of(code: str) -> list[Division]:
    """The divisions one level below `code`, in code order."""
    return sorted((d for d in divisions().values() if d.parent_code == code), key=lambda d: d.code)
