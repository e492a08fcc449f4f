"""The mapper that seals a case's personal data under the case's own key.

The personal leaves of a case event (domain/personal_data.py says which) are taken out of
it, each left as null, and stored together beside the event's other fields as one
`"$personal": base64(nonce || AES-GCM(case key, {leaf path: value}))`, bound to the case
(where in the case's history it belongs is the audit chain's to prove: an event moved
reads as moved, not as unreadable); the stored state is then encrypted as a whole by the store's
cipher as before. One seal per event, not one per leaf: opening a case costs one
decryption more per event. A case snapshot's whole state is sealed the same way (a
snapshot is derived: after erasure the case is rebuilt from its events instead).

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

SEALED = "$sealed"  # a snapshot's state
PERSONAL = "$personal"  # an event's personal leaves
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
        assert self.case_keys is not None
        case_id = domain_event.originator_id
        if isinstance(domain_event, Snapshot):
            if domain_event.topic != CASE_TOPIC:
                return None
            box = _Box(self.case_keys.key_for_writing(case_id), self.transcoder)
            sealed = {**state, "state": {SEALED: box.seal(state["state"], case_id, "state")}}
        elif isinstance(domain_event, Case.Event):
            taken: dict[str, Any] = {}

            def take(value: Any, where: str) -> None:
                taken[where] = value

            sealed = dict(state)
            for field, paths in personal_fields(type(domain_event).__name__, state):
                sealed[field] = replace_leaves(state[field], paths, take, field)
            if not taken:
                return None
            box = _Box(self.case_keys.key_for_writing(case_id), self.transcoder)
            sealed[PERSONAL] = box.seal(taken, case_id, PERSONAL)
        else:
            return None
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return copy

    # ---- reading --------------------------------------------------------------------------

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        if PERSONAL in state or (
            stored_event.topic == SNAPSHOT_TOPIC and isinstance(state.get("state"), dict)
        ):
            opened = self.open_state(stored_event.topic, stored_event.originator_id, state)
            object.__setattr__(event, "__dict__", opened)
        return event

    def open_state(self, topic: str, originator_id: Any, state: dict[str, Any]) -> dict[str, Any]:
        """`state` (a stored event's decoded content) with its personal leaves put back,
        left null where the case's key is gone; `state` itself when nothing is sealed."""
        if topic == SNAPSHOT_TOPIC:
            inner = state.get("state")
            if not isinstance(inner, dict) or set(inner) != {SEALED}:
                return state
            case_id = _uuid(originator_id)
            key = self._key(case_id)
            if key is None:
                raise SealedSnapshotError(f"the key of case {case_id} is gone")
            return {
                **state,
                "state": _Box(key, self.transcoder).open(inner[SEALED], case_id, "state"),
            }
        if PERSONAL not in state:
            return state
        opened = dict(state)
        blob = opened.pop(PERSONAL)
        case_id = _uuid(originator_id)
        key = self._key(case_id)
        if key is None:  # erased: the leaves stay null
            return opened
        leaves = _Box(key, self.transcoder).open(blob, case_id, PERSONAL)
        for where, value in leaves.items():
            field, _, path = where.partition(".")
            opened[field] = _put(opened[field], path, value)
        return opened

    def _key(self, case_id: UUID) -> bytes | None:
        if self.case_keys is None:
            raise CaseKeysMissingError(
                "this store seals personal data per case, and this process has no case-key "
                "store (CARELEDGER_CASE_MASTER_KEYS)"
            )
        return self.case_keys.key_of(case_id)


class _Box:
    """AES-GCM under one case's key, each value bound to the case and to what it is (an
    event's personal leaves, a snapshot's state), encoded by the store's own transcoder (a snapshot
    holds dates and ids)."""

    def __init__(self, key: bytes, transcoder: Transcoder) -> None:
        self.aead = AESGCM(key)
        self.transcoder = transcoder

    def seal(self, value: Any, case_id: UUID, where: str) -> str:
        nonce = os.urandom(_NONCE)
        plain = self.transcoder.encode({"v": value})
        return b64encode(nonce + self.aead.encrypt(nonce, plain, _bound(case_id, where))).decode()

    def open(self, sealed: str, case_id: UUID, where: str) -> Any:
        raw = b64decode(sealed)
        plain = self.aead.decrypt(raw[:_NONCE], raw[_NONCE:], _bound(case_id, where))
        return self.transcoder.decode(plain)["v"]


def _bound(case_id: UUID, where: str) -> bytes:
    return case_id.bytes + where.encode()


def _put(node: Any, path: str, value: Any) -> Any:
    """`node` with the leaf at `path` (dotted; list items by index) set to `value`."""
    if not path:
        return value
    head, _, rest = path.partition(".")
    if isinstance(node, list):
        index = int(head)
        return [*node[:index], _put(node[index], rest, value), *node[index + 1 :]]
    return {**node, head: _put(node.get(head), rest, value)}


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
