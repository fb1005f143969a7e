"""Secrets and headers that HTTP cannot carry (a second line, a control character, a ``€``) are a
``ConfigError`` naming where they came from and what is wrong, before anything is sent; the
secret itself is never shown (it used to be echoed by ``http.client``'s ``ValueError``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.report import views
from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0
from tests.prometheus.faultproxy import FaultProxy

TOKEN_RULE = "a bearer token is one line of printable ASCII without spaces"
BASIC_RULE = "a basic-auth user or password is one line of Latin-1 text"
HEADER_RULE = "a header value is one line of printable ASCII"


@pytest.fixture
def proxy(prom_url: str) -> Iterator[FaultProxy]:
    with FaultProxy(prom_url) as p:
        yield p


def _refused(prom: Prometheus) -> str:
    """The message of the ``ConfigError`` an instant query raises."""
    with pytest.raises(ConfigError) as info:
        prom.query("up", at=T0)
    return str(info.value)


@pytest.mark.prometheus
@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache-key"])
@pytest.mark.parametrize(
    ("token", "flaw"),
    [
        ("LEAKTOKEN1\nX-Evil: 1", "a line break"),
        ("LEAKTOKEN2\r\nX-Evil: 1", "a line break"),
        ("LEAKTOKEN3\x1b[0m", "a control character"),
        ("LEAKTOKEN4 part", "a space"),
        ("LEAKTOKEN8€", "a character outside printable ASCII"),
        ("LEAKTOKENé", "a character outside printable ASCII"),
        (
            "LEAKTOKEN9\udce9",  # (a Latin-1 byte, as Python reads a variable that is not UTF-8)
            "a lone surrogate (half of a UTF-16 surrogate pair, which UTF-8 cannot hold)",
        ),
    ],
)
def test_a_bad_token_from_the_environment_is_named_not_shown(
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cache: bool,
    token: str,
    flaw: str,
) -> None:
    monkeypatch.setenv("QA_T1", token)
    prom = Prometheus(
        proxy.url, cache=tmp_path if cache else False, bearer_token_env="QA_T1", retries=0
    )
    message = _refused(prom)
    assert message == f"bearer token: environment variable QA_T1 has {flaw}; {TOKEN_RULE}"
    assert "LEAKTOKEN" not in message
    assert proxy.requests == []  # refused before anything was sent


@pytest.mark.prometheus
def test_a_scheduled_reports_token_is_named_not_shown(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Report notebooks read the token from APISLO_PROMETHEUS_TOKEN; the error they raise is
    what history.jsonl, the reports index and the failed notebook keep."""
    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("APISLO_PROMETHEUS_TOKEN", "LEAKTOKEN6\nX-Evil: 1")
    with pytest.raises(ConfigError) as info:
        views.load_traffic("", proxy.url, (T0, T0 + pd.Timedelta(hours=1)), "1h", ("api",), [])
    where = "environment variable APISLO_PROMETHEUS_TOKEN"
    assert str(info.value) == f"bearer token: {where} has a line break; {TOKEN_RULE}"
    assert proxy.requests == []


