"""Properties of the generated traffic, each checked against a rule worked out by hand."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import polars as pl
import pytest

from apislo.simulate import SimulationResult
from apislo.simulate.catalog import CONSUMER_NAMES, PLANS, plan_of_rank
from apislo.simulate.episodes import ABUSIVE_CONSUMER
from apislo.sources.logs.base import RAW_SCHEMA

from .conftest import END, SMALL


def _episode(result: SimulationResult, kind: str) -> dict:
    (ep,) = [e for e in result.truth["episodes"] if e["kind"] == kind]
    return ep


def _window(events: pd.DataFrame, ep: dict) -> pd.Series:
    start, end = pd.Timestamp(ep["start"]), pd.Timestamp(ep["end"])
    return (events["api"] == ep["api"]) & (events["ts"] >= start) & (events["ts"] < end)


@pytest.fixture(scope="module")
def events(small: SimulationResult) -> pd.DataFrame:
    return small.events.to_pandas()


def test_schema_and_period(small: SimulationResult, events: pd.DataFrame) -> None:
    assert dict(small.events.schema) == RAW_SCHEMA
    start = END - timedelta(days=SMALL["days"])
    assert small.truth["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert small.truth["end"] == "2026-11-18T12:00:00Z"
    assert events["ts"].min() >= pd.Timestamp(start)
    assert events["ts"].max() < pd.Timestamp(END)
    assert events["ts"].is_monotonic_increasing


def test_latencies_whole_ms_and_ends_on_whole_seconds(events: pd.DataFrame) -> None:
    latency_ms = (events["latency_s"] * 1000).round()
    np.testing.assert_array_equal(events["latency_s"], latency_ms / 1000)  # the float of n ms
    assert (latency_ms >= 1).all()
    ts_us = events["ts"].astype("int64")  # microseconds since the epoch
    end_us = ts_us + latency_ms.round().astype("int64") * 1000
    assert (end_us % 1_000_000 == 0).all()
    # integer byte counts, never negative
    assert (events["bytes_in"] > 0).all() and (events["bytes_out"] >= 0).all()


def test_paths_carry_versions_and_ids(events: pd.DataFrame) -> None:
    pattern = (
        r"^/v[12]/(?P<api>[a-z]+)"
        r"(\?page=\d+|/(\d+|[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
        r"|[0-9a-f]{24})(/[a-z]+)?)?$"
    )
    parts = events["path"].str.extract(pattern)
    assert parts["api"].notna().all(), events["path"][parts["api"].isna()].head()
    assert (parts["api"] == events["api"]).all()
    assert (events["path"].str.slice(1, 3) == events["api_version"]).all()


def test_v1_share_falls(events: pd.DataFrame) -> None:
    # v1's share at time t is 0.7 - 0.6 (t - start) / period (t = the request's minute), so a
    # quarter's share is the mean of that line over its requests (the scraper, always v1, is
    # left out); binomial sd < 0.006 per quarter here
    normal = events[events["consumer"] != ABUSIVE_CONSUMER]
    start = pd.Timestamp(END) - pd.Timedelta(days=SMALL["days"])
    progress = (normal["ts"].dt.floor("min") - start) / pd.Timedelta(days=SMALL["days"])
    expected = 0.7 - 0.6 * progress
    quarter = (progress * 4).astype(int)
    share = (normal["api_version"] == "v1").groupby(quarter).mean()
    np.testing.assert_allclose(share, expected.groupby(quarter).mean(), atol=0.02)
    assert share[0] > 0.55 and share[3] < 0.25


def test_outage_window_contains_the_5xx_burst(
    small: SimulationResult, events: pd.DataFrame
) -> None:
    ep = _episode(small, "outage")
    inside = _window(events, ep)
    api = events["api"] == ep["api"]
    is5 = events["status"] >= 500
    # 60 % of the non-429 requests fail inside the window (+ the 0.08 % base rate; tolerance:
    # 3 binomial sd); outside, the base 5xx rate is 0.08 %
    answered = inside & (events["status"] != 429)
    n = int(answered.sum())
    assert n > 50
    assert is5[answered].mean() == pytest.approx(0.6, abs=3 * np.sqrt(0.24 / n))
    assert is5[api & ~inside].mean() < 0.005
    # every 503 answered by the gateway itself (no upstream) on that API is inside the window
    gateway_503 = api & (events["status"] == 503) & events["upstream_latency_s"].isna()
    assert gateway_503.sum() > 0 and (gateway_503 <= inside).all()


def test_504s_wait_for_the_upstream_timeout(events: pd.DataFrame) -> None:
    proxied_504 = (events["status"] == 504) & events["upstream_latency_s"].notna()
    assert proxied_504.sum() > 0
    assert (events.loc[proxied_504, "upstream_latency_s"] == 5.0).all()
    assert events.loc[proxied_504, "latency_s"].between(5.001, 5.003).all()


def test_quotas_are_enforced_exactly(events: pd.DataFrame) -> None:
    quota = {
        name: PLANS[plan_of_rank(rank)].quota_per_hour for rank, name in enumerate(CONSUMER_NAMES)
    }
    quota[ABUSIVE_CONSUMER] = PLANS["free"].quota_per_hour
    hour = events["ts"].dt.floor("h")
    g = events.assign(hour=hour, limited=events["status"] == 429).groupby(
        ["api", "consumer", "hour"]
    )
    per = g.agg(ok=("limited", lambda s: int((~s).sum())), limited=("limited", "sum"))
    per["quota"] = per.index.get_level_values("consumer").map(quota)
    # nobody gets more than their plan's hourly quota through ...
    assert (per["ok"] <= per["quota"].fillna(np.inf)).all()
    # ... and a consumer is only refused once its quota is used up
    refused = per[per["limited"] > 0]
    assert len(refused) > 0
    assert (refused["ok"] == refused["quota"]).all()


def test_abusive_consumer(small: SimulationResult, events: pd.DataFrame) -> None:
    ep = _episode(small, "abusive-consumer")
    mine = events["consumer"] == ep["consumer"]
    assert (mine <= _window(events, ep)).all()  # only inside its window, only on its API
    # free plan: 25 allowed per hour, 0.8 rps x 0.5 = 1,440 an hour: > 95 % refused
    assert (events.loc[mine, "status"] == 429).mean() > 0.95


def test_low_traffic_api(small: SimulationResult) -> None:
    apis = small.truth["apis"]
    low = _episode(small, "low-traffic")["api"]
    assert low == list(apis)[-1]
    # 0.004 rps x 0.5 x 2 days = 346 expected (Poisson sd ~19, lognormal noise adds ~1 %)
    assert 250 < apis[low]["requests"] < 450
    others = [a["requests"] for name, a in apis.items() if name != low]
    assert min(others) > 20 * apis[low]["requests"]


def test_spike_raises_latency(small: SimulationResult, events: pd.DataFrame) -> None:
    ep = _episode(small, "traffic-spike")
    inside = _window(events, ep) & events["upstream_latency_s"].notna()
    day_before = dict(
        ep,
        start=pd.Timestamp(ep["start"]) - pd.Timedelta(days=1),
        end=pd.Timestamp(ep["end"]) - pd.Timedelta(days=1),
    )
    before = _window(events, day_before) & events["upstream_latency_s"].notna()
    # the load doubles: proxied requests double (less up to ~17 % shed where rho > 0.95; a few %
    # of Poisson and lognormal noise), utilisation ~0.45 -> ~0.9, so queueing delays appear and
    # the 95th percentile grows by far more than the noise
    n_in, n_before = inside.sum(), before.sum()
    assert 1.6 < n_in / n_before < 2.6
    p95_in = events.loc[inside, "latency_s"].quantile(0.95)
    p95_before = events.loc[before, "latency_s"].quantile(0.95)
    assert p95_in > 1.5 * p95_before


def test_latency_regression_slows_the_backend(
    small: SimulationResult, events: pd.DataFrame
) -> None:
    ep = _episode(small, "latency-regression")
    api = events["api"] == ep["api"]
    ok = events["status"].between(200, 299)
    inside = _window(events, ep)
    # service times x1.8, and higher utilisation adds queueing: the median grows by >= 1.6x
    med_in = events.loc[inside & ok, "upstream_latency_s"].median()
    med_out = events.loc[api & ~inside & ok, "upstream_latency_s"].median()
    assert med_in > 1.6 * med_out


def test_events_come_from_the_generator_not_the_logs(small: SimulationResult) -> None:
    # the test-tsv log holds exactly the events of its API, in order
    for name, path in small.logs.items():
        lines = path.read_text().splitlines()
        mine = small.events.filter(pl.col("api") == name)
        assert len(lines) == mine.height
        assert lines[0].split("\t")[2] == mine["path"][0]
