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
from apislo.text import MISSING_KEY, printable

__all__ = [
    "MAX_CHART_INTERVALS",
    "THEME",
    "budget_burn_down",
    "burn_rates",
    "compliance_history",
    "latency_bands",
    "setup",
    "shown_text",
    "status_mix",
    "top_routes",
]

#: Theme name registered with Altair.
THEME = "apislo"
#: The most time intervals a chart over time shows: finer data is merged into longer intervals
#: (:func:`apislo.aggregate.merge_intervals`), as a chart 640 px wide shows no more points.
MAX_CHART_INTERVALS = 720
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
    # Altair refuses data of over 5,000 rows; the builders bound the points per series
    # (MAX_CHART_INTERVALS), and a faceted chart has a series per panel.
    alt.data_transformers.disable_max_rows()
    chosen = renderer or os.environ.get("APISLO_CHART_RENDERER") or "default"
    alt.renderers.enable(chosen)
    return chosen


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{what} needs columns {missing}; the frame has {list(frame.columns)}")


def shown_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the text of its text columns fit to show (:func:`apislo.text.printable`,
    and :data:`_NONCHARACTER_ESCAPES`), for charts and report tables alike: vl-convert aborts
    the whole process on a control character in an SVG label, and a ``\\u202E`` reorders a
    table cell. A missing text (a group without a consumer or version) is shown as
    :data:`~apislo.text.MISSING_KEY`, not as Vega-Lite's "null" or a blank cell."""
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype)]
    if not text:
        return frame
    return frame.assign(**{c: frame[c].fillna(MISSING_KEY).map(_shown) for c in text})


#: The noncharacters U+FFFE and U+FFFF, written as escapes as :func:`apislo.text.printable`
#: writes control characters: vl-convert (1.9) panics on either in a chart's text, aborting
#: the kernel, and one request puts one in a route: its path's raw bytes ``EF BF BF`` (NGINX
#: logs them as ``\\xEF\\xBF\\xBF``, which ingest decodes; a JSON log writes ``\\uffff``).
#: Until 2026-11-30 one such request failed every report showing its route or API with
#: ``DeadKernel``.
_NONCHARACTER_ESCAPES = str.maketrans({"\ufffe": "\\uFFFE", "\uffff": "\\uFFFF"})


def _shown(value: Any) -> Any:
    """A table or chart value: text as :func:`shown_text` shows it, anything else as it is."""
    if not isinstance(value, str):
        return value
    return printable(value).translate(_NONCHARACTER_ESCAPES)


def _rows(by: str) -> Any:
    """The rows of a faceted chart, one per ``by`` value, its name cut at 300 px as labels are
    elsewhere: a row header is drawn upright, and a 3,000-character API name from the logs
    made a chart 15,000 px tall."""
    import altair as alt

    return alt.Row(f"{by}:N", title=None, header=alt.Header(labelLimit=300))


def _interval(ts: pd.Series) -> str:
    """The interval between the times ``ts`` (``5m``, ``1h``...; "interval" for one time)."""
    from apislo.slo.policy import duration_text

    step = ts.drop_duplicates().sort_values().diff().min()
    return "interval" if pd.isna(step) else duration_text(step)


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
        alt.Chart(shown_text(latency))
        .mark_line()
        .encode(
            x=_time_x(),
            y=alt.Y("latency_s:Q", title="latency (s)"),
            color=alt.Color("quantile:N", sort=order, title=None),
        )
        .properties(height=140)
        .facet(row=_rows(by), title="Latency percentiles")
        .resolve_scale(y="independent")
    )


