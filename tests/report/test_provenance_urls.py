"""The sources a notebook states with ``record_provenance`` lose their credentials whatever the
URL's shape (the provenance box and the notebook's metadata show them): until 2026-11-29 a
scheme-relative URL kept its ``user:password@`` whole, one whose password holds a ``/`` kept it
as its path (or raised a ``ValueError`` quoting part of it as a port), and an IPv6 host lost
its brackets; until 2026-11-30 a URL inside a label (``prometheus https://...``, as the shipped
notebooks state their source) was kept whole, and a URL's path parameters always, so a
``;jsessionid=`` in ``$APISLO_PROMETHEUS_URL`` reached a successful report's provenance box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apislo.errors import ConfigError
from apislo.report import provenance, views
from apislo.report.provenance import redact_url


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("//bob:LEAK@prom.example:9090/api?token=LEAK#LEAK", "//prom.example:9090/api"),
        ("https://bob:LEAK@[::1]:9090/prometheus", "https://[::1]:9090/prometheus"),
        ("http://LEAK@prom.example", "http://prom.example"),
        ("dataset data/a@b/events", "dataset data/a@b/events"),  # (not a URL: kept)
        # a credential path parameter, its value alone (until 2026-11-30 kept)
        ("https://h:9090/a;JSESSIONID=LEAK;v=2/b", "https://h:9090/a;JSESSIONID=REDACTED;v=2/b"),
        # a URL in a label, as views.data_source names its source (until 2026-11-30 kept whole)
        ("prometheus http://h:9090/p;jsessionid=LEAK", "prometheus http://h:9090/p;jsessionid=REDACTED"),
        ("prometheus https://bob:LEAK@h/p", "prometheus https://h/p"),
        ("prometheus https://h/?access_token=LEAK#LEAK", "prometheus https://h/"),
        # a token in the path: 20 base64url characters mixing the three kinds, or a JSON Web
        # Token (until 2026-11-30 kept); words and names of that length stay
        ("https://h/t/Ab3dEf6hIj9kLm2nOp5q/api", "https://h/t/REDACTED/api"),
        ("https://h/p/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln/x", "https://h/p/REDACTED/x"),
        ("https://h/api/v1/prometheus-k8s-operator-2024", "https://h/api/v1/prometheus-k8s-operator-2024"),
    ],
)  # fmt: skip
def test_a_source_is_shown_without_its_credentials(source: str, shown: str) -> None:
    assert redact_url(source) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:1/prom;jsessionid=SECRET1234", "http://127.0.0.1:1/prom;jsessionid=REDACTED"),
        ("http://ann:SECRET1234@127.0.0.1:1/prom", "http://127.0.0.1:1/prom"),
        ("http://127.0.0.1:1/prom;a=1;sessionid=SECRET1234/x", "http://127.0.0.1:1/prom;a=1;sessionid=REDACTED/x"),
    ],
)  # fmt: skip
def test_the_prometheus_url_in_the_environment_reaches_no_provenance_box(
    url: str, shown: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a successful report's box shows of ``$APISLO_PROMETHEUS_URL``: the shipped notebooks
    pass the label of ``views.data_source`` to ``record_provenance``, whose value the runner
    reads back into the box. Until 2026-11-30 a session id in the URL's path reached the box
    and the notebook, as the label kept it and ``redact_url`` kept any text holding more than
    a URL (a failed run's error redacted it already)."""
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", url)
    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path))
    recorded: dict[str, Any] = {}
    monkeypatch.setattr(provenance, "record", lambda name, value: recorded.update({name: value}))
    source, label = views.data_source("")
    source.close()
    provenance.record_provenance(sources=[label])
    box = provenance.provenance_html(
        provenance.Provenance(
            "nb.ipynb", "run", "0", {}, "2026-11-30T00:00:00+00:00", 1.0, "k"
        ).with_recorded(recorded[provenance.PROVENANCE_KEY])
    )
    assert label == f"prometheus {shown}"
    assert f"<tr><th>Sources</th><td>prometheus {shown}</td></tr>" in box
    assert "SECRET1234" not in box


def test_a_query_in_the_prometheus_url_is_refused_unshown(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provenance box is made: the URL is refused when its client is built (as before)."""
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", "http://127.0.0.1:1/prom?access_token=SECRET1234")
    with pytest.raises(ConfigError) as info:
        views.data_source("")
    assert str(info.value) == (
        "http://127.0.0.1:1/prom: a Prometheus URL takes no query string or fragment; give a "
        "token by environment variable or file ($APISLO_PROMETHEUS_TOKEN, "
        "$APISLO_PROMETHEUS_TOKEN_FILE)"
    )


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


@pytest.mark.parametrize(
    "source", ["prometheus [https://prom.example]", "prometheus http://[prom.example]:9090"]
)
def test_a_source_url_that_urlsplit_refuses_is_a_config_error(source: str) -> None:
    """Until 2026-11-30 a ``ValueError`` traceback from ``urlsplit`` (``[`` or ``]`` around no
    IP address), where a port that is no number was already refused so."""
    with pytest.raises(ConfigError) as info:
        redact_url(source)
    assert str(info.value) == (
        "a source URL is not a valid URL: a host in [ ] must be an IP address, and a port a "
        "number from 0 to 65535 (not shown: it may hold a password)"
    )
