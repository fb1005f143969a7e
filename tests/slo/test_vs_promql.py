"""Second opinion from a real Prometheus: the same simulated day, SLIs computed by PromQL
(``sum by (api) (increase(...[1d]))`` evaluated by Prometheus itself) and by apislo, from the logs
and from Prometheus.

The simulator samples each counter every 60 s from 0 at the period start, so at the end of the
day ``increase(x[1d])`` has samples on both ends of its window and is the exact count (see
tests/prometheus/test_vs_logs.py).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import apislo
from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate
from apislo.sources.prometheus import Prometheus
from tests.conftest import SIMULATED_END, SimulatedPrometheus

pytestmark = pytest.mark.prometheus
END = SIMULATED_END
DAY = TimeWindow.rolling_window(timedelta(days=1))


@pytest.fixture
def sim(simulated_prometheus: SimulatedPrometheus) -> tuple[str, pd.DataFrame]:
    """(Prometheus URL, events read from the logs)."""
    return simulated_prometheus.url, simulated_prometheus.events


def _promql(url: str, query: str) -> dict[str, float]:
    frame = Prometheus(url, cache=False).query(query, at=END)
    return {str(row["api"]): float(row["value"]) for _, row in frame.iterrows()}


def _by_api(summary: pd.DataFrame, column: str) -> dict[str, float]:
    rows = summary[summary["group"].str.startswith("api=")]
    return {g[4:]: float(v) for g, v in zip(rows["group"], rows[column], strict=True)}


def test_availability_sli_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    url, events = sim
    bad = _promql(url, 'sum by (api) (increase(http_requests_total{code=~"5.."}[1d]))')
    total = _promql(url, "sum by (api) (increase(http_requests_total[1d]))")
    expected = {api: 1 - bad.get(api, 0.0) / total[api] for api in total}
    slo = SLO("avail", "sim", SLI(), (Objective(0.99),), DAY, group_by=("api",))
    from_logs = evaluate(slo, events, at=END, step="1h", series=False).summary
    from_prom = evaluate(slo, url, at=END, step="1h", series=False).summary
    assert set(_by_api(from_logs, "sli")) == set(expected)
    for api, sli in expected.items():
        assert _by_api(from_logs, "sli")[api] == pytest.approx(sli, abs=1e-12), api
        assert _by_api(from_prom, "sli")[api] == pytest.approx(sli, abs=1e-12), api
        assert _by_api(from_logs, "total")[api] == pytest.approx(total[api], abs=1e-6)


def test_latency_sli_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    url, events = sim
    fast = _promql(
        url, 'sum by (api) (increase(http_request_duration_seconds_bucket{le="0.3"}[1d]))'
    )
    count = _promql(url, "sum by (api) (increase(http_request_duration_seconds_count[1d]))")
    slo = SLO(
        "fast", "sim", SLI(kind="latency", threshold_s=0.3), (Objective(0.9),), DAY,
        group_by=("api",),
    )  # fmt: skip
    from_logs = _by_api(evaluate(slo, events, at=END, step="1h", series=False).summary, "sli")
    from_prom = _by_api(evaluate(slo, url, at=END, step="1h", series=False).summary, "sli")
    for api in count:
        assert from_logs[api] == pytest.approx(fast[api] / count[api], abs=1e-12), api
        assert from_prom[api] == pytest.approx(fast[api] / count[api], abs=1e-12), api


def test_threshold_between_buckets_is_refused_for_prometheus(
    sim: tuple[str, pd.DataFrame],
) -> None:
    url, _ = sim
    slo = SLO("odd", "sim", SLI(kind="latency", threshold_s=0.25), (Objective(0.9),), DAY)
    # The Prometheus source refuses it, naming the exporter's buckets.
    with pytest.raises(apislo.errors.ConfigError, match=r"no bucket at \[0\.25\] s.*0\.3"):
        evaluate(slo, url, at=END, step="1h", series=False)


def test_ratio_sli_from_queries_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    # A Sloth/OpenSLO-style ratio SLI: apislo runs the queries hour by hour ({{.window}} = 1h)
    # and sums the hours; Prometheus computes the day in one go.
    url, _ = sim
    bad = sum(
        _promql(url, 'sum by (api) (increase(http_requests_total{code=~"5.."}[1d]))').values()
    )
    total = sum(_promql(url, "sum by (api) (increase(http_requests_total[1d]))").values())
    sli = SLI(
        kind="ratio",
        bad_query='sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
        total_query="sum(increase(http_requests_total[{{ .window }}]))",
    )
    slo = SLO("ratio", "sim", sli, (Objective(0.99),), DAY)
    row = evaluate(slo, url, at=END, step="1h", series=False).summary.iloc[0]
    assert row["total"] == pytest.approx(total, abs=1e-6)
    assert row["sli"] == pytest.approx(1 - bad / total, abs=1e-12)
