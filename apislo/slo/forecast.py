"""Error-budget exhaustion forecasts: when does the budget run out, and how likely is it to?

The budget left at ``at`` is the one :func:`apislo.slo.evaluation.evaluate` and ``apislo slo
compute`` report: ``remaining = 1 - bad / ((1 - objective) x budget weight)`` over the SLO
window so far (the window's events for Occurrences, its slices for Timeslices; it may be
negative). The forecast says when that figure reaches 0. The budget is counted in **budget
days**, the days of traffic whose ``1 - objective`` makes it up: for Occurrences and
RatioTimeslices the days the window has held traffic so far (its budget is a share of the
events seen), for Timeslices the window's whole length (a share of all its slices). A burn rate
``b`` spends ``b`` budget days a day; while the window still fills (a calendar period until it
ends; a rolling window with less history than its length, until it is full) each day of traffic
also adds one budget day to an events-based budget. The budget runs out after ``T`` days when
``integral_0^T (b(t) - filling(t)) dt = remaining x budget days``. For a full rolling window
that is ``remaining x period / b``; a calendar month 20 days in with ``remaining`` 0.2 lasts
``0.2 x 20 / (b - 1)`` days at ``b > 1``, and for ever at ``b <= 1``. From it:

* **at the current burn** (over ``current_window``, default 1 h);
* **at the recent trend**: a straight line fitted to the last ``trend_days`` daily burn rates,
  extrapolated (never below zero); the days are the whole days that end at ``at`` (an older
  part-day is left out), and before one whole day has elapsed (the first hours of a calendar
  period, or a rolling window under a day) the burn rate of the time elapsed stands for one day;
* **interval and probability**: a seeded bootstrap that draws future days' burn rates from the
  past days of the window; the interval is the 5th-95th percentile of the exhaustion time, the
  probability the share of draws that run out before the period ends.

The horizon is the end of the current calendar period, or ``at + period`` for a rolling window.
For rolling windows the forecast ignores errors ageing out of the window, so it errs early.
Until 2026-11-29 the budget was taken as fixed for the period, ``remaining = 1 - burn so far x
elapsed / period``: a calendar month 20 days in at a burn of 1.2 read 7/31 left where
``evaluate`` reported -0.2, two remaining budgets for one SLO at one instant.

>>> f = forecast_exhaustion(remaining=0.5, daily_burns=[2.0] * 10, current_burn=2.0,
...                         at="2026-01-01", budget_days=30, horizon_days=30)
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


def days_to_spend(
    remaining: float, burn: float, slope: float, budget_days: float, filling_days: float = 0.0
) -> float | None:
    """Days until a burn rate ``burn + slope x t`` (floored at 0) spends ``remaining`` of a
    budget of ``budget_days`` budget days, the window adding one budget day a day for its first
    ``filling_days`` (see the module docstring).

    Solves ``integral_0^T (max(burn + slope t, 0) - [t < filling_days]) dt = remaining x
    budget_days`` for the first ``T``, piece by piece between the instants where the burn
    reaches 0 and where the window is full (a quadratic on each piece).

    >>> days_to_spend(0.5, 1.0, 0.0, 30.0)       # half a budget at burn 1: half the period
    15.0
    >>> days_to_spend(0.5, 0.0, 1.0, 30.0)       # t^2 / 2 = 15
    5.477225575051661
    >>> days_to_spend(0.5, 1.0, -1.0, 30.0) is None   # burn stops after 1 day
    True
    >>> days_to_spend(0.2, 1.5, 0.0, 20.0, math.inf)  # a month 20 days in: (1.5 - 1) T = 4
    8.0
    """
    need = remaining * budget_days
    if need <= 0:
        return 0.0
    zero = -burn / slope if slope else math.inf
    cuts = sorted({0.0, *(t for t in (zero, filling_days) if 0 < t < math.inf)})
    spent = 0.0
    for begin, end in zip(cuts, [*cuts[1:], math.inf], strict=True):
        inside = begin + 1.0 if end == math.inf else (begin + end) / 2
        burning = burn + slope * inside > 0
        rate = (burn + slope * begin if burning else 0.0) - (begin < filling_days)
        accel = slope if burning else 0.0
        left = need - spent
        # spent over u days of the piece: rate u + accel u^2 / 2; the first u reaching ``left``
        # (2 left / (rate + sqrt(disc)) is the smaller root, without cancellation)
        disc = rate * rate + 2 * accel * left
        if disc >= 0 and rate + math.sqrt(disc) > 0:
            u = 2 * left / (rate + math.sqrt(disc))
            if begin + u <= end:
                return begin + u
        spent += rate * (end - begin) + accel * (end - begin) ** 2 / 2
    return None


def forecast_exhaustion(
    remaining: float,
    daily_burns: Sequence[float],
    current_burn: float,
    at: Any,
    budget_days: float,
    horizon_days: float,
    trend_days: int = 7,
    n_boot: int = 2000,
    seed: int = 0,
    filling_days: float = 0.0,
) -> Forecast:
    """Forecast from numbers: the remaining budget and the past days' burn rates.

    Args:
        remaining: fraction of the budget left now.
        daily_burns: burn rate of each past day of the window, oldest first (NaN days dropped).
        current_burn: burn rate over the current window.
        at: the forecast instant.
        budget_days: the budget in budget days (the module docstring): the SLO period for a
            full rolling window or a Timeslices SLO, the days of traffic so far otherwise.
        horizon_days: days until the period ends.
        trend_days: days the trend is fitted on.
        n_boot: bootstrap runs.
        seed: seed of the bootstrap (numpy ``default_rng``).
        filling_days: days the window keeps adding a budget day a day (``math.inf`` for a
            calendar period's events; the days until a rolling window is full; 0 otherwise).

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
    t = _bootstrap_days(remaining, burns, budget_days, horizon_days, filling_days, n_boot, seed)
    low, high = np.quantile(t, [0.05, 0.95], method="inverted_cdf")
    return Forecast(
        at=as_utc(at),
        remaining=float(remaining),
        current_burn=float(current_burn),
        trend_slope=float(slope),
        at_current_days=days_to_spend(remaining, current_burn, 0.0, budget_days, filling_days),
        at_trend_days=days_to_spend(
            remaining, float(intercept), float(slope), budget_days, filling_days
        ),
        interval_days=(_finite(low), _finite(high)),
        probability=float(np.mean(t <= horizon_days)),
        horizon_days=float(horizon_days),
    )


def _bootstrap_days(
    remaining: float,
    burns: np.ndarray,
    budget_days: float,
    horizon_days: float,
    filling_days: float,
    n_boot: int,
    seed: int,
) -> np.ndarray:
    """Days until exhaustion in ``n_boot`` runs whose days draw their burn rate from ``burns``
    (``inf``: not within the horizon); within the day it runs out, spending is taken as even."""
    if remaining <= 0:
        return np.zeros(n_boot)
    rng = np.random.default_rng(seed)
    n_days = max(1, math.ceil(horizon_days))
    filling = np.clip(filling_days - np.arange(n_days), 0.0, 1.0)  # share of each day
    spend = (rng.choice(burns, size=(n_boot, n_days)) - filling) / budget_days
    spent = np.cumsum(spend, axis=1)
    reached = spent >= remaining
    day = np.where(reached.any(axis=1), reached.argmax(axis=1), n_days)
    runs = np.arange(n_boot)
    before = np.where(day > 0, spent[runs, np.maximum(day - 1, 0)], 0.0)
    rate = spend[runs, np.minimum(day, n_days - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(day < n_days, day + (remaining - before) / rate, np.inf)


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


def _budget_days(
    units: Any, sums: Any, window: Any, start: pd.Timestamp, at: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Per group, the budget in budget days and the days the window keeps filling (the module
    docstring); ``units`` start at the window's ``start``, ``sums`` are their window sums at
    ``at``."""
    day = pd.Timedelta(days=1)
    if units.method == "Timeslices":  # a share of every slice of the window: a fixed budget
        days = sums.budget_weight[0] * (units.step / day)
        return days, np.zeros_like(days)
    traffic = units.weight > 0
    first = np.where(traffic.any(axis=0), traffic.argmax(axis=0), len(traffic))
    begins = units.counts.start.value + first * units.step.value  # (ns) first unit with traffic
    days = np.minimum((at.value - begins) / day.value, (at - start) / day)
    if not window.is_rolling:
        return days, np.full_like(days, np.inf)
    return days, np.maximum(window.period / day - days, 0.0)


def forecast(
    slo: Any,
    traffic: pd.DataFrame,
    at: Any,
    current_window: timedelta = timedelta(hours=1),
    trend_days: int = 7,
    n_boot: int = 2000,
    seed: int = 0,
    step: Any = None,
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
        step: interval of the frame's counts (``"1min"``); default the smallest gap between
            its timestamps (give it for a frame holding only the intervals with traffic).

    Returns:
        One row per objective and group: ``objective``, ``group``, ``remaining`` (as
        :func:`apislo.slo.evaluation.evaluate` reports it at ``at``), ``current_burn``,
        ``exhausted_at_current``, ``exhausted_at_trend``, ``interval_low``,
        ``interval_high`` (timestamps or NaT), ``probability``, ``period_end``.

    Raises:
        ConfigError: a group has no traffic in the window so far (nothing to forecast from), or
            no interval (slice) of the window has ended by ``at``.
    """
    from apislo.slo import maths
    from apislo.slo.evaluation import objective_units, window_sums_at
    from apislo.slo.windows import period_bounds

    at_ts = as_utc(at)
    if slo.window.is_rolling:
        period = pd.Timedelta(slo.window.period)
        start, end = at_ts - period, at_ts + period
    else:
        start, end = period_bounds(slo.window, at_ts - pd.Timedelta(1, "ns"))
    day = pd.Timedelta(days=1)
    rows = []
    for objective in slo.objectives:
        ou = objective_units(slo, objective, traffic, start, at_ts, step)
        units = ou.units
        sums = window_sums_at(units, slo.window, at_ts)
        remaining = sums.remaining(objective.target)[0]
        budget_days, filling_days = _budget_days(units, sums, slo.window, start, at_ts)
        current = maths.burn_rate(units, current_window, objective.target)[-1]
        bad, weight = _days(units.bad, units.step), _days(units.weight, units.step)
        with np.errstate(divide="ignore", invalid="ignore"):
            daily = bad / weight / maths.error_allowance(objective.target)
        for col, label in enumerate(ou.labels):
            f = forecast_exhaustion(
                float(remaining[col]),
                daily[:, col],
                float(current[col]),
                at_ts,
                float(budget_days[col]),
                (end - at_ts) / day,
                trend_days,
                n_boot,
                seed,
                float(filling_days[col]),
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
