"""Verification: recompute every link from the stored events, every aggregate's chain,
the running hash at every checkpoint and its signature, and the access log's chain; name
what fails (docs/auditors.md, "What verification reports").

One pass over the log in position order, merging the events with their links: per
aggregate the first event that fails and why; for the whole log the first checkpoint
that fails and why; for the access log the first row that fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import ApplicationRecorder, Mapper, StoredEvent

from shared.jurisdictions import in_scope
from shared.sql import Database

from . import canonical, keys
from .access_chain import GENESIS_HEX, row_hash
from .adopt import PROVEN_FROM
from .checkpoints import ACCESS_LOG, CHECKPOINTS, Checkpoint, fold
from .links import CHAIN, SALTS, STATE, facts_from_stored

_PAGE = 2000


@dataclass(frozen=True)
class Finding:
    """The first thing wrong with one aggregate (a case, a user, …)."""

    aggregate: str
    kind: str  # the aggregate's class: Case, User, UserRequest, IdempotencyRecord
    version: int
    position: int | None
    problem: str  # a stable code: changed, undecryptable, deleted, unlinked, …
    detail: str

    def line(self) -> str:
        where = f"position {self.position}" if self.position is not None else "no position"
        return (
            f"{self.kind} {self.aggregate} event {self.version} ({where}): "
            f"{self.problem}: {self.detail}"
        )


@dataclass(frozen=True)
class LogFinding:
    """Something wrong with the whole log, a checkpoint or the access log."""

    subject: str  # "checkpoint 3", "access log row 17"
    problem: str
    detail: str

    def line(self) -> str:
        return f"{self.subject}: {self.problem}: {self.detail}"


@dataclass
class Report:
    """What verification found."""

    scope: str
    events: int = 0
    aggregates: int = 0
    checkpoints: int = 0
    access_rows: int = 0
    proven_from: int | None = None  # links from this position were written with their events
    access_proven_from: int | None = None
    sealed_to: int = 0  # the position the newest good checkpoint covers
    unsealed: int = 0  # links after it (not yet protected against removal)
    erased: int = 0  # aggregates without a salt: their personal fields' digests taken as stored
    cases: list[Finding] = field(default_factory=list)
    log: list[LogFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.cases and not self.log

    def problems(self) -> list[str]:
        """One line per finding, the log's first."""
        return [f.line() for f in self.log] + [f.line() for f in self.cases]

    def summary(self) -> str:
        """The one-line summary."""
        scope = f" in scope {self.scope}" if self.scope else ""
        head = (
            f"audit verify{scope}: {self.events} events, {self.aggregates} aggregates, "
            f"{self.checkpoints} checkpoints, {self.access_rows} access-log rows"
        )
        proven = f"chain proven from position {self.proven_from}" if self.proven_from else ""
        sealed = f"checkpoints verify to position {self.sealed_to}, {self.unsealed} events after it"
        verdict = "all verified" if self.ok else f"{len(self.problems())} problems"
        erased = f"; {self.erased} erased (personal fields as stored)" if self.erased else ""
        return f"{head}: {verdict}; {proven}; {sealed}{erased}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "scope": self.scope,
            "events": self.events,
            "aggregates": self.aggregates,
            "checkpoints": self.checkpoints,
            "access_rows": self.access_rows,
            "proven_from": self.proven_from,
            "access_proven_from": self.access_proven_from,
            "sealed_to": self.sealed_to,
            "unsealed": self.unsealed,
            "erased": self.erased,
            "cases": [f.__dict__ for f in self.cases],
            "log": [f.__dict__ for f in self.log],
            "summary": self.summary(),
        }


@dataclass
class _Aggregate:
    kind: str
    version: int = 0
    hash: str = GENESIS_HEX
    jurisdiction: str | None = None
    failure: Finding | None = None
    erased: bool = False  # its salt is gone: personal fields taken as stored


@dataclass(frozen=True)
class _Link:
    position: int
    aggregate: str
    version: int
    prev_hash: str
    hash: str
    document: str


