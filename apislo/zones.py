"""Time zone names, checked once for every option, spec and job that takes one."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apislo.errors import ConfigError

__all__ = ["check_polars_timezone", "check_timezone"]


def check_timezone(name: str, what: str = "timezone") -> None:
    """Refuse a time zone that is not in the IANA database.

    Args:
        name: the zone (``Europe/Paris``, ``UTC``).
        what: the option or parameter it came from (``--timezone``), named in the error.

    Raises:
        ConfigError: ``name`` is not a known zone (an empty name neither).
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _unknown(name, what) from None


def check_polars_timezone(name: str, what: str = "timezone") -> None:
    """:func:`check_timezone`, for a zone polars converts times with (log parsing): ZoneInfo
    reads any file of the system's zone database, and some are no zone name polars knows
    (``localtime``, ``posixrules``, ``posix/Europe/Paris``, ``right/UTC``).

    Raises:
        ConfigError: ``name`` is not a known zone, or not one polars knows.
    """
    check_timezone(name, what)
    if not _polars_knows(name):
        raise _unknown(name, what)


@functools.cache
def _polars_knows(name: str) -> bool:
    """Whether polars converts times to zone ``name`` (about 0.4 ms, once per name)."""
    import polars as pl  # lazy: specs and jobs check zones without loading polars

    try:
        pl.Series(dtype=pl.Datetime("us")).dt.replace_time_zone(name)
    except pl.exceptions.PolarsError:
        return False
    return True


def _unknown(name: str, what: str) -> ConfigError:
    return ConfigError(
        f"{what} {name!r}: unknown time zone; pass an IANA name such as Europe/Paris or UTC"
    )
