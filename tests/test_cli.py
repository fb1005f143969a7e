"""The ``apislo`` console script's own handling, around the commands."""

from __future__ import annotations

import gc
import signal
import sys
from pathlib import Path

import pytest

import apislo.cli as cli


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
