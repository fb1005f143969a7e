"""`apislo demo`: the end-to-end demo on generated traffic (what `make demo` runs)."""

from __future__ import annotations

import click

from apislo.cli._common import fail_on_apislo_error


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
@click.option("--apis", default=6, show_default=True, type=click.IntRange(1, 500))
@click.option("--seed", default=42, show_default=True, type=int)
def command(workdir: str, reports_dir: str, days: int, apis: int, seed: int) -> None:
    """Simulate a week of API traffic, ingest it, and build every scheduled report.

    Needs no server. With APISLO_PROMETHEUS_URL set, reports read that Prometheus.
    """
    from apislo.demo import run_demo

    with fail_on_apislo_error():
        result = run_demo(workdir, reports_dir, days, apis, seed, echo=click.echo)
    click.echo(f"reports: {result.index_html.resolve()}")
