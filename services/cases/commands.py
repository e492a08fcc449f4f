"""`careledger cases …`: the case service's followers of the log (projector, relay)."""

from __future__ import annotations

import click

from shared.cli import configure_logging, health_port_option, load_settings
from shared.settings import Settings


@click.group()
def cases() -> None:
    """The case service's long-running processes and maintenance."""


@cases.command()
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Events appended per atomic script.",
)
@click.option(
    "--lease-seconds",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.5, 600),
    help="How long a killed relay keeps a standby waiting.",
)
@click.option(
    "--poll-seconds",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Pause when the stream is up to date.",
)
@click.option(
    "--trim-every-seconds", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600)
)
@click.option(
    "--max-backlog",
    default=500_000,
    show_default=True,
    type=click.IntRange(1000, None),
    help="Stop appending while the stream holds this many entries.",
)
@health_port_option
def relay(
    batch_size: int,
    lease_seconds: float,
    poll_seconds: float,
    trim_every_seconds: float,
    max_backlog: int,
    health_port: int,
) -> None:
    """Publish the event log to the Redis Stream, exactly once, in order.

    One relay publishes; a second one started beside it waits for the lease."""
    from services.cases.relay.command import RelayOptions, run_relay

    settings = load_settings(needs_redis=True)  # checked before anything is created on disk
    configure_logging(settings)
    options = RelayOptions(
        batch_size=batch_size,
        lease_seconds=lease_seconds,
        poll_seconds=poll_seconds,
        trim_every_seconds=trim_every_seconds,
        max_backlog=max_backlog,
        health_port=health_port,
    )
    run_relay(settings, options)


def _settings_or_exit() -> Settings:
    settings = load_settings()
    configure_logging(settings)
    return settings


@cases.command()
@click.option(
    "--stall-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="PostgreSQL: resubscribe when the log stays ahead this long unannounced.",
)
@click.option(
    "--page-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Notifications per transaction at the head of the log.",
)
@click.option(
    "--max-page-size",
    type=click.IntRange(1, 200_000),
    help="Notifications per transaction while catching up  [default: 20 × page size]",
)
@health_port_option
def project(
    stall_seconds: float, page_size: int, max_page_size: int | None, health_port: int
) -> None:
    """Keep the read models (lists, dashboards, worklists) up with the event log.

    One projector writes; a second one started beside it waits for the lease."""
    from services.cases.projections_command import run_projector

    summary = run_projector(
        _settings_or_exit(),
        stall_seconds=stall_seconds,
        page_size=page_size,
        max_page_size=max_page_size,
        health_port=health_port,
    )
    click.echo(summary, err=True)


@cases.command("rebuild-projections")
@click.option(
    "--grace-seconds",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 600),
    help="How long the replaced tables stay for readers still on them.",
)
def rebuild_projections(grace_seconds: float) -> None:
    """Rebuild every read model from the event log into new tables, then switch to them.

    The API keeps answering from the old tables until the switch."""
    from services.cases.projections_command import run_rebuild

    summary = run_rebuild(_settings_or_exit(), grace_seconds=grace_seconds)
    click.echo(summary.line(), err=True)


@cases.command("claim-id-numbers")
def claim_id_numbers() -> None:
    """Claim the ID number of every case identified before ID numbers were claimed (one
    child, one case: docs/register.md). Run once after upgrading; safe to run again.
    Cases that share a number with another are counted, for a person to look at."""
    from collections import Counter
    from uuid import UUID

    from eventsourcing.utils import get_topic

    from services.cases.bootstrap import build_case_service
    from services.cases.domain import Case
    from shared.progress import progress_bar

    service = build_case_service(_settings_or_exit())
    cases_app = service.cases
    try:
        topic = get_topic(Case.Identified)  # type: ignore[attr-defined]
        ids: list[UUID] = []
        position = 0
        while batch := cases_app.recorder.select_notifications(
            position, 1000, topics=[topic], inclusive_of_start=False
        ):
            ids += [UUID(str(n.originator_id)) for n in batch]
            position = batch[-1].id
        outcomes: Counter[str] = Counter()
        with progress_bar("claiming ID numbers", len(ids), unit="cases") as advance:
            for case_id in ids:
                outcomes[cases_app.claim_registered(case_id)] += 1
                advance(1)
    finally:
        service.close()
    click.echo(
        f"cases={len(ids)} claimed={outcomes['claimed']} already={outcomes['already']} "
        f"without_id_number={outcomes['none']} conflicts={outcomes['conflict']}",
        err=True,
    )


@cases.command()
@click.option(
    "--every-seconds",
    default=3600.0,
    show_default=True,
    type=click.FloatRange(1, 86_400),
    help="How often the register is checked for 16th birthdays.",
)
@click.option("--once", is_flag=True, help="Check once, say how many were flagged, and stop.")
@health_port_option
def calendar(every_seconds: float, once: bool, health_port: int) -> None:
    """The child's calendar: flag the children who turned 16 for closure, for review.

    Acts as the named system actor `system:calendar`; a flag is made once per case."""
    from services.cases.bootstrap import build_case_service
    from services.cases.calendar_job import CalendarJob
    from shared.process_health import health_port as serve_health
    from shared.runner import Runner

    settings = _settings_or_exit()
    job = CalendarJob(build_case_service(settings), every_seconds=every_seconds)
    if once:
        try:
            flagged = job.check(job.service.cases.clock.today())
        finally:
            job.close()
        click.echo(f"calendar: {flagged} cases flagged for closure at 16", err=True)
        return
    runner = Runner(job, idle_seconds=5.0)
    runner.install_signal_handlers()
    with serve_health(health_port, [runner]):
        runner.run()
    click.echo(f"calendar stopped: {job.flagged} cases flagged for closure at 16", err=True)
