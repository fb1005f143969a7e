"""Bucket columns from an exporter's ``le`` labels are named as the traffic frame from logs
names them (``apislo.model.bucket_column``), whatever the division into seconds leaves in the
last bits. No server: the series as the client gives them."""

from __future__ import annotations

import pandas as pd
import pytest

from apislo.sources.prometheus.traffic import _bucket_columns

TS = pd.Timestamp("2026-11-02T00:00:00Z")
# a millisecond histogram: `33.3 / 1000` is 0.033299999999999996, not the float 0.0333
SERIES = pd.DataFrame(
    {"ts": [TS] * 3, "api": ["a"] * 3, "le": ["33.3", "300", "+Inf"], "value": [4.0, 7.0, 9.0]}
)


@pytest.mark.parametrize(
    ("thresholds_s", "buckets"),
    [
        (None, {"le_0.0333": 4.0, "le_0.3": 7.0}),
        ([0.0333, 0.3], {"le_0.0333": 4.0, "le_0.3": 7.0}),
        # a threshold within 1e-9 of a bucket takes it, under the name the log side gives it
        ([0.1 + 0.2], {"le_0.30000000000000004": 7.0}),
        # two thresholds within 1e-9 of one bucket (300 ms) both take it: the second column
        # was NaN, read as no request at all under it
        ([0.3, 0.1 + 0.2], {"le_0.3": 7.0, "le_0.30000000000000004": 7.0}),
    ],
)
def test_millisecond_bounds_name_their_columns_as_the_seconds_they_are(
    thresholds_s: list[float] | None, buckets: dict[str, float]
) -> None:
    frame = _bucket_columns(SERIES, ["api"], 1000.0, thresholds_s)
    assert frame.to_dict("records") == [{"ts": TS, "api": "a", **buckets}]
