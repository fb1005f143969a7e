"""Python keywords added to :func:`environment_options` (``apislo.prometheus(url,
**environment_options(), ca_file=...)``, as a notebook may): a refused setting is named as it was
given, the variables set by their names and the keywords as Python names them. Until 2026-11-29
every setting was named by its variable, set or not (``$APISLO_PROMETHEUS_CA_FILE: cannot read
...`` for a ``ca_file=`` keyword)."""

from __future__ import annotations

from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.settings import (
    CA_FILE_ENV,
    TOKEN_FILE_ENV,
    USER_ENV,
    environment_options,
)

CERT = str(Path(__file__).resolve().parent / "tls" / "cert.pem")
#: Nothing listens there; building a client sends nothing.
URL = "http://127.0.0.1:1"


def _refused(environ: dict[str, str], **keywords: object) -> str:
    """The message of the ``ConfigError`` that building a client from the variables of
    ``environ`` and ``keywords`` raises."""
    with pytest.raises(ConfigError) as info:
        Prometheus(URL, cache=False, **{**environment_options(environ), **keywords})
    return str(info.value)


def test_a_keyword_beside_a_variable_is_named_as_a_keyword() -> None:
    message = _refused({TOKEN_FILE_ENV: "/run/secrets/token"}, bearer_token_env="QA_TOKEN")
    assert message == "give bearer_token_env or $APISLO_PROMETHEUS_TOKEN_FILE, not both"


def test_a_keyword_against_a_variable_of_another_kind_is_named_as_a_keyword() -> None:
    message = _refused({USER_ENV: "ann"}, bearer_token_file="/run/secrets/token")
    assert message == (
        "give a bearer token (bearer_token_file) or basic auth ($APISLO_PROMETHEUS_USER), not both"
    )


def test_a_tls_file_given_as_a_keyword_is_named_as_a_keyword() -> None:
    assert _refused({}, ca_file="/nonexistent/ca.pem") == (
        "ca_file: cannot read /nonexistent/ca.pem (No such file or directory): give the path of "
        "a PEM bundle of CAs, or a folder of them"
    )


def test_a_number_given_as_a_keyword_is_named_as_a_keyword() -> None:
    assert _refused({}, timeout_s=float("nan")) == (
        "timeout_s must be a finite number of seconds > 0"
    )


def test_verify_off_given_as_a_keyword_is_named_as_a_keyword() -> None:
    """``verify`` is always among the keywords (``True`` unless the variable says otherwise):
    replacing it with ``False`` is a keyword, not ``$APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY``."""
    assert _refused({CA_FILE_ENV: CERT}, verify=False) == (
        "$APISLO_PROMETHEUS_CA_FILE verifies the server's certificate and verify=False does "
        "not: give one of them"
    )
