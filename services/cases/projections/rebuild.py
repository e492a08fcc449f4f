"""Rebuilding every read model from the log, while the API keeps reading the old ones.

A rebuild fills a new generation of tables from notification 1, one transaction per page.
Near the head it takes the active generation's lock (the live projector waits), applies
the last pages into the new generation and marks it active, in that one transaction: a
reader sees the old generation or the new one, never a mix, and the new one is at least
as far along as the old was. After a grace period (readers mid-query finish) the old
tables are dropped. An interrupted rebuild leaves a "building" generation the next one
drops; the active generation is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder

from .pages import PageProjection
from .projector import REBUILD_PAGE_SIZE
from .store import ReadModelStore


@dataclass(frozen=True)
class RebuildSummary:
    """What a rebuild did."""

    generation: int
    previous: int
    events: int
    position: int
    seconds: float

    @property
    def rate(self) -> float:
        """Notifications per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line, key=value summary."""
        return (
            f"read models rebuilt generation={self.generation} "
            f"replaced={self.previous} events={self.events} position={self.position} "
            f"seconds={self.seconds:.1f} events_per_second={self.rate:.0f}"
        )


def rebuild(
    recorder: ApplicationRecorder,
    projection: PageProjection,
    store: ReadModelStore,
    *,
    page_size: int = REBUILD_PAGE_SIZE,
    grace_seconds: float = 5.0,
    on_progress: Callable[[int], None] | None = None,
) -> RebuildSummary:
    """Rebuilds all read models into a new generation and switches to it."""
    started = time.perf_counter()
    generation = store.begin_generation()
    position, events = 0, 0
    while True:
        notifications = recorder.select_notifications(position, page_size, inclusive_of_start=False)
        if len(notifications) < page_size:
            break  # the tail is applied under the switch's lock, below
        with store.writing(generation) as tx:
            projection.apply(tx, notifications)
        position, events = notifications[-1].id, events + len(notifications)
        if on_progress is not None:
            on_progress(position)
    store.index(generation)  # one sort per index now, rather than row by row all along
    with store.switching(generation) as tx:
        while notifications := recorder.select_notifications(
            tx.position, page_size, inclusive_of_start=False
        ):
            projection.apply(tx, notifications)
            events += len(notifications)
        position, previous = tx.position, tx.previous
    seconds = time.perf_counter() - started
    if on_progress is not None:
        on_progress(position)
    time.sleep(grace_seconds)
    store.drop_retired()
    return RebuildSummary(generation, previous, events, position, seconds)
