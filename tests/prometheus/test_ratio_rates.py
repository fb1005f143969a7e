"""A ratio SLI's query is read as per second when it calls ``rate`` or ``irate`` (and not
``increase``), however it is spelt, and only then: its result is multiplied by the step's
seconds to give counts. Counts by hand from the conftest data."""

from __future__ import annotations

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
