"""`apislo demo`: the end-to-end demo on generated traffic (what `make demo` runs)."""

from __future__ import annotations

import click

from apislo.cli._common import fail_on_apislo_error


class _ApiCount(click.IntRange):
    """1 to the number of APIs the simulator knows (``len(APIS)``), looked up when the option is
    used or shown: importing the simulator takes about 0.6 s, which ``apislo --help`` should not
    pay."""

    def __init__(self) -> None:
        super().__init__(min=1)

    @property
    def max(self) -> int:
        """The simulator's number of APIs."""
        from apislo.simulate.catalog import APIS

        return len(APIS)

    @max.setter
    def max(self, _value: object) -> None:
        """Fixed by the simulator (click's constructor sets it to ``None``)."""


@click.command(name="demo")
@click.option(
    "--workdir",
    default="data/demo",
    show_default=True,
    type=click.Path(),
    help="Where simulated logs and the dataset go (replaced each run).",
)
@click.option(
    "--reports",
    "reports_dir",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where reports and index.html go.",
)
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 400))
@click.option("--apis", default=6, show_default=True, type=_ApiCount())
@click.option("--seed", default=42, show_default=True, type=int)
def command(workdir: str, reports_dir: str, days: int, apis: int, seed: int) -> None:
    """Simulate a week of API traffic, ingest it, and build every scheduled report.

    Run it from the project root (it runs the jobs in scheduled/). Needs no server. With
    APISLO_PROMETHEUS_URL set, reports read that Prometheus.
    """
    from apislo.demo import run_demo

    with fail_on_apislo_error():
        result = run_demo(workdir, reports_dir, days, apis, seed, echo=click.echo)
    click.echo(f"reports: {result.index_html.resolve()}")
