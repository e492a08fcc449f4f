"""Replaying a case from an export: its events rebuilt into domain events by the domain's
own classes (and upcasters), applied in order up to a version or an instant, with no
database and no service (docs/auditors.md, "Replaying a case").

Each event used is checked first against its own link (its document rebuilt, its hash, the
chain from the event before it): a case whose chain does not hold is not replayed. Whether
the export as a whole is complete and sealed is `verify-export`'s question.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoder

from ..domain import Case
from .access_chain import GENESIS_HEX
from .verify_export import event_problem

_TAGS: dict[str, Callable[[str], Any]] = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$uuid": UUID,
    "$decimal": Decimal,
    "$float": float,
}


class ReplayError(Exception):
    """Raised when the case cannot be replayed from the export (absent, or its chain broken)."""


def denormalise(value: Any) -> Any:
    """The inverse of canonical.normalise: tagged values back to dates, UUIDs, …"""
    if isinstance(value, list):
        return [denormalise(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag in _TAGS:
                return _TAGS[tag](text)
        return {(k[1:] if k[:2] == "$$" else k): denormalise(v) for k, v in value.items()}
    return value


def events_of(lines: Iterable[str], case_id: UUID) -> list[dict[str, Any]]:
    """The case's exported events, in version order, each checked against its link."""
    wanted = str(case_id)
    found: list[dict[str, Any]] = []
    previous = GENESIS_HEX
    for text in lines:
        if wanted not in text:  # cheap: most lines are of other cases
            continue
        obj = json.loads(text)
        if obj.get("type") != "event" or obj.get("aggregate") != wanted:
            continue
        version = int(obj["version"])
        problem = event_problem(obj)
        if problem is None and version != len(found) + 1:
            problem = ("missing", f"event {len(found) + 1} is not in the export")
        if problem is None and obj["prev_hash"] != previous:
            problem = ("broken", "its link does not follow the link of the event before it")
        if problem is not None:
            raise ReplayError(f"event {version} of case {wanted}: {problem[0]}: {problem[1]}")
        previous = str(obj["hash"])
        found.append(obj)
    if not found:
        raise ReplayError(f"the export holds no event of case {wanted}")
    return found


def until(as_of: str | None) -> datetime | None:
    """An instant from `--as-of`: a date means the end of that day (UTC)."""
    if not as_of:
        return None
    try:
        instant = datetime.fromisoformat(as_of)
    except ValueError as error:
        raise ReplayError(f"--as-of: not a date or an ISO instant: {as_of!r}") from error
    if len(as_of) == 10:  # a date alone
        instant = datetime.combine(instant.date() + timedelta(days=1), time.min)
        instant -= timedelta(microseconds=1)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant


def replay(
    lines: Iterable[str],
    case_id: UUID,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    transcoder: Transcoder | None = None,
) -> Case:
    """The case as it stood at `version`, or at the instant `as_of`, or after all its
    exported events. `transcoder` is the application's (its registered types)."""
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder or JSONTranscoder())
    case: Any = None
    for obj in events_of(lines, case_id):
        state = denormalise(obj["state"])
        if version is not None and int(obj["version"]) > version:
            break
        if as_of is not None and state["timestamp"] > as_of:
            break
        assert mapper.transcoder is not None
        event: Any = mapper.to_domain_event(
            StoredEvent(
                case_id, int(obj["version"]), str(obj["topic"]), mapper.transcoder.encode(state)
            )
        )
        case = event.mutate(case)
    if case is None:
        raise ReplayError("the case had not been identified then")
    if version is not None and case.version < version:
        raise ReplayError(f"the case has no version {version} in the export")
    if not isinstance(case, Case):
        raise ReplayError("the events are not a case's")
    return case
