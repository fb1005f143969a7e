"""Shared fixtures: where the real sample logs are, and a rule for tests that need real binaries.

Tests that need a real program (Debian's ``prometheus``, ``promtool``, ``chromium``) call
:func:`require_binary`: in CI (``CI=true``) a missing binary *fails* the test, elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real access logs from public projects; beside the checkout, not inside it.
SAMPLES = ROOT.parent / "shared" / "samples"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a CI job cancelled or timed out) stops the run as Ctrl-C does, so fixtures are
    torn down and the servers they started (Prometheus) stopped: pytest's default left them
    running."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def require_binary(name: str) -> str:
    """Path of ``name`` on PATH; fail in CI, skip elsewhere, when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package; `make test` installs it as root)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def wait_until_waiting(path: Path, thread: threading.Thread) -> None:
    """Return once a process waits for the ``flock`` of file ``path`` (a ``->`` line of
    ``/proc/locks``: Linux); fail if ``thread`` ended first (it did not wait), or after 10 s."""
    inode = f":{path.stat().st_ino} "
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        locks = Path("/proc/locks").read_text().splitlines()
        if any("->" in line and inode in line for line in locks):
            return
        assert thread.is_alive(), f"it did not wait for the lock of {path}"
        time.sleep(0.005)
    raise AssertionError(f"nothing waited for the lock of {path} in 10 s")


@pytest.fixture
def samples_dir() -> Path:
    """``../shared/samples``; tests using it skip where that folder does not exist."""
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present (it exists beside CI's clone)")
    return SAMPLES


#: End of the simulated day served by :func:`simulated_prometheus` (UTC midnight).
SIMULATED_END = pd.Timestamp("2026-02-01T00:00Z")


class SimulatedPrometheus(NamedTuple):
    """One simulated day (3 APIs) read from its logs and served by a real Prometheus."""

    url: str
    events: pd.DataFrame


@pytest.fixture(scope="session")
def simulated_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatedPrometheus]:
    """The simulator's logs (as events) and its OpenMetrics, backfilled by promtool and served
    by Prometheus on loopback: the same traffic two ways, for logs-vs-PromQL tests."""
    require_binary("promtool")
    require_binary("prometheus")
    import apislo
    from apislo.simulate import simulate
    from apislo.sources.prometheus.local import LocalPrometheus, backfill

    root = tmp_path_factory.mktemp("simulated-prometheus")
    end = SIMULATED_END.isoformat()
    simulate(root / "sim", days=1, apis=3, seed=11, openmetrics=True, end=end)
    backfill(root / "sim" / "metrics.om", root / "blocks", max_block_duration="48h")
    shutil.copytree(root / "blocks", root / "serve")  # Prometheus compacts what it serves
    events = apislo.read_logs(sorted((root / "sim" / "logs").glob("*.log")))
    with LocalPrometheus(root / "serve") as server:
        yield SimulatedPrometheus(server.url, events)
