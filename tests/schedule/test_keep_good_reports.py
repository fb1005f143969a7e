"""``keep: N`` keeps the newest N *good* reports: failed runs never push one out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import apislo.report.runner as runner
from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.schedule.test_run import JOB, FakeRunner


def test_failed_runs_do_not_count_towards_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "a.yaml").write_text(JOB.format(name="alpha", retries=0))  # keep: 2, daily
    job = load_job(sched / "a.yaml")
    reports = tmp_path / "reports"
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    # Nov 1 ok, Nov 2 ok, Nov 3 failed, Nov 4 failed, Nov 5 ok (each reports on the day before)
    for day, fails in ((1, False), (2, False), (3, True), (4, True), (5, False)):
        fake.fail = fails
        run_job(job, reports, datetime(2026, 11, day, 6, tzinfo=UTC))
    assert [r.status for r in read_history(reports)] == ["ok", "ok", "failed", "failed", "ok"]
    # the two newest good reports are the runs of Nov 2 (named after the day before, 11-01)
    # and Nov 5 (11-04); only Nov 1's run (10-31) is older than both, so only it is deleted
    assert sorted(p.name for p in (reports / "alpha").glob("*.html")) == [
        "2026-11-01.html",
        "2026-11-04.html",
    ]
