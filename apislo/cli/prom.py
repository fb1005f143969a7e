"""`apislo prom`: query Prometheus, pull traffic frames, backfill and serve a local Prometheus."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from apislo.cli._common import connect, connection_options, fail_on_apislo_error
from apislo.errors import WriteError

if TYPE_CHECKING:
    import pandas as pd

    from apislo.sources.prometheus.local import LocalPrometheus

__all__ = ["command"]


def _write(frame: pd.DataFrame, out: str | None) -> None:
    """Write ``frame`` to ``out``: CSV for a ``.csv`` name (any case), else Parquet; CSV on
    stdout when ``out`` is None.

    Raises:
        WriteError: ``out`` cannot be written (a folder, a file where a folder should be, no
            permission).
    """
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:  # (Python's own error, where pyarrow's is long)
            if path.suffix.lower() == ".csv":
                frame.to_csv(file, index=False)
            else:
                frame.to_parquet(file, index=False)
    except OSError as exc:
        raise WriteError(path, exc) from None
    click.echo(f"{len(frame):,} rows -> {path}", err=True)


@click.group(name="prom")
def command() -> None:
    """Prometheus (and Thanos, Mimir, VictoriaMetrics) as a source.

    Times are ISO 8601 (2026-01-31T00:00Z), 'now', or relative ('-7d', 'now-2h'); steps are
    durations ('30s', '1m', '1h'). Secrets come only from environment variables or files.
    """


@command.command(name="query")
@click.argument("url")
@click.argument("promql")
@click.option("--start", default="-1h", show_default=True, help="First evaluation time.")
@click.option("--end", default="now", show_default=True, help="Last evaluation time.")
@click.option("--step", default="1m", show_default=True, help="Step between evaluations.")
@click.option("--out", default=None, help="file.parquet or file.csv (default: CSV on stdout).")
@connection_options
def query_command(
    url: str, promql: str, start: str, end: str, step: str, out: str | None, **options: Any
) -> None:
    """Run a PromQL range query; columns ts, one per label, value."""
    with fail_on_apislo_error(), connect(url, options) as prom:
        _write(prom.query_range(promql, start, end, step), out)


@command.command(name="pull")
@click.argument("url")
@click.option(
    "--profile",
    default="generic",
    show_default=True,
    help="Metric profile: generic, kong, envoy, ingress-nginx, apicast, traefik, istio, "
    "or the path of your own YAML.",
)
@click.option(
    "--start", default="-7d", show_default=True, help="Window start (counted from this instant)."
)
@click.option(
    "--end", default="now", show_default=True, help="Window end (exclusive), as for logs."
)
@click.option(
    "--step", "--interval", "step", default="1h", show_default=True, help="Interval length."
)
@click.option("--by", default="api", show_default=True, help="Comma-separated group keys.")
@click.option("--out", required=True, help="Traffic frame file: .parquet (default) or .csv.")
@connection_options
def pull_command(
    url: str, profile: str, start: str, end: str, step: str, by: str, out: str, **options: Any
) -> None:
    """Pull a traffic frame (requests, status classes, 429, latency buckets) from a gateway's
    metrics."""
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    with fail_on_apislo_error(), connect(url, options) as prom:
        _write(prom.traffic(profile=profile, start=start, end=end, step=step, by=keys), out)


@command.command(name="backfill")
@click.argument("openmetrics", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--data-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Prometheus data directory to write blocks into.",
)
@click.option(
    "--max-block-duration",
    default="720h",
    show_default=True,
    help="Widest TSDB block; the default 2h of promtool is ~20x slower for a week.",
)
def backfill_command(openmetrics: str, data_dir: str, max_block_duration: str) -> None:
    """Write Prometheus blocks from an OpenMetrics file (promtool tsdb create-blocks-from)."""
    from apislo.sources.prometheus.local import backfill

    with fail_on_apislo_error():
        target = backfill(openmetrics, data_dir, max_block_duration)
    click.echo(
        f"blocks written to {target}; serve them with: apislo prom serve --data-dir {target}",
        err=True,
    )


@command.command(name="serve")
@click.option(
    "--data-dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Prometheus data directory (it compacts it: serve a copy of fixtures).",
)
@click.option(
    "--port",
    default=9090,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free).",
)
def serve_command(data_dir: str, port: int) -> None:
    """Run a local Prometheus on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM).

    Stopped, it stops its Prometheus, then exits as the other commands do: 143 on SIGTERM,
    130 on Ctrl-C (until 2026-11-30 it exited 0, so a service manager saw a clean exit).
    """
    import signal

    from apislo.cli import _exit_on_sigterm
    from apislo.sources.prometheus.local import LocalPrometheus

    # SIGTERM unwinds as in every command (the console script sets this handler; so does this
    # command, called from Python), so the server is always stopped by its pid on the way out.
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with fail_on_apislo_error(), LocalPrometheus(data_dir, port) as server:
            click.echo(f"Prometheus serving {data_dir} at {server.url} (Ctrl-C stops it)", err=True)
            _wait_for_exit(server)
    finally:
        if previous is not None:  # (None: a handler set outside Python, which cannot be reset)
            signal.signal(signal.SIGTERM, previous)


def _wait_for_exit(server: LocalPrometheus) -> None:
    """Wait for the server's process; it ending by itself (not by a signal to us) is an error.

    Raises:
        ApisloError: the server exited on its own.
    """
    import signal

    from apislo.errors import ApisloError

    if server.process is not None:
        code = server.process.wait()
        ending = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
        raise ApisloError(f"prometheus stopped by itself ({ending}); it no longer serves")
