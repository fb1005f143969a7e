"""`apislo demo` end to end on one simulated day: the main job works and its reports exist."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

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
    # each job reports on the simulated day, and its file is named after it (a monthly job in
    # Paris by the Paris month of the day's start), as is its run in the history
    start = datetime.fromisoformat(truth["start"])
    day, month = f"{start:%Y-%m-%d}", f"{start.astimezone(ZoneInfo('Europe/Paris')):%Y-%m}"
    named = {job: sorted(p.name for p in (reports / job).glob("*.html")) for job in jobs}
    assert named == {
        "slo-daily": [f"{day}.html"],
        "slo-monthly": [f"{month}.html"],
        "traffic-weekly": [f"{day}.html"],
    }
    runs = [json.loads(line) for line in (reports / "history.jsonl").read_text().splitlines()]
    assert {tuple(r["window"]) for r in runs} == {
        (start.isoformat(), truth["end"].replace("Z", "+00:00"))
    }
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
