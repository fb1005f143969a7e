"""A report's worker killed outright (SIGKILL: the OOM killer, an operator) fails the run with one
line naming the cell and the signal, without the worker's log (kernel and papermill chatter)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.report.conftest import NOTEBOOKS
from tests.report.test_worker_signals import APISLO, _pids, _reap, _running

# what a killed worker's log held when QA killed one (2026-11-29)
NOISE = (
    "[IPKernelApp] WARNING | Kernel is running over TCP without encryption. All communication "
    "(including code and outputs) is sent in plain text.\n"
    "Unable to parse line 5 of the kernel's output\n"
    "[IPKernelApp] WARNING | Parent appears to have exited, shutting down.\n"
)


def _wait_for_running_cell(executed: Path, index: int) -> None:
    """Wait (up to 60 s) until papermill marks cell ``index`` of ``executed`` as running."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            cells = json.loads(executed.read_text())["cells"]
            if cells[index]["metadata"]["papermill"]["status"] == "running":
                return
        except (OSError, ValueError, KeyError, IndexError):  # not written yet, or mid-write
            pass
        time.sleep(0.2)
    raise AssertionError(f"cell {index} of {executed} never started")


def test_a_killed_worker_is_one_line_naming_the_cell_and_the_signal(tmp_path: Path) -> None:
    out = tmp_path / "slow.html"
    cmd = [
        str(APISLO),
        *("report", "run", str(NOTEBOOKS / "slow.ipynb")),
        *("-p", "seconds", "120", "--out", str(out)),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    request, kernels = None, []
    try:
        request = _running(tmp_path)
        (worker,) = _pids("-f", str(request))
        kernels = _pids("-P", str(worker))
        # injected parameters come after cell 0: cell 2 of the source is cell 3 of the run
        _wait_for_running_cell(request.parent / "executed.ipynb", 3)
        subprocess.run(["kill", "-KILL", str(worker)], check=True)
        _, stderr = proc.communicate(timeout=60)
    finally:
        _reap(proc, request, kernels)
    assert proc.returncode == 1
    assert stderr == (
        f"error: {NOTEBOOKS / 'slow.ipynb'}: cell 2 failed with WorkerDied: the report's worker "
        f"was killed by signal {signal.SIGKILL.value} (SIGKILL) (in `time.sleep(seconds)`). "
        "The last good report, if any, was left as it was; the failed run is in "
        f"{tmp_path / 'slow.failed.ipynb'}.\n"
    )


def test_a_dead_workers_log_is_left_out_but_its_python_error_is_kept() -> None:
    from apislo.report.runner import _worker_died

    assert _worker_died(-9, NOISE) == "the report's worker was killed by signal 9 (SIGKILL)"
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "worker.py", line 85, in main\n'
        "    Path(request['result']).write_text(json.dumps(outcome))\n"
        "OSError: [Errno 28] No space left on device\n"
    )
    assert _worker_died(1, NOISE + traceback) == (
        "the report's worker exited with status 1 (OSError: [Errno 28] No space left on device)"
    )
    assert _worker_died(1, NOISE) == "the report's worker exited with status 1"
