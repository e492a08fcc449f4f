"""`careledger report`: the periodic report for the joint meeting, as a file."""

from __future__ import annotations

import time
from pathlib import Path

import click

from shared.cli import configure_logging, load_settings
from shared.roles import Role

STEPS = 3  # read the figures, render, write


@click.command("report")
@click.option("--scope", required=True, help="The jurisdiction's code (e.g. 3601 for a city).")
@click.option("--period", required=True, help="2026, 2026-Q3 or 2026-07.")
@click.option("--format", "fmt", required=True, type=click.Choice(["pdf", "xlsx"]))
@click.option("--lang", default="zh", show_default=True, type=click.Choice(["zh", "en"]))
@click.option("--recomputed", is_flag=True, help="Past periods recounted with today's corrections.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: ./NAME")
def report(
    scope: str, period: str, fmt: str, lang: str, recomputed: bool, output: Path | None
) -> None:
    """Write the periodic report (定期通报) of a scope for a period: counts from the read
    models, beside the period before (docs/report.md)."""
    from services.cases.access import Actor
    from services.cases.bootstrap import build_case_service
    from services.cases.reports.document import NoCjkFontError
    from services.cases.reports.period import PeriodError, parse
    from services.cases.reports.produce import produce
    from shared.progress import progress_bar

    try:
        wanted = parse(period)
    except PeriodError as error:
        raise click.BadParameter(str(error), param_hint="--period") from None
    settings = load_settings()
    configure_logging(settings)
    service = build_case_service(settings)
    started = time.perf_counter()
    # The operator at the console reads as civil affairs of the scope asked for.
    operator = Actor("console", Role.CIVIL_AFFAIRS, scope, "report-command")
    try:
        with progress_bar("report", STEPS, unit="steps") as advance:
            done = produce(
                service.read_models,
                operator,
                scope,
                wanted,
                fmt,
                lang,
                service.cases.clock.today(),
                on_step=advance,
                recomputed=recomputed,
            )
            path = output or Path(done.filename)
            path.write_bytes(done.body)
            advance(1)
    except NoCjkFontError as error:
        raise click.ClickException(str(error)) from None
    finally:
        service.close()
    click.echo(
        f"report written path={path} scope={scope} period={wanted.label} format={fmt} "
        f"lang={lang} rows={done.figures} bytes={len(done.body)} "
        f"seconds={time.perf_counter() - started:.2f}",
        err=True,
    )
