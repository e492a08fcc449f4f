"""Idempotent writes for clients on weak connections that retry.

The first answer to a write with an `Idempotency-Key` is kept as a small aggregate saved
in the same atomic append as the case's new events, so either both exist or neither:
a retry after a crash or a restart finds the record and gets the first answer back.
Two concurrent requests with one key collide on the record's version, and only one
writes. Records hold ids and versions only, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://careledger.example/idempotency")


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key for one write, and a fingerprint of the request it came with."""

    username: str
    key: str
    fingerprint: str

    @property
    def record_id(self) -> UUID:
        """Keys are per user: two users may pick the same key."""
        return uuid5(_NAMESPACE, f"{self.username}\n{self.key}")


class IdempotencyRecord(Aggregate):
    """The outcome of the first write made with a key."""

    @staticmethod
    def create_id(record_id: str, **_: Any) -> UUID:
        return UUID(record_id)

    @event("Recorded")
    def __init__(
        self,
        record_id: str,
        fingerprint: str,
        case_id: str,
        case_version: int,
        status: int,
        intervention_id: str | None,
    ) -> None:
        self.fingerprint = fingerprint
        self.case_id = case_id
        self.case_version = case_version
        self.status = status
        self.intervention_id = intervention_id


def new_record(
    key: IdempotencyKey,
    *,
    case_id: UUID,
    case_version: int,
    status: int,
    intervention_id: str | None,
) -> IdempotencyRecord:
    """A record of the answer about to be given to the write made with `key`."""
    return IdempotencyRecord(
        record_id=key.record_id.hex,
        fingerprint=key.fingerprint,
        case_id=str(case_id),
        case_version=case_version,
        status=status,
        intervention_id=intervention_id,
    )
