"""A job's `parameters` that are not a mapping are refused without quoting them (QA, 2026-11-29:
`parameters:` written as a list, `- prometheus_url: https://ann:PASSWORD@prom.example`, was quoted
whole in the error, which `run-due` printed and wrote to history.jsonl and the index: the
password with it, before the check of credentials in URLs ever ran)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_due

SECRET = "hunter2-d6f1"
JOB = """\
name: a
notebook: nb.ipynb
cron: "0 6 * * *"
parameters:
{parameters}
"""


@pytest.mark.parametrize(
    ("parameters", "kind"),
    [
        (f"  - dataset: data/x\n  - prometheus_url: https://ann:{SECRET}@prom.example", "list"),
        (f"  prometheus_url=https://ann:{SECRET}@prom.example", "str"),
    ],
)
def test_the_error_names_the_kind_not_the_values(tmp_path: Path, parameters, kind) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(JOB.format(parameters=parameters))
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert str(info.value) == (
        f"{path}: parameters: a {kind} is not valid; allowed: a mapping of name: value"
    )


def test_run_due_writes_no_password(tmp_path: Path) -> None:
    sched, reports = tmp_path / "scheduled", tmp_path / "reports"
    sched.mkdir()
    parameters = f"  - prometheus_url: https://ann:{SECRET}@prom.example"
    (sched / "a.yaml").write_text(JOB.format(parameters=parameters))
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status) for r in records] == [("a", "failed")]
    assert SECRET not in records[0].error
    assert SECRET not in (reports / "history.jsonl").read_text()
    assert SECRET not in (reports / "index.html").read_text()
