"""SLO report views on the hand-made dataset and hand-made results (no kernel)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import apislo.slo
from apislo import charts
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


def test_alerts_replay_far_enough_back_for_a_long_window_and_its_alert_after() -> None:
    # A ticket tier over 72h/2h at factor 1 (threshold 0.01), held 1h, on 1-hour counts of 10
    # events: all bad in the hour from S-73h, 3 bad an hour from S-3h on. From all history its
    # condition is: S-3h: short window [S-5h, S-3h) clean, no. S-2h: short 3 / 20, long
    # [S-74h, S-2h) (10 + 3) / 720 = 0.018, yes. S-1h: 16 / 720, yes. S: 9 / 720 = 0.0125 (the
    # burst has left), yes; and on. Pending from S-2h, it fires at S-1h and is firing all of
    # [S, S+3h). The 72h warm-up alone replayed from S-72h, without the burst: 3 / 700 and
    # 6 / 710 are not above 0.01, so the alert seemed to fire at S+1h, 2 hours late.
    s = pd.Timestamp("2026-01-10T00:00Z")
    hours = pd.date_range(
        s - pd.Timedelta("80h"), s + pd.Timedelta("3h"), freq="1h", inclusive="left"
    )
    bad = [
        10 if h == s - pd.Timedelta("73h") else 3 if h >= s - pd.Timedelta("3h") else 0
        for h in hours
    ]
    events = pd.DataFrame(
        [(h + pd.Timedelta(minutes=i), "checkout", 500 if i < n else 200, 0.1)
         for h, n in zip(hours, bad, strict=True) for i in range(10)],
        columns=["ts", "api", "status", "latency_s"],
    )  # fmt: skip
    tier = {"severity": "ticket", "long_window": "72h", "short_window": "2h", "factor": 1,
            "alert_after": "1h"}  # fmt: skip
    slo = apislo.slo.SLO(
        "checkout-availability", "shop", apislo.slo.SLI(), (apislo.slo.Objective(0.99),),
        apislo.slo.TimeWindow.rolling_window(timedelta(days=30)),
        api="checkout", alerting=apislo.slo.Alerting(tiers=(tier,)),
    )  # fmt: skip
    alerts = slo_views.fired_alerts([slo], events, s, s + pd.Timedelta("3h"), step="1h")
    assert alerts[["alert", "fired_at"]].values.tolist() == [
        ["CheckoutAvailabilityTicketBurnRate3d", s - pd.Timedelta("1h")]
    ]
    assert alerts["reset_at"].isna().all()


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


def test_report_window_of_a_calendar_month_starts_on_its_first_day(tmp_path: Path) -> None:
    """December has 31 days: at 2026-12-31T12:00Z the month (UTC) began 30.5 days earlier, on
    2026-12-01T00:00Z, not a nominal 30-day month before (12-01T12:00Z, which left the alerts of
    its first half-day out of the report); in Paris (UTC+1) it began on 2026-11-30T23:00Z."""
    spec = tmp_path / "month.yaml"
    spec.write_text(
        "version: apislo/v1\nservice: shop\nslos:\n"
        "  - {name: m, api: pay, sli: {kind: availability, bad_status: [5xx]},\n"
        "     objectives: [{target: 0.9}], window: {calendar: month}}\n"
        "  - {name: p, api: pay, sli: {kind: availability, bad_status: [5xx]},\n"
        "     objectives: [{target: 0.9}], window: {calendar: month, timezone: Europe/Paris}}\n"
        "  - {name: d, api: pay, sli: {kind: availability, bad_status: [5xx]},\n"
        "     objectives: [{target: 0.9}], window: 1d}\n"
    )
    month, paris, day = apislo.slo.load(spec)
    result = SimpleNamespace(at=pd.Timestamp("2026-12-31T12:00Z"))
    end = pd.Timestamp("2026-12-31T12:00Z")
    assert slo_views.report_window(result, [month, day]) == (pd.Timestamp("2026-12-01T00:00Z"), end)
    assert slo_views.report_window(result, [paris]) == (pd.Timestamp("2026-11-30T23:00Z"), end)
    # mid-month, the nominal 30 days still reach further back than the month's start
    mid = SimpleNamespace(at=pd.Timestamp("2026-12-16T00:00Z"))
    got = slo_views.report_window(mid, [month])
    assert got == (pd.Timestamp("2026-11-16T00:00Z"), mid.at)


def test_the_ideal_burn_down_of_a_calendar_month_runs_to_the_months_end(tmp_path: Path) -> None:
    """The chart's ideal line fell from 1 at the series' first point to 0 at its last, `at`:
    evaluated mid-month, it reached 0 on the 16th, so a budget spent twice too fast looked on
    track. For a calendar SLO it is now the share of the period still ahead: December has
    744 h, so 12-16T12:00 is half way (372 h left) and 12-31T12:00 has 12 of 744 h left. A
    rolling SLO gets no ideal line: it used to get one falling from 1 at the first point shown,
    though a rolling budget is not full there."""
    spec = tmp_path / "month.yaml"
    spec.write_text(
        "version: apislo/v1\nservice: shop\nslos:\n"
        "  - {name: m, api: pay, sli: {kind: availability, bad_status: [5xx]},\n"
        "     objectives: [{target: 0.9}], window: {calendar: month}}\n"
        "  - {name: d, api: pay, sli: {kind: availability, bad_status: [5xx]},\n"
        "     objectives: [{target: 0.9}], window: 1d}\n"
    )
    month, day = apislo.slo.load(spec)
    ts = pd.to_datetime(["2026-12-01T00:00Z", "2026-12-16T12:00Z", "2026-12-31T12:00Z"])
    series = pd.DataFrame(
        {"ts": [*ts, ts[-1]], "slo": ["m", "m", "m", "d"], "objective": "90%",
         "group": "", "remaining": [1.0, 0.3, 0.2, 0.9]}
    )  # fmt: skip
    result = SimpleNamespace(at=ts[-1], remaining_budget=series)
    frame = slo_views.burn_down(result, [month, day])
    assert frame["ideal"].tolist()[:3] == [1.0, 0.5, 12 / 744]
    assert pd.isna(frame["ideal"].iloc[3])
    spec_dict = charts.budget_burn_down(frame).to_dict()
    (rows,) = spec_dict["datasets"].values()
    drawn = [(r["slo_objective"], r["budget"]) for r in rows if r["series"] == "ideal"]
    assert drawn == [("m / 90%", 1.0), ("m / 90%", 0.5), ("m / 90%", 12 / 744)]


def test_alerts_of_two_objectives_are_told_apart() -> None:
    # A tier over 2h/1h at factor 1, on 1-hour counts of 10 events, 8 of them bad in the hours
    # from S+1h and S+2h. 90 % (threshold 0.1): at S+2h the short window holds 8/10, the long
    # 8/20 = 0.4: firing; at S+3h 8/10 and 16/20; at S+4h the short window is clean: reset.
    # 50 % (threshold 0.5): at S+2h the long window's 0.4 is not above 0.5; at S+3h 0.8 and
    # 0.8: firing; reset at S+4h. The alerts share their name; until 2026-11-29 nothing told
    # them apart, and the summary counted one alert of 2 episodes firing for 3 hours.
    s = pd.Timestamp("2026-01-10T00:00Z")
    hours = pd.date_range(s - pd.Timedelta("6h"), s + pd.Timedelta("5h"), freq="1h")
    bad = {s + pd.Timedelta("1h"): 8, s + pd.Timedelta("2h"): 8}
    events = pd.DataFrame(
        [(h + pd.Timedelta(minutes=i), "checkout", 500 if i < bad.get(h, 0) else 200, 0.1)
         for h in hours for i in range(10)],
        columns=["ts", "api", "status", "latency_s"],
    )  # fmt: skip
    tier = {"severity": "page", "long_window": "2h", "short_window": "1h", "factor": 1}
    slo = apislo.slo.SLO(
        "checkout-availability", "shop", apislo.slo.SLI(),
        (apislo.slo.Objective(0.9), apislo.slo.Objective(0.5)),
        apislo.slo.TimeWindow.rolling_window(timedelta(days=30)),
        api="checkout", alerting=apislo.slo.Alerting(tiers=(tier,)),
    )  # fmt: skip
    alerts = slo_views.fired_alerts([slo], events, s, s + pd.Timedelta("5h"), step="1h")
    assert alerts[["objective", "fired_at", "reset_at"]].values.tolist() == [
        ["90%", s + pd.Timedelta("2h"), s + pd.Timedelta("4h")],
        ["50%", s + pd.Timedelta("3h"), s + pd.Timedelta("4h")],
    ]
    summary = slo_views.alert_summary(alerts)
    assert summary[["objective", "episodes", "time_firing"]].values.tolist() == [
        ["90%", 1, pd.Timedelta("2h")],
        ["50%", 1, pd.Timedelta("1h")],
    ]


def test_alerts_that_cannot_be_replayed_stop_no_report() -> None:
    # A Timeslices SLO of 10-minute slices under the workbook policy, whose shortest window is
    # 5 minutes: its alerts cannot be evaluated (as `slo compute` says). Two hours of nothing
    # but 5xx: the summary says "not evaluated", never "" (no alert firing: until 2026-11-29
    # it did), and the alerts table leaves the SLO out with a warning (until 2026-11-29 its
    # ConfigError stopped the report).
    t = pd.Timestamp("2026-03-02T00:00Z")
    traffic = pd.DataFrame(
        {"ts": pd.date_range(t, periods=120, freq="1min"), "api": "a", "requests": 10,
         "status_5xx": 10}
    )  # fmt: skip
    objective = apislo.slo.Objective(
        0.99, timeslice_target=0.9, timeslice_window=timedelta(minutes=10)
    )
    slo = apislo.slo.SLO(
        "a-minutes", "shop", apislo.slo.SLI(), (objective,),
        apislo.slo.TimeWindow.rolling_window(timedelta(days=1)), api="a",
        budgeting_method="Timeslices",
    )  # fmt: skip
    result = apislo.slo.evaluate(slo, traffic, at=t + pd.Timedelta("2h"), series=False)
    assert slo_views.slo_summary(result, [slo])["alerts_firing"].tolist() == ["not evaluated"]
    with pytest.warns(UserWarning, match="alerts of a-minutes not replayed: the alert window 5m"):
        alerts = slo_views.fired_alerts([slo], traffic, t, t + pd.Timedelta("2h"))
    assert alerts.empty


def _checkout(bad: int, target: float) -> tuple[apislo.slo.SLO, pd.DataFrame]:
    """checkout: 100 requests a minute for a day (144,000), the first ``bad`` minutes' 100 5xx
    (so ``100 x bad`` bad requests), against ``target`` over a rolling day."""
    ts = pd.date_range("2026-01-01", periods=1440, freq="1min", tz="UTC")
    bad_per_minute = [100 if i < bad else 0 for i in range(1440)]
    traffic = pd.DataFrame(
        {
            "ts": ts, "api": "checkout", "requests": 100,
            "status_2xx": [100 - b for b in bad_per_minute], "status_3xx": 0, "status_4xx": 0,
            "status_5xx": bad_per_minute, "status_429": 0,
        }
    )  # fmt: skip
    slo = apislo.slo.SLO(
        "checkout", "shop", apislo.slo.SLI(), (apislo.slo.Objective(target),),
        apislo.slo.TimeWindow.rolling_window(timedelta(days=1)), api="checkout",
    )  # fmt: skip
    return slo, traffic


def _cells(styler) -> dict[str, str]:
    """The first row of a report table: column -> the text shown."""
    import re

    html = styler.to_html()
    heads = re.findall(r'<th[^>]*class="col_heading[^"]*"[^>]*>([^<]*)</th>', html)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    return dict(zip(heads, cells[: len(heads)], strict=True))


def test_a_missed_target_never_reads_as_met_in_the_summary() -> None:
    """150 bad of 144,000 requests (minute 0 all bad, minute 1 half): SLI 1 - 150/144000 =
    0.998958, under 0.999 (the budget is 144 requests: 1 - 150/144 = -4.17 % left). Rounded to
    4 decimals the SLI read 0.9990 beside the 0.9990 target until 2026-11-29; rounded down it
    reads 0.9989, and ``met`` says False."""
    slo, traffic = _checkout(bad=0, target=0.999)
    traffic.loc[0, ["status_2xx", "status_5xx"]] = [0, 100]
    traffic.loc[1, ["status_2xx", "status_5xx"]] = [50, 50]  # 150 bad in all
    result = apislo.slo.evaluate(slo, traffic, at="2026-01-02T00:00Z", series=False)
    summary = slo_views.slo_summary(result, [slo])
    assert summary["met"].tolist() == [False]
    shown = _cells(slo_views.attainment_table(summary))
    assert (shown["target"], shown["sli"], shown["met"]) == ("0.9990", "0.9989", "False")
    assert shown["budget_remaining_pct"] == "-4.1667"  # 1 - 150/144


def test_a_target_met_exactly_reads_as_met_and_a_five_nines_target_keeps_its_digits() -> None:
    """144 bad of 144,000 (minute 0 all bad, minute 1 44 bad) against 0.999 is exactly the
    budget: SLI 0.999, met, shown 0.9990 (the division gives 0.999 or a hair below; read as the
    target). A 0.99995 target needs 5 decimals: at 4 it read 1.0000; 7 bad of 144,000 give an
    SLI of 0.99995138..., shown rounded down as 0.99995, met."""
    slo, traffic = _checkout(bad=1, target=0.999)
    traffic.loc[1, ["status_2xx", "status_5xx"]] = [56, 44]
    result = apislo.slo.evaluate(slo, traffic, at="2026-01-02T00:00Z", series=False)
    shown = _cells(slo_views.attainment_table(slo_views.slo_summary(result, [slo])))
    assert (shown["target"], shown["sli"], shown["met"]) == ("0.9990", "0.9990", "True")
    slo, traffic = _checkout(bad=0, target=0.99995)
    traffic.loc[0, ["status_2xx", "status_5xx"]] = [93, 7]
    result = apislo.slo.evaluate(slo, traffic, at="2026-01-02T00:00Z", series=False)
    shown = _cells(slo_views.attainment_table(slo_views.slo_summary(result, [slo])))
    assert (shown["target"], shown["sli"], shown["met"]) == ("0.99995", "0.99995", "True")


def test_a_missed_month_never_reads_as_met_in_the_compliance_table() -> None:
    """A month at 0.999895 under a 0.9999 target: at 5 decimals, to the nearest, it read 0.99990
    beside 0.99990; rounded down it reads 0.99989. A month without traffic shows ``-``."""
    history = pd.DataFrame(
        {
            "slo_objective": "orders / 99.99%", "period": ["2026-10", "2026-11"],
            "target": 0.9999, "attainment": [0.999895, float("nan")], "met": [False, None],
            "complete": True, "requests": [1_000_000, 0],
        }
    )  # fmt: skip
    table = slo_views.attainment_table(history, precision=5)
    shown = _cells(table)
    assert (shown["target"], shown["attainment"], shown["met"]) == ("0.99990", "0.99989", "False")
    assert table.to_html().count(">-</td>") == 1  # the empty month's attainment
