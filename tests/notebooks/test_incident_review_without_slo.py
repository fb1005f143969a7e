"""incident_review.ipynb for an API that has no SLO in the spec: the review renders, with an empty
error-budget section and no alerts, instead of failing in ``budget_spent``."""

from __future__ import annotations

from tests.notebooks.conftest import NOTEBOOKS, SPEC
from tests.report.tiny import END, START


def test_incident_review_of_an_api_without_an_slo(tiny_dataset, tmp_path) -> None:
    from apislo.report import run_report

    params = {
        "api": "users", "start": START, "end": END, "spec": str(SPEC),
        "dataset": str(tiny_dataset), "interval": "1h",
    }  # fmt: skip
    result = run_report(NOTEBOOKS / "incident_review.ipynb", params, tmp_path / "u.html")
    rec = result.records
    assert rec["budget"] == [] and rec["alerts"] == []  # tiny_slo.yaml: only pay has an SLO
    # tests/report/tiny.py: users made one request, 01:30, /u/{id}, a 429 from acme
    assert [(r["route"], r["requests"], r["throttled_429"]) for r in rec["routes"]] == [
        ("/u/{id}", 1, 1)
    ]
    assert [(c["consumer"], c["requests"]) for c in rec["consumers"]] == [("acme", 1)]
    assert "No requests" not in result.html_path.read_text()
