"""Seeding the demo city into an empty store, in batches, with a progress bar on a terminal.

Users are saved first, then the cases a few hundred at a time: `Cases.save(*cases)` writes
all their events in one transaction, which is what makes 10,000 children with a year of
history take seconds rather than the minutes one transaction per event would.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random
from time import perf_counter
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from shared.progress import progress_bar

from ..accounts import list_usernames
from ..application import Cases
from ..bootstrap import CaseService
from ..domain import Case
from ..projections.divisions import import_divisions
from .history import Life
from .people import RecordMaker
from .places import Village, division_rows, villages
from .sites import attend, demo_sites
from .staff import DEMO_VILLAGE, actor, user_aggregates

SEED = 20261129  # the same city on every run (only ids and timestamps differ)
BATCH_SIZE = 250
_LAX_VILLAGES = 0.1  # share of villages whose child director falls behind on visits


@dataclass(frozen=True)
class SeedSummary:
    """What a seeding run wrote; `seeded` is False when the store already held cases."""

    seeded: bool
    children: int
    events: int
    users: int
    seconds: float

    def line(self) -> str:
        """The one-line, key=value summary (no child's data in it)."""
        if not self.seeded:
            return "demo seed skipped: the store already holds cases; nothing written"
        return (
            f"demo seeded children={self.children} events={self.events} "
            f"users={self.users} seconds={self.seconds:.1f}"
        )


def seed_demo(
    service: CaseService, children: int = 10_000, *, show_progress: bool | None = None
) -> SeedSummary:
    """Seeds the demo city (users, then `children` cases with a year of history) when the
    store holds no case yet; otherwise writes nothing. Progress shows on a terminal. The
    city's division names are imported either way (once imported, that changes nothing)."""
    started = perf_counter()
    import_divisions(service.read_models.store, division_rows())
    cases = service.cases
    if has_cases(cases):
        return _report(SeedSummary(False, 0, 0, 0, perf_counter() - started))
    writer = _Writer(cases)
    users = user_aggregates(service.accounts.hasher, skip=set(list_usernames(cases)))
    writer.save(*users)
    # The care sites and this year's plans (docs/care-sites.md), then children attending.
    sites = demo_sites(Random(SEED + 1), cases.clock.today())
    writer.save(*sites.aggregates)
    with progress_bar(
        "seeding the demo city", children, unit="children", show=show_progress
    ) as advance:
        for batch in _batches(cases.clock.today(), children, sites.open_in):
            writer.save(*batch)
            advance(len(batch))
    return _report(SeedSummary(True, children, writer.events, len(users), perf_counter() - started))


def has_cases(cases: Cases) -> bool:
    """True when the store holds at least one identified child."""
    topic = get_topic(Case.Identified)  # type: ignore[attr-defined]
    return bool(cases.recorder.select_notifications(0, 1, topics=[topic], inclusive_of_start=False))


class _Writer:
    """Saves aggregates' pending events in one transaction, counting them."""

    def __init__(self, cases: Cases) -> None:
        self.cases = cases
        self.events = 0

    def save(self, *aggregates: Aggregate) -> None:
        self.events += sum(len(a.pending_events) for a in aggregates)
        self.cases.save(*aggregates)


def _batches(
    today: date, children: int, open_sites: dict[str, tuple[str, str]]
) -> Iterator[list[Case]]:
    rng = Random(SEED)
    lax = {v.code for v in villages() if rng.random() < _LAX_VILLAGES}
    maker = RecordMaker(rng, today)
    homes = _homes(rng, children)
    attending = Random(SEED + 2)  # apart, so the children's lives stay as they were
    for start in range(0, children, BATCH_SIZE):
        batch = []
        for n, home in enumerate(homes[start : start + BATCH_SIZE], start):
            record = maker.record(home)
            waits = n < len(_REVIEWS) and home.code == DEMO_VILLAGE
            if waits:
                record = _found_days_ago(record, today, _REVIEWS[n][0])
            case = Life(rng, today, record, lax=home.code in lax).play()
            if waits:
                _submit_for_review(case, _REVIEWS[n][1])
            batch.append(case)
        attend(attending, batch, open_sites, today)
        yield batch


# Review before it counts (复核): the demo director's first children were found lately and
# wait for the supervisor: (days ago, the supervisor's comment when she returned it). The
# one found eight days ago has waited more than three: notify's scheduler tells her.
_REVIEWS: tuple[tuple[int, str | None], ...] = (
    (1, None),
    (8, None),
    (6, "出生日期与户口簿不一致，请核对后重新提交"),
)


def _found_days_ago(record: dict[str, Any], today: date, days: int) -> dict[str, Any]:
    """The record as if the child had been found `days` ago, at the same age."""
    found = today - timedelta(days=days)
    shift = found - date.fromisoformat(record["identified_on"])
    born = date.fromisoformat(record["child"]["birth_date"]) + shift
    child = {**record["child"], "birth_date": min(born, found).isoformat()}
    return {**record, "child": child, "identified_on": found.isoformat()}


def _submit_for_review(case: Case, comment: str | None) -> None:
    """As `Cases.identify` asks for a director's identification: pending review since the
    day the child was found; returned by the township supervisor with `comment`."""
    found = date.fromisoformat(case.record["identified_on"])
    case.request_review(
        subject="identification", key_facts=[], actor=actor("director"), today=found
    )
    if comment is not None:
        case.return_review(
            comment=comment, actor=actor("supervisor"), today=found + timedelta(days=1)
        )


def _homes(rng: Random, children: int) -> list[Village]:
    """The village of each child: villages differ in size, and the demo director's
    village always has children, however few are seeded."""
    everywhere = villages()
    sizes = [rng.uniform(0.4, 1.6) for _ in everywhere]
    demo = next(v for v in everywhere if v.code == DEMO_VILLAGE)
    first = [demo] * min(children, 3)
    return first + rng.choices(everywhere, weights=sizes, k=children - len(first))


def _report(summary: SeedSummary) -> SeedSummary:
    print(summary.line(), file=sys.stderr)
    return summary
