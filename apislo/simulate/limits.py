"""What :func:`~apislo.simulate.simulate` refuses before it generates anything: a period whose
logs ``apislo ingest`` would not read back, and a volume that would not fit in memory.

The volume caps come from measurements on the 2-core, 24 GB development machine: generating
requests peaks at about 500 bytes per request (9.4 M requests, ``--rate 20`` over the default
week, took 4.6 GB), and the per-minute load profiles at about 85 bytes per API and minute
(365 days of 8 APIs took 350 MB). :data:`MAX_REQUESTS` and :data:`MAX_DAYS` keep each below
about 5 GB.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apislo.errors import ConfigError
from apislo.simulate.catalog import ApiSpec
from apislo.simulate.truth import iso_utc
from apislo.sources.logs.fields import FIRST_TIME_US

__all__ = ["MAX_DAYS", "MAX_REQUESTS", "check_period", "check_volume", "max_days"]

#: The longest period simulated, days (ten years).
MAX_DAYS = 3660
#: The most logged requests a simulation may be expected to generate.
MAX_REQUESTS = 10_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_period(start: datetime) -> None:
    """Refuse a period that starts before the times ingest reads (:data:`FIRST_TIME_US` of
    :mod:`apislo.sources.logs.fields`, 1970-01-01; its upper bound, year 10000, is past every
    ``datetime``, so no period's end reaches it).

    Args:
        start: period start, UTC.

    Raises:
        ConfigError: naming the start and what to pass instead.
    """
    if start < _EPOCH + timedelta(microseconds=FIRST_TIME_US):
        raise ConfigError(
            f"the period would start at {iso_utc(start)}, before 1970: apislo ingest reads "
            "request times in the years 1970-9999 only; pass a later --end or fewer --days"
        )


def check_volume(apis: Sequence[ApiSpec], minutes: int, rate: float) -> None:
    """Refuse a period longer than :data:`MAX_DAYS`, or one expected to hold more than
    :data:`MAX_REQUESTS` logged requests: each API's mean rate (``mean_rps``, requests per
    second over a whole week) times ``rate`` and the period's seconds (episodes add a few
    percent: 4 % for the default week).

    Args:
        apis: the APIs simulated (``mean_rps`` already set for the low-traffic one).
        minutes: length of the period, minutes.
        rate: the volume multiplier.

    Raises:
        ConfigError: naming the volume, the cap and what to pass instead.
    """
    days = minutes / 1440
    if days > MAX_DAYS:
        raise ConfigError(f"--days {days:g} is more than the {MAX_DAYS:,} days apislo simulates")
    expected = _expected_requests(apis, minutes, rate)
    if expected > MAX_REQUESTS:
        raise ConfigError(
            f"{len(apis)} APIs over {days:g} days at --rate {rate:g} would make about "
            f"{expected / 1e6:,.3g} million requests, more than the {MAX_REQUESTS / 1e6:g} "
            "million apislo simulates at once (about 500 bytes of memory each); pass a lower "
            "--rate, fewer --days or fewer --apis"
        )


def max_days(apis: Sequence[ApiSpec], rate: float) -> int:
    """The most whole days :func:`check_volume` lets ``apis`` be simulated at ``rate``.

    Args:
        apis: the APIs simulated (``mean_rps`` already set for the low-traffic one).
        rate: the volume multiplier.

    Returns:
        The largest number of days whose expected volume is at most :data:`MAX_REQUESTS`, and
        at most :data:`MAX_DAYS` (155 for the default 6 APIs at ``rate=1``).
    """
    days = min(MAX_DAYS, int(MAX_REQUESTS // _expected_requests(apis, 1440, rate)))
    # (the quotient is rounded: where a whole number of days makes MAX_REQUESTS, it can be one
    # off what check_volume computes, which decides)
    if days < MAX_DAYS and _expected_requests(apis, (days + 1) * 1440, rate) <= MAX_REQUESTS:
        return days + 1
    if days > 0 and _expected_requests(apis, days * 1440, rate) > MAX_REQUESTS:
        return days - 1
    return days


def _expected_requests(apis: Sequence[ApiSpec], minutes: int, rate: float) -> float:
    """Logged requests expected of ``apis`` at ``rate`` over ``minutes`` (episodes aside)."""
    return sum(api.mean_rps for api in apis) * rate * minutes * 60
