"""Reporting periods: a year (2026), a quarter (2026-Q3) or a month (2026-07)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


class PeriodError(ValueError):
    """Raised when a period is not a year, a quarter or a month."""


@dataclass(frozen=True)
class Period:
    """A reporting period: its label and its first and last day."""

    label: str
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same length just before (the figures beside this one's)."""
        if len(self.label) == 4:
            return parse(str(self.start.year - 1))
        if "Q" in self.label:
            year, quarter = self.start.year, (self.start.month - 1) // 3 + 1
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
            return parse(f"{year}-Q{quarter}")
        before = self.start - timedelta(days=1)
        return parse(f"{before.year:04d}-{before.month:02d}")


_FORM = re.compile(r"^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$")


def parse(text: str) -> Period:
    """The period `text` names; PeriodError for anything else."""
    found = _FORM.match(text.strip())
    if not found or not 2000 <= int(found.group(1)) <= 2999:
        raise PeriodError("Must be a year (2026), a quarter (2026-Q3) or a month (2026-07).")
    year = int(found.group(1))
    if found.group(2):
        first = (int(found.group(2)) - 1) * 3 + 1
        return Period(
            f"{year}-Q{found.group(2)}", date(year, first, 1), _month_end(year, first + 2)
        )
    if found.group(3):
        month = int(found.group(3))
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)
