"""https: a private CA (``ca_file``, ``--ca-file``), ``verify=False`` (``--insecure-skip-verify``)
and an untrusted certificate, against the fixture Prometheus behind a TLS proxy.

``tls/cert.pem`` and ``tls/key.pem`` are a self-signed certificate for 127.0.0.1, for these tests
only (``openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=apislo test server"
-addext subjectAltName=IP:127.0.0.1``).
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import certifi
import pandas as pd
import pytest
from click.testing import CliRunner
from urllib3.exceptions import InsecureRequestWarning

from apislo.cli import main
from apislo.cli._common import connect
from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus, Transport, endpoint
from apislo.sources.prometheus.settings import (
    CA_FILE_ENV,
    COMMAND_LINE,
    ENVIRONMENT,
    SettingsSource,
    environment_options,
    load_cas,
    transport_options,
)
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

TLS = Path(__file__).resolve().parent / "tls"
CERT, KEY = str(TLS / "cert.pem"), str(TLS / "key.pem")
SPEC = """\
version: apislo/v1
service: shop
slos:
  - {name: orders-availability, api: orders, objectives: [{target: 0.99}], window: 1h}
"""
#: The first sample of the fixture's orders 500 counter: m // 10 at minute 10.
PROMQL = 'http_requests_total{api="orders",code="500"}'


@pytest.fixture
def https(prom_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The fixture Prometheus behind https, with a CA bundle in the environment that does not
    hold its certificate, as in containers and CI images that set $REQUESTS_CA_BUNDLE."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    with FaultProxy(prom_url, tls=(CERT, KEY)) as proxy:
        yield proxy


def _value(prom: Prometheus) -> float:
    frame = prom.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))
    return float(frame["value"].iloc[0])


@pytest.mark.prometheus
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize(
    "settings", [{"ca_file": CERT}, {"verify": False}], ids=["ca_file", "verify-off"]
)
def test_ca_file_and_verify_off_win_over_the_environments_ca_bundle(
    https: FaultProxy, settings: dict[str, object]
) -> None:
    """requests let $REQUESTS_CA_BUNDLE replace both, so the server was refused: its
    certificate is not in that bundle."""
    with Prometheus(https.url, cache=False, retries=0, **settings) as prom:
        assert _value(prom) == 1.0  # 10 // 10


@pytest.mark.prometheus
def test_an_untrusted_certificate_is_one_clear_error_not_retried(https: FaultProxy) -> None:
    prom = Prometheus(https.url, cache=False, retries=4, backoff_s=5.0)
    with pytest.raises(ConfigError) as info:
        _value(prom)  # (five attempts would take 5 s of backoff at least: pytest-timeout 300)
    assert re.fullmatch(
        rf"{re.escape(https.url)}: its TLS certificate is not trusted \(self[- ]signed "
        r"certificate\): give the CA that signed it with ca_file, or, for a throwaway test "
        r"server only, verify=False",
        str(info.value),
    )
    assert https.requests == []  # no request got through the handshake


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("source", "ca_file", "skip"),
    [
        (COMMAND_LINE, "--ca-file", "--insecure-skip-verify"),
        (ENVIRONMENT, "$APISLO_PROMETHEUS_CA_FILE", "$APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY"),
    ],
    ids=["command-line", "environment"],
)
def test_an_untrusted_certificate_names_the_settings_as_they_were_given(
    https: FaultProxy, source: SettingsSource, ca_file: str, skip: str
) -> None:
    """A report's user sets variables, not options: the advice named `--ca-file (ca_file=)`
    whatever the settings came from."""
    options = transport_options({}, source)
    with pytest.raises(ConfigError) as info:
        _value(Prometheus(https.url, cache=False, retries=0, **options))
    assert str(info.value).endswith(
        f"give the CA that signed it with {ca_file}, or, for a throwaway test server only, {skip}"
    )


@pytest.mark.prometheus
def test_https_to_a_plain_http_port_is_one_clear_error_not_retried(
    prom_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture Prometheus serves plain HTTP: it answers a TLS handshake with an HTTP 400,
    which OpenSSL reads as a record of a wrong version. The error said only "Max retries
    exceeded", after five attempts."""
    naps: list[float] = []
    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=naps.append))
    url = prom_url.replace("http://", "https://")
    result = CliRunner().invoke(main, ["prom", "query", url, "up", "--no-cache"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {url}: the server does not answer in TLS (OpenSSL: wrong version number), as "
        f"a plain-HTTP server would not: use {prom_url} if it serves plain HTTP, or the port of "
        "its https listener\n"
    )
    assert naps == []  # not retried


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("flags", "warning"),
    [
        (["--ca-file", CERT], ""),
        (
            ["--insecure-skip-verify"],
            "warning: the TLS certificate of {url} is not verified (--insecure-skip-verify)\n",
        ),
    ],
    ids=["ca-file", "insecure-skip-verify"],
)
def test_slo_compute_over_https(
    https: FaultProxy,
    tmp_path: Path,
    recwarn: pytest.WarningsRecorder,
    flags: list[str],
    warning: str,
) -> None:
    spec = tmp_path / "slo.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(spec), "--source", https.url, "--at", "2026-01-05T02:00Z",
         "--json", "--no-cache", *flags],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # minutes 60-119 of orders: 1200 - 600 = 600 good, 12 - 6 = 6 bad
    (row,) = json.loads(result.stdout)
    assert (row["good"], row["total"]) == (600, 606)
    # said once, not by urllib3's two-line warning at each request
    assert result.stderr == warning.format(url=https.url)
    assert not [w for w in recwarn if issubclass(w.category, InsecureRequestWarning)]


