"""The sources a notebook states with ``record_provenance`` lose their credentials whatever the
URL's shape (the provenance box and the notebook's metadata show them): until 2026-11-29 a
scheme-relative URL kept its ``user:password@`` whole, one whose password holds a ``/`` kept it
as its path (or raised a ``ValueError`` quoting part of it as a port), and an IPv6 host lost
its brackets."""

from __future__ import annotations

import pytest

from apislo.errors import ConfigError
from apislo.report.provenance import redact_url


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("//bob:LEAK@prom.example:9090/api?token=LEAK#LEAK", "//prom.example:9090/api"),
        ("https://bob:LEAK@[::1]:9090/prometheus", "https://[::1]:9090/prometheus"),
        ("http://LEAK@prom.example", "http://prom.example"),
        ("dataset data/a@b/events", "dataset data/a@b/events"),  # (not a URL: kept)
    ],
)
def test_a_source_is_shown_without_its_credentials(source: str, shown: str) -> None:
    assert redact_url(source) == shown


@pytest.mark.parametrize(
    "source", ["https://bob:pa/LEAK@prom.example", "https://bob:1234/LEAK@prom.example"]
)
def test_a_source_whose_password_holds_a_slash_is_refused_unshown(source: str) -> None:
    with pytest.raises(ConfigError) as info:
        redact_url(source)
    assert str(info.value) == (
        "a source URL has an @ after its host, or no http(s):// before its user:password@ (not "
        "shown: it may hold a password): write it as http(s)://USER:PASSWORD@HOST, with a / ? "
        "or # in the user or password written as %2F, %3F or %23"
    )
