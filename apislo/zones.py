"""Time zone names, checked once for every option, spec and job that takes one."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apislo.errors import ConfigError

__all__ = ["check_timezone"]


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
        raise ConfigError(
            f"{what} {name!r}: unknown time zone; pass an IANA name such as Europe/Paris or UTC"
        ) from None
