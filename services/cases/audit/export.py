"""The audit export: every event of a scope with its chain hashes, the checkpoints and the
public key, as JSON Lines an auditor verifies and replays away from the service
(docs/auditors.md, "The export").

One line per JSON object, in this order:

    {"type": "header", "format": "careledger-audit-export", "v": 1, "scope", "public_key",
     "exported_at", "head", "proven_from", "access_proven_from"}
    {"type": "checkpoint", "seq", "message", "signature"}            every checkpoint
    {"type": "event", "position", "aggregate", "version", "topic", "state", "salt",
     "prev_hash", "hash", "document"}                                 a case in the scope
    {"type": "link", "position", "hash"}                             any other event
    {"type": "access", "id", "prev_hash", "hash", "row"}             every access-log row
    {"type": "end", "events", "links", "access_rows"}

The log's lines come in position order and hold every link up to `head`: the running
hash of every checkpoint is recomputed from them, so an event removed from the export is
seen even outside the scope. Out of scope, a line holds only the position and the link's
hash (a hash over salted digests: nothing personal). In scope, `state` is the stored event
decoded and normalised (canonical.normalise: tagged dates, UUIDs, …) with its personal
fields in clear, and `salt` the case's salt, so the document can be rebuilt and the case
replayed; an access row's fields are given for the cases in scope only.

Memory stays flat in the number of events: pages of the log are read and written out one
at a time; what grows is the set of case ids in the scope (found first, from the events
that place a case: identification and transfer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent
from eventsourcing.utils import get_topic

from shared.jurisdictions import in_scope
from shared.sql import Database

from ..domain import Case
from . import canonical
from .access_chain import FIELDS
from .adopt import PROVEN_FROM
from .checkpoints import ACCESS_LOG, CHECKPOINTS
from .links import CHAIN, SALTS, STATE, facts_from_stored
from .verify import chain_head

FORMAT = "careledger-audit-export"
VERSION = 1
_PAGE = 2000
# The events that place a case in a division: its identification and its transfers.
# How a link's document names a case's event (its topic, in clear).
_CASE_MARK = '"topic":"' + get_topic(Case) + "."
_PLACING = tuple(get_topic(getattr(Case, name)) for name in ("Identified", "Transferred"))


def line(obj: dict[str, Any]) -> str:
    """One line of the export (compact JSON, UTF-8 text, a newline)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def jurisdiction_of(content: Any) -> str | None:
    """The division an event places its case in, if it says (normalised content)."""
    value = content.get("jurisdiction")
    if isinstance(value, str):
        return value
    record = content.get("record")
    address = record.get("address") if isinstance(record, dict) else None
    found = address.get("jurisdiction") if isinstance(address, dict) else None
    return found if isinstance(found, str) else None


