"""The child's calendar, run daily (issue 11): a child who turned 16 is flagged for
closure on the day, for the township supervisor's review, by the named system actor
`system:calendar` (Cases.propose_closures_at_16). A loop for `shared.runner.Runner`,
supervised as `careledger cases calendar`; safe to run often, and two at once: a case is
flagged once (the second append loses the race, and looks again)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from .bootstrap import CaseService
from .domain.checks import add_years

log = logging.getLogger("careledger.calendar")


class CalendarJob:
    """One `run_once` checks the register for 16th birthdays, at most every
    `every_seconds` (the first one at once)."""

    name = "calendar"

    def __init__(
        self,
        service: CaseService,
        *,
        every_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.every_seconds = every_seconds
        self._clock = clock
        self._last: float | None = None
        self.flagged = 0

    def run_once(self) -> int:
        if self._last is not None and self._clock() - self._last < self.every_seconds:
            return 0
        flagged = self.check(self.service.cases.clock.today())
        self._last = self._clock()
        return flagged

    def check(self, today: date) -> int:
        """Flags the active cases whose child turned 16 by `today`; answers how many."""
        # Born on or before this day 16 years ago (29 February: the 28th of a plain year):
        # the read models narrow the register to them, the case decides on the day.
        born_by = add_years(today, -16)
        candidates = self.service.read_models.active_born_by(born_by)
        flagged = self.service.cases.propose_closures_at_16(candidates, today)
        self.flagged += flagged
        log.info(
            "event=calendar_checked today=%s candidates=%d flagged=%d",
            today.isoformat(),
            len(candidates),
            flagged,
        )
        return flagged

    def close(self) -> None:
        self.service.close()
