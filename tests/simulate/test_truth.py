"""truth.json against the events counted a second way, and against the OpenMetrics samples."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from apislo.simulate import SimulationResult
from apislo.simulate.truth import COUNT_COLUMNS

from .conftest import SMALL


def _pandas_counts(events: pd.DataFrame) -> pd.DataFrame:
    """The truth's counts, per (api, hour), with pandas on the generated events."""
    status = events["status"].astype(int)
    flags = pd.DataFrame(
        {
            "api": events["api"],
            "ts": events["ts"].dt.floor("h"),
            "requests": 1,
            "status_2xx": status // 100 == 2,
            "status_3xx": status // 100 == 3,
            "status_4xx": status // 100 == 4,
            "status_5xx": status // 100 == 5,
            "status_429": status == 429,
            "latency_gt_0.3s": events["latency_s"] > 0.3,
        }
    )
    return flags.groupby(["api", "ts"]).sum().astype(int)


def _om_samples(path) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        sep=" ",
        names=["series", "value", "t"],
        comment="#",
        dtype={"series": str, "value": float, "t": "int64"},
    )
    labels = frame["series"].str.extract(
        r'^(?P<name>[a-z_]+)\{api="(?P<api>[^"]+)"(?:,method="(?P<method>[A-Z]+)",'
        r'code="(?P<code>\d+)")?(?:,le="(?P<le>[^"]+)")?\}$'
    )
    assert labels["name"].notna().all()
    return pd.concat([labels, frame], axis=1)


@pytest.fixture(scope="module")
def om_samples(small: SimulationResult) -> pd.DataFrame:
    """The small simulation's OpenMetrics samples, one row each (parsed once: ~0.4 M lines)."""
    return _om_samples(small.openmetrics.path)


def _epoch_s(ts: pd.Timestamp | pd.DatetimeIndex):
    return (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def test_truth_file_is_what_was_returned(small: SimulationResult) -> None:
    on_disk = json.loads(small.truth_path.read_text())
    assert on_disk == json.loads(json.dumps(small.truth))
    assert set(on_disk["apis"]) == {"orders", "payments", "catalog", "users"}
    assert [e["kind"] for e in on_disk["episodes"]] == [
        "outage",
        "latency-regression",
        "traffic-spike",
        "abusive-consumer",
        "low-traffic",
    ]
    for ep in on_disk["episodes"]:
        assert ep["start"] < ep["end"] and ep["start"].endswith("Z")


def test_truth_equals_pandas_counts(small: SimulationResult) -> None:
    expected = _pandas_counts(small.events.to_pandas())
    for api, entry in small.truth["apis"].items():
        hourly = pd.DataFrame(entry["hourly"])
        assert len(hourly) == SMALL["days"] * 24  # every hour, zeros included
        hourly["ts"] = pd.to_datetime(hourly["ts"], utc=True)
        got = hourly.set_index("ts")[list(COUNT_COLUMNS)]
        want = expected.loc[api].reindex(got.index, fill_value=0)[list(COUNT_COLUMNS)]
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_freq=False)
        for column in COUNT_COLUMNS:
            assert entry[column] == int(want[column].sum())
    totals = expected.sum()
    assert small.truth["totals"] == {c: int(totals[c]) for c in COUNT_COLUMNS}


