"""`careledger notify reconcile` and `careledger notify deliveries …`: the operator's tools
for the must-not-miss alerts and for external deliveries."""

from __future__ import annotations

from datetime import timedelta

import click

from shared.cli import configure_logging, exit_clean_or_not, load_settings
from shared.progress import progress_bar


@click.command("reconcile")
@click.option("--repair", is_flag=True, help="Write what is missing (safe to repeat).")
@click.option(
    "--grace-minutes",
    default=10,
    show_default=True,
    type=click.IntRange(0, 10_080),
    help="Leave events this recent to the consumers (lag is not loss).",
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="List at most this many gaps.",
)
@click.option("--json", "as_json", is_flag=True, help="The report as one JSON object.")
def reconcile(repair: bool, grace_minutes: int, limit: int, as_json: bool) -> None:
    """Check the must-not-miss alerts (no guardian, harm found, mandatory report) against
    the case service's event log, read from its store without Redis.

    Exit status 0 when nothing is missing (or everything was repaired), 1 otherwise."""
    from eventsourcing.persistence import PersistenceError
    from rich.console import Console

    from services.notify.bootstrap import build_notify
    from services.notify.operate.caselog import CaseLog, CaseStoreMissingError
    from services.notify.operate.reconcile import reconcile as run_reconcile
    from services.notify.operate.reconcile_view import as_json as report_json
    from services.notify.operate.reconcile_view import show

    settings = load_settings()
    configure_logging(settings)
    try:
        log = CaseLog(settings)
        head = log.head()
    except CaseStoreMissingError as error:
        raise click.ClickException(str(error)) from None
    except PersistenceError as error:
        raise click.ClickException(f"cannot read the case store: {error}") from None
    if head == 0:
        click.echo(
            "warning: the case store's event log is empty; is this the case "
            "service's CARELEDGER_DATABASE_URL (and schema)?",
            err=True,
        )
    service = build_notify(settings)
    try:
        with progress_bar("reading the event log", head) as advance:
            reached = 0

            def moved(position: int) -> None:
                nonlocal reached
                advance(position - reached)
                reached = position

            report = run_reconcile(
                log.envelopes(),
                service,
                repair=repair,
                grace=timedelta(minutes=grace_minutes),
                progress=moved,
            )
    finally:
        service.close()
        log.close()
    if as_json:
        click.echo(report_json(report))
    else:
        show(report, Console(), limit=limit)
    exit_clean_or_not(report.clean)


@click.group("deliveries")
def deliveries() -> None:
    """Webhook and e-mail deliveries: list them, send failed ones again."""


@deliveries.command("list")
@click.option(
    "--status",
    default="failed",
    show_default=True,
    type=click.Choice(["pending", "sent", "failed"]),
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def list_command(status: str, limit: int) -> None:
    """The oldest deliveries in a status: id, channel, attempts, last error, target."""
    from services.notify.bootstrap import build_notify
    from services.notify.deliver.outbox import list_deliveries

    service = build_notify(load_settings())
    try:
        rows = list_deliveries(service.db, status, limit)
    finally:
        service.close()
    for r in rows:
        click.echo(
            f"{r['id']}  {r['channel']}  {r['status']}  attempts {r['attempts']}  "
            f"next {r['next_attempt_at']}  {r['last_error'] or '-'}  {r['target']}"
        )
    click.echo(f"{len(rows)} {status} deliveries shown", err=True)


@deliveries.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed delivery.")
def retry_command(ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed deliveries again (by id, or --all-failed), with a fresh count of attempts.

    Fix the cause first (the receiver, the SMTP server, the subscription)."""
    from services.notify.bootstrap import build_notify
    from services.notify.deliver.outbox import NotFailedError, redeliver

    if bool(ids) == all_failed:
        raise click.UsageError("give failed deliveries' ids, or --all-failed")
    service = build_notify(load_settings())
    try:
        count = redeliver(service.db, service.clock.now(), None if all_failed else list(ids))
    except NotFailedError as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    finally:
        service.close()
    click.echo(f"{count} failed deliveries queued again", err=True)
