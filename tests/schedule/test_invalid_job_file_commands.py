"""An invalid job file (QA: `scheduled/bad.yaml` with `cron: "0 6 * *"`) stops neither
`schedule run GOOD` nor `report site`: each names it on stderr and goes on, the index shows its
error as `run-due` records it (fake notebook runs, a fixed clock)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.schedule.run import run_due
from tests.schedule.test_run import JOB, FakeRunner

NOW = datetime(2026, 11, 28, 7, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root with a good job (alpha, daily at 06:00 UTC) and QA's bad.yaml."""
    (tmp_path / "scheduled").mkdir()
    (tmp_path / "scheduled" / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    bad = JOB.format(name="bad", retries=0).replace('"0 6 * * *"', '"0 6 * *"')
    (tmp_path / "scheduled" / "bad.yaml").write_text(bad)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_report", FakeRunner())
    monkeypatch.setattr("apislo.schedule.run._now", lambda: NOW)
    return tmp_path


ERROR = (
    "scheduled/bad.yaml: cron: '0 6 * *' is not valid; allowed: a five-field cron expression "
    "such as '0 6 * * *'"
)


def test_schedule_run_runs_the_good_job(project: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "run", "alpha"])
    assert result.exit_code == 0
    assert result.stdout == "alpha [2026-11-28T06:00:00+00:00] ok -> alpha/2026-11-27.html\n"
    assert result.stderr == f"warning: {ERROR}\n"
    assert (project / "reports" / "alpha" / "2026-11-27.html").is_file()


def test_schedule_run_of_the_bad_file_or_an_unknown_job_fails(project: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "run", "bad"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {ERROR}\n")
    result = CliRunner().invoke(main, ["schedule", "run", "nope"])
    assert (result.exit_code, result.stderr) == (1, "error: no job 'nope'; jobs: alpha\n")


def _latest_row(index: Path, job: str) -> str:
    latest = index.read_text().split("<h2>History</h2>")[0]
    return next(row for row in latest.split("<tr") if f"<td>{job}<br>" in row)


def test_report_site_rebuilds_the_index_with_the_bad_files_error(project: Path) -> None:
    index = project / "reports" / "index.html"
    index.parent.mkdir()
    result = CliRunner().invoke(main, ["report", "site"])
    assert result.exit_code == 0
    assert result.stdout == "reports/index.html\n"
    assert result.stderr == f"warning: {ERROR}\n"
    failed = f'<td class="status-failed">failed<div class="error">{html.escape(ERROR)}</div></td>'
    assert f"{failed}<td></td>" in _latest_row(index, "bad")  # not run: no time
    assert '<td class="status-never-run">never run</td>' in _latest_row(index, "alpha")
    # once run-due has recorded it, the index shows that run (with its time), as before
    run_due("scheduled", "reports", now=NOW)
    assert CliRunner().invoke(main, ["report", "site"]).exit_code == 0
    assert f"{failed}<td>2026-11-28T07:00:00+00:00</td>" in _latest_row(index, "bad")
    assert '<a href="alpha/2026-11-27.html">latest report</a>' in _latest_row(index, "alpha")
