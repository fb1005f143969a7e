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


def test_the_demo_slos_fit_the_simulators_histogram() -> None:
    """With APISLO_PROMETHEUS_URL the demo's reports read the simulator's histogram: a latency
    threshold off its bucket boundaries (0.25 s, once) cannot be counted and fails the report."""
    import apislo.slo
    from apislo.simulate.openmetrics import OM_BUCKETS_S

    slos = apislo.slo.load(Path(__file__).parent.parent / "scheduled" / "slos" / "demo.yaml")
    thresholds = {s.name: s.threshold_s(o) for s in slos for o in s.objectives if s.threshold_s(o)}
    assert thresholds == {"payments-latency": 0.3}
    assert set(thresholds.values()) <= set(OM_BUCKETS_S)
