"""Reports (`apislo report run`, scheduled jobs, the notebooks) connect to Prometheus with the
settings of the ``APISLO_PROMETHEUS_*`` environment variables, read in the kernel: a tenant header
and other headers, a token file, a private CA, a client certificate. Until 2026-11-29 they read
only the URL and ``$APISLO_PROMETHEUS_TOKEN``, so a report on Mimir, behind a private CA or mutual
TLS, or with its token in a mounted file, could not run at all. No token and no header value
lands in a report, its notebook or the history.

The fixture's orders counters (tests/prometheus/conftest.py), sampled at each minute m from T0:
200s 10 m, 500s m // 10, 429s 2 (m - 120) from m = 120. Per hour from T0: 600 + 6 = 606,
606, then 600 + 6 + 120 = 726; 1938 requests in three hours, 18 of them 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import certifi
import nbformat
import pandas as pd
import pytest

from apislo.errors import ConfigError, PrometheusQueryError, PrometheusUnavailableError
from apislo.report import views
from apislo.report.glue import read_records
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

TLS = Path(__file__).resolve().parent / "tls"
CERT, KEY = str(TLS / "cert.pem"), str(TLS / "key.pem")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TOKEN = "qa-token-5e1b77"
TENANT = "tenant-9c2d"
API_KEY = "qa-apikey-44f0"
SECRETS = (TOKEN, TENANT, API_KEY)
THREE_HOURS = (T0, T0 + pd.Timedelta(hours=3))
#: The orders 500 counter: m // 10 = 1 at minute 10.
PROMQL = 'http_requests_total{api="orders",code="500"}'
JOB = """\
name: tenant
notebook: {notebook}
cron: "0 6 * * *"
parameters: {{start: "{{period_start}}", end: "{{period_end}}", interval: 1h, apis: [orders]}}
output: tenant/report.html
cell_timeout: 120
"""
VARIABLES = (
    "URL", "TOKEN", "TOKEN_FILE", "USER", "PASSWORD", "PASSWORD_FILE", "HEADERS", "CA_FILE",
    "CLIENT_CERT", "CLIENT_KEY", "INSECURE_SKIP_VERIFY", "TIMEOUT", "RETRIES",
)  # fmt: skip
#: RFC 7617: "Basic " + base64("ann:S3cretPW") (worked out with `printf ann:S3cretPW | base64`).
ANN_BASIC = "Basic YW5uOlMzY3JldFBX"
#: A % that starts no %XX escape: the message names the variable, not the header or its value.
BAD_ESCAPE = (
    "a header in $APISLO_PROMETHEUS_HEADERS (comma-separated) has a % that starts no %XX "
    "escape: write a % as %25 (and a comma as %2C)"
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Sets ``APISLO_PROMETHEUS_<NAME>`` variables (the others unset), with a fresh chunk cache;
    a report's kernel inherits them."""
    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path / "cache"))
    for name in VARIABLES:
        monkeypatch.delenv(f"APISLO_PROMETHEUS_{name}", raising=False)

    def set_variables(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"APISLO_PROMETHEUS_{name}", value)

    return set_variables


@pytest.fixture
def guarded(prom_url: str) -> Iterator[FaultProxy]:
    """The fixture Prometheus behind a proxy answering 401 without the token, the tenant header
    (as Mimir does) and an API key header."""
    wanted = {"X-Scope-OrgID": TENANT, "X-Api-Key": API_KEY}
    with FaultProxy(prom_url, require_auth=f"Bearer {TOKEN}", require_headers=wanted) as proxy:
        yield proxy


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")  # (as an editor leaves it; Kubernetes writes no newline)
    return path


def _sent(proxy: FaultProxy) -> set[tuple[str | None, ...]]:
    """The distinct (Authorization, X-Scope-OrgID, X-Api-Key) the proxy received."""
    names = ("Authorization", "X-Scope-OrgID", "X-Api-Key")
    return {tuple(h.get(name) for name in names) for h in proxy.headers}


