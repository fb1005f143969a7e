"""The same simulated traffic, through the logs and through Prometheus, gives the same frame.

The simulator writes each counter as "requests that started before the sample time", sampled
every 60 s from a 0 at the period start, so on Prometheus 2.x (range selectors include both
ends) ``increase(x[1h])`` at an hour boundary is exactly the log count of that hour: no
extrapolation happens when samples sit on both ends of the window. Expected values here are
computed from the logs by a second method (:func:`apislo.traffic`, polars on the events).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import apislo
from apislo.sources.prometheus import Prometheus
from tests.conftest import SIMULATED_END, SimulatedPrometheus

pytestmark = pytest.mark.prometheus
END = SIMULATED_END
START = END - pd.Timedelta(days=1)


@pytest.fixture
def sim(simulated_prometheus: SimulatedPrometheus) -> tuple[str, pd.DataFrame, list[float]]:
    """(Prometheus URL, events read from the logs, histogram buckets)."""
    from apislo.simulate.openmetrics import OM_BUCKETS_S

    return simulated_prometheus.url, simulated_prometheus.events, list(OM_BUCKETS_S)


def test_hourly_frame_equals_the_logs(sim: tuple[str, pd.DataFrame, list[float]]) -> None:
    url, events, buckets = sim
    expected = apislo.traffic(
        events,
        interval="1h",
        by=("api",),
        thresholds_s=buckets,
        quantiles=(),
        start=START,
        end=END,
    )
    pulled = Prometheus(url, cache=False).traffic("generic", START, END, "1h", thresholds_s=buckets)
    assert len(pulled) == 3 * 24
    # counts exact; the latency sum differs only by float rounding (the simulator writes _sum
    # from microseconds, the log side adds float seconds): 1e-9 relative
    pd.testing.assert_frame_equal(
        pulled.drop(columns="latency_sum_s"), expected.drop(columns="latency_sum_s")
    )
    np.testing.assert_allclose(
        pulled["latency_sum_s"].to_numpy("float64"),
        expected["latency_sum_s"].to_numpy("float64"),
        rtol=1e-9,
    )
    assert pulled["status_5xx"].sum() > 0 and pulled["status_429"].sum() > 0  # a real test


def test_unaligned_windows_obey_the_extrapolation_bound(
    sim: tuple[str, pd.DataFrame, list[float]],
) -> None:
    """``increase`` over a window that does not start and end on samples extrapolates.

    Window [H - 1h + 30 s, H + 30 s]: samples at H - 59 min .. H cover 59 minutes with a raw
    difference D (the log count in [H - 59 min, H)); Prometheus scales each series up to the
    window, by at most 60 / 59 (less for a series still at 0 at the window start: it never
    extrapolates below zero), so D <= increase <= D * 60 / 59. The exact count E adds the two
    half-minutes p1 = [H - 59.5 min, H - 59 min) and p2 = [H, H + 30 s). So increase - E lies in
    [-(p1 + p2), D / 59 - (p1 + p2)]: the error is at most the larger of the average count per
    scrape interval and the counts in the two partial intervals.
    """
    url, events, _ = sim
    ts = events["ts"].astype("datetime64[us, UTC]")
    prom = Prometheus(url, cache=False)
    hour = START + pd.Timedelta(hours=12)
    at = hour + pd.Timedelta(seconds=30)
    got = prom.query("sum by (api) (increase(http_requests_total[1h]))", at=at)
    checked = 0
    for api, value in zip(got["api"], got["value"].astype("float64"), strict=True):
        mine = events["api"] == api

        def count(a: pd.Timestamp, b: pd.Timestamp, mine: pd.Series = mine) -> int:
            return int((mine & (ts >= a) & (ts < b)).sum())

        d = count(hour - pd.Timedelta(minutes=59), hour)
        p1 = count(at - pd.Timedelta(hours=1), hour - pd.Timedelta(minutes=59))
        p2 = count(hour, at)
        exact = d + p1 + p2
        assert d - 1e-9 <= value <= d * 60 / 59 + 1e-9
        assert abs(value - exact) <= max(d / 59, p1 + p2) + 1e-9
        checked += 1
    assert checked == 3
