"""A backtest of an SLO whose two objectives share a target scores each on its own alerts."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

import apislo
from apislo.slo.backtest import backtest, load_incidents
from apislo.slo.policy import Policy, Tier
from apislo.slo.spec import SLI, SLO, Objective, TimeWindow

T = pd.Timestamp("2026-03-02T00:00Z")
M = pd.Timedelta(minutes=1)

#: One tier: fires when the error ratio over the last 10 minutes and the last 5 is above
#: 2 x (1 - 0.9) = 0.2.
POLICY = Policy("p", (Tier("page", "page", timedelta(minutes=10), timedelta(minutes=5), 2.0),))


def _traffic() -> pd.DataFrame:
    """10 requests a minute for 2 hours; those of minutes 60-69 take 0.5 s, the others 0.1 s."""
    rows = [
        (T + m * M + pd.Timedelta(seconds=k), "a", 200, 0.5 if 60 <= m < 70 else 0.1)
        for m in range(120)
        for k in range(10)
    ]
    events = pd.DataFrame(rows, columns=["ts", "api", "status", "latency_s"])
    return apislo.traffic(events, interval="1min", thresholds_s=(0.3, 1.0))


def test_objectives_of_one_target_are_scored_apart() -> None:
    # "fast" (<= 0.3 s): minutes 60-69 are all slow. At t (the end of minute t - 1) the 10-minute
    # window holds the minutes t-10..t-1 and the 5-minute one t-5..t-1; both exceed 0.2 from
    # t = 63 (3 of 10, 3 of 5) to t = 73 (the 5-minute window holds 69 and 68; at 74 one, 0.2,
    # not above): fired 01:03, reset 01:14. "ok" (<= 1 s): nothing is slow, no alert.
    # Until 2026-11-29 both rows said objective 0.9 and each counted the other's alert.
    slo = SLO(
        name="lat",
        service="s",
        api="a",
        sli=SLI(kind="latency", threshold_s=0.3),
        objectives=(Objective(0.9, name="fast"), Objective(0.9, name="ok", threshold_s=1.0)),
        window=TimeWindow.rolling_window(timedelta(days=1)),
    )
    incidents = load_incidents(
        pd.DataFrame({"api": ["a"], "start": [T + 60 * M], "end": [T + 70 * M]})
    )
    result = backtest(slo, _traffic(), [POLICY], incidents)
    assert result.summary["alerts"].tolist() == [1, 0]  # one row per objective, in order
    summary = result.summary.set_index("objective_name")
    fast, ok = summary.loc["fast"], summary.loc["ok"]
    assert (fast["objective"], fast["alerts"], fast["true_alerts"], fast["detected"]) == (
        0.9,
        1,
        1,
        1,
    )
    assert fast["detection_time_max"] == pd.Timedelta(minutes=3)  # 01:00 -> 01:03
    assert (ok["objective"], ok["alerts"], ok["detected"], ok["recall"]) == (0.9, 0, 0, 0.0)
    alerts = result.alerts
    assert alerts[["objective_name", "fired_at", "reset_at"]].values.tolist() == [
        ["fast", T + 63 * M, T + 74 * M]
    ]
    per_incident = result.incidents.set_index("objective_name")["detected"].to_dict()
    assert per_incident == {"fast": True, "ok": False}
