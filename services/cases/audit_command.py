"""`careledger audit …`: seal checkpoints (once, or as a supervised process), verify the
store, print the public key. Composition beside `bootstrap`, like projections_command."""

from __future__ import annotations

import json
import sys

import click

from shared.cli import configure_logging, health_port_option, load_settings
from shared.process_health import health_port as serve_health
from shared.progress import progress_bar
from shared.runner import Runner
from shared.settings import Settings

from .audit import keys
from .audit.checkpoints import SealRefusedError, seal
from .audit.sealer import Sealer
from .audit.verify import Report
from .bootstrap import build_case_service


@click.group()
def audit() -> None:
    """Tamper evidence: seal checkpoints, verify the store, the public key (docs/auditors.md)."""


def verify_store(settings: Settings, scope: str) -> Report:
    """Verifies the configured store, with a progress bar on a terminal."""
    service = build_case_service(settings)
    try:
        verifier = service.audit_verifier()
        head = verifier.head()
        with progress_bar("verifying the log", head, unit="events") as advance:
            done = [0]

            def reached(position: int) -> None:
                advance(position - done[0])
                done[0] = position

            return verifier.run(scope, reached)
    finally:
        service.close()


@audit.command("verify")
@click.option("--scope", default="", help="Only cases in this division (code prefix).")
@click.option("--json", "as_json", is_flag=True, help="The full report as JSON.")
def verify_command(scope: str, as_json: bool) -> None:
    """Recompute every link, chain, checkpoint and the access log; exit 1 on any failure."""
    settings = load_settings()
    report = verify_store(settings, scope)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in report.problems():
            click.echo(line)
        click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@audit.command("seal")
def seal_command() -> None:
    """Seal one checkpoint now over everything not sealed yet."""
    settings = load_settings()
    service = build_case_service(settings)
    try:
        key = keys.signing_key(settings.audit_signing_key)
        try:
            checkpoint = seal(service.tables, key)
        except SealRefusedError as error:
            raise click.ClickException(str(error)) from None
    finally:
        service.close()
    if checkpoint is None:
        click.echo("audit seal: nothing new to seal")
    else:
        click.echo(
            f"audit seal: checkpoint {checkpoint.seq} up to position {checkpoint.position} "
            f"({checkpoint.events} events, {checkpoint.access_rows} access-log rows)"
        )


@audit.command("sealer")
@click.option("--every-events", default=1000, show_default=True, type=click.IntRange(1, None))
@click.option("--every-seconds", default=300.0, show_default=True, type=click.FloatRange(1, 86_400))
@health_port_option
def sealer_command(every_events: int, every_seconds: float, health_port: int) -> None:
    """Seal every N events or every few minutes, until stopped (supervised)."""
    settings = load_settings()
    configure_logging(settings)
    service = build_case_service(settings)
    try:
        sealer = Sealer(
            service.tables,
            keys.signing_key(settings.audit_signing_key),
            every_events=every_events,
            every_seconds=every_seconds,
        )
        runner = Runner(sealer, idle_seconds=2.0)
        runner.install_signal_handlers()
        with serve_health(health_port, [runner]):
            runner.run()
    finally:
        service.close()
    click.echo(f"sealer stopped: {sealer.sealed} checkpoints sealed")


@audit.command("public-key")
def public_key_command() -> None:
    """Print the public key that verifies the checkpoints (base64 Ed25519)."""
    settings = load_settings()
    click.echo(keys.public_key_text(keys.signing_key(settings.audit_signing_key)))
