"""`apislo prom`: query Prometheus, pull traffic frames, backfill and serve a local Prometheus."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from apislo.cli._common import fail_on_apislo_error, no_cache_option

if TYPE_CHECKING:
    import pandas as pd

    from apislo.sources.prometheus import Prometheus
    from apislo.sources.prometheus.local import LocalPrometheus

__all__ = ["command"]

_TRANSPORT_OPTIONS = [
    click.option("--bearer-token-env", metavar="VAR", help="Env variable holding a bearer token."),
    click.option("--bearer-token-file", metavar="FILE", help="File holding a bearer token."),
    click.option("--basic-user", metavar="USER", help="HTTP basic auth user."),
    click.option("--basic-password-env", metavar="VAR", help="Env variable holding its password."),
    click.option("--ca-file", metavar="PEM", help="CA bundle to trust for https."),
    click.option("--client-cert", metavar="PEM", help="Client certificate (mutual TLS)."),
    click.option("--client-key", metavar="PEM", help="Key of --client-cert if separate."),
    click.option(
        "--header",
        "headers",
        multiple=True,
        metavar="NAME:VALUE",
        help="Extra header, repeatable (e.g. X-Scope-OrgID:tenant).",
    ),
    click.option(
        "--timeout",
        "timeout_s",
        default=30.0,
        show_default=True,
        help="Per-request timeout, seconds.",
    ),
    click.option(
        "--concurrency", default=4, show_default=True, help="Parallel requests for long ranges."
    ),
    no_cache_option(),
]


def _transport_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_TRANSPORT_OPTIONS):
        func = option(func)
    return func


def _connect(url: str, options: dict[str, Any]) -> Prometheus:
    from apislo.errors import ConfigError
    from apislo.sources.prometheus import Prometheus

    headers = {}
    for item in options.pop("headers"):
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise ConfigError(f"--header {item!r}: write it as NAME:VALUE")
        headers[name.strip()] = value.strip()
    cache = not options.pop("no_cache")
    given = {k: v for k, v in options.items() if v is not None}
    return Prometheus(url, cache=cache, headers=headers, **given)


def _write(frame: pd.DataFrame, out: str | None) -> None:
    if out is None:
        frame.to_csv(sys.stdout, index=False)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
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
@_transport_options
def query_command(
    url: str, promql: str, start: str, end: str, step: str, out: str | None, **options: Any
) -> None:
    """Run a PromQL range query; columns ts, one per label, value."""
    with fail_on_apislo_error(), _connect(url, options) as prom:
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
@_transport_options
def pull_command(
    url: str, profile: str, start: str, end: str, step: str, by: str, out: str, **options: Any
) -> None:
    """Pull a traffic frame (requests, status classes, 429, latency buckets) from a gateway's
    metrics."""
    keys = tuple(k.strip() for k in by.split(",") if k.strip())
    with fail_on_apislo_error(), _connect(url, options) as prom:
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
    """Run a local Prometheus on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM)."""
    import signal

    from apislo.sources.prometheus.local import LocalPrometheus

    # SIGTERM unwinds like Ctrl-C, so the server is always stopped by its pid on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with fail_on_apislo_error(), LocalPrometheus(data_dir, port) as server:
        click.echo(f"Prometheus serving {data_dir} at {server.url} (Ctrl-C stops it)", err=True)
        try:
            _wait_for_exit(server)
        except KeyboardInterrupt:
            click.echo("stopping", err=True)


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
