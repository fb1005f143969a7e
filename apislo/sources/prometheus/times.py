"""Times and steps as users write them: ISO 8601, ``now``, ``-7d``; ``30s``, ``1m``, ``1h``.

All results are tz-aware UTC :class:`pandas.Timestamp` (times) or whole seconds (steps).

>>> parse_step("1m"), parse_step("90s"), parse_step(300)
(60, 90, 300)
>>> str(parse_time("2026-01-02T03:04:05Z"))
'2026-01-02 03:04:05+00:00'
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from apislo.errors import ConfigError
from apislo.model import as_utc

__all__ = ["TimeLike", "align_down", "align_up", "parse_step", "parse_time"]

TimeLike = str | datetime | pd.Timestamp | int | float

_UNITS_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def _duration_s(text: str, named: str = "") -> float:
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConfigError(
            f"{named or repr(text)} is not a duration; write it like 30s, 1m, 1h, 7d or 1h30m"
        )
    return sum(int(n) * _UNITS_S[u] for n, u in parts)


def parse_step(step: str | int | float | pd.Timedelta) -> int:
    """A step or interval in whole seconds (``"30s"``, ``"1m"``, ``60``, ``pd.Timedelta``).

    Raises:
        ConfigError: not a positive whole number of seconds.
    """
    if isinstance(step, pd.Timedelta):
        seconds = step.total_seconds()
    elif isinstance(step, int | float):
        seconds = float(step)
    else:
        seconds = _duration_s(step.strip())
    if seconds <= 0 or seconds != int(seconds):
        raise ConfigError(f"step {step!r} must be a positive whole number of seconds")
    return int(seconds)


def parse_time(value: TimeLike, now: pd.Timestamp | None = None, *, what: str = "") -> pd.Timestamp:
    """A point in time as tz-aware UTC.

    Args:
        value: ISO 8601 (naive means UTC), ``"now"``, ``"-7d"`` / ``"now-2h"`` relative to
            ``now``, a datetime, or Unix seconds.
        now: the reference for relative times (default: the current time).
        what: the option or parameter the value came from (``--at``), named in errors.

    Raises:
        ConfigError: the value cannot be read, is empty (``""``, ``NaT``, ``nan``), or lies
            outside the nanosecond timestamps pandas holds (1677-09-22 to 2262-04-11).
    """
    named = f"{what} {value!r}" if what else repr(value)
    try:
        stamp = _parse(value, now, named).as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        raise ConfigError(
            f"{named} is out of range: times must lie between 1677-09-22 and 2262-04-11"
        ) from None
    if stamp is pd.NaT:
        raise ConfigError(f"{named} is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or -7d")
    return stamp


def _parse(value: TimeLike, now: pd.Timestamp | None, named: str) -> pd.Timestamp:
    """:func:`parse_time` before its range check (``NaT`` for an empty value)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Timestamp(value, unit="s", tz="UTC")
    if isinstance(value, str):
        text = value.strip()
        ref = now if now is not None else pd.Timestamp.now(tz="UTC")
        rel = text.removeprefix("now")
        if text == "now":
            return ref
        if rel != text or text.startswith("-"):
            if rel[:1] not in "+-" or not rel[1:]:
                raise ConfigError(f"{named}: write relative times like -7d, now-2h or now")
            delta = pd.Timedelta(seconds=_duration_s(rel[1:], named))
            return ref - delta if rel[0] == "-" else ref + delta
        try:
            return as_utc(text)
        except ValueError as exc:
            raise ConfigError(
                f"{named} is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or -7d"
            ) from exc
    return as_utc(value)


def align_down(ts: pd.Timestamp, step_s: int) -> pd.Timestamp:
    """The latest multiple of ``step_s`` seconds since the Unix epoch at or before ``ts``."""
    seconds = ts.value // 1_000_000_000
    return pd.Timestamp((seconds - seconds % step_s) * 1_000_000_000, tz="UTC")


def align_up(ts: pd.Timestamp, step_s: int) -> pd.Timestamp:
    """The earliest multiple of ``step_s`` seconds since the Unix epoch at or after ``ts``."""
    down = align_down(ts, step_s)
    return down if down == ts else down + pd.Timedelta(seconds=step_s)
