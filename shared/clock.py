"""The one clock of both services: instants in UTC, dates in China."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# China has one time zone and no daylight saving: "today" is the date in UTC+8.
CHINA = timezone(timedelta(hours=8), "CST")


class Clock:
    """Today's date and the current instant; tests hand in a fixed one."""

    def now(self) -> datetime:
        """The current instant, in UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's date in China."""
        return self.now().astimezone(CHINA).date()
