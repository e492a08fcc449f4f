"""Every follower of the log decides on every event class of every aggregate: handled, or
ignored on purpose. The event classes are found on the aggregates themselves, so a new
`@event` that some follower does not know fails here, not in production."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate, event

from services.cases.api.presenters import event_type
from services.cases.domain import Case
from services.cases.domain.site import Site, SitePlan
from services.cases.domain.user import User
from services.cases.domain.user_request import UserRequest
from services.cases.idempotency import IdempotencyRecord
from services.cases.projections.state import STATE
from services.cases.projections.users import USERS
from services.cases.relay.entries import RELAY, event_classes
from services.notify.consume.handling import undecided
from services.notify.operate.reconcile import RECONCILE
from services.notify.route.casefacts import FACTS
from services.notify.route.directory import DIRECTORY
from services.notify.route.rules import RULES
from shared.contracts import Envelope
from shared.dispatch import Registry

ROOT = Path(__file__).resolve().parents[2]
AGGREGATES = (Case, User, UserRequest, IdempotencyRecord, Site, SitePlan)
EVERY_EVENT = {c for aggregate in AGGREGATES for c in event_classes(aggregate)}
CASE_EVENTS = set(event_classes(Case))


def stream_type(event_class: type) -> str:
    mapping = RELAY.handler(event_class)
    assert mapping is not None, f"the relay ignores {event_class.__qualname__}"
    return mapping.type


def test_the_events_are_found_on_the_aggregates() -> None:
    assert {"Identified", "Visited", "Corrected"} <= {c.__name__ for c in CASE_EVENTS}
    assert {"Registered", "Disabled"} <= {c.__name__ for c in event_classes(User)}
    assert [c.__name__ for c in event_classes(IdempotencyRecord)] == ["Recorded"]


def test_a_new_event_is_found_without_being_listed_and_no_follower_knows_it() -> None:
    class Probe(Aggregate):
        @event("SomethingHappened")
        def something_happened(self, jurisdiction: str) -> None:
            pass

    new = set(event_classes(Probe))
    assert {c.__name__ for c in new} == {"SomethingHappened"}
    assert RELAY.missing(new) == new
    assert STATE.missing(new) == new


def test_the_relay_maps_every_event_of_every_aggregate() -> None:
    assert RELAY.missing(EVERY_EVENT) == set()
    assert RELAY.handled == EVERY_EVENT


def test_the_read_models_decide_on_every_case_event() -> None:
    # Users and idempotency records are filtered out by topic before the state (pages.py).
    assert STATE.missing(CASE_EVENTS) == set()


def test_the_users_read_model_decides_on_every_user_event() -> None:
    assert USERS.missing(set(event_classes(User))) == set()


@pytest.mark.parametrize("registry", [FACTS, RULES, RECONCILE], ids=lambda r: r.follower)
def test_notify_decides_on_every_type_the_relay_publishes(registry: Registry[str, Any]) -> None:
    types = {stream_type(c) for c in EVERY_EVENT}
    assert registry.missing(types) == set()


def test_notify_s_directory_decides_on_every_user_event() -> None:
    # case types go to the case facts (handling.py); the directory follows users
    assert DIRECTORY.missing({stream_type(c) for c in event_classes(User)}) == set()


def test_the_timeline_has_a_label_for_every_case_event() -> None:
    script = (ROOT / "services/cases/web/src/i18n/events.js").read_text("utf-8")
    block = script[script.index("export const EVENT_LABELS") :]
    labelled = set(
        re.findall(r"^\s+(\w+): \{ \"zh-CN\": \"[^\"]+\", en: \"[^\"]+\" \},$", block, re.M)
    )
    types = {event_type(object.__new__(c)) for c in CASE_EVENTS}
    assert types - labelled == set()


def test_notify_refuses_a_type_it_has_not_decided_on_so_the_consumer_dead_letters_it() -> None:
    env = Envelope(
        "e:1", 1, "0-0", "case.something_new", 1, "a", "a", 1, datetime.now(UTC), "", {}, {}
    )
    assert undecided(env) == "notify's case facts does not know 'case.something_new'"
    assert undecided(replace(env, type="case.visited")) is None
