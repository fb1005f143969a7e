"""Ground truth: what the generator produced, counted from its own events (never from the logs).

``truth.json`` holds, per API, the totals and one row per clock hour of ``requests``,
``status_2xx`` .. ``status_5xx``, ``status_429`` and ``latency_gt_0.3s`` (requests with
``latency_s > 0.3``, i.e. ``requests - le_0.3`` of a traffic frame), keyed like the traffic frame
(``ts`` = interval start, request *start* time). The hourly rows are columnar: ``{"ts": [...],
"requests": [...], ...}`` loads with ``pandas.DataFrame(truth["apis"][api]["hourly"])``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

__all__ = [
    "COUNT_COLUMNS",
    "ISO_UTC",
    "SLOW_THRESHOLD_S",
    "episode_counts",
    "iso_utc",
    "truth_from_events",
]

#: The latency threshold of the ``latency_gt_0.3s`` counts, seconds.
SLOW_THRESHOLD_S = 0.3

#: How truth.json writes times: ISO 8601, UTC, whole seconds.
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"

#: Count columns of the truth, in order.
COUNT_COLUMNS: tuple[str, ...] = (
    "requests",
    "status_2xx",
    "status_3xx",
    "status_4xx",
    "status_5xx",
    "status_429",
    "latency_gt_0.3s",
)


def iso_utc(ts: datetime) -> str:
    """``2026-11-28T12:00:00Z`` for an aware UTC datetime; the year always has four digits
    (``strftime`` with :data:`ISO_UTC` writes year 999 as ``999`` with glibc)."""
    return ts.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _counts() -> list[pl.Expr]:
    status = pl.col("status")
    return [
        pl.len().alias("requests"),
        *[
            ((status >= 100 * k) & (status < 100 * (k + 1))).sum().alias(f"status_{k}xx")
            for k in (2, 3, 4, 5)
        ],
        (status == 429).sum().alias("status_429"),
        (pl.col("latency_s") > SLOW_THRESHOLD_S).sum().alias("latency_gt_0.3s"),
    ]


def truth_from_events(
    events: pl.DataFrame, apis: list[str], start: datetime, end: datetime
) -> dict[str, dict[str, Any]]:
    """Totals and hourly counts per API.

    Args:
        events: the generator's raw events (``ts``, ``api``, ``status``, ``latency_s``).
        apis: every API simulated (APIs without requests still get zero rows).
        start: period start, UTC, on a whole hour or not (hours are clock hours).
        end: period end, UTC.

    Returns:
        ``{api: {"requests": n, ..., "hourly": {"ts": [iso, ...], "requests": [...], ...}}}``;
        every clock hour that overlaps ``[start, end)`` has a row, zeros included.
    """
    hours = pl.datetime_range(
        pl.lit(start).dt.truncate("1h"), end, "1h", closed="left", time_zone="UTC", eager=True
    ).dt.cast_time_unit("us")
    grid = pl.DataFrame({"api": apis}).join(pl.DataFrame({"ts": hours}), how="cross")
    hourly = (
        events.with_columns(pl.col("ts").dt.truncate("1h")).group_by("api", "ts").agg(_counts())
    )
    hourly = (
        grid.join(hourly, on=["api", "ts"], how="left")
        .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNT_COLUMNS)
        .sort("api", "ts")
    )
    out: dict[str, dict[str, Any]] = {}
    for api in apis:
        rows = hourly.filter(pl.col("api") == api)
        out[api] = {c: int(rows[c].sum()) for c in COUNT_COLUMNS}
        out[api]["hourly"] = {
            "ts": rows["ts"].dt.strftime(ISO_UTC).to_list(),
            **{c: rows[c].to_list() for c in COUNT_COLUMNS},
        }
    return out


def episode_counts(
    events: pl.DataFrame, api: str, start: datetime, end: datetime, consumer: str | None = None
) -> dict[str, int]:
    """The truth's counts for one API (and optionally one consumer) over ``[start, end)``.

    Args:
        events: the generator's raw events.
        api: the API.
        start: window start, UTC.
        end: window end, UTC (exclusive).
        consumer: only this consumer's requests, when given.

    Returns:
        ``{"requests": n, "status_2xx": ..., "latency_gt_0.3s": ...}``.
    """
    window = (pl.col("api") == api) & (pl.col("ts") >= start) & (pl.col("ts") < end)
    if consumer is not None:
        window &= pl.col("consumer") == consumer
    row = events.filter(window).select(_counts()).row(0, named=True)
    return {c: int(row[c]) for c in COUNT_COLUMNS}
