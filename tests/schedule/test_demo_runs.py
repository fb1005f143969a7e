"""The demo's report runs take no cron slot (QA: after `apislo demo`, `run-due` said "nothing
due"): they are recorded as demo runs, never a job's last run in the index, and `run-due` still
runs every due slot, after one demo or two. The index links a demo run's report as the latest
good one, marked as a demo run, until a newer good report comes (QA, 2026-11-29: after `make
demo` its last line pointed at an index saying "never run" with no report linked). Fake
notebook runs; the demo's simulation and ingest are real."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

import apislo.report.runner as runner
from apislo.demo import run_demo
from apislo.schedule.history import read_history
from apislo.schedule.run import run_all_jobs, run_due
from tests.conftest import ROOT
from tests.schedule.test_run import FakeRunner, dirs  # noqa: F401  (the fixture)

NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)  # a Sunday
WEEK = (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
#: The shipped jobs' latest slots at NOW (slo-monthly: 07:00 Paris on the 1st; traffic-weekly:
#: Monday 06:30 UTC, the 23rd).
SLOTS = [
    ("slo-daily", "2026-11-29T06:00:00+00:00"),
    ("slo-monthly", "2026-11-01T07:00:00+01:00"),
    ("traffic-weekly", "2026-11-23T06:30:00+00:00"),
]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    return fake


def test_runs_over_a_window_of_their_own_take_no_slot(dirs, fake) -> None:  # noqa: F811
    sched, reports = dirs
    demo = run_all_jobs(sched, reports, {"dataset": "data/demo"}, now=NOW, window=WEEK)
    window = ["2026-11-20T00:00:00+00:00", "2026-11-27T00:00:00+00:00"]
    assert [(r.job, r.scheduled_for, r.status, r.output, r.window, r.demo) for r in demo] == [
        ("alpha", "", "ok", "alpha/2026-11-20.html", window, True),
        ("beta", "", "ok", "beta/2026-11-20.html", window, True),
    ]
    due = run_due(sched, reports, now=NOW)
    assert [(r.job, r.scheduled_for, r.output, r.demo) for r in due] == [
        ("alpha", "2026-11-29T06:00:00+00:00", "alpha/2026-11-28.html", False),
        ("beta", "2026-11-29T06:00:00+00:00", "beta/2026-11-28.html", False),
    ]
    assert run_due(sched, reports, now=NOW) == []
    lines = (reports / "history.jsonl").read_text().splitlines()
    assert [(json.loads(line)["job"], json.loads(line)["demo"]) for line in lines] == [
        ("alpha", True),
        ("beta", True),
        ("alpha", False),
        ("beta", False),
    ]


def test_the_index_links_a_demo_report_never_as_the_last_run(dirs, fake) -> None:  # noqa: F811
    sched, reports = dirs
    run_all_jobs(sched, reports, now=NOW, window=WEEK)
    latest, history = (reports / "index.html").read_text().split("<h2>History</h2>")
    never = '<tr class="never-run"><td>alpha<br><small></small></td>'
    never += '<td class="status-never-run">never run</td><td></td>'
    assert latest.count('<td class="status-never-run">never run</td><td></td>') == 2
    assert never in latest
    demo_good = (
        '<td><a href="alpha/2026-11-20.html">latest report</a> '
        '<a href="alpha/2026-11-20.ipynb">notebook</a> <small>(demo run)</small></td>'
    )
    assert demo_good in latest
    demo_slot = "<td>demo over 2026-11-20T00:00:00+00:00 to 2026-11-27T00:00:00+00:00</td>"
    assert history.count(demo_slot) == 2
    assert '<a href="alpha/2026-11-20.html">alpha/2026-11-20.html</a>' in history
    run_due(sched, reports, now=NOW)
    latest = (reports / "index.html").read_text().split("<h2>History</h2>")[0]
    assert '<td class="status-ok">ok</td>' in latest
    real_good = (
        '<td><a href="alpha/2026-11-28.html">latest report</a> '
        '<a href="alpha/2026-11-28.ipynb">notebook</a></td>'
    )
    assert real_good in latest
    assert "2026-11-20.html" not in latest and "(demo run)" not in latest


def test_the_never_run_status_is_one_class_the_css_styles(dirs, fake) -> None:  # noqa: F811
    sched, reports = dirs
    run_all_jobs(sched, reports, now=NOW, window=WEEK)
    page = (reports / "index.html").read_text()
    assert ".status-skipped, .status-never-run { color: #777; }" in page
    assert 'never run"' not in page and '"status-never run' not in page


def test_run_due_after_the_demo_twice_runs_every_job(tmp_path: Path, fake, monkeypatch) -> None:
    shutil.copytree(ROOT / "scheduled", tmp_path / "scheduled")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # `make demo` twice
        run_demo("data/demo", "reports", days=1, apis=1, echo=lambda line: None)
    runs = read_history("reports")
    due = run_due("scheduled", "reports", now=NOW)
    assert [(r.job, r.scheduled_for, r.status) for r in due] == [
        (job, slot, "ok") for job, slot in SLOTS
    ]
    assert run_due("scheduled", "reports", now=NOW) == []
    truth = json.loads(Path("data/demo/simulation/truth.json").read_text())
    window = [truth["start"].replace("Z", "+00:00"), truth["end"].replace("Z", "+00:00")]
    assert [(r.job, r.scheduled_for, r.status, r.window, r.demo) for r in runs] == [
        (job, "", "ok", window, True) for job, _ in SLOTS
    ] * 2
    assert len(fake.calls) == 9