def status_mix(traffic: pd.DataFrame) -> Any:
    """Requests per interval stacked by status class (2xx, 3xx, 4xx, 5xx), summed over groups,
    the intervals merged so that at most :data:`MAX_CHART_INTERVALS` remain."""
    import altair as alt

    from apislo.aggregate import merge_intervals

    classes = [c for c in STATUS_COLUMNS if c != "status_429"]
    _require(traffic, ["ts", *classes], "status_mix")
    per_ts = traffic.groupby("ts", as_index=False)[classes].sum()
    per_ts = merge_intervals(per_ts, MAX_CHART_INTERVALS)
    long = per_ts.melt("ts", var_name="status", value_name="requests")
    long["status"] = long["status"].str.removeprefix("status_")
    colours = [_STATUS_COLOURS[c] for c in classes]
    return (
        alt.Chart(shown_text(long), title="Status mix")
        .mark_area()
        .encode(
            x=_time_x(),
            y=alt.Y("requests:Q", stack=True, title=f"requests per {_interval(per_ts['ts'])}"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=[c.removeprefix("status_") for c in classes], range=colours),
                title=None,
            ),
        )
    )


def top_routes(table: pd.DataFrame, label: str = "route", value: str = "requests") -> Any:
    """Horizontal bars of ``value`` per ``label``, largest first (labels are shown as text).

    A table with an ``api`` column (as :func:`apislo.report.views.top_slices` gives) has one bar
    per row, labelled ``label (api)``: the same consumer or route of two APIs is two bars, each
    of its own length, never one bar stacking both.
    """
    import altair as alt

    _require(table, [label, value], "top_routes")
    bar = label
    if "api" in table.columns and label != "api":
        bar = f"{label} (api)"
        names = [f"{x} ({api})" for x, api in zip(table[label], table["api"], strict=True)]
        table = table.assign(**{bar: pd.Series(names, index=table.index, dtype="string")})
    return (
        alt.Chart(shown_text(table), title=f"Top {label}s by {value}")
        .mark_bar()
        .encode(
            y=alt.Y(f"{bar}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X(f"{value}:Q", title=value),
        )
    )


def budget_burn_down(
    remaining: pd.DataFrame, ts: str = "ts", value: str = "remaining", by: str = "slo_objective"
) -> Any:
    """Remaining error budget (fraction, 1 = untouched) against the ideal line, one panel per
    ``by`` value.

    The ideal line is the budget spent at exactly the affordable rate. With an ``ideal`` column
    (from :func:`apislo.report.slo_views.burn_down`: a calendar period's share still ahead) it
    is drawn where that column holds a number, and not for the other rows (a rolling window,
    whose budget at the first point shown is not a full one, has none). Without the column, it
    falls from 1 at a panel's first timestamp to 0 at its last (the series is one SLO period).

    Args:
        remaining: ``ts``, ``by`` and ``value`` columns (and optionally ``ideal``), as from
            :func:`apislo.report.slo_views.burn_down`.
    """
    import altair as alt

    _require(remaining, [ts, value, by], "budget_burn_down")
    frame = remaining[[ts, by, value]].copy()
    if "ideal" in remaining:
        frame["ideal"] = remaining["ideal"].astype("float64")
    else:
        groups = frame.groupby(by, observed=True)[ts]
        start, end = groups.transform("min"), groups.transform("max")
        span = (end - start) / pd.Timedelta(seconds=1)
        elapsed = (frame[ts] - start) / pd.Timedelta(seconds=1)
        frame["ideal"] = 1.0 - (elapsed / span.where(span > 0)).fillna(0.0)
    long = frame.rename(columns={value: "remaining"}).melt(
        [ts, by], var_name="series", value_name="budget"
    )
    long = long[(long["series"] != "ideal") | long["budget"].notna()]
    return (
        alt.Chart(shown_text(long))
        .mark_line()
        .encode(
            x=_time_x(ts),
            y=alt.Y("budget:Q", title="budget remaining", axis=alt.Axis(format="%")),
            color=alt.Color("series:N", title=None),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=["ideal", "remaining"], range=[[4, 4], [1, 0]]),
                legend=None,
            ),
        )
        .properties(height=140)
        .facet(row=_rows(by), title="Error budget remaining vs ideal")
        .resolve_scale(y="independent")
    )


