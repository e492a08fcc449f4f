"""Verifying an export offline: with the file alone (and, better, the public key obtained
apart from it), neither the database nor the service (docs/auditors.md, "The export").

One pass over the lines, holding only the checkpoints and, per case in the export, its
newest version and hash. The same rules as the store's verification (verify.py), applied to
what the export says: each case's events rebuild their documents and chain; the links of the
whole log fold into the running hash every checkpoint signed; the access log chains; the
file ends with the line that counts it. Findings reuse the store report's names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from . import canonical, keys
from .access_chain import GENESIS_HEX, row_hash
from .checkpoints import Checkpoint, fold
from .export import FORMAT
from .verify import Finding, LogFinding, Report, sealed_access_finding


class ExportFormatError(ValueError):
    """Raised when a file is not an audit export at all."""


@dataclass
class _Case:
    version: int = 0
    hash: str = GENESIS_HEX
    position: int = 0
    failure: Finding | None = None


def kind_of(topic: str | None) -> str:
    """`services.cases.domain.case:Case.Visited` → `Case`."""
    return (topic or "?").rsplit(":", 1)[-1].split(".", 1)[0]


def document_of(event: dict[str, Any]) -> bytes:
    """An exported event's canonical document, rebuilt from its state and salt. Without a
    salt (erased, or nothing personal) personal fields take the digests the stored document
    holds, so the clear fields, the order and the hashes are still checked (as verify.py)."""
    content = dict(event["state"])
    timestamp = datetime.fromisoformat(content.pop("timestamp")["$datetime"])
    salt = event.get("salt")
    known = None
    if salt is None and canonical.has_personal(content):
        known = json.loads(str(event["document"]))["content"]
    return canonical.document(
        aggregate=str(event["aggregate"]),
        version=int(event["version"]),
        topic=str(event["topic"]),
        timestamp=timestamp,
        content=content,
        salt=bytes.fromhex(salt) if salt is not None else b"",
        known=known,
    )


def event_problem(event: dict[str, Any]) -> tuple[str, str] | None:
    """What is wrong with one exported event on its own, if anything."""
    if event.get("unplaced"):
        return (
            "unplaced",
            "a case whose division cannot be read from its events (its identification is "
            "gone or changed): exported without its events",
        )
    if event.get("undecryptable"):
        return ("undecryptable", "its stored bytes were changed: they no longer decode")
    if event.get("state") is None:
        return ("deleted", "the export holds its link but not the event")
    if event.get("hash") is None:
        return ("unlinked", "the event has no link: it was written outside the service")
    try:
        rebuilt = document_of(event)
    except (KeyError, TypeError, ValueError, AttributeError, canonical.NotEncodableError):
        return ("changed", "its state is not an event's state any more")
    if rebuilt != str(event["document"]).encode("utf-8"):
        return ("changed", "its content is not what was written (it differs from its link)")
    recomputed = hashlib.sha256(
        bytes.fromhex(str(event["prev_hash"])) + str(event["document"]).encode("utf-8")
    ).hexdigest()
    if recomputed != event["hash"]:
        return ("link_altered", "its link's hash is not the hash of its document")
    return None


class ExportVerifier:
    """One verification of one export."""

    def __init__(self, public_key: str | None = None) -> None:
        self.expected_key = public_key  # the key the auditor was given apart from the file

    def run(self, lines: Iterable[str]) -> Report:
        report = Report("")
        stream = iter(enumerate(lines, start=1))
        header = self._header(stream)
        report.scope = str(header.get("scope", ""))
        report.proven_from = header.get("proven_from")
        report.access_proven_from = header.get("access_proven_from")
        key_text = str(header.get("public_key", ""))
        if self.expected_key and self.expected_key.strip() != key_text:
            report.log.append(
                LogFinding(
                    "header",
                    "wrong_key",
                    "the export names another public key than the one you were given",
                )
            )
            key_text = self.expected_key.strip()
        public = keys.public_key(key_text)
        checkpoints: list[tuple[int, Checkpoint | None, str]] = []
        cases: dict[str, _Case] = {}
        targets: list[int] = []
        at_target: dict[int, tuple[bytes, int, int]] = {}
        running, count, last, t = canonical.GENESIS, 0, 0, 0
        access_prev, access_count = GENESIS_HEX, 0
        access_seen: dict[int, tuple[int, str]] = {}
        access_first: LogFinding | None = None
        end: dict[str, Any] | None = None
        events = 0
        for number, obj in self._objects(stream, report):
            kind = obj.get("type")
            if end is not None:
                report.log.append(LogFinding(f"line {number}", "after_end", "lines follow the end"))
                break
            if kind == "checkpoint":
                checkpoints.append(self._checkpoint(obj))
                targets = sorted({c.position for _, c, _ in checkpoints if c is not None})
                continue
            if kind in ("event", "link"):
                position = int(obj["position"])
                if position <= last and obj.get("hash"):
                    self._case_fail(
                        cases,
                        obj,
                        "reordered",
                        f"it comes after position {last} in the export: events swapped or moved",
                    )
                while t < len(targets) and targets[t] < position:
                    at_target[targets[t]] = (running, count, last)
                    t += 1
                if obj.get("hash"):
                    running = fold(running, position, str(obj["hash"]))
                    count += 1
                    last = max(last, position)
                if kind == "event":
                    events += 1
                    self._event(obj, cases)
                continue
            if kind == "access":
                access_count += 1
                subject = f"access log row {obj['id']}"
                if access_first is None and obj["prev_hash"] != access_prev:
                    access_first = LogFinding(
                        subject,
                        "row_removed",
                        "it does not follow the row before it "
                        "(a row before it was removed or changed)",
                    )
                row = obj.get("row")
                if (
                    access_first is None
                    and row is not None
                    and obj["hash"] != row_hash(str(obj["prev_hash"]), row)
                ):
                    access_first = LogFinding(
                        subject, "row_changed", "its fields are not what was written"
                    )
                access_prev = str(obj["hash"])
                access_seen[int(obj["id"])] = (access_count, access_prev)
                continue
            if kind == "end":
                end = obj
                continue
            report.log.append(
                LogFinding(f"line {number}", "unknown_line", f"a line of type {kind!r}")
            )
        for target in targets[t:]:
            at_target[target] = (running, count, last)
        self._check_checkpoints(report, public, checkpoints, at_target, last)
        if access_first is not None:
            report.log.append(access_first)
        self._check_access(report, checkpoints, access_seen)
        self._check_end(report, end, events, count, access_count)
        report.events = events
        report.checkpoints = len(checkpoints)
        report.access_rows = access_count
        report.aggregates = len(cases)
        report.cases = [c.failure for c in cases.values() if c.failure is not None]
        sealed = at_target.get(report.sealed_to)
        report.unsealed = count - (sealed[1] if sealed and report.sealed_to else 0)
        return report

    # ---- reading -------------------------------------------------------------------------

    def _header(self, stream: Iterable[tuple[int, str]]) -> dict[str, Any]:
        for _, text in stream:
            try:
                header = json.loads(text)
            except ValueError:
                break
            if (
                isinstance(header, dict)
                and header.get("type") == "header"
                and header.get("format") == FORMAT
            ):
                return header
            break
        raise ExportFormatError("not a CareLedger audit export (no header line)")

    def _objects(
        self, stream: Iterable[tuple[int, str]], report: Report
    ) -> Iterable[tuple[int, dict[str, Any]]]:
        for number, text in stream:
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                report.log.append(LogFinding(f"line {number}", "unreadable", "not a JSON line"))
                continue
            if isinstance(obj, dict):
                yield number, obj
            else:
                report.log.append(LogFinding(f"line {number}", "unreadable", "not a JSON object"))

    def _checkpoint(self, obj: dict[str, Any]) -> tuple[int, Checkpoint | None, str]:
        seq = int(obj.get("seq", -1))
        try:
            return seq, Checkpoint.parse(seq, str(obj["message"]), str(obj["signature"])), ""
        except (KeyError, ValueError):
            return seq, None, "its message is not a checkpoint's"

    # ---- the cases -----------------------------------------------------------------------

    def _case_fail(
        self, cases: dict[str, _Case], obj: dict[str, Any], problem: str, detail: str
    ) -> None:
        aggregate = obj.get("aggregate")
        if aggregate is None:  # a link of another case, out of place: the checkpoints see it
            return
        case = cases.setdefault(str(aggregate), _Case())
        if (
            case.failure is not None
            and case.failure.problem == "missing"
            and problem == "reordered"
        ):
            # the version that seemed missing turns up later in the file: moved, not removed
            case.failure = replace(case.failure, problem=problem, detail=detail)
        if case.failure is None:
            case.failure = Finding(
                str(aggregate),
                kind_of(obj.get("topic")),
                int(obj.get("version") or 0),
                int(obj["position"]),
                problem,
                detail,
            )

    def _event(self, obj: dict[str, Any], cases: dict[str, _Case]) -> None:
        case = cases.setdefault(str(obj["aggregate"]), _Case())
        version = int(obj.get("version") or 0)

        def fail(problem: str, detail: str) -> None:
            self._case_fail(cases, obj, problem, detail)

        if version > case.version + 1:
            missing = f"{case.version + 1}" + (
                f" to {version - 1}" if version - 1 > case.version + 1 else ""
            )
            fail("missing", f"event {missing} of this case is not in the export")
        elif version <= case.version:
            fail("reordered", f"event {version} comes after event {case.version}")
        found = event_problem(obj)
        if found is not None:
            fail(*found)
        if obj.get("prev_hash") is not None:
            if obj["prev_hash"] != case.hash and version == case.version + 1:
                fail("broken", "its link does not follow the link of the event before it")
            case.hash = str(obj["hash"])
        case.version = max(case.version, version)

    # ---- the log ---------------------------------------------------------------------------

    def _check_checkpoints(
        self,
        report: Report,
        public: Any,
        checkpoints: list[tuple[int, Checkpoint | None, str]],
        at_target: dict[int, tuple[bytes, int, int]],
        log_end: int,
    ) -> None:
        previous = GENESIS_HEX
        for number, (seq, checkpoint, unreadable) in enumerate(checkpoints, start=1):
            subject = f"checkpoint {seq}"
            if checkpoint is None:
                report.log.append(LogFinding(subject, "unreadable", unreadable))
                return
            problems: list[tuple[str, str]] = []
            if not keys.verifies(public, checkpoint.message, checkpoint.signature):
                problems.append(
                    (
                        "bad_signature",
                        "its signature does not verify with the public key "
                        "(forged, or re-signed with another key)",
                    )
                )
            if checkpoint.seq != seq or seq != number:
                problems.append(
                    (
                        "replaced",
                        f"the line holds the signed message of checkpoint {checkpoint.seq}",
                    )
                )
            elif checkpoint.previous != previous:
                problems.append(("out_of_sequence", "it does not follow the checkpoint before it"))
            running, count, _ = at_target.get(checkpoint.position, (canonical.GENESIS, 0, 0))
            if log_end < checkpoint.position and count < checkpoint.events:
                problems.append(
                    (
                        "truncated",
                        f"the export's log ends at position {log_end}, before position "
                        f"{checkpoint.position} sealed: the newest {checkpoint.events - count} "
                        "events were removed",
                    )
                )
            elif count < checkpoint.events:
                problems.append(
                    (
                        "events_removed",
                        f"{checkpoint.events - count} events sealed up to position "
                        f"{checkpoint.position} are not in the export (a whole case, or a case's "
                        "last events, removed)",
                    )
                )
            elif count > checkpoint.events:
                problems.append(
                    (
                        "events_added",
                        f"{count - checkpoint.events} events up to position "
                        f"{checkpoint.position} were not there when it was sealed",
                    )
                )
            elif running.hex() != checkpoint.log_hash:
                problems.append(
                    (
                        "log_changed",
                        f"the links up to position {checkpoint.position} hash "
                        "differently from what was sealed (changed or reordered)",
                    )
                )
            if problems:
                report.log += [LogFinding(subject, p, d) for p, d in problems]
                return
            previous = checkpoint.digest
            report.sealed_to = checkpoint.position

    def _check_access(
        self,
        report: Report,
        checkpoints: list[tuple[int, Checkpoint | None, str]],
        seen: dict[int, tuple[int, str]],
    ) -> None:
        readable = [(seq, c) for seq, c, _ in checkpoints if c is not None]
        finding = sealed_access_finding(readable, seen, missing="is not in the export")
        if finding is not None:
            report.log.append(finding)

    def _check_end(
        self, report: Report, end: dict[str, Any] | None, events: int, links: int, access: int
    ) -> None:
        if end is None:
            report.log.append(
                LogFinding("export", "incomplete", "the file ends before its end line: cut short")
            )
            return
        said = (end.get("events"), end.get("links"), end.get("access_rows"))
        if said != (events, links, access):
            report.log.append(
                LogFinding(
                    "export",
                    "lines_removed"
                    if any(
                        isinstance(n, int) and found < n
                        for n, found in zip(said, (events, links, access), strict=True)
                    )
                    else "lines_added",
                    f"its end line counts {said[0]} events, {said[1]} links and {said[2]} "
                    f"access-log rows; the file holds {events}, {links} and {access}",
                )
            )
