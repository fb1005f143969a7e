"""``schedule history --job NAME`` refuses a name that is neither a job in --dir nor a job with
runs on record, as ``schedule run`` does (QA: `--job nope` printed nothing and exited 0); a job
whose file was removed still shows its runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.schedule.history import RunRecord, append_record
from tests.schedule.test_run import JOB

STAMP = "2026-11-28T06:00:00+00:00"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Job alpha in scheduled/ (never run); job gone ran once, and its file was removed."""
    (tmp_path / "scheduled").mkdir()
    (tmp_path / "scheduled" / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    append_record(tmp_path / "reports", RunRecord("gone", STAMP, STAMP, STAMP, "ok", "g/1.html"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_unknown_job_is_an_error(project: Path) -> None:
    out = CliRunner().invoke(main, ["schedule", "history", "--job", "nope"])
    assert out.exit_code == 1
    assert (out.stdout, out.stderr) == ("", "error: no job 'nope'; jobs: alpha, gone\n")


def test_a_removed_job_with_runs_on_record_shows_them(project: Path) -> None:
    out = CliRunner().invoke(main, ["schedule", "history", "--job", "gone"])
    assert (out.exit_code, out.stdout) == (0, f"{STAMP}  gone{' ' * 17}ok       1x  g/1.html\n")


def test_a_job_that_never_ran_shows_nothing(project: Path) -> None:
    out = CliRunner().invoke(main, ["schedule", "history", "--job", "alpha"])
    assert (out.exit_code, out.output) == (0, "")


def test_a_reports_folder_that_does_not_exist_is_an_error(project: Path) -> None:
    # a mistyped --reports printed nothing and exited 0, as for a job that never ran
    out = CliRunner().invoke(main, ["schedule", "history", "--reports", "reprots"])
    assert (out.exit_code, out.stdout) == (1, "")
    assert out.stderr == (
        "error: --reports reprots: no such folder; pass the folder holding history.jsonl (or "
        "create it first)\n"
    )


def test_before_the_first_run_the_default_reports_folder_may_be_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a project whose jobs have not run: no reports/ yet, and no run to show (on 2026-11-29
    # refused as a mistyped folder); an unknown job is still an error
    (tmp_path / "scheduled").mkdir()
    (tmp_path / "scheduled" / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    monkeypatch.chdir(tmp_path)
    for args, shown in (([], ""), (["--job", "alpha"], ""), (["--json"], "[]\n")):
        out = CliRunner().invoke(main, ["schedule", "history", *args])
        assert (out.exit_code, out.stdout, out.stderr) == (0, shown, ""), args
    out = CliRunner().invoke(main, ["schedule", "history", "--job", "nope"])
    assert (out.exit_code, out.stderr) == (1, "error: no job 'nope'; jobs: alpha\n")
    assert not (tmp_path / "reports").exists()
