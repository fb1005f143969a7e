"""``schedule history --limit N`` shows the newest N runs; a limit below 1 is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.schedule.history import RunRecord, append_record


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    for day in (1, 2, 3):
        stamp = f"2026-11-0{day}T06:00:00+00:00"
        append_record(tmp_path, RunRecord("alpha", stamp, stamp, stamp, "ok", f"a/{day}.html"))
    return tmp_path


@pytest.mark.parametrize("limit", ["0", "-1", "-2"])
def test_a_limit_below_one_is_refused(reports: Path, limit: str) -> None:
    out = CliRunner().invoke(
        main, ["schedule", "history", "--reports", str(reports), "--limit", limit]
    )
    assert out.exit_code == 2  # a usage error, before anything is printed
    assert f"Invalid value for '--limit': {limit} is not in the range x>=1." in out.output
    assert "a/" not in out.output


def test_limit_shows_the_newest_runs(reports: Path) -> None:
    args = ["schedule", "history", "--reports", str(reports), "--json"]
    out = CliRunner().invoke(main, [*args, "--limit", "2"])
    assert [r["output"] for r in json.loads(out.output)] == ["a/2.html", "a/3.html"]
