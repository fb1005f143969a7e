"""OpenSLO ``op: lt`` evaluated from events: a request at exactly the threshold is not good."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate


def test_op_lt_leaves_out_requests_at_exactly_the_threshold() -> None:
    # latencies 0.1, 0.3, 0.3, 0.5 s: 3 of 4 at most 0.3 s (lte), 1 of 4 below it (lt)
    t = pd.Timestamp("2026-03-02T00:00:10Z")
    events = pd.DataFrame(
        {
            "ts": [t, t, t + pd.Timedelta("1min"), t + pd.Timedelta("1min")],
            "api": "orders",
            "status": 200,
            "latency_s": [0.1, 0.3, 0.3, 0.5],
        }
    )
    objectives = (
        Objective(0.9, name="lt", threshold_s=0.3, threshold_op="lt"),
        Objective(0.9, name="lte", threshold_s=0.3),
    )
    slo = SLO("o", "shop", SLI(kind="latency"), objectives,
              TimeWindow.rolling_window(timedelta(minutes=10)), api="orders")  # fmt: skip
    summary = evaluate([slo], events, at="2026-03-02T00:03:00Z").summary.set_index("objective")
    assert summary.loc["lt", "sli"] == pytest.approx(0.25, abs=1e-12)
    assert summary.loc["lte", "sli"] == pytest.approx(0.75, abs=1e-12)
