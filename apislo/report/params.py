"""Report parameters: names checked (no secrets), command-line values typed like papermill's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apislo.errors import ConfigError
from apislo.text import SECRET_KEY_PATTERN

__all__ = ["check_parameters", "looks_secret", "parse_value"]

_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^/@\s]+@", re.IGNORECASE)
_URL_SECRET_QUERY = re.compile(rf"[a-z][a-z0-9+.-]*://\S*[?&;]{SECRET_KEY_PATTERN}=", re.IGNORECASE)
_SECRET = re.compile(
    r"token|secret|passw|pwd|api_?key|apikey|credential|auth|bearer|private_?key|cookie|session",
    re.IGNORECASE,
)


def looks_secret(name: str) -> bool:
    """Whether a parameter name looks like it holds a secret.

    >>> looks_secret("prometheus_token"), looks_secret("API-KEY"), looks_secret("api")
    (True, True, False)
    """
    return _SECRET.search(name.replace("-", "_")) is not None


def check_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate report parameters and return them as a plain dict.

    Parameters are written into the executed notebook and shown in the report, so a name that
    looks like a secret, or a URL carrying credentials (``https://user:pw@host``,
    ``https://host/?token=...``), is refused.

    Raises:
        ConfigError: a name is not a Python identifier or looks like a secret, or a value is a
            URL with credentials.
    """
    checked: dict[str, Any] = {}
    for name, value in (parameters or {}).items():
        if not str(name).isidentifier():
            raise ConfigError(
                f"parameter name {name!r} is not a Python identifier; use letters, digits and _"
            )
        if looks_secret(name):
            raise ConfigError(
                f"parameter {name!r} looks like a secret. Secrets are never passed as parameters "
                "(they would be saved in the notebook and shown in the report): set it in the "
                "environment instead (e.g. APISLO_PROMETHEUS_TOKEN), where apislo reads it."
            )
        if isinstance(value, str) and (
            _URL_CREDENTIALS.search(value) or _URL_SECRET_QUERY.search(value)
        ):
            raise ConfigError(
                f"parameter {name!r} holds a URL with credentials (user:password@, or a "
                "credential in its query such as ?token=); pass the URL without them and put the "
                "token in the environment (e.g. APISLO_PROMETHEUS_TOKEN)."
            )
        checked[str(name)] = value
    return checked


def parse_value(text: str) -> Any:
    """Type a command-line value: int, float, ``true``/``false``, ``none``, else the string.

    >>> parse_value("7"), parse_value("0.99"), parse_value("True"), parse_value("payments")
    (7, 0.99, True, 'payments')
    """
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
