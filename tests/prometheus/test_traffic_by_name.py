"""``traffic(by="api")``: one key name is one label, as ``apislo.traffic(events, by="api")``
takes it (it used to be split into the labels ``a``, ``p``, ``i``).

Hourly counts from conftest.py's table, T0 and T0+1h: orders 600 2xx + 6 5xx = 606 requests,
latency count 606, sum 120 s, le_0.1 360, le_0.5 540; EVIL 60; users 300 2xx + 12 5xx = 312
(no histogram: latency columns 0).
"""

from __future__ import annotations

import pandas as pd
import pytest

import apislo
from apislo.model import traffic_columns
from tests.prometheus.conftest import EVIL, T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)


def test_one_key_name_is_one_label(prom_url: str) -> None:
    prom = apislo.prometheus(prom_url, cache=False)
    frame = prom.traffic(profile="generic", start=T0, end=T0 + 2 * H, step="1h", by="api")
    assert list(frame.columns) == traffic_columns(("api",), (0.1, 0.5))
    assert frame["api"].tolist() == [EVIL, EVIL, "orders", "orders", "users", "users"]
    assert frame["ts"].tolist() == [T0, T0 + H] * 3
    assert frame["requests"].tolist() == [60, 60, 606, 606, 312, 312]
    assert frame["status_5xx"].tolist() == [0, 0, 6, 6, 12, 12]
    assert frame["latency_count"].tolist() == [0, 0, 606, 606, 0, 0]
    assert frame["latency_sum_s"].tolist() == [0.0, 0.0, 120.0, 120.0, 0.0, 0.0]
    assert frame["le_0.1"].tolist() == [0, 0, 360, 360, 0, 0]
    assert frame["le_0.5"].tolist() == [0, 0, 540, 540, 0, 0]


def test_a_name_maps_to_the_profiles_label_as_a_tuple_does(prom_url: str) -> None:
    prom = apislo.prometheus(prom_url, cache=False)
    frame = prom.traffic("kong", T0, T0 + H, "1h", by="api")  # Kong's API label is service
    assert list(frame.columns) == traffic_columns(("api",), (0.25, 1.0))
    assert frame["api"].tolist() == ["pay"] and frame["requests"].tolist() == [240]
