"""`apislo schedule ...` and `apislo report ...` on the command line (fake notebook runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.schedule.lock import job_lock
from tests.schedule.test_run import JOB, FakeRunner


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "scheduled").mkdir()
    (tmp_path / "scheduled" / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_list_shows_next_runs(project: Path) -> None:
    out = CliRunner().invoke(main, ["schedule", "list", "--count", "2"])
    assert out.exit_code == 0, out.output
    assert "alpha: " in out.output and "cron '0 6 * * *' (UTC)" in out.output
    assert out.output.count("  next ") == 2


def test_list_shows_the_valid_jobs_and_names_an_invalid_file(project: Path) -> None:
    bad = project / "scheduled" / "z.yaml"
    bad.write_text("name: zed\n")
    out = CliRunner().invoke(main, ["schedule", "list", "--count", "1"])
    assert out.exit_code == 1
    assert out.stdout.startswith("alpha: ") and out.stdout.count("  next ") == 1
    assert out.stderr == "error: scheduled/z.yaml: 'notebook' is required\n"


def test_run_due_then_nothing_due_then_history(project: Path, monkeypatch) -> None:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    cli = CliRunner()
    first = cli.invoke(main, ["schedule", "run-due", "-p", "dataset", "data/x"])
    assert first.exit_code == 0, first.output
    assert "alpha [" in first.output and " ok -> alpha/" in first.output
    assert fake.calls[0][0]["dataset"] == "data/x"
    again = cli.invoke(main, ["schedule", "run-due"])
    assert (again.exit_code, again.output.strip()) == (0, "nothing due")
    hist = cli.invoke(main, ["schedule", "history", "--json"])
    (record,) = json.loads(hist.output)
    assert (record["job"], record["status"]) == ("alpha", "ok")
    assert (project / "reports" / "index.html").is_file()


def test_a_run_skipped_for_a_run_in_progress_exits_75(project: Path, monkeypatch) -> None:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    with job_lock(project / "reports" / ".locks", "alpha") as taken:
        assert taken
        out = CliRunner().invoke(main, ["schedule", "run", "alpha"])
    assert out.exit_code == 75  # EX_TEMPFAIL: not a failure, try again later
    assert "skipped: another run of this job is in progress" in out.output
    assert fake.calls == []


def test_failed_run_exits_1(project: Path, monkeypatch) -> None:
    monkeypatch.setattr(runner, "run_report", FakeRunner(fail=True))
    out = CliRunner().invoke(main, ["schedule", "run", "alpha"])
    assert out.exit_code == 1 and "failed: " in out.output
    unknown = CliRunner().invoke(main, ["schedule", "run", "nope"])
    assert unknown.exit_code == 1 and "no job 'nope'; jobs: alpha" in unknown.output


@pytest.mark.parametrize("command", [["run-due"], ["run", "alpha"], ["serve"]])
def test_secret_parameter_refused_on_the_command_line(project: Path, command: list[str]) -> None:
    """Found on 2026-11-30: `schedule run JOB -p ...` refused such a parameter with a Python
    traceback (its check came before the one-line error handling); now one line, as run-due's."""
    out = CliRunner().invoke(main, ["schedule", *command, "-p", "prom_token", "abc"])
    assert out.exit_code == 1
    assert out.stderr.startswith("error: parameter 'prom_token' looks like a secret. ")
    assert "environment" in out.stderr and "abc" not in out.output


def test_secret_parameter_refused_by_report_run() -> None:
    nb = Path(__file__).parents[1] / "report" / "notebooks" / "good.ipynb"
    out = CliRunner().invoke(main, ["report", "run", str(nb), "-p", "password", "hunter2"])
    assert out.exit_code == 1 and "looks like a secret" in out.output
    assert "hunter2" not in out.output
