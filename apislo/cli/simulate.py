"""`apislo simulate`."""

from __future__ import annotations

import click


@click.command(name="simulate")
def command() -> None:
    """(not yet available)"""
