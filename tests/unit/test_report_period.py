"""Reporting periods (services/cases/reports/period.py) and the report's words."""

from __future__ import annotations

from datetime import date

import pytest

from services.cases.reports.labels import LANGUAGES, text
from services.cases.reports.period import PeriodError, parse


@pytest.mark.parametrize(
    ("given", "label", "start", "end", "previous"),
    [
        ("2026-Q3", "2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q2"),
        ("2026-Q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
        ("2026-02", "2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026-01"),
        ("2028-02", "2028-02", date(2028, 2, 1), date(2028, 2, 29), "2028-01"),
        ("2026-01", "2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
        ("2026-12", "2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-11"),
        ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31), "2025"),
        (" 2026-Q4 ", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q3"),
    ],
)
def test_a_year_a_quarter_or_a_month_names_its_days_and_the_period_before(
    given: str, label: str, start: date, end: date, previous: str
) -> None:
    period = parse(given)

    assert (period.label, period.start, period.end) == (label, start, end)
    assert period.previous().label == previous


@pytest.mark.parametrize(
    "given", ["", "2026-Q0", "2026-Q5", "2026-13", "2026-00", "2026-1", "26-Q3", "1999", "Q3"]
)
def test_anything_else_is_refused_with_the_forms_it_may_take(given: str) -> None:
    with pytest.raises(PeriodError, match="2026-Q3"):
        parse(given)


def test_english_has_every_word_chinese_has() -> None:
    zh, *others = (set(text(lang)) for lang in LANGUAGES)
    assert all(keys == zh for keys in others)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_table_title_fits_a_sheet_name(lang: str) -> None:
    t = text(lang)
    tables = ["overview", "guardians", "ranking", "missing", "interventions_by_kind"]
    tables += ["interventions_by_department", "closures_by_kind", "closures_by_department"]
    tables += ["no_guardian_table", "care_sites"]
    assert {key: t[key] for key in tables if len(t[key]) > 31} == {}  # Excel's limit
