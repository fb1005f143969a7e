"""Frames a report shows: data loading for notebooks, per-API overviews, top slices, tables.

Each function takes and returns frames (schemas in :mod:`apislo.model`), so notebook cells stay
one line each and the numbers are tested here.

>>> from apislo.report import views
>>> window = views.window("", "", days=7)                             # doctest: +SKIP
>>> frame, source = views.load_traffic("data/demo/events", "", window) # doctest: +SKIP
>>> views.table(views.api_overview(frame))                            # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from apislo.aggregate import merge_intervals, quantile_column
from apislo.charts import MAX_CHART_INTERVALS, shown_text
from apislo.errors import ConfigError
from apislo.model import as_utc, number_label
from apislo.report.provenance import redact_url
from apislo.sources.prometheus.settings import TOKEN_ENV, URL_ENV, environment_options

__all__ = [
    "PROMETHEUS_TOKEN_ENV",
    "PROMETHEUS_URL_ENV",
    "api_overview",
    "bucket_quantiles",
    "consumers_hit",
    "data_source",
    "find_path",
    "floored",
    "instant",
    "latency_over_time",
    "load_traffic",
    "no_data_note",
    "table",
    "top_slices",
    "window",
]

#: Environment variables for a Prometheus source (the token never goes in parameters; the other
#: connection settings are in :mod:`apislo.sources.prometheus.settings`).
PROMETHEUS_URL_ENV = URL_ENV
PROMETHEUS_TOKEN_ENV = TOKEN_ENV
_LE = re.compile(r"^le_(.+)$")


def window(start: str = "", end: str = "", days: float = 7) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The data window ``[start, end)`` in UTC; empty ``end`` is now (to the minute), empty
    ``start`` is ``days`` (a number > 0) before ``end``.

    >>> [str(t) for t in window("2026-11-01", "2026-11-08")]
    ['2026-11-01 00:00:00+00:00', '2026-11-08 00:00:00+00:00']

    Raises:
        ConfigError: ``start`` or ``end`` is not a time, ``days`` (when used) is not a number of
            days > 0 that a time can go back, or the window is empty.
    """
    stop = _bound(end) if end else pd.Timestamp.now(tz="UTC").floor("min")
    begin = _bound(start) if start else _days_before(stop, days)
    if begin >= stop:
        raise ConfigError(f"window start {begin} is not before end {stop}; check start/end")
    return begin, stop


def instant(at: Any = "") -> Any:
    """A report's evaluation instant (its ``at`` parameter) for :func:`apislo.slo.evaluate`:
    empty is ``"now"``; a number is the text it was typed as (``-p at 20261101`` comes as an int,
    which would be read as Unix seconds, 1970-08-23; as text it is 2026-11-01)."""
    return _as_typed(at) or "now"


def _bound(value: Any) -> pd.Timestamp:
    """A window bound read by :func:`_utc`, a number as the text it was typed as: ``-p start
    20261101`` comes as an int, which pandas read as nanoseconds after 1970 (as text it is ISO
    8601's basic 2026-11-01; ``1700000000`` is no time)."""
    return _utc(_as_typed(value))


def _as_typed(value: Any) -> Any:
    """A time parameter that the command line or YAML typed as a number, back as its text."""
    return str(value) if _is_number(value) else value


def _is_number(value: Any) -> bool:
    """Whether a parameter is a number (numpy's too), not a boolean."""
    return not isinstance(value, bool | np.bool_) and isinstance(value, int | float | np.number)


def _days_before(stop: pd.Timestamp, days: Any) -> pd.Timestamp:
    """``days`` days before ``stop``; a :class:`ConfigError` naming the parameter unless it is a
    number > 0 (nan, inf and ``"7"`` were a ValueError or TypeError from pandas, -1 an "empty
    window")."""
    try:
        if _is_number(days) and days > 0:
            return stop - pd.Timedelta(days=days)
    except (ValueError, OverflowError):  # (nan; a time before pandas' year 1677)
        pass
    raise ConfigError(f"days: {days!r} is not valid; allowed: a number of days > 0")