def test_openmetrics_samples_equal_truth(small: SimulationResult, om_samples: pd.DataFrame) -> None:
    samples = om_samples
    hour_starts = pd.to_datetime(small.truth["apis"]["orders"]["hourly"]["ts"], utc=True)
    edges = np.r_[_epoch_s(hour_starts), _epoch_s(hour_starts[-1]) + 3600]
    for api, entry in small.truth["apis"].items():
        counter = samples[(samples["name"] == "http_requests_total") & (samples["api"] == api)]
        at_edges = counter[counter["t"].isin(edges)].pivot_table(
            index="t", columns="code", values="value", aggfunc="sum"
        )
        per_hour = at_edges.diff().iloc[1:]  # x @ t2 - x @ t1 = requests with t1 <= ts < t2
        codes = per_hour.columns.astype(int)
        np.testing.assert_array_equal(per_hour.sum(axis=1), entry["hourly"]["requests"])
        np.testing.assert_array_equal(
            per_hour.loc[:, codes // 100 == 5].sum(axis=1), entry["hourly"]["status_5xx"]
        )
        np.testing.assert_array_equal(
            per_hour.loc[:, codes == 429].sum(axis=1), entry["hourly"]["status_429"]
        )
        hist = samples[samples["api"] == api]
        count = hist[hist["name"] == "http_request_duration_seconds_count"].set_index("t")["value"]
        le03 = hist[
            (hist["name"] == "http_request_duration_seconds_bucket") & (hist["le"] == "0.3")
        ].set_index("t")["value"]
        slow = (count - le03).loc[edges].diff().iloc[1:]
        np.testing.assert_array_equal(slow, entry["hourly"]["latency_gt_0.3s"])
        assert count.iloc[-1] == entry["requests"]


def test_openmetrics_layout(small: SimulationResult, om_samples: pd.DataFrame) -> None:
    text = small.openmetrics.path.read_text()
    assert text.endswith("\n# EOF\n")
    samples = om_samples
    start = _epoch_s(pd.Timestamp(small.truth["start"]))
    end = _epoch_s(pd.Timestamp(small.truth["end"]))
    # timestamps in seconds, every 60 s from start to end, each series starting at 0
    assert samples["t"].min() == start and samples["t"].max() == end
    per_series = samples.groupby("series", sort=False)
    assert (per_series["t"].first() == start).all()
    assert (per_series["value"].first() == 0).all()
    assert (per_series["t"].count() == (end - start) // 60 + 1).all()
    assert per_series["t"].apply(lambda t: bool((np.diff(t) == 60).all())).all()
    assert per_series["value"].apply(lambda v: bool((np.diff(v) >= 0).all())).all()
    # families not interleaved: all counter lines, then all histogram lines
    names = samples["name"].str.startswith("http_requests").to_numpy()
    assert names[: names.sum()].all()
    # a histogram point: buckets by ascending le (canonical), then _count, then _sum
    hist_lines = [line for line in text.splitlines() if line.startswith("http_request_duration")]
    first_point = [line.split(" ")[0] for line in hist_lines[:11]]
    assert [s.split('le="')[1][:-2] for s in first_point[:9]] == [
        "0.05",
        "0.1",
        "0.2",
        "0.3",
        "0.5",
        "1.0",
        "2.0",
        "5.0",
        "+Inf",
    ]
    assert first_point[9].startswith("http_request_duration_seconds_count{")
    assert first_point[10].startswith("http_request_duration_seconds_sum{")
    assert "# TYPE http_requests counter" in text
    assert "# UNIT http_request_duration_seconds seconds" in text


def test_histogram_sum_is_exact(small: SimulationResult, om_samples: pd.DataFrame) -> None:
    samples = om_samples
    sums = samples[samples["name"] == "http_request_duration_seconds_sum"]
    last = sums.groupby("api")["value"].last()
    events = small.events.to_pandas()
    want = (events["latency_s"] * 1000).round().groupby(events["api"]).sum() / 1000
    pd.testing.assert_series_equal(
        last.sort_index(), want.sort_index(), check_names=False, rtol=0, atol=1e-6
    )


@pytest.mark.parametrize("step", [0, 1.5])
def test_bad_step_is_refused(small: SimulationResult, tmp_path, step) -> None:
    from apislo.errors import ConfigError
    from apislo.simulate.openmetrics import write_openmetrics

    with pytest.raises(ConfigError, match="whole number of seconds"):
        write_openmetrics(
            small.events,
            tmp_path / "m.om",
            pd.Timestamp(small.truth["start"]),
            pd.Timestamp(small.truth["end"]),
            step_s=step,
        )


def test_episode_counts_equal_pandas_counts(small: SimulationResult) -> None:
    events = small.events.to_pandas()
    for ep in small.truth["episodes"]:
        window = (
            (events["api"] == ep["api"])
            & (events["ts"] >= pd.Timestamp(ep["start"]))
            & (events["ts"] < pd.Timestamp(ep["end"]))
        )
        if "consumer" in ep:
            window &= events["consumer"] == ep["consumer"]
        inside = events[window]
        status = inside["status"].astype(int)
        assert ep["counts"] == {
            "requests": len(inside),
            "status_2xx": int((status // 100 == 2).sum()),
            "status_3xx": int((status // 100 == 3).sum()),
            "status_4xx": int((status // 100 == 4).sum()),
            "status_5xx": int((status // 100 == 5).sum()),
            "status_429": int((status == 429).sum()),
            "latency_gt_0.3s": int((inside["latency_s"] > 0.3).sum()),
        }, ep["kind"]
    outage = next(e for e in small.truth["episodes"] if e["kind"] == "outage")
    assert outage["counts"]["status_5xx"] > 0.4 * outage["counts"]["requests"]
