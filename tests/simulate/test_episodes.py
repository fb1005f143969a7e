"""Where the scripted episodes are placed, against windows worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from apislo.simulate.catalog import APIS, LOW_TRAFFIC_RPS
from apislo.simulate.episodes import Episode, schedule_episodes

from .conftest import END

SPIKE = timedelta(minutes=90)


def _spike(apis: int, seed: int, start: datetime, end: datetime) -> Episode:
    """The traffic spike that ``simulate`` schedules for this configuration."""
    specs = list(APIS[:apis])
    specs[-1] = replace(specs[-1], mean_rps=LOW_TRAFFIC_RPS)
    episodes = schedule_episodes(specs, start, end, np.random.default_rng(seed))
    (spike,) = [e for e in episodes if e.kind == "traffic-spike"]
    return spike


@pytest.mark.parametrize(
    ("apis", "seed", "days", "end", "expected"),
    [
        # QA's run: the day 2026-11-17T06:00 .. 11-18T06:00; catalog peaks at 13:00 UTC, so the
        # spike is 12:00-13:30 on the 17th, the only day where it fits (it was 11-18 04:30-06:00,
        # clamped to the end of the period)
        (6, 0, 1, datetime(2026, 11, 18, 6, tzinfo=UTC), datetime(2026, 11, 17, 12, tzinfo=UTC)),
        # the tests' SMALL run: two days to 11-18T12:00; 12:00 on the 18th does not fit (it was
        # 11-18 10:30-12:00), 12:00 on the 17th is the nearest day that does
        (4, 7, 2, END, datetime(2026, 11, 17, 12, tzinfo=UTC)),
    ],
)
def test_spike_starts_an_hour_before_the_peak_on_a_day_where_it_fits(
    apis: int, seed: int, days: int, end: datetime, expected: datetime
) -> None:
    spike = _spike(apis, seed, end - timedelta(days=days), end)
    assert (spike.api, spike.start, spike.end) == ("catalog", expected, expected + SPIKE)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spike_in_one_day_at_every_end(seed: int) -> None:
    """A one-day period holds a whole 12:00-13:30 window (catalog's) unless it starts between
    12:00 and 13:30 (exclusive): then no day fits and the window, still 90 min, is clamped
    inside the period. Every end on the half hour over a day, worked out by hand."""
    for half_hours in range(48):
        end = datetime(2026, 11, 18, tzinfo=UTC) + timedelta(minutes=30 * half_hours)
        start = end - timedelta(days=1)
        spike = _spike(4, seed, start, end)
        assert spike.end - spike.start == SPIKE
        assert start <= spike.start and spike.end <= end
        starts_at = start.hour * 60 + start.minute
        if 12 * 60 < starts_at < 13 * 60 + 30:
            continue  # no day fits: clamped
        noon = start.replace(hour=12, minute=0)
        expected = noon if noon >= start else noon + timedelta(days=1)
        assert spike.start == expected, end


@pytest.mark.parametrize(
    ("end", "days", "expected"),
    [
        # `apislo simulate`'s default end on 2026-11-30 (06:00): the week from Monday 11-23 06:00
        # puts the spike at 75 % +- 5 % of it, 11-28 03:36-20:24, a Saturday: it moves to Friday
        # 11-27 12:00 (Monday 11-30 12:00 is after the end). It stayed on Saturday, where the
        # doubled load is 2 x 0.55 of a weekday's: catalog's rho peaked at ~0.5, no queueing.
        (datetime(2026, 11, 30, 6, tzinfo=UTC), 7, datetime(2026, 11, 27, 12, tzinfo=UTC)),
        # a week to Tuesday 11-24 12:00: 75 % is Sunday 11-22 18:00 (+- 8.4 h, so Sunday or the
        # small hours of Monday): Monday 11-23 12:00, one day on (Friday is two days back)
        (datetime(2026, 11, 24, 12, tzinfo=UTC), 7, datetime(2026, 11, 23, 12, tzinfo=UTC)),
        # a weekend only (Saturday 00:00 to Monday 00:00): no weekday fits, so the day picked,
        # Sunday (75 % = Sunday 12:00 +- 2.4 h)
        (datetime(2026, 11, 30, tzinfo=UTC), 2, datetime(2026, 11, 29, 12, tzinfo=UTC)),
    ],
)
@pytest.mark.parametrize("seed", [0, 42])
def test_spike_lands_on_a_weekday_peak(
    end: datetime, days: int, expected: datetime, seed: int
) -> None:
    spike = _spike(6, seed, end - timedelta(days=days), end)
    assert (spike.start, spike.end) == (expected, expected + SPIKE)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weekly_spike_is_on_a_weekday_at_every_end(seed: int) -> None:
    """Weeks ending every 6 hours over two weeks: the spike is always at 12:00 on a weekday
    (2 in 7 of them landed on a weekend)."""
    for quarter_days in range(56):
        end = datetime(2026, 11, 16, tzinfo=UTC) + timedelta(hours=6 * quarter_days)
        spike = _spike(6, seed, end - timedelta(days=7), end)
        assert spike.start.weekday() < 5 and spike.start.hour == 12, end
