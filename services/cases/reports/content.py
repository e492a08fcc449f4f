"""What the report says: counts from the dashboard's read models, as they stood at the end
of the period and of the one before (the daily series, projections/daily.py). Counts only:
nothing about any one child. Figures the events do not hold are named as missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.vocabulary import DEPARTMENTS, GUARDIAN_TYPES, INTERVENTION_KINDS

from ..projections.state import NO_GUARDIAN_RESOLVED
from .labels import text
from .period import Period

Row = list[Any]
# (scope, as_of, basis) → the dashboard summary; (scope, as_of, basis) → ranking rows;
# (scope, period) → interventions closed in it (projections/closures.py)
Summary = Callable[[str, date, str | None], dict[str, Any]]
Ranking = Callable[[str, date, str | None], list[dict[str, Any]]]
Closures = Callable[[str, Period], dict[str, Any]]
# (scope, period) → the monthly flows summed over the period (identified, visits…)
Flows = Callable[[str, Period], dict[str, int]]
# (scope, as_of, plan year) → the care sites' figures (projections/site_figures.py)
SiteFigures = Callable[[str, date, int], dict[str, Any]]


@dataclass
class Table:
    """One table of the report (one sheet of the workbook); `chart` draws its first
    numeric column as bars."""

    key: str
    title: str
    headers: list[str]
    rows: list[Row]
    chart: bool = False


@dataclass
class Report:
    """The whole report, in one language."""

    title: str
    place: str
    period: Period
    previous: Period
    as_of: date
    tables: list[Table] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def build(
    scope: str,
    period: Period,
    today: date,
    lang: str,
    summary: Summary,
    ranking: Ranking,
    closed: Closures,
    flows: Flows,
    *,
    recomputed: bool = False,
    sites: SiteFigures | None = None,
) -> Report:
    """The report of `scope` for `period`, beside the period before: as the figures stood
    at each period's end, or `recomputed` with everything known today."""
    t = text(lang)
    previous = period.previous()
    past = "effective" if recomputed else "recorded"
    now, then = (
        summary(scope, min(p.end, today), _basis(p.end, today, past)) for p in (period, previous)
    )
    place = now.get("name") or scope
    report = Report(
        t["title"].format(place=place, period=period.label),
        place,
        period,
        previous,
        min(period.end, today),
    )
    cols = [t["figure"], period.label, previous.label, t["change"]]

    def pair(label: str, get: Callable[[dict[str, Any]], Any]) -> Row:
        a, b = get(now), get(then)
        change = a - b if isinstance(a, int | float) and isinstance(b, int | float) else None
        return [label, a, b, round(change, 4) if isinstance(change, float) else change]

    active = _get("cases", "active")
    report.tables.append(
        Table(
            "overview",
            t["overview"],
            cols,
            [
                pair(t["active"], active),
                pair(
                    t["grandparents_share"],
                    lambda s: _share(s["guardian_types"]["grandparent"], active(s)),
                ),
                pair(t["lonely_share"], _lonely_share),
                pair(t["no_guardian"], lambda s: s["no_guardian"]),
                pair(t["coverage_30"], lambda s: s["visit_coverage"]["last_30_days"]["share"]),
                pair(t["coverage_90"], lambda s: s["visit_coverage"]["last_90_days"]["share"]),
                pair(t["overdue_visits"], lambda s: s["overdue_visits"]),
                pair(t["entrustment_signed"], lambda s: s["entrustment"]["signed"]),
                pair(t["entrustment_share"], lambda s: s["entrustment"]["share"]),
                pair(t["dropouts"], lambda s: s["school_dropouts"]),
                pair(t["high_risk"], lambda s: s["risk_levels"]["high"]),
            ],
        )
    )
    report.tables.append(
        Table(
            "guardians",
            t["guardians"],
            cols,
            [pair(t[f"guardian.{g}"], _get("guardian_types", g)) for g in GUARDIAN_TYPES],
            chart=True,
        )
    )
    moved, moved_before = flows(scope, period), flows(scope, previous)

    def flow(label: str, name: str) -> Row:
        a, b = moved.get(name, 0), moved_before.get(name, 0)
        return [label, a, b, a - b]

    report.tables.append(
        Table(
            "no_guardian",
            t["no_guardian_table"],
            cols,
            [
                pair(t["no_guardian"], lambda s: s["no_guardian"]),
                flow(t["flow.no_guardian_found"], "no_guardian_found"),
                *(
                    flow(t["flow.no_guardian_to"].format(guardian=t[f"guardian.{g}"]), name)
                    for g, name in NO_GUARDIAN_RESOLVED.items()
                ),
                flow(t["flow.no_guardian_closed"], "no_guardian_closed"),
            ],
        )
    )
    report.tables.append(
        Table(
            "interventions_by_kind",
            t["interventions_by_kind"],
            cols,
            [pair(t[f"kind.{k}"], _get("interventions", "by_kind", k)) for k in INTERVENTION_KINDS],
            chart=True,
        )
    )
    report.tables.append(
        Table(
            "interventions_by_department",
            t["interventions_by_department"],
            cols,
            [
                pair(
                    t[f"department.{d}"],
                    _get("interventions", "by_department", d),
                )
                for d in DEPARTMENTS
            ],
            chart=True,
        )
    )
    for name in ("identified", "returned_to_school", "hukou_registered", "closed"):
        report.tables[0].rows.append(flow(t[f"flow.{name}"], name))
    report.tables += _closures(t, closed(scope, period), closed(scope, previous), period, previous)
    rows = ranking(scope, report.as_of, _basis(period.end, today, past)) if len(scope) < 9 else []
    report.tables.append(
        Table(
            "ranking",
            t["ranking"],
            [
                t["rank"],
                t["place"],
                t["active"],
                t["coverage_30"],
                t["overdue_visits"],
                t["entrustment_share"],
            ],
            [
                [
                    r.get("rank"),
                    r.get("name") or r["code"],
                    r["active"],
                    r["visit_coverage_30_days"],
                    r["overdue_visits"],
                    r["entrustment_signed_share"],
                ]
                for r in rows
            ],
        )
    )
    missing = []
    if sites is None:
        missing.append("care_sites")
    else:
        report.tables.append(_care_sites(t, cols, scope, report.as_of, previous, today, sites))
    report.missing = [t[f"missing.{m}"] for m in missing]
    return report