class Verifier:
    """One verification run over a store."""

    def __init__(
        self,
        db: Database,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        public_key: Ed25519PublicKey,
    ) -> None:
        self.db = db
        self.recorder = recorder
        self.mapper = mapper
        self.public_key = public_key

    def head(self) -> int:
        """The newest linked position: what a run covers."""
        return chain_head(self.db)

    def run(self, scope: str = "", on_progress: Callable[[int], None] = lambda _: None) -> Report:
        """Verifies everything up to the current head; `scope` limits the cases reported."""
        report = Report(scope)
        head = self.head()
        salts = {
            r["originator_id"]: bytes.fromhex(r["salt"])
            for r in self.db.query(f"SELECT originator_id, salt FROM {self.db.table(SALTS)}")
        }
        state = {
            r["name"]: r["value"]
            for r in self.db.query(f"SELECT name, value FROM {self.db.table(STATE)}")
        }
        report.proven_from = int(state[PROVEN_FROM]) if PROVEN_FROM in state else None
        if "access_proven_from" in state:
            report.access_proven_from = int(state["access_proven_from"])
        checkpoints = self._checkpoints(report)
        targets = sorted({c.position for c in checkpoints})
        at_target: dict[int, tuple[bytes, int, int]] = {}  # position → (running, count, last)
        aggregates: dict[str, _Aggregate] = {}
        running, count, last_position, t = canonical.GENESIS, 0, 0, 0
        for position, event, link in self._merged(head, on_progress):
            while t < len(targets) and targets[t] < position:
                at_target[targets[t]] = (running, count, last_position)
                t += 1
            if link is not None:
                running = _fold(running, position, link.hash)
                count += 1
                last_position = position
            self._check_event(position, event, link, aggregates, salts)
            report.events += 1
        for target in targets[t:]:
            at_target[target] = (running, count, last_position)
        self._log_end = last_position
        self._check_checkpoints(report, checkpoints, at_target)
        self._check_access_log(report, checkpoints)
        for aggregate in aggregates.values():
            if scope and (aggregate.kind != "Case" or not _within(aggregate.jurisdiction, scope)):
                continue
            report.aggregates += 1
            report.erased += aggregate.erased
            if aggregate.failure is not None:
                report.cases.append(aggregate.failure)
        report.unsealed = count - (at_target[report.sealed_to][1] if report.sealed_to else 0)
        return report

    # ---- the events and their links -------------------------------------------------------

    def _merged(
        self, head: int, on_progress: Callable[[int], None]
    ) -> Iterator[tuple[int, StoredEvent | None, _Link | None]]:
        events = self._events(head, on_progress)
        links = self._links(head)
        event, link = next(events, None), next(links, None)
        while event is not None or link is not None:
            event_at = event[0] if event else None
            link_at = link.position if link else None
            if link_at is None or (event_at is not None and event_at < link_at):
                assert event is not None
                yield event[0], event[1], None
                event = next(events, None)
            elif event_at is None or link_at < event_at:
                yield link_at, None, link
                link = next(links, None)
            else:
                assert event is not None
                yield link_at, event[1], link
                event, link = next(events, None), next(links, None)

    def _events(
        self, head: int, on_progress: Callable[[int], None]
    ) -> Iterator[tuple[int, StoredEvent]]:
        start = 1
        while start <= head:
            page = self.recorder.select_notifications(start, _PAGE, stop=head)
            for n in page:
                yield n.id, n
            if len(page) < _PAGE:
                on_progress(head)
                return
            start = page[-1].id + 1
            on_progress(page[-1].id)

    def _links(self, head: int) -> Iterator[_Link]:
        after = 0
        statement = (
            f"SELECT position, originator_id, version, prev_hash, hash, document "
            f"FROM {self.db.table(CHAIN)} WHERE position > ? AND position <= ? "
            f"ORDER BY position LIMIT {_PAGE}"
        )
        while True:
            with self.db.transaction(write=False) as tx:
                # The driver's rows as they come (sqlite3.Row or psycopg's dict): no copy.
                tx.cursor.execute(tx.dialect.sql(statement), (after, head))
                rows = tx.cursor.fetchall()
            for r in rows:
                yield _Link(
                    int(r["position"]),
                    str(r["originator_id"]),
                    int(r["version"]),
                    str(r["prev_hash"]),
                    str(r["hash"]),
                    str(r["document"]),
                )
            if len(rows) < _PAGE:
                return
            after = int(rows[-1]["position"])

    def _check_event(
        self,
        position: int,
        event: StoredEvent | None,
        link: _Link | None,
        aggregates: dict[str, _Aggregate],
        salts: dict[str, bytes],
    ) -> None:
        if event is not None:
            key = _id(event.originator_id)
            version = event.originator_version
        else:
            assert link is not None
            key, version = link.aggregate, link.version
        aggregate = aggregates.get(key)
        if aggregate is None:
            kind = _kind(event.topic) if event else _kind_of_document(link.document)  # type: ignore[union-attr]
            aggregate = aggregates[key] = _Aggregate(kind)

        def fail(problem: str, detail: str) -> None:
            if aggregate.failure is None:
                aggregate.failure = Finding(key, aggregate.kind, version, position, problem, detail)

        if link is not None and (link.aggregate, link.version) != (key, version):
            fail("moved", f"the link at this position is for {link.aggregate} event {link.version}")
            link = None
        if version > aggregate.version + 1:
            missing = f"{aggregate.version + 1}" + (
                f" to {version - 1}" if version - 1 > aggregate.version + 1 else ""
            )
            fail("missing", f"event {missing} of this aggregate was removed with its link")
        elif version <= aggregate.version:
            fail("duplicated", f"a second event {version} follows event {aggregate.version}")
        if event is None:
            fail("deleted", "the event was removed; its link remains")
        elif link is None:
            fail("unlinked", "the event has no link: it was written outside the service")
        else:
            self._check_content(event, link, salts.get(key), fail, aggregate)
        if link is not None:
            if link.prev_hash != aggregate.hash and version == aggregate.version + 1:
                fail("broken", "its link does not follow the link of the event before it")
            if _sha256(link.prev_hash, link.document.encode("utf-8")) != link.hash:
                fail("link_altered", "its link's hash is not the hash of its document")
            aggregate.hash = link.hash
        aggregate.version = max(aggregate.version, version)

    def _check_content(
        self,
        event: StoredEvent,
        link: _Link,
        salt: bytes | None,
        fail: Callable[[str, str], None],
        aggregate: _Aggregate,
    ) -> None:
        try:
            facts = facts_from_stored(self.mapper, event)
        except Exception:  # the stored bytes, not the code: AES-GCM's tag, JSON, …
            fail("undecryptable", "its stored bytes were changed: they no longer decode")
            return
        aggregate.jurisdiction = _jurisdiction(facts.content) or aggregate.jurisdiction
        known: dict[str, Any] | None = None
        if salt is None and canonical.has_personal(facts.content):
            # Erased (the salt deleted with the child's data): the personal fields' stored
            # digests stand; the clear fields, the order and the hashes are still checked.
            aggregate.erased = True
            try:
                known = json.loads(link.document)["content"]
            except (ValueError, KeyError, TypeError):
                known = {}
        key = _id(event.originator_id)

        def document(version: int) -> bytes:
            return canonical.document(
                aggregate=key,
                version=version,
                topic=event.topic,
                timestamp=facts.timestamp,
                content=facts.content,
                salt=salt or b"",
                known=known,
            )

        if document(event.originator_version) == link.document.encode("utf-8"):
            return
        for other in self.db.query(
            f"SELECT version, document FROM {self.db.table(CHAIN)} "
            "WHERE originator_id = ? AND version <> ?",
            (key, event.originator_version),
        ):
            if document(int(other["version"])) == str(other["document"]).encode("utf-8"):
                fail(
                    "reordered",
                    f"it holds what was written as event {other['version']} "
                    "(events swapped or moved)",
                )
                return
        fail("changed", "its content is not what was written (it differs from its link)")

    # ---- checkpoints and the access log ----------------------------------------------------

    def _checkpoints(self, report: Report) -> list[Checkpoint]:
        rows = self.db.query(
            f"SELECT seq, message, signature FROM {self.db.table(CHECKPOINTS)} ORDER BY seq"
        )
        report.checkpoints = len(rows)
        parsed: list[Checkpoint] = []
        for r in rows:
            try:
                parsed.append(Checkpoint.parse(int(r["seq"]), r["message"], r["signature"]))
            except ValueError:
                parsed.append(_unreadable(int(r["seq"]), r["message"], r["signature"]))
        self._seqs = [int(r["seq"]) for r in rows]
        return parsed

    def _check_checkpoints(
        self,
        report: Report,
        checkpoints: list[Checkpoint],
        at_target: dict[int, tuple[bytes, int, int]],
    ) -> None:
        previous = GENESIS_HEX
        for seq, checkpoint in zip(self._seqs, checkpoints, strict=True):
            problems = self._checkpoint_problems(seq, checkpoint, previous, at_target)
            if problems:
                report.log += [LogFinding(f"checkpoint {seq}", p, d) for p, d in problems]
                return
            previous = checkpoint.digest
            report.sealed_to = checkpoint.position

    def _checkpoint_problems(
        self,
        seq: int,
        checkpoint: Checkpoint,
        previous: str,
        at_target: dict[int, tuple[bytes, int, int]],
    ) -> list[tuple[str, str]]:
        if checkpoint.seq < 0:
            return [("unreadable", "its message is not a checkpoint's")]
        problems: list[tuple[str, str]] = []
        if not keys.verifies(self.public_key, checkpoint.message, checkpoint.signature):
            problems.append(
                (
                    "bad_signature",
                    "its signature does not verify with the service's public key "
                    "(forged, or re-signed with another key)",
                )
            )
        if checkpoint.seq != seq:
            problems.append(
                ("replaced", f"the row holds the signed message of checkpoint {checkpoint.seq}")
            )
        elif checkpoint.previous != previous:
            problems.append(
                (
                    "out_of_sequence",
                    "it does not follow the checkpoint before it (one was replaced or removed)",
                )
            )
        running, count, _ = at_target[checkpoint.position]
        if self._log_end < checkpoint.position and count < checkpoint.events:
            problems.append(
                (
                    "truncated",
                    f"the log ends at position {self._log_end}, before position "
                    f"{checkpoint.position} "
                    f"sealed: the newest {checkpoint.events - count} events were removed",
                )
            )
        elif count < checkpoint.events:
            problems.append(
                (
                    "events_removed",
                    f"{checkpoint.events - count} events sealed up to position "
                    f"{checkpoint.position} are gone (removed with their links: a whole case "
                    "or a case's last events)",
                )
            )
        elif count > checkpoint.events:
            problems.append(
                (
                    "events_added",
                    f"{count - checkpoint.events} events up to position {checkpoint.position} "
                    "were not there when it was sealed",
                )
            )
        elif running.hex() != checkpoint.log_hash:
            problems.append(
                (
                    "log_changed",
                    f"the links up to position {checkpoint.position} hash differently from "
                    "what was sealed (changed or reordered)",
                )
            )
        return problems

    def _check_access_log(self, report: Report, checkpoints: list[Checkpoint]) -> None:
        sealed = {c.access_id: c for c in checkpoints if c.seq >= 0}
        previous, count, after = GENESIS_HEX, 0, 0
        first: LogFinding | None = None
        seen: dict[int, tuple[int, str]] = {}  # access_id sealed → (rows, hash) found
        while True:
            rows = self.db.query(
                f"SELECT * FROM {self.db.table(ACCESS_LOG)} WHERE id > ? ORDER BY id LIMIT {_PAGE}",
                (after,),
            )
            for row in rows:
                count += 1
                subject = f"access log row {row['id']}"
                if first is None and row["prev_hash"] != previous:
                    first = LogFinding(
                        subject,
                        "row_removed",
                        "it does not follow the row before it "
                        "(a row before it was removed or changed)",
                    )
                if first is None and row["hash"] != _access_hash(row):
                    first = LogFinding(
                        subject, "row_changed", "its fields are not what was written"
                    )
                previous = str(row["hash"])
                if int(row["id"]) in sealed:
                    seen[int(row["id"])] = (count, previous)
            if len(rows) < _PAGE:
                break
            after = int(rows[-1]["id"])
        report.access_rows = count
        if first is not None:
            report.log.append(first)
        sealed_checkpoints = [
            (seq, c) for seq, c in zip(self._seqs, checkpoints, strict=True) if c.seq >= 0
        ]
        finding = sealed_access_finding(sealed_checkpoints, seen, missing="is gone")
        if finding is not None:
            report.log.append(finding)


