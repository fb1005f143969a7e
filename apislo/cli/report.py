"""`apislo report` commands."""

from __future__ import annotations

import click


@click.group(name="report")
def command() -> None:
    """(not yet available)"""
