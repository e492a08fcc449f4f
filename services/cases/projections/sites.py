"""The care sites read model: sites, yearly plans, and which child attends which site.

Kept by the projector from the Site and SitePlan events, and from the Case events
`SiteAttended` / `SiteLeft`, in the same transaction as the other read models (pages.py),
so a rebuild fills it too. Nothing personal is kept: a site's staff contact stays in its
aggregate, and the attendance table holds ids and village codes only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared.dispatch import Registry

from ..domain import Case
from ..domain.site import Site, SitePlan
from .tx import Tx

# A decoded event and its place in the log.
Event = tuple[int, Any]
Handler = Callable[[Tx, int, Any], None]

SITES: Registry[type, Handler] = Registry("the sites read model")
_STEP_COLUMN = {"built": "built_on", "open": "opened_on", "closed": "closed_on"}


def _event(aggregate: type[Any], name: str) -> type[Any]:
    event_class: type[Any] = getattr(aggregate, name)  # made by @event
    return event_class


SITE_ATTENDED = _event(Case, "SiteAttended")
SITE_LEFT = _event(Case, "SiteLeft")
CASE_EVENTS = frozenset({SITE_ATTENDED, SITE_LEFT})


@SITES.on(_event(Site, "Registered"))
def _registered(tx: Tx, position: int, e: Any) -> None:
    tx.put(
        "sites",
        (
            "site_id",
            "position",
            "name",
            "kind",
            "jurisdiction",
            "capacity",
            "status",
            "registered_on",
        ),
        ("text", "bigint", "text", "text", "text", "bigint", "text", "text"),
        ("site_id",),
        [
            (
                str(e.originator_id),
                position,
                e.name,
                e.kind,
                e.jurisdiction,
                e.capacity,
                "planned",
                e.registered_on,
            )
        ],
    )


@SITES.on(_event(Site, "StatusChanged"))
def _status_changed(tx: Tx, position: int, e: Any) -> None:
    column = _STEP_COLUMN[e.status]
    tx.run(
        f"UPDATE {{sites}} SET status = ?, {column} = ? WHERE site_id = ?",
        (e.status, e.changed_on, str(e.originator_id)),
    )


@SITES.on(_event(SitePlan, "DrawnUp"))
@SITES.on(_event(SitePlan, "Revised"))
def _plan(tx: Tx, position: int, e: Any) -> None:
    tx.put(
        "site_plans",
        ("jurisdiction", "year", "target"),
        ("text", "bigint", "bigint"),
        ("jurisdiction", "year"),
        [(e.jurisdiction, e.year, e.target)],
    )


# Attendance is kept as stays (attended_on, left_on), not only who attends now, so the
# children a site served can be counted as of any day (site_figures.children_at).
@SITES.on(SITE_ATTENDED)
def _attended(tx: Tx, position: int, e: Any) -> None:
    case_id = str(e.originator_id)
    _end_stay(tx, case_id, e.attended_on)  # one site at a time: moving ends the last stay
    tx.put(
        "site_children",
        ("case_id", "position", "site_id", "site_jurisdiction", "attended_on", "left_on"),
        ("text", "bigint", "text", "text", "text", "text"),
        ("case_id", "position"),
        [(case_id, position, e.site_id, e.site_jurisdiction, e.attended_on, None)],
    )


@SITES.on(SITE_LEFT)
def _left(tx: Tx, position: int, e: Any) -> None:
    _end_stay(tx, str(e.originator_id), e.left_on)


def _end_stay(tx: Tx, case_id: str, on: str) -> None:
    tx.run(
        "UPDATE {site_children} SET left_on = ? WHERE case_id = ? AND left_on IS NULL",
        (on, case_id),
    )


def apply(tx: Tx, events: Sequence[Event]) -> None:
    """Moves the sites read model by these events, in log order."""
    for position, event in events:
        handler = SITES.handler(type(event))
        if handler is not None:
            handler(tx, position, event)