def chain_head(db: Database) -> int:
    """The newest linked position of the log: what a verification or an export covers."""
    rows = db.query(f"SELECT COALESCE(MAX(position), 0) AS head FROM {db.table(CHAIN)}")
    return int(rows[0]["head"])


def sealed_access_finding(
    checkpoints: Iterable[tuple[int, Checkpoint]],
    seen: dict[int, tuple[int, str]],
    *,
    missing: str,
) -> LogFinding | None:
    """The first checkpoint whose sealed access log is not what was read: `seen` maps a
    sealed row's id to (rows up to it, its hash) as found in the store or an export; the
    same rule for both. `missing` says where a sealed row is not ("is gone")."""
    for seq, checkpoint in checkpoints:
        if checkpoint.access_id == 0:
            continue
        found = seen.get(checkpoint.access_id)
        if found is None:
            return LogFinding(
                f"checkpoint {seq}",
                "access_truncated",
                f"access-log row {checkpoint.access_id} it sealed {missing}",
            )
        rows, row_hash = found
        if rows != checkpoint.access_rows or row_hash != checkpoint.access_hash:
            return LogFinding(
                f"checkpoint {seq}",
                "access_changed",
                f"the access log up to row {checkpoint.access_id} is not what was "
                f"sealed ({checkpoint.access_rows - rows} rows fewer)",
            )
    return None


