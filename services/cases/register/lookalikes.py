"""Likely duplicates among the children registered already: one rule, for identification
(`POST /api/v1/cases`) and the survey import alike.

Another case is likely the same child when it was born on the same day and either its
name reads the same (pinyin, so 王晓明 and 王小明 match) or it shares a parent's phone
number (the same parents: a milk name 小名 on one survey, the registered name on the
other). It is looked for in the whole township of the new child's village, so a child
counted by two neighbouring villages is found whoever identifies her. The candidates come
from the read models' keyed-hash search (no name or number is compared in clear in the
database); the few found are compared here, decrypted.

A look-alike is flagged, never refused: two children may share a name and a birthday, and
twins share both parents. The flag (case ids and reason codes only) goes on the new case,
for the township supervisor to merge or dismiss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..projections.personal import normalise, reading
from ..projections.read_models import ReadModels

# Candidates read per identification: a name shared by more children than this in one
# township is compared on the most recently identified.
_CANDIDATES = 50
_TOWNSHIP = 9  # code digits of a township (乡镇)
# How the survey import's report says why, in Chinese (vocabulary.DUPLICATE_REASONS).
REASONS_IN_CHINESE = {
    "name_reading": "姓名读音相同",
    "birth_date": "出生日期相同",
    "same_parents": "父母电话相同",
    "nearby_village": "在同乡镇邻村",
}


@dataclass(frozen=True)
class Lookalike:
    """A registered case like the new child, and why (vocabulary.DUPLICATE_REASONS)."""

    case_id: str
    reasons: tuple[str, ...]

    def in_chinese(self) -> str:
        why = "、".join(REASONS_IN_CHINESE[r] for r in self.reasons)
        return f"与已登记的案件 {self.case_id} {why}，疑似重复"


Lookalikes = Callable[[dict[str, Any]], list[Lookalike]]


def register_lookalikes(read_models: ReadModels) -> Lookalikes:
    """A function giving, for an identify body, the registered cases it looks like."""

    def find(record: dict[str, Any]) -> list[Lookalike]:
        child, village = record["child"], str(record["address"]["jurisdiction"])
        born = child.get("birth_date")
        if not born:
            return []
        wanted = _read(str(child.get("name") or ""))
        phones = {_digits(p["phone"]) for p in record.get("parents") or [] if p.get("phone")}
        candidates = read_models.lookalike_candidates(
            village[:_TOWNSHIP], str(child.get("name") or ""), sorted(phones), _CANDIDATES
        )
        found = []
        for case_id, where, personal in candidates:
            if personal.get("birth_date") != born:
                continue
            reasons = []
            if wanted and _read(str(personal.get("name") or "")) == wanted:
                reasons.append("name_reading")
            reasons.append("birth_date")
            theirs = {_digits(p) for p in personal.get("parent_phones") or [] if p}
            if phones & theirs:
                reasons.append("same_parents")
            if len(reasons) == 1:
                continue  # the same birthday alone is no likeness
            if where != village:
                reasons.append("nearby_village")
            found.append(Lookalike(case_id, tuple(reasons)))
        return found

    return find


def _read(name: str) -> str:
    return "".join(reading(normalise(name)))


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())
