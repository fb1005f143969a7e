"""The alerts of ``evaluate`` use the step it was given, not the smallest gap of the frame.

A hand-built 1-minute traffic frame that holds only the minutes with traffic (here one row every
10 minutes, 00:00 to 01:50, 100 requests each, the 01:50 minute all 5xx) was read by the alert
engine as 10-minute counts until 2026-11-29, while every other figure of the summary used the
1-minute step: the alerts were wrong, or "not evaluated" with advice to use the 1-minute step
that had been given.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from apislo.slo import SLI, SLO, Alerting, Objective, TimeWindow, evaluate
from apislo.slo.alerts import firing_by_group

AT = "2026-01-01T01:51Z"  # the end of the minute 01:50


def _sparse() -> pd.DataFrame:
    ts = pd.date_range("2026-01-01T00:00Z", "2026-01-01T02:00Z", freq="10min", inclusive="left")
    req = np.full(len(ts), 100)
    bad = np.where(ts == pd.Timestamp("2026-01-01T01:50Z"), 100, 0)
    return pd.DataFrame(
        {
            "ts": ts, "api": "checkout", "requests": req, "status_2xx": req - bad,
            "status_3xx": 0, "status_4xx": 0, "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip


def _slo(long: str, short: str) -> SLO:
    tier = {"severity": "page", "long_window": long, "short_window": short, "factor": 10}
    return SLO(
        "checkout", "shop", SLI(), (Objective(0.99),),
        TimeWindow.rolling_window(timedelta(days=1)), api="checkout",
        alerting=Alerting(tiers=(tier,)),
    )  # fmt: skip


def test_a_sparse_frame_fires_at_the_step_given() -> None:
    # Threshold: error ratio > 10 x (1 - 0.99) = 0.1. At 01:51, the short window (minutes
    # 01:41-01:50) holds the 01:50 row alone: 100/100 = 1; the long one (01:31-01:50) the 01:40
    # and 01:50 rows: 100/200 = 0.5. Both above 0.1: it fires. Read as 10-minute counts, the
    # 01:50 row ran to 02:00 and was left out at 01:51: nothing fired.
    slo, traffic = _slo("20m", "10m"), _sparse()
    result = evaluate(slo, traffic, at=AT, step="1min", series=False)
    row = result.summary.iloc[0]
    assert (row["burn_10m"], row["burn_20m"]) == (100.0, 50.0)
    assert row["alerts_firing"] == ["CheckoutPageBurnRate20m"]
    assert firing_by_group(slo, traffic, AT, step="1min") == [{"": ["CheckoutPageBurnRate20m"]}]


def test_a_sparse_frame_is_evaluated_for_windows_shorter_than_its_gaps() -> None:
    # A 10m/5m tier at 1-minute steps: short (01:46-01:50) and long (01:41-01:50) windows both
    # hold the 01:50 row alone, error ratio 1: it fires. Read as 10-minute counts, 5m is not a
    # whole number of them: "not evaluated", advising the 1-minute step it was given.
    result = evaluate(_slo("10m", "5m"), _sparse(), at=AT, step="1min", series=False)
    assert result.alerts_not_evaluated == {}
    assert result.summary["alerts_firing"].tolist() == [["CheckoutPageBurnRate10m"]]