def burn_rates(
    rates: pd.DataFrame,
    thresholds: dict[str, dict[str, float]] | None = None,
    by: str = "slo_objective",
) -> Any:
    """Burn rate over time (x the sustainable rate), one line per window, one panel per ``by``
    value, alert thresholds as dashed rules.

    Args:
        rates: ``ts``, ``by``, ``window``, ``burn_rate`` as from
            :func:`apislo.report.slo_views.burn_rate_series`.
        thresholds: ``by`` value -> {window label -> threshold}, e.g.
            ``{"checkout / 99.9%": {"1h": 14.4, "6h": 6}}``.
    """
    import altair as alt

    _require(rates, ["ts", by, "window", "burn_rate"], "burn_rates")
    lines = rates[["ts", by, "window", "burn_rate"]].assign(kind="burn")
    rules = pd.DataFrame(
        [
            {by: label, "window": w, "burn_rate": v, "kind": "threshold"}
            for label, per_window in (thresholds or {}).items()
            for w, v in per_window.items()
            if label in set(rates[by])
        ],
        columns=[by, "window", "burn_rate", "kind"],
    )
    data = pd.concat([lines, rules], ignore_index=True) if len(rules) else lines
    color = alt.Color("window:N", title="window")
    line = (
        alt.Chart()
        .mark_line()
        .encode(x=_time_x(), y=alt.Y("burn_rate:Q", title="burn rate (x)"), color=color)
        .transform_filter(alt.datum.kind == "burn")
    )
    rule = (
        alt.Chart()
        .mark_rule(strokeDash=[4, 4])
        .encode(y="burn_rate:Q", color=color)
        .transform_filter(alt.datum.kind == "threshold")
    )
    return (
        alt.layer(line, rule, data=shown_text(data))
        .properties(height=140)
        .facet(row=_rows(by), title="Burn rate per window")
        .resolve_scale(y="independent")
    )


#: What a compliance dot says, from ``met``, and its colour.
_RESULTS: dict[Any, str] = {True: "met", False: "missed"}
_RESULT_COLOURS: dict[str, str] = {"met": "#27ae60", "missed": "#e67e22"}


def compliance_history(history: pd.DataFrame, by: str = "slo_objective") -> Any:
    """Attainment per period (dots, green where the target was met, orange where it was missed)
    with the target as a red tick, one panel per ``by`` value; a period without traffic keeps
    its place and target, marked "no data".

    The y axis spans the attainments and the target only, not 0-100 %: on a 0-100 % axis (or
    under bars, which start at the axis floor) a 98.9 % month is indistinguishable from a 99.5 %
    target, so a missed SLO would look met. Even so a 99.896 % month under a 99.9 % target is
    a fraction of a pixel below it beside a 95 % month; its colour, from ``met``, says it missed.

    Args:
        history: ``period``, ``by``, ``attainment``, ``target``, ``met`` as from
            :func:`apislo.report.slo_views.compliance`.
    """
    import altair as alt

    columns = ["period", by, "attainment", "target", "met"]
    _require(history, columns, "compliance_history")
    data = (
        history[columns]
        .assign(result=[_RESULTS.get(met, "no data") for met in history["met"]])
        .drop(columns="met")
    )
    scale = alt.Scale(zero=False, padding=8)  # dots at the extremes stay inside the panel
    x = alt.X("period:O", title=None)
    dots = (
        alt.Chart()
        .transform_filter("isValid(datum.attainment)")
        .mark_circle(size=80, opacity=1)
        .encode(
            x=x,
            y=alt.Y("attainment:Q", title="attainment", scale=scale, axis=alt.Axis(format=".2%")),
            color=alt.Color(
                "result:N",
                scale=alt.Scale(domain=list(_RESULT_COLOURS), range=list(_RESULT_COLOURS.values())),
                title=None,
            ),
        )
    )
    target = (
        alt.Chart()
        .mark_tick(color="#c0392b", thickness=2)
        .encode(x=x, y=alt.Y("target:Q", scale=scale))
    )
    no_data = (
        alt.Chart()
        .transform_filter("!isValid(datum.attainment)")
        .mark_text(dy=-10, color="#7f8c8d")
        .encode(x=x, y=alt.Y("target:Q", scale=scale), text=alt.value("no data"))
    )
    return (
        alt.layer(dots, target, no_data, data=shown_text(data))
        .properties(height=140, width=_WIDTH)
        .facet(row=_rows(by), title="Compliance history (target in red)")
        .resolve_scale(y="independent")
    )