def _utc(value: Any) -> pd.Timestamp:
    try:
        return as_utc(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not a time; use ISO 8601 like 2026-11-01T00:00Z") from None


def find_path(path: str | Path) -> Path:
    """A relative path looked up in the working directory, then in its parents (a notebook opened
    in JupyterLab runs in ``notebooks/``, a scheduled one in the project root); returned unchanged
    when found nowhere, so the caller's error names it.
    """
    given = Path(path)
    if given.is_absolute() or given.exists():
        return given
    for parent in Path.cwd().parents:
        if (parent / given).exists():
            return parent / given
    return given


def data_source(dataset: str, prometheus_url: str = "") -> tuple[Any, str]:
    """The data a report reads: a Prometheus client when a URL is given (or in
    ``$APISLO_PROMETHEUS_URL``), connected with the settings of the ``APISLO_PROMETHEUS_*``
    variables of this (the kernel's) environment (a token in ``$APISLO_PROMETHEUS_TOKEN`` or a
    file named by ``$APISLO_PROMETHEUS_TOKEN_FILE``, basic auth, headers, CA file, client
    certificate, timeout, retries: see
    :func:`~apislo.sources.prometheus.settings.environment_options`), else the ``dataset``
    directory (looked up with :func:`find_path`).

    Returns:
        ``(source, label)``: what :func:`apislo.slo.evaluate` accepts, and a name for the
        provenance box (the URL without credentials, as
        :func:`~apislo.report.provenance.redact_url` shows it: a ``;jsessionid=`` in its path
        written ``;jsessionid=REDACTED``, where until 2026-11-30 it was kept; no connection
        setting).

    Raises:
        ConfigError: no source, a connection setting refused (the message names its variable,
            never a secret or a header's value), or the URL's ``user:password@`` and a token
            both given (the message names the token's variable or file, never the secret).
    """
    url = prometheus_url or os.environ.get(PROMETHEUS_URL_ENV, "")
    if url:
        import apislo

        prom = apislo.prometheus(url, **environment_options())
        return prom, f"prometheus {redact_url(prom.url)}"
    if not dataset:
        raise ConfigError(f"no data source: set the dataset parameter or ${PROMETHEUS_URL_ENV}")
    path = find_path(dataset)
    return path, f"dataset {dataset}"


def load_traffic(
    dataset: str,
    prometheus_url: str,
    span: tuple[pd.Timestamp, pd.Timestamp],
    interval: str | pd.Timedelta = "1h",
    by: Sequence[str] = ("api",),
    apis: Sequence[str] | str | None = None,
    profile: str = "generic",
) -> tuple[pd.DataFrame, str]:
    """Traffic frame for ``span`` from :func:`data_source` (Prometheus or the dataset), for
    ``apis`` only (a list, or one comma-separated string; empty = every API). ``interval`` is
    read the same way for both sources (``"5min"``, ``"5m"``, ``"1h"``).

    Returns:
        ``(traffic, source)`` where ``source`` names the data for the provenance box.
    """
    import apislo
    from apislo.aggregate import parse_interval

    interval = parse_interval(interval)  # (PromQL's own syntax has no "5min")
    source, label = data_source(dataset, prometheus_url)
    start, end = span
    if isinstance(apis, str):  # "-p apis orders,payments" on the command line
        apis = [a.strip() for a in apis.split(",") if a.strip()]
    if isinstance(source, Path):
        events = apislo.load(source, start, end, list(apis) if apis else None)
        frame = apislo.traffic(events, interval=interval, by=tuple(by), start=start, end=end)
        return frame, label
    with source:
        frame = source.traffic(profile, start=start, end=end, step=interval, by=tuple(by))
    if apis:
        frame = frame[frame["api"].isin(list(apis))].reset_index(drop=True)
    return frame, f"{label} (profile {profile})"


def _thresholds(frame: pd.DataFrame) -> list[tuple[float, str]]:
    found = [(float(m.group(1)), c) for c in frame.columns if (m := _LE.match(c))]
    return sorted(found)


def bucket_quantiles(frame: pd.DataFrame, q: float) -> np.ndarray:
    """Per row, the ``q`` quantile (seconds) estimated from cumulative ``le_*`` buckets the way
    PromQL's ``histogram_quantile`` does: linear inside the bucket holding rank
    ``q * latency_count``, the first bucket starting at 0; a rank above the last finite bucket
    gives that bucket's bound; no requests give NaN. A frame without bucket columns and without
    latency observations (no data from Prometheus, or a profile without a histogram) gives NaN.

    Args:
        frame: rows with ``latency_count`` and ``le_<seconds>`` columns.
        q: quantile, 0..1.

    Raises:
        ConfigError: ``q`` is outside 0..1, or rows have latency observations but the frame has
            no bucket columns.
    """
    if not 0 <= q <= 1:
        raise ConfigError(f"quantile {q} must be between 0 and 1")
    buckets = _thresholds(frame)
    total = frame["latency_count"].to_numpy(dtype="float64", na_value=0.0)
    if not buckets:
        if not (total > 0).any():  # nothing observed: nothing to estimate, as for no requests
            return np.full(len(frame), np.nan)
        raise ConfigError("the traffic frame has no le_* bucket columns to estimate quantiles")
    bounds = np.array([b for b, _ in buckets])
    cum = frame[[c for _, c in buckets]].to_numpy(dtype="float64", na_value=0.0)
    rank = q * total
    idx = (cum < rank[:, None]).sum(axis=1)  # first bucket whose count reaches the rank
    inside = idx < len(bounds)
    i = np.minimum(idx, len(bounds) - 1)
    upper = bounds[i]
    lower = np.where(i > 0, bounds[np.maximum(i - 1, 0)], 0.0)
    rows = np.arange(len(frame))
    below = np.where(i > 0, cum[rows, np.maximum(i - 1, 0)], 0.0)
    in_bucket = cum[rows, i] - below
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(in_bucket > 0, (rank - below) / in_bucket, 1.0)
    out = np.where(inside, lower + (upper - lower) * frac, bounds[-1])
    return np.where(total > 0, out, np.nan)


def _summed(traffic: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    counts = [
        c
        for c in traffic.columns
        if c in {"requests", "latency_count", "latency_sum_s"}
        or c.startswith("status_")
        or _LE.match(c)
    ]
    # a missing key (no consumer in Envoy lines) is a group of its own, as in the traffic frame
    return traffic.groupby(keys, as_index=False, observed=True, dropna=False)[counts].sum()


def api_overview(
    traffic: pd.DataFrame, by: Sequence[str] = ("api",), quantiles: Sequence[float] = (0.5, 0.99)
) -> pd.DataFrame:
    """One row per group over the whole window: requests, error shares, mean and bucket-estimated
    latency quantiles (seconds), largest first.

    Columns: the keys, ``requests``, ``errors_5xx_pct``, ``errors_4xx_pct`` (4xx other than
    429: client errors), ``throttled_429`` (requests refused by a quota), ``mean_latency_s``,
    ``p50_s``, ``p99_s`` (one per quantile).
    """
    keys = list(by)
    totals = _summed(traffic, keys)
    requests = totals["requests"].astype("float64")
    out = totals[keys].copy()
    out["requests"] = totals["requests"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["errors_5xx_pct"] = 100 * totals["status_5xx"].astype("float64") / requests
        client = totals["status_4xx"] - totals["status_429"]  # (a 429 is a 4xx in the frame)
        out["errors_4xx_pct"] = 100 * client.astype("float64") / requests
        out["throttled_429"] = totals["status_429"].astype("int64")
        count = totals["latency_count"].astype("float64")
        out["mean_latency_s"] = totals["latency_sum_s"].astype("float64") / count
    for q in quantiles:
        out[quantile_column(q)] = bucket_quantiles(totals, q)
    return out.sort_values(["requests", *keys], ascending=[False] + [True] * len(keys)).reset_index(
        drop=True
    )


def _top(n: Any) -> int:
    """The ``n`` of a top-``n`` table (the notebooks' ``top`` parameter).

    Raises:
        ConfigError: ``n`` is not a whole number >= 1 (``-1`` would keep all rows but the last,
            as ``DataFrame.head`` does, under a "busiest" heading).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ConfigError(f"top: {n!r} is not valid; allowed: a whole number >= 1")
    return int(n)


def top_slices(
    traffic: pd.DataFrame, by: str = "route", n: int = 10, quantile: float = 0.99
) -> pd.DataFrame:
    """The ``n`` busiest values of ``by`` (with their API) over the window, with error share and a
    latency quantile (seconds).

    Raises:
        ConfigError: ``traffic`` has no ``by`` column, or ``n`` is not a whole number >= 1.
    """
    n = _top(n)
    if by not in traffic.columns:
        raise ConfigError(
            f"the traffic frame has no {by!r} column; load it with by=('api', {by!r})"
        )
    keys = ["api", by] if by != "api" and "api" in traffic.columns else [by]
    overview = api_overview(traffic, keys, quantiles=(quantile,))
    return overview.head(n).reset_index(drop=True)


def consumers_hit(traffic: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """Consumers by failed requests (5xx, then 429), with their share and latency: who an
    incident hurt. Needs a ``consumer`` column (load with ``by=("api", "consumer")``).

    Raises:
        ConfigError: ``traffic`` has no ``consumer`` column, or ``n`` is not a whole number >= 1.
    """
    n = _top(n)
    if "consumer" not in traffic.columns:
        raise ConfigError(
            "the traffic frame has no consumer column; load with by=('api', 'consumer')"
        )
    overview = api_overview(traffic, ["consumer"], quantiles=(0.99,))
    totals = _summed(traffic, ["consumer"])[["consumer", "status_5xx"]]
    out = overview.merge(totals, on="consumer").rename(columns={"status_5xx": "failed_5xx"})
    out = out.sort_values(
        ["failed_5xx", "throttled_429", "requests", "consumer"], ascending=[False] * 3 + [True]
    )
    return out.head(n).reset_index(drop=True)


def latency_over_time(
    traffic: pd.DataFrame, by: str = "api", quantiles: Sequence[float] = (0.5, 0.9, 0.99)
) -> pd.DataFrame:
    """Long frame ``ts, <by>, quantile, latency_s``: bucket-estimated quantiles per interval,
    the intervals merged (:func:`apislo.aggregate.merge_intervals`) so that at most
    :data:`apislo.charts.MAX_CHART_INTERVALS` remain."""
    totals = merge_intervals(_summed(traffic, ["ts", by]), MAX_CHART_INTERVALS, by)
    parts = [
        pd.DataFrame(
            {
                "ts": totals["ts"].to_numpy(),
                by: totals[by].astype("string").to_numpy(),
                "quantile": f"p{number_label(q, 2)}",
                "latency_s": bucket_quantiles(totals, q),
            }
        )
        for q in quantiles
    ]
    return pd.concat(parts, ignore_index=True).dropna(subset=["latency_s"])


def no_data_note(requests: int, where: str) -> Any:
    """A note in the report when its data holds no request, else ``None`` (nothing shown): a
    manager reading a scheduled report must not take an empty window for a quiet one (tables
    empty, every error budget untouched).

    Args:
        requests: requests in the data the report shows.
        where: what the data covers, said in the note (``"from ... to ..."``).
    """
    if requests > 0:
        return None
    from IPython.display import HTML

    return HTML(
        f"<p><strong>No requests {html.escape(where)}.</strong> The tables and charts below are "
        "empty and error budgets untouched: check the dataset (or Prometheus URL), the window "
        "and the API filter.</p>"
    )


def table(frame: pd.DataFrame, precision: int = 3, floor: Sequence[str] = ()) -> Any:
    """A pandas Styler for reports: index hidden, numbers rounded, **every cell HTML-escaped**
    (routes and consumer names come from access logs and may hold markup) and its text fit to
    show as the charts show it (:func:`apislo.text.printable`: a ``\\u202E`` in a Prometheus
    label, which no log parser escaped, reordered a cell). A missing number is ``-``; a missing
    text (a group without a consumer or version) is :data:`~apislo.text.MISSING_KEY`, as the
    charts show it.

    Args:
        frame: the rows to show.
        precision: decimals of the numbers.
        floor: columns rounded down (toward minus infinity) to ``precision`` decimals, not to
            the nearest (:func:`floored`): an SLI of 0.99896 shows ``0.9989``, never ``0.9990``
            beside a 0.999 target it misses. Their text is escaped too (until 2026-11-30 the
            rounding's formatter replaced the escaping: a ``<b>`` there was markup).
    """
    shown = shown_text(frame)
    styler = shown.style.hide(axis="index").format(precision=precision, escape="html", na_rep="-")
    if floor:
        styler = styler.format(floored(precision), subset=list(floor), na_rep="-", escape="html")
    return styler


def floored(decimals: int) -> Callable[[Any], str]:
    """A formatter writing a number rounded down to ``decimals`` decimals, so that a value below
    a threshold written with at most that many decimals never reads as equal to it (the value
    is first rounded to 15 decimals, 15 significant digits from 1 on, which absorbs a float's
    error in ``1 - bad / total``, at most about 1e-16 whatever the value: ``1 - 1/1000``
    computed as 0.9989999999999999 reads ``0.999``, as its counts meet a 0.999 target exactly;
    at 12 significant digits, used until 2026-11-29, a miss by less than 5e-13, 201 bad of
    20,099,999 under 0.99999, read as the target, and on 2026-11-29, at 15 significant digits,
    an SLI under 0.1 read below its counts: 932 bad of 1,000, 0.06799999999999995, as 0.067).

    >>> floored(4)(0.99896), floored(4)(0.9989999999999999), floored(2)(1.0)
    ('0.9989', '0.9990', '1.00')
    """
    step = Decimal(1).scaleb(-decimals)

    def text(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            return str(value)
        if not math.isfinite(value):
            return f"{value}"
        rounded = f"{float(value):.15g}" if abs(value) >= 1 else f"{float(value):.15f}"
        return str(Decimal(rounded).quantize(step, rounding=ROUND_FLOOR))

    return text
