"""TLS handshakes that asking again would not mend, each one clear ``ConfigError`` at once: a
server that wants a client certificate (mutual TLS) and gets none or one it does not trust, a
server certificate for another host or expired.

The server is a real Prometheus serving the fixture data over https by its web configuration
(``--web.config.file``), with throwaway certificates made by :mod:`tests.prometheus.pki`.
Prometheus reads that file at each request ("any change in the configuration and the
certificates is picked up immediately", says its "HTTPS and authentication" page,
https://prometheus.io/docs/prometheus/latest/configuration/https/), so one server serves every
case: each test sets what it presents. Python's ``ssl`` server in
:class:`~tests.prometheus.faultproxy.FaultProxy` stands for the servers built on OpenSSL, which
refuse in words of their own.
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pandas as pd
import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError, PrometheusUnavailableError
from apislo.sources.prometheus import Prometheus, Transport, endpoint
from apislo.sources.prometheus.local import LocalPrometheus
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy
from tests.prometheus.pki import Pair, issue, make_ca
from tests.prometheus.tunnel import Tunnel

#: The fixture's orders 500 counter: m // 10 at minute m, so 1 at minute 10.
PROMQL = 'http_requests_total{api="orders",code="500"}'
SERVER, CLIENT = "subjectAltName=IP:127.0.0.1", "extendedKeyUsage=clientAuth"
#: A self-signed server certificate for 127.0.0.1 (see tests/prometheus/test_tls.py) and its key.
SELF_SIGNED, SELF_SIGNED_KEY = (
    str(Path(__file__).parent / "tls" / name) for name in ("cert.pem", "key.pem")
)
#: What every message about a client certificate says to do, naming the settings as they were
#: given: on the command line, in Python.
GIVE_ONE = "give a valid one signed by a CA it trusts with --client-cert and --client-key"
GIVE_ONE_PY = "give a valid one signed by a CA it trusts with client_cert and client_key"
#: What else the handshake_failure alert (40) of OpenSSL's TLS 1.2 servers can mean, and do.
OR_NO_CIPHER = (
    "or it shares no cipher suite or key exchange group with this client (this alert says either)"
)
OR_CHECK = "or check the TLS settings of the server"


@dataclass(frozen=True)
class Pki:
    """The CA the server trusts for clients and signs its certificates with, and the rest."""

    ca: Pair
    server: Pair
    client: Pair
    stranger: Pair  # a client certificate signed by another CA
    old_client: Pair  # a client certificate whose validity ended a day ago
    other_host: Pair  # a server certificate for other.example only
    expired: Pair  # a server certificate whose validity ended a day ago
    not_yet_valid: Pair  # a server certificate whose validity starts in 2099


@dataclass(frozen=True)
class MutualTls:
    """A Prometheus on https that wants a client certificate signed by ``pki.ca``."""

    url: str
    web_config: Path
    pki: Pki

    def present(self, server: Pair, **settings: str) -> None:
        """Have the server present ``server`` (with ``settings`` added to its TLS settings)
        from the next connection on."""
        config = {
            "cert_file": server.cert,
            "key_file": server.key,
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": self.pki.ca.cert,
            **settings,
        }  # (JSON is YAML)
        self.web_config.write_text(json.dumps({"tls_server_config": config}), encoding="utf-8")

    def client(
        self, host: str = "127.0.0.1", port: int | None = None, **options: str
    ) -> Prometheus:
        """A client of the server by the name ``host`` (on ``port``, that of a relay in front
        of it) that trusts its CA and presents the right client certificate, unless
        ``options`` say otherwise."""
        settings = {"client_cert": self.pki.client.cert, "client_key": self.pki.client.key}
        url = self.url.replace("127.0.0.1", host)
        if port is not None:
            url = url.replace(f":{urlsplit(url).port}", f":{port}")
        return Prometheus(url, cache=False, ca_file=self.pki.ca.cert, **settings | options)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca, rogue = make_ca(folder, "ca"), make_ca(folder, "rogue")
    return Pki(
        ca=ca,
        server=issue(folder, "server", ca, SERVER),
        client=issue(folder, "client", ca, CLIENT),
        stranger=issue(folder, "stranger", rogue, CLIENT),
        old_client=issue(folder, "old-client", ca, CLIENT, days=-1),
        other_host=issue(folder, "other-host", ca, "subjectAltName=DNS:other.example"),
        expired=issue(folder, "expired", ca, SERVER, days=-1),
        not_yet_valid=issue(folder, "not-yet-valid", ca, SERVER, start="20990101000000Z"),
    )


@pytest.fixture(scope="module")
def mutual_tls_server(
    prom_data: Path, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MutualTls]:
    root = tmp_path_factory.mktemp("mtls-serve")
    shutil.copytree(prom_data, root / "data")
    ready = Transport(ca_file=pki.ca.cert, client_cert=pki.client.cert, client_key=pki.client.key)
    prometheus = LocalPrometheus(root / "data", web_config=root / "web.yml", tls=ready)
    server = MutualTls(prometheus.url, root / "web.yml", pki)
    server.present(pki.server)
    with prometheus:
        yield server


@pytest.fixture
def mtls(mutual_tls_server: MutualTls) -> MutualTls:
    """The server, presenting its own certificate."""
    mutual_tls_server.present(mutual_tls_server.pki.server)
    return mutual_tls_server


@pytest.fixture
def naps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry delays slept, in seconds (none is slept)."""
    slept: list[float] = []
    monkeypatch.setattr(endpoint, "time", SimpleNamespace(sleep=slept.append))
    return slept


