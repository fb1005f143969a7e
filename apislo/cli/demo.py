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
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 400),
    help="Days of traffic; fewer with more than 3 APIs (155 for 6), as the simulator makes at "
    "most 10 million requests.",
)
@click.option("--apis", default=6, show_default=True, type=_ApiCount())
@click.option("--seed", default=42, show_default=True, type=int)
def command(workdir: str, reports_dir: str, days: int, apis: int, seed: int) -> None:
    """Simulate a week of API traffic, ingest it, and build every scheduled report.

    Run it from the project root (it runs the jobs in scheduled/). Needs no server. With
    APISLO_PROMETHEUS_URL set, reports read that Prometheus.
    """
    from apislo.demo import run_demo

    _check_days(days, apis)
    with fail_on_apislo_error():
        result = run_demo(workdir, reports_dir, days, apis, seed, echo=click.echo)
    click.echo(f"reports: {result.index_html.resolve()}")


def _check_days(days: int, apis: int) -> None:
    """Refuse, as a usage error, more days than the simulator makes for ``apis`` APIs at the
    demo's volume (its refusal would name ``--rate``, which the demo does not have).

    Raises:
        click.BadParameter: naming the most days ``apis`` APIs allow.
    """
    from apislo.simulate.catalog import simulated_apis
    from apislo.simulate.limits import MAX_REQUESTS, max_days

    most = max_days(simulated_apis(apis), rate=1.0)
    if days > most:
        raise click.BadParameter(
            f"{days} days of {apis} APIs would be more than the {MAX_REQUESTS / 1e6:g} million "
            f"requests the simulator makes at once; pass --days {most} or fewer, or fewer --apis",
            param_hint="'--days'",
        )
