"""`apislo prom` commands."""

from __future__ import annotations

import click


@click.group(name="prom")
def command() -> None:
    """(not yet available)"""
