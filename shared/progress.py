"""Progress bars for the command line: drawn on a terminal, nothing otherwise, so logs
and pipes (and processes under a supervisor) stay clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextmanager
def progress_bar(
    label: str, total: int, *, unit: str = "", show: bool | None = None
) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; draws a bar only when standard error is a terminal (or as
    `show` says)."""
    if not (sys.stderr.isatty() if show is None else show):
        yield lambda _: None
        return
    with _bar(label, unit) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def position_bar(
    label: str, start: int, head: int, *, unit: str = "events"
) -> Iterator[Callable[[int], None]]:
    """Yields `reached(position)` for a follower of the log catching up from `start` to
    `head`; the bar goes away once `head` is reached (what follows is the live tail)."""
    console = Console(stderr=True)
    if not console.is_terminal or head <= start:
        yield lambda _: None
        return
    with _bar(label, unit, console) as progress:
        task = progress.add_task(label, total=head, completed=start)
        shown = [True]

        def reached(position: int) -> None:
            if shown[0]:
                progress.update(task, completed=min(position, head))
                if position >= head:
                    progress.stop()
                    shown[0] = False

        yield reached


@contextmanager
def status_line(label: str, *, show: bool | None = None) -> Iterator[Callable[[str], None]]:
    """Yields `update(text)` for a long-running process: a spinner, `label: text` and the
    time elapsed, drawn only when standard error is a terminal (or as `show` says)."""
    if not (sys.stderr.isatty() if show is None else show):
        yield lambda _: None
        return
    columns = (SpinnerColumn(), TextColumn(f"{label}: {{task.description}}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda text: progress.update(task, description=text)


def _bar(label: str, unit: str, console: Console | None = None) -> Progress:
    columns: list[ProgressColumn] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=console or Console(stderr=True), transient=True)
