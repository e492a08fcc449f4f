"""`careledger notify …`: the notify service's processes and operations."""

from __future__ import annotations

import json

import click

from services.notify.operate.operations import deliveries, reconcile
from shared.cli import (
    configure_logging,
    connect_redis,
    exit_clean_or_not,
    health_port_option,
    load_settings,
    serve_app,
    workers_option,
)
from shared.progress import progress_bar
from shared.redis_client import RedisNotConfiguredError


@click.group()
def notify() -> None:
    """The notify service: consumer, scheduler, deliveries, inbox API, dead letters,
    reconciliation."""


@notify.command("run")
@click.option("--consumer", default="", help="Consumer name in the group (default host:pid).")
@click.option("--group", default="notify", show_default=True)
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--delivery-attempts",
    default=10,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Attempts of a webhook or e-mail before it is given up as failed.",
)
@health_port_option
def run(consumer: str, group: str, batch: int, delivery_attempts: int, health_port: int) -> None:
    """Consume the event stream, run the scheduler and send webhooks and e-mails until
    stopped (SIGTERM, Ctrl-C)."""
    from services.notify.bootstrap import build_notify
    from services.notify.consume.consumer import ConsumerOptions
    from services.notify.deliver.deliveries import DeliveryOptions
    from services.notify.operate.process import run_notify

    settings = load_settings()
    configure_logging(settings)
    options = ConsumerOptions(group=group, batch=batch)
    if consumer:
        options = ConsumerOptions(group=group, batch=batch, consumer=consumer)
    service = build_notify(settings)
    try:
        click.echo(
            run_notify(
                service,
                options,
                delivery_options=DeliveryOptions(max_attempts=delivery_attempts),
                health_port=health_port,
            ),
            err=True,
        )
    except RedisNotConfiguredError as error:
        raise click.ClickException(str(error)) from None
    finally:
        service.close()


@notify.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--cases-url",
    default="",
    help="The case API notify asks whether a token holds (default CARELEDGER_CASES_URL).",
)
@workers_option
def serve(host: str, port: int, threads: int, cases_url: str, workers: int) -> None:
    """Serve the inbox API."""
    from dataclasses import replace

    from services.notify.api import create_app

    settings = load_settings()
    if cases_url:
        settings = replace(settings, cases_url=cases_url.rstrip("/"))
    configure_logging(settings)
    serve_app(
        lambda: create_app(settings),
        host=host,
        port=port,
        threads=threads,
        name="CareLedger notify API",
        workers=workers,
    )


@notify.group("dead-letters")
def dead_letters() -> None:
    """Entries notify could not handle: list them, retry them."""


@dead_letters.command("list")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(limit: int, as_json: bool) -> None:
    """The oldest dead letters: id, stream id, type, deliveries, reason."""
    from services.notify.consume.deadletters import count_dead_letters, list_dead_letters

    settings = load_settings()
    client = connect_redis(settings)
    letters = list_dead_letters(client, settings.stream, count=limit)
    for letter in letters:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": letter.id,
                        "stream_id": letter.stream_id,
                        "type": letter.type,
                        "event_id": letter.fields.get("event_id"),
                        "deliveries": letter.deliveries,
                        "at": letter.at,
                        "reason": letter.reason,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                f"{letter.id}  stream {letter.stream_id}  {letter.type}  "
                f"deliveries {letter.deliveries}  {letter.reason}"
            )
    total = count_dead_letters(client, settings.stream)
    click.echo(f"{len(letters)} of {total} dead letters shown", err=True)


@dead_letters.command("retry")
@click.argument("dead_id", required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead letter.")
def retry_command(dead_id: str | None, retry_all: bool) -> None:
    """Handle dead letters again (one by ID, or --all); the ones handled are deleted."""
    from services.notify.bootstrap import build_notify
    from services.notify.consume.deadletters import (
        all_dead_letters,
        count_dead_letters,
        get_dead_letter,
        retry,
    )

    if bool(dead_id) == retry_all:
        raise click.UsageError("give one dead letter's ID, or --all")
    settings = load_settings()
    configure_logging(settings)
    client = connect_redis(settings)
    if dead_id:
        letter = get_dead_letter(client, settings.stream, dead_id)
        if letter is None:
            raise click.ClickException(f"no dead letter {dead_id}")
        letters = [letter]
        total = 1
    else:
        total = count_dead_letters(client, settings.stream)
        letters = list(all_dead_letters(client, settings.stream))
    service = build_notify(settings)
    ok = failed = 0
    try:
        with progress_bar("retrying dead letters", total) as advance:
            for letter in letters:
                result = retry(service, client, settings.stream, letter)
                if result.ok:
                    ok += 1
                else:
                    failed += 1
                    click.echo(f"{letter.id}  still failing: {result.error}", err=True)
                advance(1)
    finally:
        service.close()
    click.echo(
        f"retried {ok + failed} dead letters: {ok} handled, {failed} still failing", err=True
    )
    exit_clean_or_not(failed == 0)


notify.add_command(reconcile)
notify.add_command(deliveries)
