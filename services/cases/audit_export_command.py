"""`careledger audit export / verify-export / replay`: the history of a scope as a file an
auditor verifies and replays on another machine (docs/auditors.md, "The export").
`verify-export` and `replay` open neither the database nor the service."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from getpass import getuser
from pathlib import Path
from uuid import UUID

import click
from eventsourcing.persistence import Transcoder

from shared.cli import load_settings
from shared.private_files import private_file
from shared.progress import progress_bar
from shared.roles import Role

from .access_log import AccessEntry
from .api.presenters import case_view
from .application import Cases
from .audit.replay import ReplayError, replay, until
from .audit.verify_export import ExportFormatError, ExportVerifier
from .bootstrap import CaseService, build_case_service


@click.command("export")
@click.option("--scope", required=True, help="The division whose cases are exported (code).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(scope: str, file: Path) -> None:
    """Write every event of the scope's cases with its chain hashes, the checkpoints and
    the public key to FILE (JSON Lines, owner-only: it holds children's records)."""
    if not scope.isdigit() or not 2 <= len(scope) <= 12:
        raise click.BadParameter("a division code (2 to 12 digits)", param_hint="--scope")
    settings = load_settings()
    service = build_case_service(settings)
    lines = 0
    try:
        exporter = service.audit_exporter()
        with (
            open(private_file(file), "w", encoding="utf-8") as out,
            progress_bar("exporting the log", exporter.head(), unit="events") as advance,
        ):
            done = [0]

            def reached(position: int) -> None:
                advance(position - done[0])
                done[0] = position

            for text in exporter.lines(scope, reached, partial(log_export, service, scope)):
                out.write(text)
                lines += 1
    finally:
        service.close()
    click.echo(f"audit export: scope {scope}: {lines} lines written to {file}")


def log_export(service: CaseService, scope: str, cases: dict[str, str]) -> None:
    """An export holds children's records: each case in it is logged as read, by the
    system account that ran the command (the command line has no signed-in user)."""
    now = datetime.now(UTC)
    request_id = f"audit-export-{now:%Y%m%dT%H%M%SZ}-{scope}"
    service.access_log.record(
        AccessEntry(now, f"os:{getuser()}", "operator", case, where, "audit_export", request_id)
        for case, where in cases.items()
    )


def _read(file: Path, advance: Callable[[int], None] = lambda _: None) -> Iterator[str]:
    with open(file, encoding="utf-8") as lines:
        for text in lines:
            advance(len(text.encode("utf-8")))
            yield text


@click.command("verify-export")
@click.option(
    "--public-key",
    default=None,
    help="The public key you were given apart from the file (base64); checked against it.",
)
@click.option("--json", "as_json", is_flag=True, help="The full report as JSON.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_export_command(public_key: str | None, as_json: bool, file: Path) -> None:
    """Verify an export offline (no database, no service); exit 1 on any failure."""
    try:
        with progress_bar("verifying the export", file.stat().st_size, unit="bytes") as advance:
            report = ExportVerifier(public_key).run(_read(file, advance))
    except (ExportFormatError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in report.problems():
            click.echo(line)
        click.echo(report.summary().replace("audit verify", "audit verify-export", 1))
    sys.exit(0 if report.ok else 1)


def domain_transcoder() -> Transcoder:
    """The application's own transcoder (its registered types), from an in-memory instance:
    nothing is opened."""
    app = Cases({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    transcoder = app.mapper.transcoder
    app.close()
    return transcoder


@click.command("replay")
@click.option("--case", "case_id", required=True, type=click.UUID, help="The case's id.")
@click.option("--as-of", default=None, help="A date (its end, UTC) or an ISO instant.")
@click.option("--version", type=click.IntRange(1, None), default=None, help="Up to this version.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def replay_command(case_id: UUID, as_of: str | None, version: int | None, file: Path) -> None:
    """Rebuild a case from an export with the domain's own code and print it as an auditor
    sees it (JSON)."""
    if as_of and version:
        raise click.UsageError("give --as-of or --version, not both")
    try:
        instant = until(as_of)
        case = replay(
            _read(file), case_id, version=version, as_of=instant, transcoder=domain_transcoder()
        )
    except ReplayError as error:
        raise click.ClickException(str(error)) from None
    today = (instant or datetime.now(UTC)).date()
    click.echo(json.dumps(case_view(case, today, Role.AUDITOR), ensure_ascii=False, indent=2))


EXPORT_COMMANDS = (export_command, verify_export_command, replay_command)
