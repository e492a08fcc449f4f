"""The relay's output meets the stream contract (shared/contracts.py) for every event
type, and carries no personal data beyond what the contract defines."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from eventsourcing.domain import Aggregate, event

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.domain import Case
from services.cases.idempotency import IdempotencyKey
from services.cases.relay.entries import EntryMapper, UnmappedEventError
from shared.contracts import PAYLOADS, parse_entry
from shared.roles import Role
from shared.settings import Settings
from tests.conftest import make_service
from tests.integration.relay_support import (
    CIVIL,
    make_relay,
    publish_all,
    read_stream,
)
from tests.support import (
    GUARDIAN_CHANGE,
    IDENTIFY,
    INTERVENTION,
    OTHER_VILLAGE,
    PASSWORD,
    TODAY,
    VISIT,
)

# Personal data the case service holds, which must never reach the stream.
PERSONAL = [
    "王小明",
    "前坊小学",
    "前坊村三组12号",
    "广东省东莞市",
    "13800138000",
    "李秀英",
    "13900139000",
    "王建国",
    "孩子想念父母",
    "祖母住院",
    "心理辅导",
    "每周谈心",
    "情况好转",
    "一家搬到邻村",
    "父母返乡",
    "登记有误",
    "$argon2",
    "新地址一号",
    "王晓明",
    "又外出",
    "前坊中学",
    "随父母外出",
    "儿童走失紧急核查",  # a break-the-glass reason
    "出生日期需核对户口本",  # a reviewer's comment
    "刘桂芳",  # a care site's staff contact
    "13700137000",
]
_TRANSITION = (
    "risk_level_before",
    "risk_level_after",
    "school_status_before",
    "school_status_after",
)


@pytest.fixture
def every_event(sqlite_settings: Settings) -> Iterator[CaseService]:
    """A log holding every kind of event the case service stores."""
    service = make_service(sqlite_settings)
    cases = service.cases
    civil = Actor("civil", Role.CIVIL_AFFAIRS, "360124", "req-1")
    case_id = cases.identify(civil, IDENTIFY).case.id
    cases.record_visit(
        civil, case_id, VISIT, idempotency=IdempotencyKey("civil", "visit-1", "fingerprint")
    )
    cases.change_guardian(civil, case_id, GUARDIAN_CHANGE)
    cases.change_school(
        civil,
        case_id,
        {
            "change": "enrolled",
            "changed_on": "2026-05-02",
            "school_name": "前坊中学",
            "grade": "7",
            "note": "随父母外出后回村入学",
        },
    )
    iid = cases.open_intervention(civil, case_id, INTERVENTION).intervention_id
    assert iid is not None
    cases.progress_intervention(
        civil, case_id, iid, {"note": "每周谈心", "progressed_on": "2026-06-01"}
    )
    cases.close_intervention(
        civil, case_id, iid, {"outcome": "情况好转", "closed_on": "2026-07-01"}
    )
    cases.assign(civil, case_id, "director")
    twin = cases.identify(civil, IDENTIFY)
    cases.flag_duplicates(civil, case_id, {str(twin.case.id): ["name_reading", "birth_date"]})
    cases.dismiss_duplicate(civil, case_id, str(twin.case.id))
    cases.flag_duplicates(civil, twin.case.id, {str(case_id): ["birth_date", "same_parents"]})
    cases.merge_duplicate(civil, twin.case.id, case_id)
    cases.transfer(
        civil,
        case_id,
        {
            "jurisdiction": OTHER_VILLAGE,
            "reason": "一家搬到邻村",
            "transferred_on": "2026-08-01",
            "address_detail": "新地址一号",
        },
    )
    cases.correct(civil, case_id, {"field": "child.name", "value": "王晓明", "reason": "登记有误"})
    cases.close_case(
        civil,
        case_id,
        {"reason": "parents_returned", "closed_on": "2026-09-01", "note": "父母返乡"},
    )
    cases.reopen(civil, case_id, {"reason": "父母返乡又外出", "reopened_on": "2026-10-01"})
    # Review (复核): a director's identification returned with a comment, resubmitted,
    # confirmed.
    director = Actor("director", Role.CHILD_DIRECTOR, "360124105203", "req-4")
    reviewed = cases.identify(director, {**IDENTIFY, "identified_on": "2026-03-02"}).case.id
    cases.return_review(civil, reviewed, "出生日期需核对户口本")
    cases.resubmit_review(director, reviewed)
    cases.confirm_review(civil, reviewed)
    # the calendar: a child who turned 16 flagged for closure by the system actor
    sixteen = {**IDENTIFY, "child": {**IDENTIFY["child"], "birth_date": "2010-11-20"}}
    turned = cases.identify(civil, sixteen).case.id
    assert cases.propose_closures_at_16([str(turned)], TODAY) == 1
    # Care sites and plans, and a child attending one (the case is now in OTHER_VILLAGE).
    site = service.sites.register(
        civil,
        {
            "name": "后坊村儿童之家",
            "kind": "children_home",
            "jurisdiction": OTHER_VILLAGE,
            "capacity": 20,
            "staff": {"name": "刘桂芳", "phone": "13700137000"},
            "opening_hours": "16:00-18:30",
        },
    ).aggregate
    service.sites.move(civil, site.id, {"status": "built", "changed_on": "2026-03-01"})
    service.sites.move(civil, site.id, {"status": "open", "changed_on": "2026-04-01"})
    service.sites.set_plan(civil, "360124", 2026, 10)
    service.sites.set_plan(civil, "360124", 2026, 12)
    cases.attend_site(civil, case_id, {"site_id": str(site.id), "attended_on": "2026-10-02"})
    cases.leave_site(civil, case_id, {"left_on": "2026-10-03"})
    elsewhere = Actor("civil_elsewhere", Role.CIVIL_AFFAIRS, "360121", "req-3")
    cases.request_emergency_access(elsewhere, case_id, "儿童走失紧急核查")
    # erasure, on the merged twin (closed): asked, declined, asked again, approved
    city = Actor("civil_city", Role.CIVIL_AFFAIRS, "3601", "req-4")
    cases.request_erasure(civil, twin.case.id, "registered_in_error", "登记有误")
    cases.decline_erasure(city, twin.case.id, "需核实")
    cases.request_erasure(civil, twin.case.id, "registered_in_error", "登记有误")
    cases.approve_erasure(city, twin.case.id)
    user = service.accounts.get("education")
    user.revoke_token("token-1", actor=CIVIL.as_event_data())
    user.rehash_password(
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        actor={"username": "education", "role": "education", "request_id": "login"},
    )
    user.disable(actor=CIVIL.as_event_data())
    cases.save(user)
    admin = Actor("admin", Role.ADMIN, "3601", "req-2")
    request = service.accounts.request(
        admin, username="newcomer", role=Role.POLICE, scope="360124", password=PASSWORD
    )
    service.accounts.approve(civil, request.id)
    yield service
    service.close()


def test_every_event_type_the_relay_publishes_validates_against_the_contract(
    every_event: CaseService, relay_client: redis.Redis
) -> None:
    # when the relay publishes a log of every kind of event
    publish_all(make_relay(every_event, relay_client))
    entries = read_stream(relay_client, "careledger:events")
    # then each entry, as read back from Redis, parses under the contract
    parsed = [parse_entry(fields) for _, fields in entries]
    assert {e.type for e in parsed} == set(PAYLOADS)
    visited = next(e for e in parsed if e.type == "case.visited")
    assert visited.payload["next_visit_due"] == "2026-05-01"  # medium risk: 30 days
    assert visited.schema_version == 2
    assert {k: visited.payload[k] for k in _TRANSITION} == {
        "risk_level_before": None,
        "risk_level_after": "medium",
        "school_status_before": "enrolled",
        "school_status_after": "enrolled",
    }
    assert visited.jurisdiction == IDENTIFY["address"]["jurisdiction"]
    assert visited.actor == {"username": "civil", "role": "civil_affairs", "request_id": "req-1"}
    transferred = next(e for e in parsed if e.type == "case.transferred")
    assert transferred.jurisdiction == OTHER_VILLAGE
    assert transferred.payload["from_jurisdiction"] == IDENTIFY["address"]["jurisdiction"]
    disabled = next(e for e in parsed if e.type == "user.disabled")
    assert (disabled.payload, disabled.case_id) == ({"username": "education"}, "")
    identified = next(e for e in parsed if e.type == "case.identified")
    assert identified.case_id == identified.aggregate_id
    assert identified.payload["next_visit_due"] == "2026-03-31"


def test_no_entry_carries_names_phones_addresses_notes_reasons_or_password_hashes(
    every_event: CaseService, relay_client: redis.Redis
) -> None:
    publish_all(make_relay(every_event, relay_client))
    raw = json.dumps(read_stream(relay_client, "careledger:events"), ensure_ascii=False)
    assert [word for word in PERSONAL if word in raw] == []


def test_a_visit_stored_before_visits_recorded_their_transition_is_published_as_v1() -> None:
    # given a Visited event as stored before it carried the risk and school status around it
    case = Case.identify(record=copy.deepcopy(IDENTIFY), actor=CIVIL.as_event_data(), today=TODAY)
    case.record_visit(visit=VISIT, actor=CIVIL.as_event_data(), today=TODAY)
    old = copy.copy(case.collect_events()[-1])
    for name in _TRANSITION:
        del old.__dict__[name]
    # when the relay maps it, then it is a v1 entry, as published before
    entry = EntryMapper(lambda _: "nobody").to_entry(2, old)
    parsed = parse_entry({**entry, "previous_id": "1-0"})
    assert (parsed.type, parsed.schema_version) == ("case.visited", 1)
    assert parsed.payload["risk_level"] == "medium"


@pytest.mark.parametrize(
    ("type_", "act"),
    [
        (
            "case.guardian_changed",
            lambda case: case.change_guardian(
                **GUARDIAN_CHANGE | {"guardian": {**GUARDIAN_CHANGE["guardian"], "type": "none"}},
                actor=CIVIL.as_event_data(),
                today=TODAY,
            ),
        ),
        (
            "case.corrected",
            lambda case: case.correct(
                field="identified_on",
                value="2026-03-05",
                reason="登记有误",
                actor=CIVIL.as_event_data(),
                today=TODAY,
            ),
        ),
    ],
)
def test_an_event_that_moves_the_due_date_carries_it_and_one_stored_before_is_published_as_v1(
    type_: str, act: Any
) -> None:
    # given a case not yet visited, and an event that moves its next visit's due date
    case = Case.identify(record=copy.deepcopy(IDENTIFY), actor=CIVIL.as_event_data(), today=TODAY)
    before = case.next_visit_due
    act(case)
    recorded = case.collect_events()[-1]
    old = copy.copy(recorded)
    del old.__dict__["next_visit_due"]  # as stored before events recorded it
    mapper = EntryMapper(lambda _: "nobody")
    # when the relay maps each
    new_entry = parse_entry({**mapper.to_entry(2, recorded), "previous_id": "1-0"})
    old_entry = parse_entry({**mapper.to_entry(2, old), "previous_id": "1-0"})
    # then the new one states the case's own due date (v2), the old one is v1, without it
    assert (new_entry.type, new_entry.schema_version) == (type_, 2)
    assert new_entry.payload["next_visit_due"] == case.next_visit_due != before
    assert old_entry.schema_version == 1 and "next_visit_due" not in old_entry.payload


class _Unknown(Aggregate):
    @event("Happened")
    def __init__(self) -> None:
        pass


def test_an_event_without_a_mapping_is_refused_with_its_name() -> None:
    unknown: Any = _Unknown()
    happened = unknown.collect_events()[0]
    with pytest.raises(UnmappedEventError, match=r"_Unknown.Happened at position 7"):
        EntryMapper(lambda _: "nobody").to_entry(7, happened)


@pytest.mark.parametrize(
    ("guardian", "school"),
    [
        ("grandparent", {"name": "前坊小学", "grade": "3", "status": "enrolled"}),
        ("none", None),
    ],
)
def test_the_facts_an_identification_entry_derives_are_the_cases_own(
    sqlite_settings: Settings, guardian: str, school: dict[str, str] | None
) -> None:
    # the relay computes them without replaying the event; the aggregate is the reference
    service = make_service(sqlite_settings)
    try:
        record = {
            **IDENTIFY,
            "guardian": {**IDENTIFY["guardian"], "type": guardian},
            "child": {**IDENTIFY["child"], "school": school},
        }
        case = service.cases.identify(CIVIL, record).case
        stored = service.cases.recorder.select_notifications(None, 1000)[-1]
        entry = EntryMapper(lambda _: "nobody").to_entry(
            stored.id, service.cases.mapper.to_domain_event(stored)
        )
        payload = parse_entry({**entry, "previous_id": "0-0"}).payload
        assert (payload["next_visit_due"], payload["school_status"], payload["guardian_type"]) == (
            case.next_visit_due,
            case.school_status,
            case.guardian_type,
        )
    finally:
        service.close()
