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
#: Why a --header named like a credential is refused, and where it goes instead.
IN_THE_ENVIRONMENT = (
    "puts a credential on the command line, where ps and the shell history show it: put it in a "
    "variable and name that with --headers-env (--headers-env APISLO_PROMETHEUS_HEADERS; "
    "NAME:VALUE, comma-separated, a comma in a value written %2C, a % %25)"
)
#: Where a command takes a bearer token or a basic-auth password.
TOKEN_OPTIONS = (
    "give a bearer token with --bearer-token-env or --bearer-token-file (basic auth: "
    "--basic-user with --basic-password-env or --basic-password-file)"
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
        (["Proxy-Authorization: Basic TEVBSzEyMw=="],
         f"--header Proxy-Authorization {IN_THE_ENVIRONMENT}"),
        (["Authorization: Token LEAK123"], f"--header Authorization {IN_THE_ENVIRONMENT}"),
        (["X-Api-Key: LEAK123"], f"--header X-Api-Key {IN_THE_ENVIRONMENT}"),
        (["Api-Key: LEAK123"], f"--header Api-Key {IN_THE_ENVIRONMENT}"),
        (["X-Auth-Token: LEAK123"], f"--header X-Auth-Token {IN_THE_ENVIRONMENT}"),
        (["Cookie: session=LEAK123"], f"--header Cookie {IN_THE_ENVIRONMENT}"),
        (["user_key: LEAK123"], f"--header user_key {IN_THE_ENVIRONMENT}"),
        (["Key: LEAK123"], f"--header Key {IN_THE_ENVIRONMENT}"),
        (["X-Authenticated-User: ann"], f"--header X-Authenticated-User {IN_THE_ENVIRONMENT}"),
    ],
    ids=[
        "twice", "no-colon", "authorization", "proxy-authorization", "authorization-token",
        "x-api-key", "api-key", "x-auth-token", "cookie", "user-key", "key",
        "x-authenticated-user",
    ],
)  # fmt: skip
def test_a_header_given_twice_without_a_colon_or_with_a_credential_is_refused(
    prom_url: str, headers: list[str], message: str
) -> None:
    """Header names are case-insensitive: only team-b was sent. A header without a colon may
    be a key written NAME=VALUE: it is not shown. A Bearer or Basic Authorization header was
    sent as given, its token in the command line that ps shows, and until 2026-11-29 so was any
    header named like a credential (3scale's `user_key` is one of the query keys apislo redacts
    in logs, `auth` one of the words of a secret's name), which $APISLO_PROMETHEUS_HEADERS takes
    instead."""
    with FaultProxy(prom_url) as proxy:
        flags = [arg for header in headers for arg in ("--header", header)]
        result = CliRunner().invoke(main, ["prom", "query", proxy.url, "up", "--no-cache", *flags])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {message}\n"
    assert proxy.requests == []


