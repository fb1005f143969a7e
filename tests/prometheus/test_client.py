"""Queries against a real Prometheus serving the hand-made fixture (see conftest.py)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import apislo
from apislo.errors import ConfigError, PrometheusQueryError
from apislo.sources.prometheus import Prometheus, selector
from apislo.sources.prometheus.endpoint import QueryContext
from tests.prometheus.conftest import EVIL, T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)


def test_instant_query_tidy_frame(prom_url: str) -> None:
    prom = apislo.prometheus(prom_url, cache=False)
    frame = prom.query('http_requests_total{api="orders"}', at=T0 + H)
    assert list(frame.columns) == ["ts", "__name__", "api", "code", "value"]
    by_code = dict(zip(frame["code"], frame["value"], strict=True))
    # at minute 60: 200 -> 10*60, 500 -> 60//10, 429 -> 0 (starts at minute 120)
    assert by_code == {"200": 600.0, "500": 6.0, "429": 0.0}
    assert (frame["ts"] == T0 + H).all()
    assert str(frame["value"].dtype) == "double[pyarrow]"


def test_escaped_label_value_selects_exactly_one_series(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False)
    frame = prom.query(selector("http_requests_total", {"api": EVIL}), at=T0 + 2 * H)
    # the injection would have added vector(1); escaped, it is the one series with value m = 120
    assert frame["api"].tolist() == [EVIL]
    assert frame["value"].tolist() == [120.0]


@pytest.mark.parametrize("label", ["ts", "value"])
def test_a_label_named_like_a_column_is_refused(prom_url: str, label: str) -> None:
    # A label "ts" used to replace the timestamps with its strings ("x"), and a label "value"
    # vanished under the values, both silently.
    prom = Prometheus(prom_url, cache=False)
    promql = f'label_replace(vector(1), "{label}", "x", "", "")'
    message = f"series have a label named {label}, like the frame's own column"
    with pytest.raises(ConfigError, match=message):
        prom.query(promql, at=T0 + H)
    with pytest.raises(ConfigError, match=message):
        prom.query_range(promql, T0, T0 + H, "1h")


def test_chunked_range_equals_one_request(prom_url: str) -> None:
    promql = 'http_requests_total{api="users"}'
    one = Prometheus(prom_url, cache=False, chunk_points=11_000).query_range(
        promql, T0, T0 + 3 * H, "1m"
    )
    many = Prometheus(prom_url, cache=False, chunk_points=7).query_range(
        promql, T0, T0 + 3 * H, "1m"
    )
    pd.testing.assert_frame_equal(one, many)
    ok = many[many["code"] == "200"]
    # 181 minutes, each exactly once; values 5m then 5(m-90) after the reset at minute 90
    assert ok["ts"].is_unique and len(ok) == 181
    m = np.arange(181)
    expected = np.where(m <= 90, 5 * m, 5 * (m - 90))
    assert ok["value"].astype("float64").tolist() == expected.tolist()
    gap = many[many["code"] == "503"]
    # no samples for minutes 130..150: minutes 130..134 still see minute 129 (5 min lookback,
    # inclusive in 2.42), the 16 minutes 135..150 have no value: 181 - 16 = 165 points
    assert len(gap) == 165


def test_more_than_11000_points_is_chunked(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False)
    promql = 'http_requests_total{api="orders",code="200"}'
    start, end = T0 - H, T0 + 3 * H  # 14,401 one-second steps
    with pytest.raises(PrometheusQueryError) as info:
        prom.endpoint.call(
            "/api/v1/query_range",
            {
                "query": promql,
                "start": str(int(start.timestamp())),
                "end": str(int(end.timestamp())),
                "step": "1",
            },
            lambda body: body,
            QueryContext(promql, "s", "e"),
        )
    assert info.value.status == 400 and info.value.error_type == "bad_data"
    assert "11,000" in info.value.error
    frame = prom.query_range(promql, start, end, "1s")
    # data exists from T0 to T0+3h: 10,801 seconds; value = 10 * whole minutes since T0
    assert len(frame) == 10_801 and frame["ts"].is_unique
    secs = (frame["ts"] - T0).dt.total_seconds().to_numpy()
    assert frame["value"].astype("float64").tolist() == (10 * (secs // 60)).tolist()


def test_empty_result_and_reversed_range(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False)
    frame = prom.query_range("no_such_metric", T0, T0 + H, "1m")
    assert list(frame.columns) == ["ts", "value"] and frame.empty
    with pytest.raises(apislo.errors.ConfigError, match="before start"):
        prom.query_range("up", T0 + H, T0, "1m")


def test_cache_serves_complete_chunks(prom_url: str, tmp_path: Path) -> None:
    from tests.prometheus.faultproxy import FaultProxy

    promql = "sum by (api) (increase(http_requests_total[1h]))"
    with FaultProxy(prom_url) as proxy:
        prom = Prometheus(proxy.url, cache=tmp_path, chunk_points=2)
        first = prom.query_range(promql, T0 + H, T0 + 3 * H, "1h")
        asked = proxy.asked("/api/v1/query_range")
        second = prom.query_range(promql, T0 + H, T0 + 3 * H, "1h")
        assert proxy.asked("/api/v1/query_range") == asked  # all chunks came from the cache
    # 3 hourly points on a 2-point grid from the epoch: 2 chunks, both far in the past
    assert asked == 2 and len(list(tmp_path.rglob("*.parquet"))) == 2
    pd.testing.assert_frame_equal(first, second)
    orders = first[first["api"] == "orders"]["value"].tolist()
    assert orders == [606.0, 606.0, 726.0]  # 600 + 6, and + 120 429s in the third hour


def test_recent_chunks_are_not_cached(prom_url: str, tmp_path: Path) -> None:
    prom = Prometheus(prom_url, cache=tmp_path, chunk_points=10)
    prom.query_range("vector(1)", "-30m", "now", "1m")
    # the grid splits 30 minutes into 3-4 chunks; only those ending > 10 min ago are stored
    stored = len(list(tmp_path.rglob("*.parquet")))
    assert 1 <= stored <= 2


def test_prometheus_api_client_shares_the_transport(prom_url: str) -> None:
    from tests.prometheus.faultproxy import FaultProxy

    with FaultProxy(prom_url) as proxy:
        prom = Prometheus(proxy.url, cache=False, headers={"X-Scope-OrgID": "t1"})
        values = prom.client.get_label_values("api")
        assert proxy.headers[-1]["X-Scope-OrgID"] == "t1"
    assert sorted(values) == sorted([EVIL, "orders", "users"])


def test_a_string_result_is_refused_at_once(prom_url: str) -> None:
    # `"hello"` is a string expression: Prometheus answers 200 with resultType "string". That
    # answer is complete, so it is not retried as if cut off, nor reported as an unreachable
    # server: with 3 retries 1 s apart, a retry would take over a second
    prom = Prometheus(prom_url, cache=False, retries=3, backoff_s=1.0)
    began = time.monotonic()
    with pytest.raises(apislo.errors.ConfigError, match="result is a string"):
        prom.query('"hello"', at=T0)
    assert time.monotonic() - began < 1.0
