"""A job whose report, history line or index cannot be written stops no other job, and the failure
shows: in the history when that can be written, else as one error line on stderr.

No root tricks (these tests may run as root, whom a read-only folder does not stop): a file where
the job's report folder should be, a folder where ``history.jsonl`` or ``index.html`` should be,
and, for a full disk, a short ``os.write`` in this process only."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import apislo.schedule.history as history
from apislo.errors import ApisloError
from apislo.schedule.history import RunRecord, append_record, read_history
from apislo.schedule.run import run_due
from tests.report.conftest import NOTEBOOKS
from tests.schedule.test_run import JOB, FakeRunner

NOW = datetime(2026, 11, 28, 7, tzinfo=UTC)  # alpha and beta are due for 2026-11-28 06:00 UTC
SLOT = "2026-11-28T06:00:00+00:00"
GOOD_JOB = """\
name: {name}
notebook: {notebook}
cron: "0 6 * * *"
period: none
parameters: {{n: 3}}
output: "{name}/report.html"
"""


@pytest.fixture
def sched(tmp_path: Path) -> Path:
    """alpha and beta, daily at 06:00 UTC (fake runs)."""
    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    (sched / "b.yaml").write_text(JOB.format(name="beta", retries=0))
    return sched


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr("apislo.report.runner.run_report", fake)
    return fake


def test_a_report_folder_that_cannot_be_written_stops_no_other_job(tmp_path: Path) -> None:
    """QA's `chattr +i out6/afx`, without root: a file named afx where afx's folder should be.
    Real notebook runs."""
    sched = tmp_path / "jobs6"
    sched.mkdir()
    for name in ("afx", "bok"):
        (sched / f"{name}.yaml").write_text(
            GOOD_JOB.format(name=name, notebook=NOTEBOOKS / "good.ipynb")
        )
    reports = tmp_path / "out6"
    reports.mkdir()
    (reports / "afx").write_text("not a folder")
    records = run_due(sched, reports, now=NOW)
    afx = reports / "afx"
    error = f"cannot write {afx}/report.html: {afx} is a file, not a folder"
    assert [(r.job, r.status, r.error) for r in records] == [
        ("afx", "failed", error),
        ("bok", "ok", ""),
    ]
    assert [(r.job, r.status, r.error) for r in read_history(reports)] == [
        ("afx", "failed", error),
        ("bok", "ok", ""),
    ]
    assert (reports / "bok" / "report.html").is_file()
    assert error in (reports / "index.html").read_text()
    assert run_due(sched, reports, now=NOW) == []  # the failed slot is recorded: not rerun


def test_a_history_that_cannot_be_written_is_an_error_line_per_run(
    sched: Path, tmp_path: Path, fake: FakeRunner, caplog: pytest.LogCaptureFixture
) -> None:
    reports = tmp_path / "reports"
    (reports / "history.jsonl").mkdir(parents=True)
    with caplog.at_level(logging.ERROR, logger="apislo.schedule.run"):
        records = run_due(sched, reports, now=NOW)
    unwritable = f"cannot write {reports / 'history.jsonl'}: Is a directory"
    assert len(fake.calls) == 2  # beta ran after alpha's record failed
    assert [(r.job, r.status, r.error) for r in records] == [
        ("alpha", "failed", f"not recorded: {unwritable}"),
        ("beta", "failed", f"not recorded: {unwritable}"),
    ]
    assert caplog.messages == [
        f"error: {unwritable}; the run of alpha was not recorded",
        f"error: {unwritable}; the run of beta was not recorded",
    ]


def test_run_due_prints_an_unwritable_history_on_stderr_and_exits_1(
    sched: Path, tmp_path: Path
) -> None:
    """The command line, in a process of its own (fake notebook runs)."""
    (tmp_path / "reports" / "history.jsonl").mkdir(parents=True)
    script = (
        "import apislo.report.runner as runner, sys\n"
        "from tests.schedule.test_run import FakeRunner\n"
        "from apislo.cli import main\n"
        "runner.run_report = FakeRunner()\n"
        "main(['schedule', 'run-due', '--dir', sys.argv[1], '--reports', sys.argv[2]])\n"
    )
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(sched), "reports"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "error: cannot write reports/history.jsonl: Is a directory; the run of alpha was not "
        "recorded\n"
        "error: cannot write reports/history.jsonl: Is a directory; the run of beta was not "
        "recorded\n"
    )
    assert [line.split("] ")[1] for line in done.stdout.splitlines()] == [
        "failed: not recorded: cannot write reports/history.jsonl: Is a directory"
    ] * 2


def test_an_index_that_cannot_be_written_stops_no_job(
    sched: Path, tmp_path: Path, fake: FakeRunner, caplog: pytest.LogCaptureFixture
) -> None:
    reports = tmp_path / "reports"
    (reports / "index.html").mkdir(parents=True)
    with caplog.at_level(logging.ERROR, logger="apislo.schedule.run"):
        records = run_due(sched, reports, now=NOW)
    assert [(r.job, r.status) for r in records] == [("alpha", "ok"), ("beta", "ok")]
    assert [(r.job, r.status) for r in read_history(reports)] == [("alpha", "ok"), ("beta", "ok")]
    unwritable = f"cannot write {reports / 'index.html'}: Is a directory"
    # after alpha's run, after beta's, and once more at the end of run-due
    assert caplog.messages == [f"error: {unwritable}; the index was not updated"] * 3


def test_a_history_line_cut_short_by_a_full_disk_is_taken_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = RunRecord("alpha", SLOT, SLOT, SLOT, "ok", "alpha/2026-11-27.html")
    append_record(tmp_path, first)
    before = (tmp_path / "history.jsonl").read_bytes()
    real_write = os.write
    monkeypatch.setattr(history.os, "write", lambda fd, data: real_write(fd, data[:10]))
    with pytest.raises(ApisloError) as info:
        append_record(tmp_path, RunRecord("beta", SLOT, SLOT, SLOT, "failed", error="x"))
    monkeypatch.undo()
    assert str(info.value) == f"cannot write {tmp_path / 'history.jsonl'}: No space left on device"
    assert (tmp_path / "history.jsonl").read_bytes() == before
    assert read_history(tmp_path) == [first]
