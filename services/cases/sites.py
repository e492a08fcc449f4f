"""Care sites and their yearly plans: the use cases, beside `Cases` on the same log.

Civil affairs manage sites and plans within their scope (capability `manage_sites`);
whoever reads cases reads the sites and plans in their scope. A site outside the caller's
scope is not found, as a case is. Writes are get → act → save with `If-Match` and an
`Idempotency-Key` as for cases; the idempotency record names the site (or plan).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from shared.jurisdictions import divisions, in_scope
from shared.roles import Capability

from .access import Actor, require, require_in_scope
from .application import (
    Cases,
    IdempotencyKeyReusedError,
    StaleVersionError,
    WriteConflictError,
)
from .domain import InvalidValueError
from .domain.site import Site, SiteDetails, SitePlan, check_plan_key, plan_id
from .idempotency import IdempotencyKey, new_record

A = TypeVar("A", bound=Aggregate)
_RETRIES = 20


class SiteNotFoundError(Exception):
    """Raised when no site (or plan) has that id, or the caller may not know that it exists."""


@dataclass(frozen=True)
class Written:
    """A site or plan write's answer: the aggregate now, and where the log got to."""

    aggregate: Any
    status: int
    replayed: bool = False
    position: int | None = None


class Sites:
    """Use cases on care sites and site plans, over the Cases application's log."""

    def __init__(
        self, cases: Cases, known_villages: Callable[[str], Collection[str]] = lambda _t: ()
    ) -> None:
        self.cases = cases
        # The village codes loaded as reference data under a township (none: not loaded).
        self.known_villages = known_villages

    # ---- sites -------------------------------------------------------------------------

    def register(
        self, actor: Actor, details: dict[str, Any], idempotency: IdempotencyKey | None = None
    ) -> Written:
        """Registers a planned site in a known village of the caller's scope."""
        checked = SiteDetails.parse(details)
        require(actor, Capability.MANAGE_SITES)
        self.require_known_village(checked.jurisdiction, "jurisdiction")
        require_in_scope(actor, checked.jurisdiction)
        if idempotency and (replay := self._replay(idempotency, Site)):
            return replay
        site = Site.register(
            details=details, actor=actor.as_event_data(), today=self.cases.clock.today()
        )
        try:
            return self._save(site, 201, idempotency, Site)
        except _Collided as collided:
            # A new site's id is new: only a concurrent retry with the same key collides.
            if collided.replay is not None:
                return collided.replay
            raise WriteConflictError("the write collided; try again") from None

    def move(
        self,
        actor: Actor,
        site_id: UUID,
        change: dict[str, Any],
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> Written:
        """Moves a site one step in its life: built, open or closed."""
        require(actor, Capability.MANAGE_SITES)
        if idempotency and (replay := self._replay(idempotency, Site)):
            return replay
        for _attempt in range(_RETRIES):
            site = self.get_site(actor, site_id)
            if expected_version is not None and site.version != expected_version:
                raise StaleVersionError(site.version)
            site.move(
                status=change.get("status"),
                changed_on=change.get("changed_on"),
                actor=actor.as_event_data(),
                today=self.cases.clock.today(),
            )
            try:
                return self._save(site, 200, idempotency, Site)
            except _Collided as collided:
                if collided.replay is not None:
                    return collided.replay
                if expected_version is not None:
                    raise StaleVersionError(self._load(site_id, Site).version) from None
        raise WriteConflictError("the site changed too often while writing; try again")

    def get_site(self, actor: Actor, site_id: UUID) -> Site:
        """The site, when the caller may read it."""
        require(actor, Capability.READ_CASE)
        site = self._load(site_id, Site)
        if not in_scope(site.jurisdiction, actor.scope):
            raise SiteNotFoundError("no site with that id")
        return site

    def require_known_village(self, code: str, field: str) -> None:
        """Raises unless `code` names a known village: its township is an official one
        (shipped), and when the deployment loaded that township's villages, one of them."""
        township = code[:9]
        if township not in divisions():
            raise InvalidValueError(f"{code} is in no known township", field=field)
        loaded = self.known_villages(township)
        if loaded and code not in loaded:
            raise InvalidValueError(f"{code} is not a known village", field=field)

    # ---- plans -------------------------------------------------------------------------

    def set_plan(
        self,
        actor: Actor,
        jurisdiction: str,
        year: int,
        target: object,
        expected_version: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> Written:
        """Draws up the jurisdiction's plan for the year, or revises its target."""
        check_plan_key(jurisdiction, year)
        require(actor, Capability.MANAGE_SITES)
        if jurisdiction not in divisions():
            raise InvalidValueError(f"{jurisdiction} is no known division", field="jurisdiction")
        require_in_scope(actor, jurisdiction)
        if idempotency and (replay := self._replay(idempotency, SitePlan)):
            return replay
        for _attempt in range(_RETRIES):
            plan = self.find_plan(jurisdiction, year)
            if expected_version is not None and (plan is None or plan.version != expected_version):
                raise StaleVersionError(0 if plan is None else plan.version)
            status = 200
            if plan is None:
                plan = SitePlan.draw_up(
                    jurisdiction=jurisdiction, year=year, target=target, actor=actor.as_event_data()
                )
                status = 201
            elif not plan.revise(target=target, actor=actor.as_event_data()):
                return Written(plan, 200)
            try:
                return self._save(plan, status, idempotency, SitePlan)
            except _Collided as collided:
                if collided.replay is not None:
                    return collided.replay
                if expected_version is not None:
                    raise StaleVersionError(self._load(plan.id, SitePlan).version) from None
        raise WriteConflictError("the plan changed too often while writing; try again")

    def get_plan(self, actor: Actor, jurisdiction: str, year: int) -> SitePlan:
        """The plan of a jurisdiction in the caller's scope for a year."""
        check_plan_key(jurisdiction, year)
        require(actor, Capability.READ_CASE)
        plan = self.find_plan(jurisdiction, year)
        if plan is None or not in_scope(jurisdiction, actor.scope):
            raise SiteNotFoundError("no plan for that jurisdiction and year")
        return plan

    def find_plan(self, jurisdiction: str, year: int) -> SitePlan | None:
        """The plan, without any access check."""
        try:
            return self._load(plan_id(jurisdiction, year), SitePlan)
        except SiteNotFoundError:
            return None

    # ---- the write path ------------------------------------------------------------------

    def _save(
        self, aggregate: A, status: int, idempotency: IdempotencyKey | None, kind: type[A]
    ) -> Written:
        extra = []
        if idempotency is not None:
            extra.append(
                new_record(
                    idempotency,
                    case_id=aggregate.id,
                    case_version=aggregate.version,
                    status=status,
                    intervention_id=None,
                )
            )
        try:
            recordings = self.cases.save(aggregate, *extra)
        except IntegrityError:
            replay = self._replay(idempotency, kind) if idempotency else None
            raise _Collided(replay) from None
        position = recordings[-1].notification.id if recordings else None
        return Written(aggregate, status, position=position)

    def _replay(self, key: IdempotencyKey, kind: type[A]) -> Written | None:
        try:
            record = cast(Any, self.cases.repository.get(key.record_id))
        except AggregateNotFoundError:
            return None
        if record.fingerprint != key.fingerprint:
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used for a different request"
            )
        aggregate: object = self.cases.repository.get(
            UUID(record.case_id), version=record.case_version
        )
        if not isinstance(aggregate, kind):
            raise IdempotencyKeyReusedError(
                "this Idempotency-Key was already used for a different request"
            )
        position = self.cases.recorder.max_notification_id()
        return replace(Written(aggregate, record.status, replayed=True), position=position)

    def _load(self, aggregate_id: UUID, kind: type[A]) -> A:
        try:
            aggregate: object = self.cases.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise SiteNotFoundError("no site with that id") from None
        if not isinstance(aggregate, kind):
            raise SiteNotFoundError("no site with that id")
        return aggregate


class _Collided(Exception):
    """A concurrent append won: the replay of our own key, or None to try again."""

    def __init__(self, replay: Written | None) -> None:
        super().__init__("a concurrent write won")
        self.replay = replay
