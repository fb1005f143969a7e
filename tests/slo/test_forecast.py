"""Budget-exhaustion forecasts: closed forms worked by hand, bootstrap limits, a calendar month."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.slo.forecast import days_to_spend, forecast, forecast_exhaustion
from apislo.slo.spec import SLI, SLO, Objective, TimeWindow


@pytest.mark.parametrize(
    ("remaining", "burn", "slope", "expected"),
    [
        (0.5, 1.0, 0.0, 15.0),  # half the budget at burn 1 over 30 d: 15 d
        (1.0, 14.4, 0.0, 30 / 14.4),  # the Workbook: burn 14.4 empties a 30-day budget in 2.08 d
        (0.5, 0.0, 1.0, math.sqrt(30)),  # T^2 / 2 = 15
        (0.5, 2.0, 1.0, -2 + math.sqrt(34)),  # 2T + T^2 / 2 = 15
        (0.5, 1.0, -1.0, None),  # the burn stops after 1 day having spent 0.5/30
        (0.5, 2.0, -0.1, 10.0),  # 2T - 0.05 T^2 = 15 -> T = 10 (the smaller root)
        (-0.2, 1.0, 0.0, 0.0),  # already overspent
        (0.5, 0.0, 0.0, None),
    ],
)
def test_days_to_spend(remaining: float, burn: float, slope: float, expected: float | None) -> None:
    got = days_to_spend(remaining, burn, slope, 30.0)
    assert got == (None if expected is None else pytest.approx(expected))


def test_constant_burn_has_a_point_interval() -> None:
    # Burn 3 every day, half the budget left, 30-day period: 0.5 x 30 / 3 = 5 days whichever day
    # the bootstrap draws.
    f = forecast_exhaustion(0.5, [3.0] * 10, 3.0, "2026-01-10", 30.0, horizon_days=20.0)
    assert f.at_current_days == pytest.approx(5.0)
    assert f.at_trend_days == pytest.approx(5.0)
    assert f.interval_days == (pytest.approx(5.0), pytest.approx(5.0))
    assert f.probability == 1.0
    assert f.when(f.at_current_days) == pd.Timestamp("2026-01-15", tz="UTC")
    late = forecast_exhaustion(0.5, [3.0] * 10, 3.0, "2026-01-10", 30.0, horizon_days=4.0)
    assert late.probability == 0.0


def test_rising_trend() -> None:
    # Daily burns 1..7 at day midpoints -6.5..-0.5: the line is b(t) = 7.5 + t. Spending 0.5 of
    # a 30-day budget: 7.5 T + T^2 / 2 = 15 -> T = -7.5 + sqrt(56.25 + 30).
    f = forecast_exhaustion(0.5, [1, 2, 3, 4, 5, 6, 7], 7.0, "2026-01-10", 30.0, 30.0)
    assert f.trend_slope == pytest.approx(1.0)
    assert f.at_trend_days == pytest.approx(-7.5 + math.sqrt(86.25))


def test_bootstrap_probability_and_seed() -> None:
    # Days burn 0 or 6 with equal odds; 0.1 left of a 30-day budget needs 3 burn-days, one
    # 6-day gives 6/30 = 0.2: it runs out within the first day exactly when that day draws 6:
    # probability 1/2 (binomial sd over 4000 draws: 0.008).
    args = (0.1, [0.0, 6.0] * 5, 0.0, "2026-01-10", 30.0, 1.0)
    f = forecast_exhaustion(*args, n_boot=4000, seed=1)
    assert f.probability == pytest.approx(0.5, abs=0.04)
    assert forecast_exhaustion(*args, n_boot=4000, seed=1) == f
    assert forecast_exhaustion(*args, n_boot=4000, seed=2).probability != f.probability


def test_no_traffic_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no day"):
        forecast_exhaustion(0.5, [np.nan, np.nan], 0.0, "2026-01-10", 30.0, 30.0)


def test_forecast_from_a_traffic_frame_in_a_calendar_month() -> None:
    # January (31 days) up to the 21st: 10,000 requests and 12 errors a minute, a burn of
    # 0.0012 / 0.001 = 1.2. Spent so far 1.2 x 20/31; left 1 - 24/31 = 7/31. At burn 1.2 it
    # lasts 7/31 x 31 / 1.2 = 5.8333 days: 2026-01-26 20:00 UTC, well before 1 February.
    minutes = 20 * 1440
    req, bad = np.full(minutes, 10_000), np.full(minutes, 12)
    traffic = pd.DataFrame(
        {
            "ts": pd.date_range("2026-01-01", periods=minutes, freq="1min", tz="UTC"),
            "api": "checkout", "requests": req, "status_2xx": req - bad, "status_3xx": 0,
            "status_4xx": 0, "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.999),), TimeWindow.calendar_window("month"),
        api="checkout",
    )  # fmt: skip
    row = forecast(slo, traffic, "2026-01-21T00:00:00Z").iloc[0]
    assert row["remaining"] == pytest.approx(7 / 31)
    assert row["current_burn"] == pytest.approx(1.2)
    expected = pd.Timestamp("2026-01-26T20:00:00Z")
    assert abs(row["exhausted_at_current"] - expected) < pd.Timedelta(seconds=1)
    assert abs(row["exhausted_at_trend"] - expected) < pd.Timedelta(seconds=1)
    assert row["probability"] == 1.0
    assert row["period_end"] == pd.Timestamp("2026-02-01", tz="UTC")


def _frame(start: str, bad_per_minute: list[int]) -> pd.DataFrame:
    """checkout: 10,000 requests a minute from ``start``, ``bad_per_minute`` of them 5xx."""
    bad = np.asarray(bad_per_minute)
    req = np.full(len(bad), 10_000)
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=len(bad), freq="1min", tz="UTC"),
            "api": "checkout", "requests": req, "status_2xx": req - bad, "status_3xx": 0,
            "status_4xx": 0, "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip


def test_forecast_before_a_whole_day_has_elapsed() -> None:
    # A calendar day at 12:00: 00:00-06:00 without errors, 06:00-12:00 24 errors a minute
    # (burn 0.0024 / 0.001 = 2.4). Burn so far 1.2 over half the day: left 1 - 1.2 x 0.5 = 0.4.
    # At the current burn (last hour, 2.4): 0.4 day / 2.4 = 4 h -> 16:00. The trend and the
    # bootstrap have one "day", the half day elapsed, at burn 1.2: 0.4 / 1.2 day = 8 h -> 20:00,
    # before the day ends (probability 1).
    traffic = _frame("2026-01-21", [0] * 360 + [24] * 360)
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.999),), TimeWindow.calendar_window("day"),
        api="checkout",
    )  # fmt: skip
    row = forecast(slo, traffic, "2026-01-21T12:00:00Z").iloc[0]
    assert row["remaining"] == pytest.approx(0.4)
    assert row["current_burn"] == pytest.approx(2.4)
    second = pd.Timedelta(seconds=1)
    assert abs(row["exhausted_at_current"] - pd.Timestamp("2026-01-21T16:00Z")) < second
    assert abs(row["exhausted_at_trend"] - pd.Timestamp("2026-01-21T20:00Z")) < second
    assert abs(row["interval_low"] - pd.Timestamp("2026-01-21T20:00Z")) < second
    assert abs(row["interval_high"] - pd.Timestamp("2026-01-21T20:00Z")) < second
    assert row["probability"] == 1.0
    assert row["period_end"] == pd.Timestamp("2026-01-22", tz="UTC")


def test_forecast_of_a_rolling_window_under_a_day() -> None:
    # A rolling 12 h window, 5 errors a minute all along (burn 0.5): left 1 - 0.5 x 12/12 = 0.5,
    # which lasts 0.5 x 12 h / 0.5 = 12 h at the current burn and along the (flat) trend.
    traffic = _frame("2026-01-20T12:00Z", [5] * 1440)
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.999),),
        TimeWindow.rolling_window(pd.Timedelta(hours=12).to_pytimedelta()), api="checkout",
    )  # fmt: skip
    row = forecast(slo, traffic, "2026-01-21T12:00:00Z").iloc[0]
    assert row["remaining"] == pytest.approx(0.5)
    second = pd.Timedelta(seconds=1)
    assert abs(row["exhausted_at_current"] - pd.Timestamp("2026-01-22T00:00Z")) < second
    assert abs(row["exhausted_at_trend"] - pd.Timestamp("2026-01-22T00:00Z")) < second
    assert row["period_end"] == pd.Timestamp("2026-01-22", tz="UTC")


def test_forecast_without_traffic_so_far_is_a_config_error() -> None:
    # At 00:30 of a calendar day that has had no request: nothing to forecast from.
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.999),), TimeWindow.calendar_window("day"),
        api="checkout",
    )  # fmt: skip
    traffic = _frame("2026-01-20T00:00Z", [1] * 1440)  # the day before only
    with pytest.raises(ConfigError, match="no day of the window has traffic"):
        forecast(slo, traffic, "2026-01-21T00:30:00Z")
