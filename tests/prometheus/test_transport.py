"""Auth, headers and secrets: what reaches the server, and what never shows."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError, PrometheusQueryError, PrometheusUnavailableError
from apislo.sources.prometheus import Prometheus, Transport
from apislo.sources.prometheus.local import free_port
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

SECRET = "s3cr3t-token-value"
TLS = Path(__file__).resolve().parent / "tls"


@pytest.fixture
def proxy(prom_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(prom_url) as p:
        yield p


@pytest.mark.prometheus
def test_bearer_from_env_and_tenant_header(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APISLO_TEST_TOKEN", SECRET)
    prom = Prometheus(
        proxy.url,
        cache=False,
        bearer_token_env="APISLO_TEST_TOKEN",
        headers={"X-Scope-OrgID": "tenant-a"},
    )
    prom.query("up", at=T0)
    sent = proxy.headers[-1]
    assert sent["Authorization"] == f"Bearer {SECRET}"
    assert sent["X-Scope-OrgID"] == "tenant-a"
    assert SECRET not in repr(prom) + repr(prom.transport) + repr(prom.endpoint.session.auth)


@pytest.mark.prometheus
def test_bearer_file_is_reread(proxy: FaultProxy, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    prom = Prometheus(proxy.url, cache=False, bearer_token_file=token)
    prom.query("up", at=T0)
    token.write_text("second\n")  # rotated, as Kubernetes does
    prom.query("up", at=T0)
    assert [h["Authorization"] for h in proxy.headers] == ["Bearer first", "Bearer second"]


@pytest.mark.prometheus
def test_basic_auth_and_url_credentials_hidden(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APISLO_TEST_PW", "pa:ss")
    prom = Prometheus(proxy.url, cache=False, basic_user="ann", basic_password_env="APISLO_TEST_PW")
    prom.query("up", at=T0)
    assert proxy.headers[-1]["Authorization"] == "Basic " + base64.b64encode(b"ann:pa:ss").decode()
    with_creds = Prometheus(proxy.url.replace("http://", "http://bob:pw@"), cache=False)
    assert "pw" not in repr(with_creds) and with_creds.url == proxy.url


def test_missing_secret_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APISLO_NOT_SET", raising=False)
    prom = Prometheus("http://127.0.0.1:1", cache=False, bearer_token_env="APISLO_NOT_SET")
    with pytest.raises(ConfigError, match="APISLO_NOT_SET is not set"):
        prom.query("up")


def test_conflicting_and_unknown_options() -> None:
    with pytest.raises(ConfigError, match="not both"):
        Transport(bearer_token_env="A", bearer_token_file="/x")
    with pytest.raises(ConfigError, match="unknown option"):
        Prometheus("http://127.0.0.1:1", token="abc")  # secrets are never parameters


def test_an_authorization_header_beside_a_token_or_basic_auth_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Until 2026-11-29 the token or basic auth silently replaced the header (requests sets
    ``Authorization`` from the session's auth), and a URL's ``user:password@`` was ignored
    beside it; the header's value is never shown."""
    monkeypatch.setenv("QA_MIXED_TOKEN", "tok")
    header = {"authorization": f"Token {SECRET}"}
    with pytest.raises(ConfigError) as info:
        Transport(bearer_token_env="QA_MIXED_TOKEN", headers=header)
    assert str(info.value) == (
        "give an Authorization header (header authorization) or bearer_token_env, not both: "
        "the header would be replaced"
    )
    with pytest.raises(ConfigError) as info:
        Transport(basic_user="ann", headers=header)
    assert str(info.value) == (
        "give an Authorization header (header authorization) or basic_user, not both: the "
        "header would be replaced"
    )
    with pytest.raises(ConfigError) as info:
        Prometheus("http://ann:pw@127.0.0.1:1", cache=False, headers=header)
    assert str(info.value) == (
        "credentials given twice: in the URL (user:password@) and by header authorization; "
        "give them one way only"
    )


