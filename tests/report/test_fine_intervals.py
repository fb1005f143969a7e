"""Charts over time of fine intervals: Altair refused data of over 5,000 rows, so a day of
one-minute intervals for six APIs failed the explore report; intervals are now merged (counts
summed, exact) until at most :data:`apislo.charts.MAX_CHART_INTERVALS` remain."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from apislo import charts
from apislo.aggregate import merge_intervals
from apislo.errors import ConfigError
from apislo.report import views


def test_merging_sums_counts_of_k_intervals_per_group() -> None:
    """Seven one-minute intervals, at most 3: three minutes per merged interval (two would
    leave four), stamped with their first minute; each API summed on its own."""
    ts = pd.date_range("2026-11-01", periods=7, freq="1min", tz="UTC")
    frame = pd.DataFrame(
        {
            "ts": list(ts) * 2,
            "api": ["a"] * 7 + ["b"] * 7,
            "requests": [1, 2, 3, 4, 5, 6, 7, 10, 20, 30, 40, 50, 60, 70],
        }
    )
    frame["ts"] = frame["ts"].astype(pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    merged = merge_intervals(frame, 3, "api")
    assert merged["ts"].dtype == frame["ts"].dtype
    assert [str(t) for t in merged["ts"]] == [
        f"2026-11-01 00:0{m}:00+00:00" for m in (0, 0, 3, 3, 6, 6)
    ]
    assert merged["api"].tolist() == ["a", "b"] * 3
    assert merged["requests"].tolist() == [6, 60, 15, 150, 7, 70]


def test_few_intervals_are_left_as_they_are() -> None:
    ts = pd.date_range("2026-11-01", periods=3, freq="1h", tz="UTC")
    frame = pd.DataFrame({"ts": ts, "requests": [1, 2, 3]})
    assert merge_intervals(frame, 3) is frame
    with pytest.raises(ConfigError, match="max_intervals=0"):
        merge_intervals(frame, 0)


def _day_of_minutes(apis: int) -> pd.DataFrame:
    """A traffic frame of 1,440 one-minute intervals per API: 2 requests a minute, one of them
    a 5xx, one answered within 0.1 s and the other within 0.5 s."""
    ts = pd.date_range("2026-11-27", periods=1440, freq="1min", tz="UTC")
    parts = [
        pd.DataFrame(
            {
                "ts": ts,
                "api": f"api-{i}",
                "requests": 2,
                "status_2xx": 1,
                "status_3xx": 0,
                "status_4xx": 0,
                "status_5xx": 1,
                "status_429": 0,
                "latency_count": 2,
                "latency_sum_s": 0.6,
                "le_0.1": 1,
                "le_0.5": 2,
            }
        )
        for i in range(apis)
    ]
    return pd.concat(parts, ignore_index=True)


def test_a_day_of_minutes_for_six_apis_is_charted_in_two_minute_intervals() -> None:
    """1,440 intervals > 720: two minutes each, so 720 per API. The median of 4 requests (2 at
    most 0.1 s, 4 at most 0.5 s) is the 0.1 s bucket's bound, as PromQL's
    histogram_quantile gives; 6 APIs x 720 x 3 quantiles = 12,960 rows, over Altair's 5,000."""
    traffic = _day_of_minutes(6)
    latency = views.latency_over_time(traffic, "api")
    assert len(latency) == 6 * 720 * 3
    first = latency[(latency["api"] == "api-0") & (latency["quantile"] == "p50")].iloc[0]
    assert (str(first["ts"]), first["latency_s"]) == ("2026-11-27 00:00:00+00:00", 0.1)
    charts.setup("svg")
    spec = charts.latency_bands(latency).to_dict()  # raised MaxRowsError before
    assert len(next(iter(spec["datasets"].values()))) == 12_960
    mix = charts.status_mix(traffic).to_dict()
    (rows,) = spec_rows(mix)
    assert len(rows) == 720 * 4  # four status classes
    assert rows[0]["requests"] == 6 * 2  # one 2xx per API and minute, two minutes
    assert mix["encoding"]["y"]["title"] == "requests per 2m"


def spec_rows(spec: dict) -> list[list[dict]]:
    return list(spec["datasets"].values())
