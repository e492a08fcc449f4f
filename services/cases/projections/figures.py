"""The dashboard's figures, read from the counters: never a scan of cases.

A summary reads one scope's counters, its due-date buckets before `as_of` and its
month; a breakdown or ranking reads the same for the scopes one level down, found by
their `parent` column. Date-dependent figures (overdue, visit coverage, this month) are
computed for `as_of`, today by default. The counts are the current state, or, given a
`basis` (daily.py), the daily series summed up to `as_of`: the figures as they stood then
("recorded") or recomputed with today's corrections ("effective"). Overdue and visit
coverage then come from the due-date buckets kept in the same series.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from shared.overdue import overdue_before
from shared.vocabulary import DEPARTMENTS, EMOTIONAL_STATES, GUARDIAN_TYPES, INTERVENTION_KINDS

from . import daily
from .flows import FLOWS
from .state import NO_GUARDIAN_RESOLVED
from .tx import Tx

_ROW_METRICS = (
    "cases",
    "active",
    "guardian:none",
    "risk:high",
    "school:dropped_out",
    "entrustable",
    "entrustment_signed",
    "reports_open",
    "reported",
)
_MONTH_METRICS = {
    "identified": "identified",
    "children_visited": "children_visited",
    "visits": "visits",
    "interventions_opened": "interventions_opened",
    "reports_opened": "mandatory_reports_opened",
    "closed": "closed",
    "reopened": "reopened",
    "returned_to_school": "returned_to_school",
    "no_guardian_found": "no_guardian_found",
    **{flow: flow for flow in NO_GUARDIAN_RESOLVED.values()},
    "no_guardian_closed": "no_guardian_closed",
    "hukou_registered": "hukou_registered",
}


def summary(
    tx: Tx,
    scope: str,
    as_of: date,
    *,
    police: bool,
    department: str | None = None,
    basis: str | None = None,
) -> dict[str, Any]:
    """Every figure of product.md for one scope (only mandatory reports for the police).
    A department's `interventions.open` and `.overdue` are its own, as its worklist is."""
    counts = {
        r["metric"]: int(r["n"])
        for r in (
            daily.counts_as_of(tx, "scope = ?", [scope], basis, as_of.isoformat())
            if basis
            else tx.rows(
                "SELECT metric, n FROM {counts} WHERE scope = ? AND (metric < 'director:' "
                "OR metric >= 'director;')",
                (scope,),
            )
        )
    }
    due_figures = _due_figures(tx, "scope = ?", [scope], as_of, basis)
    overdue = due_figures[0].get(scope, {})
    reports = {
        "open": counts.get("reports_open", 0),
        "overdue": overdue.get("report", 0),
        "cases": counts.get("reported", 0),
    }
    if police:
        return {"mandatory_reports": reports}
    active = counts.get("active", 0)
    found = tx.rows(
        "SELECT * FROM {monthly} WHERE scope = ? AND month = ?", (scope, as_of.isoformat()[:7])
    )
    month = {k: int(v) for k, v in found[0].items() if k in FLOWS} if found else {}
    visited = due_figures[1]
    by_kind: dict[str, int] = dict.fromkeys(INTERVENTION_KINDS, 0)
    by_department: dict[str, int] = dict.fromkeys(DEPARTMENTS, 0)
    for metric, n in counts.items():
        if metric.startswith("open:"):
            _, kind, of_department = metric.split(":")
            by_kind[kind] = by_kind.get(kind, 0) + n
            by_department[of_department] = by_department.get(of_department, 0) + n
    overdue_by_department = {d: overdue.get(f"intervention:{d}", 0) for d in DEPARTMENTS}
    own = [department] if department else list(DEPARTMENTS)
    return {
        "cases": {
            "active": active,
            "closed": counts.get("closed", 0),
            "total": counts.get("cases", 0),
        },
        "guardian_types": {t: counts.get(f"guardian:{t}", 0) for t in GUARDIAN_TYPES},
        "no_guardian": counts.get("guardian:none", 0),
        "risk_levels": {
            level: counts.get(f"risk:{level}", 0) for level in ("low", "medium", "high")
        }
        | {"not_yet_visited": counts.get("risk:none", 0)},
        # As the latest visit of each active child found them (the visited ones only).
        "emotional_states": {e: counts.get(f"mood:{e}", 0) for e in EMOTIONAL_STATES},
        "this_month": {"month": as_of.isoformat()[:7]}
        | {name: month.get(metric, 0) for metric, name in _MONTH_METRICS.items()},
        "visit_coverage": {
            f"last_{days}_days": {
                "visited": visited[scope][days],
                "share": _share(visited[scope][days], active),
            }
            for days in (30, 90)
        },
        "overdue_visits": overdue.get("visit", 0),
        "entrustment": {
            "signed": counts.get("entrustment_signed", 0),
            "entrustable": counts.get("entrustable", 0),
            "share": _share(counts.get("entrustment_signed", 0), counts.get("entrustable", 0)),
        },
        "school": {
            s: counts.get(f"school:{s}", 0) for s in ("enrolled", "dropped_out", "not_in_school")
        },
        "school_dropouts": counts.get("school:dropped_out", 0),
        "interventions": {
            "department": department,
            "open": sum(by_department.get(d, 0) for d in own),
            "overdue": sum(overdue_by_department[d] for d in own),
            "by_kind": by_kind,
            "by_department": by_department,
            "overdue_by_department": overdue_by_department,
        },
        "mandatory_reports": reports,
        "workload": _workload(tx, scope, counts.get("unassigned", 0)),
        # Review before it counts (复核): every figure above counts confirmed cases;
        # directors' identifications not yet confirmed are here, apart (`new_cases`, of
        # which `returned` for correction), and counted cases with a director's change of
        # key facts awaiting review (`changes`: counted with the facts as changed).
        "pending_review": {
            "new_cases": counts.get("review:new", 0),
            "returned": counts.get("review:returned", 0),
            "changes": counts.get("review:change", 0),
            "total": counts.get("review:new", 0) + counts.get("review:change", 0),
        },
    }