def _care_sites(
    t: dict[str, str],
    cols: list[str],
    scope: str,
    as_of: date,
    previous: Period,
    today: date,
    sites: SiteFigures,
) -> Table:
    """Care sites (关爱保护场所) and the children they served at each period's end, and the
    plan of each period's year."""
    now = sites(scope, as_of, as_of.year)
    then = sites(scope, min(previous.end, today), previous.end.year)
    rows: list[Row] = []
    for label, path in (
        ("sites.standing", ("sites", "standing")),
        ("sites.open", ("sites", "open")),
        ("sites.planned", ("sites", "planned")),
        ("sites.villages_with", ("villages", "with_site")),
        ("sites.villages_without", ("villages", "without_site")),
        ("sites.plan_target", ("plan", "target")),
        ("sites.plan_built", ("plan", "built")),
        ("sites.plan_share", ("plan", "share")),
        ("sites.children_served", ("children_served", "")),
    ):
        a, b = _at(now, path), _at(then, path)
        change = a - b if isinstance(a, int | float) and isinstance(b, int | float) else None
        rows.append([t[label], a, b, round(change, 4) if isinstance(change, float) else change])
    return Table("care_sites", t["care_sites"], cols, rows)


def _at(figures: dict[str, Any], path: tuple[str, str]) -> Any:
    return figures[path[0]][path[1]] if path[1] else figures[path[0]]


def _closures(
    t: dict[str, str], now: dict[str, Any], then: dict[str, Any], period: Period, previous: Period
) -> list[Table]:
    """Interventions closed in each period, and their average days to closure."""
    headers = [
        t["figure"],
        f"{period.label} {t['closed']}",
        f"{period.label} {t['average_days']}",
        f"{previous.label} {t['closed']}",
        f"{previous.label} {t['average_days']}",
    ]
    tables = []
    for group, names in (("by_kind", INTERVENTION_KINDS), ("by_department", DEPARTMENTS)):
        prefix = "kind" if group == "by_kind" else "department"
        rows: list[Row] = []
        for name in names:
            a, b = now[group].get(name, {}), then[group].get(name, {})
            rows.append(
                [
                    t[f"{prefix}.{name}"],
                    a.get("closed", 0),
                    a.get("average_days"),
                    b.get("closed", 0),
                    b.get("average_days"),
                ]
            )
        tables.append(Table(f"closures_{group}", t[f"closures_{group}"], headers, rows))
    return tables


def _lonely_share(s: dict[str, Any]) -> float | None:
    """Of the active children visited at least once, those the latest visit found lonely
    or distressed."""
    moods = s.get("emotional_states", {})
    visited = s["cases"]["active"] - s["risk_levels"]["not_yet_visited"]
    return _share(moods.get("lonely", 0) + moods.get("distressed", 0), visited)


def _basis(end: date, today: date, past: str) -> str | None:
    """The daily series `past` at a period's end (today's counters if it has not ended)."""
    return past if end < today else None


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    """A getter of one figure of a summary (0 where the summary has none)."""

    def get(summary: dict[str, Any]) -> Any:
        found: Any = summary
        for key in path:
            found = found.get(key, 0) if isinstance(found, dict) else 0
        return found

    return get


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
