"""A job parameter its notebook does not define makes the job file invalid, reported as every
invalid job file is (until 2026-11-30 the misspelt `intervall: 5min` ran the report at the
notebook's default interval, `1h`, every time, without an error); a `-p` name a job's notebook
does not define keeps that job from running (run-due records it as an invalid job file, `run`
and `serve` refuse it), and fails the run of `run_job` called alone, not retried. Real
notebooks; no kernel starts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_job, load_jobs
from apislo.schedule.run import run_due, run_job
from tests.report.conftest import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 7, tzinfo=UTC)
WEEKLY = """\
name: weekly
notebook: notebooks/explore.ipynb
cron: "0 6 * * *"
period: day
parameters:
  dataset: data/demo/events
  intervall: 5min
output: "{job}/{period_start:%Y-%m-%d}.html"
"""
EXPLORE_DEFINES = (
    "apis, dataset, days, end, interval, profile, prometheus_url, slice_by, start, top"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root holding the shipped explore notebook and the misspelt job."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", tmp_path / "notebooks")
    (tmp_path / "scheduled").mkdir()
    (tmp_path / "scheduled" / "weekly.yaml").write_text(WEEKLY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


ERROR = (
    "scheduled/weekly.yaml: unknown parameter 'intervall' (did you mean 'interval'?): "
    f"notebooks/explore.ipynb's parameters cell defines {EXPLORE_DEFINES}"
)


def test_the_job_file_is_refused_when_read(project: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_job("scheduled/weekly.yaml")
    assert str(info.value) == ERROR


def test_schedule_list_names_it_and_run_due_records_it_without_a_slot(project: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "list"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"error: {ERROR}\n")
    records = run_due("scheduled", "reports", now=NOW)
    assert [(r.job, r.scheduled_for, r.status, r.error) for r in records] == [
        ("weekly", "", "failed", ERROR)
    ]
    assert not (project / "reports" / "weekly").exists()  # no report was made


def test_the_shipped_jobs_define_only_their_notebooks_parameters() -> None:
    invalid: dict = {}
    jobs = load_jobs(ROOT / "scheduled", invalid)
    assert (sorted(job.name for job in jobs), invalid) == (
        ["slo-daily", "slo-monthly", "traffic-weekly"],
        {},
    )


def test_a_job_whose_notebook_is_missing_is_left_to_its_run(tmp_path: Path) -> None:
    """The job file is not at fault: its run fails naming the notebook, as before."""
    path = tmp_path / "jobs" / "weekly.yaml"
    path.parent.mkdir()
    path.write_text(WEEKLY)
    assert load_job(path).parameters == {"dataset": "data/demo/events", "intervall": "5min"}


def test_an_override_its_notebook_does_not_define_fails_the_run_once(tmp_path: Path) -> None:
    """`schedule run JOB -p nn 3` (or run-due's): failed, not retried, nothing written."""
    path = tmp_path / "jobs" / "good.yaml"
    path.parent.mkdir()
    path.write_text(
        f'name: good\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\nretries: 2\n'
        "parameters: {n: 3}\noutput: good.html\n"
    )
    reports = tmp_path / "reports"
    record = run_job(load_job(path), reports, datetime(2026, 11, 28, 6, tzinfo=UTC), {"nn": 4})
    assert (record.status, record.attempts, record.error) == (
        "failed",
        1,
        f"unknown parameter 'nn' (did you mean 'n'?): {NOTEBOOKS / 'good.ipynb'}'s parameters "
        "cell defines n, routes",
    )
    assert [r.status for r in read_history(reports)] == ["failed"]
    assert not (reports / "good.html").exists()


GOOD_JOB = (
    f'name: good\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\n'
    "parameters: {n: 3}\noutput: good.html\n"
)
#: good.ipynb defines n and routes, not nn.
OVERRIDE_ERROR = (
    f"job good: unknown parameter 'nn' (did you mean 'n'?): {NOTEBOOKS / 'good.ipynb'}'s "
    "parameters cell defines n, routes. An override is given to every job: run the jobs whose "
    "notebook defines it one at a time (apislo schedule run NAME -p ...)"
)


def test_an_override_a_jobs_notebook_does_not_define_runs_not_that_job(tmp_path: Path) -> None:
    """run-due records that job failed as an invalid job file is, without its slot (it stays
    due), and runs the others; `schedule run` of it is refused. Until 2026-11-30 the name was
    given to it and ignored."""
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "good.yaml").write_text(GOOD_JOB)
    reports = tmp_path / "reports"
    records = run_due(jobs, reports, now=NOW, params_override={"nn": 4})
    assert [(r.job, r.scheduled_for, r.status, r.error) for r in records] == [
        ("good", "", "failed", OVERRIDE_ERROR)
    ]
    assert not (reports / "good.html").exists()
    args = ["schedule", "run", "good", "--dir", str(jobs), "--reports", str(reports), "-p", "nn"]
    result = CliRunner().invoke(main, [*args, "4"])
    assert (result.exit_code, result.stderr) == (1, f"error: {OVERRIDE_ERROR}\n")
    assert len(read_history(reports)) == 1  # (run-due's record only)