def _value(prom: Prometheus) -> float:
    with prom:
        return float(prom.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))["value"].iloc[0])


@pytest.mark.prometheus
def test_a_client_certificate_its_ca_signed_is_accepted(mtls: MutualTls) -> None:
    """The fixture is right: what the failures below lack is what makes this pass."""
    assert _value(mtls.client()) == 1.0  # 10 // 10


@pytest.mark.prometheus
@pytest.mark.parametrize("versions", [{}, {"max_version": "TLS12"}], ids=["any", "tls1.2"])
def test_no_client_certificate_is_one_clear_error_not_retried(
    mtls: MutualTls, naps: list[float], versions: dict[str, str]
) -> None:
    """It was "unreachable (SSLError: ... Max retries exceeded ...)" after five attempts. Go's
    TLS server (Prometheus 2.42's) refuses with a bad_certificate alert (42), under TLS 1.2
    too."""
    mtls.present(mtls.pki.server, **versions)
    result = CliRunner().invoke(
        main,
        ["prom", "query", mtls.url, "up", "--no-cache", "--ca-file", mtls.pki.ca.cert],
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {mtls.url}: the server refused the TLS handshake (OpenSSL: sslv3 alert bad "
        f"certificate): it wants a client certificate (mutual TLS) and none was given: "
        f"{GIVE_ONE}\n"
    )
    assert naps == []


@pytest.mark.prometheus
def test_a_client_certificate_of_another_ca_is_one_clear_error_not_retried(
    mtls: MutualTls, naps: list[float]
) -> None:
    stranger = mtls.pki.stranger
    with pytest.raises(ConfigError) as info:
        _value(mtls.client(client_cert=stranger.cert, client_key=stranger.key))
    assert str(info.value) == (
        f"{mtls.url}: the server refused the TLS handshake (OpenSSL: sslv3 alert bad "
        f"certificate): it wants a client certificate (mutual TLS) and it did not accept "
        f"{stranger.cert}: {GIVE_ONE_PY}"
    )
    assert naps == []


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("certificate", "host", "problem"),
    [
        (
            "other_host",
            "127.0.0.1",
            "is for another host (IP address mismatch, certificate is not valid for "
            "'127.0.0.1'): put a host name it is for in the URL, or have it reissued for this "
            "one",
        ),
        (
            "server",
            "localhost",
            "is for another host (Hostname mismatch, certificate is not valid for "
            "'localhost'): put a host name it is for in the URL, or have it reissued for this "
            "one",
        ),
        (
            "expired",
            "127.0.0.1",
            "has expired (certificate has expired): have it renewed on the server (or check "
            "this machine's clock)",
        ),
        (
            # until 2026-11-29: "is not trusted ...: give the CA that signed it", given already
            "not_yet_valid",
            "127.0.0.1",
            "is not yet valid (certificate is not yet valid): check this machine's clock, or "
            "have the server present one valid now",
        ),
    ],
    ids=["ip-address-mismatch", "hostname-mismatch", "expired", "not-yet-valid"],
)
def test_a_server_certificate_for_another_host_or_expired_says_so(
    mtls: MutualTls, naps: list[float], certificate: str, host: str, problem: str
) -> None:
    """Each was "not trusted: give the CA that signed it with --ca-file", which was given.
    The reasons are OpenSSL's (X509_V_ERR_CERT_HAS_EXPIRED) and CPython's ssl module's."""
    mtls.present(getattr(mtls.pki, certificate))
    prom = mtls.client(host)
    with pytest.raises(ConfigError) as info:
        _value(prom)
    assert str(info.value) == (
        f"{prom.url}: its TLS certificate {problem}, or, for a throwaway test server only, "
        "verify=False"
    )
    assert naps == []