def children(
    tx: Tx,
    parents: list[str],
    as_of: date,
    *,
    police: bool,
    department: str | None = None,
    basis: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The main figures of every scope whose parent is one of `parents`, by code (a
    department's open and overdue interventions are its own, as in `summary`)."""
    if not parents:
        return {}
    marks = ", ".join("?" * len(parents))
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if basis:
        rows = daily.counts_as_of(tx, f"parent IN ({marks})", parents, basis, as_of.isoformat())
    else:
        rows = tx.rows(
            f"SELECT scope, metric, n FROM {{counts}} WHERE parent IN ({marks}) "
            f"AND (metric IN ({', '.join('?' * len(_ROW_METRICS))}) "
            "OR (metric >= 'open:' AND metric < 'open;'))",
            [*parents, *_ROW_METRICS],
        )
    for r in rows:
        metric = r["metric"]
        if metric in _ROW_METRICS:
            figures[r["scope"]][metric] = int(r["n"])
        elif metric.startswith("open:") and (
            department is None or metric.endswith(f":{department}")
        ):
            figures[r["scope"]]["open"] += int(r["n"])
    codes = sorted(figures)
    if not codes:
        return {}
    in_codes = f"scope IN ({', '.join('?' * len(codes))})"
    overdue_by_code, visited = _due_figures(tx, in_codes, codes, as_of, basis)
    for code, overdue in overdue_by_code.items():
        for kind, n in overdue.items():
            if kind.startswith("intervention:"):
                if department is not None and kind != f"intervention:{department}":
                    continue
                kind = "intervention"
            figures[code][f"overdue:{kind}"] += n
    for r in tx.rows(
        f"SELECT scope, identified FROM {{monthly}} WHERE {in_codes} AND month = ?",
        [*codes, as_of.isoformat()[:7]],
    ):
        figures[r["scope"]]["identified_this_month"] = int(r["identified"])
    return {
        code: _row(f, visited.get(code, {30: 0, 90: 0}), police=police)
        for code, f in figures.items()
    }


def trend(
    tx: Tx, scope: str, last_month: str, months: int, *, police: bool
) -> list[dict[str, Any]]:
    """Month by month, the flows of the last `months` months up to `last_month` (YYYY-MM),
    and how many cases were active at each month's end."""
    window = _months_back(last_month, months)
    flows: dict[str, dict[str, int]] = defaultdict(dict)
    for r in tx.rows(
        "SELECT * FROM {monthly} WHERE scope = ? AND month >= ? AND month <= ?",
        (scope, window[0], window[-1]),
    ):
        flows[r["month"]] = {k: int(v) for k, v in r.items() if k in FLOWS}
    if police:
        return [
            {"month": m, "mandatory_reports_opened": flows[m].get("reports_opened", 0)}
            for m in window
        ]
    active = int(
        tx.value(
            "SELECT COALESCE(SUM(active_delta), 0) FROM {monthly} WHERE scope = ? AND month < ?",
            (scope, window[0]),
        )
    )
    series = []
    for m in window:
        active += flows[m].get("active_delta", 0)
        series.append(
            {"month": m}
            | {name: flows[m].get(metric, 0) for metric, name in _MONTH_METRICS.items()}
            | {"active_at_month_end": active}
        )
    return series


def child_codes(tx: Tx, parents: list[str]) -> list[str]:
    """The scopes one level below `parents` that hold any case."""
    if not parents:
        return []
    marks = ", ".join("?" * len(parents))
    return sorted(
        r["scope"]
        for r in tx.rows(
            f"SELECT scope FROM {{counts}} WHERE parent IN ({marks}) AND metric = 'cases'", parents
        )
    )


def empty_row(*, police: bool) -> dict[str, Any]:
    """The figures of a jurisdiction without any case."""
    return _row({}, {30: 0, 90: 0}, police=police)


def _row(f: dict[str, int], visited: dict[int, int], *, police: bool) -> dict[str, Any]:
    if police:
        return {
            "mandatory_reports_open": f.get("reports_open", 0),
            "mandatory_reports_overdue": f.get("overdue:report", 0),
            "reported_cases": f.get("reported", 0),
        }
    active = f.get("active", 0)
    return {
        "active": active,
        "no_guardian": f.get("guardian:none", 0),
        "high_risk": f.get("risk:high", 0),
        "overdue_visits": f.get("overdue:visit", 0),
        "overdue_visit_share": _share(f.get("overdue:visit", 0), active),
        "visited_last_30_days": visited[30],
        "visit_coverage_30_days": _share(visited[30], active),
        "visit_coverage_90_days": _share(visited[90], active),
        "entrustment_signed_share": _share(f.get("entrustment_signed", 0), f.get("entrustable", 0)),
        "school_dropouts": f.get("school:dropped_out", 0),
        "open_interventions": f.get("open", 0),
        "overdue_interventions": f.get("overdue:intervention", 0),
        "mandatory_reports_open": f.get("reports_open", 0),
        "identified_this_month": f.get("identified_this_month", 0),
    }


Overdue = dict[str, dict[str, int]]  # scope → kind of due date → overdue on as_of
Visited = dict[str, dict[int, int]]  # scope → {30: n, 90: n} visited in the days up to as_of


def _due_figures(
    tx: Tx, where: str, params: list[str], as_of: date, basis: str | None
) -> tuple[Overdue, Visited]:
    """Per scope: what is overdue on as_of by kind of due date (visit, report,
    intervention:<department>), and the active cases whose last visit lies in the 30 and
    90 days up to as_of. By today's due dates, or as the daily series `basis` had them on
    as_of (read once for both)."""
    before = overdue_before(as_of)
    day30, day90 = ((as_of - timedelta(days=d)).isoformat() for d in (30, 90))
    overdue: Overdue = defaultdict(lambda: defaultdict(int))
    visited: Visited = defaultdict(lambda: {30: 0, 90: 0})
    if basis:
        for scope, kind, due, n in daily.dues_as_of(tx, where, params, basis, as_of.isoformat()):
            if kind != "last_visit":
                if due < before:
                    overdue[scope][kind] += n
            elif day90 < due <= as_of.isoformat():
                visited[scope][90] += n
                visited[scope][30] += n if due > day30 else 0
        return overdue, visited
    for r in tx.rows(
        f"SELECT scope, kind, SUM(n) AS n FROM {{dues}} WHERE {where} "
        "AND kind <> 'last_visit' AND due < ? GROUP BY scope, kind",
        [*params, before],
    ):
        overdue[r["scope"]][r["kind"]] += int(r["n"])
    for r in tx.rows(
        "SELECT scope, SUM(CASE WHEN due > ? THEN n ELSE 0 END) AS d30, SUM(n) AS d90 "
        f"FROM {{dues}} WHERE {where} AND kind = 'last_visit' AND due > ? AND due <= ? "
        "GROUP BY scope",
        [day30, *params, day90, as_of.isoformat()],
    ):
        visited[r["scope"]] = {30: int(r["d30"]), 90: int(r["d90"])}
    return overdue, visited


def _workload(tx: Tx, scope: str, unassigned: int) -> dict[str, Any]:
    directors = "scope = ? AND metric >= 'director:' AND metric < 'director;'"
    stats = tx.rows(
        f"SELECT COUNT(*) AS directors, COALESCE(SUM(n), 0) AS cases, "
        f"COALESCE(MAX(n), 0) AS most FROM {{counts}} WHERE {directors}",
        (scope,),
    )[0]
    # Every director of a township or village; the ten busiest above that.
    limit = 100_000 if len(scope) >= 9 else 10
    busiest = tx.rows(
        f"SELECT metric, n FROM {{counts}} WHERE {directors} ORDER BY n DESC, metric LIMIT ?",
        (scope, limit),
    )
    count = int(stats["directors"])
    return {
        "directors": count,
        "assigned": int(stats["cases"]),
        "unassigned": unassigned,
        "average_per_director": round(int(stats["cases"]) / count, 1) if count else None,
        "most_per_director": int(stats["most"]),
        "by_director": [
            {"username": r["metric"].removeprefix("director:"), "active_cases": int(r["n"])}
            for r in busiest
        ],
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _months_back(last: str, months: int) -> list[str]:
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]
