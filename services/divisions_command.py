"""`careledger divisions …`: the names of jurisdiction codes that the dashboards show and
notifications give (the case service's read models and notify's database each keep a copy:
neither reads the other's store)."""

from __future__ import annotations

from pathlib import Path

import click

from services.cases.projections.division_rows import DivisionRow
from shared.settings import Settings, SettingsError

SHOWN_PROBLEMS = 50  # a file that is wrong throughout need not fill the terminal


@click.group()
def divisions() -> None:
    """The names of jurisdiction codes (reference data a deployment loads)."""


@divisions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(file: Path) -> None:
    """Import division names from FILE, a UTF-8 CSV of `code` and `name`.

    Codes are statistical division codes (12 digits, 360121000000) or the scope prefixes
    of 2, 4, 6 or 9 digits (360121). When any row is bad, every bad row is listed and
    nothing is imported. Importing the same file again changes nothing; a changed name
    replaces the stored one."""
    from services.cases.bootstrap import build_case_service
    from services.cases.projections.division_rows import DivisionsRefusedError, read_csv
    from services.cases.projections.divisions import import_divisions

    try:
        settings = Settings.from_env().with_generated_secrets()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    try:
        rows = read_csv(file)
        service = build_case_service(settings)
        try:
            summary = import_divisions(service.read_models.store, rows)
        finally:
            service.close()
        names_for_notify(settings, rows)
    except DivisionsRefusedError as refused:
        for problem in refused.problems[:SHOWN_PROBLEMS]:
            click.echo(f"{file}: {problem}", err=True)
        if len(refused.problems) > SHOWN_PROBLEMS:
            click.echo(f"… and {len(refused.problems) - SHOWN_PROBLEMS} more", err=True)
        raise click.ClickException(
            f"nothing imported: {len(refused.problems)} bad row(s) in {file}"
        ) from None
    click.echo(summary.line())


def names_for_notify(settings: Settings, rows: list[DivisionRow]) -> None:
    """Gives notify's database the same names (checked already by the case service's
    import), for the places its notifications name."""
    from services.cases.projections.division_rows import check_rows
    from services.notify.bootstrap import build_notify
    from services.notify.route.place_names import store

    notify = build_notify(settings)
    try:
        store(notify.db, [(d.code, d.name) for d in check_rows(rows)])
    finally:
        notify.close()
