"""A realistic flow of case events for the end-to-end tests, written through the real use
cases (`Cases`) on the store the processes read, and the notifications product.md says
that flow must raise — computed here from what was written, without notify's code.

The city: two counties, five townships with children (张公镇 has two supervisors), one
township without any, eight villages; each county has its own civil affairs (two in
进贤县), police and education officers, and the city has some too, who must hear nothing
while their counties have their own.

Cases are written interleaved, a random open case at a time, as a city's staff would:
identification (some with no guardian, some already out of school), visits (harm found,
dropouts, risk raised to high), guardian changes (some to nobody), interventions (some
mandatory reports) with progress and closure, assignments and corrections.

Entries may be handled out of order (two consumers, reclaims after a kill), and the rules
for a *change of state* — risk raised to high, dropped out of school — read the case's
facts as notify has seen them so far. So the flow never writes a sequence whose alerts
would depend on that order: once a child's risk is high it stays high, once a visit finds
a dropout every later visit does too, and a child recorded as dropped out at
identification is never seen dropped out on a visit. For those two kinds the expectation
is then "once per case and recipient, raised by one of the events that made it true".
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from shared.roles import Role

PASSWORD = "e2e-faults-password"
VILLAGES = (
    "360124105203",
    "360124105204",
    "360124105205",
    "360124100201",
    "360124100202",
    "360121100201",
    "360121100202",
    "360121102201",
)
EMPTY_TOWNSHIP = "360124199"

STAFF: dict[str, tuple[Role, str]] = {
    "sup-360124105-a": (Role.CHILD_SUPERVISOR, "360124105"),
    "sup-360124105-b": (Role.CHILD_SUPERVISOR, "360124105"),
    "sup-360124100": (Role.CHILD_SUPERVISOR, "360124100"),
    "sup-360121100": (Role.CHILD_SUPERVISOR, "360121100"),
    "sup-360121102": (Role.CHILD_SUPERVISOR, "360121102"),
    "sup-360124199": (Role.CHILD_SUPERVISOR, EMPTY_TOWNSHIP),
    "civil-360124-a": (Role.CIVIL_AFFAIRS, "360124"),
    "civil-360124-b": (Role.CIVIL_AFFAIRS, "360124"),
    "civil-360121": (Role.CIVIL_AFFAIRS, "360121"),
    "police-360124": (Role.POLICE, "360124"),
    "police-360121": (Role.POLICE, "360121"),
    "education-360124": (Role.EDUCATION, "360124"),
    "education-360121": (Role.EDUCATION, "360121"),
    "health-360124": (Role.HEALTH, "360124"),
    "womens-360121": (Role.WOMENS_FEDERATION, "360121"),
    "civil-3601": (Role.CIVIL_AFFAIRS, "3601"),
    "police-3601": (Role.POLICE, "3601"),
    "education-3601": (Role.EDUCATION, "3601"),
    **{f"dir-{v}": (Role.CHILD_DIRECTOR, v) for v in VILLAGES},
    "auditor": (Role.AUDITOR, "3601"),
    "admin": (Role.ADMIN, "3601"),
}

# product.md, "What gets notified": who hears each kind, as (role, scope length).
TOWNSHIP, COUNTY = 9, 6
ROUTES: dict[str, tuple[tuple[Role, int], ...]] = {
    "no_guardian": ((Role.CHILD_SUPERVISOR, TOWNSHIP), (Role.CIVIL_AFFAIRS, COUNTY)),
    "harm_found": ((Role.POLICE, COUNTY), (Role.CIVIL_AFFAIRS, COUNTY)),
    "mandatory_report": ((Role.POLICE, COUNTY), (Role.CIVIL_AFFAIRS, COUNTY)),
    "school_dropout": ((Role.EDUCATION, COUNTY),),
    "risk_high": ((Role.CHILD_SUPERVISOR, TOWNSHIP),),
}
# Raised by a change of the case's state rather than by one event (see the docstring).
TRANSITIONS = frozenset({"school_dropout", "risk_high"})
HARM = ("suspected_abuse", "domestic_violence", "abandonment")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
GIVEN = "小明晓红伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀英华平刚桂兰"

Key = tuple[str, str, str, str]  # kind, case id, event id ("" for transitions), recipient


def recipients(kind: str, village: str) -> list[str]:
    """Who product.md says hears `kind` about a child in `village`: the holders of each
    role at exactly the township or county of the child."""
    return sorted(
        name
        for name, (role, scope) in STAFF.items()
        for wanted, level in ROUTES[kind]
        if role is wanted and scope == village[:level]
    )


@dataclass
class Life:
    """One child's case: what is left to write, and its state as written, in order."""

    village: str
    identified_on: date
    record: dict[str, Any]  # the identify body
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    case_id: UUID | None = None
    risk: str | None = None
    record_dropped: bool = False
    attendance: str | None = None
    interventions: list[str] = field(default_factory=list)


