"""When the next visit is due: the one rule, written once.

By default weekly for a child at high risk or with no capable guardian (nobody, or a
guardian unable to care), monthly at medium risk, quarterly at low risk; before the first
visit as medium, or weekly without a capable guardian. A visitor may set the date herself.
The intervals are a city's to choose (`VisitSchedule`, from `CARELEDGER_VISIT_INTERVALS`).

The Case aggregate records the result on every event that moves it (`next_visit_due` on
Identified, Visited, GuardianChanged and Corrected), so the log's followers read it from
the event, and a city changing its schedule changes no date already recorded. Only events
stored before that was recorded make a follower of the case service call these functions
with the default schedule (never a copy of them); notify reads the stream, which the
relay always fills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.vocabulary import RISK_LEVELS, VISIT_INTERVAL_DAYS

from .errors import InvalidValueError


@dataclass(frozen=True)
class VisitSchedule:
    """Days between visits by risk level (high, medium, low), per city: the default for
    cities not named."""

    default: Mapping[str, int] = field(default_factory=lambda: dict(VISIT_INTERVAL_DAYS))
    by_city: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for where, days in [("default", self.default), *self.by_city.items()]:
            if set(days) != set(RISK_LEVELS) or not all(0 < d <= 366 for d in days.values()):
                raise InvalidValueError(
                    f"visit intervals of {where} must give high, medium and low in days (1 to 366)",
                    field="visit_intervals",
                )

    def days(self, jurisdiction: str, risk_level: str) -> int:
        """The interval at `risk_level` in the city of `jurisdiction`."""
        return int(self.by_city.get(jurisdiction[:4], self.default)[risk_level])


DEFAULT_SCHEDULE = VisitSchedule()


def capable(guardian: Mapping[str, Any]) -> bool:
    """Whether someone able to care looks after the child."""
    return guardian.get("type") != "none" and guardian.get("capacity") != "unable"


def due_before_any_visit(
    identified_on: str,
    guardian: Mapping[str, Any],
    jurisdiction: str = "",
    schedule: VisitSchedule = DEFAULT_SCHEDULE,
) -> str:
    """A child not yet visited: soon when nobody able looks after them, else as medium."""
    days = schedule.days(jurisdiction, "high" if not capable(guardian) else "medium")
    return (date.fromisoformat(str(identified_on)) + timedelta(days=days)).isoformat()


def due_after_visit(
    visit: Mapping[str, Any],
    guardian: Mapping[str, Any],
    jurisdiction: str = "",
    schedule: VisitSchedule = DEFAULT_SCHEDULE,
) -> str:
    """After a visit (the latest by date): as the visitor said, else by its risk level,
    weekly (the high-risk interval) when no capable guardian looks after the child."""
    if visit.get("next_visit_due"):
        return str(visit["next_visit_due"])
    risk = "high" if not capable(guardian) else str(visit["risk_level"])
    days = schedule.days(jurisdiction, risk)
    return (date.fromisoformat(str(visit["visited_on"])) + timedelta(days=days)).isoformat()


def next_visit_due(
    *,
    identified_on: str,
    guardian: Mapping[str, Any],
    latest_visit: Mapping[str, Any] | None,
    jurisdiction: str = "",
    schedule: VisitSchedule = DEFAULT_SCHEDULE,
) -> str:
    """When the next visit of a case is due, given its latest visit (None: none yet)."""
    if latest_visit is None:
        return due_before_any_visit(identified_on, guardian, jurisdiction, schedule)
    return due_after_visit(latest_visit, guardian, jurisdiction, schedule)
