"""A secret-looking key inside a mapping parameter, at any depth, is refused as a top-level name is,
named by its path and without its value (until 2026-11-30 `source: {password: hunter2}` in a job
file, `headers: {Authorization: Bearer ...}` or a list of such mappings passed, and the secret was
written into the executed notebook and the HTML report)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.report import run_report
from apislo.report.params import check_parameters
from apislo.schedule.run import run_due
from tests.report.conftest import NOTEBOOKS
from tests.report.test_scheme_relative_urls import REFUSAL

SECRET = "hunter2-5e1b"
#: The refusal of a secret-looking name, as for a top-level parameter (test_runner.py).
SECRET_NAME = (
    "parameter {path!r} looks like a secret. Secrets are never passed as parameters (they would "
    "be saved in the notebook and shown in the report): set it in the environment instead (e.g. "
    "APISLO_PROMETHEUS_TOKEN), where apislo reads it."
)


@pytest.mark.parametrize(
    ("parameters", "path"),
    [
        ({"source": {"url": "http://prom:9090", "password": SECRET}}, "source.password"),
        ({"headers": {"Authorization": f"Bearer {SECRET}"}}, "headers.Authorization"),
        ({"headers": {"X-Scope-OrgID": "team-a", "X-Api-Key": SECRET}}, "headers.X-Api-Key"),
        ({"sources": [{"url": "http://a:9090"}, {"url": "http://b", "token": SECRET}]},
         "sources[1].token"),
        ({"a": {"b": [{"c": {"Cookie": SECRET}}]}}, "a.b[0].c.Cookie"),
        # header and query names that is_secret_key knows, which hold no "secret word"
        ({"query": {"sig": SECRET}}, "query.sig"),
        ({"headers": {"X-Amz-Signature": SECRET}}, "headers.X-Amz-Signature"),
        ({"jwt": SECRET}, "jwt"),  # (one rule at every depth: until 2026-11-30 this passed)
    ],
)  # fmt: skip
def test_a_secret_looking_key_at_any_depth_is_refused_by_its_path(
    parameters: dict, path: str
) -> None:
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == SECRET_NAME.format(path=path)


@pytest.mark.parametrize(
    ("parameters", "path"),
    [
        ({"sources": ["orders", f"https://bob:{SECRET}@prom.example"]}, "sources[1]"),
        ({"source": {"url": f"//prom.example/?access_token={SECRET}"}}, "source.url"),
        ({"sources": {f"https://bob:{SECRET}@prom.example": "main"}}, "sources"),  # a key
    ],
)
def test_a_url_with_credentials_inside_a_value_is_named_by_its_path(
    parameters: dict, path: str
) -> None:
    """A key that is such a URL is named by the mapping holding it: its path would show it."""
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == REFUSAL.format(name=path)


def test_mappings_and_lists_without_secrets_pass_unchanged() -> None:
    parameters = {
        "source": {"url": "http://prom:9090", "tenant": "team-a"},
        "headers": {"X-Scope-OrgID": "team-a"},
        "slices": [{"by": "route", "top": 5}, {"by": "consumer", "top": 3}],
    }
    assert check_parameters(parameters) == parameters


def test_a_nested_secret_never_reaches_a_notebook(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run_report(NOTEBOOKS / "good.ipynb", {"n": {"password": SECRET}}, tmp_path / "r.html")
    assert str(info.value) == SECRET_NAME.format(path="n.password")
    assert list(tmp_path.iterdir()) == []  # nothing executed, nothing written


def test_a_job_file_with_a_nested_password_is_invalid_and_writes_no_secret(tmp_path: Path) -> None:
    """The brief's job file: an invalid job file, recorded by `run-due` as a failed run named
    after the file (its notebook never runs), the password in no report, history or index."""
    sched, reports = tmp_path / "scheduled", tmp_path / "reports"
    sched.mkdir()
    (sched / "leak.yaml").write_text(
        f'name: leak\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\nperiod: none\n'
        f"parameters:\n  n: 2\n  source: {{url: http://prom:9090, password: {SECRET}}}\n"
        "output: leak.html\n"
    )
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    error = f"{sched / 'leak.yaml'}: " + SECRET_NAME.format(path="source.password")
    assert [(r.job, r.status, r.error) for r in records] == [("leak", "failed", error)]
    assert sorted(p.name for p in reports.iterdir()) == ["history.jsonl", "index.html"]
    for written in reports.iterdir():
        assert SECRET not in written.read_text()
