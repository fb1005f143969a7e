"""The chunk cache keys on the credentials: callers with other credentials, or none, never get
another caller's cached chunks (a proxy in front of the real server lets only "alice" in)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from apislo.errors import PrometheusQueryError
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
PROMQL = "sum by (api) (increase(http_requests_total[1h]))"
FAST = {"retries": 0, "timeout_s": 5.0, "concurrency": 1}
ALICE = "Basic " + base64.b64encode(b"alice:wonder-land-7").decode()
RANGE = "/api/v1/query_range"


@pytest.fixture
def proxy(prom_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(prom_url, require_auth=ALICE) as p:
        yield p


def _pull(url: str, cache: Path, **auth: str) -> pd.DataFrame:
    prom = Prometheus(url, cache=cache, chunk_points=2, **FAST, **auth)
    return prom.query_range(PROMQL, T0 + H, T0 + 3 * H, "1h")


def test_other_or_missing_credentials_never_read_cached_chunks(
    proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALICE_PW", "wonder-land-7")
    monkeypatch.setenv("BOB_PW", "b0b-secret")
    monkeypatch.setenv("TOKEN", "tok-123")
    alice = {"basic_user": "alice", "basic_password_env": "ALICE_PW"}
    first = _pull(proxy.url, tmp_path, **alice)
    # conftest: orders count 10 m + m // 10 + 429s: 606, 606, 726 an hour
    assert first[first["api"] == "orders"]["value"].tolist() == [606.0, 606.0, 726.0]
    assert proxy.asked(RANGE) == 2  # 3 hourly points on a 2-point grid: 2 chunks
    pd.testing.assert_frame_equal(_pull(proxy.url, tmp_path, **alice), first)
    assert proxy.asked(RANGE) == 2  # same credentials: both chunks from the cache
    others = [
        {"basic_user": "bob", "basic_password_env": "BOB_PW"},
        {"basic_user": "alice", "basic_password_env": "BOB_PW"},  # same user, other password
        {"bearer_token_env": "TOKEN"},
        {},  # no credentials at all
    ]
    for n, auth in enumerate(others, start=1):
        with pytest.raises(PrometheusQueryError) as info:
            _pull(proxy.url, tmp_path, **auth)
        assert info.value.status == 401  # the server was asked, and refused
        assert proxy.asked(RANGE) == 2 + n  # the first chunk's request failed: one request
    stored = list(tmp_path.rglob("*.parquet"))
    assert len(stored) == 2  # only alice's chunks
    for path in stored:  # neither the password nor the user name is written
        data = path.read_bytes()
        assert b"wonder-land-7" not in data and b"alice" not in data
        assert "wonder" not in path.name


def test_the_urls_own_credentials_are_part_of_the_key(proxy: FaultProxy, tmp_path: Path) -> None:
    host = proxy.url.removeprefix("http://")
    _pull(f"http://alice:wonder-land-7@{host}", tmp_path)
    assert proxy.asked(RANGE) == 2
    with pytest.raises(PrometheusQueryError) as info:
        _pull(f"http://alice:guess@{host}", tmp_path)
    assert info.value.status == 401 and proxy.asked(RANGE) == 3
