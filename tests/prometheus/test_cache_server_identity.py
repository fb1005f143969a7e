"""The chunk cache keys on the server's identity where it tells one (Prometheus's start time, from
/api/v1/status/runtimeinfo): two datasets served one after the other on the same URL, as the
README's ``apislo prom backfill`` / ``apislo prom serve --port 9090`` flow does, never share
cached chunks. Until 2026-11-29 the second dataset's pull got the first one's numbers."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill, free_port
from tests.conftest import require_binary
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
JOBS = "sum(increase(jobs_total[1h]))"
ORDERS = "sum by (api) (increase(http_requests_total[1h]))"
RUNTIME_INFO = "/api/v1/status/runtimeinfo"
RANGE = "/api/v1/query_range"  # (a chunk fetched from the server)


def _openmetrics(per_minute: int) -> str:
    """``jobs_total{api="x"}`` = ``per_minute * m`` at ``T0 + m`` minutes, m = 0..120: every
    hour from minute 0 on has ``60 * per_minute`` jobs."""
    t0 = int(T0.timestamp())
    lines = ["# TYPE jobs counter"]
    lines += [f'jobs_total{{api="x"}} {per_minute * m} {t0 + 60 * m}' for m in range(121)]
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Dataset A (1 job a minute) and B (2 a minute), backfilled by promtool."""
    require_binary("promtool")
    require_binary("prometheus")
    root = tmp_path_factory.mktemp("identity")
    folders = {}
    for name, per_minute in (("a", 1), ("b", 2)):
        (root / f"{name}.om").write_text(_openmetrics(per_minute))
        folders[name] = backfill(root / f"{name}.om", root / f"{name}-blocks", "24h")
    return folders


def _served(datasets: dict[str, Path], name: str, port: int, root: Path) -> LocalPrometheus:
    """A server of a copy of dataset ``name`` on ``port`` (Prometheus compacts what it serves)."""
    data = root / f"served-{name}"
    shutil.copytree(datasets[name], data)
    return LocalPrometheus(data, port)


def _jobs(prom: Prometheus) -> list[float]:
    """Jobs in the hours ending at T0 + 1 h and T0 + 2 h (two cacheable one-point chunks)."""
    return prom.query_range(JOBS, T0 + H, T0 + 2 * H, "1h")["value"].tolist()


def test_another_dataset_served_on_the_same_port_is_pulled_not_the_cached_one(
    datasets: dict[str, Path], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    kept = Prometheus(url, cache=cache, chunk_points=1)  # a notebook's client, kept throughout
    with _served(datasets, "a", port, tmp_path):
        assert _jobs(Prometheus(url, cache=cache, chunk_points=1)) == [60.0, 60.0]  # 60 x 1
        assert _jobs(kept) == [60.0, 60.0]
    assert len(list(cache.rglob("*.parquet"))) == 2  # both chunks were cached
    with _served(datasets, "b", port, tmp_path):
        assert _jobs(Prometheus(url, cache=cache, chunk_points=1)) == [120.0, 120.0]  # 60 x 2
        assert _jobs(kept) == [120.0, 120.0]
    assert len(list(cache.rglob("*.parquet"))) == 4  # B's chunks beside A's


def _orders(prom: Prometheus) -> list[float]:
    frame = prom.query_range(ORDERS, T0 + H, T0 + 3 * H, "1h")
    return frame[frame["api"] == "orders"]["value"].tolist()


#: conftest: orders count 10 m + m // 10, plus 429s from minute 120: 606, 606, 726 an hour.
ORDERS_HOURS = [606.0, 606.0, 726.0]


def test_a_server_that_tells_no_identity_falls_back_to_its_url_silently(
    prom_url: str, tmp_path: Path
) -> None:
    """Mimir answers 404 and VictoriaMetrics 400 on /api/v1/status/runtimeinfo, a proxy may
    answer 401: the cache then keys on the URL alone, with no warning. A server that cannot be
    asked now (503, a dropped connection) gets an uncached pull, and is asked again next time."""
    with FaultProxy(prom_url) as proxy, warnings.catch_warnings():
        warnings.simplefilter("error")
        prom = Prometheus(proxy.url, cache=tmp_path, chunk_points=2, retries=0)
        # 3 hourly points on a 2-point grid from the epoch: 2 chunks, both far in the past
        proxy.inject("404")
        assert _orders(prom) == ORDERS_HOURS
        assert proxy.asked(RANGE) == 2
        proxy.inject("401")
        assert _orders(prom) == ORDERS_HOURS
        assert proxy.asked(RANGE) == 2  # the URL alone again: both chunks from the cache
        assert _orders(prom) == ORDERS_HOURS
        assert proxy.asked(RANGE) == 4  # the server tells its start time: another generation
        assert _orders(prom) == ORDERS_HOURS
        assert proxy.asked(RANGE) == 4  # ... whose chunks are now cached
        for fault in ("503", "drop"):
            proxy.inject(fault)
            assert _orders(prom) == ORDERS_HOURS
        assert proxy.asked(RANGE) == 8  # neither pull read the cache
        assert proxy.asked(RUNTIME_INFO) == 6  # asked once a pull
    assert len(list(tmp_path.rglob("*.parquet"))) == 4  # nor wrote to it


@pytest.fixture
def guarded(prom_url: str) -> Iterator[FaultProxy]:
    """The fixture server behind a proxy that wants a token and a tenant (as Mimir does)."""
    tenant = {"X-Scope-OrgID": "team-a"}
    with FaultProxy(prom_url, require_auth="Bearer tok-7", require_headers=tenant) as proxy:
        yield proxy


def test_the_identity_is_asked_with_the_credentials_and_tenant_of_every_request(
    guarded: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROM_TOKEN", "tok-7")
    options = {"bearer_token_env": "PROM_TOKEN", "headers": {"X-Scope-OrgID": "team-a"}}
    prom = Prometheus(guarded.url, cache=tmp_path, chunk_points=2, **options)
    assert _orders(prom) == ORDERS_HOURS
    asked = [
        h for path, h in zip(guarded.requests, guarded.headers, strict=True) if path == RUNTIME_INFO
    ]
    assert [(h["Authorization"], h["X-Scope-OrgID"]) for h in asked] == [("Bearer tok-7", "team-a")]
    assert _orders(prom) == ORDERS_HOURS
    assert guarded.asked(RANGE) == 2  # the second pull: both chunks from the cache


def test_no_identity_is_asked_without_the_cache_or_a_complete_chunk(
    prom_url: str, tmp_path: Path
) -> None:
    with FaultProxy(prom_url) as proxy:
        assert _orders(Prometheus(proxy.url, cache=False, chunk_points=2)) == ORDERS_HOURS
        # the last 5 minutes: no chunk is older than the 10-minute settle time, none is cached
        recent = Prometheus(proxy.url, cache=tmp_path).query_range("vector(1)", "-5m", "now")
        assert set(recent["value"]) == {1.0}
    assert proxy.asked(RUNTIME_INFO) == 0
    assert not list(tmp_path.rglob("*.parquet"))
