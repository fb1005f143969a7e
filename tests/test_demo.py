"""`apislo demo` end to end on one simulated day: the main job works and its reports exist."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import apislo
from apislo.cli import main


def test_demo_builds_every_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("APISLO_PROMETHEUS_URL", raising=False)
    work, reports = tmp_path / "work", tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["demo", "--workdir", str(work), "--reports", str(reports), "--days", "1"]
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((work / "simulation" / "truth.json").read_text())
    # Every simulated request is stored, nothing rejected: the dataset matches the ground truth.
    events = apislo.load(work / "events")
    assert len(events) == truth["totals"]["requests"]
    assert int((events["status"] >= 500).sum()) == truth["totals"]["status_5xx"]
    assert ", 0 rejected;" in result.output
    index = (reports / "index.html").read_text()
    jobs = sorted(p.stem for p in Path("scheduled").glob("*.yaml"))
    for job in jobs:
        assert job in index
        assert list((reports / job).glob("*.html")), f"no report for {job}"
    assert f"reports: {(reports / 'index.html').resolve()}" in result.output
