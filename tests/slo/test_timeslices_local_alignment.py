"""Timeslices of calendar windows start at the periods' starts (local midnight), also in zones
whose offset is not a whole number of slices from UTC; a slice length no single grid can align
with every period start (Paris with 2-hour slices: offsets +1h and +2h) is a spec error."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate
from apislo.slo.loader import load
from tests.slo import spec_error, write_spec


def _kolkata_events() -> pd.DataFrame:
    """200 at 2026-11-02T18:10Z (23:40 IST on 2 Nov), 500 at 18:40Z (00:10 IST on 3 Nov), 200
    at 2026-11-03T12:00Z (17:30 IST on 3 Nov)."""
    ts = pd.DatetimeIndex(["2026-11-02T18:10Z", "2026-11-02T18:40Z", "2026-11-03T12:00Z"])
    return pd.DataFrame(
        {"ts": ts, "api": "a", "route": "/a", "status": [200, 500, 200], "latency_s": 1.0}
    )


def _slo(slice_window: timedelta, zone: str = "Asia/Kolkata") -> SLO:
    return SLO(
        name="kol",
        service="q",
        api="a",
        sli=SLI(),
        objectives=(Objective(0.9, timeslice_target=0.9, timeslice_window=slice_window),),
        window=TimeWindow.calendar_window("day", zone),
        budgeting_method="Timeslices",
    )


@pytest.mark.parametrize("minutes", [1, 60])
def test_kolkata_day_holds_its_first_half_hour(minutes: int) -> None:
    """3 Nov IST is [2026-11-02T18:30Z, 2026-11-03T18:30Z), 1440 minutes. With 1-hour slices
    aligned to its start (18:30Z, 19:30Z...) it has 24 slices; the one from 18:30Z holds the
    500 alone (good ratio 0 < 0.9: bad), the one from 11:30Z the 200 (good), the others no
    traffic (good): 23/24; budget 0.1 x 24 x 60 = 144 minutes; remaining 1 - 1 / 2.4 = 7/12.
    With 1-minute slices: 1439/1440, budget 0.1 x 1440 = 144 minutes, remaining 1 - 1 / 144.
    (The old code cut 1-hour slices at UTC hours: the 18:00Z slice, counted in 2 Nov, held the
    500, and 3 Nov read 23/23 with nothing bad.)"""
    slice_window = timedelta(minutes=minutes)
    (row,) = evaluate(
        _slo(slice_window), _kolkata_events(), at="2026-11-03T18:30Z", series=False
    ).summary.to_dict("records")
    slices = 1440 // minutes
    assert (row["good"], row["total"]) == (slices - 1, slices)
    assert (row["events_good"], row["events_total"]) == (1, 2)
    assert row["error_budget"] == 144.0  # exactly: not 144.00000000000003
    assert row["remaining"] == pytest.approx(1 - 1 / (0.1 * slices), abs=1e-12)


def test_kolkata_day_before_its_first_hour_ends() -> None:
    """At 2026-11-02T19:00Z (00:30 IST on 3 Nov) the first 1-hour slice of 3 Nov (from 18:30Z)
    has not ended: 0/0, remaining 1 (the old code read the UTC slice 18:00-19:00Z, 23/24)."""
    (row,) = evaluate(
        _slo(timedelta(hours=1)), _kolkata_events(), at="2026-11-02T19:00Z", series=False
    ).summary.to_dict("records")
    assert (row["good"], row["total"], row["remaining"]) == (0, 0, 1.0)
    assert np.isnan(row["sli"])


SPEC = """
version: apislo/v1
service: q
slos:
  - name: s
    api: a
    objectives: [{{target: 0.9, timeslice_target: 0.9, timeslice_window: {slice}}}]
    window: {{calendar: day, timezone: {zone}}}
    budgeting_method: Timeslices
"""


@pytest.mark.parametrize(
    ("zone", "slice_window", "offsets", "divides"),
    [
        ("Europe/Paris", "2h", "+01:00, +02:00", "1h"),
        ("America/St_Johns", "2h", "-03:30, -02:30", "1h"),
        ("Australia/Lord_Howe", "1h", "+10:30, +11:00", "30m"),
    ],
)
def test_slice_no_grid_aligns_with_every_period_start_is_refused(
    tmp_path: Path, zone: str, slice_window: str, offsets: str, divides: str
) -> None:
    """Paris's periods start at 23:00Z (CET) or 22:00Z (CEST), 1 hour apart: no grid of 2-hour
    slices starts at both. St John's: -03:30 and -02:30, 1 hour apart. Lord Howe: +10:30 and
    +11:00, 30 minutes apart, so even 1-hour slices cannot."""
    path = write_spec(tmp_path, SPEC.format(slice=slice_window, zone=zone))
    error = spec_error(path)
    assert str(error) == (
        f"{path}: slos[0].objectives[0].timeslice_window: {slice_window} slices cannot all "
        f"start at local midnight in {zone} (UTC offsets {offsets}): one grid of slices would "
        "straddle the start of some calendar periods. Allowed: a slice length that divides "
        f"{divides}, e.g. 1m, 5m."
    )


@pytest.mark.parametrize(
    ("zone", "slice_window"),
    [("Asia/Kolkata", "1h"), ("Asia/Kolkata", "6h"), ("Europe/Paris", "1h"), ("UTC", "2h")],
)
def test_slice_aligned_with_every_period_start_is_accepted(
    tmp_path: Path, zone: str, slice_window: str
) -> None:
    """Kolkata has one offset (+05:30): any slice dividing a day starts at every local
    midnight (18:30Z); Paris's offsets differ by 1 hour, a whole number of 1-hour slices."""
    (slo,) = load(write_spec(tmp_path, SPEC.format(slice=slice_window, zone=zone)))
    assert slo.window.timezone == zone


def test_remaining_budget_series_has_hourly_points_on_the_slices() -> None:
    """The hourly series over the day before 2026-11-03T18:30Z, with 1-hour slices ending at
    hh:30 UTC: one point per slice end, 19:30Z on 2 Nov to 18:30Z on 3 Nov (24 points; the
    epoch-phased hourly grid, hh:00, would hold none of them). Every point is in 3 Nov IST and
    after the bad slice 18:30-19:30Z: remaining 1 - 1 / (0.1 x 24) = 7/12. (The old code gave
    points at hh:00 with remaining 1: its UTC slices charged the 500 to 2 Nov.)"""
    result = evaluate(_slo(timedelta(hours=1)), _kolkata_events(), at="2026-11-03T18:30Z")
    series = result.remaining_budget
    assert list(series["ts"]) == list(
        pd.date_range("2026-11-02T19:30Z", "2026-11-03T18:30Z", freq="1h")
    )
    assert series["remaining"].tolist() == pytest.approx([7 / 12] * 24, abs=1e-12)
