"""Helpers for the notify tests: a publisher that appends contract-valid entries to the
stream the way the relay does (explicit ids `<position>-0`, each naming the previous
one; a visit's payload made by the Case aggregate and the relay's own mapping), a fixed
clock, and ways to look into notify's database."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from services.cases.domain import Case
from services.cases.relay.entries import EntryMapper
from services.notify.bootstrap import NotifyService
from services.notify.consume.consumer import Consumer, ConsumerOptions
from shared.contracts import CaseVisitedV1, parse_entry, stream_id
from shared.redis_client import decoding_twin
from tests.support import TODAY, VISIT, identify_body

VILLAGE = "360124105203"  # 进贤县张公镇
OTHER_VILLAGE_SAME_TOWNSHIP = "360124105204"
OTHER_TOWNSHIP_VILLAGE = "360124100201"
OTHER_COUNTY_VILLAGE = "360121100201"  # 南昌县

# Staff of the directory: who should hear what about a child in VILLAGE.
STAFF: dict[str, tuple[str, str]] = {
    "director": ("child_director", VILLAGE),
    "director_next_door": ("child_director", OTHER_VILLAGE_SAME_TOWNSHIP),
    "supervisor": ("child_supervisor", VILLAGE[:9]),
    "supervisor_elsewhere": ("child_supervisor", OTHER_TOWNSHIP_VILLAGE[:9]),
    "civil": ("civil_affairs", VILLAGE[:6]),
    "civil_city": ("civil_affairs", VILLAGE[:4]),
    "civil_elsewhere": ("civil_affairs", OTHER_COUNTY_VILLAGE[:6]),
    "education": ("education", VILLAGE[:6]),
    "education_elsewhere": ("education", OTHER_COUNTY_VILLAGE[:6]),
    "police": ("police", VILLAGE[:6]),
    "police_elsewhere": ("police", OTHER_COUNTY_VILLAGE[:6]),
    "health": ("health", VILLAGE[:6]),
    "womens": ("womens_federation", VILLAGE[:6]),
    "auditor": ("auditor", VILLAGE[:4]),
    "admin": ("admin", VILLAGE[:4]),
}


TOKEN_SECRET = "notify-tests-token-secret-0123456789abcdef"


class TrustedTokens:
    """The case service's answer when it has revoked nothing: every signed token holds.
    For the tests of notify's own checks; test_token_revocation_at_source.py asks a real
    case service."""

    def holds(self, token: str) -> bool:
        return True


_ACTOR = {"username": "director", "role": "child_director", "request_id": "publisher"}


class Publisher:
    """Appends entries to the stream as the relay would, one log position after another."""

    def __init__(self, client: redis.Redis, stream: str) -> None:
        self.redis = client
        self.stream = stream
        self.position = 0
        self.versions: dict[str, int] = {}
        self.user_ids: dict[str, str] = {}
        self.day = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
        # Each identified case as the case service holds it: a visit's payload (the risk
        # and school status around it) is what the aggregate and the relay make of it.
        self.cases: dict[str, Case] = {}

    # ---- users -------------------------------------------------------------------------

    def user(
        self, username: str, role: str, scope: str, email: str | None = None
    ) -> dict[str, str]:
        if email is not None:  # an address came with user.registered v2
            return self._user(
                "user.registered",
                username,
                schema_version=2,
                role=role,
                scope=scope,
                display_name=f"{username} 同志",
                email=email,
            )
        return self._user(
            "user.registered", username, role=role, scope=scope, display_name=f"{username} 同志"
        )

    def staff(self, names: dict[str, tuple[str, str]] | None = None) -> None:
        for username, (role, scope) in (names or STAFF).items():
            self.user(username, role, scope)

    def disable(self, username: str) -> dict[str, str]:
        return self._user("user.disabled", username)

    def revoke(self, username: str, token_id: str) -> dict[str, str]:
        return self._user("user.token_revoked", username, token_id=token_id)

    # ---- cases -------------------------------------------------------------------------

    def identify(
        self,
        case_id: str,
        village: str = VILLAGE,
        *,
        guardian_type: str = "grandparent",
        school_status: str = "enrolled",
        next_visit_due: str = "2026-03-31",
        identified_on: str = "2026-03-01",
    ) -> dict[str, str]:
        record = identify_body(
            identified_on=identified_on,
            address={"jurisdiction": village, "detail": "-"},
            guardian={"type": guardian_type, "name": "-", "relation": "-", "capacity": "able"},
            child={
                **identify_body()["child"],
                "school": {"name": "-", "grade": "3", "status": school_status},
            },
        )
        self.cases[case_id] = Case.identify(record=record, actor=_ACTOR, today=TODAY)
        return self.case(
            case_id,
            "case.identified",
            village,
            identified_on=identified_on,
            source="survey",
            guardian_type=guardian_type,
            school_status=school_status,
            birth_date="2015-03-02",
            next_visit_due=next_visit_due,
        )

    def visit(
        self,
        case_id: str,
        village: str = VILLAGE,
        *,
        visited_on: str = "2026-04-01",
        risk_level: str = "medium",
        school_attendance: str = "regular",
        safety_concerns: list[str] | None = None,
        next_visit_due: str | None = None,
        schema_version: int = 2,
    ) -> dict[str, str]:
        """A visit to a case identified here, published as the relay would (v2); as v1,
        the payload of a visit stored before the case service recorded its transition."""
        case = self.cases[case_id]
        case.record_visit(
            visit={
                **VISIT,
                "visited_on": visited_on,
                "risk_level": risk_level,
                "school_attendance": school_attendance,
                "safety_concerns": safety_concerns or [],
                "next_visit_due": next_visit_due,
            },
            actor=_ACTOR,
            today=TODAY,
        )
        # the visit (a dropout's task, opened with it, is not what these tests publish)
        event = next(e for e in case.collect_events() if type(e).__name__ == "Visited")
        mapped = EntryMapper(lambda _: "").to_entry(self.position + 1, event)
        payload = json.loads(mapped["payload"])
        if schema_version == 1:
            payload = {k: v for k, v in payload.items() if k in CaseVisitedV1().fields}
        return self.case(case_id, "case.visited", village, schema_version, **payload)

    def guardian(self, case_id: str, guardian_type: str, village: str = VILLAGE) -> dict[str, str]:
        return self.case(
            case_id,
            "case.guardian_changed",
            village,
            guardian_type=guardian_type,
            effective_on="2026-05-01",
            entrustment_signed_on=None,
        )

    def intervention(
        self,
        case_id: str,
        intervention_id: str,
        *,
        kind: str = "admonition_talk",
        department: str = "civil_affairs",
        due_by: str | None = "2026-06-30",
        village: str = VILLAGE,
    ) -> dict[str, str]:
        return self.case(
            case_id,
            "case.intervention_opened",
            village,
            intervention_id=intervention_id,
            kind=kind,
            department=department,
            urgency="urgent",
            opened_on="2026-05-10",
            due_by=due_by,
        )

    def close_intervention(
        self, case_id: str, intervention_id: str, village: str = VILLAGE
    ) -> dict[str, str]:
        return self.case(
            case_id,
            "case.intervention_closed",
            village,
            intervention_id=intervention_id,
            closed_on="2026-06-01",
        )

    def assign(self, case_id: str, assignee: str, village: str = VILLAGE) -> dict[str, str]:
        return self.case(case_id, "case.assigned", village, assignee=assignee)

    def close_case(self, case_id: str, village: str = VILLAGE) -> dict[str, str]:
        return self.case(
            case_id, "case.closed", village, reason="parents_returned", closed_on="2026-06-01"
        )

    def reopen(self, case_id: str, village: str = VILLAGE) -> dict[str, str]:
        return self.case(case_id, "case.reopened", village, reopened_on="2026-06-02")

    def emergency_access(
        self, case_id: str, username: str, role: str, scope: str, village: str = VILLAGE
    ) -> dict[str, str]:
        """Break-the-glass by `username` (who acts: the envelope's actor)."""
        version = self.versions.get(case_id, 0) + 1
        self.versions[case_id] = version
        payload = {"requester_scope": scope, "expires_at": "2026-03-01T08:00:00+00:00"}
        actor = {"username": username, "role": role, "request_id": "break-glass"}
        return self.entry(
            "case.emergency_access_granted",
            case_id,
            case_id,
            version,
            village,
            payload,
            actor=actor,
        )

    def case(
        self, case_id: str, event_type: str, village: str, schema_version: int = 1, **payload: Any
    ) -> dict[str, str]:
        version = self.versions.get(case_id, 0) + 1
        self.versions[case_id] = version
        return self.entry(event_type, case_id, case_id, version, village, payload, schema_version)

    # ---- entries -----------------------------------------------------------------------

    def entry(
        self,
        kind: str,
        aggregate_id: str,
        case_id: str,
        version: int,
        jurisdiction: str,
        payload: dict[str, Any],
        schema_version: int = 1,
        actor: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Builds the next contract-valid entry, checks it, and appends it."""
        self.day += timedelta(minutes=1)
        fields = {
            "event_id": f"{aggregate_id}:{version}",
            "position": str(self.position + 1),
            "previous_id": stream_id(self.position) if self.position else "0-0",
            "type": kind,
            "schema_version": str(schema_version),
            "aggregate_id": aggregate_id,
            "case_id": case_id,
            "case_version": str(version),
            "occurred_at": self.day.isoformat(),
            "jurisdiction": jurisdiction,
            "actor": json.dumps(actor or {**_ACTOR, "request_id": uuid.uuid4().hex}),
            "payload": json.dumps(payload, ensure_ascii=False),
        }
        parse_entry(fields)  # the helper itself must build what the contract accepts
        return self.append(fields)

    def append(self, fields: dict[str, str], *, position: int | None = None) -> dict[str, str]:
        """XADDs `fields` at the next position (or the given one), unchecked."""
        self.position = position or self.position + 1
        self.redis.xadd(self.stream, fields, id=stream_id(self.position))  # type: ignore[arg-type]
        return fields

    def _user(
        self, kind: str, username: str, schema_version: int = 1, **payload: Any
    ) -> dict[str, str]:
        aggregate = self.user_ids.setdefault(username, str(uuid.uuid4()))
        version = self.versions.get(aggregate, 0) + 1
        self.versions[aggregate] = version
        return self.entry(
            kind, aggregate, "", version, "", {"username": username, **payload}, schema_version
        )


def new_case_id() -> str:
    return str(uuid.uuid4())


def consumer(
    service: NotifyService,
    client: redis.Redis,
    stream: str,
    *,
    decoded: bool = True,
    **options: Any,
) -> Consumer:
    """A consumer that blocks briefly and does its upkeep on every run (tests are quick).
    Its client decodes replies as notify's process makes it do (`decoded=False`: a client
    that hands over bytes, which the consumer decodes itself)."""
    defaults: dict[str, Any] = {"consumer": "test-consumer", "block_ms": 10, "upkeep_seconds": 0.0}
    reader = decoding_twin(client) if decoded else client
    return Consumer(service, reader, stream, ConsumerOptions(**(defaults | options)))


def drain(c: Consumer, *, rounds: int = 50) -> int:
    """Runs the consumer until two rounds in a row do nothing (the upkeep alternates its
    own pending entries and the reclaim); returns how much it did."""
    total = idle = 0
    for _ in range(rounds):
        done = c.run_once()
        total += done
        idle = idle + 1 if done == 0 else 0
        if idle == 2:
            return total
    raise AssertionError("the consumer did not settle")


def inbox(service: NotifyService) -> list[dict[str, Any]]:
    with service.db.transaction() as tx:
        return tx.all("SELECT * FROM notifications ORDER BY id")


def recipients(service: NotifyService, kind: str, level: int = 1) -> set[str]:
    with service.db.transaction() as tx:
        rows = tx.all(
            "SELECT recipient FROM notifications WHERE kind = ? AND level = ?", (kind, level)
        )
    return {r["recipient"] for r in rows}


def outbox(service: NotifyService) -> list[dict[str, Any]]:
    with service.db.transaction() as tx:
        return tx.all("SELECT * FROM outbox ORDER BY id")


def pending_count(client: redis.Redis, stream: str, group: str = "notify") -> int:
    return int(client.xpending(stream, group)["pending"])


def crash_loop(client: redis.Redis, stream: str, *, times: int = 10, name: str = "crashy") -> None:
    """What a process that reads the pending entries and dies, again and again, leaves:
    entries delivered `times` times; the next delivery, the 11th, is dead-lettered."""
    with contextlib.suppress(redis.ResponseError):  # the group may exist already
        client.xgroup_create(stream, "notify", id="0")
    client.xreadgroup("notify", name, {stream: ">"})
    for _ in range(times - 1):
        client.xreadgroup("notify", name, {stream: "0"})


def entries(client: redis.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of `stream`, decoded."""
    rows: Any = client.xrange(stream)
    return [(i.decode(), {k.decode(): v.decode() for k, v in f.items()}) for i, f in rows]


def read_as(client: redis.Redis, stream: str, name: str) -> list[tuple[str, dict[str, str]]]:
    """XREADGROUP as consumer `name` (what a consumer that then dies has taken), decoded."""
    reply: Any = client.xreadgroup("notify", name, {stream: ">"}, count=1000)
    return [
        (i.decode(), {k.decode(): v.decode() for k, v in f.items()})
        for _, rows in reply
        for i, f in rows
    ]
