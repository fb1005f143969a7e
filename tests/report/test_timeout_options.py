"""Timeouts no run could meet (zero, negative, not a number) are refused before any run: on the
command line as a usage error (exit 2), from Python as a ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.report import run_report
from tests.report.conftest import NOTEBOOKS


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timeout", "-5", "Invalid value for '--timeout': -5.0 is not in the range x>0."),
        ("--timeout", "0", "Invalid value for '--timeout': 0.0 is not in the range x>0."),
        ("--cell-timeout", "0", "Invalid value for '--cell-timeout': 0 is not in the range x>=1."),
    ],
)
def test_report_run_refuses_a_timeout_that_is_not_positive(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        main, ["report", "run", str(NOTEBOOKS / "good.ipynb"), "--out", str(out), option, value]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("timeouts", "message"),
    [
        (
            {"timeout_s": float("nan")},
            "timeout: nan is not valid; allowed: a number of seconds > 0",
        ),
        (
            {"timeout_s": float("inf")},
            "timeout: inf is not valid; allowed: a number of seconds > 0",
        ),
        (
            {"cell_timeout_s": 0},
            "cell_timeout: 0 is not valid; allowed: a whole number of seconds >= 1",
        ),
    ],
)
def test_run_report_refuses_a_timeout_no_run_could_meet(
    tmp_path: Path, timeouts: dict, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, tmp_path / "r.html", **timeouts)
    assert str(info.value) == message
    assert not any(tmp_path.iterdir())
