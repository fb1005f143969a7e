"""Native histogram samples are refused with one error naming the metric and what to query
instead, from range and instant queries alike. Until 2026-11-29 a range answer of them was a
``KeyError`` traceback, and one whose series held float samples too lost its histogram samples
silently.

Prometheus 2.42 takes native histograms only from protobuf scrapes (behind
``--enable-feature=native-histograms``), and promtool cannot backfill them, so a proxy rewrites
the real server's answers into the documented shape (see :mod:`tests.prometheus.faultproxy`)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from apislo.errors import ConfigError, NativeHistogramError
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

pytestmark = pytest.mark.prometheus
QUERY = 'http_request_duration_seconds_count{api="orders"}'
WHAT_TO_DO = (
    "apislo reads float samples only (one value per series and time): query the classic "
    "histogram's buckets (http_request_duration_seconds_bucket, with their le label) instead, "
    "or turn the native histogram into floats in the query with histogram_count(), "
    "histogram_sum(), histogram_fraction() or histogram_quantile()"
)


@pytest.fixture
def proxy(prom_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(prom_url) as p:
        yield p


def _prom(proxy: FaultProxy) -> Prometheus:
    return Prometheus(proxy.url, cache=False, retries=0)


@pytest.mark.parametrize("fault", ["histograms", "histograms:mixed"])
def test_a_range_answer_with_native_histograms_is_refused(proxy: FaultProxy, fault: str) -> None:
    """``histograms:mixed``: the series holds 30 float samples, then 31 histogram samples."""
    proxy.inject(fault)
    with pytest.raises(NativeHistogramError) as info:
        _prom(proxy).query_range(QUERY, T0, T0 + pd.Timedelta(hours=1), "1m")
    assert str(info.value) == (
        f"query {QUERY!r}: series "
        'http_request_duration_seconds{api="orders"} holds native histogram samples; ' + WHAT_TO_DO
    )
    assert info.value.metric == {"__name__": "http_request_duration_seconds", "api": "orders"}
    assert info.value.query == QUERY
    assert isinstance(info.value, ConfigError)
    assert len(proxy.requests) == 1  # a whole answer: not asked again


def test_an_instant_answer_with_a_native_histogram_is_refused(proxy: FaultProxy) -> None:
    promql = f"sum by (api) ({QUERY})"  # (aggregated: the series has no name)
    proxy.inject("histograms")
    with pytest.raises(NativeHistogramError) as info:
        _prom(proxy).query(promql, at=T0 + pd.Timedelta(minutes=10))
    assert str(info.value) == (
        f'query {promql!r}: series {{api="orders"}} holds native histogram samples; '
        + WHAT_TO_DO.replace("http_request_duration_seconds_bucket", "the metric's _bucket series")
    )


def test_float_answers_through_the_same_proxy_are_read(proxy: FaultProxy) -> None:
    """The rewrite is the proxy's: without it the same query reads the fixture's counts
    (conftest: 10 m + m // 10 at minute m)."""
    frame = _prom(proxy).query_range(QUERY, T0, T0 + pd.Timedelta(minutes=20), "10m")
    assert frame["value"].tolist() == [0.0, 101.0, 202.0]
