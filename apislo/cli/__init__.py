"""The ``apislo`` command line: one module per command group, each thin (parse, call, print)."""

from __future__ import annotations

import click

from apislo import __version__
from apislo.cli import demo, ingest, prom, report, schedule, simulate, slo

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="apislo")
def main() -> None:
    """apislo: API observability and SLO workbench.

    Gateway logs and Prometheus in; SLOs, error budgets, alerts and reports out.
    """


for _module in (demo, ingest, simulate, prom, slo, report, schedule):
    main.add_command(_module.command)