@pytest.mark.prometheus
def test_a_tenant_header_and_a_token_file_reach_the_server(
    guarded: FaultProxy, token_file: Path, env
) -> None:
    env(
        URL=guarded.url,
        TOKEN_FILE=str(token_file),
        HEADERS=f"X-Scope-OrgID: {TENANT}, X-Api-Key:{API_KEY}",
    )
    frame, label = views.load_traffic("", "", THREE_HOURS, "1h", ("api",), ["orders"])
    assert frame["requests"].tolist() == [606, 606, 726]
    assert _sent(guarded) == {(f"Bearer {TOKEN}", TENANT, API_KEY)}
    assert label == f"prometheus {guarded.url} (profile generic)"


@pytest.fixture
def https(prom_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The fixture Prometheus behind https with a certificate of a private CA (self-signed), and
    a CA bundle in the environment without it, as containers set $REQUESTS_CA_BUNDLE."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with FaultProxy(prom_url, tls=(CERT, KEY)) as proxy:
        yield proxy


@pytest.mark.prometheus
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize(
    "variables", [{"CA_FILE": CERT}, {"INSECURE_SKIP_VERIFY": "True"}], ids=["ca", "insecure"]
)
def test_a_ca_file_or_no_check_from_the_environment(
    https: FaultProxy, env, variables: dict[str, str]
) -> None:
    env(**variables)
    source, label = views.data_source("", https.url)
    with source:
        assert source.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))["value"].tolist() == [1.0]
    assert label == f"prometheus {https.url}"


@pytest.mark.prometheus
def test_a_client_certificate_from_the_environment_is_sent(prom_url: str, env) -> None:
    """Mutual TLS: the proxy wants a client certificate signed by its CA (the test certificate
    is its own CA, and serves as the client's too)."""
    env(CA_FILE=CERT, CLIENT_CERT=CERT, CLIENT_KEY=KEY)
    with FaultProxy(prom_url, tls=(CERT, KEY), client_ca=CERT) as proxy:
        source, _ = views.data_source("", proxy.url)
        with source:
            frame = source.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))
    assert frame["value"].tolist() == [1.0]


def _orders_500_at_minute_10(proxy: FaultProxy) -> list[float]:
    """The fixture's orders 500 counter at minute 10 (10 // 10 = 1), read by a report's source
    through ``proxy`` with the settings of the environment."""
    source, _ = views.data_source("", proxy.url)
    with source:
        return source.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))["value"].tolist()


@pytest.mark.prometheus
def test_a_header_value_with_a_comma_is_written_percent_encoded(prom_url: str, env) -> None:
    """As in OpenTelemetry's OTEL_EXPORTER_OTLP_HEADERS, values are percent-decoded: ``%2C`` is
    a comma, ``%25`` a ``%``, a ``+`` stays a ``+``. Until 2026-11-29 a value could not hold a
    comma (it split the variable), and ``k%2C1`` was sent as it is."""
    wanted = {"X-Scope-OrgID": TENANT, "X-Api-Key": "k,1%+2"}  # (decoded by hand)
    with FaultProxy(prom_url, require_headers=wanted) as proxy:
        env(HEADERS=f"X-Scope-OrgID:{TENANT}, X-Api-Key: k%2C1%25+2")
        assert _orders_500_at_minute_10(proxy) == [1.0]
    assert [h.get("X-Api-Key") for h in proxy.headers] == ["k,1%+2"]


@pytest.mark.prometheus
def test_a_header_name_is_percent_decoded_too(prom_url: str, env) -> None:
    """As OpenTelemetry's Python SDK reads OTEL_EXPORTER_OTLP_HEADERS (``parse_env_headers``
    unquotes the name as well as the value). Until 2026-11-29 ``X%2DScope%2DOrgID`` was sent as
    a header of that name, and Mimir answered 401 for want of its tenant."""
    with FaultProxy(prom_url, require_headers={"X-Scope-OrgID": TENANT}) as proxy:
        env(HEADERS=f"X%2DScope%2DOrgID:{TENANT}")
        assert _orders_500_at_minute_10(proxy) == [1.0]
    assert [h.get("X-Scope-OrgID") for h in proxy.headers] == [TENANT]


