"""What a home visit finds, for one child over the year.

Each child keeps a few traits (how the household lives, how the child tends to feel,
whether the village's child director keeps up with visits), so successive visits tell a
consistent story rather than independent dice rolls.
"""

from __future__ import annotations

from datetime import date
from random import Random
from typing import Any

from .plans import VISIT_NOTES

Json = dict[str, Any]

_EMOTIONS = ("stable", "lonely", "withdrawn", "distressed")
_MOODS = ((75, 18, 4, 3), (35, 45, 12, 8))  # a settled child, a lonely one
_MODES = ("home", "phone", "video", "school")
# Chance per visit of each concern; suspected abuse is rare, but must show in the demo.
_CONCERNS = (
    ("neglect", 0.015),
    ("living_alone", 0.001),
    ("suspected_abuse", 0.0004),
    ("domestic_violence", 0.0002),
    ("abandonment", 0.0001),
)
_SERIOUS = frozenset({"suspected_abuse", "domestic_violence", "abandonment", "living_alone"})
_INTERVALS = {"high": (7, 14), "medium": (21, 38), "low": (25, 60)}


class Visitor:
    """Makes the visit records of one child, in date order."""

    def __init__(self, rng: Random, record: Json, *, lax: bool) -> None:
        self.rng = rng
        self.lax = lax
        school = record["child"]["school"]
        self.in_school = school is not None and school["status"] != "not_in_school"
        self.dropped_out = school is not None and school["status"] == "dropped_out"
        self.born = date.fromisoformat(record["child"]["birth_date"])
        self.living = rng.choices(("good", "fair", "poor"), weights=(35, 50, 15))[0]
        self.mood = _MOODS[0] if rng.random() < 0.7 else _MOODS[1]

    def visit(self, day: date, guardian: Json) -> tuple[Json, str]:
        """The visit body for `day`, and who made it (director, supervisor, education)."""
        rng = self.rng
        attendance = self._attendance(day)
        emotional = rng.choices(_EMOTIONS, weights=self.mood)[0]
        concerns = self._concerns(guardian)
        mode = rng.choices(_MODES, weights=(72, 14, 8, 6 if attendance == "regular" else 0))[0]
        risk = self._risk(concerns, emotional, attendance, guardian)
        visit = {
            "visited_on": day.isoformat(),
            "mode": mode,
            "guardian_present": guardian["type"] != "none"
            and mode != "school"
            and rng.random() < (0.9 if mode == "home" else 0.6),
            "living_conditions": self.living,
            "school_attendance": attendance,
            "emotional_state": emotional,
            "safety_concerns": concerns,
            "risk_level": risk,
            "notes": self._note(emotional) if rng.random() < 0.6 else None,
            "next_visit_due": None,  # the system works it out from the risk level
        }
        return visit, self._visitor(mode, risk)

    def interval(self, risk: str) -> int:
        """Days until this child's next visit; lax villages fall behind on low risk."""
        days = self.rng.randint(*_INTERVALS[risk])
        return days * 2 if self.lax and risk != "high" else days

    def _attendance(self, day: date) -> str:
        if not self.in_school:
            return "not_applicable"
        age = (day - self.born).days // 365
        if not self.dropped_out and age >= 12 and self.rng.random() < 0.006:
            self.dropped_out = True
        if self.dropped_out:
            return "dropped_out"
        return "regular" if self.rng.random() < 0.93 else "irregular"

    def _concerns(self, guardian: Json) -> list[str]:
        rng = self.rng
        weak_care = self.living == "poor" or guardian.get("capacity") in ("limited", "unable")
        found = [
            name for name, chance in _CONCERNS if rng.random() < chance * (2 if weak_care else 1)
        ]
        if guardian["type"] == "none" and "living_alone" not in found and rng.random() < 0.3:
            found.append("living_alone")
        return found

    def _risk(self, concerns: list[str], emotional: str, attendance: str, guardian: Json) -> str:
        capacity = guardian.get("capacity")
        if (
            _SERIOUS.intersection(concerns)
            or emotional == "distressed"
            or guardian["type"] == "none"
            or capacity == "unable"
        ):
            return "high"
        if (
            concerns
            or emotional != "stable"
            or capacity == "limited"
            or self.living == "poor"
            or attendance in ("irregular", "dropped_out")
        ):
            return "medium"
        return "low"

    def _note(self, emotional: str) -> str:
        if self.living == "poor" and self.rng.random() < 0.3:
            return self.rng.choice(VISIT_NOTES["poor"])
        return self.rng.choice(VISIT_NOTES[emotional])

    def _visitor(self, mode: str, risk: str) -> str:
        if mode == "school" and self.rng.random() < 0.5:
            return "education"
        if risk == "high" and mode == "home" and self.rng.random() < 0.2:
            return "supervisor"
        return "director"
