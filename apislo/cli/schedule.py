"""`apislo schedule` commands."""

from __future__ import annotations

import click


@click.group(name="schedule")
def command() -> None:
    """(not yet available)"""
