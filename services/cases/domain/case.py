"""The Case aggregate: one child, and everything found and done, as immutable events.

Each public method checks the rules against today's state and then calls one private
`@event` method that only mutates, so replaying an old event never re-runs today's rules.
Every event names the village the case was in (`jurisdiction`): whoever follows the log
(the relay, the read models) can route it without reading the case.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid5

from eventsourcing.domain import Aggregate, event

from shared.vocabulary import (
    AGE_LIMIT_YEARS,
    CLOSURE_PROPOSALS,
    CLOSURE_REASONS,
    ERASURE_BASES,
    POLICE_CASE_KINDS,
    REVIEW_SUBJECTS,
    SCHOOL_CHANGES,
    SCHOOL_STATUS_AFTER_CHANGE,
)

from .checks import add_years, one_of, optional_text, parse_date, past_date, text
from .corrections import check_correction, get_path, set_path
from .eligibility import check_eligible
from .errors import (
    CaseClosedError,
    CaseErasedError,
    CaseNotClosedError,
    DateBeforeIdentificationError,
    DateBeforeOpeningError,
    ErasureNotRequestedError,
    FlagNotOpenError,
    InterventionNotOpenError,
    InvalidValueError,
    NotEligibleError,
    NothingToCorrectError,
    NotReturnedError,
    ReviewNotPendingError,
    SameJurisdictionError,
    SecondPersonRequiredError,
    SelfReviewError,
    UnknownInterventionError,
)
from .personal_data import GUARDIAN, RECORD, replace_leaves
from .values import Guardian, Identification, Intervention, Visit
from .visit_due import (
    DEFAULT_SCHEDULE,
    VisitSchedule,
    due_after_visit,
    due_before_any_visit,
    next_visit_due,
)

Json = dict[str, Any]
# The interventions a fact opens by rule: the department it is for, and what it says.
RULE_TASKS = {
    "household_registration": (
        "police",
        "儿童未登记户口：请公安机关办理户籍登记（按规则自动生成）",
    ),
    "dropout_prevention": ("education", "儿童辍学：请教育部门落实控辍保学（按规则自动生成）"),
}
RULE_TASK_DAYS = 30  # when such a task is due, from the day of the fact
RECENT_VISITS = 5  # how many of the latest visits the state keeps
# Corrections of these are checked against the definition of a left-behind child.
_FACTS_OF_ELIGIBILITY = frozenset({"child.birth_date", "identified_on"})


class Case(Aggregate):
    """A left-behind child's case. Every event carries the acting user as `actor`."""

    school_changed_on: str | None = None  # the latest recorded school change, if any
    # Who may read this case outside their scope, and until when (ISO instant, UTC):
    # break-the-glass grants. None until the first (cases stored before have none).
    emergency_access: dict[str, str] | None = None
    site_id: str | None = None  # the care site the child attends (cases stored before: none)

    # ---- identification -------------------------------------------------------------

    @classmethod
    def identify(
        cls,
        *,
        record: Json,
        actor: Json,
        today: date,
        schedule: VisitSchedule = DEFAULT_SCHEDULE,
    ) -> Case:
        """Opens a case for a child who meets the definition; `record` is the identify body
        (`schedule`: the city's visit intervals, for the first visit's due date)."""
        record = Identification.parse(record).to_json()
        identified_on = past_date(record["identified_on"], "identified_on", today)
        birth_date = past_date(record["child"]["birth_date"], "child.birth_date", today)
        check_eligible(birth_date, record["parents"], identified_on)
        due = due_before_any_visit(
            record["identified_on"], record["guardian"], record["address"]["jurisdiction"], schedule
        )
        case = cls(record=deepcopy(record), actor=actor, next_visit_due=due)
        if not record["child"]["hukou_registered"]:
            case._open_task("household_registration", record["identified_on"], actor)
        return case

    @event("Identified")
    def __init__(self, record: Json, actor: Json, next_visit_due: str | None = None) -> None:
        # `next_visit_due` (here and on the other events that move it): the case's due
        # date after the event, for the log's followers; None in events stored before.
        # Mutators copy what they keep: corrections and transfers change the state in
        # place, and must never change the event that is about to be stored.
        self.record = deepcopy(record)  # the identification facts, as corrected since
        self.jurisdiction: str = record["address"]["jurisdiction"]
        self.guardian: Json = deepcopy(record["guardian"])
        self.guardian_since: str = record["identified_on"]
        self.entrustment_signed_on: str | None = None
        self.status = "active"
        self.closure: Json | None = None
        self.assigned_to: str | None = None
        # Only the latest visits are kept in the state: the full record is the history,
        # and a bounded state keeps opening a case of years of visits as cheap as a new one.
        self.recent_visits: list[Json] = []
        self.visit_count = 0
        self.interventions: dict[str, Json] = {}
        self.corrections: list[Json] = []
        self.identified_by = actor
        # The earliest date anything happened after identification: a corrected
        # identification date may not move past it.
        self.first_activity_on: str | None = None
        self._recorded(next_visit_due)

    # ---- tasks the rules open (the child's calendar, issue 11) ------------------------

    def _open_task(self, kind: str, on: str, actor: Json) -> None:
        """Opens the intervention a fact calls for, in the same append as the fact: a
        child without household registration is the police's to register, a dropout
        the education bureau's to bring back (控辍保学). Not while one of its kind is open."""
        if any(i["kind"] == kind and i["status"] == "open" for i in self.interventions.values()):
            return
        department, description = RULE_TASKS[kind]
        due_by = date.fromisoformat(on) + timedelta(days=RULE_TASK_DAYS)
        self._intervention_opened(
            jurisdiction=self.jurisdiction,
            # Made from the case and how many it has: the same on every replay.
            intervention_id=uuid5(self.id, f"{kind}:{len(self.interventions)}").hex,
            intervention={
                "kind": kind,
                "department": department,
                "urgency": "routine",
                "description": description,
                "opened_on": on,
                "due_by": due_by.isoformat(),
            },
            actor=actor,
        )

    # ---- the life of the case ---------------------------------------------------------

    def record_visit(
        self, *, visit: Json, actor: Json, today: date, schedule: VisitSchedule = DEFAULT_SCHEDULE
    ) -> None:
        """Records a home, phone, video or school visit."""
        visit = Visit.parse(visit).to_json()
        self._require_active()
        visited_on = past_date(visit["visited_on"], "visited_on", today)
        self._require_not_before_identification(visited_on, "visited_on")
        # The derived state around the visit, as only the writer knows it exactly: whoever
        # follows the log (notify, with entries arriving out of order) reads a transition
        # from the event instead of guessing it from what it happened to see before.
        school_before = self.school_status
        latest = self.latest_visit
        if latest is None or str(visit["visited_on"]) >= str(latest["visited_on"]):
            latest = visit  # as the mutator sorts: a visit of the same day comes last
        self._visited(
            jurisdiction=self.jurisdiction,
            visit=deepcopy(visit),
            actor=actor,
            risk_level_before=self.risk_level,
            risk_level_after=str(latest["risk_level"]),
            school_status_before=self.school_status,
            school_status_after=self._school_status_with(latest),
            next_visit_due=due_after_visit(latest, self.guardian, self.jurisdiction, schedule),
        )
        if self.school_status == "dropped_out" != school_before:  # a dropout found now
            self._open_task("dropout_prevention", str(visit["visited_on"]), actor)

    @event("Visited")
    def _visited(
        self,
        jurisdiction: str,
        visit: Json,
        actor: Json,
        # Facts about the visit for the log's followers; the state derives them itself.
        # None in events stored before they were recorded.
        risk_level_before: str | None = None,
        risk_level_after: str | None = None,
        school_status_before: str | None = None,
        school_status_after: str | None = None,
        next_visit_due: str | None = None,
    ) -> None:
        self._saw(visit["visited_on"])
        self._recorded(next_visit_due)
        self.visit_count += 1
        self.recent_visits = sorted(
            [*self.recent_visits, visit], key=lambda v: str(v["visited_on"])
        )[-RECENT_VISITS:]

    def change_guardian(
        self,
        *,
        guardian: Json,
        reason: str,
        effective_on: str,
        entrustment_signed_on: str | None,
        actor: Json,
        today: date,
        schedule: VisitSchedule = DEFAULT_SCHEDULE,
    ) -> None:
        """Records who now looks after the child, and why."""
        guardian = Guardian.parse(guardian).to_json()
        text(reason, "reason", max_length=500)
        self._require_active()
        effective = past_date(effective_on, "effective_on", today)
        self._require_not_before_identification(effective, "effective_on")
        if entrustment_signed_on is not None:
            past_date(entrustment_signed_on, "entrustment_signed_on", today)
        self._guardian_changed(
            jurisdiction=self.jurisdiction,
            guardian=deepcopy(guardian),
            reason=reason,
            effective_on=effective_on,
            entrustment_signed_on=entrustment_signed_on,
            actor=actor,
            next_visit_due=self._due_with(guardian=guardian, schedule=schedule),
        )

    @event("GuardianChanged")
    def _guardian_changed(
        self,
        jurisdiction: str,
        guardian: Json,
        reason: str,
        effective_on: str,
        entrustment_signed_on: str | None,
        actor: Json,
        next_visit_due: str | None = None,
    ) -> None:
        self._saw(effective_on)
        self._recorded(next_visit_due)
        self.guardian = deepcopy(guardian)
        self.guardian_since = effective_on
        self.entrustment_signed_on = entrustment_signed_on

    def open_intervention(
        self, *, intervention_id: str, intervention: Json, actor: Json, today: date
    ) -> None:
        """Opens an intervention (admonition talk, mandatory report, temporary guardianship…)."""
        intervention = Intervention.parse(intervention).to_json()
        self._require_active()
        opened_on = past_date(intervention["opened_on"], "opened_on", today)
        self._require_not_before_identification(opened_on, "opened_on")
        self._intervention_opened(
            jurisdiction=self.jurisdiction,
            intervention_id=intervention_id,
            intervention=deepcopy(intervention),
            actor=actor,
        )

    @event("InterventionOpened")
    def _intervention_opened(
        self, jurisdiction: str, intervention_id: str, intervention: Json, actor: Json
    ) -> None:
        self._saw(intervention["opened_on"])
        self.interventions[intervention_id] = {
            **intervention,
            "status": "open",
            "progress": [],
            "outcome": None,
            "closed_on": None,
            "opened_by": actor["username"],
        }

    def progress_intervention(
        self, *, intervention_id: str, note: str, progressed_on: str, actor: Json, today: date
    ) -> None:
        """Adds a progress note to an open intervention."""
        text(note, "note", max_length=2000)
        self._require_open_intervention(intervention_id)
        day = past_date(progressed_on, "progressed_on", today)
        self._require_not_before_opening(intervention_id, day, "progressed_on")
        self._intervention_progressed(
            jurisdiction=self.jurisdiction,
            intervention_id=intervention_id,
            note=note,
            progressed_on=progressed_on,
            actor=actor,
        )

    @event("InterventionProgressed")
    def _intervention_progressed(
        self, jurisdiction: str, intervention_id: str, note: str, progressed_on: str, actor: Json
    ) -> None:
        self.interventions[intervention_id]["progress"].append(
            {"note": note, "progressed_on": progressed_on, "by": actor["username"]}
        )

    def close_intervention(
        self, *, intervention_id: str, outcome: str, closed_on: str, actor: Json, today: date
    ) -> None:
        """Closes an open intervention with its outcome."""
        text(outcome, "outcome", max_length=2000)
        self._require_open_intervention(intervention_id)
        day = past_date(closed_on, "closed_on", today)
        self._require_not_before_opening(intervention_id, day, "closed_on")
        self._intervention_closed(
            jurisdiction=self.jurisdiction,
            intervention_id=intervention_id,
            outcome=outcome,
            closed_on=closed_on,
            actor=actor,
        )

    @event("InterventionClosed")
    def _intervention_closed(
        self, jurisdiction: str, intervention_id: str, outcome: str, closed_on: str, actor: Json
    ) -> None:
        self.interventions[intervention_id] |= {
            "status": "closed",
            "outcome": outcome,
            "closed_on": closed_on,
        }

    def change_school(
        self,
        *,
        change: str,
        changed_on: str,
        school_name: str | None,
        grade: str | None,
        note: str | None,
        actor: Json,
        today: date,
    ) -> None:
        """Records a school change (控辍保学): enrolled at a new school, returned to school
        after dropping out, or dropped out."""
        self._require_active()
        one_of(change, SCHOOL_CHANGES, "change")
        day = past_date(changed_on, "changed_on", today)
        self._require_not_before_identification(day, "changed_on")
        for value, name, length in ((school_name, "school_name", 100), (grade, "grade", 20)):
            text(value, name, max_length=length, required=False)
        text(note, "note", max_length=2000, required=False)
        school_before = self.school_status
        self._school_changed(
            jurisdiction=self.jurisdiction,
            change=change,
            changed_on=changed_on,
            school_name=school_name,
            grade=grade,
            note=note,
            actor=actor,
            school_status_before=self.school_status,
            school_status_after=self._school_status_with(
                self.latest_visit, changed_on=changed_on, record=SCHOOL_STATUS_AFTER_CHANGE[change]
            ),
        )
        if self.school_status == "dropped_out" != school_before:
            self._open_task("dropout_prevention", changed_on, actor)

    @event("SchoolChanged")
    def _school_changed(
        self,
        jurisdiction: str,
        change: str,
        changed_on: str,
        school_name: str | None,
        grade: str | None,
        note: str | None,
        actor: Json,
        school_status_before: str,
        school_status_after: str,
    ) -> None:
        self._saw(changed_on)
        school = {**(self.child.get("school") or {}), "status": SCHOOL_STATUS_AFTER_CHANGE[change]}
        school |= {k: v for k, v in (("name", school_name), ("grade", grade)) if v is not None}
        self.record["child"]["school"] = school
        self.school_changed_on = changed_on

    def attend_site(
        self, *, site_id: str, site_jurisdiction: str, attended_on: str, actor: Json, today: date
    ) -> None:
        """Records that the child now attends a care site (关爱保护场所), checked by the
        application to exist and be open; a child attends one site at a time."""
        self._require_active()
        day = past_date(attended_on, "attended_on", today)
        self._require_not_before_identification(day, "attended_on")
        if self.site_id == site_id:
            raise InvalidValueError("the child attends that site already", field="site_id")
        self._site_attended(
            jurisdiction=self.jurisdiction,
            site_id=site_id,
            site_jurisdiction=site_jurisdiction,
            attended_on=day.isoformat(),
            site_before=self.site_id,
            actor=actor,
        )

    @event("SiteAttended")
    def _site_attended(
        self,
        jurisdiction: str,
        site_id: str,
        site_jurisdiction: str,
        attended_on: str,
        site_before: str | None,
        actor: Json,
    ) -> None:
        self._saw(attended_on)
        self.site_id = site_id

    def leave_site(self, *, left_on: str, actor: Json, today: date) -> None:
        """Records that the child no longer attends the site she attended."""
        self._require_active()
        if self.site_id is None:
            raise InvalidValueError("the child attends no site", field="site_id")
        day = past_date(left_on, "left_on", today)
        self._require_not_before_identification(day, "left_on")
        self._site_left(
            jurisdiction=self.jurisdiction,
            site_id=self.site_id,
            left_on=day.isoformat(),
            actor=actor,
        )

    @event("SiteLeft")
    def _site_left(self, jurisdiction: str, site_id: str, left_on: str, actor: Json) -> None:
        self._saw(left_on)
        self.site_id = None

    def assign(self, *, assignee: str, actor: Json) -> None:
        """Assigns the case to a child director (checked to exist by the application)."""
        self._require_active()
        self._assigned(jurisdiction=self.jurisdiction, assignee=assignee, actor=actor)

    @event("Assigned")
    def _assigned(self, jurisdiction: str, assignee: str, actor: Json) -> None:
        self.assigned_to = assignee

    def transfer(
        self,
        *,
        jurisdiction: str,
        address_detail: str | None,
        reason: str,
        transferred_on: str,
        actor: Json,
        today: date,
    ) -> None:
        """Moves the case to another village when the family moves."""
        optional_text(address_detail, "address_detail", max_length=200)
        text(reason, "reason", max_length=500)
        self._require_active()
        if jurisdiction == self.jurisdiction:
            raise SameJurisdictionError("the case is already in that village", field="jurisdiction")
        day = past_date(transferred_on, "transferred_on", today)
        self._require_not_before_identification(day, "transferred_on")
        self._transferred(
            from_jurisdiction=self.jurisdiction,
            jurisdiction=jurisdiction,
            address_detail=address_detail,
            reason=reason,
            transferred_on=transferred_on,
            actor=actor,
        )

    @event("Transferred")
    def _transferred(
        self,
        from_jurisdiction: str,
        jurisdiction: str,
        address_detail: str | None,
        reason: str,
        transferred_on: str,
        actor: Json,
    ) -> None:
        self._saw(transferred_on)
        self.jurisdiction = jurisdiction
        self.record["address"]["jurisdiction"] = jurisdiction
        if address_detail is not None:
            self.record["address"]["detail"] = address_detail
        # A new village means a new child director.
        self.assigned_to = None

    def close_case(
        self, *, reason: str, closed_on: str, note: str | None, actor: Json, today: date
    ) -> None:
        """Closes the case (parents returned, reached 16, moved out, duplicate…)."""
        one_of(reason, CLOSURE_REASONS, "reason")
        optional_text(note, "note", max_length=500)
        self._require_active()
        day = past_date(closed_on, "closed_on", today)
        self._require_not_before_identification(day, "closed_on")
        self._closed(
            jurisdiction=self.jurisdiction,
            reason=reason,
            closed_on=closed_on,
            note=note,
            actor=actor,
        )

    @event("Closed")
    def _closed(
        self, jurisdiction: str, reason: str, closed_on: str, note: str | None, actor: Json
    ) -> None:
        self._saw(closed_on)
        self.status = "closed"
        self.closure = {"reason": reason, "closed_on": closed_on, "note": note}
        self.__dict__["_closure_proposal"] = None

    def reopen(self, *, reason: str, reopened_on: str, actor: Json, today: date) -> None:
        """Reopens a closed case."""
        text(reason, "reason", max_length=500)
        self._require_not_erased()
        if self.status != "closed":
            raise CaseNotClosedError("the case is not closed")
        day = past_date(reopened_on, "reopened_on", today)
        assert self.closure is not None
        if day < parse_date(self.closure["closed_on"], "closed_on"):
            raise InvalidValueError("a case cannot reopen before it closed", field="reopened_on")
        self._reopened(
            jurisdiction=self.jurisdiction, reason=reason, reopened_on=reopened_on, actor=actor
        )

    @event("Reopened")
    def _reopened(self, jurisdiction: str, reason: str, reopened_on: str, actor: Json) -> None:
        self.status = "active"
        self.closure = None

    def correct(
        self,
        *,
        field: str,
        value: Any,
        reason: str,
        actor: Json,
        today: date,
        schedule: VisitSchedule = DEFAULT_SCHEDULE,
    ) -> None:
        """Corrects a wrong fact: a new event that keeps the old value beside the new one."""
        self._require_active()
        new_value = check_correction(field, value, today)
        text(reason, "reason", max_length=500)
        old_value = get_path(self._facts(), field)
        if old_value == new_value:
            raise NothingToCorrectError("the field already holds that value", field="value")
        home = self._parents_home_with(field, new_value)
        if (field in _FACTS_OF_ELIGIBILITY or field.startswith("parents.")) and not home:
            self._check_still_consistent(field, new_value)
        self._corrected(
            jurisdiction=self.jurisdiction,
            field=field,
            old_value=old_value,
            new_value=new_value,
            reason=reason,
            actor=actor,
            next_visit_due=self._due_with(
                identified_on=new_value if field == "identified_on" else None,
                guardian=self._guardian_with(field, new_value),
                schedule=schedule,
            ),
            # A corrected school record moves the school status, unless a dropout seen on
            # a visit after the last school change still counts: the case decides, and
            # the read models read it from here.
            school_status_after=self._school_status_with(
                self.latest_visit,
                record=str(new_value) if field == "child.school.status" else None,
            ),
        )
        if home:  # the parents are back: the case is proposed for closure, for review
            self.propose_closure(reason="parents_returned", actor=actor, today=today)

    def _parents_home_with(self, field: str, value: Any) -> bool:
        # Whether a parent's return (a status corrected to at home) ends the definition of
        # a left-behind child: both home, or one home and able to care. Such a correction
        # is not refused as inconsistent: it stands, and the case is proposed for closure.
        if not (field.startswith("parents.") and field.endswith(".status") and value == "at_home"):
            return False
        parents = deepcopy(self.record["parents"])
        set_path({"parents": parents}, field, value)
        try:
            check_eligible(
                parse_date(self.child["birth_date"], "value"),
                parents,
                parse_date(self.record["identified_on"], "value"),
            )
        except NotEligibleError:
            return True
        return False

    @event("Corrected")
    def _corrected(
        self,
        jurisdiction: str,
        field: str,
        old_value: Any,
        new_value: Any,
        reason: str,
        actor: Json,
        next_visit_due: str | None = None,
        school_status_after: str | None = None,
    ) -> None:
        self._recorded(next_visit_due)
        if field.startswith("guardian."):
            set_path(self.guardian, field.removeprefix("guardian."), new_value)
        else:
            set_path(self.record, field, new_value)
        self.corrections.append(
            {"field": field, "old_value": old_value, "new_value": new_value, "reason": reason}
        )

    # ---- break-the-glass --------------------------------------------------------------

    def grant_emergency_access(
        self, *, reason: str, requester_scope: str, expires_at: datetime, actor: Json
    ) -> None:
        """Lets the acting user read this case, outside her scope, until `expires_at`:
        an emergency, with the reason she gives (on a closed case too: it is a read)."""
        reason = text(reason, "reason", max_length=500)
        self._emergency_access_granted(
            jurisdiction=self.jurisdiction,
            username=actor["username"],
            requester_scope=requester_scope,
            reason=reason,
            expires_at=expires_at.isoformat(),
            actor=actor,
        )

    @event("EmergencyAccessGranted")
    def _emergency_access_granted(
        self,
        jurisdiction: str,
        username: str,
        requester_scope: str,
        reason: str,
        expires_at: str,
        actor: Json,
    ) -> None:
        self.emergency_access = {**(self.emergency_access or {}), username: expires_at}

    def emergency_access_until(self, username: str) -> datetime | None:
        """Until when `username` may read this case in an emergency, if ever granted."""
        until = (self.emergency_access or {}).get(username)
        return None if until is None else datetime.fromisoformat(until)

    # ---- likely duplicates (issue 11) ---------------------------------------------------

    def suspect_duplicate(self, *, other_case_id: str, reasons: list[str], actor: Json) -> None:
        """Records that `other_case_id` is likely the same child (register/lookalikes.py
        says why): a flag for the township supervisor, which blocks nothing. Ids and
        reason codes only: the names compared stay in the case."""
        self._duplicate_suspected(
            jurisdiction=self.jurisdiction,
            other_case_id=other_case_id,
            reasons=list(reasons),
            actor=actor,
        )

    @event("DuplicateSuspected")
    def _duplicate_suspected(
        self, jurisdiction: str, other_case_id: str, reasons: list[str], actor: Json
    ) -> None:
        self.duplicates_flagged = [*self.duplicates_flagged, other_case_id]

    def dismiss_duplicate(self, *, other_case_id: str, actor: Json) -> None:
        """Decides that `other_case_id`, flagged as likely the same child, is another
        child: the flag is closed (the township supervisor's call)."""
        if other_case_id == str(self.id):
            raise InvalidValueError("A case is not a duplicate of itself.", field="other_case_id")
        if other_case_id not in self.duplicates_open:
            raise FlagNotOpenError(
                "This case holds no open likely-duplicate flag for that case.",
                field="other_case_id",
            )
        self._duplicate_dismissed(
            jurisdiction=self.jurisdiction, other_case_id=other_case_id, actor=actor
        )

    @event("DuplicateDismissed")
    def _duplicate_dismissed(self, jurisdiction: str, other_case_id: str, actor: Json) -> None:
        self.__dict__["_duplicates_resolved"] = [*self.duplicates_resolved, other_case_id]

    def merge_into(self, *, survivor: Case, actor: Json, today: date) -> None:
        """Closes this case as a duplicate of `survivor` (the same child), and records
        the merge on both: `Closed` (reason duplicate) and `MergedInto` here,
        `DuplicateMerged` there. Either case must hold an open flag for the other."""
        other, mine = str(survivor.id), str(self.id)
        if other == mine:
            raise InvalidValueError("A case cannot be merged into itself.", field="other_case_id")
        if other not in self.duplicates_open and mine not in survivor.duplicates_open:
            raise FlagNotOpenError(
                "Neither case holds an open likely-duplicate flag for the other.",
                field="other_case_id",
            )
        survivor._require_active()
        self.close_case(
            reason="duplicate", closed_on=today.isoformat(), note=None, actor=actor, today=today
        )
        self._merged_into(jurisdiction=self.jurisdiction, other_case_id=other, actor=actor)
        survivor._duplicate_merged(
            jurisdiction=survivor.jurisdiction, other_case_id=mine, actor=actor
        )

    @event("MergedInto")
    def _merged_into(self, jurisdiction: str, other_case_id: str, actor: Json) -> None:
        self.__dict__["_duplicates_resolved"] = [*self.duplicates_resolved, other_case_id]

    @event("DuplicateMerged")
    def _duplicate_merged(self, jurisdiction: str, other_case_id: str, actor: Json) -> None:
        self.__dict__["_duplicates_resolved"] = [*self.duplicates_resolved, other_case_id]

    @property
    def duplicates_resolved(self) -> list[str]:
        """The flagged cases decided on (dismissed)."""
        return list(self.__dict__.get("_duplicates_resolved", []))

    @property
    def duplicates_open(self) -> list[str]:
        """The flagged cases not decided on yet."""
        return [c for c in self.duplicates_flagged if c not in self.duplicates_resolved]

    @property
    def duplicates_flagged(self) -> list[str]:
        """The cases flagged as likely the same child, in order (none for most)."""
        return list(self.__dict__.get("_duplicates_flagged", []))

    @duplicates_flagged.setter
    def duplicates_flagged(self, value: list[str]) -> None:
        # Set on the first flag only: cases stored before flags existed load unchanged.
        self.__dict__["_duplicates_flagged"] = value

    # ---- erasure (issue 10) -------------------------------------------------------------

    def request_erasure(self, *, basis: str, reason: str, actor: Json) -> None:
        """Asks for the child's personal data to be erased: a closed case only, on one of
        the grounds the law gives; a second person decides (approve_erasure)."""
        one_of(basis, ERASURE_BASES, "basis")
        text(reason, "reason", max_length=500)
        self._require_not_erased()
        if self.status != "closed":
            raise CaseNotClosedError("only a closed case can be erased; close it first")
        if self.erasure_request is not None:
            raise ErasureNotRequestedError(
                "an erasure of this case is already waiting for a decision"
            )
        self._erasure_requested(
            jurisdiction=self.jurisdiction, basis=basis, reason=reason, actor=actor
        )

    @event("ErasureRequested")
    def _erasure_requested(self, jurisdiction: str, basis: str, reason: str, actor: Json) -> None:
        self.__dict__["_erasure_request"] = {"basis": basis, "requested_by": actor["username"]}

    def approve_erasure(self, *, actor: Json, today: date) -> None:
        """Erases the child's personal data, as asked: by someone else than who asked."""
        request = self._pending_erasure()
        if actor["username"] == request["requested_by"]:
            raise SecondPersonRequiredError(
                "the erasure must be approved by someone other than who asked for it"
            )
        self._erased(
            jurisdiction=self.jurisdiction,
            basis=request["basis"],
            requested_by=request["requested_by"],
            erased_on=today.isoformat(),
            actor=actor,
        )

    @event("Erased")
    def _erased(
        self, jurisdiction: str, basis: str, requested_by: str, erased_on: str, actor: Json
    ) -> None:
        # The state forgets what the destroyed key sealed, as the events now read: every
        # personal leaf None, the facts (dates, kinds, the village, counters) kept.
        self.__dict__["_erasure_request"] = None
        self.__dict__["_erasure"] = {
            "basis": basis,
            "erased_on": erased_on,
            "requested_by": requested_by,
            "approved_by": actor["username"],
        }
        blank = lambda _value, _where: None  # noqa: E731
        self.record = replace_leaves(self.record, RECORD, blank, "record")
        self.guardian = replace_leaves(self.guardian, GUARDIAN, blank, "guardian")
        self.recent_visits = [{**v, "notes": None} for v in self.recent_visits]
        self.interventions = {
            iid: {
                **i,
                "description": None,
                "outcome": None,
                "progress": [{**p, "note": None} for p in i.get("progress", [])],
            }
            for iid, i in self.interventions.items()
        }
        self.corrections = [
            {**c, "old_value": None, "new_value": None, "reason": None} for c in self.corrections
        ]
        if self.closure is not None:
            self.closure = {**self.closure, "note": None}
        if self.__dict__.get("_review"):
            self.__dict__["_review"] = {**self._review, "comment": None}

    def decline_erasure(self, *, reason: str, actor: Json) -> None:
        """Refuses (or, by who asked, withdraws) the erasure asked for, with the reason."""
        text(reason, "reason", max_length=500)
        self._pending_erasure()
        self._erasure_declined(jurisdiction=self.jurisdiction, reason=reason, actor=actor)

    @event("ErasureDeclined")
    def _erasure_declined(self, jurisdiction: str, reason: str, actor: Json) -> None:
        self.__dict__["_erasure_request"] = None

    @property
    def erasure_request(self) -> Json | None:
        """The erasure waiting for a second person's decision, if any."""
        request: Json | None = self.__dict__.get("_erasure_request")
        return request

    @property
    def erasure(self) -> Json | None:
        """When, on what ground and by whom the child's personal data was erased."""
        erasure: Json | None = self.__dict__.get("_erasure")
        return erasure

    @property
    def erased(self) -> bool:
        """True once the child's personal data is erased: nothing more is written."""
        return self.erasure is not None

    def _pending_erasure(self) -> Json:
        self._require_not_erased()
        request = self.erasure_request
        if request is None:
            raise ErasureNotRequestedError("no erasure of this case is waiting for a decision")
        return request

    def _require_not_erased(self) -> None:
        if self.erased:
            raise CaseErasedError(
                "the child's personal data was erased: the case is kept as a record only"
            )

    # ---- review before it counts (填表人 / 复核人, issue 11) -------------------------------
    #
    # A case identified by a village child director, and a director's change of a key
    # fact, wait for the township supervisor: confirmed, or returned with a comment for
    # the director to correct and resubmit. A case with no review event (identified by
    # someone else, or stored before reviews existed) is confirmed: no migration.

    # ---- closures the calendar proposes (issue 11: the child's calendar) -----------------

    def propose_closure(self, *, reason: str, actor: Json, today: date) -> bool:
        """Flags the case for closure, as a rule finds it due (the child turned 16, both
        parents are home), for the township supervisor's review: confirming it closes
        the case. Once per reason: a proposal returned is not made again by the rule.
        Answers whether anything was recorded."""
        one_of(reason, CLOSURE_PROPOSALS, "reason")
        self._require_active()
        if self.closure_proposal is not None or reason in self.closures_proposed:
            return False
        self._closure_proposed(
            jurisdiction=self.jurisdiction,
            reason=reason,
            proposed_on=today.isoformat(),
            actor=actor,
        )
        self.request_review(subject="closure", key_facts=[], actor=actor, today=today)
        return True

    @event("ClosureProposed")
    def _closure_proposed(
        self, jurisdiction: str, reason: str, proposed_on: str, actor: Json
    ) -> None:
        self.__dict__["_closure_proposal"] = {
            "reason": reason,
            "proposed_on": proposed_on,
            "proposed_by": actor["username"],
        }
        self.__dict__["_closures_proposed"] = [*self.closures_proposed, reason]

    @property
    def closure_proposal(self) -> Json | None:
        """The closure a rule proposed and the reviewer has not decided on yet."""
        proposal: Json | None = self.__dict__.get("_closure_proposal")
        return proposal

    @property
    def closures_proposed(self) -> list[str]:
        """Every reason a closure was ever proposed for."""
        return list(self.__dict__.get("_closures_proposed", []))

    def request_review(
        self, *, subject: str, key_facts: list[str], actor: Json, today: date
    ) -> None:
        """Asks for the supervisor's review of the identification or of a change of key
        facts (`key_facts`, the fields changed). A change while a review is open joins
        it: the reviewer reviews the case as it then stands, so nothing new is recorded."""
        one_of(subject, REVIEW_SUBJECTS, "subject")
        if self.review_status != "confirmed":
            return
        self._review_requested(
            jurisdiction=self.jurisdiction,
            submission=self.review_submission + 1,
            subject=subject,
            key_facts=list(key_facts),
            requested_on=today.isoformat(),
            actor=actor,
        )

    @event("ReviewRequested")
    def _review_requested(
        self,
        jurisdiction: str,
        submission: int,
        subject: str,
        key_facts: list[str],
        requested_on: str,
        actor: Json,
    ) -> None:
        self.__dict__["_review"] = {
            "status": "pending",
            "submission": submission,
            "subject": subject,
            "key_facts": list(key_facts),
            "since": requested_on,
            "submitted_by": actor["username"],
            "comment": None,
        }

    def confirm_review(self, *, actor: Json, today: date) -> None:
        """The reviewer confirms the submission awaiting review: the case counts (or the
        change stands)."""
        self._require_reviewable(actor)
        self._review_confirmed(
            jurisdiction=self.jurisdiction,
            submission=self.review_submission,
            subject=str(self.review_subject),
            reviewed_on=today.isoformat(),
            actor=actor,
        )
        proposal = self.closure_proposal
        if proposal is not None and self.status == "active":
            # A closure proposed by the rules (16th birthday, both parents home): the
            # reviewer's confirmation closes the case, on the day she confirms.
            self.close_case(
                reason=proposal["reason"],
                closed_on=today.isoformat(),
                note=None,
                actor=actor,
                today=today,
            )

    @event("ReviewConfirmed")
    def _review_confirmed(
        self, jurisdiction: str, submission: int, subject: str, reviewed_on: str, actor: Json
    ) -> None:
        self.__dict__["_review"] = {**self._review, "status": "confirmed", "comment": None}

    def return_review(self, *, comment: str, actor: Json, today: date) -> None:
        """The reviewer returns the submission to the director, saying what to correct."""
        comment = text(comment, "comment", max_length=2000)
        self._require_reviewable(actor)
        self._review_returned(
            jurisdiction=self.jurisdiction,
            submission=self.review_submission,
            subject=str(self.review_subject),
            comment=comment,
            reviewed_on=today.isoformat(),
            actor=actor,
        )

    @event("ReviewReturned")
    def _review_returned(
        self,
        jurisdiction: str,
        submission: int,
        subject: str,
        comment: str,
        reviewed_on: str,
        actor: Json,
    ) -> None:
        if subject == "closure":
            # Not closing, and nothing to correct: the reviewer said why; the case goes on.
            self.__dict__["_closure_proposal"] = None
            self.__dict__["_review"] = {**self._review, "status": "confirmed", "comment": comment}
            return
        self.__dict__["_review"] = {**self._review, "status": "returned", "comment": comment}

    def resubmit(self, *, actor: Json, today: date) -> None:
        """The director, having corrected what the comment asked, submits the case again:
        a new submission awaiting review."""
        self._require_not_erased()
        if self.review_status != "returned":
            raise NotReturnedError("the case was not returned for correction", field="review")
        self._review_resubmitted(
            jurisdiction=self.jurisdiction,
            submission=self.review_submission + 1,
            subject=str(self.review_subject),
            resubmitted_on=today.isoformat(),
            actor=actor,
        )

    @event("ReviewResubmitted")
    def _review_resubmitted(
        self, jurisdiction: str, submission: int, subject: str, resubmitted_on: str, actor: Json
    ) -> None:
        self.__dict__["_review"] = {
            **self._review,
            "status": "pending",
            "submission": submission,
            "since": resubmitted_on,
            "submitted_by": actor["username"],
            "comment": None,  # answered: the history keeps it
        }

    @property
    def _review(self) -> Json:
        review: Json = self.__dict__.get("_review") or {}
        return review

    @property
    def review(self) -> Json | None:
        """The latest review: status (pending, returned, confirmed), submission number,
        subject (identification or change), the key facts of a change, since when it waits,
        who submitted it, and the reviewer's comment when returned. None: never reviewed
        (the case counts)."""
        return deepcopy(self._review) or None

    @property
    def review_status(self) -> str:
        """confirmed (also when never reviewed), pending or returned."""
        return str(self._review.get("status", "confirmed"))

    @property
    def review_subject(self) -> str | None:
        """What the latest review is of: the identification or a change of key facts."""
        subject = self._review.get("subject")
        return None if subject is None else str(subject)

    @property
    def review_submission(self) -> int:
        """How many submissions for review the case has had (0: none)."""
        return int(self._review.get("submission", 0))

    @property
    def counted(self) -> bool:
        """True unless the identification still waits for its first confirmation."""
        return not (self.review_subject == "identification" and self.review_status != "confirmed")

    def _require_reviewable(self, actor: Json) -> None:
        self._require_not_erased()
        if self.review_status != "pending":
            raise ReviewNotPendingError(
                "no submission of this case awaits review (reviewed already, or never asked)",
                field="review",
            )
        if self._review.get("submitted_by") == actor["username"]:
            raise SelfReviewError(
                "a submission is reviewed by someone other than who submitted it",
                field="review",
            )

    # ---- derived state ----------------------------------------------------------------

    @property
    def child(self) -> Json:
        """The child's identification facts (name, sex, birth date, school…)."""
        child: Json = self.record["child"]
        return child

    @property
    def guardian_type(self) -> str:
        """Who looks after the child now: parent, grandparent, …, or none."""
        kind: str = self.guardian["type"]
        return kind

    @property
    def risk_level(self) -> str | None:
        """The risk level of the latest visit; None until the first visit."""
        latest = self.latest_visit
        return None if latest is None else str(latest["risk_level"])

    @property
    def latest_visit(self) -> Json | None:
        """The visit with the latest date (visits may be recorded out of order)."""
        return self.recent_visits[-1] if self.recent_visits else None

    @property
    def last_visit_on(self) -> str | None:
        """The date of the latest visit."""
        latest = self.latest_visit
        return None if latest is None else str(latest["visited_on"])

    @property
    def next_visit_due(self) -> str:
        """When the next visit is due, as the latest event that moved it recorded it (the
        city's schedule then); for cases stored before events recorded it, by the rule."""
        recorded: str | None = self.__dict__.get("_recorded_due")
        return recorded or self._due_with()

    def _due_with(
        self,
        *,
        identified_on: str | None = None,
        guardian: Json | None = None,
        schedule: VisitSchedule = DEFAULT_SCHEDULE,
    ) -> str:
        # The due date as it would be with these facts changed (for the event to record).
        return next_visit_due(
            identified_on=identified_on or self.record["identified_on"],
            guardian=self.guardian if guardian is None else guardian,
            latest_visit=self.latest_visit,
            jurisdiction=self.jurisdiction,
            schedule=schedule,
        )

    def _guardian_with(self, field: str, value: Any) -> Json | None:
        # The guardian as a correction of one of its fields leaves it (None: untouched).
        if not field.startswith("guardian."):
            return None
        guardian = deepcopy(self.guardian)
        set_path(guardian, field.removeprefix("guardian."), value)
        return guardian

    def _recorded(self, due: str | None) -> None:
        # What an event that moves the due date recorded (None in events stored before).
        if due is not None:
            self.__dict__["_recorded_due"] = due

    @property
    def open_interventions(self) -> list[Json]:
        """Interventions not yet closed, each with its id."""
        return [
            {"intervention_id": iid, **i}
            for iid, i in self.interventions.items()
            if i["status"] == "open"
        ]

    @property
    def has_mandatory_report(self) -> bool:
        """True once a mandatory report (强制报告) was opened: the police may then see it."""
        return any(i["kind"] == "mandatory_report" for i in self.interventions.values())

    @property
    def holds_police_work(self) -> bool:
        """True once a mandatory report or a household registration was opened on the
        case: the police may then see it (access.may_see)."""
        return any(i["kind"] in POLICE_CASE_KINDS for i in self.interventions.values())

    @property
    def entrustment_signed(self) -> bool:
        """True when the current guardian signed the entrusted-guardianship confirmation."""
        return self.entrustment_signed_on is not None

    @property
    def school_status(self) -> str:
        """enrolled / dropped_out / not_in_school, the latest visit overriding the record."""
        return self._school_status_with(self.latest_visit)

    def _school_status_with(
        self, latest: Json | None, *, changed_on: str | None = None, record: str | None = None
    ) -> str:
        # A dropout seen on the latest visit counts unless a school change came after it.
        changed_on = changed_on or self.school_changed_on
        if (
            latest is not None
            and latest.get("school_attendance") == "dropped_out"
            and (changed_on is None or str(latest["visited_on"]) >= changed_on)
        ):
            return "dropped_out"
        if record is not None:
            return record
        school = self.child.get("school") or {}
        return str(school.get("status", "not_in_school"))

    @property
    def sixteenth_birthday(self) -> str | None:
        """The day the child leaves the definition, by age (None once erased)."""
        if self.child.get("birth_date") is None:
            return None
        born = parse_date(self.child["birth_date"], "child.birth_date")
        return add_years(born, AGE_LIMIT_YEARS).isoformat()

    # ---- guards -------------------------------------------------------------------------

    def _facts(self) -> Json:
        # Corrections address the identify body; the guardian there is the current one.
        return {**self.record, "guardian": self.guardian}

    def _saw(self, day: str) -> None:
        if self.first_activity_on is None or day < self.first_activity_on:
            self.first_activity_on = day

    def _check_still_consistent(self, field: str, new_value: Any) -> None:
        """A corrected fact must still make sense with the rest of the case: what would
        be refused at identification is refused as a correction too."""
        record = deepcopy(self.record)
        set_path(record, field, new_value)
        identified_on = parse_date(record["identified_on"], "value")
        if self.first_activity_on is not None and identified_on > parse_date(
            self.first_activity_on, "value"
        ):
            raise DateBeforeIdentificationError(
                f"the case records work on {self.first_activity_on}, before that date",
                field="value",
            )
        try:
            check_eligible(
                parse_date(record["child"]["birth_date"], "value"), record["parents"], identified_on
            )
        except NotEligibleError as refusal:
            raise NotEligibleError(
                f"{refusal}; if that is the truth, close the case as no_longer_eligible",
                field="value",
            ) from None

    def _require_active(self) -> None:
        self._require_not_erased()
        if self.status == "closed":
            raise CaseClosedError("the case is closed; reopen it first")

    def _require_not_before_identification(self, day: date, field: str) -> None:
        if day < parse_date(self.record["identified_on"], "identified_on"):
            raise DateBeforeIdentificationError(
                "the date is before the child was identified", field=field
            )

    def _require_open_intervention(self, intervention_id: str) -> None:
        self._require_active()
        intervention = self.interventions.get(intervention_id)
        if intervention is None:
            raise UnknownInterventionError(
                "the case has no such intervention", field="intervention_id"
            )
        if intervention["status"] != "open":
            raise InterventionNotOpenError("the intervention is already closed")

    def _require_not_before_opening(self, intervention_id: str, day: date, field: str) -> None:
        opened = parse_date(self.interventions[intervention_id]["opened_on"], "opened_on")
        if day < opened:
            raise DateBeforeOpeningError("the date is before the intervention opened", field=field)
