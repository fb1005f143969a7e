"""A whole 200 answer that is not Prometheus's (an HTML login page from a proxy) is reported at
once as "not a Prometheus API", not retried and called unreachable."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

pytestmark = pytest.mark.prometheus


def test_a_login_page_is_not_a_prometheus_api(prom_url: str) -> None:
    with FaultProxy(prom_url) as proxy:
        proxy.inject(*["html"] * 4)  # every attempt gets the page, as from a real SSO proxy
        prom = Prometheus(proxy.url, cache=False, retries=3, backoff_s=1.0)
        began = time.monotonic()
        with pytest.raises(ConfigError) as info:
            prom.query_range("up", T0, T0 + pd.Timedelta(hours=1), "1m")
        assert time.monotonic() - began < 1.0  # no retry (they would wait about a second)
        assert len(proxy.requests) == 1
    assert str(info.value) == (
        f"{proxy.url} answered (HTTP 200, text/html) but is not a Prometheus API: the answer "
        "starts '<!DOCTYPE html> <html><title>Sign in</title><form>...</form>'. Check "
        "the URL and its path prefix; a login page means a proxy in front of Prometheus wants "
        "credentials (bearer_token_env, basic_user)"
    )


def test_a_cut_off_answer_is_still_retried(prom_url: str) -> None:
    # the other side of the line: half a JSON body is retried, then the whole one is read
    # (conftest: orders' 200 counter is 10 m at minute m)
    with FaultProxy(prom_url) as proxy:
        proxy.inject("truncate")
        prom = Prometheus(proxy.url, cache=False, retries=2, backoff_s=0.01)
        frame = prom.query_range(
            'http_requests_total{api="orders",code="200"}', T0, T0 + pd.Timedelta(minutes=2), "1m"
        )
        assert len(proxy.requests) == 2
    assert frame["value"].astype("float64").tolist() == [0.0, 10.0, 20.0]
