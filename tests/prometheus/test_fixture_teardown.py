"""A test run stopped by SIGTERM (a CI job cancelled or timed out) stops the Prometheus its
fixtures started: pytest's default ended at once and left the server running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, require_binary

_SLOW_TEST = """
import time

def test_waits(prom_url):
    print("serving", prom_url, flush=True)
    time.sleep(120)
"""


def test_sigterm_stops_the_prometheus_of_the_fixtures(tmp_path: Path) -> None:
    require_binary("prometheus")
    require_binary("promtool")
    test_file = tmp_path / "test_slow.py"
    test_file.write_text(_SLOW_TEST)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
         "-p", "tests.conftest", "-p", "tests.prometheus.conftest", str(test_file)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert run.stdout is not None
        line = ""
        while not line.startswith("serving"):
            line = run.stdout.readline()
            assert line, "pytest ended before its Prometheus served"
        servers = _children(run.pid)
        assert len(servers) == 1  # the fixture's prometheus
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    deadline = time.monotonic() + 15
    while _running(servers[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _running(servers[0])
    if alive:
        os.kill(servers[0], signal.SIGKILL)
    assert not alive


def _children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (Linux ``/proc``)."""
    tasks = Path(f"/proc/{pid}/task")
    return [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
