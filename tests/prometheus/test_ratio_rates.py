"""A ratio SLI's query is read as per second when it calls ``rate`` or ``irate`` (and not
``increase``), however it is spelt, and only then: its result is multiplied by the step's
seconds to give counts. Counts by hand from the conftest data."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pandas as pd
import pytest

from apislo.slo import SLI, SLO, Objective, TimeWindow
from apislo.slo.source import Source
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus

STEP = pd.Timedelta(minutes=5)
ORDERS_200 = 'http_requests_total{api="orders",code="200"}'
#: The first hour in 5-minute intervals: orders' 200 counter is 10 m at minute m, 50 an
#: interval; its 500 counter m // 10 steps up at minutes 10, 20, ... 60, the end of every
#: second interval; its 429 counter is 0 before minute 120. Total: 50 or 51 an interval.
GOOD = [50.0] * 12
TOTAL = [50.0 + (m % 10 == 0) for m in range(5, 65, 5)]


@pytest.mark.parametrize(
    "good",
    [
        f"sum(rate ({ORDERS_200}[{{{{.window}}}}]))",  # read as counts until 2026-11-30
        f"sum(\n  rate\n  ({ORDERS_200}[{{{{.window}}}}])\n)",  # likewise
        # a comment between the name and its "(": read as counts after the first fix of
        # 2026-11-30 too, 300 times too few
        f"sum(rate # per second\n  ({ORDERS_200}[{{{{.window}}}}]))",
        f"sum(rate({ORDERS_200}[{{{{.window}}}}]))",
        f"sum by (api) (irate({ORDERS_200}[{{{{.window}}}}]))",  # 10 a minute, times 300 s
        # counts, with the text "rate(" in a matcher: read as per second until 2026-11-30
        f'sum({ORDERS_200[:-1]},code!~"rate(.*)"}} - {ORDERS_200} offset {{{{.window}}}})',
        f"sum(increase({ORDERS_200}[{{{{.window}}}}]))  # not a rate(",
    ],
)
def test_a_ratio_query_is_per_second_when_it_calls_rate(prom_url: str, good: str) -> None:
    sli = SLI(
        kind="ratio",
        good_query=good,
        total_query='sum(rate(http_requests_total{api="orders"}[{{.window}}]))',
    )
    slo = SLO("r", "shop", sli, (Objective(0.99),), TimeWindow.rolling_window(timedelta(hours=1)))
    prom = Prometheus(prom_url, cache=False)
    frame = Source("prometheus", prom, "p").frame(slo, T0, T0 + pd.Timedelta(hours=1), STEP)
    assert frame["ts"].tolist() == list(pd.date_range(T0, periods=12, freq=STEP))
    assert frame["good"].tolist() == pytest.approx(GOOD, rel=1e-12)
    assert frame["total"].tolist() == pytest.approx(TOTAL, rel=1e-12)


@pytest.mark.parametrize(
    ("good_range", "good", "warned"),
    [
        # increase over the last 2 minutes of each 5: 20 of the 50 requests (one sample a
        # minute, 10 apart), with a warning that says so
        ("2m", [20.0] * 12, True),
        ("5m", GOOD, False),  # the step itself: the same query as [{{.window}}]
    ],
)
def test_a_fixed_range_other_than_the_step_warns(
    prom_url: str, good_range: str, good: list[float], warned: bool
) -> None:
    sli = SLI(
        kind="ratio",
        good_query=f"sum(increase({ORDERS_200}[{good_range}]))",
        total_query='sum(increase(http_requests_total{api="orders"}[{{.window}}]))',
    )
    window = TimeWindow.rolling_window(timedelta(hours=1))
    slo = SLO("r", "shop", sli, (Objective(0.99),), window, origin="r.yaml (openslo/v1)")
    prom = Prometheus(prom_url, cache=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = Source("prometheus", prom, "p").frame(slo, T0, T0 + pd.Timedelta(hours=1), STEP)
    assert frame["good"].tolist() == pytest.approx(good, rel=1e-12)
    assert frame["total"].tolist() == pytest.approx(TOTAL, rel=1e-12)
    expected = (
        "r.yaml (openslo/v1): sli.good_query: SLO r: the good query's fixed range [2m] is not "
        "the 5m step it is evaluated at, so its counts are wrong (an increase counts the events "
        "of [2m], not of 5m; a rate only estimates them): write [{{.window}}], which apislo sets "
        "to the step"
    )
    assert [str(w.message) for w in caught] == ([expected] if warned else [])