@pytest.mark.prometheus
def test_a_server_of_no_tls_version_this_client_speaks_is_one_clear_error_not_retried(
    mtls: MutualTls, naps: list[float]
) -> None:
    """A server that speaks only TLS 1.1 (which OpenSSL 3 no longer does) refuses the
    handshake with a protocol_version alert (70), at every attempt: it was retried five times
    (4 naps), though asking again cannot change it."""
    mtls.present(mtls.pki.server, max_version="TLS11")
    with pytest.raises(ConfigError) as info:
        _value(mtls.client())
    assert str(info.value) == (
        f"{mtls.url}: the server and this client share no TLS version (OpenSSL: tlsv1 alert "
        "protocol version): enable TLS 1.2 or 1.3 on the server (OpenSSL here refuses TLS 1.1 "
        "and older)"
    )
    assert naps == []


@pytest.mark.prometheus
def test_a_tls_failure_that_is_retried_keeps_openssls_reason(
    mtls: MutualTls, naps: list[float]
) -> None:
    """A relay that drops every connection in the handshake (a load balancer without a
    backend): an EOF each time, retried. The message after the last retry said only "Max
    retries exceeded with url: ...", never why."""
    with (
        Tunnel(urlsplit(mtls.url).port, drops=100) as tunnel,
        pytest.raises(PrometheusUnavailableError) as info,
    ):
        _value(mtls.client(port=tunnel.port))
    url = mtls.url.replace(str(urlsplit(mtls.url).port), str(tunnel.port))
    assert re.fullmatch(
        rf"Prometheus at {re.escape(url)} is unreachable \(SSLEOFError: \[SSL: "
        r"UNEXPECTED_EOF_WHILE_READING\] EOF occurred in violation of protocol \(_ssl\.c:\d+\); "
        r"gave up after 5 attempts\)\. Check the URL, that the server runs and that this machine "
        r"can reach it\.",
        str(info.value),
    )
    assert len(naps) == 4


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("client", "refusal"),
    [
        (None, "tlsv13 alert certificate required): it wants a client certificate (mutual TLS) "
         "and none was given"),
        ("stranger", "tlsv1 alert unknown ca): it wants a client certificate (mutual TLS) and "
         "it did not accept {cert}"),
        ("old_client", "sslv3 alert certificate expired): it wants a client certificate (mutual "
         "TLS) and it did not accept {cert}"),
    ],
    ids=["none", "another-ca", "expired"],
)  # fmt: skip
def test_an_openssl_servers_refusal_is_one_clear_error_not_retried(
    prom_url: str, pki: Pki, naps: list[float], client: str | None, refusal: str
) -> None:
    """OpenSSL's TLS 1.3 server says why after the handshake, when the request is on its way:
    a request still being sent then meets the closed connection, an EOF that lost the reason,
    and was retried as if the server had gone away. This one is long (a POST of 1 MB), so that
    it nearly always does."""
    settings = {}
    if client is not None:
        pair = getattr(pki, client)
        settings = {"client_cert": pair.cert, "client_key": pair.key}
    with FaultProxy(prom_url, tls=(pki.server.cert, pki.server.key), client_ca=pki.ca.cert) as tls:
        prom = Prometheus(tls.url, cache=False, ca_file=pki.ca.cert, **settings)
        with pytest.raises(ConfigError) as info, prom:
            prom.query(PROMQL + " " * 1_000_000, at=T0)
    assert str(info.value) == (
        f"{tls.url}: the server refused the TLS handshake (OpenSSL: "
        f"{refusal.format(cert=settings.get('client_cert'))}: {GIVE_ONE_PY}"
    )
    assert naps == []


