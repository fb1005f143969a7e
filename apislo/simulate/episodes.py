"""Scripted episodes: the incidents the simulator plants so analyses have something to find.

Every window starts and ends on a whole minute (the generator keeps each request in the minute
it arrived in, so "inside the window" is exact for every log format).

==================== ============================================================================
kind                 what happens inside ``[start, end)``
==================== ============================================================================
outage               a share of the API's requests fail with 502/503/504 (burns error budget)
latency-regression   the backend's mean service time is multiplied (a bad deploy); its
                     utilisation, and so its queueing delay, rise with it
traffic-spike        the API's load is multiplied (logged requests and backend arrivals alike)
abusive-consumer     one free-plan consumer floods the API and is mostly answered 429
low-traffic          the whole period: the API gets about 2,400 requests a week
==================== ============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from apislo.simulate.catalog import LOW_TRAFFIC_RPS, WEEKEND_LOAD, ApiSpec
from apislo.simulate.truth import iso_utc

__all__ = [
    "ABUSIVE_CONSUMER",
    "EPISODE_KINDS",
    "Episode",
    "schedule_episodes",
]

#: Name of the consumer that floods an API in the ``abusive-consumer`` episode (free plan).
ABUSIVE_CONSUMER = "bulk-scraper"

EPISODE_KINDS: tuple[str, ...] = (
    "outage",
    "latency-regression",
    "traffic-spike",
    "abusive-consumer",
    "low-traffic",
)

_DAY_MIN = 1440  # minutes in a UTC day


@dataclass(frozen=True)
class Episode:
    """One scripted episode.

    Attributes:
        kind: one of :data:`EPISODE_KINDS`.
        api: the API it affects.
        start: first instant inside the window (UTC, on a whole minute).
        end: first instant after the window (UTC, on a whole minute).
        params: the knobs of the episode (``error_fraction``, ``service_factor``,
            ``load_factor``, ``consumer``; request rates ``rps``/``mean_rps`` are at ``rate=1``
            and scale with ``--rate``).
    """

    kind: str
    api: str
    start: datetime
    end: datetime
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form for ``truth.json`` (ISO 8601 UTC times)."""
        return {
            "kind": self.kind,
            "api": self.api,
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            **self.params,
        }


def _window(
    rng: np.random.Generator,
    start: datetime,
    end: datetime,
    at_fraction: float,
    duration: timedelta,
    max_fraction: float,
    hour_utc: float | None = None,
) -> tuple[datetime, datetime]:
    """A minute-aligned window near ``at_fraction`` of the period, jittered by the seed.

    With ``hour_utc`` (a daily peak), the window starts at that time of day: on the day it would
    have started when that is a weekday (a weekend day carries about half the load) and the whole
    window fits in the period there, else on the nearest weekday where it does, else on the
    nearest day where it does. Only when it fits on no day (a period shorter than a day, say) is
    it moved to the period's edge.
    """
    span_min = int((end - start).total_seconds() // 60)
    length = max(1, min(int(duration.total_seconds() // 60), int(span_min * max_fraction)))
    jitter = int(rng.integers(-span_min // 20, span_min // 20 + 1))
    first = int(span_min * at_fraction) + jitter
    if hour_utc is not None:
        at = start + timedelta(minutes=first)
        day = at.replace(hour=0, minute=0, second=0, microsecond=0)
        own = int((day + timedelta(minutes=round(hour_utc * 60)) - start).total_seconds() // 60)
        # the same time on day k after that one starts at own + 1440 k minutes; it fits in the
        # period for -(own // 1440) <= k <= (span_min - length - own) // 1440
        fits = range(-(own // _DAY_MIN), (span_min - length - own) // _DAY_MIN + 1)
        first = own + _DAY_MIN * _nearest_weekday(day, fits) if fits else own
    first = min(max(0, first), span_min - length)
    return start + timedelta(minutes=first), start + timedelta(minutes=first + length)


def _nearest_weekday(day: datetime, offsets: range) -> int:
    """The offset in ``offsets`` (days after ``day``, not empty) nearest 0 whose day is a
    weekday, or nearest 0 when none is (the earlier on a tie)."""
    weekdays = [k for k in offsets if (day + timedelta(days=k)).weekday() not in WEEKEND_LOAD]
    return min(weekdays or offsets, key=lambda k: (abs(k), k))


def schedule_episodes(
    apis: list[ApiSpec], start: datetime, end: datetime, rng: np.random.Generator
) -> list[Episode]:
    """Place the scripted episodes over ``[start, end)`` on the given APIs.

    The last API is the low-traffic one; the others take, in order: outage on the 1st, latency
    regression on the 2nd, traffic spike on the 3rd (an hour before its daily peak, on a weekday),
    abusive consumer on the 4th, wrapping round when there are fewer.

    Args:
        apis: the APIs, in ``--apis`` order.
        start: period start, UTC, on a whole minute.
        end: period end, UTC, on a whole minute.
        rng: the simulation's generator (jitters the windows, so each seed differs).

    Returns:
        The episodes, in the order of :data:`EPISODE_KINDS`.
    """
    busy = apis[:-1] or apis  # the low-traffic API gets no other episode when there are others
    n = len(busy)
    names = [a.name for a in busy]
    spike_api = busy[2 % n]
    o_start, o_end = _window(rng, start, end, 0.30, timedelta(minutes=45), 1 / 8)
    r_start, r_end = _window(rng, start, end, 0.55, timedelta(hours=12), 1 / 6)
    s_start, s_end = _window(
        rng, start, end, 0.75, timedelta(minutes=90), 1 / 8, spike_api.peak_hour_utc - 1
    )
    a_start, a_end = _window(rng, start, end, 0.42, timedelta(hours=6), 1 / 6)
    return [
        Episode("outage", names[0], o_start, o_end, {"error_fraction": 0.6}),
        Episode("latency-regression", names[1 % n], r_start, r_end, {"service_factor": 1.8}),
        Episode("traffic-spike", spike_api.name, s_start, s_end, {"load_factor": 2.0}),
        Episode(
            "abusive-consumer",
            names[3 % n],
            a_start,
            a_end,
            {"consumer": ABUSIVE_CONSUMER, "rps": 0.8},
        ),
        Episode("low-traffic", apis[-1].name, start, end, {"mean_rps": LOW_TRAFFIC_RPS}),
    ]
