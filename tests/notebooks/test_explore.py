"""explore.ipynb in a real kernel: values it shows, worked out by hand (tests/report/tiny.py)."""

from __future__ import annotations

import pytest

from tests.notebooks.conftest import NOTEBOOKS
from tests.report.tiny import END, START, XSS


def test_overview_table_values(explore_report) -> None:
    rows = {r["api"]: r for r in explore_report.records["overview"]}
    assert [r["api"] for r in explore_report.records["overview"]] == ["pay", "users"]
    pay = rows["pay"]
    assert pay["requests"] == 6
    assert pay["errors_5xx_pct"] == pytest.approx(100 / 6)  # one 500 of six
    assert pay["mean_latency_s"] == pytest.approx(3.863 / 6)
    assert pay["p50_s"] == pytest.approx(0.05)  # see tests/report/test_views.py
    assert rows["users"]["throttled_429"] == 1


def test_top_routes_and_provenance(explore_report) -> None:
    top = explore_report.records["top"]
    # /pay 4 requests (one 500 -> 25 %), the markup route 2, /u/{id} 1
    assert [(r["route"], r["requests"]) for r in top] == [("/pay", 4), (XSS, 2), ("/u/{id}", 1)]
    assert top[0]["errors_5xx_pct"] == pytest.approx(25.0)
    prov = explore_report.provenance
    assert prov.window == [START, END]
    assert prov.sources[0].startswith("dataset ")


def test_report_page_shows_tables_and_three_charts(explore_report) -> None:
    page = explore_report.html_path.read_text()
    assert page.count("<svg") == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    assert "16.667" in page  # pay's 5xx share, rounded to 3 places in the table
    # the tab says which report this is: the notebook and its window (START, END) in UTC
    assert "<title>explore, 2026-11-01 00:00 to 2026-11-01 02:00 UTC</title>" in page


def test_an_empty_window_says_so(tiny_dataset, tmp_path) -> None:
    """A window before the tiny dataset's first request: the report says there are no requests
    instead of showing empty tables as if traffic were quiet; a window with data shows no note."""
    from apislo.report import run_report

    params = {
        "dataset": str(tiny_dataset), "start": "2026-10-01T00:00Z", "end": "2026-10-02T00:00Z",
        "interval": "1h",
    }  # fmt: skip
    page = run_report(NOTEBOOKS / "explore.ipynb", params, tmp_path / "e.html").html_path
    assert (
        "<strong>No requests from 2026-10-01 00:00:00+00:00 to 2026-10-02 00:00:00+00:00."
        "</strong>" in page.read_text()
    )


def test_a_window_with_requests_shows_no_note(explore_report) -> None:
    assert "No requests" not in explore_report.html_path.read_text()
