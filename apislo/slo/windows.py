"""Durations and calendar periods: OpenSLO duration shorthand, and calendar periods in a time zone.

Calendar periods start at local midnight in the window's time zone: a day, a week (Monday), a
month (the 1st), a quarter (1 January, 1 April, 1 July, 1 October) or a year. A window of
``count`` units (OpenSLO ``duration: 2w``) groups consecutive units. A window's ``start``
(OpenSLO ``calendar.startTime``) is where its periods begin: weeks then start on its weekday,
quarters and years in its month, and groups of ``count`` units are phased from it (from 1970
when none is given). The time of day of ``start`` is not used, nor its day for months, quarters
and years (the loaders refuse one that is not the 1st).

>>> import pandas as pd
>>> from apislo.slo.spec import TimeWindow
>>> w = TimeWindow.calendar_window("month", "Europe/Paris")
>>> period_bounds(w, pd.Timestamp("2026-03-31T22:30Z"))   # already April in Paris
(Timestamp('2026-03-31 22:00:00+0000', tz='UTC'), Timestamp('2026-04-30 22:00:00+0000', tz='UTC'))
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from apislo.model import as_utc
from apislo.slo.spec import MAX_DURATION, CalendarUnit, TimeWindow

__all__ = [
    "CALENDAR_SHORTHAND",
    "parse_shorthand",
    "period_bounds",
    "period_ids",
    "period_starts",
    "shorthand_timedelta",
    "utc_offsets",
]

#: OpenSLO duration-shorthand postfixes that are calendar units (case matters: ``m`` is minutes).
CALENDAR_SHORTHAND: dict[str, CalendarUnit] = {"M": "month", "Q": "quarter", "Y": "year"}
_FIXED_SHORTHAND: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_SHORTHAND = re.compile(r"^([1-9][0-9]*)([smhdwMQY])$")
_EPOCH = pd.Timestamp("1970-01-01")


def parse_shorthand(text: str) -> tuple[int, str]:
    """Split an OpenSLO duration shorthand (``28d``, ``1M``, ``5m``) into number and postfix.

    Args:
        text: the shorthand; the postfix is case-sensitive (``m`` minutes, ``M`` months).

    Returns:
        ``(number, postfix)``.

    Raises:
        ValueError: not a positive integer followed by one of ``s m h d w M Q Y``.
    """
    match = _SHORTHAND.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration shorthand such as 30d, 4w, 1M, 1Q")
    return int(match.group(1)), match.group(2)


def shorthand_timedelta(number: int, postfix: str) -> timedelta:
    """Fixed length of ``number`` x ``postfix`` (``s m h d w`` only; calendar units have none).

    Raises:
        KeyError: ``postfix`` is a calendar unit.
        ValueError: the length does not fit a :class:`~datetime.timedelta` (``99999999999d``).
    """
    try:
        return number * _FIXED_SHORTHAND[postfix]
    except OverflowError:
        raise ValueError(f"{number}{postfix} is longer than {MAX_DURATION.days}d") from None


def _ordinals(local_wall: pd.DatetimeIndex, base: str) -> np.ndarray:
    """Days (``base`` ``day``) or months (``month``) since 1970 of naive local wall times."""
    if base == "day":
        return np.asarray((local_wall.normalize() - _EPOCH) // pd.Timedelta(days=1), dtype=np.int64)
    years = np.asarray(local_wall.year, dtype=np.int64)
    return (years - 1970) * 12 + np.asarray(local_wall.month, dtype=np.int64) - 1


#: Calendar unit -> (base unit, base units in one calendar unit, default first base ordinal:
#: 1970-01-05 was a Monday, day 4 after the epoch).
_BASES: dict[str, tuple[str, int, int]] = {
    "day": ("day", 1, 0),
    "week": ("day", 7, 4),
    "month": ("month", 1, 0),
    "quarter": ("month", 3, 0),
    "year": ("month", 12, 0),
}


def _phase(window: TimeWindow) -> tuple[str, int, int]:
    """``(base, length, anchor)``: a period is ``length`` days or months long and period 0
    starts at base ordinal ``anchor`` (the window's ``start``, or a natural boundary)."""
    base, size, anchor = _BASES[window.unit or "day"]
    if window.start is not None:
        start = pd.DatetimeIndex([pd.Timestamp(window.start).tz_localize(None)])
        anchor = int(_ordinals(start, base)[0])
    return base, size * window.count, anchor


def period_ids(ts: pd.DatetimeIndex, window: TimeWindow) -> np.ndarray:
    """Number of the calendar period each UTC timestamp falls in (non-decreasing for sorted ts).

    Args:
        ts: tz-aware timestamps.
        window: a calendar window.

    Returns:
        int64 array; equal numbers share a period.
    """
    base, length, anchor = _phase(window)
    local = ts.tz_convert(window.timezone).tz_localize(None)
    return (_ordinals(local, base) - anchor) // length


def period_starts(ids: np.ndarray, window: TimeWindow) -> pd.DatetimeIndex:
    """UTC start of each period number from :func:`period_ids` (one Python step per period)."""
    base, length, anchor = _phase(window)
    starts = []
    for pid in np.asarray(ids, dtype=np.int64):
        o = int(pid) * length + anchor
        if base == "day":
            wall = _EPOCH + pd.Timedelta(days=o)
        else:
            wall = pd.Timestamp(year=1970 + o // 12, month=o % 12 + 1, day=1)
        local = wall.tz_localize(window.timezone, ambiguous=True, nonexistent="shift_forward")
        starts.append(local.tz_convert("UTC"))
    return pd.DatetimeIndex(starts, tz="UTC")


def period_bounds(window: TimeWindow, at: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(start, end)`` in UTC of the calendar period that contains the instant ``at``."""
    at = as_utc(at)
    pid = period_ids(pd.DatetimeIndex([at]), window)[0]
    bounds = period_starts(np.array([pid, pid + 1]), window)
    return bounds[0], bounds[1]


@lru_cache(maxsize=64)
def utc_offsets(timezone: str) -> tuple[timedelta, ...]:
    """The distinct UTC offsets of ``timezone`` from 1990 to 2100 (sampled daily at 12:00 UTC,
    so an offset in force for at least a day), sorted: ``(+1h, +2h)`` for Europe/Paris,
    ``(+5h30m,)`` for Asia/Kolkata.

    A calendar period starts at local midnight, ``offset`` before a UTC midnight: slices of a
    length dividing a day can start at every period's start only when the offsets differ by
    whole slices.
    """
    utc = pd.date_range("1990-01-01T12:00", "2100-12-31T12:00", freq="D", tz="UTC")
    local = utc.tz_convert(timezone).tz_localize(None)
    offsets = np.unique((local - utc.tz_localize(None)).as_unit("s").asi8)
    return tuple(timedelta(seconds=int(o)) for o in offsets)