def test_a_ca_file_and_insecure_skip_verify_together_are_refused() -> None:
    result = CliRunner().invoke(
        main,
        ["prom", "query", "https://127.0.0.1:1", "up", "--ca-file", CERT,
         "--insecure-skip-verify"],
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: --ca-file verifies the server's certificate and --insecure-skip-verify does "
        "not: give one of them\n"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--ca-file", "/nonexistent/ca.pem"],
            "--ca-file: cannot read /nonexistent/ca.pem (No such file or directory): give the "
            "path of a PEM bundle of CAs, or a folder of them",
        ),
        (
            ["--ca-file", KEY],
            f"--ca-file: {KEY} should hold a PEM bundle of CAs, or a folder of them; OpenSSL: "
            "no certificate or crl found",
        ),
        (
            ["--client-cert", CERT, "--client-key", CERT],
            f"--client-cert and --client-key: {CERT} and {CERT} should hold a PEM client "
            "certificate and its unencrypted PEM key",
        ),
    ],
    ids=["missing-ca", "key-as-ca", "certificate-as-key"],
)
def test_a_tls_file_that_cannot_be_loaded_is_one_line_naming_its_option(
    flags: list[str], message: str
) -> None:
    """It was a traceback (requests' bare OSError) for a missing file, and, for a file that is
    not PEM, a server "unreachable" after every retry."""
    result = CliRunner().invoke(main, ["prom", "query", "https://127.0.0.1:1", "up", *flags])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {message}\n"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"ca_file": "/nonexistent/ca.pem"},
            "ca_file: cannot read /nonexistent/ca.pem (No such file or directory): give the path "
            "of a PEM bundle of CAs, or a folder of them",
        ),
        (
            {"ca_file": Path(KEY)},
            f"ca_file: {KEY} should hold a PEM bundle of CAs, or a folder of them; OpenSSL: no "
            "certificate or crl found",
        ),
        (
            {"client_cert": "/nonexistent/cert.pem"},
            "client_cert: cannot read /nonexistent/cert.pem (No such file or directory): give "
            "the path of a PEM client certificate",
        ),
        (
            {"client_cert": CERT, "client_key": "/nonexistent/key.pem"},
            "client_key: cannot read /nonexistent/key.pem (No such file or directory): give the "
            "path of the unencrypted PEM key of the client certificate",
        ),
        (
            {"client_cert": CERT, "client_key": CERT},
            f"client_cert and client_key: {CERT} and {CERT} should hold a PEM client "
            "certificate and its unencrypted PEM key",
        ),
        (
            {"client_cert": CERT},
            f"client_cert: {CERT} should hold a PEM client certificate and its unencrypted PEM "
            "key, or the key be given by client_key",
        ),
    ],
    ids=["missing-ca", "key-as-ca", "missing-cert", "missing-key", "cert-as-key", "no-key"],
)
def test_the_python_api_checks_the_tls_files_when_built(
    settings: dict[str, object], message: str
) -> None:
    """As the command line does, naming the keyword: Prometheus(url, ca_file="/nope.pem") was
    built, and its first request raised requests' bare OSError (a missing file) or, for a file
    that is not PEM, called the server unreachable after five attempts."""
    for build in (partial(Prometheus, "https://127.0.0.1:1", cache=False), Transport):
        with pytest.raises(ConfigError) as info:
            build(**settings)
        assert str(info.value) == message


@pytest.mark.parametrize(
    "build",
    [
        lambda url: connect(url, {"ca_file": CERT, "no_cache": True}),
        lambda url: Prometheus(url, cache=False, **environment_options({CA_FILE_ENV: CERT})),
    ],
    ids=["command-line", "environment"],
)
def test_the_ca_file_is_loaded_once_when_the_client_is_built(
    monkeypatch: pytest.MonkeyPatch, build: Callable[[str], Prometheus]
) -> None:
    """Until 2026-11-29 the settings of the command line and of the environment were built into
    a Transport to refuse them, then the client built its own: every TLS file was loaded twice
    (0.2-25 ms each)."""
    loaded: list[str] = []

    def counted(context: ssl.SSLContext, location: str) -> None:
        loaded.append(str(location))
        load_cas(context, location)

    monkeypatch.setattr("apislo.sources.prometheus.settings.load_cas", counted)
    build("https://127.0.0.1:1")
    assert loaded == [CERT]
