"""A history line whose fields are not of their types (written by hand, or by another tool) is
skipped like a torn one: a hand-written ``"error": null`` made the index fail to build, and with
it every ``run-due`` and ``report site``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.schedule.history import HISTORY_FILE, RunRecord, append_record, read_history

STAMP = "2026-11-28T06:00:00+00:00"
GOOD = RunRecord("alpha", STAMP, STAMP, STAMP, "ok", "a/1.html")


@pytest.mark.parametrize(
    "odd",
    [
        {"error": None},
        {"output": 7},
        {"attempts": "2"},
        {"attempts": True},
        {"window": "2026-11-27"},
        {"window": [1, 2]},
        {"demo": "yes"},
        {"job": ["beta"]},
    ],
)
def test_a_line_of_the_wrong_types_is_skipped(tmp_path: Path, odd: dict[str, object]) -> None:
    append_record(tmp_path, GOOD)
    line = {"job": "beta", "scheduled_for": STAMP, "start": STAMP, "end": STAMP}
    with (tmp_path / HISTORY_FILE).open("a", encoding="utf-8") as history:
        history.write(json.dumps({**line, "status": "failed", "error": "x", **odd}) + "\n")
    assert read_history(tmp_path) == [GOOD]
    out = CliRunner().invoke(main, ["report", "site", "--reports", str(tmp_path)])
    assert out.exit_code == 0, out.output
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<td>alpha</td>" in index and "beta" not in index
