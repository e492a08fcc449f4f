"""`careledger cases …`: the case service's followers of the log (projector, relay)."""

from __future__ import annotations

import click


@click.group()
def cases() -> None:
    """The case service's long-running processes and maintenance."""
