"""A failure no retry can mend fails a job's run at once (QA: `schedule run slo-daily --dir
/some/jobs` tried a notebook that was not there twice, 5 s apart): a notebook that is missing (a
relative path is read from the folder above the jobs folder) or is not a notebook. Real
``run_report``, which refuses both before any kernel starts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job

SLOT = datetime(2026, 11, 28, 6, tzinfo=UTC)
JOB = """\
name: slo-daily
notebook: notebooks/slo_report.ipynb
cron: "0 6 * * *"
period: day
retries: 2
"""


@pytest.fixture
def job_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """QA's copy of a job in a jobs folder of its own, with 2 retries (no pause between them)."""
    monkeypatch.setattr("apislo.schedule.run._RETRY_PAUSE_S", 0.0)
    (tmp_path / "jobs").mkdir()
    path = tmp_path / "jobs" / "slo-daily.yaml"
    path.write_text(JOB)
    return path


def test_a_missing_notebook_fails_once(job_file: Path, tmp_path: Path) -> None:
    record = run_job(load_job(job_file), tmp_path / "rep", SLOT)
    notebook = tmp_path / "notebooks" / "slo_report.ipynb"  # beside jobs/, not the cwd
    assert (record.status, record.attempts) == ("failed", 1)
    assert record.error == f"notebook {notebook} not found; pass the path of an .ipynb file"


def test_a_file_that_is_not_a_notebook_fails_once(job_file: Path, tmp_path: Path) -> None:
    notebook = tmp_path / "notebooks" / "slo_report.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("# slo report\n\nnot JSON\n")
    record = run_job(load_job(job_file), tmp_path / "rep", SLOT)
    assert (record.status, record.attempts) == ("failed", 1)
    assert record.error == (
        f"{notebook}: not a Jupyter notebook (not JSON); pass the path of an .ipynb file"
    )
