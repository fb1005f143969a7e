"""SLO report views on the hand-made dataset and hand-made results (no kernel)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import apislo.slo
from apislo.report import slo_views, views
from tests.report.tiny import write_dataset

SPEC = Path(__file__).parents[1] / "notebooks" / "data" / "tiny_slo.yaml"


@pytest.fixture(scope="module")
def slos():
    return apislo.slo.load(SPEC)


def test_burn_thresholds_scale_the_workbook_to_a_one_day_period(slos) -> None:
    # factor = budget share x period / long window, period 1 d:
    # 2 % x 24 h / 1 h = 0.48; 5 % x 24 h / 6 h = 0.2; 10 % x 1 d / 1 d = 0.1; 10 % x 1 d / 3 d
    got = slo_views.burn_thresholds(slos)["pay-availability / 90%"]
    assert got == pytest.approx({"1h": 0.48, "6h": 0.2, "1d": 0.1, "3d": 0.1 / 3})


def test_exhaustion_forecast_on_the_tiny_dataset(slos, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "events")
    at = pd.Timestamp("2026-11-01T02:00Z")
    got = slo_views.exhaustion_forecast(slos, dataset, at).iloc[0]
    # pay over the rolling day before 02:00: 6 requests, 1 is a 500; budget 10 % of 6 = 0.6
    # events, so 1 - 1 / 0.6 = -2/3 of it remains: already spent, exhausted "now", surely.
    assert got["slo"] == "pay-availability"
    assert got["budget_remaining_pct"] == pytest.approx(-200 / 3)
    # The last hour (01:00-02:00) holds two 200s: no current burn.
    assert got["current_burn"] == 0.0
    assert got["exhausted_at_current"] == at
    assert got["probability_pct"] == 100.0


def test_alerts_and_their_summary(slos, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "events")
    alerts = slo_views.fired_alerts(slos, dataset, "2026-11-01T00:00Z", "2026-11-01T02:00Z")
    # see tests/notebooks/test_slo_report.py for the hand derivation: four tiers fire at 00:31
    assert set(alerts["fired_at"]) == {pd.Timestamp("2026-11-01T00:31Z")}
    summary = slo_views.alert_summary(alerts).set_index("alert")
    assert summary.loc["PayAvailabilityPageBurnRate1h", "time_firing"] == pd.Timedelta("5min")
    assert not summary.loc["PayAvailabilityPageBurnRate1h", "firing_now"]
    assert summary.loc["PayAvailabilityTicketBurnRate3d", "firing_now"]
    # an incident window after the page alerts reset keeps only the still-open ticket alerts
    later = slo_views.fired_alerts(slos, dataset, "2026-11-01T01:30Z", "2026-11-01T02:00Z")
    assert sorted(later["severity"]) == ["ticket", "ticket"]
    # naive times are UTC, as everywhere (they stopped it with a TypeError: naive start against
    # the episodes' UTC reset times)
    naive = slo_views.fired_alerts(slos, dataset, "2026-11-01 00:00", "2026-11-01 02:00")
    assert set(naive["fired_at"]) == {pd.Timestamp("2026-11-01T00:31Z")}


def test_budget_spent_between_two_evaluations(slos, tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "events")
    before = apislo.slo.evaluate(slos, dataset, at="2026-11-01T00:25Z", series=False)
    after = apislo.slo.evaluate(slos, dataset, at="2026-11-01T02:00Z", series=False)
    (row,) = slo_views.budget_spent(before, after).to_dict("records")
    # before: 2 good requests, nothing spent; after: 1 bad of 6 with a 0.6 budget
    assert row["remaining_before_pct"] == pytest.approx(100.0)
    assert row["spent_pct"] == pytest.approx(100 / 0.6)


def test_compliance_counts_requests_as_whole_numbers(slos, tmp_path: Path) -> None:
    """The compliance table shows requests per period: pay has 6 requests on 2026-11-01 and
    none in October. Counts from logs are whole numbers and must read ``6`` in the report, not
    ``6.00000`` (the table rounds floats to 5 places)."""
    dataset = write_dataset(tmp_path / "events")
    got = slo_views.compliance(slos, dataset, "2026-11-01T02:00Z", "month", 1)
    assert got["period"].tolist() == ["2026-10", "2026-11"]
    assert got["requests"].tolist() == [0, 6]
    assert pd.api.types.is_integer_dtype(got["requests"])
    assert got["attainment"].iloc[1] == pytest.approx(5 / 6)  # one 500 of six
    html = views.table(got, precision=5).to_html()
    assert ">6</td>" in html and "6.00000" not in html
