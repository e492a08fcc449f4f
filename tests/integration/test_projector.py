"""The projector is exactly-once: rows and position in one transaction, a page delivered
twice changes nothing, pages of any size arrive at what a fresh rebuild builds, and every
row says what the aggregate says. On SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from services.cases.bootstrap import CaseService
from services.cases.demo import seed_demo
from services.cases.domain import Case
from services.cases.projections.projector import build_projector
from tests.integration.projection_support import (
    all_rows,
    personal_of,
    projection_of,
    rebuilt_rows,
)
from tests.support import TODAY, caught_up

CHILDREN = 120


@pytest.fixture
def seeded(service: CaseService) -> CaseService:
    """The demo city with a small number of children, nothing projected yet."""
    seed_demo(service, children=CHILDREN, show_progress=False)
    return service


def head(service: CaseService) -> int:
    return service.cases.recorder.max_notification_id() or 0


def page_of(service: CaseService, after: int, size: int) -> Sequence[Notification]:
    return service.cases.recorder.select_notifications(after, size, inclusive_of_start=False)


def rows(service: CaseService) -> dict[str, Any]:
    return all_rows(service.read_models.store, personal_of(service))


def aggregates(service: CaseService) -> list[Case]:
    ids = {r["case_id"] for r in rows(service)["cases"]}
    return [service.cases.repository.get(UUID(i)) for i in sorted(ids)]


# ---- exactly once ----------------------------------------------------------------------------


def test_a_page_delivered_twice_changes_nothing_the_second_time(seeded: CaseService) -> None:
    store, projection = seeded.read_models.store, projection_of(seeded)
    page = page_of(seeded, 0, 700)
    with store.writing() as tx:
        assert projection.apply(tx, page) > 0
    once = rows(seeded)

    with store.writing() as tx:
        applied = projection.apply(tx, page)

    assert applied == 0
    assert rows(seeded) == once
    assert once["position"] == page[-1].id


def test_a_page_overlapping_what_was_applied_adds_only_what_is_new(seeded: CaseService) -> None:
    store, projection = seeded.read_models.store, projection_of(seeded)
    with store.writing() as tx:
        projection.apply(tx, page_of(seeded, 0, 500))

    with store.writing() as tx:  # 301..800: 301..500 again, then 501..800
        projection.apply(tx, page_of(seeded, 300, 500))
    caught_up(seeded)

    assert rows(seeded) == rebuilt_rows(seeded)


def test_rows_and_position_are_written_together_or_not_at_all(seeded: CaseService) -> None:
    store, projection = seeded.read_models.store, projection_of(seeded)
    before = rows(seeded)

    with pytest.raises(RuntimeError), store.writing() as tx:
        projection.apply(tx, page_of(seeded, 0, 400))
        assert tx.position == 400
        raise RuntimeError("the process dies before the commit")

    assert rows(seeded) == before  # no row, no counter, no position: all or nothing
    assert before["position"] == 0 and before["cases"] == []


def test_the_projector_catches_up_in_pages_one_transaction_each(seeded: CaseService) -> None:
    projector = build_projector(
        seeded.settings,
        seeded.cases,
        seeded.read_models.store,
        subscribe=False,
        lease=False,
        page_size=20,
    )
    positions, sizes = [], []
    while handled := projector.run_once():
        sizes.append(handled)
        positions.append(seeded.read_models.position())  # one commit per page

    # pages grow while far behind (20, 40, 80…, then at most 20 × 20)
    assert sizes[:5] == [20, 40, 80, 160, 320] and max(sizes) == 400
    assert positions == [sum(sizes[:n]) for n in range(1, len(sizes) + 1)]
    assert positions[-1] == head(seeded) == projector.events


def test_pages_of_any_size_delivered_any_number_of_times_equal_a_fresh_rebuild(
    seeded: CaseService,
) -> None:
    store, projection = seeded.read_models.store, projection_of(seeded)
    rng = random.Random(3)
    position = 0
    while position < head(seeded):
        # Sometimes a replay from further back, as after a crash or a resubscription.
        start = max(0, position - rng.randint(0, 300)) if rng.random() < 0.3 else position
        with store.writing() as tx:
            projection.apply(tx, page_of(seeded, start, rng.randint(1, 400)))
            position = tx.position
    incremental = rows(seeded)

    assert incremental["position"] == head(seeded)
    assert incremental["sites"] and incremental["site_plans"]  # the demo's care sites too
    assert incremental == rebuilt_rows(seeded)


# ---- the rows say what the aggregates say ----------------------------------------------------


def test_every_case_row_agrees_with_its_aggregate(seeded: CaseService) -> None:
    caught_up(seeded)
    by_id = {r["case_id"]: r for r in rows(seeded)["cases"]}

    assert len(by_id) == CHILDREN
    for case in aggregates(seeded):
        row = by_id[str(case.id)]
        assert {k: row[k] for k in _ROW_FACTS} == {
            "version": case.version,
            "jurisdiction": case.jurisdiction,
            "status": case.status,
            "guardian_type": case.guardian_type,
            "guardian_since": case.guardian_since,
            "entrustment_signed": int(case.entrustment_signed),
            "identified_on": case.record["identified_on"],
            "risk_level": case.risk_level,
            "last_visit_on": case.last_visit_on,
            "next_visit_due": case.next_visit_due,
            "school_status": case.school_status,
            "assigned_to": case.assigned_to,
            "has_mandatory_report": int(case.has_mandatory_report),
            "open_interventions": len(case.open_interventions),
            "visit_count": case.visit_count,
        }, str(case.id)
        assert row["personal"]["name"] == case.child["name"]


_ROW_FACTS = (
    "version",
    "jurisdiction",
    "status",
    "guardian_type",
    "guardian_since",
    "entrustment_signed",
    "identified_on",
    "risk_level",
    "last_visit_on",
    "next_visit_due",
    "school_status",
    "assigned_to",
    "has_mandatory_report",
    "open_interventions",
    "visit_count",
)


@pytest.mark.parametrize("scope", ["36", "3601", "360124", "360124105"])
def test_the_counters_of_every_level_equal_a_count_over_the_aggregates(
    seeded: CaseService, scope: str
) -> None:
    caught_up(seeded)
    in_scope = [c for c in aggregates(seeded) if c.jurisdiction.startswith(scope)]
    # The figures count confirmed cases (复核): the demo director's latest identifications
    # awaiting review are apart.
    cases = [c for c in in_scope if c.counted]
    active = [c for c in cases if c.status == "active"]
    as_of = TODAY - timedelta(days=20)  # overdue is counted for any day asked
    counts = _counts(seeded, scope)
    summary = _summary(seeded, scope, as_of)

    assert counts.get("review:new", 0) == len(in_scope) - len(cases)
    assert summary["pending_review"]["new_cases"] == len(in_scope) - len(cases)
    assert counts.get("cases", 0) == len(cases)
    assert counts.get("active", 0) == len(active)
    assert Counter(
        {k.removeprefix("guardian:"): n for k, n in counts.items() if k.startswith("guardian:")}
    ) == Counter(c.guardian_type for c in active)
    assert summary["risk_levels"]["high"] == sum(c.risk_level == "high" for c in active)
    assert summary["school_dropouts"] == sum(c.school_status == "dropped_out" for c in active)
    assert summary["overdue_visits"] == sum(
        date.fromisoformat(c.next_visit_due) < as_of for c in active
    )
    assert summary["visit_coverage"]["last_30_days"]["visited"] == sum(
        c.last_visit_on is not None
        and as_of - timedelta(days=30) < date.fromisoformat(c.last_visit_on) <= as_of
        for c in active
    )
    open_ones = [i for c in active for i in c.open_interventions]
    assert {k: n for k, n in summary["interventions"]["by_kind"].items() if n} == dict(
        Counter(i["kind"] for i in open_ones)
    )
    assert summary["interventions"]["overdue"] == sum(
        1 for i in open_ones if i.get("due_by") and date.fromisoformat(i["due_by"]) < as_of
    )
    assert summary["workload"]["assigned"] == sum(c.assigned_to is not None for c in active)


def _counts(service: CaseService, scope: str) -> dict[str, int]:
    return service.read_models.store.read(
        lambda tx: {
            r["metric"]: r["n"]
            for r in tx.rows("SELECT metric, n FROM {counts} WHERE scope = ?", (scope,))
        }
    )


def _summary(service: CaseService, scope: str, as_of: date) -> dict[str, Any]:
    from services.cases.access import Actor
    from shared.roles import Role

    actor = Actor("auditor", Role.AUDITOR, "36", "test")
    return service.read_models.summary(actor, scope, as_of).value
