"""A credential in a parameter's value, under a harmless name or key, is refused before a report
runs, named by its path and never quoted: a header line named like a credential, a Bearer or
Basic value, a JSON Web Token, a credential written ``key=value``, at any depth. Until 2026-11-30
only names, keys and URLs were checked, so ``headers: ["Authorization: Bearer ..."]`` in a job
file, or ``-p routes 'Bearer ...'``, reached the executed notebook and the report's provenance
box. Ordinary values (URLs, paths, routes with ids, PromQL) pass."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.report.params import check_parameters
from apislo.schedule.run import run_due
from tests.report.conftest import NOTEBOOKS

SECRET = "s3cr3t.Tok-9f2a"
#: A JSON Web Token: {"alg":"HS256"} . {"sub":"ann"} . "signature", each in base64url.
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl"
#: ``ann:s3cret`` in base64 (``printf ann:s3cret | base64``).
BASIC = "YW5uOnMzY3JldA=="
#: ``user:pass`` in base64 (``printf user:pass | base64``).
USER_PASS = "dXNlcjpwYXNz"
#: An API key of 32 hex digits (16 random bytes).
HEX_KEY = "4f9c2e1a7b3d8a7f0c6e5d4b3a291807"
HELD = (
    "parameter {path!r} holds a credential ({kind}). Secrets are never passed as parameters "
    "(they would be saved in the notebook and shown in the report): set it in the environment "
    "instead (e.g. APISLO_PROMETHEUS_TOKEN), where apislo reads it."
)
HEADER = "a header line named like one, such as Authorization: or X-Api-Key:"
SCHEME = "a value of the Bearer or Basic scheme, as an Authorization header sends it"
TOKEN = "a JSON Web Token, eyJ..."
PAIR = "a key=value pair named like one, such as token=... or api_key=..."


@pytest.mark.parametrize(
    ("parameters", "path", "kind"),
    [
        ({"headers": [f"Authorization: Bearer {SECRET}"]}, "headers[0]", HEADER),
        ({"headers": ["X-Scope-OrgID: team-a", f"x-api-key:{SECRET}"]}, "headers[1]", HEADER),
        ({"headers": f"X-Scope-OrgID:team-a, Cookie:sid={SECRET}"}, "headers", HEADER),
        ({"routes": f"Bearer {SECRET}"}, "routes", SCHEME),
        ({"source": {"extra": f"basic {BASIC}"}}, "source.extra", SCHEME),
        ({"label": JWT}, "label", TOKEN),
        ({"label": f"/magic/{JWT}/open"}, "label", TOKEN),
        ({"routes": {JWT: 1}}, "routes", TOKEN),  # a key: named by the mapping holding it
        ({"query": f"step=1m&access_token={SECRET}"}, "query", PAIR),
        ({"query": f"apiKey={SECRET}"}, "query", PAIR),
        ({"filters": [{"q": f"sig={SECRET}"}]}, "filters[0].q", PAIR),
        # real credentials beside the words that pass (test_words_where_a_credential_could_be)
        ({"group_by": f"Authorization: Basic {USER_PASS}"}, "group_by", HEADER),
        ({"group_by": f"X-Api-Key: {HEX_KEY}"}, "group_by", HEADER),
        ({"group_by": f"Key: {SECRET}"}, "group_by", HEADER),
        ({"group_by": "Key: Region-aBc"}, "group_by", HEADER),  # (mixed case: no word)
        ({"group_by": "Key: region, Token: tok3n"}, "group_by", HEADER),  # (the second)
        ({"group_by": f"Bearer {JWT}"}, "group_by", SCHEME),
        ({"group_by": f"Bearer {HEX_KEY}"}, "group_by", SCHEME),
        ({"group_by": "Bearer auth-service-9"}, "group_by", SCHEME),
        ({"group_by": "Bearer authenticationservice"}, "group_by", SCHEME),  # (20 letters)
        ({"group_by": "Bearer aBcDeFgHiJ"}, "group_by", SCHEME),  # (passed: letters only)
        ({"group_by": f"auth={SECRET}"}, "group_by", PAIR),
        ({"group_by": "auth=basic&token=tok3n"}, "group_by", PAIR),  # (the second)
        # a word after a name that is no word of everyday text (a chosen key, a password)
        ({"group_by": "password=hunter"}, "group_by", PAIR),
        ({"group_by": "token=changeme"}, "group_by", PAIR),
        ({"group_by": "Client-Secret: Sesame"}, "group_by", HEADER),
        ({"group_by": "X-Api-Key: letmein"}, "group_by", HEADER),
        ({"group_by": "Token: AUTH_MODE"}, "group_by", HEADER),
        # eight capitals in a row are no word (a base32 key without digits)
        ({"group_by": "Key: JBSWYDPEHPKPXPQR"}, "group_by", HEADER),
    ],
)
def test_a_credential_in_a_value_is_refused_by_its_path(
    parameters: dict, path: str, kind: str
) -> None:
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == HELD.format(path=path, kind=kind)


@pytest.mark.parametrize(
    "value",
    [
        "https://prom.example/prometheus",
        "http://127.0.0.1:9090",
        "data/demo/events",
        "data/20261130T024924-1a2b3c4d",
        "/orders/{id}",
        "GET /users/42/orders",
        "/v1/items/9f8e7d6c-1234-4abc-8def-0123456789ab",
        "GET /plans/basic HTTP/1.1",
        "Basic plan",
        "Basic subscription",  # (base64 of bytes that are no user:password)
        "Bearer authentication",
        "heyJude.mp3.bak",
        'sum(rate(http_requests_total{auth="basic"}[5m]))',
        "X-Scope-OrgID: team-a",
        "Session: Q4 review",
        "monkey=2",
        "sort_key=latency",
        "2026-11-01T00:00:00+00:00",
        "[https://grafana.example]",  # (a ] that urlsplit refuses: until 2026-11-30 a ValueError)
    ],
)
def test_ordinary_values_pass(value: str) -> None:
    assert check_parameters({"label": value, "items": [value]}) == {
        "label": value,
        "items": [value],
    }


@pytest.mark.parametrize(
    "value",
    [
        "Key: region",
        "auth=basic",
        "Bearer auth-service",
        "Key: Region",
        "Authorization: required, Key: AUTH_MODE",
        "step=1m&auth=basic&key=region",
        "Bearer Authentication",
    ],
)
def test_words_where_a_credential_could_be_pass(value: str) -> None:
    """A word after a credential's name or the Bearer scheme is no credential: ``group_by="Key:
    region"`` was refused as a header line, ``auth=basic`` as a pair and ``Bearer
    auth-service`` as a Bearer token (its ``-``) until 2026-11-30. Found on 2026-11-30."""
    assert check_parameters({"group_by": value}) == {"group_by": value}


def test_a_value_of_many_blank_lines_is_checked_in_linear_time() -> None:
    """Found on 2026-11-30: the header-line search tried each line break against every one
    after it, each with every credential name: 5,000 blank lines took about 7 seconds."""
    value = "\n" * 5000 + "notes"
    started = time.perf_counter()
    assert check_parameters({"label": value}) == {"label": value}
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "value", ["[https://prom.example]?token=x", f"see https://[prom.example]/?my_token={SECRET}"]
)
def test_a_credential_in_a_url_that_urlsplit_refuses_is_refused(value: str) -> None:
    """Its query read all the same (``my_token=`` is no name the other checks know)."""
    with pytest.raises(ConfigError) as info:
        check_parameters({"label": value})
    assert str(info.value) == (
        "parameter 'label' holds a URL with credentials (user:password@ or token@, or a "
        "credential in its query or fragment such as ?token= or #access_token=); pass the URL "
        "without them (an @ of its path written as %40) and put the token in the environment "
        "(e.g. APISLO_PROMETHEUS_TOKEN)."
    )


def test_a_job_file_with_a_header_line_in_a_list_is_invalid_and_writes_no_secret(
    tmp_path: Path,
) -> None:
    """The brief's job file: recorded by ``run-due`` as a failed run named after the file (its
    notebook never runs), the token in no history or index."""
    sched, reports = tmp_path / "scheduled", tmp_path / "reports"
    sched.mkdir()
    (sched / "leak.yaml").write_text(
        f'name: leak\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\nperiod: none\n'
        f'parameters:\n  routes: ["Authorization: Bearer {SECRET}"]\noutput: leak.html\n'
    )
    records = run_due(sched, reports, now=datetime(2026, 11, 30, 7, tzinfo=UTC))
    error = f"{sched / 'leak.yaml'}: " + HELD.format(path="routes[0]", kind=HEADER)
    assert [(r.job, r.status, r.error) for r in records] == [("leak", "failed", error)]
    assert sorted(p.name for p in reports.iterdir()) == ["history.jsonl", "index.html"]
    for written in reports.iterdir():
        assert SECRET not in written.read_text()


def test_a_bearer_value_on_the_command_line_never_reaches_a_notebook(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["report", "run", str(NOTEBOOKS / "good.ipynb"), "-p", "routes", f"Bearer {SECRET}",
         "--out", str(tmp_path / "t.html")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == "error: " + HELD.format(path="routes", kind=SCHEME) + "\n"
    assert SECRET not in result.output
    assert list(tmp_path.iterdir()) == []
