"""The composition root: builds the case service's parts from Settings, once."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from argon2 import PasswordHasher
from eventsourcing.persistence import ApplicationRecorder

from shared.clock import Clock
from shared.settings import Settings
from shared.sql import EventStoreConnections, store_setup_lock

from . import migrations
from .access_log import AccessLog
from .accounts import Accounts
from .application import Cases
from .audit import keys
from .audit.adopt import adopt_unchained
from .audit.export import Exporter
from .audit.verify import Verifier
from .domain.visit_due import VisitSchedule
from .keys.store import CaseKeys
from .login_throttle import HashingSlots, LoginThrottle
from .projections.personal import PersonalData
from .projections.projector import catch_up
from .projections.read_models import ReadModels
from .projections.store import ReadModelStore
from .sites import Sites

# How far the admin's list of users projects the log itself before reading (pages of
# 1000): with the projector running it is a page at most; a store whose projector has
# not run yet answers sooner, marked behind, rather than project the whole log.
LIST_CATCH_UP_PAGES = 5


@dataclass
class CaseService:
    """Everything the API and the command line work with."""

    settings: Settings
    cases: Cases
    accounts: Accounts
    read_models: ReadModels
    access_log: AccessLog
    sites: Sites

    @property
    def tables(self) -> EventStoreConnections:
        """The event store's own connections: the access log and the audit chain's tables."""
        return EventStoreConnections(cast(Any, self.cases.recorder).datastore)

    def audit_verifier(self) -> Verifier:
        """A verifier of this store, with the public half of the audit signing key."""
        recorder = self.cases.recorder
        assert isinstance(recorder, ApplicationRecorder)
        public = keys.signing_key(self.settings.audit_signing_key).public_key()
        return Verifier(self.tables, recorder, self.cases.mapper, public)

    def audit_exporter(self) -> Exporter:
        """An exporter of this store's history for auditors (audit/export.py)."""
        recorder = self.cases.recorder
        assert isinstance(recorder, ApplicationRecorder)
        key = keys.signing_key(self.settings.audit_signing_key)
        return Exporter(self.tables, recorder, self.cases.mapper, keys.public_key_text(key))

    def close(self) -> None:
        """Releases the database connections."""
        self.read_models.store.close()
        self.cases.close()


def visit_schedule(settings: Settings) -> VisitSchedule:
    """The visit intervals the settings give (the default, and each city's own)."""
    days = {
        scope: {"high": high, "medium": medium, "low": low}
        for scope, high, medium, low in settings.visit_intervals
    }
    default = days.pop("", None)
    return VisitSchedule(by_city=days) if default is None else VisitSchedule(default, days)


def claims_key(settings: Settings) -> bytes:
    """The key of the ID numbers' claims (application.py), derived from the cipher key
    (the token secret when there is none, as in some tests): kept beside nothing stored."""
    secret = (settings.cipher_key or settings.token_secret).encode()
    return hmac.new(secret, b"careledger id-number claims", hashlib.sha256).digest()


def build_case_service(
    settings: Settings,
    *,
    clock: Clock | None = None,
    password_hasher: PasswordHasher | None = None,
    hashing_slots: HashingSlots | None = None,
) -> CaseService:
    """Wires the application, accounts, read models and access log to one store."""
    # Set up by one process at a time: workers and followers start together.
    with store_setup_lock(settings.database_url):
        cases = Cases(settings.eventsourcing_env(), clock=clock)
        datastore: Any = cast(Any, cases.recorder).datastore
        # Before anything reads an event: the adoption below opens the sealed ones.
        cases.use_case_keys(CaseKeys.open(settings, datastore))
        # The tables beside the events that the log cannot give back: versioned migrations.
        tables = EventStoreConnections(datastore)
        migrations.upgrade(tables)
        adopt_unchained(tables, cases.recorder, cases.mapper)  # once: a store before issue 9
        # The read models' own file on SQLite; beside the events on PostgreSQL.
        store = ReadModelStore(settings, datastore=datastore if settings.uses_postgres else None)
        store.setup()
    cases.emergency_access_hours = settings.emergency_access_hours
    cases.visit_schedule = visit_schedule(settings)
    cases.claims_key = claims_key(settings)
    access_log = AccessLog(tables)
    read_models = ReadModels(store, PersonalData(settings.cipher_key))
    accounts = Accounts(
        cases,
        settings.token_secret,
        settings.token_ttl_seconds,
        password_hasher,
        read_models=read_models,
        catch_up=partial(catch_up, settings, cases, store, max_pages=LIST_CATCH_UP_PAGES),
        access_token_ttl_seconds=settings.access_token_ttl_seconds,
        throttle=LoginThrottle(tables, cases.clock),
        slots=hashing_slots,
    )
    sites = Sites(cases, read_models.known_villages)
    return CaseService(settings, cases, accounts, read_models, access_log, sites)
