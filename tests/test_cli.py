"""The ``apislo`` console script's own handling, around the commands."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TextIO

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


def _console_script_with_exit_handler(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script with ``args``, in a process that registered an exit handler printing
    ``exit handler ran`` (the interpreter's clean-up runs it)."""
    script = (
        "import atexit, sys; atexit.register(print, 'exit handler ran'); "
        "from apislo.cli import run; sys.argv[0] = 'apislo'; run()"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_ingest_ends_its_process_without_the_interpreters_clean_up(tmp_path: Path) -> None:
    """The interpreter's clean-up took 11-13 ms of a 1.5 s `apislo ingest`; once the command is
    done it has nothing left to do. Expected: its output whole and its status, but no exit
    handler run, on success (0) and on failure (1); another command still cleans up."""
    log = tmp_path / "access.log"
    log.write_text(
        '10.0.0.1 - - [01/Jan/2025:00:00:01 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl" 0.100 0.090\n'
    )
    dataset = str(tmp_path / "ds")
    done = _console_script_with_exit_handler(
        "ingest", str(log), "--out", dataset, "--format", "nginx-timed", "-q"
    )
    assert (done.returncode, done.stdout.splitlines()[-1]) == (
        0,
        f"1 file(s), 1 lines: 1 requests stored in {dataset}, 0 rejected",
    )
    missing = _console_script_with_exit_handler("ingest", str(tmp_path / "nope"), "--out", dataset)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == f"error: {tmp_path / 'nope'}: no such file or directory\n"
    other = _console_script_with_exit_handler("simulate", "--help")
    assert (other.returncode, other.stdout.splitlines()[-1]) == (0, "exit handler ran")


def test_exit_at_once_flushes_and_says_when_stdout_cannot_be(tmp_path: Path) -> None:
    """What is still buffered is written before the process ends, its status kept; a stdout
    that cannot take it (a full disk) turns a success into status 120, as Python's own exit
    does, and leaves a failure's status as it is."""
    script = (
        "import sys; from apislo.cli import _exit_at_once; "
        "sys.stdout.write('buffered'); sys.stderr.write('err'); _exit_at_once(int(sys.argv[1]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # (buffered)
    env["PYTHONPATH"] = str(ROOT)

    def run(status: int, stdout: int | TextIO) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", script, str(status)]
        return subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)

    done = run(3, subprocess.PIPE)
    assert (done.returncode, done.stdout, done.stderr) == (3, "buffered", "err")
    with open("/dev/full", "w") as full:
        assert [(run(s, full).returncode, run(s, full).stderr) for s in (0, 3)] == [
            (120, "err"),
            (3, "err"),
        ]