@pytest.mark.prometheus
@pytest.mark.parametrize("variable", ["PASSWORD", "PASSWORD_FILE"])
def test_basic_auth_from_the_environment_reaches_the_server(
    prom_url: str, env, tmp_path: Path, variable: str
) -> None:
    """Until 2026-11-29 only a user:password@ in the URL sent basic auth: a report's server
    behind basic auth answered 401."""
    password = tmp_path / "password"
    password.write_text("S3cretPW\n")  # (a mounted secret; an editor's newline is dropped)
    env(USER="ann", **{variable: str(password) if variable.endswith("FILE") else "S3cretPW"})
    with FaultProxy(prom_url, require_auth=ANN_BASIC) as proxy:
        assert _orders_500_at_minute_10(proxy) == [1.0]
    assert [h["Authorization"] for h in proxy.headers] == [ANN_BASIC]


@pytest.mark.prometheus
def test_a_password_file_is_read_again_at_each_request(prom_url: str, env, tmp_path: Path) -> None:
    """As the token file: a rotated secret is sent from the next request on."""
    password = tmp_path / "password"
    password.write_text("first-pw")
    env(USER="ann", PASSWORD_FILE=str(password))
    with FaultProxy(prom_url) as proxy:
        source, _ = views.data_source("", proxy.url)
        with source:
            source.query(PROMQL, at=T0 + pd.Timedelta(minutes=10))
            password.write_text("second-pw")
            source.query(PROMQL, at=T0 + pd.Timedelta(minutes=20))
    # RFC 7617: "Basic " + base64 of "ann:first-pw", then of "ann:second-pw" (`base64`)
    sent = [h["Authorization"] for h in proxy.headers]
    assert sent == ["Basic YW5uOmZpcnN0LXB3", "Basic YW5uOnNlY29uZC1wdw=="]


@pytest.mark.prometheus
def test_a_timeout_and_retries_from_the_environment(prom_url: str, env) -> None:
    """Answers delayed 2 s, a 0.5 s timeout and 2 retries: three attempts, each cut short, and
    the server is unreachable. With the defaults (30 s, 4 retries), the first answer was read."""
    env(TIMEOUT="0.5", RETRIES="2")
    with FaultProxy(prom_url) as proxy:
        proxy.inject("delay:2", "delay:2", "delay:2", "delay:2")
        with pytest.raises(PrometheusUnavailableError) as info:
            _orders_500_at_minute_10(proxy)
    assert len(proxy.requests) == 3
    assert info.value.reason.endswith("; gave up after 3 attempts")


