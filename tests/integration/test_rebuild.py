"""Rebuilding the read models from the log: into new tables while the API keeps reading the
old ones, then one switch; readers never see a half-built generation nor go backwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner

from services.cases.access import Actor
from services.cases.bootstrap import CaseService
from services.cases.demo import seed_demo
from services.cases.projections.projector import build_projector
from services.cases.projections.queries import CaseFilter
from services.cases.projections.rebuild import rebuild
from services.cli import main
from shared.roles import Role
from shared.runner import Runner
from tests.integration.projection_support import (
    all_rows,
    command_env,
    personal_of,
    projection_of,
)
from tests.support import TODAY, caught_up, identify_body

CHILDREN = 100
AWAITING_REVIEW = 3  # the demo director's latest identifications (services/cases/demo/seed.py)
AUDITOR = Actor("auditor", Role.AUDITOR, "36", "rebuild-test")
AUDITOR_WRITER = Actor("civil_city", Role.CIVIL_AFFAIRS, "3601", "rebuild-test")


@pytest.fixture
def seeded(service: CaseService) -> CaseService:
    seed_demo(service, children=CHILDREN, show_progress=False)
    caught_up(service)
    return service


@dataclass(eq=False)
class Reader(threading.Thread):
    """Reads the summary and a page of the list over and over, as dashboards would."""

    service: CaseService
    seen: list[tuple[int, int, int]] = field(default_factory=list)  # position, total, listed
    errors: list[BaseException] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        rm = self.service.read_models
        while not self.stopping.is_set():
            try:
                summary = rm.summary(AUDITOR, "3601", TODAY)
                listed = rm.list_cases(AUDITOR, CaseFilter(), page=1, per_page=5, today=TODAY)
                self.seen.append(
                    (summary.position, summary.value["cases"]["total"], listed.value.total)
                )
            except BaseException as error:
                self.errors.append(error)


@pytest.fixture
def readers(seeded: CaseService) -> Iterator[list[Reader]]:
    started = [Reader(seeded) for _ in range(2)]
    for reader in started:
        reader.start()
    yield started
    for reader in started:
        reader.stopping.set()
        reader.join(timeout=10)


def tables(service: CaseService) -> set[str]:
    store = service.read_models.store
    if store.is_postgres:
        query = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?"
        params: tuple[Any, ...] = (store.schema,)
    else:
        query, params = "SELECT name FROM sqlite_master WHERE type = 'table'", ()
    return {r["name"] for r in store.read(lambda tx: tx.rows(query, params))}


def test_a_rebuild_switches_while_reads_keep_answering_and_never_see_it_half_built(
    seeded: CaseService, readers: list[Reader]
) -> None:
    store = seeded.read_models.store
    before = all_rows(store, personal_of(seeded))
    old_generation, _ = store.active()
    # the live projector runs beside the rebuild, as `careledger run` would have it
    projector = build_projector(seeded.settings, seeded.cases, store, subscribe=False, lease=False)
    runner = Runner(projector, idle_seconds=0.02)
    live = threading.Thread(target=runner.run, daemon=True)
    live.start()
    try:
        summary = rebuild(
            seeded.cases.recorder, projection_of(seeded), store, page_size=100, grace_seconds=0.3
        )
        for reader in readers:  # reads during the switch and after it
            count = len(reader.seen)
            while len(reader.seen) < count + 3 and not reader.errors:
                time.sleep(0.01)
            reader.stopping.set()
            reader.join(timeout=10)
        # after the switch, the live projector writes into the new generation
        seeded.cases.identify(AUDITOR_WRITER, identify_body())
        caught_up(seeded)
    finally:
        runner.stop()
        live.join(timeout=10)

    assert summary.generation > old_generation == summary.previous
    assert store.active()[0] == summary.generation
    for reader in readers:
        assert reader.errors == []
        # The figures count confirmed cases: the demo leaves three awaiting review (复核);
        # the list shows every case.
        assert {total for _, total, _ in reader.seen} == {CHILDREN - AWAITING_REVIEW}
        assert {listed for _, _, listed in reader.seen} == {CHILDREN}
        positions = [position for position, _, _ in reader.seen]
        assert positions == sorted(positions)  # never back to an older position
    assert not any(t.startswith(f"rm{old_generation}_") for t in tables(seeded))
    after = all_rows(store, personal_of(seeded))
    assert len(after["cases"]) == CHILDREN + 1
    assert {k: v for k, v in after.items() if k != "position"} != {
        k: v for k, v in before.items() if k != "position"
    }


def test_an_interrupted_rebuild_leaves_the_active_models_alone_and_the_next_one_clears_it(
    seeded: CaseService,
) -> None:
    store = seeded.read_models.store
    before = all_rows(store, personal_of(seeded))
    abandoned = store.begin_generation()
    page = seeded.cases.recorder.select_notifications(0, 300, inclusive_of_start=False)
    with store.writing(abandoned) as tx:
        projection_of(seeded).apply(tx, page)
    # … and the rebuild process dies here

    assert all_rows(store, personal_of(seeded)) == before
    summary = rebuild(seeded.cases.recorder, projection_of(seeded), store, grace_seconds=0)
    assert summary.generation > abandoned
    assert not any(t.startswith(f"rm{abandoned}_") for t in tables(seeded))
    assert all_rows(store, personal_of(seeded)) == before


def test_the_rebuild_command_reports_what_it_did_in_one_line(seeded: CaseService) -> None:
    old_generation, position = seeded.read_models.store.active()

    result = CliRunner().invoke(
        main,
        ["cases", "rebuild-projections", "--grace-seconds", "0"],
        env=command_env(seeded.settings),
    )

    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("read models rebuilt generation=")
    assert f"replaced={old_generation}" in line and f"position={position}" in line
    assert "events_per_second=" in line
    assert seeded.read_models.store.active() == (old_generation + 1, position)


def test_summaries_are_the_same_after_a_rebuild(seeded: CaseService) -> None:
    before = seeded.read_models.summary(AUDITOR, "3601", date(2026, 11, 1)).value
    rebuild(seeded.cases.recorder, projection_of(seeded), seeded.read_models.store, grace_seconds=0)
    assert seeded.read_models.summary(AUDITOR, "3601", date(2026, 11, 1)).value == before


def test_the_projector_rebuilds_read_models_an_upgrade_left_outdated(seeded: CaseService) -> None:
    from services.cases.projections_command import rebuild_if_outdated

    store = seeded.read_models.store
    generation, position = store.active()
    before = seeded.read_models.summary(AUDITOR, "3601", date(2026, 11, 1)).value
    # current tables: nothing to do
    assert rebuild_if_outdated(seeded.settings, seeded) is None
    # tables of an older release (their schema version recorded lower)
    with store.db.transaction() as tx:
        tx.execute(
            f"UPDATE {store.db.table('rm_generations')} SET schema_version = schema_version - 1 "
            "WHERE state = 'active'"
        )
    assert store.outdated()

    summary = rebuild_if_outdated(seeded.settings, seeded)

    assert summary is not None
    assert store.active() == (generation + 1, position)
    assert not store.outdated()
    assert seeded.read_models.summary(AUDITOR, "3601", date(2026, 11, 1)).value == before
