"""The mapper that seals a case's personal data under the case's own key.

Every personal leaf of a case event (domain/personal_data.py says which) is stored as
`{"$sealed": base64(nonce || AES-GCM(case key, JSON of the value))}`, bound to the case
and to the leaf's path, inside the stored state that the store's cipher encrypts as a
whole as before. A case snapshot's whole state is sealed the same way (a snapshot is
derived: after erasure the case is rebuilt from its events instead).

Reading back, a sealed leaf whose case key was destroyed (erasure) reads as None: the
event keeps its non-personal facts, so the case, the read models and the audit chain are
still rebuilt from it. Without a key store (the single-key setup) nothing is sealed, and
finding a sealed leaf is an error: the data is there, but not its key."""

from __future__ import annotations

import os
from base64 import b64decode, b64encode
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from ..domain import Case
from ..domain.personal_data import personal_fields, replace_leaves
from .store import CaseKeys

SEALED = "$sealed"
_NONCE = 12
CASE_TOPIC = get_topic(Case)
_EVENT_PREFIX = CASE_TOPIC + "."
SNAPSHOT_TOPIC = get_topic(Snapshot)


class CaseKeysMissingError(RuntimeError):
    """Raised when a sealed value is read by a process given no case-key store."""


class SealedSnapshotError(Exception):
    """Raised for a case snapshot whose key is gone: rebuild the case from its events."""


class SealingMapper(Mapper[UUID]):
    """eventsourcing's mapper, sealing case events' personal leaves under per-case keys
    when `case_keys` is set (Cases.use_case_keys)."""

    case_keys: CaseKeys | None = None

    # ---- writing --------------------------------------------------------------------------

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if self.case_keys is not None:
            sealed = self._sealed(domain_event)
            if sealed is not None:
                return super().to_stored_event(sealed)
        return super().to_stored_event(domain_event)

    def _sealed(self, domain_event: DomainEventProtocol[UUID]) -> Any:
        state = vars(domain_event)
        if isinstance(domain_event, Snapshot):
            if domain_event.topic != CASE_TOPIC:
                return None
            assert self.case_keys is not None
            box = _Box(self.case_keys.key_for_writing(domain_event.originator_id), self.transcoder)
            sealed = {
                **state,
                "state": box.seal(state["state"], domain_event.originator_id, "state"),
            }
        elif isinstance(domain_event, Case.Event):
            assert self.case_keys is not None
            case_id = domain_event.originator_id
            box = _Box(self.case_keys.key_for_writing(case_id), self.transcoder)
            name = type(domain_event).__name__
            sealed = dict(state)
            for field, paths in personal_fields(name, state):
                sealed[field] = replace_leaves(
                    state[field], paths, lambda v, where: box.seal(v, case_id, where), field
                )
        else:
            return None
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return copy

    # ---- reading --------------------------------------------------------------------------

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        if stored_event.topic.startswith(_EVENT_PREFIX) or stored_event.topic == SNAPSHOT_TOPIC:
            state = vars(event)
            opened = self.open_state(stored_event.topic, stored_event.originator_id, state)
            if opened is not state:
                object.__setattr__(event, "__dict__", opened)
        return event

    def open_state(self, topic: str, originator_id: Any, state: dict[str, Any]) -> dict[str, Any]:
        """`state` (a stored event's decoded content) with its sealed leaves opened, or
        None where the case's key is gone; `state` itself when nothing in it is sealed."""
        if topic == SNAPSHOT_TOPIC:
            inner = state.get("state")
            if not isinstance(inner, dict) or not _is_sealed(inner):
                return state
            case_id = _uuid(originator_id)
            key = self._key(case_id)
            if key is None:
                raise SealedSnapshotError(f"the key of case {case_id} is gone")
            return {**state, "state": _Box(key, self.transcoder).open(inner, case_id, "state")}
        if not topic.startswith(_EVENT_PREFIX) or not any(_has_sealed(v) for v in state.values()):
            return state
        case_id = _uuid(originator_id)
        key = self._key(case_id)
        box = None if key is None else _Box(key, self.transcoder)
        name = topic.removeprefix(_EVENT_PREFIX)
        opened = dict(state)
        for field, paths in personal_fields(name, state):
            opened[field] = replace_leaves(
                state[field],
                paths,
                lambda v, where: (
                    (None if box is None else box.open(v, case_id, where)) if _is_sealed(v) else v
                ),
                field,
            )
        return opened

    def _key(self, case_id: UUID) -> bytes | None:
        if self.case_keys is None:
            raise CaseKeysMissingError(
                "this store seals personal data per case, and this process has no case-key "
                "store (CARELEDGER_CASE_MASTER_KEYS)"
            )
        return self.case_keys.key_of(case_id)


class _Box:
    """AES-GCM under one case's key, each value bound to the case and its path, and
    encoded by the store's own transcoder (a snapshot holds dates and ids)."""

    def __init__(self, key: bytes, transcoder: Transcoder) -> None:
        self.aead = AESGCM(key)
        self.transcoder = transcoder

    def seal(self, value: Any, case_id: UUID, where: str) -> dict[str, str]:
        nonce = os.urandom(_NONCE)
        plain = self.transcoder.encode({"v": value})
        sealed = self.aead.encrypt(nonce, plain, _bound(case_id, where))
        return {SEALED: b64encode(nonce + sealed).decode()}

    def open(self, value: dict[str, str], case_id: UUID, where: str) -> Any:
        raw = b64decode(value[SEALED])
        plain = self.aead.decrypt(raw[:_NONCE], raw[_NONCE:], _bound(case_id, where))
        return self.transcoder.decode(plain)["v"]


def _bound(case_id: UUID, where: str) -> bytes:
    return case_id.bytes + where.encode()


def _is_sealed(value: Any) -> bool:
    return type(value) is dict and len(value) == 1 and SEALED in value


def _has_sealed(value: Any) -> bool:
    if type(value) is dict:
        return _is_sealed(value) or any(_has_sealed(v) for v in value.values())
    if type(value) is list:
        return any(_has_sealed(v) for v in value)
    return False


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
