"""A run killed outright (SIGKILL: the OOM killer, an operator, a CronJob's hard deadline) while it
publishes or while its notebook runs: the last good report and its notebook stay a pair, and what
the run left (temporary files, its working folder) is removed by a later run, never shown.

The process is killed for real at a chosen point: a small hook in its own process sends it
SIGKILL as it is about to rename a file into place. Found on 2026-11-30: killed before its first
rename, a run left ``.report.html.*.tmp`` and ``.report.ipynb.*.tmp`` beside the report for good;
killed between its two renames, it left the new notebook beside the old HTML; a killed index
write left ``.index.html.*.tmp`` for good; a killed run's ``.run-*`` folder stayed a day.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.errors import ReportRunError
from apislo.report import run_report
from apislo.report.site import build_site
from tests.report.conftest import NOTEBOOKS
from tests.report.test_worker_signals import APISLO, _pids, _reap, _running

#: Runs ``python -c KILL_AT NAME ARGS...``: the apislo command ARGS, killed by SIGKILL as it is
#: about to rename a file onto one named NAME.
KILL_AT = """
import os, signal, sys
name, real_replace = sys.argv[1], os.replace
def replace(src, dst):
    if os.path.basename(dst) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)
os.replace = replace
from apislo.cli import main
sys.argv = ["apislo", *sys.argv[2:]]
main()
"""


def _kill_at(name: str, *args: str) -> None:
    """Run ``apislo ARGS`` until it is about to rename a file onto ``name``: it dies there."""
    done = subprocess.run(
        [sys.executable, "-c", KILL_AT, name, *args], capture_output=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def _age(folder: Path, seconds: float = 120.0) -> None:
    """Make what dead runs left in ``folder`` look ``seconds`` old: a working folder younger than
    a minute is left alone (its run may be taking its lock)."""
    for path in folder.glob(".*"):
        os.utime(path, (time.time() - seconds,) * 2)


@pytest.mark.parametrize(
    ("killed_at", "what"),
    [
        ("report.ipynb", "written, none renamed yet"),
        ("report.html", "the notebook renamed, the HTML not yet"),
    ],
)
def test_a_run_killed_while_publishing_never_leaves_the_last_good_report_half_replaced(
    last_good: Path, killed_at: str, what: str
) -> None:
    notebook = last_good.with_suffix(".ipynb")
    before = (last_good.read_bytes(), notebook.read_bytes())
    out = str(last_good)
    _kill_at(
        killed_at, "report", "run", str(NOTEBOOKS / "good.ipynb"), "-p", "n", "4", "--out", out
    )
    _age(last_good.parent)
    # the next run into the folder fails (a failing run never replaces the last good report)
    with pytest.raises(ReportRunError):
        run_report(NOTEBOOKS / "error_cell.ipynb", {"n": 1}, last_good)
    assert (last_good.read_bytes(), notebook.read_bytes()) == before, what
    assert sorted(p.name for p in last_good.parent.iterdir()) == [
        "report.failed.ipynb",
        "report.html",
        "report.ipynb",
    ]


def test_an_index_write_killed_leaves_nothing_the_next_one_keeps(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    _kill_at("index.html", "report", "site", "--reports", str(reports), "--dir", str(tmp_path))
    assert [p.name for p in reports.iterdir()] != []  # its temporary files
    _age(reports)
    build_site(reports)
    assert [p.name for p in reports.iterdir()] == ["index.html"]


def test_a_run_killed_while_its_notebook_runs_leaves_a_folder_the_next_run_removes(
    tmp_path: Path,
) -> None:
    """The runner killed while the slow notebook sleeps: its worker and kernel stop with it, its
    working folder (the worker's request, log and partial notebook) stays; the next run into the
    folder removes it once it is a minute old (it waited a day until 2026-11-30)."""
    out = tmp_path / "slow.html"
    cmd = [str(APISLO), "report", "run", str(NOTEBOOKS / "slow.ipynb"), "-p", "seconds", "120"]
    proc = subprocess.Popen([*cmd, "--out", str(out)], stderr=subprocess.DEVNULL)
    request, kernels = None, []
    try:
        request = _running(tmp_path)
        (worker,) = _pids("-f", str(request))
        kernels = _pids("-P", str(worker))
        proc.kill()
        proc.wait(timeout=30)
    finally:
        _reap(proc, request, kernels)
    assert [p.name for p in request.parent.iterdir()] != []
    _age(tmp_path)
    run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, tmp_path / "next.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next.html", "next.ipynb"]


def test_run_due_removes_what_dead_runs_left_in_a_removed_jobs_folder(tmp_path: Path) -> None:
    """A job removed after its run was killed: no run goes into its folder again, and
    `run-due` sweeps every folder of the reports; a run going on there (its lock held) is left.
    """
    from apislo.report.lock import file_lock
    from apislo.schedule.run import run_due

    gone, going = tmp_path / "reports" / "gone" / ".run-dead", tmp_path / "reports" / ".run-live"
    for work in (gone, going):
        work.mkdir(parents=True)
        (work / "executed.ipynb").write_text("{}")
    (gone / "run.lock").write_text("4242")  # (its process, dead, held it)
    (tmp_path / "scheduled").mkdir()
    with file_lock(going / "run.lock"):
        _age(gone.parent)
        _age(going.parent)
        assert run_due(tmp_path / "scheduled", tmp_path / "reports", datetime.now(UTC)) == []
        assert (not gone.exists(), going.is_dir()) == (True, True)


def test_run_due_leaves_the_users_folders_named_like_working_folders(tmp_path: Path) -> None:
    """A `.run-*` folder with no `run.lock` is no working folder of apislo's (each gets its
    lock file right after it is made): `run-due`, sweeping every folder of the reports, leaves
    it, and a link named so, with what they hold. Until 2026-11-30 it removed them once a minute
    old."""
    from apislo.schedule.run import run_due

    reports, outside = tmp_path / "reports", tmp_path / "outside"
    notes, cache = reports / ".run-notes", reports / "team" / ".run-cache"
    for folder in (notes, cache, outside):
        folder.mkdir(parents=True)
        (folder / "mine.txt").write_text("kept")
    (reports / ".run-link").symlink_to(outside, target_is_directory=True)
    (tmp_path / "scheduled").mkdir()
    for folder in (reports, reports / "team"):
        _age(folder, 3600.0)
    assert run_due(tmp_path / "scheduled", reports, datetime.now(UTC)) == []
    kept = [notes / "mine.txt", cache / "mine.txt", reports / ".run-link" / "mine.txt"]
    assert [path.read_text() for path in kept] == ["kept", "kept", "kept"]
