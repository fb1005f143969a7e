"""Retries and errors, with a fault-injecting proxy in front of the real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest

from apislo.errors import PrometheusQueryError, PrometheusUnavailableError
from apislo.sources.prometheus import Prometheus, endpoint
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
    # why, not requests' "Max retries exceeded with url: /api/v1/query_range?query=..." (until
    # 2026-11-30 all the reason said)
    port = url.rsplit(":", 1)[1]
    assert info.value.reason == (
        f"NewConnectionError: HTTPConnection(host='127.0.0.1', port={port}): Failed to establish "
        "a new connection: [Errno 111] Connection refused; gave up after 4 attempts"
    )


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


def _slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client waits between attempts, recorded instead of slept."""
    delays: list[float] = []
    monkeypatch.setattr(endpoint.time, "sleep", delays.append)
    return delays


#: Long enough a cap that a Retry-After taken at its word shows; a short, known backoff.
PATIENT = {"backoff_s": 0.2, "max_backoff_s": 30.0}


@pytest.mark.parametrize("header", ["nan", "inf", "-5", "1e400", "", "1.5", "+5", "0x10", "soon"])
def test_a_retry_after_that_is_no_delay_is_ignored(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, header: str
) -> None:
    # RFC 9110 section 10.2.3: Retry-After is delay-seconds (1*DIGIT) or an HTTP-date. "nan"
    # raised ValueError from time.sleep, "inf" and "1e400" waited the whole cap, "-5" not at all,
    # "1.5" and "+5" were taken as delays. Now they are absent: the first backoff, 0.2 s halved
    # plus a jitter of up to its other half.
    delays = _slept(monkeypatch)
    proxy.inject(f"429:{header}")
    assert _pull(proxy.url, **PATIENT)["value"].astype("float64").tolist() == _expected()
    assert len(delays) == 1 and 0.1 <= delays[0] <= 0.2, delays


def _http_date(seconds_from_now: float, form: str) -> str:
    """An HTTP-date (RFC 9110 section 5.6.7) in one of its three forms."""
    when = time.gmtime(time.time() + seconds_from_now)
    pattern = {
        "IMF-fixdate": "%a, %d %b %Y %H:%M:%S GMT",
        "rfc850-date": "%A, %d-%b-%y %H:%M:%S GMT",
        "asctime-date": "%a %b {day:>2} %H:%M:%S %Y",
    }[form].format(day=when.tm_mday)
    return time.strftime(pattern, when)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (" 7 ", 7.0),  # (a field value's surrounding spaces are not part of it)
        ("9" * 400, 30.0),  # far too long to wait: the cap
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),  # a date in the past: now
        (_http_date(3600, "IMF-fixdate"), 30.0),
    ],
)
def test_a_retry_after_delay_or_date_is_honoured_up_to_the_cap(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, header: str, expected: float
) -> None:
    delays = _slept(monkeypatch)
    proxy.inject(f"429:{header}")
    assert _pull(proxy.url, **PATIENT)["value"].astype("float64").tolist() == _expected()
    assert delays == [expected]


@pytest.mark.parametrize("form", ["IMF-fixdate", "rfc850-date", "asctime-date"])
def test_a_retry_after_date_in_each_form_is_waited_for(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    # 20 s ahead, written to the whole second (up to 1 s earlier) and read a moment later.
    delays = _slept(monkeypatch)
    proxy.inject(f"429:{_http_date(20, form)}")
    assert _pull(proxy.url, **PATIENT)["value"].astype("float64").tolist() == _expected()
    assert len(delays) == 1 and 18.0 < delays[0] <= 20.0, delays
