"""`careledger keys …`: the per-case keys (docs/personal-data.md#erasure).

Rotating the master key: put a new key first in `CARELEDGER_CASE_MASTER_KEYS` (the old one
after it, comma-separated), restart the processes, run `careledger keys rotate`, then drop
the old key from the list. No event is rewritten: only each case's wrapped key is."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from shared.cli import configure_logging, load_settings
from shared.progress import progress_bar

if TYPE_CHECKING:
    from services.cases.keys.store import CaseKeys


@click.group()
def keys() -> None:
    """Each case's own key, and the master keys that wrap them."""


def _case_keys() -> CaseKeys:
    from services.cases.keys.store import CaseKeys

    settings = load_settings()
    configure_logging(settings)
    found = CaseKeys.open(settings)
    if found is None:
        raise click.ClickException("no master key: set CARELEDGER_CASE_MASTER_KEYS")
    return found


@keys.command()
def status() -> None:
    """How many case keys each master key wraps, and how many cases were erased."""
    store = _case_keys()
    state = store.status()
    click.echo(f"current master key: {state.current_master_key}")
    for master, count in sorted(state.wrapped_by.items()):
        mark = " (current)" if master == state.current_master_key else ""
        click.echo(f"  {master}{mark}: {count} case keys")
    click.echo(f"erased cases: {state.erased}")
    store.close()


@keys.command()
def rotate() -> None:
    """Re-wrap every case key held under an older master key with the current one."""
    store = _case_keys()
    state = store.status()
    waiting = sum(n for m, n in state.wrapped_by.items() if m != state.current_master_key)
    moved = 0
    with progress_bar("re-wrapping case keys", waiting, unit="keys") as advance:
        for batch in store.rotate():
            moved += batch
            advance(batch)
    store.close()
    click.echo(
        f"rotated {moved} case keys to master key {state.current_master_key}; "
        "no event was rewritten",
        err=True,
    )