def test_a_password_or_key_without_its_user_or_cert_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without basic_user the password was silently not sent (the server saw no Authorization
    # header at all), and a client_key without client_cert was ignored the same way.
    monkeypatch.setenv("APISLO_TEST_PW", SECRET)
    with pytest.raises(ConfigError, match=r"password needs its user: give basic_user") as exc:
        Prometheus("http://127.0.0.1:1", cache=False, basic_password_env="APISLO_TEST_PW")
    assert SECRET not in str(exc.value)
    with pytest.raises(ConfigError, match="basic_password_env or basic_password_file, not both"):
        Transport(basic_user="ann", basic_password_env="APISLO_TEST_PW", basic_password_file="/x")
    with pytest.raises(ConfigError, match=r"^client_key needs client_cert$"):
        Transport(client_key="/key.pem")
    result = CliRunner().invoke(
        main,
        ["prom", "query", "http://127.0.0.1:1", "up", "--basic-password-env", "APISLO_TEST_PW"],
    )
    assert result.exit_code == 1
    assert "error: a basic-auth password needs its user" in result.output
    assert SECRET not in result.output


@pytest.mark.parametrize("timeout_s", [float("nan"), float("inf"), 0.0, -1.0])
def test_a_timeout_that_is_not_a_finite_number_above_zero_is_refused(timeout_s: float) -> None:
    """``nan`` and ``inf`` were accepted, then a traceback from the socket at each request."""
    with pytest.raises(ConfigError) as info:
        Transport(timeout_s=timeout_s)
    assert str(info.value) == "timeout_s must be a finite number of seconds > 0"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"retries": 1.5}, "retries must be a whole number >= 0"),
        ({"retries": True}, "retries must be a whole number >= 0"),
        ({"concurrency": 2.0}, "concurrency must be a whole number >= 1"),
        ({"timeout_s": "30"}, "timeout_s must be a finite number of seconds > 0"),
    ],
    ids=["retries-fraction", "retries-bool", "concurrency-float", "timeout-text"],
)
def test_a_setting_of_the_wrong_kind_of_number_is_refused(
    settings: dict[str, object], message: str
) -> None:
    """`retries=1.5` was a TypeError traceback at the first retry, `timeout_s="30"` one at
    construction; `True` is no count of retries."""
    with pytest.raises(ConfigError) as info:
        Transport(**settings)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "settings",
    [
        {"backoff_s": -1.0},
        {"backoff_s": float("nan")},
        {"backoff_s": "0.5"},
        {"max_backoff_s": -1.0},
        {"max_backoff_s": float("nan")},
        {"max_backoff_s": float("inf")},
    ],
    ids=["backoff-negative", "backoff-nan", "backoff-text", "max-negative", "max-nan", "max-inf"],
)
def test_a_backoff_that_is_not_a_finite_number_of_seconds_is_refused(
    settings: dict[str, object],
) -> None:
    """Each was accepted, then a traceback at the first retry, as ``retries=1.5`` was: a
    negative delay "ValueError: sleep length must be non-negative", ``nan`` "ValueError:
    Invalid value NaN (not a number)", a text a TypeError ('<' between 'str' and 'float'), an
    endless cap an OverflowError at a Retry-After too long for a float ("timestamp out of range
    for platform time_t")."""
    (name,) = settings
    with pytest.raises(ConfigError) as info:
        Transport(**settings)
    assert str(info.value) == f"{name} must be a finite number of seconds >= 0"


def test_a_backoff_of_zero_is_no_wait() -> None:
    transport = Transport(backoff_s=0, max_backoff_s=0.0)
    assert (transport.backoff_s, transport.max_backoff_s) == (0, 0.0)


def test_numpy_whole_numbers_are_whole() -> None:
    import numpy as np

    transport = Transport(retries=np.int64(2), concurrency=np.int32(3))
    assert (transport.retries, transport.concurrency) == (2, 3)


def test_tls_settings_and_path_prefix() -> None:
    from apislo.sources.prometheus.endpoint import Endpoint
    from apislo.sources.prometheus.transport import build_session

    # (files that exist: a Transport loads its TLS files when built)
    ca, cert, key = (TLS / name for name in ("cert.pem", "cert.pem", "key.pem"))
    session = build_session(Transport(ca_file=ca, client_cert=cert, client_key=key))
    assert session.verify == str(ca) and session.cert == (str(cert), str(key))
    assert build_session(Transport(verify=False)).verify is False
    endpoint = Endpoint("https://mimir.example/", Transport(path_prefix="/prometheus/"))
    assert endpoint.base == "https://mimir.example/prometheus"
    assert session.headers.get("Accept-Encoding") != "identity"  # gzip off only on loopback


