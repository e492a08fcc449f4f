"""Who looked at which child's record, when and why: every read of a case is logged,
because these are minors' personal data. Auditors read this log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.roles import Capability
from shared.sql import Database, advisory_key

from .access import Actor, require
from .audit.access_chain import GENESIS_HEX, row_hash


@dataclass(frozen=True)
class AccessEntry:
    """One read of one case."""

    at: datetime
    username: str
    role: str
    case_id: str
    jurisdiction: str
    purpose: str
    request_id: str


@dataclass(frozen=True)
class AccessQuery:
    """What an auditor asks of the access log: filters (each optional) and a page."""

    case_id: str | None = None
    username: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 100


class AccessLog:
    """The access log, a plain append-only table beside the events (created and changed
    by the migrations in services/cases/migrations/)."""

    def __init__(self, tables: Database) -> None:
        self.tables = tables
        self.name = tables.table("careledger_access_log")

    def record(self, entries: Iterable[AccessEntry]) -> None:
        """Appends entries in one transaction, each chained to the row before it
        (audit/access_chain.py). Nothing updates or deletes a row."""
        fields = [
            {
                "at": e.at.isoformat(),
                "username": e.username,
                "role": e.role,
                "case_id": e.case_id,
                "jurisdiction": e.jurisdiction,
                "purpose": e.purpose,
                "request_id": e.request_id,
            }
            for e in entries
        ]
        if not fields:
            return
        with self.tables.transaction() as tx:
            if tx.postgres:  # one appender at a time, or two rows would share a predecessor
                tx.execute("SELECT pg_advisory_xact_lock(?)", (advisory_key("access log"),))
            previous = tx.value(f"SELECT hash FROM {self.name} ORDER BY id DESC LIMIT 1")
            previous = previous or GENESIS_HEX
            rows = []
            for row in fields:
                current = row_hash(previous, row)
                rows.append((*row.values(), previous, current))
                previous = current
            tx.execute_many(
                f"INSERT INTO {self.name} (at, username, role, case_id, jurisdiction, purpose, "
                "request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def search_as(self, actor: Actor, query: AccessQuery) -> tuple[list[AccessEntry], int]:
        """The use case: one page of the reads of children's records inside the auditor's
        scope that match `query`, newest first, and how many match in all."""
        require(actor, Capability.READ_AUDIT)
        where, params = self._where(
            actor.scope, query.case_id, query.username, query.since, query.until
        )
        total = int(
            self.tables.query(f"SELECT COUNT(*) AS n FROM {self.name} {where}", params)[0]["n"]
        )
        return self._page(where, params, query.per_page, (query.page - 1) * query.per_page), total

    def search(
        self,
        *,
        scope: str,
        case_id: str | None = None,
        username: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AccessEntry]:
        """Entries matching every given filter, newest first."""
        where, params = self._where(scope, case_id, username, since, until)
        return self._page(where, params, limit, offset)

    @staticmethod
    def _where(
        scope: str,
        case_id: str | None,
        username: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> tuple[str, list[object]]:
        where: list[str] = ["jurisdiction LIKE ?"]
        params: list[object] = [f"{scope}%"]
        for column, op, value in (
            ("case_id", "=", case_id),
            ("username", "=", username),
            ("at", ">=", since and since.isoformat()),
            ("at", "<", until and until.isoformat()),
        ):
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(value)
        return f"WHERE {' AND '.join(where)}", params

    def _page(self, where: str, params: list[object], limit: int, offset: int) -> list[AccessEntry]:
        rows = self.tables.query(
            f"SELECT at, username, role, case_id, jurisdiction, purpose, request_id "
            f"FROM {self.name} "
            f"{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [
            AccessEntry(
                datetime.fromisoformat(r["at"]),
                r["username"],
                r["role"],
                r["case_id"],
                r["jurisdiction"],
                r["purpose"],
                r["request_id"],
            )
            for r in rows
        ]
