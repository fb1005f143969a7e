"""Timeslices and RatioTimeslices SLOs over a calendar window just after a period starts.

The window at ``at`` is the calendar period holding the instant just before ``at`` (an ``at``
on a boundary ends the period before it), counted from its start with only the units that have
ended. When ``at`` falls inside the first, unfinished slice of a new period, no slice of that
period has ended: the window is the empty new period, not the end of the old one (whose rows
were read only from ``at - 3d`` and gave a truncated old period against the whole period's
budget).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate

OCTOBER = TimeWindow.calendar_window("month", "UTC")


def _october_hourly() -> pd.DataFrame:
    """One request an hour at hh:00:30 through October 2026 (744 requests), the first 48 of
    them 500, the others 200; plus one 200 at 2026-11-01T00:00:30Z."""
    ts = pd.date_range("2026-10-01T00:00:30Z", "2026-11-01T00:00:30Z", freq="1h")
    status = np.where(ts < pd.Timestamp("2026-10-03T00:00Z"), 500, 200)
    return pd.DataFrame({"ts": ts, "api": "a", "route": "/a", "status": status, "latency_s": 1.0})


def _slo(method: str, slice_window: timedelta, window: TimeWindow = OCTOBER) -> SLO:
    target = 0.9 if method == "Timeslices" else None
    return SLO(
        name="mo",
        service="q",
        api="a",
        sli=SLI(),
        objectives=(Objective(0.9, timeslice_target=target, timeslice_window=slice_window),),
        window=window,
        budgeting_method=method,  # type: ignore[arg-type]
    )


def _row(slo: SLO, events: pd.DataFrame, at: str) -> pd.Series:
    (row,) = evaluate(slo, events, at=at, series=False).summary.to_dict("records")
    return pd.Series(row)


FIVE_MIN, HOUR = timedelta(minutes=5), timedelta(hours=1)


def test_at_the_boundary_the_whole_old_period_is_evaluated() -> None:
    """At 2026-11-01T00:00Z the window is October, read whole.

    5-minute slices: 31 x 24 x 12 = 8928 slices, 48 bad (the slices holding the 48 hourly 500s),
    so 8880 good; budget 0.1 x 8928 slices = 892.8 slices = 4464 minutes; remaining
    1 - 48 / 892.8 = 0.946236559...
    """
    row = _row(_slo("Timeslices", FIVE_MIN), _october_hourly(), "2026-11-01T00:00Z")
    assert (row["good"], row["total"]) == (8880, 8928)
    assert row["error_budget"] == 4464
    assert row["remaining"] == pytest.approx(1 - 48 / 892.8, abs=1e-12)


@pytest.mark.parametrize(
    ("method", "slice_window", "at", "budget_minutes"),
    [
        # November: 30 x 24 x 12 = 8640 slices of 5 min; budget 0.1 x 8640 x 5 = 4320 minutes.
        ("Timeslices", FIVE_MIN, "2026-11-01T00:03Z", 4320),
        # 720 slices of 1 h; budget 0.1 x 720 x 60 = 4320 minutes.
        ("Timeslices", HOUR, "2026-11-01T00:30Z", 4320),
        # RatioTimeslices: the budget is a fraction of the slices with traffic: none, 0.
        ("RatioTimeslices", FIVE_MIN, "2026-11-01T00:03Z", 0),
    ],
)
def test_inside_the_first_unfinished_slice_the_new_period_is_empty(
    method: str, slice_window: timedelta, at: str, budget_minutes: float
) -> None:
    """At 00:03 (5-minute slices) or 00:30 (1-hour slices) on 1 November no slice of November
    has ended: 0 good of 0 slices, SLI n/a, nothing consumed, remaining 1. (The old code gave
    the last 3 days of October: 865/865 slices, 72/72, 73/73.)"""
    row = _row(_slo(method, slice_window), _october_hourly(), at)
    assert (row["good"], row["total"]) == (0, 0)
    assert (row["events_good"], row["events_total"]) == (0, 0)
    assert np.isnan(row["sli"])
    assert row["error_budget"] == budget_minutes
    assert row["remaining"] == 1.0


def test_once_a_slice_of_the_new_period_ended_it_counts() -> None:
    """At 00:30 with 5-minute slices, the 6 slices 00:00-00:30 of November have ended; one holds
    the 200 at 00:00:30, the others no traffic (good): 6/6, budget 4320 minutes, remaining 1.
    At 01:00 with 1-hour slices, 1/1."""
    events = _october_hourly()
    row = _row(_slo("Timeslices", FIVE_MIN), events, "2026-11-01T00:30Z")
    assert (row["good"], row["total"], row["events_total"]) == (6, 6, 1)
    row = _row(_slo("Timeslices", HOUR), events, "2026-11-01T01:00Z")
    assert (row["good"], row["total"], row["events_total"]) == (1, 1, 1)
    assert row["error_budget"] == 4320


def test_paris_week_just_after_it_starts() -> None:
    """A calendar week in Paris with 1-hour slices. The week of Monday 19 October 2026 starts at
    2026-10-18T22:00Z (CEST) and ends at 2026-10-25T23:00Z (CET; DST ended on the 25th): 169
    hours. One request at hh:00:30 of every hour of it, three of them 500 (10-20T10, 10-22T10,
    10-25T22 UTC), and a 200 at 2026-10-25T23:00:30Z, in the next week.

    At 23:00Z: 169 slices, 3 bad: 166/169; remaining 1 - 3 / (0.1 x 169) = 1 - 3 / 16.9.
    At 23:01Z: the week of 26 October, whose first slice ends at 00:00Z: 0/0, remaining 1,
    budget 0.1 x 168 slices x 60 = 1008 minutes (the old code gave 71/73 slices of the old
    week, read from 3 days back).
    """
    ts = pd.date_range("2026-10-18T22:00:30Z", "2026-10-25T23:00:30Z", freq="1h")
    bad = pd.DatetimeIndex(["2026-10-20T10:00:30Z", "2026-10-22T10:00:30Z", "2026-10-25T22:00:30Z"])
    status = np.where(ts.isin(bad), 500, 200)
    events = pd.DataFrame({"ts": ts, "api": "a", "route": "/a", "status": status, "latency_s": 1.0})
    week = TimeWindow.calendar_window("week", "Europe/Paris")
    slo = _slo("Timeslices", HOUR, week)
    row = _row(slo, events, "2026-10-25T23:00Z")
    assert (row["good"], row["total"]) == (166, 169)
    assert row["remaining"] == pytest.approx(1 - 3 / 16.9, abs=1e-12)
    row = _row(slo, events, "2026-10-25T23:01Z")
    assert (row["good"], row["total"]) == (0, 0)
    assert (row["error_budget"], row["remaining"]) == (1008, 1.0)