@pytest.mark.prometheus
def test_credential_headers_come_from_the_environment_and_a_tenant_from_the_option(
    prom_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another scheme than Bearer or Basic (`Token`, as some gateways want) and API keys go in
    the variable `--headers-env` names, read as reports read $APISLO_PROMETHEUS_HEADERS (`%2C`
    is a comma). Until 2026-11-29 such headers went by --header, in the command line that ps
    shows. A tenant is no secret: it still goes by --header."""
    monkeypatch.setenv("QA_HEADERS", "Authorization: Token t-77, X-Api-Key:k%2C1")
    wanted = {"X-Api-Key": "k,1", "X-Scope-OrgID": TENANT}
    with FaultProxy(prom_url, require_auth="Token t-77", require_headers=wanted) as proxy:
        args = ["prom", "query", proxy.url, "vector(1)", "--no-cache", "--start", "-2m"]
        flags = ["--header", f"X-Scope-OrgID: {TENANT}", "--headers-env", "QA_HEADERS"]
        result = CliRunner().invoke(main, [*args, *flags])
    assert result.exit_code == 0, result.stderr
    sent = {(h["Authorization"], h["X-Api-Key"], h["X-Scope-OrgID"]) for h in proxy.headers}
    assert sent == {("Token t-77", "k,1", TENANT)}


@pytest.mark.prometheus
def test_a_header_option_replaces_the_environments_of_the_same_name(
    prom_url: str, spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line wins over the environment, the name in any case: `--header` sends
    team-a where $APISLO_PROMETHEUS_HEADERS says team-b (not refused as a name given twice),
    and the variable's API key goes with it, for `slo --source URL` as for `prom`."""
    monkeypatch.setenv("APISLO_PROMETHEUS_HEADERS", "X-Scope-OrgID:team-b, X-Api-Key:k-2")
    wanted = {"X-Api-Key": "k-2", "X-Scope-OrgID": "team-a"}
    with FaultProxy(prom_url, require_headers=wanted) as proxy:
        code, stdout, stderr = _slo(
            "compute", spec, "--source", proxy.url, "--at", "2026-01-05T02:00Z", "--json",
            "--header", "x-scope-orgid: team-a", "--no-cache",
            "--headers-env", "APISLO_PROMETHEUS_HEADERS",
        )  # fmt: skip
    assert code == 0, stderr
    (row,) = json.loads(stdout)
    assert (row["good"], row["total"]) == (600, 606)  # (as in the first test)
    lowered = [{name.lower(): value for name, value in h.items()} for h in proxy.headers]
    assert {(h["x-api-key"], h["x-scope-orgid"]) for h in lowered} == {("k-2", "team-a")}


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        (
            "X-Scope-OrgID:a, Authorization: Bearer LEAK9",
            f"header Authorization in $APISLO_PROMETHEUS_HEADERS is a credential, which apislo "
            f"reads and checks at each request: {TOKEN_OPTIONS}",
        ),
        (
            "X-Api-Key: LEAK%091",
            "header X-Api-Key in $APISLO_PROMETHEUS_HEADERS: its value has a control "
            "character; a header value is one line of printable ASCII",
        ),
        (
            "X-Api%20Key: LEAK9",
            "header name 'X-Api'... in $APISLO_PROMETHEUS_HEADERS is not an HTTP field name "
            "(letters, digits and !#$%&'*+-.^_`|~; the rest of it, which may hold a key, is "
            "not shown)",
        ),
    ],
    ids=["bearer", "tab-in-value", "space-in-name"],
)
def test_a_header_refused_in_the_environment_names_the_variable(
    variable: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for reports, a Bearer or Basic credential goes where apislo checks and re-reads it:
    for a command, its token options (a report's are variables, which a command does not
    read). A value or a name HTTP cannot carry is named as it was given, in the variable (not
    `--header`, which Transport would call every header). Nothing secret is shown."""
    monkeypatch.setenv("APISLO_PROMETHEUS_HEADERS", variable)
    args = ["prom", "query", "http://127.0.0.1:1", "up", "--no-cache", "--timeout", "0.5"]
    result = CliRunner().invoke(main, [*args, "--headers-env", "APISLO_PROMETHEUS_HEADERS"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")


@pytest.mark.prometheus
def test_the_variable_of_reports_goes_to_no_server_a_command_is_not_told_to_send_it(
    prom_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key kept in $APISLO_PROMETHEUS_HEADERS for scheduled reports is for their server: a
    command pointed at another (a test server, a colleague's, plain http) sends it only when
    `--headers-env` names the variable."""
    monkeypatch.setenv("APISLO_PROMETHEUS_HEADERS", "X-Api-Key: LEAK-report-key")
    with FaultProxy(prom_url) as proxy:
        args = ["prom", "query", proxy.url, "vector(1)", "--no-cache", "--start", "-2m"]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert proxy.headers and all("X-Api-Key" not in h for h in proxy.headers)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("QA_UNSET_HEADERS", None, "environment variable QA_UNSET_HEADERS is not set or holds "),
        ("QA_BLANK_HEADERS", " , ", "environment variable QA_BLANK_HEADERS is not set or holds "),
        ("", None, "give the name of an environment variable"),
    ],
    ids=["unset", "commas", "no-name"],
)
def test_headers_env_naming_no_headers_is_refused(
    name: str, value: str | None, message: str
) -> None:
    """A command told to send a variable's headers sends none of them only when refused: until
    2026-11-29 `--headers-env ""` was ignored, and a variable of commas was "empty"."""
    args = ["prom", "query", "http://127.0.0.1:1", "up", "--no-cache", "--timeout", "0.5"]
    env = {name: value} if name else {}
    result = CliRunner(env=env).invoke(main, [*args, "--headers-env", name])
    expected = f"error: --headers-env: {message}" + ("no header\n" if name else "\n")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected)


@pytest.mark.parametrize(
    ("url", "flags", "message"),
    [
        (
            "http://127.0.0.1:1",
            ["--bearer-token-env", "QA_TOKEN"],
            "give an Authorization header (header Authorization in $QA_HEADERS) or "
            "--bearer-token-env, not both: the header would be replaced",
        ),
        (
            "http://127.0.0.1:1",
            ["--basic-user", "ann", "--header", "X-Scope-OrgID: team-a"],
            "give an Authorization header (header Authorization in $QA_HEADERS) or "
            "--basic-user, not both: the header would be replaced",
        ),
        (
            "http://ann:LEAKPW@127.0.0.1:1",
            [],
            "credentials given twice: in the URL (user:password@) and by header Authorization "
            "in $QA_HEADERS; give them one way only",
        ),
    ],
    ids=["token", "basic-beside-a-tenant", "url-userinfo"],
)
def test_an_authorization_header_beside_other_credentials_names_its_variable(
    url: str, flags: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--header takes no Authorization, so a command's comes from its --headers-env variable,
    which the message names. Until 2026-11-29 it was `header Authorization`, as in Python, or
    `--header Authorization` beside a --header."""
    monkeypatch.setenv("QA_HEADERS", "Authorization: Token LEAK9")
    monkeypatch.setenv("QA_TOKEN", "tok")
    args = ["prom", "query", url, "up", "--no-cache", "--timeout", "0.5"]
    result = CliRunner().invoke(main, [*args, "--headers-env", "QA_HEADERS", *flags])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {message}\n")


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
            ["--header", "X-Tags: LEAK\tx"],
            "--header X-Tags: its value has a control character; a header value is one line "
            "of printable ASCII",
        ),
        (
            ["--header", "X-Tags: LEAK\udce9"],
            "--header X-Tags: its value has a lone surrogate (half of a UTF-16 surrogate "
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
