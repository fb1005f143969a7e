"""Error budgets are rounded to 12 significant digits, without the binary rounding error of
``(1 - target) x slices x minutes``."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate


def _events(n: int = 1) -> pd.DataFrame:
    """``n`` 200s at 2026-03-02T10:00:10Z."""
    return pd.DataFrame(
        {
            "ts": pd.DatetimeIndex(["2026-03-02T10:00:10Z"] * n),
            "api": "a",
            "route": "/a",
            "status": [200] * n,
            "latency_s": 0.1,
        }
    )


def test_timeslices_budget_of_a_utc_day_of_hours_is_144_minutes() -> None:
    """A calendar day (UTC) of 1-hour slices at 90 %: 0.1 x 24 slices x 60 = 144 minutes
    exactly (in floating point 0.1 x 24 x 60 is 144.00000000000003); 1 good slice of 24
    finished at 2026-03-03T00:00Z, with no bad one: remaining 1."""
    slo = SLO(
        name="d",
        service="q",
        api="a",
        sli=SLI(),
        objectives=(Objective(0.9, timeslice_target=0.9, timeslice_window=timedelta(hours=1)),),
        window=TimeWindow.calendar_window("day", "UTC"),
        budgeting_method="Timeslices",
    )
    (row,) = evaluate(slo, _events(), at="2026-03-03T00:00Z", series=False).summary.to_dict(
        "records"
    )
    assert repr(row["error_budget"]) == "144.0"
    assert (row["good"], row["total"], row["remaining"]) == (24, 24, 1.0)


def test_occurrences_budget_in_events() -> None:
    """90 % of 3 events: 0.1 x 3 = 0.3 events (in floating point 0.30000000000000004)."""
    slo = SLO(
        name="o",
        service="q",
        api="a",
        sli=SLI(),
        objectives=(Objective(0.9),),
        window=TimeWindow.rolling_window(timedelta(days=1)),
    )
    (row,) = evaluate(slo, _events(3), at="2026-03-03T00:00Z", series=False).summary.to_dict(
        "records"
    )
    assert repr(row["error_budget"]) == "0.3"
