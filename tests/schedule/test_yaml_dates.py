"""A job parameter YAML reads as a date or time (``start: 2026-11-01``, unquoted) reaches the
notebook as ISO 8601 text (QA: the run ended in a ``TypeError: Object of type date is not JSON
serializable`` traceback once its notebook had run, with no report and nothing in the history).
Real ``run_report``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import nbformat

from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.report.conftest import NOTEBOOKS

JOB = """\
name: dated
notebook: dated.ipynb
cron: "0 6 * * *"
period: none
parameters:
  n: 3
  start: 2026-11-01
  at: 2026-11-01T06:00:00Z
output: dated.html
"""


def test_yaml_dates_reach_the_notebook_as_iso_text(tmp_path: Path) -> None:
    path = tmp_path / "jobs" / "dated.yaml"
    path.parent.mkdir()
    path.write_text(JOB)
    # good.ipynb, its parameters cell defining start and at too (a job's names must be defined)
    nb = nbformat.read(NOTEBOOKS / "good.ipynb", as_version=4)
    nb.cells[0].source = 'start = ""\nat = ""\n' + nb.cells[0].source
    nbformat.write(nb, tmp_path / "dated.ipynb")
    reports = tmp_path / "reports"
    record = run_job(load_job(path), reports, datetime(2026, 11, 2, 6, tzinfo=UTC))
    assert (record.status, record.error) == ("ok", "")
    assert [r.status for r in read_history(reports)] == ["ok"]
    nb = nbformat.read(reports / "dated.ipynb", as_version=4)
    expected = {"n": 3, "start": "2026-11-01", "at": "2026-11-01T06:00:00+00:00"}
    assert nb.metadata["apislo"]["parameters"] == expected
    assert nb.metadata["papermill"]["parameters"] == expected
