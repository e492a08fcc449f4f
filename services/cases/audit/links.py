"""Writing the chain: one link per event, inside the transaction that stores the events.

The mapper (`recorders.AuditMapper`) hands each stored event its timestamp and normalised
content; the recorder, once the events are inserted and their positions known, calls
`write_links` on the same cursor. So an event and its link are committed together or
not at all, and the aggregate's previous link is read under the same write lock that
orders the appends (SQLite's single writer; PostgreSQL's lock on the events table).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from shared.sql import Transaction

from . import canonical

CHAIN = "careledger_audit_chain"
SALTS = "careledger_audit_salts"
STATE = "careledger_audit_state"


@dataclass(frozen=True)
class EventFacts:
    """What the chain hashes of an event besides its ids: when, and its content."""

    timestamp: datetime
    content: Mapping[str, Any]  # normalised (canonical.normalise), personal fields in clear


@dataclass(frozen=True)
class ChainedStoredEvent(StoredEvent):
    """A stored event that carries its facts to the recorder (never stored as such)."""

    facts: EventFacts | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Link:
    """One row of the chain."""

    position: int
    aggregate: str
    version: int
    prev_hash: bytes
    hash: bytes
    document: bytes


def table(tx: Transaction, schema: str, name: str) -> str:
    """A chain table's name, qualified with the schema on PostgreSQL."""
    return f'"{schema}".{name}' if tx.postgres and schema else name


def facts_of(event: Any) -> EventFacts:
    """An aggregate event's facts, as the chain hashes them."""
    content = dict(vars(event))
    for key in ("originator_id", "originator_version", "timestamp"):
        content.pop(key)
    class_version = getattr(type(event), "class_version", 1)
    if class_version > 1:  # as eventsourcing's mapper stores it
        content["class_version"] = class_version
    return EventFacts(event.timestamp, canonical.normalise(content))


def facts_from_stored(mapper: Mapper[UUID], stored: StoredEvent) -> EventFacts:
    """An event's facts from its stored bytes: decrypted and decoded, not rebuilt into a
    domain object (which would upcast an old event and change what it says)."""
    data = stored.state
    if mapper.cipher:
        data = mapper.cipher.decrypt(data)
    if mapper.compressor:
        data = mapper.compressor.decompress(data)
    state = mapper.transcoder.decode(data)  # a new dict of its own
    # Sealed personal leaves opened under the case's key (keys/sealing.py); None where
    # the case was erased, whose digests verification then takes as stored.
    open_state = getattr(mapper, "open_state", None)
    if open_state is not None:
        state = open_state(stored.topic, stored.originator_id, state)
    timestamp = state.pop("timestamp")
    return EventFacts(timestamp, canonical.normalise(state))


def salt_for(tx: Transaction, schema: str, aggregate: str) -> bytes:
    """The aggregate's salt, made on its first event (under the append's write lock)."""
    salts = table(tx, schema, SALTS)
    found = tx.value(f"SELECT salt FROM {salts} WHERE originator_id = ?", (aggregate,))
    if found is not None:
        return bytes.fromhex(found)
    salt = secrets.token_bytes(32)
    tx.execute(f"INSERT INTO {salts} (originator_id, salt) VALUES (?, ?)", (aggregate, salt.hex()))
    return salt


def previous_hash(tx: Transaction, schema: str, aggregate: str, version: int) -> bytes:
    """The hash of the aggregate's link before `version` (the genesis for its first)."""
    if version <= 1:
        return canonical.GENESIS
    found = tx.value(
        f"SELECT hash FROM {table(tx, schema, CHAIN)} WHERE originator_id = ? AND version = ?",
        (aggregate, version - 1),
    )
    # A missing link is a gap verification names; the chain goes on from the genesis.
    return canonical.GENESIS if found is None else bytes.fromhex(found)


def link(
    tx: Transaction,
    schema: str,
    event: StoredEvent,
    facts: EventFacts,
    position: int,
    previous: bytes | None = None,
) -> Link:
    """The link of one stored event at `position` (not yet written)."""
    aggregate = str(UUID(str(event.originator_id)))
    version = event.originator_version
    if previous is None:
        previous = previous_hash(tx, schema, aggregate, version)
    document = canonical.document(
        aggregate=aggregate,
        version=version,
        topic=event.topic,
        timestamp=facts.timestamp,
        content=facts.content,
        # An aggregate with nothing personal (idempotency records) needs no salt.
        salt=salt_for(tx, schema, aggregate) if canonical.has_personal(facts.content) else b"",
    )
    return Link(
        position,
        aggregate,
        version,
        previous,
        canonical.chain_hash(previous, document),
        document,
    )


def insert(tx: Transaction, schema: str, links: Sequence[Link]) -> None:
    """Writes links."""
    tx.execute_many(
        f"INSERT INTO {table(tx, schema, CHAIN)} "
        "(position, originator_id, version, prev_hash, hash, document) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                item.position,
                item.aggregate,
                item.version,
                item.prev_hash.hex(),
                item.hash.hex(),
                item.document.decode("utf-8"),
            )
            for item in links
        ],
    )


def write_links(
    tx: Transaction,
    schema: str,
    events: Sequence[StoredEvent],
    positions: Sequence[int] | None,
) -> None:
    """Chains the events just inserted at `positions`, in the same transaction."""
    if not events:
        return
    if positions is None or len(positions) != len(events):
        raise RuntimeError("the event store did not return the events' positions")
    latest: dict[str, bytes] = {}  # an aggregate's newest hash within this append
    links: list[Link] = []
    for event, position in zip(events, positions, strict=True):
        facts = getattr(event, "facts", None)
        if facts is None:
            raise RuntimeError("an event reached the chained recorder without its facts")
        aggregate = str(UUID(str(event.originator_id)))
        made = link(tx, schema, event, facts, position, latest.get(aggregate))
        latest[aggregate] = made.hash
        links.append(made)
    insert(tx, schema, links)
