"""The case service's use cases: one method each, get → act → save.

Every write is one atomic append. A write that names the version the client last saw
(`expected_version`) fails with StaleVersionError when the case has moved on; a write
that names none is retried on the new state when a concurrent append won the race, so
it is never lost and never overwrites.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate, AggregateEvent, DomainEventProtocol
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import Environment, EnvType

from shared import field_views
from shared.clock import Clock
from shared.jurisdictions import in_scope
from shared.roles import Capability, Role
from shared.settings import Settings
from shared.sql import EventStoreConnections, store_setup_lock
from shared.vocabulary import KEY_FACTS

from .access import (
    Actor,
    CaseNotFoundError,
    ForbiddenError,
    in_emergency,
    may_see,
    require,
    require_department,
    require_in_scope,
    require_read,
)
from .audit.links import SALTS
from .audit.recorders import MAPPER_TOPIC, RECORDER_TOPICS
from .domain import Case, InvalidValueError
from .domain.checks import text
from .domain.site import Site
from .domain.user import User, user_id
from .domain.values import Guardian, Identification, Intervention, Visit
from .domain.visit_due import DEFAULT_SCHEDULE
from .idempotency import IdempotencyKey, IdempotencyRecord, new_record
from .keys.sealing import SealedSnapshotError, SealingMapper
from .keys.store import CaseKeys

# The named system actor of the calendar's scheduled job (no username holds a colon).
CALENDAR_ACTOR = {"username": "system:calendar", "role": "system", "request_id": ""}
# Whose idempotency records the claims on ID numbers are (no username holds a colon).
_CLAIMS_OWNER = "id-number:claim"
# Snapshot every N events: opening a case then replays at most N-1 events after one.
SNAPSHOT_INTERVAL = 20
_RETRIES = 20


class StaleVersionError(Exception):
    """Raised when a write names a version the case has moved on from."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the case is at version {current_version}")
        self.current_version = current_version


class IdempotencyKeyReusedError(Exception):
    """Raised when an Idempotency-Key comes back with a different request."""


class WriteConflictError(Exception):
    """Raised when a write lost the race to concurrent writers too many times in a row."""


class AlreadyRegisteredError(Exception):
    """Raised when identifying a child whose ID number a case already holds (anywhere).
    `in_view` says whether the caller may see that case; if not, she is told only which
    township holds it (`township`), never the case."""

    def __init__(self, case_id: UUID, jurisdiction: str, in_view: bool) -> None:
        super().__init__("a child with this ID number is already registered")
        self.case_id = case_id
        self.township = jurisdiction[:9]
        self.in_view = in_view


class InvalidAssigneeError(Exception):
    """Raised when a case is assigned to someone who is not a child director of its village."""


@dataclass(frozen=True)
class WriteResult:
    """What a write answers: the case as it now stands, and where the log got to."""

    case: Case
    status: int
    intervention_id: str | None = None
    replayed: bool = False
    # The notification id of the last event written (for a replay: the log's head then),
    # so a client can ask the read models to have caught up with it (`min_position`).
    position: int | None = None


@dataclass(frozen=True)
class CaseHistory:
    """A case's events, in order, and the case as they leave it."""

    case: Case
    events: list[DomainEventProtocol[UUID]]


Act = Callable[[Case, date], str | None]


