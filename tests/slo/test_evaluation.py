"""evaluate() and compliance_history() on a small events frame whose answers are worked out by
hand in the comments."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import apislo
from apislo.errors import ConfigError
from apislo.model import EVENT_SCHEMA
from apislo.report.slo_views import slo_summary
from apislo.slo import SLI, SLO, Alerting, Objective, TimeWindow, evaluate
from apislo.slo.evaluation import compliance_history

T = pd.Timestamp("2026-03-02T00:00Z")  # a Monday
TEN_MIN = TimeWindow.rolling_window(timedelta(minutes=10))

# (minute, api, route, status, latency_s)
ROWS = [
    (0, "checkout", "/a", 200, 0.1),
    (0, "checkout", "/a", 500, 0.05),
    (0, "checkout", "/b", 200, 0.4),
    (0, "checkout", "/b", 429, 0.01),
    (0, "search", "/s", 500, 0.1),  # another API: never counted below
    (1, "checkout", "/a", 200, 0.3),  # exactly the threshold: fast (le semantics)
    (1, "checkout", "/b", 503, 0.9),
    (1, "checkout", "/b", 200, 0.2),
    (2, "checkout", "/a", 200, 0.25),
    (2, "checkout", "/a", 404, 0.1),
    (2, "checkout", "/b", 200, 1.2),
    (2, "checkout", "/b", 200, 0.1),
]


def _events() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["minute", "api", "route", "status", "latency_s"])
    frame["ts"] = T + pd.to_timedelta(frame.pop("minute"), unit="min") + pd.Timedelta("10s")
    return frame


def _slo(**changes: object) -> SLO:
    base = {
        "name": "checkout",
        "service": "shop",
        "api": "checkout",
        "sli": SLI(),
        "objectives": (Objective(target=0.9),),
        "window": TEN_MIN,
    }
    return SLO(**{**base, **changes})  # type: ignore[arg-type]


AT = T + pd.Timedelta(minutes=3)


def _one(result: apislo.slo.EvaluationResult, group: str = "") -> pd.Series:
    rows = result.summary[result.summary["group"] == group]
    assert len(rows) == 1
    return rows.iloc[0]


def test_availability_per_route_and_overall() -> None:
    # checkout: 11 requests, two 5xx (500 on /a, 503 on /b); the 429 and 404 are not bad.
    # all: SLI 9/11, budget 0.1 x 11 = 1.1 events, remaining 1 - 2/1.1 = -0.8182.
    # /a: 5 requests, 1 bad: SLI 0.8, budget 0.5, remaining 1 - 1/0.5 = -1.
    # /b: 6 requests, 1 bad: SLI 5/6, budget 0.6, remaining 1 - 1/0.6 = -0.6667.
    result = evaluate(_slo(group_by=("route",)), _events(), at=AT, series=False)
    overall = _one(result, "all")
    assert (overall["good"], overall["total"]) == (9, 11)
    assert overall["sli"] == pytest.approx(9 / 11)
    assert overall["error_budget"] == pytest.approx(1.1)
    assert overall["remaining"] == pytest.approx(1 - 2 / 1.1)
    route_a, route_b = _one(result, "route=/a"), _one(result, "route=/b")
    assert (route_a["good"], route_a["total"], route_a["remaining"]) == (4, 5, pytest.approx(-1))
    assert route_b["sli"] == pytest.approx(5 / 6)
    assert route_b["remaining"] == pytest.approx(1 - 1 / 0.6)
    # Burn over 5 min (the Workbook's shortest window) at 00:03 holds all 11 requests:
    # (2/11) / 0.1 = 1.818.
    assert overall["burn_5m"] == pytest.approx((2 / 11) / 0.1)
    assert overall["budget_unit"] == "events"


def test_429_counts_when_asked() -> None:
    # Count 429 as bad: 3 bad of 11.
    result = evaluate(_slo(sli=SLI(count_429=True)), _events(), at=AT, series=False)
    assert _one(result)["good"] == 8


def test_latency_objectives_with_two_thresholds() -> None:
    # <= 0.3 s: minute 0: 0.1, 0.05, 0.01; minute 1: 0.3, 0.2; minute 2: 0.25, 0.1, 0.1 -> 8/11.
    # <= 1.0 s: all but 1.2 -> 10/11.
    slo = _slo(
        sli=SLI(kind="latency", threshold_s=0.3),
        objectives=(Objective(0.5, name="fast"), Objective(0.9, name="ok", threshold_s=1.0)),
    )
    summary = evaluate(slo, _events(), at=AT, series=False).summary.set_index("objective")
    assert summary.loc["fast", "good"] == 8
    assert summary.loc["ok", "good"] == 10
    assert summary.loc["ok", "total"] == 11


def test_availability_and_latency_is_exact_from_events() -> None:
    # Not 5xx and <= 0.3 s: minute 0: 200/0.1, 429/0.01; minute 1: 200/0.3, 200/0.2;
    # minute 2: 200/0.25, 404/0.1, 200/0.1 -> 7 of 11. (The traffic-frame lower bound,
    # fast minus bad = 8 - 2 = 6, would be wrong here.)
    slo = _slo(sli=SLI(kind="availability_and_latency", threshold_s=0.3))
    assert _one(evaluate(slo, _events(), at=AT, series=False))["good"] == 7


def test_a_column_the_slo_does_not_read_may_hold_anything() -> None:
    """The events' latencies are masked in a polars copy of them (good ones only, and those
    below an `lt` threshold): a column no SLO reads, of Python objects Arrow cannot convert
    (numbers and texts mixed), stopped the evaluation with an `ArrowInvalid` naming no column.
    By hand, as above: 7 of 11 not bad and <= 0.3 s; < 0.3 s leaves out minute 1's 200 at
    exactly 0.3 s: 6."""
    objectives = (
        Objective(0.5, name="lte", threshold_s=0.3),
        Objective(0.5, name="lt", threshold_s=0.3, threshold_op="lt"),
    )
    slo = _slo(sli=SLI(kind="availability_and_latency", threshold_s=0.3), objectives=objectives)
    events = _events().assign(note=[1, "retry"] * 6)
    summary = evaluate(slo, events, at=AT, series=False).summary.set_index("objective")
    assert (summary.loc["lte", "good"], summary.loc["lt", "good"]) == (7, 6)


def test_timeslices_with_empty_slices_good() -> None:
    # 1-minute slices, good when >= 75 % good: minute 0: 3/4 = 0.75 good; minute 1: 2/3 bad;
    # minute 2: 4/4 good; the other 7 slices of the 10-minute window have no traffic: good.
    # SLI 9/10; budget 0.5 x 10 = 5 slices = 5 minutes; remaining 1 - 1/5 = 0.8.
    slo = _slo(
        budgeting_method="Timeslices",
        objectives=(Objective(0.5, timeslice_target=0.75, timeslice_window=timedelta(minutes=1)),),
    )
    row = _one(evaluate(slo, _events(), at=AT, series=False))
    assert row["sli"] == pytest.approx(0.9)
    assert (row["error_budget"], row["budget_unit"]) == (pytest.approx(5.0), "minutes")
    assert row["remaining"] == pytest.approx(0.8)


def test_ratio_timeslices_mean_of_slices_with_traffic() -> None:
    # Slice ratios 0.75, 2/3, 1 -> mean 0.80556; target 0.5: remaining 1 - (1 - mean) / 0.5.
    slo = _slo(
        budgeting_method="RatioTimeslices",
        objectives=(Objective(0.5, timeslice_window=timedelta(minutes=1)),),
    )
    row = _one(evaluate(slo, _events(), at=AT, series=False))
    mean = (0.75 + 2 / 3 + 1) / 3
    assert row["sli"] == pytest.approx(mean)
    assert row["remaining"] == pytest.approx(1 - (1 - mean) / 0.5)


def test_at_excludes_unfinished_intervals_and_series_ends_at_summary() -> None:
    # At 00:02 only minutes 0 and 1 have ended: 7 requests, 2 bad.
    result = evaluate(_slo(), _events(), at=T + pd.Timedelta(minutes=2), series_every=None)
    row = _one(result)
    assert (row["good"], row["total"]) == (5, 7)
    last = result.remaining_budget.iloc[-1]
    assert last["ts"] == T + pd.Timedelta(minutes=2)
    assert last["remaining"] == pytest.approx(row["remaining"])
    burns = result.burn_rates[result.burn_rates["window"] == "5m"]
    assert burns.iloc[-1]["burn_rate"] == pytest.approx((2 / 7) / 0.1)


def test_same_answer_from_a_traffic_frame_and_a_dataset(tmp_path: Path) -> None:
    events = _events()
    slo = _slo(group_by=("route",))
    expected = evaluate(slo, events, at=AT, series=False).summary
    frame = apislo.traffic(events, interval="1min", by=("api", "route"), thresholds_s=(0.3,))
    from_frame = evaluate(slo, frame, at=AT, series=False).summary
    pd.testing.assert_frame_equal(from_frame, expected)
    table = pa.Table.from_pandas(events, preserve_index=False)
    full = {name: table[name] if name in table.column_names else pa.nulls(len(events))
            for name in EVENT_SCHEMA.names}  # fmt: skip
    pq.write_table(pa.table(full).cast(EVENT_SCHEMA), tmp_path / "part-0.parquet")
    from_dataset = evaluate(slo, tmp_path, at=AT, series=False).summary
    pd.testing.assert_frame_equal(from_dataset, expected)


def test_compliance_history_by_week() -> None:
    # Every request falls in the ISO week starting Monday 2026-03-02: one period, SLI 9/11,
    # below 0.9 -> missed; the history ends at 00:03, so the week is partial.
    history = compliance_history(_slo(), _events(), period="week", start=T, end=AT, timezone="UTC")
    (row,) = history.to_dict("records")
    assert row["period_start"] == T and row["period_end"] == T + pd.Timedelta(days=7)
    assert row["sli"] == pytest.approx(9 / 11)
    assert row["met"] is False and row["complete"] is False


def test_compliance_history_met_when_within_budget() -> None:
    # Objective 0.8: 2 bad of 11 <= 0.2 x 11 = 2.2 -> met.
    slo = _slo(objectives=(Objective(0.8),))
    history = compliance_history(slo, _events(), period="month", start=T, end=AT)
    assert history["met"].tolist() == [True]


def test_latency_threshold_not_in_a_traffic_frame_names_the_buckets() -> None:
    frame = apislo.traffic(_events(), interval="1min", by=("api",), thresholds_s=(0.25, 1.0))
    slo = _slo(sli=SLI(kind="latency", threshold_s=0.3))
    with pytest.raises(apislo.errors.SpecError, match=r"no latency bucket at 0\.3 s.*0\.25, 1"):
        evaluate(slo, frame, at=AT, series=False)


def test_ratio_slo_on_logs_says_what_to_do() -> None:
    slo = _slo(sli=SLI(kind="ratio", bad_query="sum(bad)", total_query="sum(total)"))
    with pytest.raises(ConfigError, match="evaluate it against a Prometheus URL"):
        evaluate(slo, _events(), at=AT, series=False)


def test_unknown_source_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a dataset directory"):
        evaluate(_slo(), str(tmp_path / "missing"), at=AT)
    with pytest.raises(ConfigError, match="cannot use a int"):
        evaluate(_slo(), 42, at=AT)


def test_grouping_by_api_names_each_api() -> None:
    # No api selected, grouped by api: checkout (11 requests, 2 bad) and search (1, 1 bad),
    # plus "all" (12, 3 bad) whose api is None.
    slo = _slo(api=None, group_by=("api",))
    summary = evaluate(slo, _events(), at=AT, series=False).summary.set_index("group")
    assert summary.loc["api=checkout", "api"] == "checkout"
    assert summary.loc["api=search", "total"] == 1 and summary.loc["api=search", "good"] == 0
    assert pd.isna(summary.loc["all", "api"]) and summary.loc["all", "total"] == 12
    (record,) = [r for r in evaluate(slo, _events(), at=AT, series=False).records()
                 if r["group"] == "all"]  # fmt: skip
    assert record["api"] is None  # JSON null, not NaN


def test_a_missing_group_key_is_labelled_na_apart_from_a_consumer_named_nan() -> None:
    # Three checkout requests in minute 0: consumer "nan" (a name someone can have) 200, and two
    # without a consumer, one 500. Groups: consumer=<NA> 1 good of 2, consumer=nan 1 of 1,
    # all 2 of 3. (A missing key read "consumer=nan", so the two groups had one label.)
    events = pd.DataFrame(
        {
            "ts": [T + pd.Timedelta("10s")] * 3,
            "api": "checkout",
            "consumer": pd.array(["nan", None, None], dtype="string"),
            "status": [200, 200, 500],
            "latency_s": 0.1,
        }
    )
    slo = _slo(group_by=("consumer",))
    summary = evaluate(slo, events, at=AT, series=False).summary
    got = summary.set_index("group")[["good", "total"]].to_dict("index")
    assert got == {
        "consumer=<NA>": {"good": 1, "total": 2},
        "consumer=nan": {"good": 1, "total": 1},
        "all": {"good": 2, "total": 3},
    }


def test_an_instant_before_any_data_is_empty_not_an_error(tmp_path: Path) -> None:
    # A dataset whose first request is at T; evaluating at T sees an empty window (this used to
    # raise TypeError in the alert check: an empty Arrow ts column lost its zone).
    table = pa.Table.from_pandas(_events().assign(ts=lambda f: f["ts"].dt.tz_convert("UTC")))
    dataset = tmp_path / "events"
    (dataset / "day=2026-03-02").mkdir(parents=True)
    full = pa.table(
        {
            name: table.column(name) if name in table.column_names else pa.nulls(len(table))
            for name in EVENT_SCHEMA.names
        }
    ).cast(EVENT_SCHEMA)
    pq.write_table(full, dataset / "day=2026-03-02" / "part.parquet")
    result = evaluate(_slo(), dataset, at=T)
    row = result.summary.iloc[0]
    assert (row["good"], row["total"]) == (0, 0)
    assert pd.isna(row["sli"])
    assert result.alerts_firing == {"checkout": []}


def _two_routes(minutes: int, errors_a: dict[int, int]) -> pd.DataFrame:
    """A traffic frame from T: routes /a and /b of checkout, 1,000 requests a minute each;
    ``errors_a``: minute -> 5xx on /a (/b never fails)."""
    parts = []
    for route, errors in (("/a", errors_a), ("/b", {})):
        bad = pd.Series([errors.get(m, 0) for m in range(minutes)])
        parts.append(
            pd.DataFrame(
                {
                    "ts": pd.date_range(T, periods=minutes, freq="1min"), "api": "checkout",
                    "route": route, "requests": 1000, "status_2xx": 1000 - bad, "status_3xx": 0,
                    "status_4xx": 0, "status_5xx": bad, "status_429": 0,
                }
            )
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def test_alerts_firing_are_those_of_each_objective_and_group() -> None:
    # /a fails 200 of 1,000 requests a minute over minutes 100-119; /b never fails. At 02:00
    # (minute 120), the Workbook tiers (30 days) for the 99.9 % objective, on /a:
    #   page 1h/5m (> 0.0144): 4,000 / 60,000 = 0.067 and 1,000 / 5,000 = 0.2: fires;
    #   page 6h/30m (> 0.006): 4,000 / 120,000 (history so far) and 4,000 / 30,000: fires;
    #   ticket 1d/2h (> 0.003) and 3d/6h (> 0.001): 4,000 / 120,000 = 0.033 both: fire.
    # "all" (/a + /b): half those ratios (0.033, 0.1, 0.017, 0.067, 0.017): all four fire.
    # /b has no error: none. The 50 % objective's thresholds are 7.2, 3, 1.5 and 0.5: an
    # error ratio of at most 0.2 fires none of them, on any row.
    slo = _slo(
        objectives=(Objective(0.999), Objective(0.5)),
        window=TimeWindow.rolling_window(timedelta(days=30)),
        group_by=("route",),
    )
    traffic = _two_routes(120, {m: 200 for m in range(100, 120)})
    result = evaluate(slo, traffic, at=T + pd.Timedelta(minutes=120), series=False)
    every = [
        "CheckoutPageBurnRate1h",
        "CheckoutPageBurnRate6h",
        "CheckoutTicketBurnRate1d",
        "CheckoutTicketBurnRate3d",
    ]
    got = {(r["objective_name"], r["group"]): r["alerts_firing"] for r in result.records()}
    assert got == {
        ("99.9%", "route=/a"): every,
        ("99.9%", "route=/b"): [],
        ("99.9%", "all"): every,
        ("50%", "route=/a"): [],
        ("50%", "route=/b"): [],
        ("50%", "all"): [],
    }
    summary = result.summary.set_index(["objective", "group"])
    assert summary.loc[("99.9%", "route=/b"), "alerts_firing"] == []
    assert result.alerts_firing == {"checkout": every}  # per SLO: any objective or group
    # the reports' SLO table (apislo.report.slo_views) shows the same per row
    table = slo_summary(result, [slo]).set_index(["objective", "group"])["alerts_firing"]
    assert table[("99.9%", "route=/a")] == ", ".join(every)
    assert table[("99.9%", "route=/b")] == table[("50%", "all")] == ""


def test_alerts_firing_look_back_over_alert_after_before_a_calendar_period() -> None:
    # A calendar-day SLO evaluated at 00:03, on events from 23:54 the day before, 100 a minute:
    # all bad at 23:56, 28 bad a minute at 00:00-00:02. Page tier 5m/1m at factor 100
    # (threshold 100 x 0.001 = 0.1), alert_after 2m. Its condition: 00:00: short [23:59] = 0,
    # no. 00:01: short 0.28, long [23:56..00:00] = 128 / 500 = 0.256, yes. 00:02: long
    # 56 / 500 = 0.112, yes. 00:03: long 84 / 500 = 0.168, yes. Pending from 00:01, it fires at
    # 00:03, 2 min later. The events read must start at 23:56 (00:01's long window), before the
    # period and before 00:03's own long window (23:58), whose 00:01 ratio would be
    # 28 / 300 = 0.093: not burning, and the alert held back to 00:04.
    start = T - pd.Timedelta(minutes=6)
    bad = {2: 100, 6: 28, 7: 28, 8: 28}  # minute after `start` -> bad events of 100
    events = pd.DataFrame(
        [
            (start + pd.Timedelta(minutes=m, seconds=i / 2), "checkout", 500 if i < bad.get(m, 0)
             else 200, 0.1)
            for m in range(9)
            for i in range(100)
        ],
        columns=["ts", "api", "status", "latency_s"],
    )  # fmt: skip
    tier = {"severity": "page", "long_window": "5m", "short_window": "1m", "factor": 100,
            "alert_after": "2m"}  # fmt: skip
    slo = _slo(
        objectives=(Objective(0.999),),
        window=TimeWindow.calendar_window("day"),
        alerting=Alerting(tiers=(tier,)),
    )
    result = evaluate(slo, events, at=T + pd.Timedelta(minutes=3), series=False)
    assert result.alerts_firing == {"checkout": ["CheckoutPageBurnRate5m"]}


def test_compliance_history_with_start_not_before_end_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"start 2026-03-02T00:03:00\+00:00 is not before end"):
        compliance_history(_slo(), _events(), period="week", start=AT, end=T)
