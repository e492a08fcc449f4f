"""The command-line helpers every `careledger` sub-command shares (shared/cli.py,
shared/progress.py) and the one clock (shared/clock.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click
import pytest

from shared.cli import EXIT_OK, EXIT_PROBLEMS_LEFT, exit_clean_or_not, load_settings
from shared.clock import Clock
from shared.progress import position_bar, progress_bar, status_line


def test_a_bad_setting_stops_the_command_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CARELEDGER_SMTP_PORT", "twenty-five")

    with pytest.raises(click.ClickException, match="CARELEDGER_SMTP_PORT"):
        load_settings()


def test_a_command_that_needs_redis_stops_before_writing_anything_without_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CARELEDGER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("REDIS_URL", raising=False)

    with pytest.raises(click.UsageError, match="REDIS_URL is not set"):
        load_settings(needs_redis=True)
    assert not (tmp_path / "var").exists()


def test_a_command_exits_0_when_clean_and_1_when_problems_are_left() -> None:
    with pytest.raises(SystemExit) as clean:
        exit_clean_or_not(True)
    with pytest.raises(SystemExit) as not_clean:
        exit_clean_or_not(False)

    assert (clean.value.code, not_clean.value.code) == (EXIT_OK, EXIT_PROBLEMS_LEFT) == (0, 1)


@pytest.mark.parametrize("show", [False, True])
def test_progress_displays_take_their_updates_whether_drawn_or_not(show: bool) -> None:
    with progress_bar("working", 3, unit="things", show=show) as advance:
        advance(1)
        advance(2)
    with status_line("notify", show=show) as update:
        update("handled 3")
    with position_bar("catching up", 0, 10) as reached:
        reached(5)
        reached(10)


class _At(Clock):
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def test_today_is_the_date_in_china_not_in_utc() -> None:
    late_evening_utc = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # 01:30 on the 30th in China

    assert _At(late_evening_utc).today() == date(2026, 11, 30)
