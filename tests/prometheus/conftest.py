"""A real Prometheus for the tests: backfilled once per session from a hand-made OpenMetrics file.

The data (``T0`` = 2026-01-05 00:00 UTC, one sample a minute at ``T0 + m`` minutes, ``m`` = 0..180,
values chosen so every hourly count can be worked out by hand):

==================================================== ==========================================
series                                               value at minute m
==================================================== ==========================================
http_requests_total{api="orders",code="200"}         10 m
http_requests_total{api="orders",code="500"}         m // 10
http_requests_total{api="orders",code="429"}         0 for m < 120, then 2 (m - 120)
http_requests_total{api=EVIL,code="200"}             m            (EVIL = ``a"} or vector(1) #``)
http_requests_total{api="users",code="200"}          5 m for m <= 90, then 5 (m - 90) (a reset)
http_requests_total{api="users",code="503"}          m // 5, no samples for 130 <= m <= 150
http_request_duration_seconds_bucket{api="orders"}   le=0.1: 6 m; 0.5: 9 m; +Inf: 10 m + m // 10
http_request_duration_seconds_count{api="orders"}    10 m + m // 10
http_request_duration_seconds_sum{api="orders"}      2 m
kong_http_requests_total{service="pay",code="200"}   4 m
kong_request_latency_ms_bucket{service="pay"}        le=250: 3 m; le=1000: 4 m; le=+Inf: 4 m
kong_request_latency_ms_count / _sum                 4 m / 500 m (milliseconds)
==================================================== ==========================================
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from apislo.sources.prometheus.local import LocalPrometheus, backfill
from tests.conftest import require_binary

T0 = pd.Timestamp("2026-01-05T00:00:00Z")
MINUTES = 180
EVIL = 'a"} or vector(1) #'


def _om_value(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _escape_om(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _series(name: str, labels: dict[str, str], value: Callable[[int], float | None]) -> list[str]:
    rendered = ",".join(f'{k}="{_escape_om(v)}"' for k, v in labels.items())
    t0 = int(T0.timestamp())
    lines = []
    for m in range(MINUTES + 1):
        v = value(m)
        if v is not None:
            lines.append(f"{name}{{{rendered}}} {_om_value(v)} {t0 + 60 * m}")
    return lines


def fixture_openmetrics() -> str:
    """The OpenMetrics text of the table in this module's docstring."""
    lines = ["# TYPE http_requests counter"]
    lines += _series("http_requests_total", {"api": "orders", "code": "200"}, lambda m: 10 * m)
    lines += _series("http_requests_total", {"api": "orders", "code": "500"}, lambda m: m // 10)
    lines += _series(
        "http_requests_total", {"api": "orders", "code": "429"}, lambda m: max(0, 2 * (m - 120))
    )
    lines += _series("http_requests_total", {"api": EVIL, "code": "200"}, lambda m: m)
    lines += _series(
        "http_requests_total",
        {"api": "users", "code": "200"},
        lambda m: 5 * m if m <= 90 else 5 * (m - 90),
    )
    lines += _series(
        "http_requests_total",
        {"api": "users", "code": "503"},
        lambda m: None if 130 <= m <= 150 else m // 5,
    )
    lines.append("# TYPE http_request_duration_seconds histogram")
    h = "http_request_duration_seconds"
    lines += _series(f"{h}_bucket", {"api": "orders", "le": "0.1"}, lambda m: 6 * m)
    lines += _series(f"{h}_bucket", {"api": "orders", "le": "0.5"}, lambda m: 9 * m)
    lines += _series(f"{h}_bucket", {"api": "orders", "le": "+Inf"}, lambda m: 10 * m + m // 10)
    lines += _series(f"{h}_count", {"api": "orders"}, lambda m: 10 * m + m // 10)
    lines += _series(f"{h}_sum", {"api": "orders"}, lambda m: 2 * m)
    lines.append("# TYPE kong_http_requests counter")
    lines += _series("kong_http_requests_total", {"service": "pay", "code": "200"}, lambda m: 4 * m)
    lines.append("# TYPE kong_request_latency_ms histogram")
    k = "kong_request_latency_ms"
    lines += _series(f"{k}_bucket", {"service": "pay", "le": "250.0"}, lambda m: 3 * m)
    lines += _series(f"{k}_bucket", {"service": "pay", "le": "1000.0"}, lambda m: 4 * m)
    lines += _series(f"{k}_bucket", {"service": "pay", "le": "+Inf"}, lambda m: 4 * m)
    lines += _series(f"{k}_count", {"service": "pay"}, lambda m: 4 * m)
    lines += _series(f"{k}_sum", {"service": "pay"}, lambda m: 500 * m)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def prom_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TSDB directory backfilled by promtool, built once per session (never served directly)."""
    require_binary("promtool")
    root = tmp_path_factory.mktemp("prom-fixture")
    om = root / "fixture.om"
    om.write_text(fixture_openmetrics())
    return backfill(om, root / "data", max_block_duration="24h")


@pytest.fixture(scope="session")
def prom_url(prom_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Prometheus serving a copy of the fixture data on a free loopback port."""
    require_binary("prometheus")
    data = tmp_path_factory.mktemp("prom-serve") / "data"
    shutil.copytree(prom_data, data)
    with LocalPrometheus(data) as server:
        yield server.url
