"""A secret-looking parameter name or key that is not a plain name (`api_key=...`,
`Authorization: Bearer ...`, a header line written as a key) is refused without being shown, as
it may hold the secret itself (until 2026-11-30 the refusal quoted it, and for a job file the
history and the index kept it); a plain name is still named by its path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.report.params import check_parameters
from apislo.schedule.run import run_due
from tests.report.conftest import NOTEBOOKS
from tests.report.test_nested_secrets import SECRET, SECRET_NAME

#: SECRET_NAME's advice, after what is refused.
ADVICE = SECRET_NAME.split(" looks like a secret", 1)[1]


@pytest.mark.parametrize(
    ("parameters", "what"),
    [
        ({"headers": {f"Authorization: Bearer {SECRET}": None}},
         "a key in parameter 'headers' (not shown: it may hold the secret)"),
        ({"query": [{f"api_key={SECRET}": 1}]},
         "a key in parameter 'query[0]' (not shown: it may hold the secret)"),
        ({f"token={SECRET}": 1}, "a parameter name (not shown: it may hold the secret)"),
        ({f"Bearer {SECRET}": 1}, "a parameter name (not shown: it may hold the secret)"),
    ],
)  # fmt: skip
def test_a_secret_looking_key_that_is_not_a_name_is_not_shown(parameters: dict, what: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == f"{what} looks like a secret{ADVICE}"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"headers": {"X-Api-Key": SECRET}}, SECRET_NAME.format(path="headers.X-Api-Key")),
        ({"api-key": SECRET}, SECRET_NAME.format(path="api-key")),  # (a secret first)
        ({"my days": 7}, "parameter name 'my days' is not a Python identifier; use letters, "
                         "digits and _"),
    ],
)  # fmt: skip
def test_names_are_still_named(parameters: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_parameters(parameters)
    assert str(info.value) == message


def test_a_job_file_with_a_header_line_as_a_key_keeps_it_out_of_history_and_index(
    tmp_path: Path,
) -> None:
    sched, reports = tmp_path / "scheduled", tmp_path / "reports"
    sched.mkdir()
    (sched / "leak.yaml").write_text(
        f'name: leak\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\nperiod: none\n'
        f'parameters:\n  n: 2\n  routes:\n    "Authorization: Bearer {SECRET}": x\n'
        "output: leak.html\n"
    )
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    error = (
        f"{sched / 'leak.yaml'}: a key in parameter 'routes' (not shown: it may hold the "
        f"secret) looks like a secret{ADVICE}"
    )
    assert [(r.job, r.status, r.error) for r in records] == [("leak", "failed", error)]
    assert sorted(p.name for p in reports.iterdir()) == ["history.jsonl", "index.html"]
    for written in reports.iterdir():
        assert SECRET not in written.read_text()