class Cases(Application[UUID]):
    """The event-sourced application holding cases (and the users who work on them)."""

    name = "Cases"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Case: SNAPSHOT_INTERVAL}
    # Cases being worked on stay decoded; a hit still fast-forwards from the store.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}

    def __init__(self, env: EnvType | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(env)
        self.clock = clock or Clock()
        # Settings.emergency_access_hours (set by bootstrap).
        self.emergency_access_hours = 4
        # The key under which ID numbers are hashed into their claims (set by bootstrap,
        # derived from the cipher key): a claim's id is stored in clear, and ID numbers
        # are few enough to guess, so the hash must be keyed.
        self.claims_key = b""
        self.case_keys: CaseKeys | None = None  # per-case keys (use_case_keys)
        # The city's visit intervals (Settings.visit_intervals, set by bootstrap).
        self.visit_schedule = DEFAULT_SCHEDULE

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock | None = None) -> Cases:
        """The store `settings` name, set up (tables, functions) by one process at a time,
        with its case keys."""
        with store_setup_lock(settings.database_url):
            cases = cls(settings.eventsourcing_env(), clock=clock)
            cases.use_case_keys(CaseKeys.open(settings, getattr(cases.recorder, "datastore", None)))
        return cases

    def close(self) -> None:
        """Releases the store's connections and the case-key store's."""
        if self.case_keys is not None:
            self.case_keys.close()
        super().close()

    def use_case_keys(self, keys: CaseKeys | None) -> None:
        """Seals each case's personal data under its own key from now on (keys/), and
        opens what was sealed so; None: the store's cipher alone."""
        self.case_keys = keys
        if isinstance(self.mapper, SealingMapper):
            self.mapper.case_keys = keys

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Configuration comes from Settings only: stray POSTGRES_* or CIPHER_* variables
        # in the process environment must not silently change where cases are stored.
        merged = dict(type(self).env) | {"IS_SNAPSHOTTING_ENABLED": "y"} | dict(env or {})
        # An SQL store chains every event as it is written (issue 9, docs/auditors.md).
        chained = RECORDER_TOPICS.get(merged.get("PERSISTENCE_MODULE", ""))
        if chained:
            merged |= {"APPLICATION_RECORDER_TOPIC": chained, "MAPPER_TOPIC": MAPPER_TOPIC}
        return Environment(name, merged)

    # ---- reads --------------------------------------------------------------------------

    def get_case(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Case:
        """The case now, at a version, or as it stood at an instant."""
        require(actor, Capability.READ_CASE)  # before loading: a refusal tells nothing
        case = self._load(case_id)
        require_read(actor, case, self.clock.now())
        if as_of is not None:
            version = self._version_at(case_id, as_of)
        if version is not None and version != case.version:
            if version > case.version:
                raise CaseNotFoundError(f"the case has no version {version} yet")
            case = self.repository.get(case_id, version=version)
        return case

    def history(self, actor: Actor, case_id: UUID) -> CaseHistory:
        """Every event of the case, in order, and the case they add up to."""
        require(actor, Capability.READ_CASE)
        case = self._load(case_id)  # once: for the access check, the ETag and the log
        require_read(actor, case, self.clock.now())
        # Up to the version loaded, so the events and the ETag describe the same case
        # even when a write lands meanwhile.
        return CaseHistory(case, list(self.events.get(case_id, lte=case.version)))

    def reads_in_emergency(self, actor: Actor, case_id: UUID) -> bool:
        """True when the caller reads the case only by a running break-the-glass grant
        (judged on the case as it stands now, whichever version she reads)."""
        case = self.find_case(case_id)
        return case is not None and in_emergency(actor, case, self.clock.now())

    def find_case(self, case_id: UUID) -> Case | None:
        """The case, without any access check: for listing, which checks each one."""
        try:
            return self._load(case_id)
        except CaseNotFoundError:
            return None

    def reveal_field(self, actor: Actor, case_id: UUID, field: str, reason: str) -> Case:
        """The case, for an auditor to read one field she otherwise sees masked (an ID
        number, a phone) in clear, with the reason she gives; the caller logs the read."""
        require(actor, Capability.READ_AUDIT)
        text(reason, "reason", max_length=500)
        if field_views.visibility(actor.role, field) is not field_views.Visibility.MASKED:
            raise InvalidValueError(
                "only a field shown masked can be asked for in clear "
                f"({', '.join(sorted(field_views.MASKED_FOR_AUDITORS))})",
                field="field",
            )
        case = self._load(case_id)
        require_read(actor, case, self.clock.now())
        return case

    def request_emergency_access(self, actor: Actor, case_id: UUID, reason: str) -> WriteResult:
        """Break-the-glass: lets the caller read one case outside her view for
        `emergency_access_hours`, for the reason she gives. Recorded on the case (so its
        history shows who opened it and why), published for notify to tell her
        supervisor and the auditors."""
        require(actor, Capability.READ_CASE)  # admins read no case data, even so
        text(reason, "reason", max_length=500)
        for _attempt in range(_RETRIES):
            case = self._load(case_id)
            if may_see(actor, case):
                raise InvalidValueError(
                    "the case is in your view already: no emergency access is needed",
                    field="case_id",
                )
            expires_at = self.clock.now() + timedelta(hours=self.emergency_access_hours)
            case.grant_emergency_access(
                reason=reason,
                requester_scope=actor.scope,
                expires_at=expires_at,
                actor=actor.as_event_data(),
            )
            try:
                return self._save(case, WriteResult(case, 201), None)
            except IntegrityError:
                continue  # a write landed first: grant on the new state
        raise WriteConflictError("the case changed too often while writing; try again")

    # ---- writes -------------------------------------------------------------------------

    def identify(
        self, actor: Actor, record: dict[str, Any], idempotency: IdempotencyKey | None = None
    ) -> WriteResult:
        """Opens a case for a child found to be left behind; refused when a case holds the
        child's ID number already (AlreadyRegisteredError)."""
        self._check_identifier(actor, record)
        if idempotency and (replay := self._replay(idempotency)):
            return replay
        id_number = record["child"].get("id_number")
        self._refuse_registered(actor, id_number)
        case = self._identified(actor, record)
        result = WriteResult(case, 201)
        claims = [] if id_number is None else [self._claim_record(id_number, case)]
        try:
            return self._save(case, result, idempotency, claims)
        except IntegrityError:
            # The idempotency record (a concurrent retry got there first) or the claim on
            # the ID number (another identification of the same child did) collided.
            if idempotency and (replay := self._replay(idempotency)):
                return replay
            self._refuse_registered(actor, id_number)
            raise

    def flag_duplicates(
        self, actor: Actor, case_id: UUID, others: Mapping[str, Sequence[str]]
    ) -> WriteResult | None:
        """Records on case `case_id` one `DuplicateSuspected` per case in `others` (the
        look-alikes register/lookalikes.py found, each with its reasons), unless flagged
        already: after an identification, by the identifier, without blocking it."""
        mine = str(case_id)
        others = {o: reasons for o, reasons in others.items() if o != mine}
        if not others:
            return None

        def act(case: Case, _today: date) -> None:
            for other, reasons in others.items():
                if other in case.duplicates_flagged:
                    continue  # flagged already (a retried import): one flag per pair
                case.suspect_duplicate(
                    other_case_id=other, reasons=list(reasons), actor=actor.as_event_data()
                )

        return self._change(actor, Capability.IDENTIFY, case_id, act, None, None)

    def dismiss_duplicate(
        self,
        actor: Actor,
        case_id: UUID,
        other_case_id: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Closes the likely-duplicate flag case `case_id` holds for `other_case_id`: two
        children after all. Both cases must be in the caller's scope."""

        def act(case: Case, _today: date) -> None:
            if other_case_id in case.duplicates_open:
                # The other case too must be in view: else 404, as for an unseen case.
                require(actor, Capability.RESOLVE_DUPLICATES, self._load(UUID(other_case_id)))
            case.dismiss_duplicate(other_case_id=other_case_id, actor=actor.as_event_data())

        return self._change(
            actor, Capability.RESOLVE_DUPLICATES, case_id, act, expected_version, idempotency
        )

    def merge_duplicate(
        self,
        actor: Actor,
        case_id: UUID,
        survivor_id: UUID,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Closes case `case_id` as a duplicate of `survivor_id`, linked both ways (both
        cases in the caller's view), in one atomic append of both cases' events."""
        survivors: list[Case] = []

        def act(case: Case, today: date) -> None:
            survivors.clear()
            if survivor_id == case.id:
                raise InvalidValueError(
                    "A case cannot be merged into itself.", field="other_case_id"
                )
            survivor = self._load(survivor_id)
            require(actor, Capability.RESOLVE_DUPLICATES, survivor)
            case.merge_into(survivor=survivor, actor=actor.as_event_data(), today=today)
            survivors.append(survivor)

        return self._change(
            actor,
            Capability.RESOLVE_DUPLICATES,
            case_id,
            act,
            expected_version,
            idempotency,
            claims=lambda _case: list(survivors),
        )

    # ---- erasure (issue 10: crypto-shredding) --------------------------------------------

    def request_erasure(
        self,
        actor: Actor,
        case_id: UUID,
        basis: str,
        reason: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Asks for a closed case's personal data to be erased, on a ground and with a
        reason: civil affairs at county level or above; another such person decides."""
        self._require_erasure_level(actor)

        def act(case: Case, _today: date) -> None:
            case.request_erasure(basis=basis, reason=reason, actor=actor.as_event_data())

        return self._change(
            actor, Capability.ERASE_CASE, case_id, act, expected_version, idempotency, 201
        )

    def approve_erasure(
        self,
        actor: Actor,
        case_id: UUID,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Erases the case's personal data: records `Erased`, then destroys the case's
        key (every copy of its events, backups included, becomes unreadable where
        personal), its audit salt and its snapshots. The facts stay."""
        self._require_erasure_level(actor)

        def act(case: Case, today: date) -> None:
            case.approve_erasure(actor=actor.as_event_data(), today=today)

        result = self._change(
            actor, Capability.ERASE_CASE, case_id, act, expected_version, idempotency
        )
        self.shred(case_id)
        return result

    def decline_erasure(
        self,
        actor: Actor,
        case_id: UUID,
        reason: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Declines the erasure asked for (or, by who asked, withdraws it), with a reason."""
        self._require_erasure_level(actor)

        def act(case: Case, _today: date) -> None:
            case.decline_erasure(reason=reason, actor=actor.as_event_data())

        return self._change(
            actor, Capability.ERASE_CASE, case_id, act, expected_version, idempotency
        )

    def shred(self, case_id: UUID) -> None:
        """Destroys what opens an erased case's personal data: its key, its audit salt,
        and its snapshots (sealed under that key). Idempotent: run again after a crash
        between the `Erased` event and here (`_load` does, on the next read)."""
        if self.case_keys is not None:
            self.case_keys.destroy(case_id)
        datastore: Any = getattr(self.recorder, "datastore", None)
        if datastore is None:  # an in-memory store (tests): nothing kept apart
            return
        tables = EventStoreConnections(datastore)
        snapshots = getattr(self.snapshots, "recorder", None)
        with tables.transaction() as tx:
            tx.execute(
                f"DELETE FROM {tables.table(SALTS)} WHERE originator_id = ?",
                (str(case_id),),
            )
            if snapshots is not None:
                tx.execute(
                    f"DELETE FROM {tables.table(snapshots.events_table_name)} "
                    "WHERE originator_id = ?",
                    # as eventsourcing stores the id: a uuid, or its hex on SQLite
                    (str(case_id) if tables.postgres else case_id.hex,),
                )

    @staticmethod
    def _require_erasure_level(actor: Actor) -> None:
        require(actor, Capability.ERASE_CASE)
        if len(actor.scope) > 6:
            raise ForbiddenError("erasure is decided at county level or above")

    def try_identify(self, actor: Actor, record: dict[str, Any]) -> Case:
        """The case `identify` would open, checked by the same rules, and not saved: a
        dry run (the survey import's) answers what would be created or refused and why."""
        self._check_identifier(actor, record)
        self._refuse_registered(actor, record["child"].get("id_number"))
        return self._identified(actor, record)

    def _identified(self, actor: Actor, record: dict[str, Any]) -> Case:
        # A village child director's identification counts once the township supervisor
        # confirms it (复核): it is saved asking for review, in the same atomic append.
        today = self.clock.today()
        case = Case.identify(
            record=record, actor=actor.as_event_data(), today=today, schedule=self.visit_schedule
        )
        if actor.role is Role.CHILD_DIRECTOR:
            case.request_review(
                subject="identification", key_facts=[], actor=actor.as_event_data(), today=today
            )
        return case

    def written_with(self, idempotency: IdempotencyKey) -> UUID | None:
        """The case the write made with `idempotency` wrote, or None when none was made
        with it (an import asks before it writes a row again; cheaper than a replay,
        which loads the case). Raises IdempotencyKeyReusedError as a replay would."""
        record = self._idempotency_record(idempotency)
        return None if record is None else UUID(record.case_id)

    def registered_case(self, id_number: str) -> UUID | None:
        """The case that holds `id_number`, or None (no access check: for the checks
        that refuse a second registration). A claim of an erased case holds nothing: the
        child may be registered again (under the claim's next generation)."""
        holder, _generation = self._claim_holder(id_number)
        return holder

    def _claim_holder(self, id_number: str) -> tuple[UUID | None, int]:
        # The claims of one ID number form a chain: generation 0, then one more after
        # each erasure of the case that held it. Returns the live holder (or None) and the
        # generation a new claim would take.
        generation = 0
        while (holder := self.written_with(self._claim_key(id_number, generation))) is not None:
            case = self.find_case(holder)
            if case is None or not case.erased:
                return holder, generation
            generation += 1
        return None, generation

    def claim_registered(self, case_id: UUID) -> str:
        """Claims the ID number a case stored before claims existed holds: `claimed`,
        `already` (it holds the claim), `none` (no ID number), or `conflict` (another
        case holds it: two cases of one child, for a person to look at)."""
        case = self._load(case_id)
        number = case.record["child"].get("id_number")
        if not number:
            return "none"
        holder = self.registered_case(number)
        if holder is not None:
            return "already" if holder == case.id else "conflict"
        try:
            self.save(self._claim_record(number, case))
        except IntegrityError:
            return "already" if self.registered_case(number) == case.id else "conflict"
        return "claimed"

    def _refuse_registered(self, actor: Actor, id_number: str | None) -> None:
        """Raises AlreadyRegisteredError when a case holds `id_number` already."""
        if id_number is None or (case_id := self.registered_case(id_number)) is None:
            return
        case = self._load(case_id)
        raise AlreadyRegisteredError(case.id, case.jurisdiction, may_see(actor, case))

    def _claim_key(self, id_number: str, generation: int = 0) -> IdempotencyKey:
        # One child, one case: an ID number is claimed by writing an idempotency record
        # whose key is the number's keyed hash, in the same atomic append as the case.
        # A second claim collides on the record's version, as a retried write would.
        number = id_number.strip().upper() + (f"#{generation}" if generation else "")
        digest = hmac.new(self.claims_key, number.encode(), hashlib.sha256)
        return IdempotencyKey(_CLAIMS_OWNER, digest.hexdigest(), "id_number")

    def _claim_record(self, id_number: str, case: Case) -> IdempotencyRecord:
        _holder, generation = self._claim_holder(id_number)
        return new_record(
            self._claim_key(id_number, generation),
            case_id=case.id,
            case_version=case.version,
            status=201,
            intervention_id=None,
        )

    @staticmethod
    def _check_identifier(actor: Actor, record: dict[str, Any]) -> None:
        # The values first (the Case checks them again): a bad value is refused as such,
        # whoever asks and whatever the case, as when the HTTP schemas checked them.
        Identification.parse(record)
        require(actor, Capability.IDENTIFY)
        require_in_scope(actor, record["address"]["jurisdiction"], "address.jurisdiction")

    def record_visit(
        self,
        actor: Actor,
        case_id: UUID,
        visit: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Records a visit."""
        site_id = Visit.parse(visit).site_id

        def act(case: Case, today: date) -> None:
            if site_id is not None:
                self.site_for_case(actor, case, site_id, must_be_open=False)
            case.record_visit(
                visit=visit, actor=actor.as_event_data(), today=today, schedule=self.visit_schedule
            )

        return self._change(actor, Capability.VISIT, case_id, act, expected_version, idempotency)

    def change_guardian(
        self,
        actor: Actor,
        case_id: UUID,
        change: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Records a new guardian."""
        Guardian.parse(change["guardian"])

        def act(case: Case, today: date) -> None:
            type_before = case.guardian_type
            case.change_guardian(
                guardian=change["guardian"],
                reason=change["reason"],
                effective_on=change["effective_on"],
                entrustment_signed_on=change.get("entrustment_signed_on"),
                actor=actor.as_event_data(),
                today=today,
                schedule=self.visit_schedule,
            )
            if case.guardian_type != type_before:
                self._review_change(actor, case, ["guardian.type"], today)

        return self._change(
            actor, Capability.CHANGE_GUARDIAN, case_id, act, expected_version, idempotency
        )

    def open_intervention(
        self,
        actor: Actor,
        case_id: UUID,
        intervention: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Opens an intervention; the answer carries its new id."""
        Intervention.parse(intervention)
        require_department(actor, intervention["department"])

        def act(case: Case, today: date) -> str:
            intervention_id = uuid4().hex
            case.open_intervention(
                intervention_id=intervention_id,
                intervention=intervention,
                actor=actor.as_event_data(),
                today=today,
            )
            return intervention_id

        return self._change(
            actor,
            Capability.OPEN_INTERVENTION,
            case_id,
            act,
            expected_version,
            idempotency,
            status=201,
        )

    def progress_intervention(
        self,
        actor: Actor,
        case_id: UUID,
        intervention_id: str,
        progress: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Adds a progress note to an open intervention."""

        def act(case: Case, today: date) -> str:
            self._require_department_of(actor, case, intervention_id)
            case.progress_intervention(
                intervention_id=intervention_id,
                note=progress["note"],
                progressed_on=progress["progressed_on"],
                actor=actor.as_event_data(),
                today=today,
            )
            return intervention_id

        return self._change(
            actor, Capability.WORK_INTERVENTION, case_id, act, expected_version, idempotency
        )

    def close_intervention(
        self,
        actor: Actor,
        case_id: UUID,
        intervention_id: str,
        closure: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Closes an open intervention with its outcome."""

        def act(case: Case, today: date) -> str:
            self._require_department_of(actor, case, intervention_id)
            case.close_intervention(
                intervention_id=intervention_id,
                outcome=closure["outcome"],
                closed_on=closure["closed_on"],
                actor=actor.as_event_data(),
                today=today,
            )
            return intervention_id

        return self._change(
            actor, Capability.WORK_INTERVENTION, case_id, act, expected_version, idempotency
        )

    def change_school(
        self,
        actor: Actor,
        case_id: UUID,
        change: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Records a school change (控辍保学)."""

        def act(case: Case, today: date) -> None:
            case.change_school(
                change=change["change"],
                changed_on=change["changed_on"],
                school_name=change.get("school_name"),
                grade=change.get("grade"),
                note=change.get("note"),
                actor=actor.as_event_data(),
                today=today,
            )

        # Those who record visits record school changes: child directors, supervisors,
        # civil affairs and the education bureau (not the police).
        return self._change(actor, Capability.VISIT, case_id, act, expected_version, idempotency)

    def attend_site(
        self,
        actor: Actor,
        case_id: UUID,
        attendance: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Records that the child attends a care site (open, in the case's county or the
        caller's scope)."""

        def act(case: Case, today: date) -> None:
            site = self.site_for_case(actor, case, attendance.get("site_id"), must_be_open=True)
            case.attend_site(
                site_id=str(site.id),
                site_jurisdiction=site.jurisdiction,
                attended_on=attendance.get("attended_on"),  # type: ignore[arg-type]
                actor=actor.as_event_data(),
                today=today,
            )

        return self._change(actor, Capability.VISIT, case_id, act, expected_version, idempotency)

    def leave_site(
        self,
        actor: Actor,
        case_id: UUID,
        leaving: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Records that the child no longer attends her care site."""

        def act(case: Case, today: date) -> None:
            case.leave_site(
                left_on=leaving.get("left_on"),  # type: ignore[arg-type]
                actor=actor.as_event_data(),
                today=today,
            )

        return self._change(actor, Capability.VISIT, case_id, act, expected_version, idempotency)

    def site_for_case(
        self, actor: Actor, case: Case, site_id: object, *, must_be_open: bool
    ) -> Site:
        """The site a child attends or a visit took place at: it must exist, lie in the
        case's county or the caller's scope, and (to attend it) be open."""
        site: object = None
        if isinstance(site_id, str):
            try:
                site = self.repository.get(UUID(site_id))
            except (AggregateNotFoundError, ValueError):
                site = None
        if not isinstance(site, Site):
            raise InvalidValueError("no site with that id", field="site_id")
        near = site.jurisdiction[:6] == case.jurisdiction[:6]
        if not near and not in_scope(site.jurisdiction, actor.scope):
            raise InvalidValueError(
                "the site is neither in the case's county nor in your scope", field="site_id"
            )
        if must_be_open:
            site.require_open()
        return site

    def assign(
        self,
        actor: Actor,
        case_id: UUID,
        assignee: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Assigns the case to a child director of its village."""

        def act(case: Case, today: date) -> None:
            self._check_assignee(assignee, case)
            case.assign(assignee=assignee, actor=actor.as_event_data())

        return self._change(actor, Capability.ASSIGN, case_id, act, expected_version, idempotency)

    def transfer(
        self,
        actor: Actor,
        case_id: UUID,
        transfer: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Moves the case to another village inside the caller's scope."""
        require_in_scope(actor, transfer["jurisdiction"])

        def act(case: Case, today: date) -> None:
            case.transfer(
                jurisdiction=transfer["jurisdiction"],
                address_detail=transfer.get("address_detail"),
                reason=transfer["reason"],
                transferred_on=transfer["transferred_on"],
                actor=actor.as_event_data(),
                today=today,
            )

        return self._change(actor, Capability.TRANSFER, case_id, act, expected_version, idempotency)

    def close_case(
        self,
        actor: Actor,
        case_id: UUID,
        closure: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Closes the case with a reason."""

        def act(case: Case, today: date) -> None:
            case.close_case(
                reason=closure["reason"],
                closed_on=closure["closed_on"],
                note=closure.get("note"),
                actor=actor.as_event_data(),
                today=today,
            )

        return self._change(
            actor, Capability.CLOSE_CASE, case_id, act, expected_version, idempotency
        )

    def reopen(
        self,
        actor: Actor,
        case_id: UUID,
        reopening: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Reopens a closed case."""

        def act(case: Case, today: date) -> None:
            case.reopen(
                reason=reopening["reason"],
                reopened_on=reopening["reopened_on"],
                actor=actor.as_event_data(),
                today=today,
            )

        return self._change(
            actor, Capability.REOPEN_CASE, case_id, act, expected_version, idempotency
        )

    def correct(
        self,
        actor: Actor,
        case_id: UUID,
        correction: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Corrects an earlier fact with a new event naming old and new value."""

        # A corrected ID number is claimed like an identified one: one child, one case.
        number = correction["value"] if correction.get("field") == "child.id_number" else None

        def act(case: Case, today: date) -> None:
            if isinstance(number, str) and self.registered_case(number) not in (None, case.id):
                self._refuse_registered(actor, number)
            case.correct(
                field=correction["field"],
                value=correction["value"],
                reason=correction["reason"],
                actor=actor.as_event_data(),
                today=today,
                schedule=self.visit_schedule,
            )
            if correction["field"] in KEY_FACTS:
                self._review_change(actor, case, [correction["field"]], today)

        def claims(case: Case) -> list[IdempotencyRecord]:
            if not isinstance(number, str) or self.registered_case(number) == case.id:
                return []
            return [self._claim_record(number, case)]

        return self._change(
            actor, Capability.CORRECT, case_id, act, expected_version, idempotency, claims=claims
        )

    # ---- the child's calendar (issue 11) ----------------------------------------------

    def propose_closures_at_16(self, case_ids: Sequence[str], today: date) -> int:
        """Flags each of these cases whose child has turned 16 by `today` for closure,
        for the township supervisor's review (Case.propose_closure), acting as the named
        system actor `system:calendar`; cases flagged before are left alone. Answers how
        many were flagged. The caller (calendar_command.py) finds the candidates."""
        actor = {**CALENDAR_ACTOR, "request_id": f"calendar-{today.isoformat()}"}
        flagged = 0
        for case_id in case_ids:
            for _attempt in range(_RETRIES):
                case = self.find_case(UUID(case_id))
                due = None if case is None else case.sixteenth_birthday
                if case is None or case.status != "active" or due is None or due > str(today):
                    break
                if not case.propose_closure(reason="reached_16", actor=actor, today=today):
                    break
                try:
                    self.save(case)
                except IntegrityError:
                    continue  # a write landed first: look again
                flagged += 1
                break
        return flagged

    # ---- review before it counts (复核, issue 11) ---------------------------------------

    def confirm_review(
        self,
        actor: Actor,
        case_id: UUID,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Confirms the submission awaiting review (the township supervisor, in scope)."""

        def act(case: Case, today: date) -> None:
            case.confirm_review(actor=actor.as_event_data(), today=today)

        return self._change(actor, Capability.REVIEW, case_id, act, expected_version, idempotency)

    def return_review(
        self,
        actor: Actor,
        case_id: UUID,
        comment: str,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Returns the submission awaiting review to the director, with a comment."""
        text(comment, "comment", max_length=2000)

        def act(case: Case, today: date) -> None:
            case.return_review(comment=comment, actor=actor.as_event_data(), today=today)

        return self._change(actor, Capability.REVIEW, case_id, act, expected_version, idempotency)

    def resubmit_review(
        self,
        actor: Actor,
        case_id: UUID,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> WriteResult:
        """Submits a returned case again, once corrected (those who correct, in scope)."""

        def act(case: Case, today: date) -> None:
            case.resubmit(actor=actor.as_event_data(), today=today)

        return self._change(actor, Capability.CORRECT, case_id, act, expected_version, idempotency)

    @staticmethod
    def _review_change(actor: Actor, case: Case, key_facts: list[str], today: date) -> None:
        # A village child director's change of a key fact waits for review, as her
        # identification did; others' changes stand at once.
        if actor.role is Role.CHILD_DIRECTOR:
            case.request_review(
                subject="change", key_facts=key_facts, actor=actor.as_event_data(), today=today
            )

    # ---- the write path -----------------------------------------------------------------

    def _change(
        self,
        actor: Actor,
        capability: Capability,
        case_id: UUID,
        act: Act,
        expected_version: int | None,
        idempotency: IdempotencyKey | None,
        status: int = 200,
        # Other aggregates saved in the same atomic append (ID-number claims, a merged
        # case's survivor).
        claims: Callable[[Case], Sequence[Aggregate]] | None = None,
    ) -> WriteResult:
        # The role first, before the case is even looked up: the refusal is then the
        # same for an unknown case and one the caller may not see.
        require(actor, capability)
        if idempotency and (replay := self._replay(idempotency)):
            return replay
        for attempt in range(_RETRIES):
            case = self._load(case_id)
            require(actor, capability, case)
            if expected_version is not None and case.version != expected_version:
                raise StaleVersionError(case.version)
            intervention_id = act(case, self.clock.today())
            result = WriteResult(case, status, intervention_id)
            try:
                return self._save(case, result, idempotency, claims(case) if claims else None)
            except IntegrityError:
                # Someone appended first (or claimed the ID number: the retry refuses).
                # Same key: they were our own retry. A named version: the client must
                # look again. Otherwise redo on the new state.
                if idempotency and (replay := self._replay(idempotency)):
                    return replay
                if expected_version is not None:
                    raise StaleVersionError(self._load(case_id).version) from None
                # Back off a little, at random, so racing writers stop colliding.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
        raise WriteConflictError("the case changed too often while writing; try again")

    def _save(
        self,
        case: Case,
        result: WriteResult,
        idempotency: IdempotencyKey | None,
        claims: Sequence[Aggregate] | None = None,
    ) -> WriteResult:
        record = None
        if idempotency is not None:
            record = new_record(
                idempotency,
                case_id=case.id,
                case_version=case.version,
                status=result.status,
                intervention_id=result.intervention_id,
            )
        recordings = self.save(case, record, *(claims or []))
        return replace(result, position=recordings[-1].notification.id if recordings else None)

    def _idempotency_record(self, key: IdempotencyKey) -> IdempotencyRecord | None:
        try:
            record = cast(IdempotencyRecord, self.repository.get(key.record_id))
        except AggregateNotFoundError:
            return None
        if record.fingerprint != key.fingerprint:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used for a different request"
            )
        return record

    def _replay(self, key: IdempotencyKey) -> WriteResult | None:
        record = self._idempotency_record(key)
        if record is None:
            return None
        case = cast(Case, self.repository.get(UUID(record.case_id), version=record.case_version))
        return WriteResult(
            case,
            record.status,
            record.intervention_id,
            replayed=True,
            position=self.recorder.max_notification_id(),
        )

    def _load(self, case_id: UUID) -> Case:
        try:
            aggregate: object = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFoundError("no case with that id") from None
        except SealedSnapshotError:
            # A snapshot sealed under a key since destroyed (a store restored from a
            # backup taken before an erasure): the events still rebuild the case.
            aggregate = project_aggregate(None, self.events.get(case_id))
        if isinstance(aggregate, Case) and aggregate.erased and self._not_shredded(case_id):
            self.shred(case_id)  # the approval's process stopped before it could
        if not isinstance(aggregate, Case):
            raise CaseNotFoundError("no case with that id")
        return aggregate

    def _not_shredded(self, case_id: UUID) -> bool:
        return self.case_keys is not None and not self.case_keys.is_destroyed(case_id)

    def _version_at(self, case_id: UUID, as_of: datetime) -> int:
        version = None
        for stored in cast(list[AggregateEvent], self.events.get(case_id)):
            if stored.timestamp > as_of:
                break
            version = stored.originator_version
        if version is None:
            raise CaseNotFoundError("the case had not been identified at that instant")
        return version

    def _check_assignee(self, assignee: str, case: Case) -> None:
        """Raises unless `assignee` is an enabled child director whose scope holds the case
        (read afresh on every try: a user disabled meanwhile is refused)."""
        try:
            user: object = self.repository.get(user_id(assignee))
        except AggregateNotFoundError:
            user = None
        if not isinstance(user, User):
            raise InvalidAssigneeError(f"no user called {assignee!r}")
        if (
            user.disabled
            or user.role != Role.CHILD_DIRECTOR
            or not in_scope(case.jurisdiction, user.scope)
        ):
            raise InvalidAssigneeError(
                f"{assignee!r} is not an active child director of the case's village"
            )

    @staticmethod
    def _require_department_of(actor: Actor, case: Case, intervention_id: str) -> None:
        intervention = case.interventions.get(intervention_id)
        if intervention is not None:
            require_department(actor, intervention["department"])
