"""`apislo demo`'s checks and output: --apis takes the simulator's range (a usage error before
any work), outside the project root it stops before any work with advice that works for it, and
its progress line and summary read right (plurals, the formats used, one precision per column).
The demo's reports are fake runs here (tests/test_demo.py runs the real ones)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.demo import run_demo
from apislo.simulate.catalog import APIS
from tests.conftest import ROOT
from tests.schedule.test_run import FakeRunner


def test_apis_takes_the_simulators_range() -> None:
    assert len(APIS) == 8
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "--apis INTEGER RANGE  [default: 6; 1<=x<=8]" in help_text


@pytest.mark.parametrize("apis", ["9", "0"])
def test_apis_out_of_range_is_a_usage_error_before_any_work(
    apis: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--apis", apis])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"Error: Invalid value for '--apis': {apis} is not in the range 1<=x<=8.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_outside_the_project_root_it_stops_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--days", "1", "--apis", "1"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no scheduled/ in {tmp_path}: run apislo demo from the project root (the folder "
        "holding scheduled/ and notebooks/)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_progress_line_and_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "scheduled", tmp_path / "scheduled")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_report", FakeRunner())
    lines: list[str] = []
    run_demo("data/demo", "reports", days=1, apis=2, echo=lines.append)
    assert lines[0] == "simulating 1 day of traffic for 2 APIs (nginx-timed, kong-json) ..."
    table = lines[3].splitlines()
    assert table[0].split() == [
        "api", "requests", "status_5xx", "status_429", "error_ratio", "p50_s", "p99_s"
    ]  # fmt: skip
    assert [row.split()[0] for row in table[1:]] == [api.name for api in APIS[:2]]
    for row in table[1:]:
        error_ratio, p50, p99 = row.split()[4:]
        assert re.fullmatch(r"0\.\d{4}", error_ratio), row
        assert re.fullmatch(r"\d\.\d{3}", p50) and re.fullmatch(r"\d\.\d{3}", p99), row
