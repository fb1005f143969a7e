"""Request events -> the traffic frame, the meeting point of logs and Prometheus.

Schema in :mod:`apislo.model`. Counts are exact: a request with ``latency_s <= t`` counts in
bucket ``le_<t>`` (Prometheus ``le`` semantics); a request with no status counts in ``requests``
only; a request with no latency (NA or NaN) is left out of ``latency_count``,
``latency_sum_s``, the buckets and the quantiles. Quantile columns are exact order statistics
of the interval's latencies, linearly interpolated between closest ranks (NumPy's default
``percentile``).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa

from apislo.errors import ConfigError
from apislo.model import (
    DEFAULT_BUCKETS_S,
    MAX_COMPLETE_ROWS,
    arrow_to_pandas,
    bucket_column,
    check_frame_rows,
    number_label,
    utc_span,
)

__all__ = [
    "DEFAULT_QUANTILES",
    "MAX_COMPLETE_ROWS",
    "group_keys",
    "merge_intervals",
    "parse_interval",
    "quantile_column",
    "refuse_repeats",
    "summary",
    "to_polars",
    "traffic",
]

#: Quantiles computed by default (fractions).
DEFAULT_QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99)


def quantile_column(q: float) -> str:
    """Name of the quantile column for fraction ``q``: its percent (:func:`number_label`).

    >>> quantile_column(0.99), quantile_column(0.999), quantile_column(0.9999991)
    ('p99_s', 'p99.9_s', 'p99.99991_s')
    """
    return f"p{number_label(q, 2)}_s"


def to_polars(
    events: pd.DataFrame | pl.DataFrame | pa.Table, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """Any events frame (pandas with Arrow or NumPy dtypes, polars, Arrow) as polars; only its
    ``columns`` when given, so that no other column is converted (a column of Python objects
    Arrow cannot convert, texts and numbers mixed, stopped :func:`traffic` with an
    ``ArrowInvalid`` naming no column until 2026-11-30, whatever the column held).

    Raises:
        ConfigError: ``events`` have no column of one of ``columns``.
    """
    if columns is not None:
        wanted = list(dict.fromkeys(columns))  # (a key may be a counted column: by="status")
        names = events.column_names if isinstance(events, pa.Table) else list(events.columns)
        missing = [column for column in wanted if column not in names]
        if missing:
            raise ConfigError(f"events have no column(s) {missing}; expected apislo's event schema")
        events = events[wanted] if isinstance(events, pd.DataFrame) else events.select(wanted)
    if isinstance(events, pl.DataFrame):
        return events
    if isinstance(events, pa.Table):
        return pl.from_arrow(events)  # type: ignore[return-value]
    return pl.from_pandas(events)


#: A day or week unit written small after a number (``1d``, ``2d12h``, ``1 w``).
_DAYS = re.compile(r"(?<=\d)(\s*)([dw])(?![a-z])")


def parse_interval(interval: str | pd.Timedelta) -> pd.Timedelta:
    """An interval length (``"1min"``, ``"5min"``, ``"1h"``, ``"1d"``, a ``pd.Timedelta``),
    checked.

    Raises:
        ConfigError: not a duration, a number without a unit (``300``, ``"300"``: until
            2026-11-30 read as nanoseconds, so ``5000`` gave 5 us intervals and ``300`` an
            error asking for a whole number of microseconds), or not a positive whole number
            of microseconds.
    """
    if _unitless(interval):
        raise ConfigError(
            f"interval {interval!r} is a number without a unit; give a duration such as "
            "'300s', '5min' or '1h'"
        )
    if isinstance(interval, str):  # pandas 3 deprecates "1d" for "1D" (and will refuse it)
        interval = _DAYS.sub(lambda m: m[1] + m[2].upper(), interval)
    try:
        step = pd.Timedelta(interval)
    except ValueError as exc:
        raise ConfigError(f"interval {interval!r} is not a duration like '5min' or '1h'") from exc
    if step <= pd.Timedelta(0) or step % pd.Timedelta(microseconds=1):
        raise ConfigError(f"interval {interval!r} must be a positive whole number of microseconds")
    return step


def _unitless(interval: object) -> bool:
    """Whether ``interval`` is a number, or the text of one, which pandas reads as nanoseconds
    (``Prometheus.traffic`` reads a number ``step`` as seconds)."""
    if isinstance(interval, str):
        try:
            float(interval)
        except ValueError:
            return False
        return True
    # (True is a number to Python, a NumPy timedelta64 an integer to NumPy)
    return isinstance(interval, numbers.Number) and not isinstance(interval, bool | np.timedelta64)


def _interval_us(interval: str | pd.Timedelta) -> int:
    return int(parse_interval(interval) / pd.Timedelta(microseconds=1))


def traffic(
    events: pd.DataFrame | pl.DataFrame | pa.Table,
    interval: str | pd.Timedelta = "1min",
    by: str | Sequence[str] = ("api",),
    thresholds_s: Sequence[float] = DEFAULT_BUCKETS_S,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    complete: bool = True,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Aggregate request events into a traffic frame.

    Args:
        events: request events (schema: :mod:`apislo.model`).
        interval: interval length (``"1min"``, ``"5min"``, ``"1h"``...); intervals are aligned to
            the Unix epoch in UTC, so ``"1d"`` intervals are UTC days.
        by: group keys, e.g. ``"api"``, ``("api",)`` or ``("api", "route")``.
        thresholds_s: latency thresholds in seconds, one cumulative bucket column each.
        quantiles: latency quantiles (fractions) to compute exactly; ``()`` for none.
        complete: add zero rows for intervals without traffic, per group, from ``start`` (or the
            first request) to ``end`` (or the last request), so windows over rows are windows in
            time; at most :data:`MAX_COMPLETE_ROWS` rows (else :class:`ConfigError`).
        start, end: the span of a complete frame (``end`` exclusive); naive times are UTC.
            Its intervals are those from the one holding ``start`` to the one holding the
            last instant before ``end``: requests in other intervals are left out (those of
            the first and last intervals are all counted, also before ``start`` or from
            ``end`` on). Without ``complete`` they are checked, not used.

    Returns:
        One row per group and interval start ``ts``, sorted by the group keys then ``ts``.

    Raises:
        ConfigError: ``ts`` given as a group key, ``start`` or ``end`` no time, ``end`` not
            after ``start``, and the refusals of :func:`group_keys` and :func:`_aggregations`.

    Example:
        >>> hourly = apislo.traffic(events, interval="1h", by=("api", "route"))  # doctest: +SKIP
    """
    step_us = _interval_us(interval)
    keys = group_keys(by)
    span = utc_span(start, end)
    frame = _checked_types(to_polars(events, ("ts", "status", "latency_s", *keys)))
    aggregations = _aggregations(thresholds_s, quantiles)
    ts = pl.col("ts").cast(pl.Datetime("us", "UTC"))
    grouped = (
        frame.lazy()
        .with_columns(ts.dt.truncate(f"{step_us}us").alias("ts"))
        .group_by(["ts", *keys])
        .agg(aggregations)
        .collect()
    )
    # (a complete frame is sorted as it is built)
    grouped = _complete(grouped, keys, step_us, *span) if complete else grouped.sort([*keys, "ts"])
    grouped = grouped.select("ts", *keys, *[c for c in grouped.columns if c not in ("ts", *keys)])
    return arrow_to_pandas(grouped.to_arrow())


