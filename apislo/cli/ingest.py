"""`apislo ingest`."""

from __future__ import annotations

import click


@click.command(name="ingest")
def command() -> None:
    """(not yet available)"""
