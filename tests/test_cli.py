"""The ``apislo`` console script's own handling, around the commands."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import apislo.cli as cli
from tests.conftest import ROOT


def test_ctrl_c_while_a_command_loads_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`apislo ingest` spends 0.4 s importing polars and numpy before click runs; a Ctrl-C
    then printed a traceback and exited 1. Expected: click's "Aborted!" and 130, as during the
    run (here the command's module raises KeyboardInterrupt as it loads)."""
    (tmp_path / "interrupted_command.py").write_text("raise KeyboardInterrupt\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "_COMMANDS", {"ingest": "interrupted_command"})
    monkeypatch.setattr(sys, "argv", ["apislo", "ingest"])
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
    finally:
        signal.signal(signal.SIGTERM, sigterm)
        gc.unfreeze()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "\nAborted!\n"
    assert gc.isenabled()


def _interrupted_as_it_loads(
    module: str, tmp_path: Path, stderr: int
) -> subprocess.CompletedProcess[str]:
    """`apislo ingest --help` in a process of its own, whose stand-in for ``module`` (found
    first on its path) sends it SIGINT as it loads; its stdout is captured, its stderr goes to
    ``stderr``."""
    (tmp_path / f"{module}.py").write_text(
        "import os, _signal\nos.kill(os.getpid(), _signal.SIGINT)\n"
    )
    script = "import sys; from apislo.cli import run; sys.argv[0] = 'apislo'; run()"
    return subprocess.run(
        [sys.executable, "-c", script, "ingest", "--help"],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
    )


@pytest.mark.parametrize("module", ["typing", "signal", "click"])
def test_ctrl_c_while_the_console_script_loads_exits_130(tmp_path: Path, module: str) -> None:
    """Importing click is most of the 30 ms before `run` starts; a Ctrl-C then printed a
    KeyboardInterrupt traceback and the process died of the signal. So it did while
    `import apislo` loaded typing (10 ms) and `apislo.cli` signal, before its handler.
    Expected: "Aborted!" and 130, as later."""
    done = _interrupted_as_it_loads(module, tmp_path, subprocess.PIPE)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\nAborted!\n")


def test_ctrl_c_exits_130_when_stderr_is_a_closed_pipe(tmp_path: Path) -> None:
    """A stderr whose reader has gone (`apislo ingest ... 2>&1 | head -1`, head done): writing
    "Aborted!" raised BrokenPipeError, and the process exited 1. Expected: 130 (128 + SIGINT),
    as with a stderr to write to."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = _interrupted_as_it_loads("click", tmp_path, write)
    finally:
        os.close(write)
    assert (done.returncode, done.stdout) == (130, "")


def test_ctrl_c_exits_130_in_a_process_without_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process started with its stderr closed (`2>&-`) has `sys.stderr` None: Ctrl-C still
    exits 130, saying nothing (not an AttributeError, exit 1)."""
    monkeypatch.setattr(sys, "stderr", None)
    with pytest.raises(SystemExit) as exited:
        cli._aborted()
    assert exited.value.code == 130
