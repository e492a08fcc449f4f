"""One report, end to end: its figures from the read models, rendered as PDF or Excel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.cases.access import Actor
from services.cases.projections.read_models import ReadModels

from . import content, document, workbook
from .labels import text
from .period import Period

FORMATS = {"pdf": document.PDF, "xlsx": workbook.XLSX}


@dataclass(frozen=True)
class Produced:
    """A rendered report: its bytes, content type and file name."""

    body: bytes
    content_type: str
    filename: str
    figures: int


def produce(
    read_models: ReadModels,
    actor: Actor,
    scope: str,
    period: Period,
    fmt: str,
    lang: str,
    today: date,
    on_step: Callable[[int], None] = lambda _: None,
    *,
    recomputed: bool = False,
) -> Produced:
    """The report of `scope` for `period`, read within `actor`'s scope (ForbiddenError
    outside it, as on the dashboard). `on_step(1)` after reading, and after rendering."""

    def summary(code: str, as_of: date, basis: str | None) -> dict[str, Any]:
        return read_models.summary(actor, code, as_of, None, basis).value

    def ranking(code: str, as_of: date, basis: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = read_models.ranking(
            actor, code, None, as_of, None, basis
        ).value["rows"]
        return rows

    def closed(code: str, within: Period) -> dict[str, Any]:
        return read_models.closures(actor, code, within.start, within.end)

    def flows(code: str, within: Period) -> dict[str, int]:
        months = (within.end.year - within.start.year) * 12 + within.end.month
        months -= within.start.month - 1
        sums: dict[str, int] = {}
        for month in read_models.trend(actor, code, within.end, months).value["months"]:
            for name, n in month.items():
                if isinstance(n, int) and name != "active_at_month_end":
                    sums[name] = sums.get(name, 0) + n
        return sums

    def sites(code: str, as_of: date, year: int) -> dict[str, Any]:
        return read_models.site_figures(actor, code, as_of, year).value

    report = content.build(
        scope,
        period,
        today,
        lang,
        summary,
        ranking,
        closed,
        flows,
        recomputed=recomputed,
        sites=sites,
    )
    on_step(1)
    t = text(lang)
    if fmt == "pdf":
        subtitle = t["subtitle"].format(
            as_of=report.as_of.isoformat(), previous=report.previous.label
        )
        body = document.render(report, subtitle, t["missing"], chinese=lang == "zh")
    else:
        body = workbook.render(report, t["missing"])
    on_step(1)
    figures = sum(len(table.rows) for table in report.tables)
    name = f"careledger-report-{scope}-{period.label}-{lang}.{fmt}"
    return Produced(body, FORMATS[fmt], name, figures)
