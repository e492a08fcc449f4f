"""The demo city's geography: 南昌市, three of its rural counties, thirty real townships
from the shipped division codes, and about three hundred villages with generated names.

Township codes are real (shared/data); village codes and names are made up but shaped like
the real ones: township code + 3 digits, 001–199 residents' committees (社区), 200 and up
village committees (村). The geography has its own fixed seed, so it does not change with
the number of children seeded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from random import Random

from shared.jurisdictions import children_of, divisions

from ..projections.division_rows import DivisionRow
from . import names

CITY = "3601"  # 南昌市
COUNTIES = ("360121", "360123", "360124")  # 南昌县, 安义县, 进贤县
TOWNSHIPS_PER_COUNTY = 10
_GEOGRAPHY_SEED = 360100
# Divisions that are not rural townships: development zones, farms, sub-districts.
_NOT_RURAL = ("街道", "开发区", "园区", "管理", "垦殖场", "繁殖场", "航空城")


@dataclass(frozen=True)
class Village:
    """One village (村) or residents' committee (社区) of the demo city."""

    code: str
    name: str

    @property
    def township(self) -> str:
        """The 9-digit township code."""
        return self.code[:9]

    @property
    def county(self) -> str:
        """The 6-digit county code."""
        return self.code[:6]


def townships() -> list[str]:
    """The demo townships: the first rural towns and townships (镇/乡) of each county."""
    chosen: list[str] = []
    for county in COUNTIES:
        rural = [
            d.code
            for d in children_of(county)
            if d.name.endswith(("镇", "乡")) and not any(w in d.name for w in _NOT_RURAL)
        ]
        chosen += rural[:TOWNSHIPS_PER_COUNTY]
    return chosen


@cache
def villages() -> tuple[Village, ...]:
    """Every demo village, in code order (about ten per township)."""
    rng = Random(_GEOGRAPHY_SEED)
    result: list[Village] = []
    for township in townships():
        # A town (镇) seat has a residents' committee or two; a rural township (乡) rarely.
        is_town = divisions()[township].name.endswith("镇")
        committees = rng.choice((1, 1, 2)) if is_town else rng.choice((0, 0, 1))
        count = rng.randint(8, 12) - committees
        village_names = names.village_names(rng, committees, count)
        codes = [f"{township}{n:03d}" for n in range(1, committees + 1)]
        codes += [f"{township}{n:03d}" for n in range(200, 200 + count)]
        result += [Village(code, name) for code, name in zip(codes, village_names, strict=True)]
    return tuple(result)


@cache
def _names_by_code() -> dict[str, str]:
    return {v.code: v.name for v in villages()}


def village_name(code: str) -> str:
    """The name of a 12-digit village code: the demo's own name for a demo village, and a
    stable made-up one (from the same table) for any other village code."""
    known = _names_by_code().get(code)
    if known is not None:
        return known
    digest = int.from_bytes(hashlib.sha256(code.encode()).digest()[:4], "big")
    return (
        names.village_names(Random(digest), 0, 1)[0]
        if int(code[9:]) >= 200
        else names.village_names(Random(digest), 1, 0)[0]
    )


def place_name(code: str) -> str:
    """The Chinese name of a jurisdiction code from the city down (南昌市进贤县民和镇李家村);
    the province alone for a 2-digit code."""
    parts: list[str] = []
    known = divisions()
    for length in (4, 6, 9):
        if len(code) >= length and code[:length] in known:
            parts.append(known[code[:length]].name)
    if len(code) == 12:
        parts.append(village_name(code))
    if not parts and code in known:
        parts.append(known[code].name)
    return "".join(parts)


def division_rows() -> list[DivisionRow]:
    """The demo's reference data, as a deployment's file would give it: the shipped
    official divisions (province to township), then the generated villages."""
    official = [(d.code, d.name) for d in divisions().values()]
    generated = [(v.code, v.name) for v in villages()]
    return [
        DivisionRow(row, code, name)
        for row, (code, name) in enumerate(official + generated, start=1)
    ]


def villages_in(township: str) -> list[Village]:
    """The demo villages of one township."""
    return [v for v in villages() if v.township == township]


def village(code: str) -> Village:
    """The demo village with that code, or a stand-in carrying its made-up name."""
    return Village(code, village_name(code))
