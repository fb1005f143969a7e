"""``history.jsonl`` no longer grows without bound: after a run, the job's records that no reader
needs are dropped (under the history's lock), and every reader still gives what it gave.

Until 2026-11-30 each run added a line and none went: 100,000 lines took 4.2 s to read, and each
run reads the history several times. Dropping the oldest lines alone would not do: a job failing
for months would lose its last good report from the index.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.report.site import build_site
from apislo.schedule.due import due_slot
from apislo.schedule.history import (
    HISTORY_FILE,
    RunRecord,
    append_record,
    drop_records,
    read_history,
)
from apislo.schedule.jobs import load_job
from apislo.schedule.run import run_job
from tests.conftest import wait_until_waiting
from tests.schedule.test_run import JOB, FakeRunner

FIRST = date(2024, 1, 1)


def _record(day: int, status: str, **fields: object) -> RunRecord:
    """A run of alpha (daily at 06:00 UTC, reporting the day before) ``day`` days after FIRST."""
    slot = datetime.combine(FIRST + timedelta(days=day), datetime.min.time(), UTC)
    slot += timedelta(hours=6)
    output = f"alpha/{(slot - timedelta(days=1)):%Y-%m-%d}.html"
    stamp = slot.isoformat()
    record = RunRecord("alpha", stamp, stamp, stamp, status, output, "" if status == "ok" else "x")
    return replace(record, **fields)


def _write(reports: Path, lines: list[str]) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / HISTORY_FILE).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _line(record: RunRecord) -> str:
    return json.dumps(vars(record), ensure_ascii=False)  # (as asdict: its fields are flat)


def _readers(reports: Path, job) -> tuple[object, ...]:
    """What each reader of the history gives: the index (but its time), `schedule history`
    (alpha's newest 100), and whether run-due finds this run's slot done."""
    page = build_site(reports, [job.name]).read_text(encoding="utf-8")
    args = ["schedule", "history", "--reports", str(reports), "--job", "alpha", "--limit", "100"]
    shown = CliRunner().invoke(main, [*args, "--json"]).output
    done = [r.scheduled_for for r in read_history(reports) if r.job == job.name]
    slot = due_slot(job, datetime(2026, 11, 30, 7, tzinfo=UTC), done)
    return re.sub(r"Generated [^.]*\.", "", page), shown, slot


def test_a_job_failing_for_years_keeps_its_last_good_report_and_sheds_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One good run, then 600 daily failures, then one more (this run): 602 records. Kept: the
    newest 500 (the index's history table; alpha's newest 100 are among them) and the one good
    run (the index's latest good report); dropped: failures 1 to 101, whose outputs have no
    file left. 501 lines, where the history used to keep 602."""
    (tmp_path / "a.yaml").write_text(JOB.format(name="alpha", retries=0))  # keep: 2
    job, reports = load_job(tmp_path / "a.yaml"), tmp_path / "reports"
    good = _record(0, "ok")  # slot 2024-01-01, its report 2023-12-31.html
    (reports / "alpha").mkdir(parents=True)
    for suffix in (".html", ".ipynb"):
        (reports / good.output).with_suffix(suffix).write_text("the last good report")
    before = [_line(good), *(_line(_record(day, "failed")) for day in range(1, 601))]
    _write(reports, before)
    monkeypatch.setattr(runner, "run_report", FakeRunner(fail=True))

    run_job(job, reports, datetime(2026, 11, 30, 6, tzinfo=UTC))

    lines = (reports / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 501
    assert lines[:2] == [before[0], before[102]]
    # day 102 after 2024-01-01 (a leap year): 31 + 29 + 31 days to 2024-04-01, 11 more
    assert json.loads(lines[1])["scheduled_for"] == "2024-04-12T06:00:00+00:00"
    assert json.loads(lines[-1])["scheduled_for"] == "2026-11-30T06:00:00+00:00"
    trimmed = _readers(reports, job)
    assert 'href="alpha/2023-12-31.html">latest report</a>' in trimmed[0]
    _write(reports, [*before, lines[-1]])  # the whole history, this run's line last
    assert _readers(reports, job) == trimmed


def test_the_rule_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule with small numbers: the newest 2 records, alpha's newest 1, batches of 3."""
    import apislo.schedule.retention as retention
    from apislo.schedule.retention import trim_history

    for name, value in (("HISTORY_ROWS", 2), ("JOB_RUNS", 1), ("TRIM_BATCH", 3)):
        monkeypatch.setattr(retention, name, value)
    (tmp_path / "a.yaml").write_text(JOB.format(name="alpha", retries=0))  # keep: 2
    job, reports = load_job(tmp_path / "a.yaml"), tmp_path / "reports"
    records = [
        _record(0, "ok"),  # 0 older than alpha's 2 newest good reports, its files deleted
        _record(1, "ok", scheduled_for="", demo=True, output="alpha/demo.html"),  # 1
        RunRecord("beta", "s", "s", "s", "ok", "beta/1.html"),  # 2 another job's
        None,  # 3 a torn line
        _record(2, "failed"),  # 4 old, no file
        _record(3, "failed"),  # 5 a failed first try at 2024-01-03.html...
        _record(3, "ok"),  # 6 ...then good: a kept report
        _record(4, "skipped", output=""),  # 7
        _record(4, "failed"),  # 8 within the kept reports, but no file of it left
        _record(4, "failed", scheduled_for="", output=""),  # 9 an invalid job file
        _record(5, "ok"),  # 10
        _record(6, "failed"),  # 11 this run: its failed notebook kept
    ]
    lines = [_line(r) if r else '{"job": "alpha", "stat' for r in records]
    _write(reports, lines)
    (reports / HISTORY_FILE).chmod(0o600)  # (UMask=0077: the new file keeps it)
    (reports / "alpha").mkdir()
    for name in ("2024-01-03.html", "2024-01-03.ipynb", "2024-01-05.html", "2024-01-05.ipynb"):
        (reports / "alpha" / name).write_text("a kept report")
    (reports / "alpha" / "2024-01-06.failed.ipynb").write_text("the newest failure")
    # kept: 10, 11 (newest 2); 11 (alpha's newest); 10, 1, 11, 9, 7 (newest ok, ok demo,
    # failed with a slot, failed without, skipped); 11, 10, 6, 5 (kept outputs with files)
    trim_history(reports, job, read_history(reports))
    kept = (reports / HISTORY_FILE).read_text(encoding="utf-8")
    assert kept == "".join(lines[i] + "\n" for i in (1, 2, 3, 5, 6, 7, 9, 10, 11))
    assert (reports / HISTORY_FILE).stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in reports.iterdir()) == ["alpha", HISTORY_FILE]

    monkeypatch.setattr(retention, "TRIM_BATCH", 4)  # 3 dropped now (0, 4, 8): fewer than 4
    _write(reports, lines)
    trim_history(reports, job, read_history(reports))
    assert (reports / HISTORY_FILE).read_text(encoding="utf-8") == "".join(
        line + "\n" for line in lines
    )


def test_a_history_that_cannot_be_rewritten_is_left_and_stops_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder where the new history would be written: one warning line, the file as it was."""
    import apislo.schedule.retention as retention
    from apislo.schedule.retention import trim_history

    for name, value in (("HISTORY_ROWS", 1), ("JOB_RUNS", 1), ("TRIM_BATCH", 1)):
        monkeypatch.setattr(retention, name, value)
    (tmp_path / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    job, reports = load_job(tmp_path / "a.yaml"), tmp_path / "reports"
    lines = [_line(_record(day, "failed")) for day in (1, 2, 3)]  # 1 and 2: needed by none
    _write(reports, lines)
    (reports / ".history.jsonl.new").mkdir()
    trim_history(reports, job, read_history(reports))
    assert caplog.messages == [
        f"warning: cannot write {reports / HISTORY_FILE}: Is a directory; old runs were not "
        "dropped from it"
    ]
    assert (reports / HISTORY_FILE).read_text(encoding="utf-8") == "".join(
        line + "\n" for line in lines
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="only root gives a file to another user")
def test_a_history_rewritten_by_root_stays_its_owners(tmp_path: Path) -> None:
    """A `sudo apislo schedule run` trimming the history of a service that runs as another user:
    the new file was root's, and the service could no longer append to it (each of its runs
    unrecorded, its slot run again at every run-due)."""
    path = tmp_path / HISTORY_FILE
    path.write_text("dropped\nkept\n")
    os.chown(path, 65534, 65534)  # (nobody's)
    path.chmod(0o640)
    assert drop_records(tmp_path, lambda records: {0}) == 1
    kept = path.stat()
    assert (path.read_text(), kept.st_uid, kept.st_gid, kept.st_mode & 0o777) == (
        "kept\n",
        65534,
        65534,
        0o640,
    )


def test_a_history_that_is_a_link_is_rewritten_where_it_points(tmp_path: Path) -> None:
    """history.jsonl a link to a file on another volume: the new file was renamed over the
    link, so the runs after it were recorded beside the reports, no longer where it pointed."""
    reports, target = tmp_path / "reports", tmp_path / "volume" / HISTORY_FILE
    reports.mkdir()
    target.parent.mkdir()
    target.write_text("dropped\nkept\n")
    (reports / HISTORY_FILE).symlink_to(target)
    assert drop_records(reports, lambda records: {0}) == 1
    record = RunRecord("alpha", "s", "s", "s", "ok")
    append_record(reports, record)
    assert (reports / HISTORY_FILE).is_symlink()
    assert target.read_text() == "kept\n" + _line(record) + "\n"
    assert sorted(p.name for p in target.parent.iterdir()) == [HISTORY_FILE]


def test_a_record_holding_a_line_separator_is_read(tmp_path: Path) -> None:
    """JSON leaves U+2028 as it is: the history was split there, and the record skipped (its
    slot then ran again at each run-due)."""
    record = RunRecord("alpha", "s", "s", "s", "failed", error="ValueError: a\u2028b\x85c")
    append_record(tmp_path, record)
    assert read_history(tmp_path) == [record]


def test_a_writer_waiting_while_the_history_is_rewritten_writes_to_the_new_file(
    tmp_path: Path,
) -> None:
    """The history's lock is the file itself, and a rewrite renames a new file over it: a
    writer that was waiting on the old file took its lock once free, and appended to a file no
    longer there. It opens the new one again."""
    import fcntl

    path = tmp_path / HISTORY_FILE
    path.write_text("old 1\nold 2\n")
    record = RunRecord("alpha", "s", "s", "s", "ok")
    held = os.open(path, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    writer = threading.Thread(target=append_record, args=(tmp_path, record))
    writer.start()
    try:
        wait_until_waiting(path, writer)
        new = tmp_path / "rewritten"
        new.write_text("old 2\n")
        os.replace(new, path)  # (as a rewrite does, its lock still held)
    finally:
        os.close(held)
    writer.join(timeout=10)
    assert path.read_text() == "old 2\n" + _line(record) + "\n"
