"""Budget-exhaustion forecasts: closed forms worked by hand, bootstrap limits, a calendar month."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.slo.evaluation import evaluate
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


@pytest.mark.parametrize(
    ("remaining", "burn", "slope", "filling", "expected"),
    [
        # 20 budget days; while the window fills each day adds one: integral (b - 1) = r x 20
        (0.2, 1.5, 0.0, math.inf, 8.0),  # 0.5 T = 4
        (0.2, 1.0, 0.0, math.inf, None),  # spent as fast as it grows
        (0.2, 0.5, 0.1, math.inf, 5 + math.sqrt(105)),  # -0.5 T + 0.05 T^2 = 4
        (0.5, 3.0, 0.0, 10.0, 5.0),  # 2 T = 10 before the window is full
        (0.5, 2.0, 0.0, 10.0, 10.0),  # T = 10, just as it fills
        (0.5, 0.5, 0.0, 10.0, 40.0),  # -5 after 10 days, then 0.5 (T - 10) = 15
        # burn -1 + t (0 until day 1), filling for 5 days: (T - 1)^2 / 2 - 5 = 10
        (0.5, -1.0, 1.0, 5.0, 1 + math.sqrt(30)),
    ],
)
def test_days_to_spend_while_the_window_fills(
    remaining: float, burn: float, slope: float, filling: float, expected: float | None
) -> None:
    got = days_to_spend(remaining, burn, slope, 20.0, filling)
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


def _month(errors_per_minute: list[int]) -> pd.DataFrame:
    """checkout from 2026-01-01: 10,000 requests a minute, ``errors_per_minute`` of them 5xx."""
    bad = np.asarray(errors_per_minute)
    req = np.full(len(bad), 10_000)
    return pd.DataFrame(
        {
            "ts": pd.date_range("2026-01-01", periods=len(bad), freq="1min", tz="UTC"),
            "api": "checkout", "requests": req, "status_2xx": req - bad, "status_3xx": 0,
            "status_4xx": 0, "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip


def _checkout(window: TimeWindow) -> SLO:
    return SLO("checkout", "shop", SLI(), (Objective(0.999),), window, api="checkout")


@pytest.mark.parametrize(
    "window",
    [TimeWindow.calendar_window("month"), TimeWindow.rolling_window(timedelta(days=30))],
    ids=["calendar-month", "rolling-30d-with-20d-of-history"],
)
def test_the_forecast_remaining_is_the_one_evaluate_reports(window: TimeWindow) -> None:
    # 20 days from 2026-01-01 at 12 errors in 10,000 a minute: a burn of 0.0012 / 0.001 = 1.2.
    # The budget is 0.1 % of the 288 M requests so far, 288,000; 345,600 are spent: 1 - 1.2 =
    # -0.2 left, as `slo compute` says, for the month and for a 30-day window holding 20 days
    # (nothing before). Overspent: exhausted now, surely. Until 2026-11-29 the month read 7/31
    # left (1 - 1.2 x 20/31), running out on 2026-01-26 20:00, while `evaluate` said -0.2.
    slo, traffic, at = _checkout(window), _month([12] * 20 * 1440), "2026-01-21T00:00:00Z"
    row = forecast(slo, traffic, at).iloc[0]
    reported = evaluate(slo, traffic, at=at, series=False).summary["remaining"].iloc[0]
    assert row["remaining"] == pytest.approx(-0.2)
    assert row["remaining"] == pytest.approx(reported)
    assert row["current_burn"] == pytest.approx(1.2)
    assert row["exhausted_at_current"] == pd.Timestamp(at)
    assert row["exhausted_at_trend"] == pd.Timestamp(at)
    assert row["probability"] == 1.0


def test_a_calendar_budget_grows_with_the_traffic_of_the_month() -> None:
    # January up to the 21st: 19 days at 8 errors a minute (burn 0.8), then a day at 16 (1.6).
    # Spent (0.8 x 19 + 1.6) / 20 = 0.84 of the budget of the 20 days' requests: 0.16 left, as
    # `evaluate` says, or 0.16 x 20 = 3.2 budget days. Each new day adds one budget day and
    # spends b: at the current burn (last hour, 1.6) 3.2 / 0.6 = 5.333 days, 2026-01-26 08:00
    # (then 25.33 days at (16.8 + 8.53) / 25.33 = burn 1.0 so far). The trend, fitted to the
    # last 7 days (0.8 x 6, 1.6 at midpoints -6.5..-0.5): slope 2.4 / 28 = 3/35, 17/14 at ``at``;
    # (17/14 - 1) T + (3/35) T^2 / 2 = 3.2 -> T^2 + 5 T - 224/3 = 0. The bootstrap needs 6 of
    # its 11 days (to 1 February) at 1.6, each a 1-in-20 draw: none of its runs gets there.
    # Until 2026-11-29: 1 - 0.84 x 20/31 = 0.458 left, out on 2026-01-29 21:00.
    traffic = _month([8] * 19 * 1440 + [16] * 1440)
    slo, at = _checkout(TimeWindow.calendar_window("month")), "2026-01-21T00:00:00Z"
    row = forecast(slo, traffic, at).iloc[0]
    reported = evaluate(slo, traffic, at=at, series=False).summary["remaining"].iloc[0]
    assert row["remaining"] == pytest.approx(0.16)
    assert reported == pytest.approx(0.16)
    assert row["current_burn"] == pytest.approx(1.6)
    second = pd.Timedelta(seconds=1)
    assert abs(row["exhausted_at_current"] - pd.Timestamp("2026-01-26T08:00Z")) < second
    trend = (-5 + math.sqrt(25 + 4 * 224 / 3)) / 2  # 6.4954 days
    expected = pd.Timestamp(at) + pd.Timedelta(days=trend)
    assert abs(row["exhausted_at_trend"] - expected) < second
    assert row["probability"] == 0.0
    assert row["period_end"] == pd.Timestamp("2026-02-01", tz="UTC")


def test_a_rolling_window_with_less_history_fills_before_its_budget_is_fixed() -> None:
    # A 30-day window holding 20 days at burn 0.5: 0.5 left (of 20 budget days: 10). For the
    # 10 days until the window is full, each day adds a budget day and spends 0.5 of one: 5
    # more left; then each day spends 0.5: 15 / 0.5 = 30 days. Out after 40 days, 2026-03-02,
    # past the horizon (30 days): no bootstrap run gets there (no interval), probability 0.
    # Until 2026-11-29 the 10 empty days counted as elapsed budget: 0.5 x 30 / 0.5 = 30 days,
    # 2026-02-20.
    slo = _checkout(TimeWindow.rolling_window(timedelta(days=30)))
    row = forecast(slo, _month([5] * 20 * 1440), "2026-01-21T00:00:00Z").iloc[0]
    assert row["remaining"] == pytest.approx(0.5)
    second = pd.Timedelta(seconds=1)
    for column in ("exhausted_at_current", "exhausted_at_trend"):
        assert abs(row[column] - pd.Timestamp("2026-03-02T00:00Z")) < second, column
    assert row[["interval_low", "interval_high"]].isna().all()
    assert row["probability"] == 0.0


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
    # A calendar day at 12:00: 00:00-06:00 without errors, 06:00-12:00 16 errors a minute
    # (burn 0.0016 / 0.001 = 1.6). Burn so far 0.8: 0.2 left of a budget of 0.5 budget days
    # (half a day of traffic), 0.1. At the current burn (last hour, 1.6) each hour adds 1/24
    # and spends 1.6/24: 0.1 day / 0.6 = 4 h -> 16:00 (16 h at a burn of 10 x 1.6 / 16 = 1).
    # The trend and the bootstrap have one "day", the half day elapsed, at burn 0.8: a budget
    # growing faster than it is spent never runs out (probability 0).
    traffic = _frame("2026-01-21", [0] * 360 + [16] * 360)
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.999),), TimeWindow.calendar_window("day"),
        api="checkout",
    )  # fmt: skip
    row = forecast(slo, traffic, "2026-01-21T12:00:00Z").iloc[0]
    assert row["remaining"] == pytest.approx(0.2)
    assert row["current_burn"] == pytest.approx(1.6)
    second = pd.Timedelta(seconds=1)
    assert abs(row["exhausted_at_current"] - pd.Timestamp("2026-01-21T16:00Z")) < second
    assert row[["exhausted_at_trend", "interval_low", "interval_high"]].isna().all()
    assert row["probability"] == 0.0
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
