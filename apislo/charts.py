"""Altair chart builders with one theme: interactive in JupyterLab, static SVG in reports.

Call :func:`setup` once at the top of a notebook. Under ``apislo report run`` (which sets
``APISLO_CHART_RENDERER=svg`` for the kernel) charts render to SVG through vl-convert, with no
network; in JupyterLab they stay interactive. Builders take frames and return charts; times are
plotted as UTC (``:T`` with tz-aware timestamps, ``utc`` time units).

>>> from apislo import charts
>>> charts.setup()                                    # doctest: +SKIP
>>> charts.status_mix(frame)                          # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from apislo.errors import ConfigError
from apislo.model import STATUS_COLUMNS

__all__ = [
    "THEME",
    "budget_burn_down",
    "burn_rates",
    "compliance_history",
    "latency_bands",
    "setup",
    "status_mix",
    "top_routes",
]

#: Theme name registered with Altair.
THEME = "apislo"
_WIDTH = 640
_HEIGHT = 220
_PALETTE = ["#1f5f99", "#e07b00", "#2a9d55", "#c0392b", "#7d4ea3", "#7f7f7f"]
_STATUS_COLOURS = {
    "status_2xx": "#2a9d55",
    "status_3xx": "#1f5f99",
    "status_4xx": "#e0a800",
    "status_5xx": "#c0392b",
    "status_429": "#7d4ea3",
}


def _theme() -> dict[str, Any]:
    return {
        "config": {
            "view": {"continuousWidth": _WIDTH, "continuousHeight": _HEIGHT, "stroke": None},
            "range": {"category": _PALETTE},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "grid": True, "gridColor": "#eee"},
            "legend": {"orient": "bottom", "labelLimit": 400},
            "title": {"fontSize": 14, "anchor": "start"},
            "font": "sans-serif",
        }
    }


def setup(renderer: str | None = None) -> str:
    """Enable apislo's theme and pick the renderer; returns the renderer used.

    Args:
        renderer: ``"svg"`` (static, via vl-convert), ``"default"`` (interactive), or ``None`` to
            use ``$APISLO_CHART_RENDERER`` (set by the report runner), else ``"default"``.
    """
    import altair as alt

    alt.theme.register(THEME, enable=True)(_theme)
    chosen = renderer or os.environ.get("APISLO_CHART_RENDERER") or "default"
    alt.renderers.enable(chosen)
    return chosen


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{what} needs columns {missing}; the frame has {list(frame.columns)}")


def _time_x(field: str = "ts", title: str = "time (UTC)") -> Any:
    import altair as alt

    return alt.X(f"{field}:T", title=title, axis=alt.Axis(format="%b %d %H:%M")).scale(type="utc")


def latency_bands(latency: pd.DataFrame, by: str = "api") -> Any:
    """Latency quantiles over time (seconds): one line per quantile, one panel per ``by`` value.

    Args:
        latency: long frame ``ts, <by>, quantile, latency_s`` as from
            :func:`apislo.report.views.latency_over_time`.
        by: the column that splits panels.
    """
    import altair as alt

    _require(latency, ["ts", by, "quantile", "latency_s"], "latency_bands")
    order = sorted(latency["quantile"].unique(), key=lambda q: float(str(q).lstrip("p")))
    return (
        alt.Chart(latency)
        .mark_line(point=True)
        .encode(
            x=_time_x(),
            y=alt.Y("latency_s:Q", title="latency (s)"),
            color=alt.Color("quantile:N", sort=order, title=None),
        )
        .properties(height=140)
        .facet(row=alt.Row(f"{by}:N", title=None), title="Latency percentiles")
    )


def status_mix(traffic: pd.DataFrame) -> Any:
    """Requests per interval stacked by status class (2xx, 3xx, 4xx, 5xx), summed over groups."""
    import altair as alt

    classes = [c for c in STATUS_COLUMNS if c != "status_429"]
    _require(traffic, ["ts", *classes], "status_mix")
    per_ts = traffic.groupby("ts", as_index=False)[classes].sum()
    long = per_ts.melt("ts", var_name="status", value_name="requests")
    long["status"] = long["status"].str.removeprefix("status_")
    colours = [_STATUS_COLOURS[c] for c in classes]
    return (
        alt.Chart(long, title="Status mix")
        .mark_area()
        .encode(
            x=_time_x(),
            y=alt.Y("requests:Q", stack=True, title="requests per interval"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=[c.removeprefix("status_") for c in classes], range=colours),
                title=None,
            ),
        )
    )


def top_routes(table: pd.DataFrame, label: str = "route", value: str = "requests") -> Any:
    """Horizontal bars of ``value`` per ``label``, largest first (labels are shown as text)."""
    import altair as alt

    _require(table, [label, value], "top_routes")
    return (
        alt.Chart(table, title=f"Top {label}s by {value}")
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X(f"{value}:Q", title=value),
        )
    )


def budget_burn_down(
    remaining: pd.DataFrame, ts: str = "ts", value: str = "remaining_budget", by: str | None = None
) -> Any:
    """Remaining error budget (fraction, 1 = untouched) against the ideal straight line to 0.

    The ideal line falls linearly from 1 at the first timestamp to 0 at the last one of each
    group (the SLO period), i.e. the budget spent at a constant, exactly affordable rate.
    """
    import altair as alt

    _require(remaining, [ts, value, *([by] if by else [])], "budget_burn_down")
    frame = remaining[[ts, value, *([by] if by else [])]].copy()
    groups = frame.groupby(by)[ts] if by else frame[ts]
    start = groups.transform("min") if by else groups.min()
    end = groups.transform("max") if by else groups.max()
    span = (end - start) / pd.Timedelta(seconds=1)
    elapsed = (frame[ts] - start) / pd.Timedelta(seconds=1)
    frame["ideal"] = 1.0 - (elapsed / span).where(span > 0, 0.0)
    long = frame.rename(columns={value: "remaining"}).melt(
        [ts, *([by] if by else [])], var_name="series", value_name="budget"
    )
    base = alt.Chart(long, title="Error budget remaining vs ideal burn-down")
    chart = base.mark_line().encode(
        x=_time_x(ts),
        y=alt.Y("budget:Q", title="budget remaining", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None),
        strokeDash=alt.StrokeDash("series:N", legend=None),
    )
    return chart.facet(row=alt.Row(f"{by}:N", title=None)) if by else chart


def burn_rates(
    rates: pd.DataFrame,
    ts: str = "ts",
    value: str = "burn_rate",
    window: str = "window",
    thresholds: dict[str, float] | None = None,
) -> Any:
    """Burn rate over time, one line per window, with alert thresholds as dashed rules.

    Args:
        rates: long frame with ``ts``, ``window`` (label such as ``"1h"``) and ``burn_rate``.
        thresholds: window label -> threshold (e.g. ``{"1h": 14.4, "6h": 6}``) to draw.
    """
    import altair as alt

    _require(rates, [ts, value, window], "burn_rates")
    lines = (
        alt.Chart(rates, title="Burn rate per window")
        .mark_line()
        .encode(
            x=_time_x(ts),
            y=alt.Y(f"{value}:Q", title="burn rate (x budget)"),
            color=alt.Color(f"{window}:N", title="window"),
        )
    )
    if not thresholds:
        return lines
    rules_df = pd.DataFrame({window: list(thresholds), value: list(thresholds.values())})
    rules = (
        alt.Chart(rules_df)
        .mark_rule(strokeDash=[4, 4])
        .encode(y=f"{value}:Q", color=alt.Color(f"{window}:N"))
    )
    return lines + rules


def compliance_history(
    history: pd.DataFrame,
    period: str = "month",
    value: str = "attainment",
    objective: float | None = None,
) -> Any:
    """Attainment per period (bars) with the objective as a rule; labels are shown as text."""
    import altair as alt

    _require(history, [period, value], "compliance_history")
    bars = (
        alt.Chart(history, title="Compliance history")
        .mark_bar()
        .encode(
            x=alt.X(f"{period}:O", title=None),
            y=alt.Y(
                f"{value}:Q",
                title="attainment",
                scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".3%"),
            ),
        )
    )
    if objective is None:
        return bars
    rule = (
        alt.Chart(pd.DataFrame({"objective": [objective]}))
        .mark_rule(color="#c0392b", strokeDash=[4, 4])
        .encode(y="objective:Q")
    )
    return bars + rule
