"""`careledger cases project` and `careledger cases rebuild-projections`: composition and
runs. On a terminal both show a progress bar while they catch up with the log (quiet
otherwise, as under a supervisor), and both end with a one-line summary."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from eventsourcing.persistence import ApplicationRecorder
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shared.runner import Runner
from shared.settings import Settings

from ..bootstrap import build_case_service
from .pages import PageProjection
from .personal import PersonalData
from .projector import PAGE_SIZE, build_projector
from .rebuild import RebuildSummary, rebuild

log = logging.getLogger("careledger.projector")


def tune_gc() -> None:
    """Fewer garbage collections for a process that decodes tens of thousands of events a
    page: with the default threshold (700 allocations) the collector walks the page's
    objects again and again, which costs the projector as much as a third of its time.
    Nothing here forms reference cycles worth collecting sooner."""
    gc.freeze()  # what was loaded at start-up stays: no need to walk it each time
    gc.set_threshold(50_000, 50, 100)


def run_projector(
    settings: Settings,
    *,
    stall_seconds: float = 2.0,
    page_size: int = PAGE_SIZE,
    max_page_size: int | None = None,
) -> str:
    """Runs the projector until SIGTERM or Ctrl-C; answers its summary line."""
    tune_gc()
    service = build_case_service(settings)
    recorder = service.cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    try:
        head = recorder.max_notification_id() or 0
        start = service.read_models.position()
        with _progress("catching up with the log", start, head) as advance:
            projector = build_projector(
                settings,
                service.cases,
                service.read_models.store,
                stall_seconds=stall_seconds,
                page_size=page_size,
                max_page_size=max_page_size,
                on_page=advance,
            )
            # Over PostgreSQL the feed itself waits for NOTIFY; SQLite is polled.
            runner = Runner(projector, idle_seconds=0.05 if settings.uses_postgres else 0.1)
            runner.install_signal_handlers()
            runner.run()
        return f"projector stopped {projector.summary()}"
    finally:
        service.close()


def run_rebuild(settings: Settings, *, grace_seconds: float) -> RebuildSummary:
    """Rebuilds every read model into a new generation and switches the API to it."""
    tune_gc()
    service = build_case_service(settings)
    recorder = service.cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    try:
        head = recorder.max_notification_id() or 0
        projection = PageProjection(service.cases.mapper, PersonalData(settings.cipher_key))
        with _progress("rebuilding the read models", 0, head) as advance:
            return rebuild(
                recorder,
                projection,
                service.read_models.store,
                grace_seconds=grace_seconds,
                on_progress=advance,
            )
    finally:
        service.close()


@contextmanager
def _progress(title: str, start: int, head: int) -> Iterator[Callable[[int], None]]:
    """Calls back with positions; shows them against `head` on a terminal, until reached."""
    console = Console(stderr=True)
    if not console.is_terminal or head <= start:
        yield lambda _: None
        return
    columns = (
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task: TaskID = progress.add_task(title, total=head, completed=start)
        shown = [True]

        def advance(position: int) -> None:
            if shown[0]:
                progress.update(task, completed=min(position, head))
                if position >= head:  # caught up: what follows is the live tail
                    progress.stop()
                    shown[0] = False

        yield advance
