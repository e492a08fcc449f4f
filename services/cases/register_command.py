"""`careledger import …` and `careledger export …`: the register's spreadsheets
(docs/register.md). Each acts as a named user (`--as`), held to that user's role and
scope exactly as over HTTP."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar
from uuid import uuid4

import click

from shared.cli import configure_logging, load_settings
from shared.progress import progress_bar
from shared.roles import Role

from .access import Actor
from .bootstrap import CaseService

T = TypeVar("T")


@click.group("import")
def import_group() -> None:
    """Import spreadsheets into the register."""


@click.group("export")
def export_group() -> None:
    """Export the register to spreadsheets."""


_AS = click.option(
    "--as",
    "username",
    required=True,
    help="The user the command acts as: her role and scope decide what it may do.",
)


@import_group.command("survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scope", required=True, help="The jurisdiction the rows must lie in.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-row report (JSON) here.",
)
@_AS
def import_survey_command(
    file: Path, scope: str, dry_run: bool, report: Path | None, username: str
) -> None:
    """Import a survey sheet (摸底排查表, .xlsx or .csv): one identification per row.

    Importing the same file again writes only the rows not written yet (after a crash,
    say). Refused rows are listed with their row, column and reason."""
    from .projections.projector import catch_up
    from .register.lookalikes import register_lookalikes
    from .register.sheets import SheetError, read_sheet
    from .register.survey import import_survey

    try:
        sheet = read_sheet(file.read_bytes(), file.name)
    except SheetError as error:
        raise click.ClickException(str(error)) from None
    service = _service()
    try:
        actor = _actor(service, username)
        # Likely duplicates are looked for in the read models: bring them up to the log.
        catch_up(service.settings, service.cases, service.read_models.store)
        lookalikes = register_lookalikes(service.read_models)
        with progress_bar("导入" if not dry_run else "检查", len(sheet.rows), unit="行") as advance:
            result = _refusing_access(
                lambda: import_survey(
                    service.cases,
                    actor,
                    sheet,
                    scope=scope,
                    dry_run=dry_run,
                    advance=advance,
                    lookalikes=lookalikes,
                )
            )
    finally:
        service.close()
    for row in result.rows:
        for problem in row.problems:
            click.echo(f"第 {row.row} 行「{problem.column}」：{problem.message}")
        for duplicate in row.duplicates:
            click.echo(f"第 {row.row} 行「{duplicate.column}」：{duplicate.message}")
    if report is not None:
        report.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    click.echo(result.summary(), err=True)
    if result.count("refused"):
        sys.exit(1)


@import_group.command("template")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_template(file: Path) -> None:
    """Write the survey template (.xlsx): the columns and their allowed values."""
    from .register.workbooks import template_bytes

    file.write_bytes(template_bytes())
    click.echo(f"模板已写入 {file}", err=True)


@export_group.command("register")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scope", required=True, help="The jurisdiction to export.")
@_AS
def export_register_command(file: Path, scope: str, username: str) -> None:
    """Export the register of a jurisdiction to .xlsx, as the user sees it over HTTP
    (her field-level view); every case exported is logged as read."""
    from .api.presenters import case_view
    from .projections.projector import catch_up
    from .register.export import export_register

    service = _service()
    try:
        actor = _actor(service, username)
        today = service.cases.clock.today()
        # The cases are listed from the read models: bring them up to the log first (a
        # projector running beside this is not disturbed: each page is applied once).
        head = service.cases.recorder.max_notification_id() or 0
        catch_up(service.settings, service.cases, service.read_models.store)
        done = _refusing_access(
            lambda: export_register(
                service.cases,
                service.read_models,
                service.access_log,
                actor,
                lambda case: case_view(case, today, actor.role),
                scope=scope,
                min_position=head,
                progress=partial(progress_bar, "导出", unit="例"),
            )
        )
    finally:
        service.close()
    file.write_bytes(done.content)
    late = "（读模型尚未追上日志，最近登记的可能不在其中）" if done.behind else ""
    click.echo(f"已导出 {done.cases} 例到 {file}{late}", err=True)


def _service() -> CaseService:
    from .bootstrap import build_case_service

    settings = load_settings()
    configure_logging(settings)
    return build_case_service(settings)


def _actor(service: CaseService, username: str) -> Actor:
    from .accounts import UnknownUserError

    try:
        user = service.accounts.get(username)
    except UnknownUserError as error:
        raise click.ClickException(str(error)) from None
    if user.disabled:
        raise click.ClickException(f"the user {username!r} is disabled")
    return Actor(user.username, Role(user.role), user.scope, f"cli-{uuid4().hex[:12]}")


def _refusing_access(run: Callable[[], T]) -> T:
    from .access import ForbiddenError
    from .domain import DomainError

    try:
        return run()
    except ForbiddenError as error:
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(f"{error.field}: {error}") from None