@pytest.mark.prometheus
def test_no_client_certificate_under_tls12_is_one_clear_error_not_retried(
    prom_url: str, pki: Pki, naps: list[float]
) -> None:
    """OpenSSL's TLS 1.2 server refuses a handshake without the client certificate it wants
    with a handshake_failure alert (40), in the handshake: it was retried five times (4 naps)
    and "unreachable (SSLError: [SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] ...)". It sends the same
    alert when it shares no cipher suite with the client (next test): the message says both."""
    server = (pki.server.cert, pki.server.key)
    tls12 = ssl.TLSVersion.TLSv1_2
    with FaultProxy(prom_url, tls=server, client_ca=pki.ca.cert, max_tls=tls12) as https:
        result = CliRunner().invoke(
            main, ["prom", "query", https.url, "up", "--no-cache", "--ca-file", pki.ca.cert]
        )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {https.url}: the server refused the TLS handshake (OpenSSL: sslv3 alert "
        f"handshake failure): it wants a client certificate (mutual TLS) and none was given, "
        f"{OR_NO_CIPHER}: {GIVE_ONE}, {OR_CHECK}\n"
    )
    assert naps == []


@pytest.mark.prometheus
@pytest.mark.parametrize("client", [None, "client"], ids=["no-certificate", "certificate"])
def test_no_cipher_suite_in_common_is_not_said_to_be_the_certificate_only(
    prom_url: str, pki: Pki, naps: list[float], client: str | None
) -> None:
    """A TLS 1.2 server that wants no client certificate but allows only a cipher suite
    urllib3 does not offer (with SHA-1 MACs) ends the handshake with the same alert, with or
    without a client certificate: the message says it may mean this too. Retried five times
    until 2026-11-29 (4 naps), as asking again cannot change it either."""
    settings = {}
    if client is not None:
        settings = {"client_cert": pki.client.cert, "client_key": pki.client.key}
    given = f"it did not accept {pki.client.cert}" if client else "none was given"
    server = (pki.server.cert, pki.server.key)
    tls12, sha1 = ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-SHA"
    with (
        FaultProxy(prom_url, tls=server, max_tls=tls12, ciphers=sha1) as https,
        pytest.raises(ConfigError) as info,
    ):
        _value(Prometheus(https.url, cache=False, ca_file=pki.ca.cert, **settings))
    assert str(info.value) == (
        f"{https.url}: the server refused the TLS handshake (OpenSSL: sslv3 alert handshake "
        f"failure): it wants a client certificate (mutual TLS) and {given}, {OR_NO_CIPHER}: "
        f"{GIVE_ONE_PY}, {OR_CHECK}"
    )
    assert naps == []


@pytest.fixture
def slow_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait for a server's alert after an EOF, 10 s instead of 1 s: a probe that waits for
    it in full takes 10 s, far from the few milliseconds of one that does not."""
    monkeypatch.setattr(endpoint, "_ALERT_WAIT_S", 10.0)


def _timed_value(prom: Prometheus) -> tuple[float, float]:
    """The fixture's orders 500 counter at minute 10 by ``prom``, and the seconds it took."""
    began = time.perf_counter()
    value = _value(prom)
    return value, time.perf_counter() - began


