"""slo_report.ipynb and incident_review.ipynb in a real kernel; values worked out by hand.

The data (tests/report/tiny.py): API ``pay`` gets 6 requests on 2026-11-01, at 00:10, 00:20,
00:30 (the one 500), 00:40 (404), 01:10, 01:20. SLO: 90 % without 5xx over 1 rolling day.

* SLI = 5/6; budget = 10 % of 6 = 0.6 bad requests; 1 spent -> remaining 1 - 1/0.6 = -66.7 %.
* Burn rate over 2h = (1/6) / 0.1 = 1.667; over the last 1h (01:00-02:00, no 5xx) = 0.
* Alert tiers scaled to a 1-day period (factor = budget share x period / long window):
  page 1h/5m: 0.02 x 24 = 0.48; page 6h/30m: 0.05 x 4 = 0.2; ticket 1d/2h: 0.1;
  ticket 3d/6h: 0.1 / 3. At 00:31 (end of the minute holding the 500) every long window holds
  3 requests with 1 bad (1/3 / 0.1 = 3.3x) and every short window holds the 500: all fire.
  page-1h resets at 00:36 when its 5-minute window empties; page-6h at 01:01 when its 30-minute
  window holds only the 404; the ticket tiers' short windows (2h, 6h) still hold the 500 at
  02:00, so they are still firing.
"""

from __future__ import annotations

import pytest

from tests.notebooks.conftest import NOTEBOOKS, SPEC
from tests.report.tiny import XSS


def test_slo_summary(slo_report) -> None:
    (row,) = slo_report.records["summary"]
    assert (row["slo"], row["target"], row["owners"]) == ("pay-availability", 0.9, "team-pay")
    assert row["sli"] == pytest.approx(5 / 6)
    assert row["budget_remaining_pct"] == pytest.approx(100 * (1 - 1 / 0.6))
    assert row["burn_2h"] == pytest.approx(1 / 6 / 0.1)
    assert row["burn_1h"] == pytest.approx(0.0)


def test_alerts_fired_in_order(slo_report) -> None:
    alerts = [(a["alert"], a["fired_at"][11:16], (a["reset_at"] or "")[11:16])
              for a in slo_report.records["alerts"]]  # fmt: skip
    assert sorted(alerts) == [
        ("PayAvailabilityPageBurnRate1h", "00:31", "00:36"),
        ("PayAvailabilityPageBurnRate6h", "00:31", "01:01"),
        ("PayAvailabilityTicketBurnRate1d", "00:31", ""),
        ("PayAvailabilityTicketBurnRate3d", "00:31", ""),
    ]


def test_compliance_and_forecast(slo_report) -> None:
    months = {m["period"]: m for m in slo_report.records["compliance"]}
    assert months["2026-11"]["attainment"] == pytest.approx(5 / 6)
    assert months["2026-11"]["met"] is False and months["2026-11"]["complete"] is False
    assert months["2026-10"]["requests"] == 0
    (forecast,) = slo_report.records["forecast"]
    # Already overspent (-66.7 %): exhausted at the evaluation instant, with certainty.
    assert forecast["budget_remaining_pct"] == pytest.approx(100 * (1 - 1 / 0.6))
    assert forecast["exhausted_at_current"].startswith("2026-11-01T02:00:00")
    assert forecast["probability_pct"] == 100.0


def test_slo_page_has_three_charts_and_provenance(slo_report) -> None:
    page = slo_report.html_path.read_text()
    assert page.count("<svg") == 3  # burn-down, burn rates, compliance
    assert "tiny_slo.yaml" in page  # spec file in the provenance box
    assert "2026-10-31T02:00:00+00:00 to 2026-11-01T02:00:00+00:00" in page  # 1d window


def test_incident_review(incident_report) -> None:
    # the incident: pay from 00:25 to 02:00 -> 00:30 (500, globex), 00:40 (404, markup route,
    # <b>evil</b>), 01:10 (200, acme), 01:20 (200, markup route, globex)
    rec = incident_report.records
    routes = {r["route"]: r for r in rec["routes"]}
    assert routes["/pay"]["requests"] == 2 and routes[XSS]["requests"] == 2
    assert routes["/pay"]["errors_5xx_pct"] == pytest.approx(50.0)
    (budget,) = rec["budget"]
    # at 00:25 the day held 2 good requests: budget untouched; at 02:00: 1 - 1/0.6 = -66.7 %
    assert budget["remaining_before_pct"] == pytest.approx(100.0)
    assert budget["remaining_after_pct"] == pytest.approx(100 * (1 - 1 / 0.6))
    assert budget["spent_pct"] == pytest.approx(100 / 0.6)
    assert len(rec["alerts"]) == 4  # all fired at 00:31, inside the incident
    # consumers by failures, then 429s, requests, name: globex had the 500
    assert [(c["consumer"], c["failed_5xx"], c["requests"]) for c in rec["consumers"]] == [
        ("globex", 1, 2),
        ("<b>evil</b>", 0, 1),
        ("acme", 0, 1),
    ]
    page = incident_report.html_path.read_text()
    assert "&lt;b&gt;evil&lt;/b&gt;" in page and "<b>evil</b>" not in page


def test_slo_report_with_no_requests_says_so(tiny_dataset, tmp_path) -> None:
    """Evaluated two weeks before the tiny dataset: every budget would read 100 % untouched; the
    report says there are no requests. With requests, no note."""
    from apislo.report import run_report

    params = {"spec": str(SPEC), "dataset": str(tiny_dataset), "at": "2026-10-15T00:00Z"}
    page = run_report(NOTEBOOKS / "slo_report.ipynb", params, tmp_path / "s.html").html_path
    assert (
        "<strong>No requests in the SLO windows up to 2026-10-15 00:00:00+00:00.</strong>"
        in page.read_text()
    )


def test_slo_report_with_requests_shows_no_note(slo_report) -> None:
    assert "No requests" not in slo_report.html_path.read_text()


def test_incident_review_with_no_requests_says_so(tiny_dataset, tmp_path) -> None:
    """An incident window a month before the tiny dataset: the review says there are no requests
    for the API instead of empty tables and untouched budgets; with requests, no note."""
    from apislo.report import run_report

    params = {
        "api": "pay", "start": "2026-10-01T00:00Z", "end": "2026-10-01T02:00Z",
        "spec": str(SPEC), "dataset": str(tiny_dataset), "interval": "1h",
    }  # fmt: skip
    out = tmp_path / "i.html"
    page = run_report(NOTEBOOKS / "incident_review.ipynb", params, out).html_path.read_text()
    assert (
        "<strong>No requests for pay from 2026-10-01 00:00:00+00:00 to "
        "2026-10-01 02:00:00+00:00.</strong>" in page
    )


def test_incident_review_with_requests_shows_no_note(incident_report) -> None:
    assert "No requests" not in incident_report.html_path.read_text()


def test_incident_review_says_its_latency_quantiles_are_bucket_estimates(incident_report) -> None:
    """/pay in the incident (00:25-02:00) took 0.6 s and 0.04 s. The p99 shown is PromQL's
    histogram_quantile: rank 0.99 x 2 = 1.98 falls in the (0.5, 1] bucket, which holds one
    request above the one below it -> 0.5 + 0.5 x 0.98 = 0.99 s, above the slowest request
    (exact p99: 0.04 + 0.99 x 0.56 = 0.594 s). The page must say which estimator it used."""
    routes = {r["route"]: r for r in incident_report.records["routes"]}
    assert routes["/pay"]["p99_s"] == pytest.approx(0.99)
    page = incident_report.html_path.read_text()
    assert "quantiles estimated from the histogram buckets" in page