class Exporter:
    """Writes the export of one scope of a store."""

    def __init__(
        self,
        db: Database,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        public_key: str,
    ) -> None:
        self.db = db
        self.recorder = recorder
        self.mapper = mapper
        self.public_key = public_key

    def head(self) -> int:
        """The newest linked position: what an export covers."""
        return chain_head(self.db)

    def placed(self, head: int) -> dict[str, str]:
        """Every case's division after the events up to `head`: id → division (a case
        whose identification no longer decodes, or is gone, is not placed)."""
        placed: dict[str, str] = {}
        start = 1
        while start <= head:
            page = self.recorder.select_notifications(start, _PAGE, stop=head, topics=_PLACING)
            for stored in page:
                try:
                    where = jurisdiction_of(facts_from_stored(self.mapper, stored).content)
                except Exception:  # undecodable: verification names it; it places nothing
                    continue
                if where is not None:
                    placed[str(UUID(str(stored.originator_id)))] = where
            if len(page) < _PAGE:
                break
            start = page[-1].id + 1
        return placed

    def lines(
        self,
        scope: str,
        on_progress: Callable[[int], None] = lambda _: None,
        on_cases: Callable[[dict[str, str]], None] = lambda _: None,
    ) -> Iterator[str]:
        """The export, line by line (module docstring). `on_cases` is told the scope's
        cases (id → division) before any line is yielded: the caller logs the read."""
        head = self.head()
        placed = self.placed(head)
        chosen = {c: w for c, w in placed.items() if not scope or in_scope(w, scope)}
        on_cases(chosen)
        cases = set(chosen)
        state = {
            r["name"]: r["value"]
            for r in self.db.query(f"SELECT name, value FROM {self.db.table(STATE)}")
        }
        yield line(
            {
                "type": "header",
                "format": FORMAT,
                "v": VERSION,
                "scope": scope,
                "public_key": self.public_key,
                "exported_at": datetime.now(UTC).isoformat(),
                "head": head,
                "proven_from": _int(state.get(PROVEN_FROM)),
                "access_proven_from": _int(state.get("access_proven_from")),
            }
        )
        for r in self.db.query(
            f"SELECT seq, message, signature FROM {self.db.table(CHECKPOINTS)} ORDER BY seq"
        ):
            yield line(
                {
                    "type": "checkpoint",
                    "seq": int(r["seq"]),
                    "message": str(r["message"]),
                    "signature": str(r["signature"]),
                }
            )
        events = links = 0
        for chunk in self._log(head, cases, set(placed), on_progress):
            for obj in chunk:
                if obj["type"] == "event":
                    events += 1
                if obj.get("hash"):
                    links += 1
                yield line(obj)
        access = 0
        for obj in self._access(cases):
            access += 1
            yield line(obj)
        yield line({"type": "end", "events": events, "links": links, "access_rows": access})

    # ---- the log ----------------------------------------------------------------------------

    def _log(
        self,
        head: int,
        cases: set[str],
        placed: set[str],
        on_progress: Callable[[int], None],
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of log lines: the links in position order, merged with the stored events of
        the cases in scope (an event without its link, or a link without its event, is
        exported as found: verifying the export names it)."""
        after = 0
        while after < head:
            links = self.db.query(
                f"SELECT position, originator_id, version, prev_hash, hash, document "
                f"FROM {self.db.table(CHAIN)} WHERE position > ? AND position <= ? "
                f"ORDER BY position LIMIT {_PAGE}",
                (after, head),
            )
            upto = int(links[-1]["position"]) if len(links) == _PAGE else head
            stored = self._events(after + 1, upto, cases)
            salts = self._salts(
                {str(r["originator_id"]) for r in links} | {_id(s) for s in stored.values()}, cases
            )
            out: list[dict[str, Any]] = []
            for r in links:
                position = int(r["position"])
                aggregate = str(r["originator_id"])
                event = stored.pop(position, None)
                if aggregate not in placed and _CASE_MARK in str(r["document"]):
                    # A case no division can be read for (its identification gone or
                    # changed): it cannot be left out as "another scope's" unseen.
                    out.append(
                        {**self._event_line(position, None, r, {}, aggregate), "unplaced": True}
                    )
                    continue
                if aggregate not in cases and event is None:
                    out.append({"type": "link", "position": position, "hash": str(r["hash"])})
                    continue
                if event is not None and _id(event) != aggregate:
                    # the link is of another aggregate than the event at its place
                    out.append({"type": "link", "position": position, "hash": str(r["hash"])})
                    out.append(self._event_line(position, event, None, salts))
                    continue
                out.append(self._event_line(position, event, r, salts, aggregate))
            for position, event in stored.items():  # events of the scope without a link
                out.append(self._event_line(position, event, None, salts))
            out.sort(key=lambda o: o["position"])
            yield out
            on_progress(upto)
            after = upto

    def _events(self, start: int, stop: int, cases: set[str]) -> dict[int, StoredEvent]:
        found: dict[int, StoredEvent] = {}
        while start <= stop:
            page = self.recorder.select_notifications(start, _PAGE, stop=stop)
            for n in page:
                if _id(n) in cases:
                    found[n.id] = n
            if len(page) < _PAGE:
                break
            start = page[-1].id + 1
        return found

    def _salts(self, aggregates: set[str], cases: set[str]) -> dict[str, str]:
        wanted = sorted(aggregates & cases)
        salts: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" for _ in part)
            for r in self.db.query(
                f"SELECT originator_id, salt FROM {self.db.table(SALTS)} "
                f"WHERE originator_id IN ({marks})",
                tuple(part),
            ):
                salts[str(r["originator_id"])] = str(r["salt"])
        return salts

    def _event_line(
        self,
        position: int,
        event: StoredEvent | None,
        link: dict[str, Any] | None,
        salts: dict[str, str],
        aggregate: str | None = None,
    ) -> dict[str, Any]:
        state: dict[str, Any] | None = None
        unreadable = False
        if event is not None:
            aggregate = _id(event)
            try:
                facts = facts_from_stored(self.mapper, event)
                state = {"timestamp": canonical.normalise(facts.timestamp), **facts.content}
            except Exception:  # changed bytes: exported without its state, named on verifying
                unreadable = True
        assert aggregate is not None
        out: dict[str, Any] = {
            "type": "event",
            "position": position,
            "aggregate": aggregate,
            "version": event.originator_version
            if event is not None
            else int(link["version"])
            if link
            else None,
            "topic": event.topic if event is not None else None,
            "state": state,
            "salt": salts.get(aggregate),
            "prev_hash": str(link["prev_hash"]) if link else None,
            "hash": str(link["hash"]) if link else None,
            "document": str(link["document"]) if link else None,
        }
        if unreadable:
            out["undecryptable"] = True
        return out

    # ---- the access log ---------------------------------------------------------------------

    def _access(self, cases: set[str]) -> Iterator[dict[str, Any]]:
        after = 0
        while True:
            rows = self.db.query(
                f"SELECT * FROM {self.db.table(ACCESS_LOG)} WHERE id > ? ORDER BY id LIMIT {_PAGE}",
                (after,),
            )
            for r in rows:
                obj: dict[str, Any] = {
                    "type": "access",
                    "id": int(r["id"]),
                    "prev_hash": str(r["prev_hash"]),
                    "hash": str(r["hash"]),
                }
                if str(r["case_id"]) in cases:
                    obj["row"] = {name: r[name] for name in FIELDS}
                yield obj
            if len(rows) < _PAGE:
                return
            after = int(rows[-1]["id"])


def _id(event: StoredEvent) -> str:
    oid = event.originator_id  # a UUID from both recorders: parsed again only if not
    return str(oid) if isinstance(oid, UUID) else str(UUID(str(oid)))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
