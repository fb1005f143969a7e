"""Retries and errors, with a fault-injecting proxy in front of the real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest

from apislo.errors import PrometheusQueryError, PrometheusUnavailableError
from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import free_port
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

pytestmark = pytest.mark.prometheus
QUERY = 'http_requests_total{api="orders",code="200"}'
FAST = {"retries": 3, "backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 2.0}


@pytest.fixture
def proxy(prom_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(prom_url) as p:
        yield p


def _pull(url: str, **options: object) -> pd.DataFrame:
    prom = Prometheus(url, cache=False, chunk_points=11_000, **{**FAST, **options})
    return prom.query_range(QUERY, T0, T0 + pd.Timedelta(hours=1), "1m")


def _expected() -> list[float]:
    return [10.0 * m for m in range(61)]  # value 10 m at minute m


@pytest.mark.parametrize(
    "faults",
    [("drop",), ("503", "503"), ("429",), ("truncate",), ("delay:3",), ("drop", "503", "truncate")],
)
def test_transient_faults_are_retried(proxy: FaultProxy, faults: tuple[str, ...]) -> None:
    proxy.inject(*faults)
    frame = _pull(proxy.url)
    assert frame["value"].astype("float64").tolist() == _expected()
    assert len(proxy.requests) == len(faults) + 1  # each fault cost one attempt, then success


def test_persistent_503_reports_status_query_and_range(proxy: FaultProxy) -> None:
    proxy.inject(*["503"] * 4)
    with pytest.raises(PrometheusQueryError) as info:
        _pull(proxy.url)
    err = info.value
    assert (err.status, err.error_type, err.error) == (503, "unavailable", "injected 503")
    assert err.query == QUERY
    assert (err.start, err.end) == ("2026-01-05T00:00:00Z", "2026-01-05T01:00:00Z")
    assert len(proxy.requests) == 4  # 1 + 3 retries


def test_bad_query_is_not_retried(proxy: FaultProxy) -> None:
    prom = Prometheus(proxy.url, cache=False, **FAST)
    with pytest.raises(PrometheusQueryError) as info:
        prom.query_range("sum(rate(x[5m])", T0, T0 + pd.Timedelta(hours=1), "1m")
    assert info.value.status == 400 and info.value.error_type == "bad_data"
    assert "sum(rate(x[5m])" in str(info.value)
    assert len(proxy.requests) == 1


def test_stopped_server_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(PrometheusUnavailableError) as info:
        _pull(url)
    assert info.value.url == url
    assert url in str(info.value) and "unreachable" in str(info.value)
    assert time.monotonic() - started < 5


def test_wrong_path_prefix_hint(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False, path_prefix="/prometheus", **FAST)
    with pytest.raises(PrometheusQueryError, match="path prefix") as info:
        prom.query("up", at=T0)
    assert info.value.status == 404


def test_concurrent_chunks_survive_faults(proxy: FaultProxy) -> None:
    proxy.inject("drop", "503", "truncate", "429")
    prom = Prometheus(proxy.url, cache=False, chunk_points=5, concurrency=4, **FAST)
    frame = prom.query_range(QUERY, T0, T0 + pd.Timedelta(hours=1), "1m")
    assert frame["value"].astype("float64").tolist() == _expected()
    assert len(proxy.requests) == 13 + 4  # 61 points in 13 chunks of <= 5, plus 4 retries
