"""The care sites' figures (issue 12): sites per jurisdiction, villages with and without a
site, children served, and the year's plan against the sites built.

A site's status on a day follows from the days of its steps (built_on, opened_on,
closed_on, as recorded on its events), so the figures answer as of any date. A site
*stands* in a village once built and until closed (built or open); children served on a
day are the cases active that day attending a site open that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.jurisdictions import SCOPE_LENGTHS

from .tx import Tx

_COLUMNS = (
    "site_id, name, kind, jurisdiction, capacity, status, registered_on, built_on, "
    "opened_on, closed_on"
)


@dataclass(frozen=True)
class SiteRow:
    """One site as lists show it (no staff contact)."""

    site_id: str
    name: str
    kind: str
    jurisdiction: str
    capacity: int
    status: str
    registered_on: str
    built_on: str | None
    opened_on: str | None
    closed_on: str | None

    def status_on(self, day: str) -> str | None:
        """The site's status on `day`; None before it was registered."""
        if self.registered_on > day and (self.built_on is None or self.built_on > day):
            return None
        for status, on in (
            ("closed", self.closed_on),
            ("open", self.opened_on),
            ("built", self.built_on),
        ):
            if on is not None and on <= day:
                return status
        return "planned"


def like(scope: str) -> str:
    """The LIKE pattern of every code in `scope` (codes are digits: no escaping needed)."""
    return scope + "%"


def sites_in(
    tx: Tx, scope: str, *, status: str | None = None, kind: str | None = None
) -> list[SiteRow]:
    """The sites of the scope, in registration order, filtered by status and kind."""
    sql = f"SELECT {_COLUMNS} FROM {{sites}} WHERE jurisdiction LIKE ?"
    params: list[Any] = [like(scope)]
    for column, value in (("status", status), ("kind", kind)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    return [_row(r) for r in tx.rows(sql + " ORDER BY position", params)]


def one_site(tx: Tx, site_id: str) -> SiteRow | None:
    """One site, or None."""
    rows = tx.rows(f"SELECT {_COLUMNS} FROM {{sites}} WHERE site_id = ?", (site_id,))
    return _row(rows[0]) if rows else None


def children_at(tx: Tx, site_ids: list[str], day: str) -> dict[str, int]:
    """How many cases attended each of these sites on `day` (from attended_on, up to the
    day before left_on) while active: identified by then, and active now or closed after
    it (a case's status is kept as it is now and its closing day: a case closed and
    reopened since counts as active in between)."""
    if not site_ids:
        return {}
    marks = ", ".join("?" * len(site_ids))
    rows = tx.rows(
        "SELECT a.site_id AS site_id, COUNT(DISTINCT a.case_id) AS n FROM {site_children} a "
        "JOIN {cases} c ON c.case_id = a.case_id "
        f"WHERE a.site_id IN ({marks}) AND a.attended_on <= ? "
        "AND (a.left_on IS NULL OR a.left_on > ?) AND c.identified_on <= ? "
        "AND (c.status = 'active' OR (c.status = 'closed' AND c.closed_on > ?)) "
        "GROUP BY a.site_id",
        [*site_ids, day, day, day, day],
    )
    return {r["site_id"]: int(r["n"]) for r in rows}


def villages_loaded(tx: Tx, township: str) -> set[str]:
    """The village codes loaded as reference data under a township."""
    rows = tx.rows("SELECT code FROM {divisions} WHERE parent = ?", (township,))
    return {r["code"] for r in rows if len(r["code"]) == 12}


def plan_target(tx: Tx, jurisdiction: str, year: int) -> int | None:
    """The plan's target for the year, or None when there is none."""
    value = tx.value(
        "SELECT target FROM {site_plans} WHERE jurisdiction = ? AND year = ?", (jurisdiction, year)
    )
    return None if value is None else int(value)


def built_in(rows: list[SiteRow], year: int, as_of: str) -> int:
    """How many of `rows` were built in `year`, up to `as_of`."""
    start, end = f"{year}-01-01", min(f"{year}-12-31", as_of)
    return sum(1 for r in rows if r.built_on is not None and start <= r.built_on <= end)


def figures(tx: Tx, scope: str, as_of: date, year: int) -> dict[str, Any]:
    """Every site figure for the scope, and one row per jurisdiction one level below."""
    day = as_of.isoformat()
    rows = sites_in(tx, scope)
    served = children_at(tx, [r.site_id for r in rows if r.status_on(day) == "open"], day)
    villages = _villages(tx, scope)
    villages |= {r.jurisdiction for r in rows}
    below = _below(scope)
    parts = sorted({v[:below] for v in villages} | {r.jurisdiction[:below] for r in rows})
    plan = plan_target(tx, scope, year)
    whole = _tally(rows, villages, served, day) | {
        "plan": _plan(plan, built_in(rows, year, day)) | {"year": year}
    }
    by_part = []
    for part in parts if below > len(scope) else []:
        mine = [r for r in rows if r.jurisdiction.startswith(part)]
        target = plan_target(tx, part, year)
        by_part.append(
            {"code": part}
            | _tally(mine, {v for v in villages if v.startswith(part)}, served, day)
            | {"plan": _plan(target, built_in(mine, year, day))}
        )
    return whole | {"rows": by_part}


def _tally(
    rows: list[SiteRow], villages: set[str], served: dict[str, int], day: str
) -> dict[str, Any]:
    statuses = [r.status_on(day) for r in rows]
    counts = {s: statuses.count(s) for s in ("planned", "built", "open", "closed")}
    standing = {
        r.jurisdiction for r, s in zip(rows, statuses, strict=True) if s in ("built", "open")
    }
    open_rows = [r for r, s in zip(rows, statuses, strict=True) if s == "open"]
    return {
        "sites": counts | {"standing": counts["built"] + counts["open"]},
        "capacity_open": sum(r.capacity for r in open_rows),
        "children_served": sum(served.get(r.site_id, 0) for r in open_rows),
        "villages": {
            "total": len(villages),
            "with_site": len(standing & villages),
            "without_site": len(villages - standing),
        },
    }


def _plan(target: int | None, built: int) -> dict[str, Any]:
    share = None if not target else round(built / target, 4)
    return {"target": target, "built": built, "share": share}


def _villages(tx: Tx, scope: str) -> set[str]:
    # The villages known in the scope: loaded as reference data, or holding a case.
    loaded = tx.rows("SELECT code FROM {divisions} WHERE code LIKE ?", (like(scope),))
    with_cases = tx.rows(
        "SELECT DISTINCT jurisdiction FROM {cases} WHERE jurisdiction LIKE ?", (like(scope),)
    )
    return {r["code"] for r in loaded if len(r["code"]) == 12} | {
        r["jurisdiction"] for r in with_cases
    }


def _below(scope: str) -> int:
    at = SCOPE_LENGTHS.index(len(scope))
    return SCOPE_LENGTHS[min(at + 1, len(SCOPE_LENGTHS) - 1)]


def _row(r: dict[str, Any]) -> SiteRow:
    return SiteRow(
        site_id=r["site_id"],
        name=r["name"],
        kind=r["kind"],
        jurisdiction=r["jurisdiction"],
        capacity=int(r["capacity"]),
        status=r["status"],
        registered_on=r["registered_on"],
        built_on=r["built_on"],
        opened_on=r["opened_on"],
        closed_on=r["closed_on"],
    )