URL_PASSWORD = "S3cretPW"
#: base64 of "ann:S3cretPW" (RFC 7617): what a server behind basic auth expects.
ANN_BASIC = "Basic YW5uOlMzY3JldFBX"


@pytest.mark.prometheus
def test_url_credentials_are_sent_as_basic_auth(prom_url: str) -> None:
    with FaultProxy(prom_url, require_auth=ANN_BASIC) as guarded:
        url = guarded.url.replace("http://", f"http://ann:{URL_PASSWORD}@")
        promql = 'http_requests_total{api="orders",code="500"}'
        result = CliRunner().invoke(
            main,
            ["prom", "query", url, promql, "--start", "2026-01-05T01:00Z",
             "--end", "2026-01-05T01:00Z", "--step", "1h", "--no-cache"],
        )  # fmt: skip
        sent = [h.get("Authorization") for h in guarded.headers]
    assert result.exit_code == 0, result.output
    assert sent == [ANN_BASIC]
    # minute 60 of the fixture: 60 // 10 = 6 errors
    assert result.stdout.splitlines()[1:] == [
        "2026-01-05 01:00:00+00:00,http_requests_total,orders,500,6.0"
    ]
    assert URL_PASSWORD not in result.output


@pytest.mark.prometheus
def test_url_password_is_in_no_error_message(prom_url: str) -> None:
    with FaultProxy(prom_url, require_auth=ANN_BASIC) as guarded:
        wrong = Prometheus(guarded.url.replace("http://", "http://ann:WrongPW@"), cache=False)
        with pytest.raises(PrometheusQueryError) as denied:
            wrong.query("up", at=T0)
        right = Prometheus(
            guarded.url.replace("http://", f"http://ann:{URL_PASSWORD}@"), cache=False, retries=0
        )
        guarded.inject("503")
        with pytest.raises(PrometheusQueryError) as failed:
            right.query("up", at=T0)
    assert denied.value.status == 401 and failed.value.status == 503
    assert str(denied.value) == (
        "Prometheus error 401: HTTP 401 Unauthorized: Unauthorized (check the bearer token / "
        "basic auth settings) (query 'up' at 2026-01-05T00:00:00Z)"
    )
    port = free_port()
    down = Prometheus(f"http://ann:{URL_PASSWORD}@127.0.0.1:{port}", cache=False, retries=0)
    with pytest.raises(PrometheusUnavailableError) as unreachable:
        down.query("up", at=T0)
    assert unreachable.value.url == f"http://127.0.0.1:{port}"
    shown = [str(denied.value), str(failed.value), str(unreachable.value), repr(right), right.url]
    for text in shown:
        assert "WrongPW" not in text and URL_PASSWORD not in text, text


def test_url_credentials_and_other_auth_are_refused() -> None:
    url = f"http://ann:{URL_PASSWORD}@127.0.0.1:1"
    result = CliRunner().invoke(main, ["prom", "query", url, "up", "--basic-user", "bob"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: credentials given twice: in the URL (user:password@) and by --basic-user; give "
        "them one way only"
    )
    with pytest.raises(ConfigError) as info:
        Prometheus(url, cache=False, bearer_token_env="PROM_TOKEN")
    assert str(info.value) == (
        "credentials given twice: in the URL (user:password@) and by bearer_token_env; give "
        "them one way only"
    )
    assert URL_PASSWORD not in result.output + str(info.value)


def test_a_url_with_a_query_string_is_refused_without_showing_it() -> None:
    """A ``?access_token=`` in the URL would be lost (the API path goes after the URL's path)
    and shown in every error: refused at once, the query left out of the message."""
    result = CliRunner().invoke(
        main, ["prom", "query", "http://127.0.0.1:1/?access_token=ENVQ55", "up"]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "error: http://127.0.0.1:1: a Prometheus URL takes no query string or fragment; give a "
        "token by environment variable or file (--bearer-token-env, --bearer-token-file)\n"
    )