@pytest.mark.prometheus
def test_no_retries_from_the_environment(prom_url: str, env) -> None:
    """``0`` is a setting, not "unset": one 503 is final (by default it was retried, and the
    second answer read)."""
    env(RETRIES="0")
    with FaultProxy(prom_url) as proxy:
        proxy.inject("503")
        with pytest.raises(PrometheusQueryError) as info:
            _orders_500_at_minute_10(proxy)
    assert (info.value.status, len(proxy.requests)) == (503, 1)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"HEADERS": "X-Api-Key=LEAK-1"},
            "a header in $APISLO_PROMETHEUS_HEADERS (comma-separated) is not NAME:VALUE: write "
            "it as NAME:VALUE (X-Scope-OrgID:team-a)",
        ),
        (
            {"HEADERS": "X-Scope-OrgID:a, Authorization: Bearer LEAK-2"},
            "header Authorization in $APISLO_PROMETHEUS_HEADERS is a credential, which apislo "
            "reads and checks at each request from $APISLO_PROMETHEUS_TOKEN or the file named "
            "by $APISLO_PROMETHEUS_TOKEN_FILE: give the token there (basic auth: "
            "$APISLO_PROMETHEUS_USER with $APISLO_PROMETHEUS_PASSWORD or "
            "$APISLO_PROMETHEUS_PASSWORD_FILE)",
        ),
        (
            {"HEADERS": "X-Scope-OrgID:a,x-scope-orgid:LEAK-3"},
            "header x-scope-orgid in $APISLO_PROMETHEUS_HEADERS is given twice, and only one "
            "would be sent: give it once",
        ),
        (
            {"HEADERS": "X-Api-Key: LEAK-4\x1b[0m"},
            "header X-Api-Key in $APISLO_PROMETHEUS_HEADERS: its value has a control character; "
            "a header value is one line of printable ASCII",
        ),
        (
            {"TOKEN": "LEAK-5", "TOKEN_FILE": "/run/secrets/token"},
            "give $APISLO_PROMETHEUS_TOKEN or $APISLO_PROMETHEUS_TOKEN_FILE, not both",
        ),
        (
            {"INSECURE_SKIP_VERIFY": "LEAK-6"},
            "$APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY is not a boolean: set it to true or "
            "false, or unset it",
        ),
        (
            {"HEADERS": "X-Api-Key=LEAK:7"},
            "header name 'X-Api-Key'... in $APISLO_PROMETHEUS_HEADERS is not an HTTP field name "
            "(letters, digits and !#$%&'*+-.^_`|~; the rest of it, which may hold a key, is not "
            "shown)",
        ),
        (
            {"CA_FILE": "/nonexistent/ca.pem"},
            "$APISLO_PROMETHEUS_CA_FILE: cannot read /nonexistent/ca.pem (No such file or "
            "directory): give the path of a PEM bundle of CAs, or a folder of them",
        ),
        (
            {"CA_FILE": KEY},
            f"$APISLO_PROMETHEUS_CA_FILE: {KEY} should hold a PEM bundle of CAs, or a folder of "
            "them; OpenSSL: no certificate or crl found",
        ),
        (
            {"CLIENT_CERT": CERT},
            f"$APISLO_PROMETHEUS_CLIENT_CERT: {CERT} should hold a PEM client certificate and "
            "its unencrypted PEM key, or the key be given by $APISLO_PROMETHEUS_CLIENT_KEY",
        ),
        (
            {"CLIENT_CERT": CERT, "CLIENT_KEY": "/nonexistent/key.pem"},
            "$APISLO_PROMETHEUS_CLIENT_KEY: cannot read /nonexistent/key.pem (No such file or "
            "directory): give the path of the unencrypted PEM key of the client certificate",
        ),
        ({"HEADERS": "X-Api-Key: LEAK%2"}, BAD_ESCAPE),
        ({"HEADERS": "X-Scope-OrgID:a, X-Api-Key: LEAK%zz"}, BAD_ESCAPE),
        ({"HEADERS": "X-Api-Key: 100%LEAK"}, BAD_ESCAPE),
        (
            {"HEADERS": "Authorization: Bearer%20LEAK-13"},
            "header Authorization in $APISLO_PROMETHEUS_HEADERS is a credential, which apislo "
            "reads and checks at each request from $APISLO_PROMETHEUS_TOKEN or the file named "
            "by $APISLO_PROMETHEUS_TOKEN_FILE: give the token there (basic auth: "
            "$APISLO_PROMETHEUS_USER with $APISLO_PROMETHEUS_PASSWORD or "
            "$APISLO_PROMETHEUS_PASSWORD_FILE)",
        ),
        (
            {"HEADERS": "X-Api-Key: LEAK%0D%0AX-Evil: 1"},
            "header X-Api-Key in $APISLO_PROMETHEUS_HEADERS: its value has a line break; a header "
            "value is one line of printable ASCII",
        ),
        (
            {"PASSWORD": "LEAK-8"},
            "a basic-auth password needs its user: give $APISLO_PROMETHEUS_USER too",
        ),
        (
            {"USER": "ann", "PASSWORD": "LEAK-9", "PASSWORD_FILE": "/run/secrets/password"},
            "give $APISLO_PROMETHEUS_PASSWORD or $APISLO_PROMETHEUS_PASSWORD_FILE, not both",
        ),
        (
            {"USER": "ann", "TOKEN": "LEAK-10"},
            "give a bearer token ($APISLO_PROMETHEUS_TOKEN) or basic auth "
            "($APISLO_PROMETHEUS_USER), not both",
        ),
        (
            {"URL": "http://u:LEAK-11@127.0.0.1:1", "USER": "ann"},
            "credentials given twice: in the URL (user:password@) and by "
            "$APISLO_PROMETHEUS_USER; give them one way only",
        ),
        (
            {"URL": "http://u:LEAK-12@127.0.0.1:1", "TOKEN_FILE": "/run/secrets/token"},
            "credentials given twice: in the URL (user:password@) and by "
            "$APISLO_PROMETHEUS_TOKEN_FILE; give them one way only",
        ),
        (
            {"USER": "ann\nX-Evil: 1"},
            "basic auth: $APISLO_PROMETHEUS_USER has a line break; a basic-auth user or "
            "password is one line of Latin-1 text",
        ),
        (
            {"CLIENT_KEY": KEY},
            "$APISLO_PROMETHEUS_CLIENT_KEY needs $APISLO_PROMETHEUS_CLIENT_CERT",
        ),
        (
            {"CA_FILE": CERT, "INSECURE_SKIP_VERIFY": "true"},
            "$APISLO_PROMETHEUS_CA_FILE verifies the server's certificate and "
            "$APISLO_PROMETHEUS_INSECURE_SKIP_VERIFY does not: give one of them",
        ),
        (
            {"URL": "http://127.0.0.1:1/?access_token=LEAK-14"},
            "http://127.0.0.1:1: a Prometheus URL takes no query string or fragment; give a "
            "token by environment variable or file ($APISLO_PROMETHEUS_TOKEN, "
            "$APISLO_PROMETHEUS_TOKEN_FILE)",
        ),
        (
            {"TIMEOUT": "30s"},
            "$APISLO_PROMETHEUS_TIMEOUT is not a number: set it to a number of seconds > 0, "
            "such as 30, or unset it",
        ),
        ({"TIMEOUT": "0"}, "$APISLO_PROMETHEUS_TIMEOUT must be a finite number of seconds > 0"),
        ({"TIMEOUT": "nan"}, "$APISLO_PROMETHEUS_TIMEOUT must be a finite number of seconds > 0"),
        ({"TIMEOUT": "inf"}, "$APISLO_PROMETHEUS_TIMEOUT must be a finite number of seconds > 0"),
        (
            {"RETRIES": "2.5"},
            "$APISLO_PROMETHEUS_RETRIES is not a whole number: set it to a whole number >= 0, "
            "such as 2, or unset it",
        ),
        ({"RETRIES": "-1"}, "$APISLO_PROMETHEUS_RETRIES must be a whole number >= 0"),
        (
            {"HEADERS": "X-Api-Key: LEAK%09x"},
            "header X-Api-Key in $APISLO_PROMETHEUS_HEADERS: its value has a control character; "
            "a header value is one line of printable ASCII",
        ),
        (
            {"HEADERS": "X-Api%20Key: LEAK-15"},
            "header name 'X-Api'... in $APISLO_PROMETHEUS_HEADERS is not an HTTP field name "
            "(letters, digits and !#$%&'*+-.^_`|~; the rest of it, which may hold a key, is not "
            "shown)",
        ),
        (
            {"HEADERS": "X-Api-Key%3DLEAK-16: x"},
            "header name 'X-Api-Key'... in $APISLO_PROMETHEUS_HEADERS is not an HTTP field name "
            "(letters, digits and !#$%&'*+-.^_`|~; the rest of it, which may hold a key, is not "
            "shown)",
        ),
        (
            {"HEADERS": "%41uthorization: Bearer LEAK-17"},
            "header Authorization in $APISLO_PROMETHEUS_HEADERS is a credential, which apislo "
            "reads and checks at each request from $APISLO_PROMETHEUS_TOKEN or the file named "
            "by $APISLO_PROMETHEUS_TOKEN_FILE: give the token there (basic auth: "
            "$APISLO_PROMETHEUS_USER with $APISLO_PROMETHEUS_PASSWORD or "
            "$APISLO_PROMETHEUS_PASSWORD_FILE)",
        ),
        (
            {"HEADERS": "X-Scope-OrgID:a, X%2Dscope%2Dorgid:LEAK-18"},
            "header X-scope-orgid in $APISLO_PROMETHEUS_HEADERS is given twice, and only one "
            "would be sent: give it once",
        ),
        ({"HEADERS": "X-Api-Key%: LEAK-19"}, BAD_ESCAPE),
        (
            {"HEADERS": "X-Api-Key: LEAK-20\udce9"},
            "header X-Api-Key in $APISLO_PROMETHEUS_HEADERS: its value has a lone surrogate (half "
            "of a UTF-16 surrogate pair, which UTF-8 cannot hold); a header value is one line of "
            "printable ASCII",
        ),
        (
            {"URL": "http://127.0.0.1:1/caf\udce9"},
            "the Prometheus URL holds U+DCE9, half of a UTF-16 surrogate pair, which UTF-8 cannot "
            "hold: write the character itself, or its UTF-8 bytes percent-encoded (%C3%A9 for "
            "U+00E9)",
        ),
    ],
    ids=[
        "not-name-value",
        "authorization",
        "twice",
        "control-character",
        "two-tokens",
        "flag",
        "value-in-name",
        "missing-ca",
        "key-as-ca",
        "certificate-without-key",
        "missing-key",
        "escape-cut-short",
        "escape-not-hex",
        "bare-percent",
        "authorization-escaped",
        "line-break-escaped",
        "password-without-user",
        "two-passwords",
        "token-and-user",
        "url-credentials-and-user",
        "url-credentials-and-token-file",
        "user-line-break",
        "key-without-certificate",
        "ca-and-insecure",
        "url-query",
        "timeout-not-a-number",
        "timeout-zero",
        "timeout-nan",
        "timeout-inf",
        "retries-not-whole",
        "retries-negative",
        "tab-escaped",
        "name-space-escaped",
        "name-equals-escaped",
        "authorization-name-escaped",
        "twice-name-escaped",
        "name-bare-percent",
        "value-not-utf8",
        "url-not-utf8",
    ],
)
def test_a_refused_setting_names_its_variable_not_its_value(
    env, variables: dict[str, str], message: str
) -> None:
    """Each names what a report's user set (a variable), never a command-line option such as
    --client-key (until 2026-11-29), and never a secret or a header's value. Until 2026-11-29 a
    header value Transport refused (``%09``: a tab) did not name the variable; header names
    were not percent-decoded (``X-Api%20Key`` was sent as it is written, ``%41uthorization``
    passed as another header); and a byte that is not UTF-8 (Python holds it as a lone
    surrogate, ``\\udce9`` for a Latin-1 ``é``) passed in the URL, or was "a character outside
    printable ASCII" in a header value."""
    env(**{"URL": "http://127.0.0.1:1", **variables})
    with pytest.raises(ConfigError) as info:
        views.data_source("data/demo/events")
    assert str(info.value) == message
    assert "LEAK" not in str(info.value)


