"""Running jobs: idempotent run-due, retries, lock, history, pruning, index (fake notebook runs)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import apislo.report.runner as runner
from apislo.errors import ConfigError, ReportRunError
from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_jobs
from apislo.schedule.lock import job_lock
from apislo.schedule.run import run_all_jobs, run_due, run_job

JOB = """\
name: {name}
notebook: notebooks/x.ipynb
cron: "0 6 * * *"
period: day
parameters: {{start: "{{period_start}}", dataset: data/real}}
output: "{name}/{{period_start:%Y-%m-%d}}.html"
retries: {retries}
keep: 2
"""


class FakeRunner:
    """Stands in for run_report: records calls, writes a page, or fails as told."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[dict, Path]] = []
        self.fail = fail

    def __call__(self, notebook, params, out, **kwargs):
        self.calls.append((dict(params), Path(out)))
        if self.fail:
            raise ReportRunError(str(notebook), 3, "ValueError", "<b>bad</b>", "x.failed.ipynb")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text("<html>report</html>")
        Path(out).with_suffix(".ipynb").write_text("{}")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    (sched / "b.yaml").write_text(JOB.format(name="beta", retries=2))
    return sched, tmp_path / "reports"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    monkeypatch.setattr("apislo.schedule.run._RETRY_PAUSE_S", 0.0)
    return fake


def test_run_due_is_idempotent_and_catches_up_once(dirs, fake) -> None:
    sched, reports = dirs
    now = datetime(2026, 11, 28, 7, tzinfo=UTC)
    first = run_due(sched, reports, now=now)
    assert [(r.job, r.status, r.output) for r in first] == [
        ("alpha", "ok", "alpha/2026-11-27.html"),
        ("beta", "ok", "beta/2026-11-27.html"),
    ]
    assert fake.calls[0][0] == {"start": "2026-11-27T00:00:00+00:00", "dataset": "data/real"}
    assert run_due(sched, reports, now=now) == []
    assert len(fake.calls) == 2
    # four days later: each job runs once, for the latest slot only
    later = run_due(sched, reports, now=datetime(2026, 12, 2, 7, tzinfo=UTC))
    assert [r.scheduled_for for r in later] == ["2026-12-02T06:00:00+00:00"] * 2
    assert len(fake.calls) == 4
    assert len(read_history(reports)) == 4
    assert (reports / "index.html").is_file()


def test_an_invalid_job_file_does_not_stop_the_others(dirs, fake) -> None:
    """A job file with a secret-looking parameter beside two good ones: both good jobs run, the
    bad file is recorded failed under its file name, once for as long as its error stays."""
    sched, reports = dirs
    (sched / "sec.yaml").write_text(
        JOB.format(name="gamma", retries=0).replace("dataset:", "auth_header:")
    )
    now = datetime(2026, 11, 28, 7, tzinfo=UTC)
    first = run_due(sched, reports, now=now)
    assert [(r.job, r.status) for r in first] == [
        ("sec", "failed"),
        ("alpha", "ok"),
        ("beta", "ok"),
    ]
    assert first[0].error.startswith(
        f"{sched / 'sec.yaml'}: parameter 'auth_header' looks like a secret"
    )
    assert run_due(sched, reports, now=datetime(2026, 11, 28, 7, 1, tzinfo=UTC)) == []
    assert [r.job for r in read_history(reports)] == ["sec", "alpha", "beta"]
    assert "sec" in (reports / "index.html").read_text()
    with pytest.raises(ConfigError, match="auth_header"):
        load_jobs(sched)  # without a place for invalid files, the error is raised as before


def test_failures_are_retried_recorded_and_not_rerun(dirs, monkeypatch) -> None:
    sched, reports = dirs
    fake = FakeRunner(fail=True)
    monkeypatch.setattr(runner, "run_report", fake)
    monkeypatch.setattr("apislo.schedule.run._RETRY_PAUSE_S", 0.0)
    now = datetime(2026, 11, 28, 7, tzinfo=UTC)
    records = {r.job: r for r in run_due(sched, reports, now=now)}
    # alpha: retries 0 -> 1 attempt; beta: retries 2 -> 3 attempts
    assert (records["alpha"].attempts, records["beta"].attempts) == (1, 3)
    assert len(fake.calls) == 4
    assert records["beta"].status == "failed" and "ValueError" in records["beta"].error
    assert run_due(sched, reports, now=now) == []
    index = (reports / "index.html").read_text()
    assert "&lt;b&gt;bad&lt;/b&gt;" in index and "<b>bad</b>" not in index
    assert 'class="status-failed"' in index


def test_override_parameters_win(dirs, fake) -> None:
    sched, reports = dirs
    run_all_jobs(sched, reports, {"dataset": "data/demo"}, now=datetime(2026, 11, 28, tzinfo=UTC))
    assert [c[0]["dataset"] for c in fake.calls] == ["data/demo", "data/demo"]


def test_locked_job_is_skipped(dirs, fake) -> None:
    sched, reports = dirs
    job = load_jobs(sched)[0]
    with job_lock(reports / ".locks", job.name) as taken:
        assert taken
        record = run_job(job, reports)
    assert record.status == "skipped" and "in progress" in record.error
    assert fake.calls == []


def test_keep_prunes_oldest_reports(dirs, fake) -> None:
    sched, reports = dirs
    job = load_jobs(sched)[0]  # keep: 2
    for day in (1, 2, 3):
        run_job(job, reports, datetime(2026, 11, day, 6, tzinfo=UTC))
    assert sorted(p.name for p in (reports / "alpha").glob("*.html")) == [
        "2026-11-01.html",
        "2026-11-02.html",
    ]
    assert not (reports / "alpha" / "2026-10-31.html").exists()
    assert not (reports / "alpha" / "2026-10-31.ipynb").exists()


def test_serve_runs_due_jobs_once_and_stops(dirs, fake) -> None:
    import threading
    import time

    from apislo.schedule.run import serve

    sched, reports = dirs
    stop = threading.Event()
    options = {"poll_s": 1, "stop": stop, "params_override": {"dataset": "data/serve"}}
    loop = threading.Thread(target=serve, args=(sched, reports), kwargs=options)
    loop.start()
    deadline = time.monotonic() + 20
    while len(fake.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # at least one more turn of the loop: nothing new is due
    stop.set()
    loop.join(timeout=10)
    assert not loop.is_alive()
    assert len(fake.calls) == 2
    assert [call[0]["dataset"] for call in fake.calls] == ["data/serve", "data/serve"]  # -p


def test_a_job_lock_where_files_cannot_be_locked_is_one_line_and_stops_no_job(
    dirs, fake, monkeypatch
) -> None:
    """On NFS without its lock daemon `flock` fails with ENOLCK: run-due stopped with a
    traceback (`OSError: [Errno 37] No locks available`) at the first job. Each job fails in
    one line saying what to do (not recorded: the history is appended under a lock too)."""
    import errno
    import fcntl
    import os

    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", flock)
    sched, reports = dirs
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error) for r in records] == [
        (
            name,
            "failed",
            f"cannot lock {reports / '.locks' / name}.lock: No locks available: its file "
            "system keeps no file locks (flock); put it on one that does, such as a local disk; "
            f"not recorded: cannot write {reports / 'history.jsonl'}: No locks available",
        )
        for name in ("alpha", "beta")
    ]
    assert fake.calls == []
