"""Stopping the scheduler: `schedule serve` exits like the other commands on SIGTERM (143) and
Ctrl-C (130), stopping the report in progress; a runner killed outright (SIGKILL) leaves no worker
or kernel behind. Real processes, the slow notebook of the broken-notebook corpus."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.report.conftest import NOTEBOOKS

APISLO = Path(sys.executable).parent / "apislo"


def _project(tmp_path: Path) -> tuple[Path, Path]:
    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "slow.yaml").write_text(
        f"name: slow\nnotebook: {NOTEBOOKS / 'slow.ipynb'}\ncron: '* * * * *'\nperiod: none\n"
        "parameters: {seconds: 120}\noutput: slow.html\n"
    )
    return sched, tmp_path / "reports"


def _running(reports: Path) -> Path:
    """The request file of the run in progress, once its worker has had time to start."""
    deadline = time.monotonic() + 60
    while not list(reports.glob(".run-*/request.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    (request,) = reports.glob(".run-*/request.json")
    time.sleep(3)  # the worker is starting its kernel
    return request


def _pids(*args: str) -> list[int]:
    found = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _reap(proc: subprocess.Popen[bytes], request: Path | None, known: Sequence[int] = ()) -> None:
    """After a failed check: stop what the test started (the command, a worker left behind and
    its kernel, ``known`` pids), by pid."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    left = [*known]
    for worker in _pids("-f", str(request)) if request else []:
        left += [*_pids("-P", str(worker)), worker]
    for pid in left:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    state = Path(f"/proc/{pid}/stat")
    try:
        return state.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize(("signal_name", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_serve_stopped_by_a_signal_exits_like_the_other_commands(
    tmp_path: Path, signal_name: str, status: int
) -> None:
    sched, reports = _project(tmp_path)
    cmd = [str(APISLO), "schedule", "serve", "--dir", str(sched), "--reports", str(reports)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    request = None
    try:
        request = _running(reports)
        began = time.monotonic()
        proc.send_signal(getattr(signal, signal_name))
        assert proc.wait(timeout=60) == status  # 128 + 15, 128 + 2
        assert time.monotonic() - began < 30  # it did not wait for the 120 s report
        assert _pids("-f", str(request)) == []  # the worker stopped with it
    finally:
        _reap(proc, request)
    (record,) = [json.loads(x) for x in (reports / "history.jsonl").read_text().splitlines()]
    assert (record["job"], record["status"]) == ("slow", "failed")
    assert record["error"].startswith("stopped (SIGTERM or Ctrl-C) before it ended")


def test_a_killed_runner_leaves_no_worker_or_kernel(tmp_path: Path) -> None:
    sched, reports = _project(tmp_path)
    cmd = [str(APISLO), "schedule", "run", "slow", "--dir", str(sched), "--reports", str(reports)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    request, kernels = None, []
    try:
        request = _running(reports)
        (worker,) = _pids("-f", str(request))
        deadline = time.monotonic() + 30
        while not (kernels := _pids("-P", str(worker))) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert kernels  # the worker's kernel is running
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in [worker, *kernels]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [p for p in [worker, *kernels] if _alive(p)] == []
    finally:
        _reap(proc, request, kernels)
