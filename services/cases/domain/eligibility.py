"""Who is a rural left-behind child (State Council, 2016): under 16, and both parents
working away, or one working away and the other unable to act as guardian."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from shared.vocabulary import AGE_LIMIT_YEARS, PARENT_UNABLE_STATUSES

from .checks import add_years
from .errors import NotEligibleError


def check_eligible(birth_date: date, parents: Sequence[Mapping[str, Any]], on: date) -> None:
    """Raises NotEligibleError, with the reason, when the child is not left behind on `on`."""
    if birth_date > on:
        raise NotEligibleError(
            "the birth date is after the identification date", field="child.birth_date"
        )
    if add_years(birth_date, AGE_LIMIT_YEARS) <= on:
        raise NotEligibleError(
            f"the child was already {AGE_LIMIT_YEARS} on {on.isoformat()}", field="child.birth_date"
        )
    # A parent not listed is unknown to the identifier, which counts as unable to care.
    statuses = {p["relation"]: p["status"] for p in parents}
    father = statuses.get("father", "unknown")
    mother = statuses.get("mother", "unknown")
    away = [s == "working_away" for s in (father, mother)]
    if not any(away):
        raise NotEligibleError("neither parent works away from home", field="parents")
    other = mother if away[0] else father
    if other != "working_away" and other not in PARENT_UNABLE_STATUSES:
        raise NotEligibleError(
            "one parent works away but the other is at home and able to care for the child",
            field="parents",
        )