@pytest.mark.prometheus
def test_a_scheduled_report_connects_and_keeps_no_secret(
    guarded: FaultProxy, token_file: Path, env, tmp_path: Path
) -> None:
    """One real run of explore.ipynb as a scheduled job: the settings reach the kernel, and no
    token or header value is in its HTML, its notebook, the history or the index."""
    env(
        URL=guarded.url,
        TOKEN_FILE=str(token_file),
        HEADERS=f"X-Scope-OrgID:{TENANT},X-Api-Key:{API_KEY}",
    )
    job_file = tmp_path / "scheduled" / "tenant.yaml"
    job_file.parent.mkdir()
    job_file.write_text(JOB.format(notebook=NOTEBOOKS / "explore.ipynb"), encoding="utf-8")
    reports = tmp_path / "reports"
    record = run_job(load_job(job_file), reports, window=THREE_HOURS)
    assert (record.status, record.error) == ("ok", "")
    notebook = nbformat.read(reports / "tenant" / "report.ipynb", as_version=4)
    (orders,) = read_records(notebook)["overview"]
    assert (orders["api"], orders["requests"]) == ("orders", 1938)
    assert orders["errors_5xx_pct"] == pytest.approx(100 * 18 / 1938)
    assert notebook.metadata["apislo"]["sources"] == [f"prometheus {guarded.url} (profile generic)"]
    assert _sent(guarded) == {(f"Bearer {TOKEN}", TENANT, API_KEY)}
    kept = ["tenant/report.html", "tenant/report.ipynb", "history.jsonl", "index.html"]
    for name in kept:
        text = (reports / name).read_text(encoding="utf-8")
        assert [secret for secret in SECRETS if secret in text] == [], name
