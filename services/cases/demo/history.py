"""A year in one child's case, played on the Case aggregate itself.

Everything happens through the aggregate's public methods, so every rule holds (no date
after today, no visit before identification or on a closed case, only open interventions
progress or close). Things happen in date order from an agenda: a visit schedules the
next one and whatever it found calls for; whatever falls after today has not happened yet,
which is why some interventions are still open and some visits overdue.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from random import Random
from typing import Any

from shared.roles import Role
from shared.vocabulary import ENTRUSTABLE_GUARDIAN_TYPES

from ..domain import Case
from ..domain.case import RULE_TASKS
from ..domain.checks import add_years
from .people import WORK_LOCATIONS, address, guardian, phone
from .places import village, villages_in
from .plans import PLANS
from .staff import actor, county_username, director_username, supervisor_username
from .visits import Visitor

Json = dict[str, Any]
Action = Callable[[date], None]

_CLOSINGS = (  # (share of children, reason, note, days after identification)
    (0.05, "parents_returned", "父母返乡就业，由父母共同监护", (30, 330)),
    (0.01, "moved_out", "随父母迁往务工地就读", (30, 330)),
    (0.007, "no_longer_eligible", "母亲返乡，具备监护能力", (30, 330)),
    (0.003, "duplicate", "与另一登记重复，已合并", (3, 20)),
)
_CHANGE_REASONS = (
    "祖母住院治疗，改由亲属照料",
    "祖父去世，改由亲属照料",
    "祖父母年老体弱，无力照料",
    "父母委托邻居代为照料",
)
_CORRECTION_REASONS = ("入户核实后更正", "与户口簿核对后更正", "学校核对学籍后更正")


class Life:
    """Plays one child's year: identification, then visits, guardians, interventions,
    corrections, closing and reopening, up to today."""

    def __init__(self, rng: Random, today: date, record: Json, *, lax: bool) -> None:
        self.rng = rng
        self.today = today
        self.record = record
        self.village = record["address"]["jurisdiction"]
        self.done: set[str] = set()  # one-off follow-ups already under way
        self.visitor = Visitor(rng, record, lax=lax)
        self._agenda: list[tuple[date, int, Action]] = []
        self._sequence = 0

    def play(self) -> Case:
        """The case with a year of pending (unsaved) events."""
        identified = date.fromisoformat(self.record["identified_on"])
        self.case = Case.identify(record=self.record, actor=self._who("director"), today=self.today)
        self.case.assign(assignee=director_username(self.village), actor=self._who("supervisor"))
        self._plan_year(identified)
        while self._agenda:
            day, _, action = heapq.heappop(self._agenda)
            action(day)
        return self.case

    # ---- the agenda ---------------------------------------------------------------------

    def _at(self, day: date, action: Action) -> None:
        if day <= self.today:  # later is the future: it has not happened
            self._sequence += 1
            heapq.heappush(self._agenda, (day, self._sequence, action))

    def _after(self, day: date, days: tuple[int, int], action: Action) -> None:
        self._at(day + timedelta(days=self.rng.randint(*days)), action)

    def _plan_year(self, identified: date) -> None:
        rng, child = self.rng, self.record["child"]
        self._after(identified, (1, 14), self._visit)
        if self.record["guardian"]["type"] == "none":
            self._once("temporary_guardianship", identified, (0, 2))
        if self.visitor.dropped_out:
            self._once("dropout_prevention", identified, (1, 10))
        if child["health"] and rng.random() < 0.4:
            self._once("health_protection", identified, (10, 60))
        if not child["hukou_registered"]:
            self._once("household_registration", identified, (5, 30))
        if (
            any(p["status"] in ("deceased", "incarcerated") for p in self.record["parents"])
            and rng.random() < 0.1
        ):
            self._once("legal_aid", identified, (20, 120))
        if self.record["guardian"]["type"] in ENTRUSTABLE_GUARDIAN_TYPES and rng.random() < 0.45:
            self._after(identified, (3, 45), self._sign_entrustment)
        for share, action, days in (
            (0.08, self._change_guardian, (20, 330)),
            (0.03, self._correct, (5, 60)),
            (0.015, self._transfer, (30, 300)),
        ):
            if rng.random() < share:
                self._after(identified, days, action)
        self._plan_closing(identified)

    def _plan_closing(self, identified: date) -> None:
        born = date.fromisoformat(self.record["child"]["birth_date"])
        self._at(
            add_years(born, 16), partial(self._close, "reached_16", "年满16周岁，退出关爱名册")
        )
        draw = self.rng.random()
        for share, reason, note, days in _CLOSINGS:
            if draw < share:
                self._after(identified, days, partial(self._close, reason, note))
                return
            draw -= share

    # ---- visits -------------------------------------------------------------------------

    def _visit(self, day: date) -> None:
        if self.case.status != "active":
            return  # a reopening starts the visits again
        visit, by = self.visitor.visit(day, self.case.guardian)
        self.case.record_visit(visit=visit, actor=self._who(by), today=self.today)
        self._follow_up(day, visit)
        self._at(day + timedelta(days=self.visitor.interval(visit["risk_level"])), self._visit)

    def _follow_up(self, day: date, visit: Json) -> None:
        rng, concerns = self.rng, set(visit["safety_concerns"])
        if concerns & {"suspected_abuse", "domestic_violence"}:
            self._once("mandatory_report", day, (0, 1))
        if "abandonment" in concerns:
            self._once("temporary_guardianship", day, (0, 2))
        if "living_alone" in concerns:
            self._once("admonition_talk", day, (0, 3))
        if "neglect" in concerns:
            kind = "admonition_talk" if rng.random() < 0.6 else "family_education"
            self._once(kind, day, (1, 10))
        if visit["emotional_state"] == "distressed" and rng.random() < 0.3:
            self._once("psychological_support", day, (3, 20))
        if visit["school_attendance"] == "dropped_out":
            self._once("dropout_prevention", day, (1, 10))
        if visit["living_conditions"] == "poor" and rng.random() < 0.06:
            self._once("material_assistance", day, (3, 20))

    # ---- interventions --------------------------------------------------------------------

    def _once(self, kind: str, day: date, days: tuple[int, int]) -> None:
        if kind not in self.done:
            self.done.add(kind)
            self._after(day, days, partial(self._open, kind))

    def _open(self, kind: str, day: date) -> None:
        if self.case.status != "active":
            return
        plan, rng = PLANS[kind], self.rng
        iid = f"{rng.getrandbits(128):032x}"
        rule_opened = [
            i
            for i, x in self.case.interventions.items()
            if kind in RULE_TASKS and x["kind"] == kind and x["status"] == "open"
        ]
        if rule_opened:
            iid = rule_opened[0]  # the case's rule opened it already: work on that one
        else:
            self.case.open_intervention(
                intervention_id=iid,
                intervention={
                    "kind": kind,
                    "department": plan.department,
                    "urgency": plan.urgency,
                    "description": plan.description,
                    "opened_on": day.isoformat(),
                    "due_by": (day + timedelta(days=plan.due_days)).isoformat(),
                },
                actor=self._who(plan.opener),
                today=self.today,
            )
        length = rng.randint(*plan.days)
        notes = plan.progress[: rng.randint(1, len(plan.progress))]
        for n, note in enumerate(notes, start=1):
            offset = max(1, length * n // (len(notes) + 1))
            self._at(day + timedelta(days=offset), partial(self._progress, iid, note))
        if rng.random() < plan.closes:  # the rest are still being worked on
            self._at(day + timedelta(days=length), partial(self._finish, iid))

    def _progress(self, iid: str, note: str, day: date) -> None:
        if self._is_open(iid):
            worker = PLANS[self.case.interventions[iid]["kind"]].worker
            self.case.progress_intervention(
                intervention_id=iid,
                note=note,
                progressed_on=day.isoformat(),
                actor=self._who(worker),
                today=self.today,
            )

    def _finish(self, iid: str, day: date) -> None:
        if not self._is_open(iid):
            return
        kind = self.case.interventions[iid]["kind"]
        if kind == "temporary_guardianship":
            self._rehome(day)
        elif kind == "dropout_prevention":
            self.visitor.dropped_out = False
        self.case.close_intervention(
            intervention_id=iid,
            outcome=self.rng.choice(PLANS[kind].outcomes),
            closed_on=day.isoformat(),
            actor=self._who(PLANS[kind].worker),
            today=self.today,
        )

    def _is_open(self, iid: str) -> bool:
        return self.case.status == "active" and self.case.interventions[iid]["status"] == "open"

    # ---- guardians ------------------------------------------------------------------------

    def _rehome(self, day: date) -> None:
        kind = "other_relative" if self.rng.random() < 0.7 else "institution"
        new = guardian(self.rng, self._family, village(self.village), kind)
        signed = day.isoformat() if kind == "other_relative" else None
        self.case.change_guardian(
            guardian=new,
            reason="临时监护期间落实长期监护",
            effective_on=day.isoformat(),
            entrustment_signed_on=signed,
            actor=self._who("civil_affairs"),
            today=self.today,
        )

    def _sign_entrustment(self, day: date) -> None:
        if self.case.status == "active" and self.case.guardian_type in ENTRUSTABLE_GUARDIAN_TYPES:
            self.case.change_guardian(
                guardian=self.case.guardian,
                reason="签订委托监护确认书",
                effective_on=day.isoformat(),
                entrustment_signed_on=day.isoformat(),
                actor=self._who("director"),
                today=self.today,
            )

    def _change_guardian(self, day: date) -> None:
        if self.case.status != "active":
            return
        rng = self.rng
        reason = rng.choice(_CHANGE_REASONS)
        kind = "entrusted_adult" if "邻居" in reason else "other_relative"
        signed = day + timedelta(days=rng.randint(0, 7))
        self.case.change_guardian(
            guardian=guardian(rng, self._family, village(self.village), kind),
            reason=reason,
            effective_on=day.isoformat(),
            entrustment_signed_on=signed.isoformat()
            if signed <= self.today and rng.random() < 0.75
            else None,
            actor=self._who("director"),
            today=self.today,
        )

    # ---- corrections, transfers, closing --------------------------------------------------

    def _correct(self, day: date) -> None:
        if self.case.status != "active":
            return
        field, value = self._a_wrong_fact()
        self.case.correct(
            field=field,
            value=value,
            reason=self.rng.choice(_CORRECTION_REASONS),
            actor=self._who("director"),
            today=self.today,
        )

    def _a_wrong_fact(self) -> tuple[str, Any]:
        rng, record = self.rng, self.case.record
        father = record["parents"][0]
        if father["status"] == "working_away" and rng.random() < 0.4:
            places = [p for p in WORK_LOCATIONS if p != father["work_location"]]
            return "parents.0.work_location", rng.choice(places)
        if self.case.guardian_type not in ("none", "institution") and rng.random() < 0.5:
            return "guardian.phone", phone(rng)
        detail = address(rng, village(self.village))
        while detail == record["address"]["detail"]:
            detail = address(rng, village(self.village))
        return "address.detail", detail

    def _transfer(self, day: date) -> None:
        if self.case.status != "active":
            return
        township = self.village[:9]
        moved_to = self.rng.choice([v for v in villages_in(township) if v.code != self.village])
        self.case.transfer(
            jurisdiction=moved_to.code,
            address_detail=address(self.rng, moved_to),
            reason="随监护人搬迁至本乡镇另一村",
            transferred_on=day.isoformat(),
            actor=self._who("supervisor"),
            today=self.today,
        )
        self.village = moved_to.code
        self.case.assign(assignee=director_username(self.village), actor=self._who("supervisor"))

    def _close(self, reason: str, note: str, day: date) -> None:
        if self.case.status != "active":
            return
        civil = self._who("civil_affairs")
        for open_one in self.case.open_interventions:
            self.case.close_intervention(
                intervention_id=open_one["intervention_id"],
                outcome="随结案一并办结",
                closed_on=day.isoformat(),
                actor=civil,
                today=self.today,
            )
        self.case.close_case(
            reason=reason, closed_on=day.isoformat(), note=note, actor=civil, today=self.today
        )
        if reason == "parents_returned" and self.rng.random() < 0.2:
            self._after(day, (20, 120), self._reopen)

    def _reopen(self, day: date) -> None:
        if add_years(date.fromisoformat(self.case.child["birth_date"]), 16) <= day:
            return  # too old by now to be on the register again
        self.case.reopen(
            reason="父母再次外出务工",
            reopened_on=day.isoformat(),
            actor=self._who("civil_affairs"),
            today=self.today,
        )
        self._after(day, (1, 10), self._visit)

    # ---- who does it ----------------------------------------------------------------------

    @property
    def _family(self) -> str:
        return str(self.case.child["name"])[0]

    def _who(self, role: str) -> Json:
        if role == "director":
            return actor(director_username(self.village))
        if role == "supervisor":
            return actor(supervisor_username(self.village[:9]))
        return actor(county_username(Role(role), self.village[:6]))
