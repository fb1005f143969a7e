"""`schedule serve -p`: an override a job's notebook does not define is refused when it starts,
in one line (until 2026-11-30 a traceback, as for a secret-looking `-p` name); a job that stops
defining it while it serves (a job file added, a notebook edited) is recorded failed, as an
invalid job file is, and the other jobs still run (each turn stopped at it, and no job ran)."""

from __future__ import annotations

import threading
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.schedule.history import read_history
from apislo.schedule.run import serve
from tests.schedule.test_run import FakeRunner
from tests.schedule.test_undefined_job_parameters import GOOD_JOB, OVERRIDE_ERROR

OTHER_JOB = 'name: other\nnotebook: {notebook}\ncron: "0 6 * * *"\noutput: other.html\n'


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    return fake


def _notebook_defining_x(path: Path) -> Path:
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


class AddedThenOneTurn(threading.Event):
    """Adds ``job`` (file name, text) to ``jobs`` once serve has started, then stops the loop
    at its first sleep: one turn of run-due."""

    def __init__(self, jobs: Path, job: tuple[str, str]) -> None:
        super().__init__()
        self.jobs, self.job = jobs, job

    def is_set(self) -> bool:
        name, text = self.job
        if not (self.jobs / name).exists():
            (self.jobs / name).write_text(text)
        return super().is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def test_a_job_added_while_serving_without_the_override_stops_no_other(
    tmp_path: Path, fake: FakeRunner
) -> None:
    jobs, reports = tmp_path / "jobs", tmp_path / "reports"
    jobs.mkdir()
    (jobs / "good.yaml").write_text(GOOD_JOB)
    other = _notebook_defining_x(tmp_path / "other.ipynb")
    stop = AddedThenOneTurn(jobs, ("other.yaml", OTHER_JOB.format(notebook=other)))
    serve(jobs, reports, poll_s=1, stop=stop, params_override={"n": 4})
    error = (
        f"job other: unknown parameter 'n': {other}'s parameters cell defines x. An override "
        "is given to every job: run the jobs whose notebook defines it one at a time (apislo "
        "schedule run NAME -p ...)"
    )
    history = read_history(reports)
    assert [(r.job, r.status, r.error) for r in history] == [
        ("other", "failed", error),
        ("good", "ok", ""),
    ]
    assert history[0].scheduled_for == ""  # (no slot: it runs once its notebook defines n)
    assert [params for params, _ in fake.calls] == [{"n": 4}]  # good.ipynb defines n


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("nn", OVERRIDE_ERROR),
        ("token", "parameter 'token' looks like a secret. Secrets are never passed as parameters "
                  "(they would be saved in the notebook and shown in the report): set it in the "
                  "environment instead (e.g. APISLO_PROMETHEUS_TOKEN), where apislo reads it."),
    ],
)  # fmt: skip
def test_serve_refuses_an_override_in_one_line(
    name: str, error: str, tmp_path: Path, fake: FakeRunner
) -> None:
    jobs, reports = tmp_path / "jobs", tmp_path / "reports"
    jobs.mkdir()
    (jobs / "good.yaml").write_text(GOOD_JOB)
    args = ["schedule", "serve", "--dir", str(jobs), "--reports", str(reports), "-p", name, "4"]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (1, f"error: {error}\n")
    assert fake.calls == [] and not reports.exists()