def _checked_types(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame``, its ``status`` typed when it holds no value at all (polars' ``Null``: no
    request has one), its ``latency_s`` made ``Float64`` seconds whatever the caller's number
    type (until 2026-11-30 an integer one, pandas ``int64`` seconds, gave an integer
    ``latency_sum_s``), and a NaN latency made null: no latency, as NaN is in
    pandas (until 2026-11-30 one from polars, Arrow or an Arrow-backed pandas frame was
    counted in ``latency_count``, made ``latency_sum_s`` NaN and the quantiles wrong, as
    polars sorts NaN above every number); refused when ``ts`` (if there) is no time or
    ``status`` or ``latency_s`` holds no numbers (text read from a CSV), which polars would
    fail on with a traceback.

    Raises:
        ConfigError: naming the column and its type.
    """
    checks = (("ts", "a datetime"), ("status", "numbers"), ("latency_s", "numbers"))
    for column, wanted in ((c, w) for c, w in checks if c in frame.schema):
        dtype = frame.schema[column]
        fits = isinstance(dtype, pl.Datetime | pl.Date) if column == "ts" else dtype.is_numeric()
        if not (fits or (dtype == pl.Null and column != "ts")):
            raise ConfigError(
                f"events column {column!r} is {dtype}, not {wanted}; convert it first "
                "(pd.to_datetime(..., utc=True), pd.to_numeric)"
            )
    typed = [pl.col("latency_s").cast(pl.Float64).fill_nan(None)]
    if frame.schema["status"] == pl.Null:
        typed.append(pl.col("status").cast(pl.Int16))
    return frame.with_columns(typed)


def summary(
    events: pd.DataFrame | pl.DataFrame | pa.Table,
    by: str | Sequence[str] = ("api",),
    thresholds_s: Sequence[float] = (),
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
) -> pd.DataFrame:
    """Totals over the whole span per group: the traffic frame's counts without intervals,
    plus ``error_ratio`` (5xx / requests).

    Raises:
        ConfigError: ``events`` lack a column it reads, or hold no numbers there (as
            :func:`traffic`).

    Example:
        >>> from apislo.aggregate import summary
        >>> summary(events, quantiles=(0.5, 0.99))  # doctest: +SKIP
    """
    keys = group_keys(by)
    frame = _checked_types(to_polars(events, ("status", "latency_s", *keys)))
    totals = (
        frame.lazy()
        .group_by(keys)
        .agg(_aggregations(thresholds_s, quantiles))
        .with_columns((pl.col("status_5xx") / pl.col("requests")).alias("error_ratio"))
        .sort(keys)
        .collect()
    )
    return arrow_to_pandas(totals.to_arrow())


def merge_intervals(
    counts: pd.DataFrame, max_intervals: int, by: str | Sequence[str] = ()
) -> pd.DataFrame:
    """``counts`` (a ``ts`` column, the ``by`` columns and count columns only, as a traffic
    frame's counts summed per ``ts`` and group) with its intervals merged ``k`` at a time, the
    counts summed, so that at most ``max_intervals`` remain; as it is when it has no more.

    A merged interval is stamped with the ``ts`` of its first; counts stay exact (quantiles
    estimated from merged buckets are those of the longer interval). For charts: a chart 640 px
    wide shows no more points than that, and Altair refuses data of over 5,000 rows.

    >>> ts = pd.date_range("2026-11-01", periods=5, freq="1min", tz="UTC")
    >>> merge_intervals(pd.DataFrame({"ts": ts, "requests": [1, 2, 3, 4, 5]}), 2)["requests"]
    0    6
    1    9
    Name: requests, dtype: int64
    """
    if max_intervals < 1:
        raise ConfigError(f"max_intervals={max_intervals}: at least 1 interval is needed")
    stamps = pd.DatetimeIndex(counts["ts"])  # (NumPy times, whether Arrow-backed or not)
    distinct = stamps.unique().sort_values()
    if len(distinct) <= max_intervals:
        return counts
    origin, step = distinct[0], (distinct[1:] - distinct[:-1]).min()
    span = step * -(-(distinct[-1] - origin + step) // (step * max_intervals))
    merged = origin + (stamps - origin) // span * span
    ts = pd.Series(merged, index=counts.index).astype(counts["ts"].dtype)
    keys = ["ts", *group_keys(by)]
    # a missing key is a group of its own (as in the traffic frame), not dropped
    return counts.assign(ts=ts).groupby(keys, as_index=False, observed=True, dropna=False).sum()


def group_keys(by: str | Sequence[str]) -> list[str]:
    """The group keys ``by`` names: one column name, or several.

    >>> group_keys("api"), group_keys(("api", "route"))
    (['api'], ['api', 'route'])

    Raises:
        ConfigError: a key given twice (two columns of one name: until 2026-11-29 polars'
            ``DuplicateError`` from :func:`traffic`, pandas' from the Prometheus source), or
            ``ts``, the traffic frame's interval column (the same ``DuplicateError`` until
            2026-11-30). A counted column (``status``) may be a key.
    """
    keys = [by] if isinstance(by, str) else list(by)
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"by {keys}: {', '.join(twice)} given twice; give each key once")
    if "ts" in keys:
        raise ConfigError(
            f"by {keys}: ts is no group key: it is the time column, each interval's start in "
            "a traffic frame; set the intervals' length with interval= (step= from Prometheus)"
        )
    return keys


def refuse_repeats(name: str, values: Sequence[float]) -> None:
    """Refuse a number given twice in ``values`` (the argument ``name``: ``thresholds_s``), as
    ``1`` and ``1.0``: two columns of one name.

    Raises:
        ConfigError: naming the numbers given more than once.
    """
    repeated = sorted({v for v in values if list(values).count(v) > 1})
    if repeated:
        raise ConfigError(f"{name} {list(values)} gives {repeated} more than once")


def _aggregations(thresholds_s: Sequence[float], quantiles: Sequence[float]) -> list[pl.Expr]:
    """The traffic frame's count, sum, bucket and quantile expressions.

    Raises:
        ConfigError: a threshold or quantile given twice, a threshold that is not a finite
            number of seconds, or a quantile outside 0..1.
    """
    refuse_repeats("thresholds_s", thresholds_s)
    refuse_repeats("quantiles", quantiles)
    if not all(math.isfinite(t) for t in thresholds_s):
        raise ConfigError(f"thresholds_s {list(thresholds_s)}: each must be a number of seconds")
    outside = [q for q in quantiles if not 0 <= q <= 1]
    if outside:
        raise ConfigError(
            f"quantiles {outside} are outside 0..1 (fractions: 0.99 for the 99th percentile)"
        )
    status, latency = pl.col("status"), pl.col("latency_s")
    return [
        pl.len().cast(pl.Int64).alias("requests"),
        *[
            ((status // 100) == klass).sum().cast(pl.Int64).alias(f"status_{klass}xx")
            for klass in (2, 3, 4, 5)
        ],
        (status == 429).sum().cast(pl.Int64).alias("status_429"),
        latency.is_not_null().sum().cast(pl.Int64).alias("latency_count"),
        latency.sum().alias("latency_sum_s"),
        *[
            (latency <= t).sum().cast(pl.Int64).alias(bucket_column(t))
            for t in sorted(thresholds_s)
        ],
        *[latency.quantile(q, interpolation="linear").alias(quantile_column(q)) for q in quantiles],
    ]


def _complete(
    grouped: pl.DataFrame,
    keys: list[str],
    step_us: int,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pl.DataFrame:
    """Add zero-count rows so every group has every interval in the span; rows come out sorted
    by the group keys, then ``ts``.

    The rows are built in that order (the sorted groups, each crossed with the time grid), so
    the frame is never sorted as a whole: sorting 19 M rows by two string keys and ``ts`` took
    15 s of an SLO grouped by consumer over 60 days.
    """
    # in epoch microseconds: the end of the last interval before year 10000 is no datetime
    stamps = grouped["ts"].dt.epoch("us")
    first = _bound_us(start, step_us) if start is not None else stamps.min()
    if end is not None:
        last_exclusive = _bound_us(end, step_us, ceil=True)
    else:
        last = stamps.max()
        last_exclusive = None if last is None else last + step_us
    if first is None or last_exclusive is None:
        return grouped.sort([*keys, "ts"])
    groups = grouped.select(keys).unique().sort(keys) if keys else pl.DataFrame()
    intervals = -(-(last_exclusive - first) // step_us)
    check_frame_rows(
        intervals, groups.height, "use a longer interval, a shorter span, or complete=False"
    )
    grid = (
        pl.int_range(first, last_exclusive, step_us, dtype=pl.Int64, eager=True)
        .cast(pl.Datetime("us", "UTC"))
        .alias("ts")
        .to_frame()
    )
    full = groups.join(grid, how="cross", maintain_order="left_right") if keys else grid
    # a missing key (no consumer in Envoy lines, no API version) is a group of its own: match it
    joined = full.join(
        grouped, on=[*keys, "ts"], how="left", nulls_equal=True, maintain_order="left"
    )
    counts = [c for c in grouped.columns if c not in ("ts", *keys) and not c.startswith("p")]
    return joined.with_columns(pl.col(counts).fill_null(0))


def _bound_us(stamp: pd.Timestamp, step_us: int, ceil: bool = False) -> int:
    """``start`` (or with ``ceil``, ``end``; UTC) rounded down, or up, to a multiple of
    ``step_us``; epoch microseconds (rounded up past 9999-12-31, it is no ``datetime``)."""
    step = pd.Timedelta(microseconds=step_us)
    return int((stamp.ceil(step) if ceil else stamp.floor(step)).as_unit("us").asm8.view("i8"))
