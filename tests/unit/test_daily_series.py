"""The daily series dates every counter change twice (services/cases/projections/daily.py):
when it was recorded, and when its fact took effect, read from the event itself."""

from __future__ import annotations

from services.cases.projections.daily import DATES, RECORDED_ONLY, effective_on
from services.cases.projections.state import IDENTIFIED, STATE, identified
from tests.support import IDENTIFY


def _fields(kind: type) -> set[str]:
    return {name for c in kind.__mro__ for name in getattr(c, "__annotations__", {})}


def test_every_event_the_read_models_handle_says_when_its_fact_took_effect() -> None:
    dated = {holder or name for holder, name in DATES} | {"field"}  # field: a correction
    undated = {
        kind.__name__
        for kind in STATE.handled | {IDENTIFIED}
        if not _fields(kind) & dated and kind.__name__ not in RECORDED_ONLY
    }
    assert undated == set()


def test_a_fact_takes_effect_on_its_own_date_and_a_correction_on_the_identification() -> None:
    state, _ = identified("c", 1, 1, IDENTIFY)

    assert effective_on({"visit": {"visited_on": "2026-05-02"}}, state, "2026-11-29") == (
        "2026-05-02"
    )
    assert effective_on({"closed_on": "2026-06-30"}, state, "2026-11-29") == "2026-06-30"
    assert (
        effective_on({"field": "child.school.status", "new_value": "dropped_out"}, state, "x")
        == (IDENTIFY["identified_on"])
    )
    assert effective_on({"field": "identified_on", "new_value": "2026-02-01"}, state, "x") == (
        "2026-02-01"
    )
    assert effective_on({"assignee": "director"}, state, "2026-11-29") == "2026-11-29"