@pytest.mark.prometheus
def test_a_two_line_token_file_is_refused_naming_the_file(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("LEAKTOKEN5\nX-Evil: 1\n")
    message = _refused(Prometheus(proxy.url, cache=False, bearer_token_file=token))
    assert message == f"bearer token: {token} has a line break; {TOKEN_RULE}"
    assert proxy.requests == []


@pytest.mark.prometheus
@pytest.mark.parametrize("secret", ["bearer_token_file", "basic_password_file"])
def test_a_secret_file_that_is_not_utf8_is_refused_naming_the_file(
    proxy: FaultProxy, tmp_path: Path, secret: str
) -> None:
    """Until 2026-11-29 a file in Latin-1 (``\\xe9``) was a ``UnicodeDecodeError`` traceback."""
    path = tmp_path / "secret"
    path.write_bytes(b"LEAKTOKEN\xe9\n")
    user = {"basic_user": "ann"} if secret == "basic_password_file" else {}
    message = _refused(Prometheus(proxy.url, cache=False, **user, **{secret: path}))
    what = "bearer token" if secret == "bearer_token_file" else "basic auth"
    assert message == f"{what}: {path} is not UTF-8 text"
    assert proxy.requests == []


@pytest.mark.prometheus
@pytest.mark.parametrize("text", ["tok-123", "tok-123\n", "tok-123\r\n"])
def test_a_token_files_single_trailing_newline_is_accepted(
    proxy: FaultProxy, tmp_path: Path, text: str
) -> None:
    """Kubernetes writes service-account tokens without a newline; editors add one."""
    token = tmp_path / "token"
    token.write_bytes(text.encode())
    Prometheus(proxy.url, cache=False, bearer_token_file=token).query("up", at=T0)
    assert [h["Authorization"] for h in proxy.headers] == ["Bearer tok-123"]


@pytest.mark.prometheus
def test_a_basic_password_outside_latin1_is_named_not_shown(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_PW", "LEAKPW8€")
    prom = Prometheus(proxy.url, cache=False, basic_user="ann", basic_password_env="QA_PW")
    assert _refused(prom) == (
        f"basic auth: environment variable QA_PW has a character outside Latin-1; {BASIC_RULE}"
    )
    password_file = tmp_path / "pw"
    password_file.write_text("LEAKPW9\nsecond line\n")
    prom = Prometheus(proxy.url, cache=False, basic_user="ann", basic_password_file=password_file)
    assert _refused(prom) == f"basic auth: {password_file} has a line break; {BASIC_RULE}"
    assert proxy.requests == []


def test_url_credentials_outside_latin1_are_refused_without_showing_them() -> None:
    with pytest.raises(ConfigError) as info:
        Prometheus("http://ann:LEAK%E2%82%AC@127.0.0.1:1", cache=False)
    assert str(info.value) == (
        f"basic auth: the URL's user:password@ has a character outside Latin-1; {BASIC_RULE}"
    )


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("team-a\nX-Evil: 1", "has a line break; " + HEADER_RULE),
        ("team\x01a", "has a control character; " + HEADER_RULE),
        ("LEAK€", "has a character outside printable ASCII; " + HEADER_RULE),
        (" team-a", "has leading or trailing spaces"),
    ],
)
def test_a_header_value_http_cannot_carry_is_refused(value: str, flaw: str) -> None:
    with pytest.raises(ConfigError) as info:
        Prometheus("http://127.0.0.1:1", cache=False, headers={"X-Scope-OrgID": value})
    assert str(info.value) == f"header X-Scope-OrgID: its value {flaw}"


def test_a_header_name_http_cannot_carry_is_refused() -> None:
    """Shown up to its first wrong character: a value put in it (``X-Api-Key=KEY``) is not."""
    with pytest.raises(ConfigError) as info:
        Prometheus("http://127.0.0.1:1", cache=False, headers={"X Scope": "a"})
    assert str(info.value) == (
        "header name 'X'... is not an HTTP field name (letters, digits and !#$%&'*+-.^_`|~; "
        "the rest of it, which may hold a key, is not shown)"
    )


@pytest.mark.prometheus
def test_the_cli_says_which_variable_and_never_prints_the_token(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The QA report's command: no traceback, no token, exit code 1."""
    monkeypatch.setenv("QA_T1", "LEAKTOKEN1\nX-Evil: 1")
    result = CliRunner().invoke(
        main,
        ["prom", "query", proxy.url, "up", "--bearer-token-env", "QA_T1",
         "--start", "2026-11-27T00:00Z", "--end", "2026-11-27T00:10Z", "--step", "1m",
         "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: bearer token: environment variable QA_T1 has a line break; {TOKEN_RULE}\n"
    )
    assert "LEAKTOKEN" not in result.output and proxy.requests == []
