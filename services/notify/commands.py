"""`careledger notify …`: the notify service's processes and operations."""

from __future__ import annotations

import click


@click.group()
def notify() -> None:
    """The notify service: consumer, scheduler, inbox API, dead letters."""