@dataclass
class Expected:
    """The notifications the written events must raise, one key per inbox row, and for
    the state changes the events any of which may have raised it."""

    keys: set[Key] = field(default_factory=set)
    raised_by: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def per_event(self, kind: str, case_id: str, event_id: str, village: str) -> None:
        self.keys.update((kind, case_id, event_id, who) for who in recipients(kind, village))

    def transition(self, kind: str, case_id: str, event_ids: set[str], village: str) -> None:
        self.keys.update((kind, case_id, "", who) for who in recipients(kind, village))
        self.raised_by.setdefault((kind, case_id), set()).update(event_ids)


class Flow:
    """Writes the flow through `service`'s use cases and keeps what it must notify."""

    def __init__(
        self, service: CaseService, today: date, seed: int, *, open_cases: int = 60
    ) -> None:
        self.service = service
        self.cases = service.cases
        self.today = today
        self.random = random.Random(seed)
        self.open_cases = open_cases
        self.lives: list[Life] = []
        self.expected = Expected()
        self.events = 0  # case events written
        self.counts: dict[str, int] = {}

    # ---- the staff -------------------------------------------------------------------

    def register_staff(self) -> int:
        """Registers every user of STAFF (one user.registered event each)."""
        for username, (role, scope) in STAFF.items():
            self.service.accounts.register(
                None,
                username=username,
                role=role,
                scope=scope,
                password=PASSWORD,
                display_name=f"{username} 同志",
            )
        return len(STAFF)

    # ---- writing ---------------------------------------------------------------------

    def write(self, events: int) -> None:
        """Writes at least `events` more case events, interleaving the open cases."""
        target = self.events + events
        while self.events < target:
            if len(self.lives) < self.open_cases:
                self.lives.append(self._new_life())
            life = self.random.choice(self.lives)
            if life.case_id is None:
                self._identify(life)
            else:
                self._step(life, *life.steps.pop(0))
            if life.case_id is not None and not life.steps:
                self.lives.remove(life)

    def _event_id(self, case_id: UUID, kind: str) -> str:
        # The id of the case's latest event of `kind`: a write may append more after it
        # (a director's review request, a dropout's task), so not the case's version.
        events = list(self.cases.events.get(case_id))
        latest = next(e for e in reversed(events) if type(e).__name__ == kind)
        return f"{case_id}:{latest.originator_version}"

    def _count(self, what: str) -> None:
        self.events += 1
        self.counts[what] = self.counts.get(what, 0) + 1

    def _identify(self, life: Life) -> None:
        case = self.cases.identify(self._director(life), life.record).case
        life.case_id = case.id
        self._count("identified")
        event_id = self._event_id(case.id, "Identified")
        if life.record["guardian"]["type"] == "none":
            self.expected.per_event("no_guardian", str(case.id), event_id, life.village)
        if life.record_dropped:
            self.expected.transition("school_dropout", str(case.id), {event_id}, life.village)

    def _step(self, life: Life, kind: str, body: dict[str, Any]) -> None:
        assert life.case_id is not None
        case_id, village = str(life.case_id), life.village
        director, civil = self._director(life), self._civil(life)
        result: Any
        if kind == "visit":
            result = self.cases.record_visit(director, life.case_id, body)
            self._visited(life, body, self._event_id(life.case_id, "Visited"))
        elif kind == "guardian":
            result = self.cases.change_guardian(director, life.case_id, body)
            if body["guardian"]["type"] == "none":
                event_id = self._event_id(life.case_id, "GuardianChanged")
                self.expected.per_event("no_guardian", case_id, event_id, village)
        elif kind == "intervention":
            result = self.cases.open_intervention(civil, life.case_id, body)
            life.interventions.append(result.intervention_id)
            if body["kind"] == "mandatory_report":
                event_id = self._event_id(life.case_id, "InterventionOpened")
                self.expected.per_event("mandatory_report", case_id, event_id, village)
        elif kind in ("progress", "closure"):
            # The intervention opened just before (steps keep their order within a case).
            iid = life.interventions[-1]
            if kind == "progress":
                self.cases.progress_intervention(civil, life.case_id, iid, body)
            else:
                self.cases.close_intervention(civil, life.case_id, iid, body)
        elif kind == "assign":
            self.cases.assign(civil, life.case_id, f"dir-{village}")
        elif kind == "correct":
            self.cases.correct(director, life.case_id, body)
        else:
            raise AssertionError(kind)
        self._count(kind)

    def _visited(self, life: Life, visit: dict[str, Any], event_id: str) -> None:
        assert life.case_id is not None
        case_id, village = str(life.case_id), life.village
        if any(c in HARM for c in visit["safety_concerns"]):
            self.expected.per_event("harm_found", case_id, event_id, village)
        risk = visit["risk_level"]
        # The flow's own promise (see the docstring): a high risk never comes down.
        assert life.risk != "high" or risk == "high"
        if risk == "high":
            self.expected.transition("risk_high", case_id, {event_id}, village)
        life.risk = risk
        attendance = visit["school_attendance"]
        assert life.attendance != "dropped_out" or attendance == "dropped_out"
        assert not (life.record_dropped and attendance == "dropped_out")
        if attendance == "dropped_out":
            self.expected.transition("school_dropout", case_id, {event_id}, village)
        life.attendance = attendance

    # ---- the plan of one case --------------------------------------------------------

    def _new_life(self) -> Life:
        r = self.random
        village = r.choice(VILLAGES)
        identified_on = self.today - timedelta(days=r.randint(0, 5))
        life = Life(village, identified_on, _identify_body(village, identified_on, r))
        life.record_dropped = life.record["child"]["school"]["status"] == "dropped_out"
        life.steps = self._plan(life)
        return life

    def _plan(self, life: Life) -> list[tuple[str, dict[str, Any]]]:
        r = self.random
        visits = r.choices((1, 2, 3, 4), weights=(25, 35, 25, 15))[0]
        rises_at = r.randrange(visits) if r.random() < 0.12 else None
        enrolled = life.record["child"]["school"]["status"] == "enrolled"
        drops_at = r.randrange(visits) if enrolled and r.random() < 0.06 else None
        others: list[list[tuple[str, dict[str, Any]]]] = []
        if r.random() < 0.10:
            others.append([("guardian", self._guardian_change(r.random() < 0.4))])
        if r.random() < 0.18:
            report = r.random() < 0.2
            opened = [("intervention", _intervention_body(r, self.today, report))]
            if r.random() < 0.5:
                opened.append(("progress", {"note": "已电话跟进", "progressed_on": ""}))
            if r.random() < 0.4:
                opened.append(("closure", {"outcome": "已落实", "closed_on": ""}))
            others.append(opened)
        if r.random() < 0.2:
            others.append([("assign", {})])
        if r.random() < 0.03:
            others.append(
                [
                    (
                        "correct",
                        {"field": "child.school.grade", "value": "4", "reason": "年级登记有误"},
                    )
                ]
            )
        steps: list[tuple[str, dict[str, Any]]] = [
            (
                "visit",
                self._visit_body(
                    r,
                    high=rises_at is not None and i >= rises_at,
                    dropped=drops_at is not None and i >= drops_at,
                ),
            )
            for i in range(visits)
        ]
        for group in others:  # each group keeps its order, somewhere among the visits
            at = r.randint(0, len(steps))
            steps[at:at] = group
        # Dates never go back within a case, and none lies after today.
        span = (self.today - life.identified_on).days
        days = sorted(r.randint(0, span) for _ in steps)
        for (kind, body), offset in zip(steps, days, strict=True):
            day = (life.identified_on + timedelta(days=offset)).isoformat()
            for name in ("visited_on", "effective_on", "opened_on", "progressed_on", "closed_on"):
                if name in body:
                    body[name] = day
            if kind == "guardian" and body["entrustment_signed_on"]:
                body["entrustment_signed_on"] = day
        return steps

    def _visit_body(self, r: random.Random, *, high: bool, dropped: bool) -> dict[str, Any]:
        concerns: list[str] = []
        roll = r.random()
        if roll < 0.04:
            concerns = [r.choice(HARM)]
        elif roll < 0.10:
            concerns = [r.choice(("neglect", "living_alone"))]
        due = None
        if r.random() < 0.3:  # the visitor names the next visit's date
            due = (self.today + timedelta(days=r.randint(10, 40))).isoformat()
        return {
            "visited_on": "",
            "mode": r.choice(("home", "home", "phone", "video", "school")),
            "guardian_present": r.random() < 0.8,
            "living_conditions": r.choice(("good", "fair", "fair", "poor")),
            "school_attendance": "dropped_out"
            if dropped
            else r.choice(("regular", "regular", "regular", "irregular")),
            "emotional_state": r.choice(("stable", "lonely", "lonely", "distressed")),
            "safety_concerns": concerns,
            "risk_level": "high" if high else r.choice(("low", "medium", "medium")),
            "notes": None,
            "next_visit_due": due,
        }

    @staticmethod
    def _guardian_change(to_nobody: bool) -> dict[str, Any]:
        if to_nobody:
            guardian = {
                "type": "none",
                "name": None,
                "relation": None,
                "phone": None,
                "capacity": None,
            }
            return {
                "guardian": guardian,
                "reason": "祖母病故",
                "effective_on": "",
                "entrustment_signed_on": None,
            }
        guardian = {
            "type": "other_relative",
            "name": "王建国",
            "relation": "uncle",
            "phone": None,
            "capacity": "able",
        }
        return {
            "guardian": guardian,
            "reason": "祖母住院",
            "effective_on": "",
            "entrustment_signed_on": "sign",
        }

    def _director(self, life: Life) -> Actor:
        return Actor(
            f"dir-{life.village}", Role.CHILD_DIRECTOR, life.village, f"e2e-{uuid.uuid4().hex[:12]}"
        )

    def _civil(self, life: Life) -> Actor:
        county = life.village[:6]
        return Actor(
            f"civil-{county}-a" if county == "360124" else f"civil-{county}",
            Role.CIVIL_AFFAIRS,
            county,
            f"e2e-{uuid.uuid4().hex[:12]}",
        )


