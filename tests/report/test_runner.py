"""The papermill runner: a good run, and each failure path keeping the last good report."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from apislo.errors import ConfigError, ReportRunError
from apislo.report import run_report
from tests.report.conftest import NOTEBOOKS


def test_good_run_writes_html_and_executed_notebook(good_report) -> None:
    # good.ipynb with n=3 builds requests [n, 2n] = [3, 6] and records their sum: 9.
    assert good_report.records["total"] == 9
    assert good_report.html_path.is_file()
    nb = nbformat.read(good_report.notebook_path, as_version=4)
    assert nb.metadata["apislo"]["status"] == "ok"
    assert nb.metadata["apislo"]["parameters"] == {"n": 3}
    assert nb.metadata["papermill"]["parameters"] == {"n": 3}
    # no temporary or failed files are left beside the report
    assert sorted(p.name for p in good_report.html_path.parent.iterdir()) == [
        "report.html",
        "report.ipynb",
    ]


def test_error_cell_keeps_last_good_report(last_good: Path) -> None:
    before = last_good.read_bytes()
    with pytest.raises(ReportRunError) as info:
        run_report(NOTEBOOKS / "error_cell.ipynb", {"n": 1}, last_good)
    err = info.value
    # source cells: 0 parameters, 1 `x = n + 1`, 2 the raise
    assert (err.cell_index, err.ename) == (2, "ValueError")
    assert "boom from cell 2" in err.evalue and "raise ValueError" in err.evalue
    assert last_good.read_bytes() == before
    failed = last_good.with_suffix(".failed.ipynb")
    assert err.executed_path == str(failed)
    meta = nbformat.read(failed, as_version=4).metadata["apislo"]
    assert (meta["status"], meta["ename"]) == ("failed", "ValueError")


def test_dead_kernel_keeps_last_good_report(last_good: Path) -> None:
    before = last_good.read_bytes()
    with pytest.raises(ReportRunError) as info:
        run_report(NOTEBOOKS / "dead_kernel.ipynb", None, last_good)
    assert info.value.ename == "DeadKernel"
    assert info.value.cell_index == 2  # the `os._exit(3)` cell
    assert last_good.read_bytes() == before
    assert last_good.with_suffix(".failed.ipynb").is_file()


def test_cell_timeout_keeps_last_good_report(last_good: Path) -> None:
    before = last_good.read_bytes()
    t0 = time.monotonic()
    with pytest.raises(ReportRunError) as info:
        run_report(NOTEBOOKS / "slow.ipynb", {"seconds": 60}, last_good, cell_timeout_s=2)
    assert time.monotonic() - t0 < 40
    assert (info.value.ename, info.value.cell_index) == ("CellTimeout", 2)
    assert last_good.read_bytes() == before


def test_overall_timeout_stops_the_run(last_good: Path) -> None:
    before = last_good.read_bytes()
    t0 = time.monotonic()
    with pytest.raises(ReportRunError) as info:
        run_report(NOTEBOOKS / "slow.ipynb", {"seconds": 120}, last_good, timeout_s=5)
    assert time.monotonic() - t0 < 40
    assert info.value.ename == "Timeout"
    assert last_good.read_bytes() == before


@pytest.mark.parametrize("name", ["prometheus_token", "password", "api_key", "AuthHeader"])
def test_secret_looking_parameter_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="environment"):
        run_report(NOTEBOOKS / "good.ipynb", {name: "x"}, tmp_path / "r.html")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "url",
    [
        "https://bob:pw123@prom.example:9090",
        "http://127.0.0.1:19090/?token=pw123",
        "https://prom.example/api?x=1&Access_Token=pw123",
        "https://prom.example/p;jsessionid=pw123",
    ],
)
def test_url_with_credentials_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="credentials") as info:
        run_report(NOTEBOOKS / "good.ipynb", {"prometheus_url": url}, tmp_path / "r.html")
    assert "pw123" not in str(info.value)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["class", "lambda", "None"])
def test_keyword_parameter_is_refused_before_a_kernel_starts(tmp_path: Path, name: str) -> None:
    # papermill would inject `class = 1`, a SyntaxError blamed on the notebook's own cell 0
    with pytest.raises(ConfigError, match=f"parameter name '{name}' is a Python keyword"):
        run_report(NOTEBOOKS / "good.ipynb", {name: 1}, tmp_path / "r.html")
    assert not any(tmp_path.iterdir())


def test_missing_notebook_and_bad_out_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        run_report(tmp_path / "nope.ipynb")
    with pytest.raises(ConfigError, match=r"\.html"):
        run_report(NOTEBOOKS / "good.ipynb", out=tmp_path / "r.pdf")


def test_html_is_offline_escaped_and_shows_provenance(good_report) -> None:
    page = good_report.html_path.read_text()
    # offline: no script at all, nothing loaded from a URL, a CSP that forbids both
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # code hidden, printed output shown (as escaped text)
    assert "record_provenance(" not in page and "display(SVG" not in page
    assert "routes: ['/pay', '&lt;script&gt;alert(1)&lt;/script&gt;']" in page
    # the clean SVG is inline; the one holding a <script> is only an <img> (never run)
    (svg,) = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert "<rect" in svg and ">&lt;script&gt;alert(1)&lt;/script&gt;</text>" in svg
    assert len(re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,', page)) == 1
    # provenance: window, redacted source, spec, parameters, run id
    assert "2026-11-01T00:00:00+00:00 to 2026-11-02T00:00:00+00:00" in page
    assert "https://prom.example:9090/" in page
    assert "pw123" not in page and "token=abc" not in page and "bob" not in page
    assert "slos/payments.yaml" in page and "n=3" in page
    assert good_report.provenance.run_id in page
    # the hidden record outputs are not rendered
    assert "vnd.apislo.record" not in page


@pytest.mark.parametrize(("signal_name", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_stops_the_worker_records_the_run_and_frees_the_job(
    tmp_path: Path, signal_name: str, status: int
) -> None:
    """`apislo schedule run` stopped by SIGTERM (systemd, a CronJob's deadline) or Ctrl-C
    (SIGINT): it exits 128 + the signal's number (15 and 2), its worker and kernel stop with it,
    the run is recorded as stopped, its temporary folder is gone, and the next run of the job is
    not refused as overlapping."""
    import json
    import signal
    import subprocess
    import sys

    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "slow.yaml").write_text(
        f"name: slow\nnotebook: {NOTEBOOKS / 'slow.ipynb'}\ncron: '0 6 * * *'\nperiod: none\n"
        "parameters: {seconds: 120}\noutput: slow.html\n"
    )
    reports = tmp_path / "reports"
    apislo = Path(sys.executable).parent / "apislo"
    cmd = [str(apislo), "schedule", "run", "slow", "--dir", str(sched), "--reports", str(reports)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(reports.glob(".run-*/request.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    (request,) = reports.glob(".run-*/request.json")
    time.sleep(2)  # the worker is starting its kernel
    proc.send_signal(getattr(signal, signal_name))
    assert proc.wait(timeout=60) == status
    workers = subprocess.run(["pgrep", "-f", str(request)], capture_output=True, text=True)
    assert workers.stdout == ""
    assert not list(reports.glob(".run-*"))
    (record,) = [json.loads(x) for x in (reports / "history.jsonl").read_text().splitlines()]
    assert (record["job"], record["status"]) == ("slow", "failed")
    assert record["error"].startswith("stopped (SIGTERM or Ctrl-C) before it ended")


def test_a_killed_runs_working_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    """A runner killed by SIGKILL leaves its ``.run-*`` folder: the next run into the same
    folder removes one untouched for a day (here two days), and leaves a fresh one (a run of
    another report, going on) alone."""
    import os

    old, live = tmp_path / ".run-killed", tmp_path / ".run-going"
    for folder in (old, live):
        folder.mkdir()
        (folder / "executed.ipynb").write_text("{}")
    (old / "run.lock").write_text("4242")  # (its process, dead, held it)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, tmp_path / "report.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".run-going",
        "report.html",
        "report.ipynb",
    ]


def test_the_working_folder_of_a_run_going_on_for_over_a_day_is_kept(tmp_path: Path) -> None:
    """A job's ``timeout`` may be over a day: the next run into the same folder removed the
    working folder of such a run, going on, once untouched for a day (here two days: its mtime
    set back). The run holds ``run.lock`` in it, which keeps it; the run removes it at its end."""
    import os

    from apislo.report.atomic import work_folder

    two_days_ago = time.time() - 2 * 24 * 3600
    with work_folder(tmp_path / "long.html") as going:
        os.utime(going, (two_days_ago, two_days_ago))
        with work_folder(tmp_path / "next.html") as other:  # the next run sweeps the folder
            names = sorted(p.name for p in tmp_path.iterdir())
            assert names == sorted([Path(going).name, Path(other).name])
            assert (Path(going) / "run.lock").read_text() == str(os.getpid())
    assert list(tmp_path.iterdir()) == []


def test_an_old_working_folder_whose_lock_is_a_named_pipe_is_removed_without_waiting(
    tmp_path: Path,
) -> None:
    """The sweep opened each old folder's ``run.lock`` to test its lock: a named pipe there
    (anyone who may write to the reports folder can put one) made every later run wait for a
    writer, forever. It is opened without blocking, found unlocked, and its folder removed."""
    import os
    import threading

    from apislo.report.atomic import sweep

    old = tmp_path / ".run-old"
    old.mkdir()
    os.mkfifo(old / "run.lock")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    sweep_thread = threading.Thread(target=sweep, args=(tmp_path,), daemon=True)
    sweep_thread.start()
    sweep_thread.join(timeout=10)
    assert not sweep_thread.is_alive()
    assert list(tmp_path.iterdir()) == []


def test_the_lock_of_a_killed_run_is_freed_and_its_old_folder_removed(tmp_path: Path) -> None:
    """SIGKILL leaves a run's folder with its ``run.lock``, but frees the lock (``flock``): the
    folder is removed once untouched for a day, as a folder without a lock file is."""
    import os
    import signal
    import subprocess
    import sys

    from apislo.report.atomic import work_folder

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from apislo.report.atomic import "
            "work_folder\nwith work_folder(Path(sys.argv[1])) as tmp:\n"
            "    print(tmp, flush=True); time.sleep(300)",
            str(tmp_path / "long.html"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    try:
        going = Path(holder.stdout.readline().strip())
        two_days_ago = time.time() - 2 * 24 * 3600
        os.utime(going, (two_days_ago, two_days_ago))
        with work_folder(tmp_path / "next.html"):
            assert going.is_dir()  # its run holds the lock
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    assert (going / "run.lock").is_file()
    with work_folder(tmp_path / "next.html") as other:
        assert list(tmp_path.iterdir()) == [Path(other)]


def _no_locks(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """``flock`` fails with ``code``, as on a file system that keeps no locks."""
    import fcntl
    import os

    def flock(fd: int, operation: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fcntl, "flock", flock)


def test_a_report_run_where_files_cannot_be_locked_goes_on_without_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On NFS without its lock daemon `flock` fails with ENOLCK: `apislo report run`, which
    needed no lock until its run took `run.lock`, stopped with a traceback (`OSError: [Errno
    37] No locks available`). It runs without the lock, as before: good.ipynb with n=3."""
    import errno

    from click.testing import CliRunner

    from apislo.cli import main

    _no_locks(monkeypatch, errno.ENOLCK)
    out = tmp_path / "r.html"
    args = ["report", "run", str(NOTEBOOKS / "good.ipynb"), "-p", "n", "3", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.ipynb"]


def test_where_files_cannot_be_locked_an_old_working_folder_goes_by_its_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EOPNOTSUPP (a FUSE mount): no lock can be held there, so the working folder of a killed
    run (two days old, its `run.lock` left) is removed by its age alone, as before `run.lock`;
    a fresh one is kept."""
    import errno
    import os

    from apislo.report.atomic import work_folder

    _no_locks(monkeypatch, errno.EOPNOTSUPP)
    old, live = tmp_path / ".run-killed", tmp_path / ".run-going"
    for folder in (old, live):
        folder.mkdir()
        (folder / "run.lock").write_text("12345")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    with work_folder(tmp_path / "next.html") as tmp:
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".run-going", Path(tmp).name])
    assert [p.name for p in tmp_path.iterdir()] == [".run-going"]
