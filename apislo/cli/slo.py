"""`apislo slo` commands."""

from __future__ import annotations

import click


@click.group(name="slo")
def command() -> None:
    """(not yet available)"""