def _identify_body(village: str, identified_on: date, r: random.Random) -> dict[str, Any]:
    age = r.randint(3, 14)
    birth = identified_on - timedelta(days=365 * age + r.randint(1, 300))
    status = (
        "not_in_school" if age < 6 else r.choices(("enrolled", "dropped_out"), weights=(96, 4))[0]
    )
    school = {"name": "前坊小学", "grade": "3", "status": status}
    guardian: dict[str, Any] = {
        "type": "none",
        "name": None,
        "relation": None,
        "phone": None,
        "capacity": None,
    }
    if r.random() >= 0.06:  # about 6% have no guardian at all
        guardian = {
            "type": r.choice(
                ("grandparent", "grandparent", "grandparent", "other_relative", "entrusted_adult")
            ),
            "name": "李秀英",
            "relation": "grandmother",
            "phone": None,
            "capacity": r.choice(("able", "able", "limited")),
        }
    return {
        "child": {
            "name": r.choice(SURNAMES) + "".join(r.sample(GIVEN, 2)),
            "sex": r.choice(("female", "male")),
            "birth_date": birth.isoformat(),
            "id_number": None,
            "hukou_registered": True,
            "school": school,
            "health": None,
            "disability": None,
        },
        "address": {"jurisdiction": village, "detail": "三组12号"},
        "parents": [
            {
                "relation": "father",
                "status": "working_away",
                "work_location": "广东省东莞市",
                "phone": None,
            },
            {
                "relation": "mother",
                "status": r.choice(("working_away", "working_away", "deceased", "unknown")),
                "work_location": None,
                "phone": None,
            },
        ],
        "guardian": guardian,
        "source": r.choice(("survey", "survey", "school", "police", "hotline")),
        "identified_on": identified_on.isoformat(),
    }


def _intervention_body(r: random.Random, today: date, report: bool) -> dict[str, Any]:
    kind, department = (
        ("mandatory_report", "police")
        if report
        else r.choice(
            (
                ("psychological_support", "civil_affairs"),
                ("material_assistance", "civil_affairs"),
                ("dropout_prevention", "education"),
                ("family_education", "womens_federation"),
                ("health_protection", "health"),
            )
        )
    )
    due = (today + timedelta(days=r.randint(20, 60))).isoformat() if r.random() < 0.7 else None
    return {
        "kind": kind,
        "department": department,
        "urgency": "immediate" if report else r.choice(("routine", "urgent")),
        "description": "跟进处置",
        "opened_on": "",
        "due_by": due,
    }
