"""Auth, headers and secrets: what reaches the server, and what never shows."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus, Transport
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

SECRET = "s3cr3t-token-value"


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


def test_tls_settings_and_path_prefix(tmp_path: Path) -> None:
    from apislo.sources.prometheus.endpoint import Endpoint
    from apislo.sources.prometheus.transport import build_session

    ca, cert, key = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    session = build_session(Transport(ca_file=ca, client_cert=cert, client_key=key))
    assert session.verify == str(ca) and session.cert == (str(cert), str(key))
    assert build_session(Transport(verify=False)).verify is False
    endpoint = Endpoint("https://mimir.example/", Transport(path_prefix="/prometheus/"))
    assert endpoint.base == "https://mimir.example/prometheus"
    assert session.headers.get("Accept-Encoding") != "identity"  # gzip off only on loopback
