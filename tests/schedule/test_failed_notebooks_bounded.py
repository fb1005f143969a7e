"""Failed notebooks do not pile up: a job keeps the failed notebook of its newest failed run only.

A daily job whose report is named after its day failed day after day: each failure kept its
``DAY.failed.ipynb``, and nothing removed them until the job had succeeded ``keep`` times (never,
for a job that keeps failing): found on 2026-11-30, six failed days of a real run left six.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import apislo.report.runner as runner
from apislo.errors import ReportRunError
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.schedule.test_run import JOB, FakeRunner


class FailedNotebookRunner(FakeRunner):
    """:class:`FakeRunner` keeping ``NAME.failed.ipynb`` as a failed run does, and removing it
    when the same report succeeds, as :func:`apislo.report.run_report` does."""

    def __call__(self, notebook, params, out, **kwargs):
        failed = Path(out).with_suffix(".failed.ipynb")
        if self.fail:
            failed.parent.mkdir(parents=True, exist_ok=True)
            failed.write_text("{}")
            raise ReportRunError(str(notebook), 1, "ValueError", "bad", str(failed))
        super().__call__(notebook, params, out, **kwargs)
        failed.unlink(missing_ok=True)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FailedNotebookRunner:
    fake = FailedNotebookRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    return fake


def test_a_job_failing_day_after_day_keeps_its_newest_failed_notebook_only(
    tmp_path: Path, fake: FailedNotebookRunner
) -> None:
    (tmp_path / "a.yaml").write_text(JOB.format(name="alpha", retries=0))  # keep: 2, daily
    job, reports = load_job(tmp_path / "a.yaml"), tmp_path / "reports"

    def run(day: int, fails: bool) -> list[str]:  # each run reports on the day before
        fake.fail = fails
        run_job(job, reports, datetime(2026, 11, day, 6, tzinfo=UTC))
        return sorted(p.name for p in (reports / "alpha").iterdir())

    assert run(1, fails=True) == ["2026-10-31.failed.ipynb"]
    assert run(2, fails=True) == ["2026-11-01.failed.ipynb"]
    assert run(3, fails=True) == ["2026-11-02.failed.ipynb"]
    # a good run keeps the newest failure's notebook: the history still links it
    assert run(4, fails=False) == [
        "2026-11-02.failed.ipynb",
        "2026-11-03.html",
        "2026-11-03.ipynb",
    ]
    # the failed day run again, and good: its failed notebook goes
    assert run(3, fails=False) == [
        "2026-11-02.html",
        "2026-11-02.ipynb",
        "2026-11-03.html",
        "2026-11-03.ipynb",
    ]
    assert run(5, fails=True) == [
        "2026-11-02.html",
        "2026-11-02.ipynb",
        "2026-11-03.html",
        "2026-11-03.ipynb",
        "2026-11-04.failed.ipynb",
    ]
