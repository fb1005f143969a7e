"""Error-budget exhaustion forecasts: when does the budget run out, and how likely is it to?

A burn rate ``b`` held for a time ``d`` spends ``b x d / period`` of the budget (burn rate 1
spends exactly the budget over the period), so the budget is taken as fixed for the whole period
(``1 - objective`` of the events a period at the current traffic brings) and the part left at
``at`` is ``remaining = 1 - burn so far x elapsed / period``. From it:

* **at the current burn** (over ``current_window``, default 1 h): exhaustion after
  ``remaining x period / b``;
* **at the recent trend**: a straight line fitted to the last ``trend_days`` daily burn rates,
  extrapolated (never below zero) and integrated until it has spent ``remaining``; the days are
  the whole days that end at ``at`` (an older part-day is left out), and before one whole day has
  elapsed (the first hours of a calendar period, or a rolling window under a day) the burn rate
  of the time elapsed stands for one day;
* **interval and probability**: a seeded bootstrap that draws future days' burn rates from the
  past days of the window; the interval is the 5th-95th percentile of the exhaustion time, the
  probability the share of draws that run out before the period ends.

The horizon is the end of the current calendar period, or ``at + period`` for a rolling window.
For rolling windows the forecast ignores errors ageing out of the window, so it errs early.

>>> f = forecast_exhaustion(remaining=0.5, daily_burns=[2.0] * 10, current_burn=2.0,
...                         at="2026-01-01", period_days=30, horizon_days=30)
>>> f.at_current_days, round(f.at_trend_days, 9), f.probability
(7.5, 7.5, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError
from apislo.model import as_utc

__all__ = ["Forecast", "days_to_spend", "forecast", "forecast_exhaustion"]


@dataclass(frozen=True)
class Forecast:
    """A budget-exhaustion forecast (times in days after ``at``; ``None``: not within reach).

    Attributes:
        at: the forecast instant (UTC).
        remaining: fraction of the budget left at ``at`` (may be negative).
        current_burn: burn rate over the current window.
        trend_slope: change of the daily burn rate per day (least squares).
        at_current_days: days until exhaustion at the current burn.
        at_trend_days: days until exhaustion along the trend.
        interval_days: bootstrap 5th and 95th percentiles of the days until exhaustion.
        probability: share of bootstrap runs exhausting within ``horizon_days``.
        horizon_days: days from ``at`` to the end of the period.
    """

    at: pd.Timestamp
    remaining: float
    current_burn: float
    trend_slope: float
    at_current_days: float | None
    at_trend_days: float | None
    interval_days: tuple[float | None, float | None]
    probability: float
    horizon_days: float

    def when(self, days: float | None) -> pd.Timestamp | None:
        """The instant ``days`` after ``at`` (``None`` stays ``None``)."""
        return None if days is None else self.at + pd.Timedelta(days=days)


def days_to_spend(remaining: float, burn: float, slope: float, period_days: float) -> float | None:
    """Days until a burn rate ``burn + slope x t`` (floored at 0) spends ``remaining``.

    Solves ``integral_0^T max(burn + slope t, 0) dt = remaining x period_days``.

    >>> days_to_spend(0.5, 1.0, 0.0, 30.0)       # half a budget at burn 1: half the period
    15.0
    >>> days_to_spend(0.5, 0.0, 1.0, 30.0)       # t^2 / 2 = 15
    5.477225575051661
    >>> days_to_spend(0.5, 1.0, -1.0, 30.0) is None   # burn stops after 1 day
    True
    """
    need = remaining * period_days
    if need <= 0:
        return 0.0
    if slope == 0:
        return need / burn if burn > 0 else None
    if burn <= 0:
        if slope < 0:
            return None
        return -burn / slope + math.sqrt(2 * need / slope)
    if slope < 0 and burn * (-burn / slope) / 2 < need:
        return None
    return (-burn + math.sqrt(burn * burn + 2 * slope * need)) / slope


def forecast_exhaustion(
    remaining: float,
    daily_burns: Sequence[float],
    current_burn: float,
    at: Any,
    period_days: float,
    horizon_days: float,
    trend_days: int = 7,
    n_boot: int = 2000,
    seed: int = 0,
) -> Forecast:
    """Forecast from numbers: the remaining budget and the past days' burn rates.

    Args:
        remaining: fraction of the budget left now.
        daily_burns: burn rate of each past day of the window, oldest first (NaN days dropped).
        current_burn: burn rate over the current window.
        at: the forecast instant.
        period_days: the SLO period in days.
        horizon_days: days until the period ends.
        trend_days: days the trend is fitted on.
        n_boot: bootstrap runs.
        seed: seed of the bootstrap (numpy ``default_rng``).

    Raises:
        ConfigError: no past day has a burn rate.
    """
    burns = np.asarray(daily_burns, dtype=np.float64)
    burns = burns[np.isfinite(burns)]
    if len(burns) == 0:
        raise ConfigError("no day of the window has traffic: nothing to forecast from")
    recent = burns[-trend_days:]
    x = np.arange(len(recent)) - (len(recent) - 0.5)  # day midpoints, days before ``at``
    slope, intercept = np.polyfit(x, recent, 1) if len(recent) > 1 else (0.0, recent[0])
    if abs(slope) < 1e-12 * max(1.0, abs(intercept)):
        slope = 0.0  # a flat line, up to rounding
    rng = np.random.default_rng(seed)
    n_days = max(1, math.ceil(horizon_days))
    draws = rng.choice(burns, size=(n_boot, n_days)) / period_days
    spent = np.cumsum(draws, axis=1)
    reached = spent >= remaining
    day = np.where(reached.any(axis=1), reached.argmax(axis=1), n_days)
    before = np.where(day > 0, spent[np.arange(n_boot), np.maximum(day - 1, 0)], 0.0)
    before[day == 0] = 0.0
    rate = draws[np.arange(n_boot), np.minimum(day, n_days - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(day < n_days, day + (max(remaining, 0) - before) / rate, np.inf)
    if remaining <= 0:
        t = np.zeros(n_boot)
    low, high = np.quantile(t, [0.05, 0.95], method="inverted_cdf")
    return Forecast(
        at=as_utc(at),
        remaining=float(remaining),
        current_burn=float(current_burn),
        trend_slope=float(slope),
        at_current_days=days_to_spend(remaining, current_burn, 0.0, period_days),
        at_trend_days=days_to_spend(remaining, float(intercept), float(slope), period_days),
        interval_days=(_finite(low), _finite(high)),
        probability=float(np.mean(t <= horizon_days)),
        horizon_days=float(horizon_days),
    )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _days(matrix: np.ndarray, step: pd.Timedelta) -> np.ndarray:
    """Sums of ``matrix`` ``(intervals, groups)`` per whole day ending at its last row, oldest
    first; with less than a day of rows, their sum as the one "day"."""
    per_day = int(pd.Timedelta(days=1) / step)
    n_days = len(matrix) // per_day
    if n_days == 0:
        return matrix.sum(axis=0, keepdims=True)
    tail = matrix[len(matrix) - n_days * per_day :]
    return tail.reshape(n_days, per_day, -1).sum(axis=1)


def forecast(
    slo: Any,
    traffic: pd.DataFrame,
    at: Any,
    current_window: timedelta = timedelta(hours=1),
    trend_days: int = 7,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Budget-exhaustion forecasts for every objective and group of ``slo`` at ``at``.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: a traffic frame covering the SLO window before ``at``.
        at: the forecast instant (on an interval boundary).
        current_window: window of the current burn rate.
        trend_days: days the trend is fitted on.
        n_boot: bootstrap runs.
        seed: bootstrap seed.

    Returns:
        One row per objective and group: ``objective``, ``group``, ``remaining``,
        ``current_burn``, ``exhausted_at_current``, ``exhausted_at_trend``, ``interval_low``,
        ``interval_high`` (timestamps or NaT), ``probability``, ``period_end``.

    Raises:
        ConfigError: a group has no traffic in the window so far (nothing to forecast from).
    """
    from apislo.slo import maths
    from apislo.slo.evaluation import objective_units
    from apislo.slo.windows import period_bounds

    at_ts = as_utc(at)
    if slo.window.is_rolling:
        start, end = (
            at_ts - pd.Timedelta(slo.window.period),
            at_ts + pd.Timedelta(slo.window.period),
        )
        period = end - at_ts
    else:
        start, end = period_bounds(slo.window, at_ts - pd.Timedelta(1, "ns"))
        period = end - start
    rows = []
    for objective in slo.objectives:
        ou = objective_units(slo, objective, traffic, start, at_ts, None)
        units = ou.units
        allowance = maths.error_allowance(objective.target)
        elapsed = len(units.bad) * units.step
        with np.errstate(divide="ignore", invalid="ignore"):
            burn_so_far = units.bad.sum(axis=0) / units.weight.sum(axis=0) / allowance
        remaining = 1 - np.nan_to_num(burn_so_far) * (elapsed / period)
        current = maths.burn_rate(units, current_window, objective.target)[-1]
        bad, weight = _days(units.bad, units.step), _days(units.weight, units.step)
        with np.errstate(divide="ignore", invalid="ignore"):
            daily = bad / weight / allowance
        for col, label in enumerate(ou.labels):
            f = forecast_exhaustion(
                float(remaining[col]),
                daily[:, col],
                float(current[col]),
                at_ts,
                period / pd.Timedelta(days=1),
                (end - at_ts) / pd.Timedelta(days=1),
                trend_days,
                n_boot,
                seed,
            )
            rows.append(
                {
                    "objective": objective.label,
                    "group": label,
                    "remaining": f.remaining,
                    "current_burn": f.current_burn,
                    "exhausted_at_current": f.when(f.at_current_days),
                    "exhausted_at_trend": f.when(f.at_trend_days),
                    "interval_low": f.when(f.interval_days[0]),
                    "interval_high": f.when(f.interval_days[1]),
                    "probability": f.probability,
                    "period_end": end,
                }
            )
    return pd.DataFrame(rows)
