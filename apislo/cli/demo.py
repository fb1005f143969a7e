"""`apislo demo`."""

from __future__ import annotations

import click


@click.command(name="demo")
def command() -> None:
    """(not yet available)"""
