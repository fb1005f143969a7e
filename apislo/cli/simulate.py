"""`apislo simulate`: write realistic gateway logs with ground truth (and optional metrics)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from apislo.cli._common import fail_on_apislo_error

__all__ = ["command"]


@click.command(name="simulate")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),  # a file is refused by simulate(), exit status 1
    help="Output folder: logs/<api>.<format>.log, truth.json, metrics.om.",
)
@click.option("--days", default=7.0, show_default=True, type=float, help="Length of the period.")
@click.option("--apis", default=6, show_default=True, type=int, help="Number of APIs (1-8).")
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option(
    "--rate",
    default=1.0,
    show_default=True,
    type=float,
    help="Volume multiplier (1 = about 480 k requests for 7 days and 6 APIs).",
)
@click.option(
    "--formats",
    default="nginx-timed",
    show_default=True,
    help="Comma-separated log formats, assigned to APIs round-robin.",
)
@click.option("--openmetrics", is_flag=True, help="Also write metrics.om for promtool backfill.")
@click.option(
    "--openmetrics-step",
    default=60,
    show_default=True,
    type=int,
    help="Seconds between OpenMetrics samples.",
)
@click.option(
    "--end",
    default=None,
    help="End of the period, ISO 8601 UTC [default: now rounded down to the hour, minus 2 h].",
)
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
def command(
    out_dir: Path,
    days: float,
    apis: int,
    seed: int,
    rate: float,
    formats: str,
    openmetrics: bool,
    openmetrics_step: int,
    end: str | None,
    quiet: bool,
) -> None:
    """Simulate a week of API gateway traffic with known incidents, and its ground truth.

    Daily and weekly seasonality, consumers on quota plans, v1 being retired, ids in paths,
    queueing-model latencies, and scripted episodes (outage, latency regression, traffic spike,
    abusive consumer, low-traffic API) listed with their windows in truth.json.
    """
    from apislo.simulate import simulate

    names = [f.strip() for f in formats.split(",") if f.strip()]
    started = time.perf_counter()
    with fail_on_apislo_error():
        result = simulate(
            out_dir,
            days=days,
            apis=apis,
            seed=seed,
            formats=names,
            openmetrics=openmetrics,
            end=end,
            rate=rate,
            openmetrics_step_s=openmetrics_step,
        )
    if quiet:
        return
    truth = result.truth
    click.echo(f"{truth['start']} .. {truth['end']}  seed {seed}  ->  {result.out_dir}")
    click.echo(f"{'api':<14} {'format':<16} {'requests':>9} {'5xx':>7} {'429':>7} {'>0.3s':>7}")
    for name, api in truth["apis"].items():
        click.echo(
            f"{name:<14} {api['format']:<16} {api['requests']:>9,} {api['status_5xx']:>7,} "
            f"{api['status_429']:>7,} {api['latency_gt_0.3s']:>7,}"
        )
    click.echo(f"{'total':<31} {truth['totals']['requests']:>9,}")
    for ep in truth["episodes"]:
        click.echo(f"episode {ep['kind']:<19} {ep['api']:<14} {ep['start']} .. {ep['end']}")
    if result.openmetrics:
        om = result.openmetrics
        click.echo(f"metrics: {om.path} ({om.series} series, {om.samples:,} samples)")
    click.echo(f"truth: {result.truth_path}  ({time.perf_counter() - started:.1f} s)")
