"""When the next visit is due: the one rule, written once.

The Case aggregate records the result on every event that moves it (`next_visit_due` on
Identified, Visited, GuardianChanged and Corrected), so the log's followers read it from
the event. Only events stored before that was recorded make a follower of the case
service call these functions (never a copy of them); notify reads the stream, which the
relay always fills.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from shared.vocabulary import VISIT_INTERVAL_DAYS


def due_before_any_visit(identified_on: str, guardian_type: str) -> str:
    """A child not yet visited: soon when nobody looks after them, else as medium risk."""
    days = VISIT_INTERVAL_DAYS["high" if guardian_type == "none" else "medium"]
    return (date.fromisoformat(str(identified_on)) + timedelta(days=days)).isoformat()


def due_after_visit(visit: Mapping[str, Any]) -> str:
    """After a visit (the latest by date): as the visitor said, else by its risk level."""
    if visit.get("next_visit_due"):
        return str(visit["next_visit_due"])
    days = VISIT_INTERVAL_DAYS[str(visit["risk_level"])]
    return (date.fromisoformat(str(visit["visited_on"])) + timedelta(days=days)).isoformat()


def next_visit_due(
    *, identified_on: str, guardian_type: str, latest_visit: Mapping[str, Any] | None
) -> str:
    """When the next visit of a case is due, given its latest visit (None: none yet)."""
    if latest_visit is None:
        return due_before_any_visit(identified_on, guardian_type)
    return due_after_visit(latest_visit)
