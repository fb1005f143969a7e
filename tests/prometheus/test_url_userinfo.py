"""A ``user:password@`` that a ``/``, ``?`` or ``#`` in the password cuts short, a token holding
a ``/``, or credentials without ``http(s)://`` are refused before any message names the URL.

A ``/``, ``?`` or ``#`` ends a URL's host part, so ``http://ann:LEAK/x@host`` reads as host
``ann``, port ``LEAK`` and path ``/x@host``. Until 2026-11-29 such a URL was kept as the server's
name, and its password reached every message naming the server: ``Prometheus at
http://ann:1234/LEAK@127.0.0.1:1 is unreachable``, requests' ``Failed to parse: 'ann:LEAK'`` (a
traceback on the command line), ``Prometheus at ann:LEAK@127.0.0.1:1 is unreachable (the URL must
start with http(s)://)``; a scheduled report's history, index and failed notebook kept it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.errors import ConfigError
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
REFUSAL = (
    "the Prometheus URL has an @ after its host, or no http(s):// before its user:password@ "
    "(not shown: it may hold a password): write it as http(s)://USER:PASSWORD@HOST, with a / ? "
    "or # in the user or password written as %2F, %3F or %23"
)
CUT_SHORT = [
    "http://ann:LEAK/x@127.0.0.1:1",  # a password holding a /
    "http://ann:1234/LEAK@127.0.0.1:1",  # ... read as host ann, port 1234
    "https://ann:LEAK?x@127.0.0.1:1",  # ... a ?
    "https://ann:LEAK#x@127.0.0.1:1",  # ... a #
    "http://LE/AK@127.0.0.1:1",  # a token holding a /, as the user alone
    "ann:LEAK@127.0.0.1:1",  # no http(s)://
]


@pytest.mark.parametrize("url", CUT_SHORT)
def test_a_url_with_an_at_sign_after_its_host_is_refused_unshown(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        apislo.prometheus(url, cache=False)
    assert str(info.value) == REFUSAL


def test_the_command_line_says_so_in_one_line() -> None:
    """`apislo prom query` stopped with requests' ``InvalidURL`` traceback, quoting ``ann:LEAK``."""
    result = CliRunner().invoke(main, ["prom", "query", CUT_SHORT[0], "up", "--no-cache"])
    assert (result.exit_code, result.output) == (1, f"error: {REFUSAL}\n")


@pytest.mark.prometheus
def test_a_password_with_its_slash_percent_encoded_is_sent(prom_url: str) -> None:
    # RFC 7617: "Basic " + base64 of "ann:pa/ss" (`printf ann:pa/ss | base64`)
    with FaultProxy(prom_url, require_auth="Basic YW5uOnBhL3Nz") as proxy:
        url = proxy.url.replace("://", "://ann:pa%2Fss@")
        with apislo.prometheus(url, cache=False) as prom:
            frame = prom.query(
                'http_requests_total{api="orders",code="500"}', at=T0 + pd.Timedelta(minutes=10)
            )
            assert prom.url == proxy.url
    assert frame["value"].tolist() == [1.0]  # (the orders 500 counter: m // 10 at minute 10)


def test_a_scheduled_report_keeps_no_part_of_the_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A real run of explore.ipynb with the URL in the environment: it fails in the kernel's
    first code cell, and no part of the password is in the history, the index or the failed
    notebook."""
    monkeypatch.setenv("APISLO_PROMETHEUS_URL", "http://ann:1234/LEAK@127.0.0.1:1")
    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path / "cache"))
    job_file = tmp_path / "scheduled" / "leak.yaml"
    job_file.parent.mkdir()
    notebook = NOTEBOOKS / "explore.ipynb"
    job_file.write_text(
        f'name: leak\nnotebook: {notebook}\ncron: "0 6 * * *"\noutput: leak/report.html\n'
        "retries: 0\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    record = run_job(load_job(job_file), reports, window=(T0, T0 + pd.Timedelta(hours=3)))
    failed = reports / "leak" / "report.failed.ipynb"
    assert (record.status, record.error) == (
        "failed",
        f"{notebook}: cell 2 failed with ConfigError: {REFUSAL} (in `from apislo import "
        "charts`). The last good report, if any, was left as it was; the failed run is in "
        f"{failed}.",
    )
    assert nbformat.read(failed, as_version=4).metadata["apislo"]["evalue"] == REFUSAL
    kept = ["history.jsonl", "index.html", "leak/report.failed.ipynb"]
    assert [name for name in kept if "LEAK" in (reports / name).read_text(encoding="utf-8")] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://[zz]:9090",  # a bracketed host that is no IP address
        "http://ann:LEAKPW@[zz]:9090",
        "http://[::1:9090",  # an unclosed bracket
        "http://prom.example:99999",  # a port out of range
        "http://ann:LEAKPW@prom.example:9x",  # a port that is no number
    ],
)
def test_a_url_that_cannot_be_parsed_is_one_line(url: str) -> None:
    """Until 2026-11-29 each was a ValueError or requests' InvalidURL traceback, the URL (with
    its password) in it."""
    result = CliRunner().invoke(main, ["prom", "query", url, "up", "--no-cache"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: the Prometheus URL is not a valid URL: a host in [ ] must be an IP address, and "
        "a port a number from 0 to 65535 (not shown: it may hold a password)\n"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://:9090", "http://:9090"),  # no host
        ("http://ann:LEAKPW@:9090", "http://:9090"),
        ("http://", "http://"),
        ("http://ann:LEAKPW@prom example:9090", "http://prom example:9090"),  # a space
        ("http://[::1]x:9090", "http://[::1]x:9090"),
        ("http://.prom.example:9090", "http://.prom.example:9090"),
    ],
)
def test_a_url_whose_host_requests_refuses_is_one_line(url: str, shown: str) -> None:
    """urlsplit takes these, and requests refused them at the first request: until 2026-11-29 a
    traceback of InvalidURL. The message shows the URL without its user:password@, as others
    do."""
    result = CliRunner().invoke(main, ["prom", "query", url, "up", "--no-cache"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {shown}: the Prometheus URL has no host, or one that is no host name or IP "
        "address (a space or % in it, a label starting with . or *); give http(s)://HOST or "
        "http(s)://HOST:PORT\n"
    )
