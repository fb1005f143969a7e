"""`apislo prom serve` on a port another server holds: an error naming the port, exit 1, instead
of printing the other server's URL as its own (QA: /tmp/qa4/z/ps.err); a Prometheus that dies at
start is reported with its exit status and its last log line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from apislo.errors import ApisloError
from apislo.sources.prometheus.local import LocalPrometheus, free_port
from tests.conftest import require_binary

pytestmark = pytest.mark.prometheus
APISLO = str(Path(sys.executable).parent / "apislo")


def test_serve_on_a_port_another_prometheus_serves_fails(prom_url: str, tmp_path: Path) -> None:
    port = int(prom_url.rsplit(":", 1)[1])
    done = subprocess.run(
        [APISLO, "prom", "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"error: port {port} on 127.0.0.1 is in use (Address already in use): another server "
        "listens there; pick another port (0: any free one)\n"
    )


def test_a_prometheus_that_exits_at_start_is_reported(tmp_path: Path) -> None:
    """Its exit status and the last line of its log, not a wait for readiness and five lines."""
    require_binary("prometheus")
    with pytest.raises(ApisloError) as info:
        LocalPrometheus(tmp_path / "data", retention="bogus").start()
    assert str(info.value) == (
        "prometheus exited with status 2 at start: Error parsing commandline arguments: not a "
        'valid duration string: "bogus"'
    )


def test_serve_fails_when_its_prometheus_dies_later(tmp_path: Path) -> None:
    """Once serving, a Prometheus killed by someone else ends the command with exit 1, not 0."""
    require_binary("prometheus")
    port = free_port()
    serve = subprocess.Popen(
        [APISLO, "prom", "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stderr is not None
        assert serve.stderr.readline().endswith(f"at http://127.0.0.1:{port} (Ctrl-C stops it)\n")
        children = Path(f"/proc/{serve.pid}/task/{serve.pid}/children").read_text().split()
        os.kill(int(children[0]), signal.SIGKILL)
        _, stderr = serve.communicate(timeout=30)
    finally:  # on a failure above: SIGTERM, so the command stops its Prometheus too
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=15)
    assert serve.returncode == 1
    assert stderr == "error: prometheus stopped by itself (signal SIGKILL); it no longer serves\n"


@pytest.mark.parametrize(
    ("usage", "wrapped"),
    [(" --nnp, --no-new-privs\n", False), (" --pdeathsig keep|clear|<signame>\n", True)],
)
def test_a_setpriv_without_pdeathsig_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usage: str, wrapped: bool
) -> None:
    """util-linux before 2.33 (Ubuntu 18.04's 2.31, RHEL 8's 2.32) and BusyBox have a setpriv
    that refuses --pdeathsig: every start failed as "prometheus exited with status 1 at
    start: Try 'setpriv --help' for more information." There the server is started as it was
    before 2026-11-30; a setpriv whose usage lists the option runs it."""
    from apislo.sources.prometheus import local

    setpriv = tmp_path / "setpriv"
    setpriv.write_text(f"#!/bin/sh\nprintf 'Usage:\\n setpriv [options] <program>\\n{usage}'\n")
    setpriv.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    local._pdeathsig_setpriv.cache_clear()
    try:
        command = local._dying_with_caller(["prometheus", "--x"])
    finally:
        local._pdeathsig_setpriv.cache_clear()
    expected = [str(setpriv), "--pdeathsig", "TERM", "--"] if wrapped else []
    assert command == [*expected, "prometheus", "--x"]