@pytest.mark.prometheus
def test_a_dropped_handshake_costs_no_wait_when_the_server_accepts_the_client(
    mtls: MutualTls, naps: list[float], slow_alert: None
) -> None:
    """A connection dropped once (a load balancer, a restart) is an EOF in the handshake; the
    connection opened to read the server's reason waited the full second for an alert that a
    server accepting the client never sends (1.005 s measured against this Prometheus, at each
    attempt that met an EOF). Prometheus sends its session ticket once it accepts the client
    certificate: the wait ends there."""
    with Tunnel(urlsplit(mtls.url).port, drops=1) as tunnel:
        value, took = _timed_value(mtls.client(port=tunnel.port))
    assert value == 1.0  # 10 // 10
    assert (tunnel.connections, len(naps)) == (3, 1)  # the request, the probe, the retry
    assert took < 5.0  # (it was 10 s: the whole wait)


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("version", "timeout_s"),
    [(ssl.TLSVersion.TLSv1_2, 30.0), (ssl.TLSVersion.TLSv1_3, 0.5)],
    ids=["tls1.2", "tls1.3-timeout"],
)
def test_a_dropped_handshake_waits_for_no_verdict_beyond_the_timeout(
    prom_url: str,
    pki: Pki,
    naps: list[float],
    slow_alert: None,
    version: ssl.TLSVersion,
    timeout_s: float,
) -> None:
    """A server that sends no session ticket: under TLS 1.2 the handshake held its verdict, so
    there is nothing to wait for; under TLS 1.3 the wait is at most ``timeout_s`` (it was the
    whole wait, whatever the timeout: 1 s with timeout_s=0.5, here 10 s)."""
    server = (pki.server.cert, pki.server.key)
    with (
        FaultProxy(prom_url, tls=server, tickets=False, max_tls=version) as https,
        Tunnel(urlsplit(https.url).port, drops=1) as tunnel,
    ):
        url = f"https://127.0.0.1:{tunnel.port}"
        prom = Prometheus(url, cache=False, ca_file=pki.ca.cert, timeout_s=timeout_s)
        value, took = _timed_value(prom)
    assert value == 1.0  # 10 // 10
    assert (tunnel.connections, len(naps)) == (3, 1)
    assert took < 5.0


@pytest.mark.prometheus
def test_the_client_certificate_goes_to_no_server_that_is_not_trusted(
    prom_url: str, pki: Pki, naps: list[float]
) -> None:
    """After an EOF, the connection that reads the server's reason did not check the server's
    certificate, yet presented the client certificate: whoever answered in the server's place
    (here with a self-signed certificate) got it, and the request was retried. It checks the
    server as requests do now: the certificate is refused there, at once."""
    with (
        FaultProxy(prom_url, tls=(SELF_SIGNED, SELF_SIGNED_KEY), client_ca=pki.ca.cert) as rogue,
        Tunnel(urlsplit(rogue.url).port, drops=1) as tunnel,
    ):
        url = f"https://127.0.0.1:{tunnel.port}"
        settings = {"client_cert": pki.client.cert, "client_key": pki.client.key}
        with pytest.raises(ConfigError) as info:
            _value(Prometheus(url, cache=False, ca_file=pki.ca.cert, **settings))
    assert rogue.client_names == []  # (it was ["client"])
    assert re.fullmatch(
        rf"{re.escape(url)}: its TLS certificate is not trusted \(self[- ]signed certificate\): "
        r"give the CA that signed it with ca_file, or, for a throwaway test server only, "
        r"verify=False",
        str(info.value),
    )
    assert naps == []


@pytest.mark.prometheus
def test_behind_a_proxy_no_connection_goes_around_it(
    prom_url: str, pki: Pki, naps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests go through $https_proxy, and the connection that reads a server's reason
    after an EOF went straight to the URL's host: there, another server (one that wants a
    client certificate) answered, and its refusal ended the run, though the server behind the
    proxy serves the query. (Where only the proxy can reach the server, it could wait up to
    timeout_s to connect, at each attempt.) Behind a proxy, an EOF is retried as before."""
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = (pki.server.cert, pki.server.key)
    with (
        FaultProxy(prom_url, tls=server) as behind,
        FaultProxy(prom_url, tls=server, client_ca=pki.ca.cert) as around,
        Tunnel(urlsplit(behind.url).port, drops=1, connect=True) as proxy,
    ):
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{proxy.port}")
        value = _value(Prometheus(around.url, cache=False, ca_file=pki.ca.cert))
    assert value == 1.0  # 10 // 10
    assert (proxy.connections, len(naps), around.requests) == (2, 1, [])
