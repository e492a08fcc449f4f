"""How `careledger notify reconcile` shows its report: rich tables on a terminal, plain
`key=value` lines otherwise (cron mails, logs), JSON on request, and always one summary
line last. Case ids, event ids, kinds and staff usernames only: nothing about a child."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from services.notify.operate.reconcile import Report

_KIND_WORDS = {
    "no_guardian": "no guardian",
    "harm_found": "harm found on a visit",
    "mandatory_report": "mandatory report",
}


def summary(report: Report) -> str:
    """The one line that says it all."""
    head = (
        f"reconcile: {report.checked:,} must-not-miss events checked, "
        f"{sum(t.expected for t in report.tallies.values()):,} notifications expected"
    )
    if not report.gaps and not report.users_unhandled:
        return f"{head}: no gaps"
    cases = len({g.case_id for g in report.gaps})
    found = (
        f"{report.missing:,} notifications missing in {cases:,} cases, "
        f"{report.unhandled:,} events never handled, "
        f"{report.users_unhandled:,} user events never handled"
    )
    if not report.repaired:
        return f"{head}: {found}; run with --repair to write them"
    return (
        f"{head}: {found}; repaired: {report.events_handled:,} events handled, "
        f"{report.notifications_written:,} notifications written, "
        f"{report.remaining:,} gaps remain"
    )


def as_json(report: Report) -> str:
    """The whole report as one JSON object."""
    body: dict[str, Any] = {
        "checked": report.checked,
        "missing": report.missing,
        "unhandled": report.unhandled,
        "users_unhandled": report.users_unhandled,
        "too_recent": report.too_recent,
        "by_kind": {k: asdict(t) for k, t in report.tallies.items()},
        "gaps": [asdict(g) for g in report.gaps],
        "repaired": report.repaired,
        "events_handled": report.events_handled,
        "notifications_written": report.notifications_written,
        "remaining": report.remaining,
        "summary": summary(report),
    }
    return json.dumps(body, ensure_ascii=False)


def show(report: Report, console: Console, *, limit: int) -> None:
    """Prints the report: tables on a terminal, lines otherwise; the summary last."""
    if console.is_terminal:
        console.print(_kinds_table(report))
        if report.gaps:
            console.print(_gaps_table(report, limit))
    else:
        for gap in report.gaps[:limit]:
            console.print(
                f"gap kind={gap.kind} case_id={gap.case_id} event_id={gap.event_id} "
                f"position={gap.position} handled={str(gap.handled).lower()} "
                f"missing={','.join(gap.missing) or '-'}",
                highlight=False,
                soft_wrap=True,
            )
    if len(report.gaps) > limit:
        console.print(f"… and {len(report.gaps) - limit:,} more gaps (--limit)", highlight=False)
    console.print(summary(report), highlight=False, soft_wrap=True)


def _kinds_table(report: Report) -> Table:
    table = Table(title="Must-not-miss alerts: event log against notify")
    for column in ("kind", "events", "expected", "missing", "never handled", "addressed to nobody"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, t in report.tallies.items():
        table.add_row(
            _KIND_WORDS.get(kind, kind),
            f"{t.events:,}",
            f"{t.expected:,}",
            _alarm(t.missing),
            _alarm(t.unhandled),
            f"{t.unaddressed:,}",
        )
    return table


def _gaps_table(report: Report, limit: int) -> Table:
    table = Table(title="Gaps" + (" (repaired)" if report.repaired else ""))
    for column in (
        "kind",
        "case id",
        "event id",
        "position",
        "never handled",
        "missing recipients",
    ):
        table.add_column(column)
    for gap in report.gaps[:limit]:
        table.add_row(
            gap.kind,
            gap.case_id,
            gap.event_id,
            str(gap.position),
            "yes" if not gap.handled else "",
            ", ".join(gap.missing),
        )
    return table


def _alarm(count: int) -> str:
    return f"[bold red]{count:,}[/]" if count else "0"
