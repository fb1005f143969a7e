"""The simulated traffic as Prometheus metrics, in OpenMetrics text for ``promtool`` backfill.

Two families, sampled every ``step_s`` seconds from the period start to its end:

* ``http_requests_total{api, method, code}`` (counter family ``http_requests``),
* ``http_request_duration_seconds`` histogram: ``_bucket{api, le}``, ``_count{api}``,
  ``_sum{api}`` (seconds).

A sample at time ``t`` counts the requests whose *start* ``ts < t``, so ``x @ t2 - x @ t1`` is
exactly the number of log lines with ``t1 <= ts < t2``. Every series starts with a 0 sample at
the first timestamp. Layout follows OpenMetrics 1.0: families not interleaved, one Metric's
points together and in time order, a histogram point's buckets (ascending ``le``, canonical
numbers) then ``_count`` then ``_sum``; timestamps in seconds; the file ends with ``# EOF``.

Load it with ``promtool tsdb create-blocks-from openmetrics metrics.om DATA_DIR``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

import numpy as np
import polars as pl

from apislo.errors import ConfigError
from apislo.sources.prometheus.promql import escape_label_value

__all__ = [
    "COUNTER",
    "HISTOGRAM",
    "MAX_SAMPLES",
    "OM_BUCKETS_S",
    "OpenMetricsStats",
    "canonical_number",
    "check_step",
    "write_openmetrics",
]

#: Histogram bucket bounds, seconds (``+Inf`` is added); includes the 0.3 s SLO threshold.
OM_BUCKETS_S: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)
COUNTER = "http_requests"
HISTOGRAM = "http_request_duration_seconds"
#: The most samples written to one file: building them peaks at about 310 bytes of memory each
#: (the default week's 2.6 M samples, 182 MB of text, took 0.8 GB), so about 4.7 GB.
MAX_SAMPLES = 15_000_000


@dataclass(frozen=True)
class OpenMetricsStats:
    """What :func:`write_openmetrics` wrote.

    Attributes:
        path: the file.
        series: number of time series.
        samples: number of samples.
        first_ts: first sample time, UTC.
        last_ts: last sample time, UTC.
    """

    path: Path
    series: int
    samples: int
    first_ts: datetime
    last_ts: datetime


def canonical_number(value: float) -> str:
    """OpenMetrics canonical rendering of an ``le`` bound (Go ``%g`` plus ``.0``).

    >>> [canonical_number(x) for x in (0.05, 1, 2.5, 1e-05, 1e6, math.inf)]
    ['0.05', '1.0', '2.5', '1e-05', '1e+06', '+Inf']
    """
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    value = float(value)
    if value != 0 and (abs(value) >= 1e21 or abs(value) < 1e-4 or abs(value) >= 1e6):
        return np.format_float_scientific(value, unique=True, trim="-", exp_digits=2)
    return repr(value)


def _sample_times_us(start: datetime, end: datetime, step_s: int) -> np.ndarray:
    t0, t1 = int(start.timestamp()), int(end.timestamp())
    times = np.arange(t0, t1 + 1, step_s, dtype=np.int64)
    if times[-1] != t1:
        times = np.r_[times, t1]
    return times * 1_000_000


def _seconds(us: pl.Expr) -> pl.Expr:
    """Microseconds (int) as a decimal number of seconds, exactly."""
    return (us // 1_000_000).cast(pl.String) + "." + (us % 1_000_000).cast(pl.String).str.zfill(6)


def _write_lines(
    handle: TextIO, prefix: np.ndarray, values: np.ndarray, times_us: np.ndarray, is_sum: np.ndarray
) -> None:
    """Write ``prefix[i] value[i] time`` lines; ``values`` are ints, microseconds where is_sum."""
    frame = pl.DataFrame(
        {
            "p": prefix,
            "v": values,
            "t": times_us // 1_000_000,
            "s": is_sum,
        }
    )
    frame.select(
        pl.concat_str(
            pl.col("p"),
            pl.lit(" "),
            pl.when(pl.col("s")).then(_seconds(pl.col("v"))).otherwise(pl.col("v").cast(pl.String)),
            pl.lit(" "),
            pl.col("t").cast(pl.String),
        )
    ).write_csv(handle, include_header=False, quote_style="never")


def check_step(step_s: int) -> None:
    """Refuse a sample step (seconds) that is not a whole number of seconds >= 1.

    Raises:
        ConfigError: naming the step.
    """
    if step_s < 1 or int(step_s) != step_s:
        raise ConfigError(
            f"the OpenMetrics sample step must be a whole number of seconds >= 1, got {step_s}"
        )


def write_openmetrics(
    events: pl.DataFrame,
    path: str | Path,
    start: datetime,
    end: datetime,
    step_s: int = 60,
    buckets_s: Sequence[float] = OM_BUCKETS_S,
    apis: Sequence[str] | None = None,
) -> OpenMetricsStats:
    """Write the events' request counter and latency histogram as OpenMetrics text.

    Args:
        events: raw events with ``ts`` (start, UTC), ``api``, ``method``, ``status`` and
            ``latency_s`` (seconds; microsecond resolution is kept exactly in ``_sum``).
        path: the file to write (``metrics.om``).
        start: first sample time (every series is 0 there); no event may start before it.
        end: last sample time; no event may start at or after it.
        step_s: seconds between samples.
        buckets_s: finite histogram bounds, seconds (``+Inf`` is added).
        apis: APIs that get histogram series even without requests (all zeros).

    Returns:
        Counts of what was written.

    Raises:
        ConfigError: a bad step or bucket list, events outside ``[start, end)``, or more than
            :data:`MAX_SAMPLES` samples to write (checked before anything is written).
    """
    check_step(step_s)
    bounds = np.array(sorted(set(float(b) for b in buckets_s)), dtype=np.float64)
    if len(bounds) == 0 or not np.all(np.isfinite(bounds)) or bounds[0] <= 0:
        raise ConfigError(f"histogram buckets must be positive finite seconds, got {buckets_s}")
    # counter: one series per (api, method, code); histogram: per api, buckets, +Inf, _count, _sum
    keys = events.select("api", "method", pl.col("status").cast(pl.String).alias("code"))
    series = keys.unique().sort("api", "method", "code")
    apis = sorted(set(apis or ()) | set(events["api"].unique().to_list()))
    n_s, n_a, n_b = series.height, len(apis), len(bounds) + 1
    n_cols = n_b + 2
    n_series = n_s + n_a * n_cols
    n_t = -(-(int(end.timestamp()) - int(start.timestamp())) // step_s) + 1  # the sample times
    if n_series * n_t > MAX_SAMPLES:
        raise ConfigError(
            f"metrics.om would hold {n_series * n_t:,} samples ({n_series} series x {n_t:,} "
            f"times), more than the {MAX_SAMPLES:,} apislo writes (about 310 bytes of memory "
            "each); pass a larger --openmetrics-step or fewer --days"
        )
    times_us = _sample_times_us(start, end, int(step_s))
    ts_us = events["ts"].dt.epoch("us").to_numpy()
    if len(ts_us) and (ts_us.min() < times_us[0] or ts_us.max() >= times_us[-1]):
        raise ConfigError(
            "events start outside the metrics period; pass the simulation's start/end"
        )
    k = np.searchsorted(times_us, ts_us, side="right").astype(np.int64)  # first t with ts < t

    sid = (
        keys.join(
            series.with_row_index("sid"),
            on=["api", "method", "code"],
            how="left",
            maintain_order="left",
        )["sid"]
        .to_numpy()
        .astype(np.int64)
    )
    counts = np.bincount(sid * n_t + k, minlength=n_s * n_t).reshape(n_s, n_t).cumsum(axis=1)
    counter_prefix = [
        f'{COUNTER}_total{{api="{escape_label_value(a)}",method="{escape_label_value(m)}",'
        f'code="{c}"}}'
        for a, m, c in series.iter_rows()
    ]

    a_i = (
        events["api"]
        .replace_strict(apis, list(range(len(apis))), return_dtype=pl.Int64)
        .to_numpy()
        .astype(np.int64)
    )
    latency = events["latency_s"].to_numpy().astype(np.float64)
    j = np.searchsorted(bounds, latency, side="left")  # first bound with latency <= le
    per_bucket = np.bincount((a_i * n_t + k) * n_b + j, minlength=n_a * n_t * n_b)
    cum = per_bucket.reshape(n_a, n_t, n_b).cumsum(axis=1).cumsum(axis=2)
    lat_us = np.round(latency * 1_000_000).astype(np.int64)
    sums = np.bincount(a_i * n_t + k, weights=lat_us, minlength=n_a * n_t)
    sums = np.round(sums).astype(np.int64).reshape(n_a, n_t).cumsum(axis=1)
    hist = np.concatenate([cum, cum[:, :, -1:], sums[:, :, None]], axis=2)  # (a, t, n_cols)
    les = [canonical_number(b) for b in (*bounds, math.inf)]
    hist_prefix = np.array(
        [
            [f'{HISTOGRAM}_bucket{{api="{escape_label_value(a)}",le="{le}"}}' for le in les]
            + [
                f'{HISTOGRAM}_count{{api="{escape_label_value(a)}"}}',
                f'{HISTOGRAM}_sum{{api="{escape_label_value(a)}"}}',
            ]
            for a in apis
        ],
        dtype=str,
    ).reshape(n_a, 1, n_cols)

    path = Path(path)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(f"# TYPE {COUNTER} counter\n")
        handle.write(f"# HELP {COUNTER} HTTP requests by API, method and status code.\n")
        handle.flush()
        if n_s:
            _write_lines(
                handle,
                np.repeat(np.array(counter_prefix, dtype=str), n_t),
                counts.ravel(),
                np.tile(times_us, n_s),
                np.zeros(n_s * n_t, dtype=bool),
            )
        handle.write(f"# TYPE {HISTOGRAM} histogram\n")
        handle.write(f"# UNIT {HISTOGRAM} seconds\n")
        handle.write(f"# HELP {HISTOGRAM} Request latency from start to end, seconds.\n")
        handle.flush()
        if n_a:
            _write_lines(
                handle,
                np.broadcast_to(hist_prefix, (n_a, n_t, n_cols)).ravel(),
                hist.ravel(),
                np.broadcast_to(times_us[None, :, None], (n_a, n_t, n_cols)).ravel(),
                np.broadcast_to(np.arange(n_cols) == n_cols - 1, (n_a, n_t, n_cols)).ravel(),
            )
        handle.write("# EOF\n")
    return OpenMetricsStats(
        path=path,
        series=n_series,
        samples=n_series * n_t,
        first_ts=datetime.fromtimestamp(times_us[0] / 1e6, tz=start.tzinfo),
        last_ts=datetime.fromtimestamp(times_us[-1] / 1e6, tz=start.tzinfo),
    )
