"""Likely duplicates of a survey row among the children registered already: the same
name read the same way (pinyin, so 王晓明 and 王小明 match) and the same birth date, in the
uploader's scope, found through the read models' keyed-hash search (no name is compared
in clear in the database; the few candidates are compared here, decrypted).

A row so flagged is still imported: two children may share a name and a birthday. The
flag says which case to look at; the import and `POST /api/v1/cases` record it on the
new case (`Cases.flag_duplicates`), for the supervisor to merge or dismiss.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ..access import Actor
from ..projections.personal import normalise, reading
from ..projections.queries import CaseFilter
from ..projections.read_models import ReadModels

# Candidates read per row: a name shared by more children than this is flagged on these.
_CANDIDATES = 50

Lookalikes = Callable[[dict[str, Any]], list[str]]


def register_lookalikes(read_models: ReadModels, actor: Actor, today: date) -> Lookalikes:
    """A function giving, for an identify body, the ids of the cases in the actor's scope
    whose child has the same name read the same way and the same birth date."""

    def find(record: dict[str, Any]) -> list[str]:
        child = record["child"]
        wanted = _read(child["name"])
        served = read_models.list_cases(
            actor, CaseFilter(q=child["name"]), page=1, per_page=_CANDIDATES, today=today
        )
        return [
            row.id
            for row in served.value.items
            if row.view["child"].get("birth_date") == child["birth_date"]
            and _read(str(row.view["child"].get("name") or "")) == wanted
        ]

    return find


def _read(name: str) -> str:
    return "".join(reading(normalise(name)))
