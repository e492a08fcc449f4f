"""One page of the notification log into the read models, in one transaction.

The page's rows, counters and the new tracking position are written together, and only
the events after the position the transaction found are applied: a page delivered twice
(a restart, a resubscription, a second projector) changes nothing the second time.

A big page (catching up, rebuilding) is decoded and applied in chunks inside its one
transaction: the case rows of each chunk are saved as it goes, while the counters are
summed over the whole page and written once at its end, so a bigger page writes far fewer
counter rows, yet never holds more than a chunk of decoded events.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic

from ..domain import Case
from ..domain.site import Site, SitePlan
from ..domain.user import User
from . import counters, daily, sites, users
from .case_rows import CaseRows, intervention_rows
from .personal import PersonalData
from .state import IDENTIFIED, PERSONAL_FIELDS, CaseState, apply, identified
from .tx import Tx

log = logging.getLogger("careledger.projector")
_CASE_EVENT = get_topic(Case) + "."  # every Case event's topic starts so
_USER_EVENT = get_topic(User) + "."
_SITE_EVENT = (get_topic(Site) + ".", get_topic(SitePlan) + ".")
CHUNK = 200  # events decoded and applied at a time within a page

# A decoded Case event and its place in the log.
Event = tuple[int, Any]


class PageProjection:
    """Applies pages of notifications to the read models."""

    def __init__(self, mapper: Mapper[Any], personal: PersonalData) -> None:
        self.mapper = mapper
        self.rows = CaseRows(personal)

    def apply(self, tx: Tx, notifications: Sequence[Notification]) -> int:
        """Applies the Case and User events after `tx.position` and moves the position to
        the page's end (idempotency records only move the position); returns how many
        events it applied."""
        if not notifications or notifications[-1].id <= tx.position:
            return 0  # delivered before: nothing to do
        after = tx.position
        mine = [n for n in notifications if n.id > after and n.topic.startswith(_CASE_EVENT)]
        # Every case of the page is read in one go (the notification names its case), kept
        # in memory while the page is applied chunk by chunk, and written back once.
        states = self.rows.load(tx, {str(n.originator_id) for n in mine})
        stored = set(states)
        before = {case_id: counters.contribution(s) for case_id, s in states.items()}
        interventions_before = {
            row[:2]: row for s in states.values() for row in intervention_rows(s)
        }
        deltas = counters.Deltas()
        dated = daily.DailyDeltas()
        shares = {case_id: daily.tracked(s) for case_id, s in states.items()}
        touched: dict[str, CaseState] = {}
        attendance: list[Event] = []  # the Case events the sites read model keeps
        for start in range(0, len(mine), CHUNK):
            events = self.decode(mine[start : start + CHUNK])
            self._apply(events, states, touched, deltas, (dated, shares))
            attendance += [(p, e) for p, e in events if type(e) in sites.CASE_EVENTS]
        for case_id, state in touched.items():
            deltas.move(before.get(case_id), state)
        self.rows.save(tx, list(touched.values()), stored, interventions_before)
        counters.write(tx, deltas)
        daily.write(tx, dated)
        staff = [
            (n.id, self.mapper.to_domain_event(n))
            for n in notifications
            if n.id > after and n.topic.startswith(_USER_EVENT)
        ]
        users.apply(tx, staff)
        places = [
            (n.id, self.mapper.to_domain_event(n))
            for n in notifications
            if n.id > after and n.topic.startswith(_SITE_EVENT)
        ]
        # The sites first: a child attends a site registered before (in log order).
        sites.apply(tx, places)
        sites.apply(tx, attendance)
        tx.advance(notifications[-1].id)
        return len(mine) + len(staff) + len(places)

    def decode(self, notifications: Sequence[Notification], *, after: int = 0) -> list[Event]:
        """The Case events among `notifications` after `after`, decoded (and decrypted)."""
        to_event = self.mapper.to_domain_event
        return [
            (n.id, to_event(n))
            for n in notifications
            if n.id > after and n.topic.startswith(_CASE_EVENT)
        ]

    def _apply(
        self,
        events: list[Event],
        states: dict[str, CaseState],
        touched: dict[str, CaseState],
        deltas: counters.Deltas,
        series: tuple[daily.DailyDeltas, dict[str, tuple[str, Any]]],
    ) -> None:
        for position, event in events:
            case_id, kind = str(event.originator_id), type(event)
            state = states.get(case_id)
            if kind is IDENTIFIED:
                state, flows = identified(
                    case_id,
                    event.originator_version,
                    position,
                    event.record,
                    getattr(event, "next_visit_due", None),
                )
                states[case_id] = state
            elif state is None:
                # Only possible if the log lost an identification; never guessed at.
                log.error("event=orphan_event position=%s kind=%s", position, kind.__name__)
                continue
            else:
                if getattr(event, "field", None) in PERSONAL_FIELDS:  # a correction of them
                    self.rows.open_personal(state)
                flows = apply(state, kind, event.__dict__)
            state.version = event.originator_version
            touched[case_id] = state
            deltas.flow(flows)
            # Dated event by event (a page may hold days of one case's history).
            recorded = daily.recorded_on(event)
            days = (recorded, daily.effective_on(event.__dict__, state, recorded))
            dated, shares = series
            shares[case_id] = dated.move(shares.get(case_id), state, days)
