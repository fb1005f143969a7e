"""The record of an invalid job file takes no slot (QA, 2026-11-29: it was recorded with the
time run-due saw it as its slot, so a file broken when its job's slot came, as `schedule serve`
wakes at a fire time to the second, left that slot `done` after the fix and its report never
came)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from apislo.cli import main
from apislo.schedule.history import read_history
from apislo.schedule.run import run_due
from tests.schedule.test_run import JOB, dirs, fake  # noqa: F401  (the fixtures)

AT_SLOT = datetime(2026, 11, 28, 6, 0, 0, 400_000, tzinfo=UTC)  # alpha's 06:00 slot, +0.4 s


def _break(path: Path) -> str:
    """Write a cron of four fields in ``path``; the file's error."""
    path.write_text(JOB.format(name="alpha", retries=0).replace('"0 6 * * *"', '"0 6 * *"'))
    return f"{path}: cron: '0 6 * *' is not valid; allowed: a five-field cron expression such as "


def test_the_slot_a_broken_file_missed_runs_once_it_is_fixed(dirs, fake) -> None:  # noqa: F811
    sched, reports = dirs
    error = _break(sched / "a.yaml")
    first = run_due(sched, reports, now=AT_SLOT)
    assert [(r.job, r.scheduled_for, r.status) for r in first] == [
        ("a", "", "failed"),
        ("beta", "2026-11-28T06:00:00+00:00", "ok"),
    ]
    assert first[0].start == "2026-11-28T06:00:00+00:00"  # when run-due saw it
    assert first[0].error.startswith(error)
    (sched / "a.yaml").write_text(JOB.format(name="a", retries=0))  # fixed (named after it)
    later = run_due(sched, reports, now=datetime(2026, 11, 28, 6, 5, tzinfo=UTC))
    assert [(r.job, r.scheduled_for, r.status, r.output) for r in later] == [
        ("a", "2026-11-28T06:00:00+00:00", "ok", "a/2026-11-27.html")
    ]
    assert len(read_history(reports)) == 3


def test_run_due_prints_the_bad_file_without_a_slot(dirs, fake, monkeypatch) -> None:  # noqa: F811
    sched, reports = dirs
    error = _break(sched / "a.yaml")
    monkeypatch.setattr("apislo.schedule.run._now", lambda: AT_SLOT)
    args = ["schedule", "run-due", "--dir", str(sched), "--reports", str(reports)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"a failed: {error}'0 6 * * *'",
        "beta [2026-11-28T06:00:00+00:00] ok -> beta/2026-11-27.html",
    ]
