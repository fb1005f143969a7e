"""Frames the SLO report shows, from :func:`apislo.slo.evaluate` and the alert replay.

>>> from apislo.report import slo_views
>>> result = apislo.slo.evaluate(slos, source, at=at)        # doctest: +SKIP
>>> slo_views.slo_summary(result, slos)                        # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from apislo.model import as_utc, number_label

__all__ = [
    "HEADLINE_GROUPS",
    "NOT_EVALUATED",
    "alert_summary",
    "attainment_table",
    "budget_spent",
    "burn_down",
    "burn_rate_series",
    "burn_thresholds",
    "compliance",
    "exhaustion_forecast",
    "fired_alerts",
    "owners",
    "report_window",
    "slo_summary",
]

#: Group labels of an SLO's overall result: ``""`` without grouping, ``"all"`` for the sum.
HEADLINE_GROUPS: tuple[str, ...] = ("", "all")
#: What :func:`slo_summary` shows for alerts that could not be evaluated (not "none firing").
NOT_EVALUATED = "not evaluated"


def _label(frame: pd.DataFrame) -> pd.Series:
    return frame["slo"].astype(str) + " / " + frame["objective"].astype(str)


def _headline(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["group"].astype(str).isin(HEADLINE_GROUPS)].copy()


def slo_summary(result: Any, slos: Sequence[Any]) -> pd.DataFrame:
    """One row per SLO x objective x group: target, SLI, met or missed, remaining budget, burn
    rates, alerts firing at the evaluation instant, owners. Show it with
    :func:`attainment_table`.

    Columns: ``slo``, ``objective``, ``group``, ``target``, ``sli``, ``met`` (the SLI at or
    above the target; ``None`` without any event: no data), ``budget_remaining_pct``
    (may be negative: overspent), ``burn_<window>`` (x the sustainable rate), ``low_traffic``,
    ``alerts_firing`` (those of the row's objective and group; ``not evaluated`` where they
    could not be, as when an alert window is not a whole number of the SLO's slices:
    ``result.alerts_not_evaluated`` says why), ``owners``.
    """
    owners = {s.name: ", ".join(s.owners) for s in slos}
    s = result.summary
    out = s[["slo", "objective", "group", "target", "sli", "met"]].copy()
    out["budget_remaining_pct"] = 100 * s["remaining"].astype("float64")
    for column in [c for c in s.columns if c.startswith("burn_")]:
        out[column] = s[column]
    out["low_traffic"] = s["low_traffic"]
    out["alerts_firing"] = [
        NOT_EVALUATED if names is None else ", ".join(names) for names in s["alerts_firing"]
    ]
    out["owners"] = [owners.get(n, "") for n in s["slo"]]
    return out.reset_index(drop=True)


def attainment_table(frame: pd.DataFrame, precision: int = 4) -> Any:
    """A report table (:func:`apislo.report.views.table`) of :func:`slo_summary` or
    :func:`compliance`, on which an attainment below its target never reads as equal to it:
    the SLI (``sli``, ``attainment``) is rounded down, not to the nearest, with at least the
    decimals the targets are written with (a 0.99995 target needs 5, which 4 showed as
    ``1.0000``), and the ``met`` column says it. Rounded to 4 decimals, 0.99896 read
    ``0.9990`` beside a 0.999 target until 2026-11-29; it reads ``0.9989``.

    Args:
        frame: a frame with a ``target`` column and an ``sli`` or ``attainment`` column.
        precision: the fewest decimals shown.
    """
    from apislo.report.views import table

    targets = frame["target"].dropna().astype("float64")
    decimals = max([precision, *(_decimals(t) for t in targets.unique())])
    shown = [c for c in ("sli", "attainment") if c in frame.columns]
    return table(frame, precision=decimals, floor=shown)


def _decimals(value: float) -> int:
    """Decimals ``value`` is written with (:func:`apislo.model.number_label`): 3 for 0.999."""
    return max(0, -int(Decimal(number_label(value)).as_tuple().exponent))


def burn_down(result: Any, slos: Sequence[Any] = ()) -> pd.DataFrame:
    """Remaining-budget series of each SLO objective's overall result: ``ts``, ``slo_objective``,
    ``remaining`` (fraction of the budget), and ``ideal``: for an SLO of ``slos`` with a
    calendar window, the budget left when spent at exactly the affordable rate, the share of
    its period still ahead at ``ts`` (a month evaluated on the 16th is about half way, where a
    line from the series' first point to its last would reach 0); NaN otherwise, and
    :func:`apislo.charts.budget_burn_down` then draws no ideal line. A rolling window has none:
    spending at the affordable rate keeps its remaining budget at 0 once a window has passed,
    and its first point shown is not a full budget."""
    from apislo.slo.windows import period_bounds

    frame = _headline(result.remaining_budget)
    out = pd.DataFrame(
        {"ts": frame["ts"], "slo_objective": _label(frame), "remaining": frame["remaining"]}
    ).reset_index(drop=True)
    out["ideal"] = np.nan
    at = pd.Timestamp(result.at)
    for slo in slos:
        if slo.window.is_rolling:
            continue
        start, end = period_bounds(slo.window, at - pd.Timedelta(1, "ns"))
        rows = (frame["slo"] == slo.name).to_numpy()
        ahead = (end - out.loc[rows, "ts"]) / (end - start)
        out.loc[rows, "ideal"] = ahead.clip(0.0, 1.0).to_numpy(dtype="float64")
    return out


def burn_rate_series(
    result: Any, windows: Sequence[str] | None = None, slos: Sequence[Any] = ()
) -> pd.DataFrame:
    """Burn-rate series of each SLO objective's overall result: ``ts``, ``slo_objective``,
    ``window``, ``burn_rate``.

    Args:
        result: from :func:`apislo.slo.evaluate`.
        windows: the windows shown for every SLO (``("1h", "6h")``); default: for each SLO of
            ``slos`` the long windows of its alert tiers, those :func:`burn_thresholds` draws
            (a ``pyrra`` SLO of 30 days: ``1h4m``, ``6h26m``...), and the Workbook's ``1h``,
            ``6h``, ``1d``, ``3d`` for the others.
    """
    from apislo.slo.policy import policy_for, workbook_policy

    frame = _headline(result.burn_rates)
    if windows is not None:
        shown = frame["window"].isin(list(windows))
    else:
        own = {slo.name: _long_windows(policy_for(slo)) for slo in slos}
        workbook = _long_windows(workbook_policy(timedelta(days=30)))  # (its windows are fixed)
        pairs = zip(frame["slo"], frame["window"], strict=True)
        shown = np.array([w in own.get(n, workbook) for n, w in pairs], dtype=bool)
    frame = frame[shown]
    return pd.DataFrame(
        {
            "ts": frame["ts"],
            "slo_objective": _label(frame),
            "window": frame["window"],
            "burn_rate": frame["burn_rate"],
        }
    ).reset_index(drop=True)


def _long_windows(policy: Any) -> tuple[str, ...]:
    """The long windows of ``policy``'s tiers as Prometheus durations (``1h``)."""
    from apislo.slo.policy import prom_duration

    return tuple(dict.fromkeys(prom_duration(t.long_window) for t in policy.tiers))


def burn_thresholds(slos: Sequence[Any]) -> dict[str, dict[str, float]]:
    """``"slo / objective"`` -> {long-window label -> burn-rate threshold} of each SLO's alert
    tiers (``{"checkout / 99.9%": {"1h": 14.4, "6h": 6.0, ...}}``); none when alerting is off."""
    from apislo.slo.policy import policy_for, prom_duration

    out: dict[str, dict[str, float]] = {}
    for slo in slos:
        if slo.alerting.disabled:
            continue
        tiers = {prom_duration(t.long_window): t.factor for t in policy_for(slo).tiers}
        for objective in slo.objectives:
            out[f"{slo.name} / {objective.label}"] = tiers
    return out


def report_window(result: Any, slos: Sequence[Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end)`` of the data an SLO report covers: the longest SLO period before ``at``;
    for a calendar window at least the period ``at`` is in, from its start (a month's nominal
    30 days before the end of a 31-day month miss its first day)."""
    from apislo.slo.windows import period_bounds

    at = pd.Timestamp(result.at)
    starts = [at - pd.Timedelta(s.window.period) for s in slos]
    calendar = [s.window for s in slos if not s.window.is_rolling]
    starts += [period_bounds(w, at - pd.Timedelta(1, "ns"))[0] for w in calendar]
    return min(starts), at


def owners(slos: Sequence[Any]) -> pd.DataFrame:
    """``slo``, ``service``, ``api``, ``window``, ``owners``, ``description``, ``spec``."""
    return pd.DataFrame(
        [
            {
                "slo": s.name,
                "service": s.service,
                "api": s.api or "all",
                "window": s.window.label,
                "owners": ", ".join(s.owners),
                "description": s.description,
                "spec": str(s.origin),
            }
            for s in slos
        ]
    )


def budget_spent(before: Any, after: Any) -> pd.DataFrame:
    """Budget each SLO objective spent between two evaluations (e.g. an incident's start and end).

    Returns:
        ``slo``, ``objective``, ``remaining_before_pct``, ``remaining_after_pct``, ``spent_pct``
        (percentage points of the budget; for rolling windows errors leaving the window give
        some budget back, so this is the net change). No rows when no SLO was evaluated (an API
        without an SLO in the spec).
    """
    keys = ["slo", "objective"]
    if before.summary.empty or after.summary.empty:  # (no SLO: a summary without columns)
        columns = ["remaining_before_pct", "remaining_after_pct", "spent_pct"]
        return pd.DataFrame(columns=[*keys, *columns])
    b = _headline(before.summary)[[*keys, "remaining"]]
    a = _headline(after.summary)[[*keys, "remaining"]]
    both = b.merge(a, on=keys, suffixes=("_before", "_after"))
    return pd.DataFrame(
        {
            "slo": both["slo"],
            "objective": both["objective"],
            "remaining_before_pct": 100 * both["remaining_before"],
            "remaining_after_pct": 100 * both["remaining_after"],
            "spent_pct": 100 * (both["remaining_before"] - both["remaining_after"]),
        }
    )


def fired_alerts(
    slos: Sequence[Any],
    source: Any,
    start: Any,
    end: Any,
    step: str = "1min",
    warmup: str = "72h",
) -> pd.DataFrame:
    """Every alert episode active during ``[start, end)`` (times; naive: UTC), replaying each
    SLO's alert tiers from ``start - warmup``, or earlier when its longest tier needs more
    (:func:`~apislo.slo.alerts.replay_lookback`: a long window plus its ``alert_after``), so
    the alerts active from ``start`` on are those a replay of all history would find.

    An SLO whose alerts cannot be replayed (an alert window that is not a whole number of its
    slices, which :func:`slo_summary` shows as :data:`NOT_EVALUATED`) has none here, and a
    warning says why.

    Returns:
        ``slo``, ``objective`` (its label: the alerts of an SLO's objectives share their
        names, as in Prometheus, where ``apislo_objective`` tells them apart), ``alert``,
        ``severity``, ``group``, ``fired_at``, ``reset_at`` (``NaT`` while still firing at
        ``end``), ``duration``; sorted by ``fired_at``.
    """
    from apislo.errors import ConfigError
    from apislo.slo.alerts import alert_history, alert_name, replay_lookback
    from apislo.slo.policy import policy_for
    from apislo.slo.source import resolve_source

    src = resolve_source(source)
    start_ts, end_ts, step_td = as_utc(start), as_utc(end), pd.Timedelta(step)
    columns = ["slo", "objective", "alert", "severity", "group", "fired_at", "reset_at", "duration"]
    parts = []
    for slo in slos:
        if slo.alerting.disabled:
            continue
        tiers = {t.name: t for t in policy_for(slo).tiers}
        replay_from = start_ts - max(pd.Timedelta(warmup), replay_lookback(slo, step_td))
        frame = src.frame(slo, replay_from, end_ts, step_td)
        try:
            histories = alert_history(slo, frame, start=replay_from, end=end_ts, step=step_td)
        except ConfigError as exc:  # (an alert window that is not a whole number of slices)
            warnings.warn(f"alerts of {slo.name} not replayed: {exc}", stacklevel=2)
            continue
        for objective, history in zip(slo.objectives, histories, strict=True):
            episodes = history.intervals()
            episodes = episodes[episodes["reset_at"].isna() | (episodes["reset_at"] > start_ts)]
            if episodes.empty:
                continue
            episodes.insert(0, "slo", slo.name)
            episodes.insert(1, "objective", objective.label)
            episodes.insert(2, "alert", [alert_name(slo, tiers[t]) for t in episodes["tier"]])
            parts.append(episodes[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True).sort_values(
        "fired_at", kind="stable", ignore_index=True
    )


def alert_summary(alerts: pd.DataFrame) -> pd.DataFrame:
    """One row per SLO, objective and alert from :func:`fired_alerts`: ``episodes``,
    ``first_fired``, ``last_fired``, ``time_firing`` (total), and ``firing_now`` (an episode
    still open)."""
    keys = ["slo", "objective", "alert", "severity"]
    columns = [*keys, "episodes", "first_fired", "last_fired", "time_firing"]
    if alerts.empty:
        return pd.DataFrame(columns=[*columns, "firing_now"])
    grouped = alerts.groupby(keys, as_index=False, observed=True)
    out = grouped.agg(
        episodes=("fired_at", "size"),
        first_fired=("fired_at", "min"),
        last_fired=("fired_at", "max"),
        time_firing=("duration", "sum"),
        firing_now=("reset_at", lambda r: bool(r.isna().any())),
    )
    return out.sort_values(["first_fired", "alert"], kind="stable", ignore_index=True)


def compliance(
    slos: Sequence[Any],
    source: Any,
    end: Any,
    period: str = "month",
    periods: int = 6,
    timezone: str = "UTC",
) -> pd.DataFrame:
    """Attainment per calendar period of each SLO objective's overall result.

    Returns:
        ``slo_objective``, ``period`` (``2026-11`` for months, else the start date), ``target``,
        ``attainment`` (the SLI; NaN without traffic), ``met``, ``complete``, ``requests``.
    """
    from apislo.slo.evaluation import compliance_history

    hist = compliance_history(
        slos, source, period=period, end=end, periods=periods, timezone=timezone
    )
    if hist.empty:
        return pd.DataFrame(
            columns=[
                "slo_objective", "period", "target", "attainment", "met", "complete", "requests",
            ]
        )  # fmt: skip
    hist = _headline(hist)
    starts = pd.DatetimeIndex(hist["period_start"]).tz_convert(timezone)
    fmt = "%Y-%m" if period == "month" else "%Y-%m-%d"
    return pd.DataFrame(
        {
            "slo_objective": _label(hist).to_numpy(),
            "period": starts.strftime(fmt),
            "target": hist["target"].to_numpy(),
            "attainment": hist["sli"].to_numpy(),
            "met": hist["met"].to_numpy(),
            "complete": hist["complete"].to_numpy(),
            "requests": _whole(hist["events_total"]),
        }
    )


def _whole(counts: pd.Series) -> Any:
    """Event counts as integers when they are whole (always, from logs), so a table shows
    ``46627``, not ``46627.00000``; left as they are otherwise (a Prometheus increase may not
    be whole)."""
    values = counts.to_numpy(dtype="float64")
    if np.isfinite(values).all() and (values == np.round(values)).all():
        return values.astype("int64")
    return values


def exhaustion_forecast(
    slos: Sequence[Any], source: Any, at: Any, step: str = "1min"
) -> pd.DataFrame:
    """When each SLO objective's error budget runs out (:func:`apislo.slo.forecast.forecast`):
    at the current 1-hour burn, along the trend of the last 7 daily burn rates, a bootstrap
    5-95 % interval, and the probability of running out before the period ends.

    Returns:
        ``slo``, ``objective``, ``group``, ``budget_remaining_pct``, ``current_burn``,
        ``exhausted_at_current``, ``exhausted_at_trend``, ``interval_low``, ``interval_high``
        (UTC; empty when not within reach), ``probability_pct``, ``period_end``. SLOs with no
        traffic in their window are left out.
    """
    from apislo.errors import ConfigError
    from apislo.slo.forecast import forecast
    from apislo.slo.source import resolve_source
    from apislo.slo.windows import period_bounds

    src = resolve_source(source)
    at_ts = as_utc(at)
    parts = []
    for slo in slos:
        if slo.window.is_rolling:
            start = at_ts - pd.Timedelta(slo.window.period)
        else:
            start = period_bounds(slo.window, at_ts - pd.Timedelta(1, "ns"))[0]
        frame = src.frame(slo, start, at_ts, pd.Timedelta(step))
        try:
            parts.append(forecast(slo, frame, at_ts, step=step).assign(slo=slo.name))
        except ConfigError:
            continue  # no day of the window has traffic
    columns = [
        "slo",
        "objective",
        "group",
        "budget_remaining_pct",
        "current_burn",
        "exhausted_at_current",
        "exhausted_at_trend",
        "interval_low",
        "interval_high",
        "probability_pct",
        "period_end",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["budget_remaining_pct"] = 100 * table.pop("remaining")
    table["probability_pct"] = 100 * table.pop("probability")
    return table[columns]
