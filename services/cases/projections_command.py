"""`careledger cases project` and `careledger cases rebuild-projections`: composition and
runs. It sits beside `bootstrap` rather than under projections/, which bootstrap builds
on: a projections module importing bootstrap would close an import cycle. On a terminal
both show a progress bar while they catch up with the log (quiet otherwise, as under a
supervisor), and both end with a one-line summary."""

from __future__ import annotations

import logging

from eventsourcing.persistence import ApplicationRecorder

from shared.process_health import health_port as serve_health
from shared.progress import position_bar
from shared.runner import Runner
from shared.settings import Settings

from .bootstrap import CaseService, build_case_service
from .projections.pages import PageProjection
from .projections.personal import PersonalData
from .projections.projector import PAGE_SIZE, build_projector, tune_gc
from .projections.rebuild import RebuildSummary, rebuild

log = logging.getLogger("careledger.projector")


def run_projector(
    settings: Settings,
    *,
    stall_seconds: float = 2.0,
    page_size: int = PAGE_SIZE,
    max_page_size: int | None = None,
    health_port: int = 0,
) -> str:
    """Runs the projector until SIGTERM or Ctrl-C (with /healthz, /readyz and /metrics on
    `health_port` when not 0); answers its summary line."""
    tune_gc()
    service = build_case_service(settings)
    recorder = service.cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    try:
        rebuild_if_outdated(settings, service)
        head = recorder.max_notification_id() or 0
        start = service.read_models.position()
        with position_bar("catching up with the log", start, head) as advance:
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
            lag = (
                "Events the read models have not applied yet",
                # the stored position: a standby's own is 0
                lambda: float(
                    (recorder.max_notification_id() or 0) - service.read_models.position()
                ),
            )
            with serve_health(health_port, [runner], {"careledger_projector_lag_events": lag}):
                runner.run()
        return f"projector stopped {projector.summary()}"
    finally:
        service.close()


def rebuild_if_outdated(settings: Settings, service: CaseService) -> RebuildSummary | None:
    """After an upgrade that changed the read models' tables, rebuilds them from the log
    before following it (the API answers from the old tables until the switch), so that
    an upgrade, or `./dev demo` on an older ./var, needs no step of its own."""
    if not service.read_models.store.outdated():
        return None
    log.warning('event=read_models_outdated action="rebuilding them from the log"')
    recorder = service.cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    projection = PageProjection(service.cases.mapper, PersonalData(settings.cipher_key))
    head = recorder.max_notification_id() or 0
    with position_bar("rebuilding the read models", 0, head) as advance:
        summary = rebuild(recorder, projection, service.read_models.store, on_progress=advance)
    log.info("event=read_models_rebuilt %s", summary.line())
    return summary


def run_rebuild(settings: Settings, *, grace_seconds: float) -> RebuildSummary:
    """Rebuilds every read model into a new generation and switches the API to it."""
    tune_gc()
    service = build_case_service(settings)
    recorder = service.cases.recorder
    assert isinstance(recorder, ApplicationRecorder)
    try:
        head = recorder.max_notification_id() or 0
        projection = PageProjection(service.cases.mapper, PersonalData(settings.cipher_key))
        with position_bar("rebuilding the read models", 0, head) as advance:
            return rebuild(
                recorder,
                projection,
                service.read_models.store,
                grace_seconds=grace_seconds,
                on_progress=advance,
            )
    finally:
        service.close()