def _fold(running: bytes, position: int, link_hash: str) -> bytes:
    try:
        return fold(running, position, link_hash)
    except ValueError:  # a link hash that is not hex: whatever it folds to, it was altered
        return hashlib.sha256(running + link_hash.encode("utf-8")).digest()


def _sha256(previous_hex: str, data: bytes) -> str | None:
    """SHA-256 over a previous hash and data; None when the stored hash is not hex."""
    try:
        return hashlib.sha256(bytes.fromhex(previous_hex) + data).hexdigest()
    except (TypeError, ValueError):
        return None


def _access_hash(row: dict[str, Any]) -> str | None:
    try:
        return row_hash(str(row["prev_hash"]), row)
    except (TypeError, ValueError):  # not hex (a row written past the chain): changed
        return None


def _id(originator_id: UUID | str) -> str:
    return str(originator_id) if isinstance(originator_id, UUID) else str(UUID(originator_id))


def _unreadable(seq: int, message: str, signature: str) -> Checkpoint:
    return Checkpoint(-1, 0, 0, "", 0, 0, "", "", "", message.encode(), signature)


def _kind(topic: str) -> str:
    # "services.cases.domain.case:Case.Visited" → "Case"
    return topic.rsplit(":", 1)[-1].split(".", 1)[0]


def _kind_of_document(document: str) -> str:
    try:
        return _kind(str(json.loads(document)["topic"]))
    except (ValueError, KeyError, TypeError):
        return "?"


def _jurisdiction(content: Any) -> str | None:
    value = content.get("jurisdiction")
    if isinstance(value, str):
        return value
    record = content.get("record")
    if isinstance(record, dict):
        address = record.get("address")
        if isinstance(address, dict) and isinstance(address.get("jurisdiction"), str):
            return str(address["jurisdiction"])
    return None


def _within(jurisdiction: str | None, scope: str) -> bool:
    return jurisdiction is not None and in_scope(jurisdiction, scope)
