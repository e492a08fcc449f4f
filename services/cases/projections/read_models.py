"""What the API asks of the read models: the case list, the dashboard and the worklists,
each held to the caller's role and scope, each able to wait for the caller's own writes.

Read-your-writes: every write answers with its log position; a read given
`min_position` waits (up to `wait_seconds`, and at most `max_waiting` requests at once, so
waiting reads can never hold every request thread) until the projector has got that far. Either
way the answer says which position it was served at, and whether that is still short of
what was asked (`Served.behind`): the API then answers 200 with `X-Read-Model-Behind: true`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from shared.field_views import Visibility, visibility
from shared.jurisdictions import LEVEL_BY_LENGTH, SCOPE_LENGTHS, in_scope, level_of
from shared.roles import DEPARTMENT_OF_ROLE, Capability, Role, can

from ..access import Actor, ForbiddenError, require, require_in_scope
from . import closures, figures, site_figures
from .divisions import known_children, name_or_code, names_of
from .personal import PersonalData
from .queries import CaseFilter, CaseQueries, CaseRow, WorkItem
from .store import ReadModelStore
from .tx import Tx
from .users import UserRow, users_in

T = TypeVar("T")
WAIT_SECONDS = 2.0
# At most this many reads wait for the projector at once: the API serves with 8 threads
# (`careledger serve --threads`), and half of them stay free for everything else.
MAX_WAITING = 4
WORKLISTS = (
    "overdue-visits",
    "no-guardian",
    "mandatory-reports",
    "overdue-interventions",
    # Every open intervention, the soonest due first (a department's: its own tasks, such
    # as the police's household registrations and education's dropout prevention).
    "open-interventions",
    # Review before it counts (复核): what awaits the caller's review, and what was
    # returned to the director for correction.
    "awaiting-review",
    "returned-for-correction",
    # Likely duplicates (issue 11): cases flagged as likely the same child as another,
    # for who resolves them (merge, or dismiss the flag).
    "likely-duplicates",
)
# Who may read a review worklist: who reviews, and who corrects and resubmits.
_WORKLIST_CAPABILITIES = {
    "awaiting-review": Capability.REVIEW,
    "returned-for-correction": Capability.CORRECT,
    "likely-duplicates": Capability.RESOLVE_DUPLICATES,
}


# Which field of the case each list filter matches on: a role may filter by a field only
# when it may see it in clear, or the filter would tell it what the answer hides.
_FILTER_FIELDS = {
    "risk_level": "risk_level",
    "guardian_type": "guardian_type",
    "overdue": "visit_overdue",
    "q": "child.name",
}
# The police see the cases that hold work for them (access.may_see): their lists are those.
_POLICE_WORKLISTS = ("mandatory-reports", "open-interventions")
_WORKLIST_FIELDS = {"overdue-visits": "visit_overdue", "no-guardian": "guardian_type"}
_ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


def worklists_for(role: Role) -> list[str]:
    """The worklists `role` may read (the login answer sends them to the web app, so its
    tabs are these): the police only mandatory reports; a list drawn from a field only for
    roles that see that field (no guardian, visit overdue)."""
    return [name for name in WORKLISTS if _why_not(role, name) is None]


def _why_not(role: Role, name: str) -> str | None:
    if role is Role.POLICE and name not in _POLICE_WORKLISTS:
        return "the police see only their own tasks: mandatory reports and open interventions"
    capability = _WORKLIST_CAPABILITIES.get(name)
    if capability is not None and not can(role, capability):
        return f"the role {role} may not {capability.replace('_', ' ')}: {name} is not its list"
    # Being on a worklist tells the field it is drawn from (no guardian, visit overdue).
    needs = _WORKLIST_FIELDS.get(name)
    if needs is not None and visibility(role, needs) is not Visibility.VISIBLE:
        return f"the role {role} may not see {needs}, which {name} lists by"
    return None


def require_filters_visible(role: Role, f: CaseFilter) -> None:
    """Raises ForbiddenError naming the first filter on a field `role` may not see (the
    search `q` by an ID number needs the ID number in clear)."""
    for name, path in _FILTER_FIELDS.items():
        value = getattr(f, name)
        if value is None:
            continue
        if name == "q" and _ID_NUMBER.match(str(value).strip()):
            path = "child.id_number"
        if visibility(role, path) is not Visibility.VISIBLE:
            raise ForbiddenError(f"the role {role} may not search by {path}")


@dataclass(frozen=True)
class Served(Generic[T]):
    """An answer, the log position it reflects, and whether that is short of `min_position`."""

    value: T
    position: int
    behind: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int


class ReadModels:
    """The read side of the case service."""

    def __init__(
        self,
        store: ReadModelStore,
        personal: PersonalData,
        *,
        wait_seconds: float = WAIT_SECONDS,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self.store = store
        self.queries = CaseQueries(personal)
        self.wait_seconds = wait_seconds
        # Requests waiting for the projector at once; the rest answer at once, marked behind.
        self._waiting = threading.BoundedSemaphore(max_waiting)

    def position(self) -> int:
        """How far in the log the active read models are."""
        return self.store.active()[1]

    # ---- the case list --------------------------------------------------------------------

    def list_cases(
        self,
        actor: Actor,
        f: CaseFilter,
        *,
        page: int,
        per_page: int,
        today: date,
        min_position: int | None = None,
    ) -> Served[Page[CaseRow]]:
        """The caller's cases matching every filter, newest identification first."""
        require(actor, Capability.READ_CASE)
        # A filter outside the caller's scope is refused, not silently narrowed: she learns
        # that she asked for what she may not see (docs/http-api.md).
        if f.jurisdiction is not None:
            require_in_scope(actor, f.jurisdiction)
        require_filters_visible(actor.role, f)
        prefix = f.jurisdiction or actor.scope

        def query(tx: Tx) -> Page[CaseRow]:
            rows, total = self.queries.list_cases(
                tx,
                prefix,
                f,
                today=today,
                page=page,
                per_page=per_page,
                reported_only=actor.role is Role.POLICE,
            )
            return Page(rows, total)

        return self._serve(query, min_position)

    def lookalike_candidates(
        self, township: str, name: str, parent_phones: list[str], limit: int
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """The cases of a township found by a child's name or her parents' phones, for
        the likely-duplicate rule alone (register/lookalikes.py): it reads across the
        villages of the township whoever identifies, and answers only case ids."""

        def query(tx: Tx) -> list[tuple[str, str, dict[str, Any]]]:
            return self.queries.lookalike_candidates(tx, township, name, parent_phones, limit)

        return self._serve(query, None).value

    # ---- the dashboard ---------------------------------------------------------------------

    def closures(self, actor: Actor, scope: str, start: date, end: date) -> dict[str, Any]:
        """Interventions closed in the period and their average days to closure (report)."""
        scope = self._scope(actor, scope)
        return self._serve(lambda tx: closures.closed_between(tx, scope, start, end), None).value

    def place_names(self, actor: Actor, codes: list[str]) -> dict[str, str]:
        """The names of those `codes` inside the actor's scope or above it (its own
        county, city…): reference data, no child's."""
        own = self._scope(actor, None)
        wanted = [c for c in codes if in_scope(c, own) or own.startswith(c)]

        def query(tx: Tx) -> dict[str, str]:
            return names_of(tx, wanted)

        return self._serve(query, None).value

    def summary(
        self,
        actor: Actor,
        scope: str | None,
        as_of: date,
        min_position: int | None = None,
        basis: str | None = None,
    ) -> Served[dict[str, Any]]:
        """Every figure for one scope (counts from the daily series `basis`, if given)."""
        scope = self._scope(actor, scope)
        police = actor.role is Role.POLICE
        department = own_department(actor)

        def query(tx: Tx) -> dict[str, Any]:
            return (
                _about(scope, names_of(tx, [scope]))
                | {"as_of": as_of.isoformat()}
                | figures.summary(
                    tx, scope, as_of, police=police, department=department, basis=basis
                )
            )

        return self._serve(query, min_position)

    def breakdown(
        self,
        actor: Actor,
        scope: str | None,
        as_of: date,
        min_position: int | None = None,
        basis: str | None = None,
    ) -> Served[dict[str, Any]]:
        """One row per jurisdiction one level below the scope."""
        scope = self._scope(actor, scope)
        police = actor.role is Role.POLICE
        department = own_department(actor)

        def query(tx: Tx) -> dict[str, Any]:
            rows = figures.children(
                tx, [scope], as_of, police=police, department=department, basis=basis
            )
            names = known_children(tx, scope)
            codes = sorted(set(rows) | set(names))
            names |= names_of(tx, [scope, *(code for code in rows if code not in names)])
            empty = figures.empty_row(police=police)
            return _about(scope, names) | {
                "as_of": as_of.isoformat(),
                "rows": [_about(code, names) | rows.get(code, empty) for code in codes],
            }

        return self._serve(query, min_position)

    def trend(
        self,
        actor: Actor,
        scope: str | None,
        as_of: date,
        months: int,
        min_position: int | None = None,
    ) -> Served[dict[str, Any]]:
        """The monthly flows of the last `months` months."""
        scope = self._scope(actor, scope)
        police = actor.role is Role.POLICE

        def query(tx: Tx) -> dict[str, Any]:
            return _about(scope, names_of(tx, [scope])) | {
                "months": figures.trend(tx, scope, as_of.isoformat()[:7], months, police=police)
            }

        return self._serve(query, min_position)

    def ranking(
        self,
        actor: Actor,
        scope: str | None,
        level: str | None,
        as_of: date,
        min_position: int | None = None,
        basis: str | None = None,
    ) -> Served[dict[str, Any]]:
        """The counties or townships under the scope, ranked for the assessment (考核)."""
        scope = self._scope(actor, scope)
        if actor.role is Role.POLICE:
            raise ForbiddenError("the police see only mandatory-report figures")
        length = _level_length(scope, level)

        def query(tx: Tx) -> dict[str, Any]:
            parents = [scope]
            while parents and len(parents[0]) < SCOPE_LENGTHS[SCOPE_LENGTHS.index(length) - 1]:
                parents = figures.child_codes(tx, parents)
            rows = figures.children(tx, parents, as_of, police=False, basis=basis)
            names = names_of(tx, [scope, *rows])
            return _about(scope, names) | {
                "as_of": as_of.isoformat(),
                "ranked_level": LEVEL_BY_LENGTH[length],
                "rows": _ranked(rows, names),
            }

        return self._serve(query, min_position)

    # ---- worklists -----------------------------------------------------------------------

    def worklist(
        self,
        actor: Actor,
        name: str,
        scope: str | None,
        *,
        today: date,
        page: int,
        per_page: int,
        assignee: str | None = None,
        min_position: int | None = None,
    ) -> Served[Page[WorkItem]]:
        """One of the worklists, paginated, the most urgent first."""
        scope = self._scope(actor, scope)
        refused = _why_not(actor.role, name)
        if refused:
            raise ForbiddenError(refused)
        # A department works its own interventions: its overdue list is its own.
        department = own_department(actor)
        q = self.queries

        def query(tx: Tx) -> Page[WorkItem]:
            if name == "overdue-visits":
                items, total = q.overdue_visits(tx, scope, today, page, per_page, assignee)
            elif name == "no-guardian":
                items, total = q.no_guardian(tx, scope, today, page, per_page)
            elif name == "likely-duplicates":
                items, total = q.likely_duplicates(tx, scope, today, page, per_page)
            elif name in _WORKLIST_CAPABILITIES:
                status = "pending" if name == "awaiting-review" else "returned"
                items, total = q.reviews(tx, scope, today, page, per_page, status)
            else:
                items, total = q.interventions(
                    tx,
                    scope,
                    today,
                    page,
                    per_page,
                    mandatory_reports=name == "mandatory-reports",
                    overdue_only=name == "overdue-interventions",
                    department=None if name == "mandatory-reports" else department,
                )
            return Page(items, total)

        return self._serve(query, min_position)

    # ---- users -----------------------------------------------------------------------------

    # ---- care sites (site_figures.py) ------------------------------------------------------

    def sites(
        self,
        actor: Actor,
        scope: str | None,
        *,
        status: str | None = None,
        kind: str | None = None,
        as_of: date,
        min_position: int | None = None,
    ) -> Served[dict[str, Any]]:
        """The sites in the scope (registration order), each with the children it served
        on `as_of` (status and kind filter by the site's status now)."""
        scope = self._scope(actor, scope)

        def query(tx: Tx) -> dict[str, Any]:
            rows = site_figures.sites_in(tx, scope, status=status, kind=kind)
            served = site_figures.children_at(tx, [r.site_id for r in rows], as_of.isoformat())
            names = names_of(tx, sorted({r.jurisdiction for r in rows}))
            return {
                "scope": scope,
                "items": [
                    {"id": r.site_id}
                    | {k: v for k, v in vars(r).items() if k != "site_id"}
                    | {
                        "children_served": served.get(r.site_id, 0),
                        "village_name": name_or_code(names, r.jurisdiction),
                    }
                    for r in rows
                ],
            }

        return self._serve(query, min_position)

    def site_figures(
        self,
        actor: Actor,
        scope: str | None,
        as_of: date,
        year: int,
        min_position: int | None = None,
    ) -> Served[dict[str, Any]]:
        """Sites per jurisdiction, villages with and without one, children served, and
        the year's plan against the sites built (one row per jurisdiction below)."""
        scope = self._scope(actor, scope)

        def query(tx: Tx) -> dict[str, Any]:
            found = site_figures.figures(tx, scope, as_of, year)
            names = names_of(tx, [scope, *(row["code"] for row in found["rows"])])
            found["rows"] = [_about(row["code"], names) | row for row in found["rows"]]
            return _about(scope, names) | {"as_of": as_of.isoformat()} | found

        return self._serve(query, min_position)

    def known_villages(self, township: str) -> set[str]:
        """The village codes loaded as reference data under `township` (reference data:
        no access check)."""
        return self._serve(lambda tx: site_figures.villages_loaded(tx, township), None).value

    def users(self, actor: Actor, min_position: int | None = None) -> Served[list[UserRow]]:
        """The users inside the admin's scope, in registration order."""
        require(actor, Capability.MANAGE_USERS)
        return self._serve(lambda tx: users_in(tx, actor.scope), min_position)

    # ---- the child's calendar ---------------------------------------------------------------

    def active_born_by(self, born_by: date) -> list[str]:
        """The active cases of children born on or before `born_by` (the calendar's job:
        who turned 16). Birth dates are sealed: each active row's is opened here, so this
        reads every active case, once a day."""
        personal = self.queries.personal

        def query(tx: Tx) -> list[str]:
            rows = tx.rows("SELECT case_id, personal FROM {cases} WHERE status = 'active'")
            wanted = born_by.isoformat()
            return [
                str(r["case_id"])
                for r in rows
                if (born := personal.open(bytes(r["personal"])).get("birth_date"))
                and born <= wanted
            ]

        return self._serve(query, None).value

    # ---- helpers ---------------------------------------------------------------------------

    def _scope(self, actor: Actor, scope: str | None) -> str:
        require(actor, Capability.READ_CASE)
        scope = scope or actor.scope
        if not in_scope(scope, actor.scope):
            raise ForbiddenError(f"scope {scope} is outside your scope {actor.scope}")
        return scope

    def _serve(self, query: Callable[[Tx], T], min_position: int | None) -> Served[T]:
        if min_position is not None and self.position() < min_position:
            self._wait_for(min_position)
        answer: list[tuple[T, int]] = []

        def run(tx: Tx) -> None:
            answer.append((query(tx), tx.position))

        self.store.read(run)
        value, position = answer[-1]
        return Served(value, position, min_position is not None and position < min_position)

    def _wait_for(self, min_position: int) -> None:
        if not self._waiting.acquire(blocking=False):
            return  # enough requests wait already: this one is served now, marked behind
        try:
            deadline = time.monotonic() + self.wait_seconds
            while self.position() < min_position and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            self._waiting.release()


def own_department(actor: Actor) -> str | None:
    """The department whose interventions are the actor's own work (None: every one). A
    department's overdue-interventions worklist, its summary tiles and its breakdown count
    these alone, so the tiles match the list."""
    return DEPARTMENT_OF_ROLE.get(actor.role)


class BadQueryError(ValueError):
    """Raised when a query parameter cannot be answered (a level not below the scope)."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _level_length(scope: str, level: str | None) -> int:
    if level is None:
        if len(scope) == SCOPE_LENGTHS[-1]:
            raise BadQueryError("a village has no level below it to rank", field="scope")
        return SCOPE_LENGTHS[SCOPE_LENGTHS.index(len(scope)) + 1]
    length = next(n for n, name in LEVEL_BY_LENGTH.items() if name == level)
    if length <= len(scope):
        raise BadQueryError(f"level must lie below the scope's ({level_of(scope)})", field="level")
    return length


def _about(code: str, names: dict[str, str]) -> dict[str, Any]:
    return {"code": code, "level": level_of(code), "name": name_or_code(names, code)}


def _ranked(rows: dict[str, dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    scored = []
    for code, row in rows.items():
        overdue = row["overdue_visit_share"]
        indicators = [
            row["visit_coverage_30_days"],
            None if overdue is None else 1 - overdue,
            row["entrustment_signed_share"],
            None
            if not row["open_interventions"]
            else 1 - row["overdue_interventions"] / row["open_interventions"],
        ]
        known = [x for x in indicators if x is not None]
        score = round(100 * sum(known) / len(known), 1) if known and row["active"] else None
        scored.append(_about(code, names) | row | {"score": score})
    scored.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))
    return [r | {"rank": i} for i, r in enumerate(scored, start=1)]
