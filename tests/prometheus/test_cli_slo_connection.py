"""`apislo slo compute|history|backtest --source URL` with the connection options of `apislo prom`:
a bearer token from an environment variable or a file, and a tenant header, through a proxy that
answers 401 without them (as Mimir does), in front of the real fixture Prometheus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from tests.prometheus.faultproxy import FaultProxy
from tests.slo.test_cli_slo import ORDERS_SPEC

TOKEN = "qa-token-8d1f"
TENANT = "team-a"
FIRST_LINE_401 = (
    "error: Prometheus error 401: HTTP 401 Unauthorized: Unauthorized (check the bearer token / "
    "basic auth settings) (query "
)


@pytest.fixture
def guarded(prom_url: str) -> Iterator[FaultProxy]:
    """The fixture Prometheus behind a proxy that wants the token and the tenant header."""
    with FaultProxy(
        prom_url, require_auth=f"Bearer {TOKEN}", require_headers={"X-Scope-OrgID": TENANT}
    ) as proxy:
        yield proxy


@pytest.fixture
def spec(tmp_path: Path) -> str:
    path = tmp_path / "slo.yaml"
    path.write_text(ORDERS_SPEC, encoding="utf-8")
    return str(path)


def _slo(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["slo", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.prometheus
def test_every_slo_command_sends_the_token_and_the_tenant(
    guarded: FaultProxy, spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_PROM_TOKEN", TOKEN)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    tenant = ["--header", f"X-Scope-OrgID: {TENANT}", "--no-cache"]
    by_env = ["--bearer-token-env", "QA_PROM_TOKEN", *tenant]
    by_file = ["--bearer-token-file", str(token_file), *tenant]
    source = ["--source", guarded.url]
    span = ["--start", "2026-01-05T00:00Z", "--end", "2026-01-05T02:00Z", "--json"]

    compute = _slo("compute", spec, *source, "--at", "2026-01-05T02:00Z", "--json", *by_env)
    history = _slo("history", spec, *source, "--period", "week", *span, *by_file)
    backtest = _slo("backtest", spec, *source, *span, *by_env)

    for code, stdout, stderr in (compute, history, backtest):
        assert code == 0, stderr
        assert TOKEN not in stdout + stderr
    # orders, counters sampled at each minute m: 200s 10 m, 500s m // 10, 429s 0 until m = 120.
    # The 1-hour window at 02:00 holds minutes 60-119: 1200 - 600 = 600 good, 12 - 6 = 6 bad.
    (row,) = json.loads(compute[1])
    assert (row["good"], row["total"]) == (600, 606)
    # 00:00-02:00: 1200 good, 120 // 10 = 12 bad.
    (week,) = json.loads(history[1])
    assert (week["good"], week["total"]) == (1200, 1212)
    # The 1 % threshold (factor 1) is never reached over 1 hour: at most 6 bad in 606 (and
    # 1 in 101 in the first hour), so the 1h-and-5m alert never fires.
    (report,) = json.loads(backtest[1])
    assert report["alerts"] == []
    sent = {(h.get("Authorization"), h.get("X-Scope-OrgID")) for h in guarded.headers}
    assert sent == {(f"Bearer {TOKEN}", TENANT)}


@pytest.mark.prometheus
def test_a_wrong_token_is_a_one_line_error_without_the_token(
    guarded: FaultProxy, spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_PROM_TOKEN", "wrong-token-55")
    code, stdout, stderr = _slo(
        "compute", spec, "--source", guarded.url, "--at", "2026-01-05T02:00Z",
        "--bearer-token-env", "QA_PROM_TOKEN", "--header", f"X-Scope-OrgID:{TENANT}",
        "--no-cache",
    )  # fmt: skip
    assert (code, stdout) == (1, "")
    assert stderr.startswith(FIRST_LINE_401) and stderr.count("\n") == 1, stderr
    assert "wrong-token-55" not in stderr
    assert guarded.headers[0]["Authorization"] == "Bearer wrong-token-55"  # sent, and refused


def test_connection_options_with_a_dataset_are_refused(spec: str, tmp_path: Path) -> None:
    """They would be ignored: said so, rather than run without what the user meant to use."""
    dataset = tmp_path / "events"
    dataset.mkdir()
    code, stdout, stderr = _slo(
        "history", spec, "--source", str(dataset), "--header", "X-Scope-OrgID:a"
    )
    assert (code, stdout) == (1, "")
    assert stderr == (
        f"error: --header is for a Prometheus --source (http(s)://...), and {dataset} is a "
        "dataset directory: leave it out\n"
    )


@pytest.mark.prometheus
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            ["X-Scope-OrgID:team-a", "x-scope-orgid: team-b"],
            "--header x-scope-orgid is given twice, and only one would be sent: give it once",
        ),
        (["X-Api-Key=LEAK123"], "a --header is not NAME:VALUE: write it as NAME:VALUE "
         "(X-Scope-OrgID:team-a)"),
        (["authorization: Bearer LEAK123"], "--header authorization puts a credential on the "
         "command line, where ps and the shell history show it: give a bearer token with "
         "--bearer-token-env or --bearer-token-file (basic auth: --basic-user with "
         "--basic-password-env or --basic-password-file)"),
    ],
    ids=["twice", "no-colon", "authorization"],
)  # fmt: skip
def test_a_header_given_twice_without_a_colon_or_with_a_credential_is_refused(
    prom_url: str, headers: list[str], message: str
) -> None:
    """Header names are case-insensitive: only team-b was sent. A header without a colon may
    be a key written NAME=VALUE: it is not shown. An Authorization header was sent as given,
    its token in the command line that ps shows."""
    with FaultProxy(prom_url) as proxy:
        flags = [arg for header in headers for arg in ("--header", header)]
        result = CliRunner().invoke(main, ["prom", "query", proxy.url, "up", "--no-cache", *flags])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {message}\n"
    assert proxy.requests == []


@pytest.mark.prometheus
def test_an_authorization_of_another_scheme_is_sent(prom_url: str) -> None:
    """Only Bearer and Basic credentials have options that read them from a file or the
    environment; another scheme (`Token`, as some gateways want) still goes by --header."""
    with FaultProxy(prom_url, require_auth="Token t-77") as proxy:
        args = ["prom", "query", proxy.url, "vector(1)", "--no-cache", "--start", "-2m"]
        result = CliRunner().invoke(main, [*args, "--header", "Authorization: Token t-77"])
    assert result.exit_code == 0, result.stderr
    assert proxy.headers[0]["Authorization"] == "Token t-77"


@pytest.mark.prometheus
def test_basic_auth_with_the_password_in_a_file(prom_url: str, spec: str, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("S3cretPW\n")
    # RFC 7617: "Basic " + base64("ann:S3cretPW")
    with FaultProxy(prom_url, require_auth="Basic YW5uOlMzY3JldFBX") as proxy:
        code, stdout, stderr = _slo(
            "compute", spec, "--source", proxy.url, "--at", "2026-01-05T02:00Z", "--json",
            "--basic-user", "ann", "--basic-password-file", str(password), "--no-cache",
        )  # fmt: skip
    assert code == 0, stderr
    (row,) = json.loads(stdout)
    assert (row["good"], row["total"]) == (600, 606)
    assert "S3cretPW" not in stdout + stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--bearer-token-env", "QA_T", "--bearer-token-file", "/run/token"],
            "give --bearer-token-env or --bearer-token-file, not both",
        ),
        (
            ["--bearer-token-env", "QA_T", "--basic-user", "ann"],
            "give a bearer token (--bearer-token-env) or basic auth (--basic-user), not both",
        ),
        (
            [
                "--basic-user",
                "ann",
                "--basic-password-env",
                "QA_PW",
                "--basic-password-file",
                "/pw",
            ],
            "give --basic-password-env or --basic-password-file, not both",
        ),
        (
            ["--basic-password-env", "QA_PW"],
            "a basic-auth password needs its user: give --basic-user too",
        ),
        (["--client-key", "/run/key.pem"], "--client-key needs --client-cert"),
        (["--timeout", "nan"], "--timeout must be a finite number of seconds > 0"),
        (["--timeout", "inf"], "--timeout must be a finite number of seconds > 0"),
        (["--timeout", "0"], "--timeout must be a finite number of seconds > 0"),
        (["--concurrency", "0"], "--concurrency must be a whole number >= 1"),
        (
            ["--header", "X-Api-Key: LEAK\tx"],
            "--header X-Api-Key: its value has a control character; a header value is one line "
            "of printable ASCII",
        ),
        (
            ["--header", "X-Api-Key: LEAK\udce9"],
            "--header X-Api-Key: its value has a lone surrogate (half of a UTF-16 surrogate "
            "pair, which UTF-8 cannot hold); a header value is one line of printable ASCII",
        ),
        (
            ["--header", "X-Api Key: LEAK"],
            "--header name 'X-Api'... is not an HTTP field name (letters, digits and "
            "!#$%&'*+-.^_`|~; the rest of it, which may hold a key, is not shown)",
        ),
    ],
    ids=[
        "two-tokens",
        "token-and-user",
        "two-passwords",
        "password-without-user",
        "key-without-certificate",
        "timeout-nan",
        "timeout-inf",
        "timeout-zero",
        "concurrency-zero",
        "header-tab",
        "header-not-utf8",
        "header-name",
    ],
)
def test_a_refused_option_is_named_by_its_flag(flags: list[str], message: str) -> None:
    """The flags given, not the Python names (``bearer_token_env``), nor both (``client_key
    (--client-key)``) as until 2026-11-29; ``--timeout nan`` and ``inf`` were a traceback at
    the first request. Until 2026-11-29 a header refused for its name or value did not name
    --header, and a byte that is not UTF-8 (a lone surrogate to Python) was "a character
    outside printable ASCII"."""
    args = ["prom", "query", "http://127.0.0.1:1", "up", "--no-cache", *flags]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")
