"""OpenSLO v1 and v1alpha import (spec: github.com/OpenSLO/OpenSLO README)."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
import yaml

from apislo.errors import ConfigError, SpecError
from apislo.slo import evaluate, load
from apislo.slo.formats.openslo_export import dump_openslo
from apislo.slo.loader import SpecWarning
from apislo.slo.policy import policy_for
from apislo.slo.rules import error_ratio_expr, slo_id
from apislo.slo.spec import TimeWindow
from apislo.slo.windows import period_bounds
from tests.slo import spec_error, write_spec

_write = partial(write_spec, name="openslo.yaml")


SLO_HEAD = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: web
spec:
  service: shop
"""

RATIO_SLI = """
  indicator:
    metadata: {name: web-sli}
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(http_requests_total{code!~"5.."}[1m]))'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(http_requests_total[1m]))'}
"""


def _slo(window: str, method: str = "Occurrences", objectives: str = "") -> str:
    objectives = objectives or "  objectives:\n    - {displayName: Main, target: 0.99}\n"
    return SLO_HEAD + RATIO_SLI + window + f"  budgetingMethod: {method}\n" + objectives


ROLLING_28D = "  timeWindow:\n    - {duration: 28d, isRolling: true}\n"


def test_inline_ratio_sli_and_rolling_window(tmp_path: Path) -> None:
    (slo,) = load(_write(tmp_path, _slo(ROLLING_28D)))
    assert slo.sli.kind == "ratio"
    assert slo.sli.good_query == 'sum(rate(http_requests_total{code!~"5.."}[1m]))'
    assert slo.sli.total_query == "sum(rate(http_requests_total[1m]))"
    assert slo.sli.name == "web-sli"
    assert slo.window == TimeWindow.rolling_window(timedelta(days=28))
    assert slo.objectives[0].name == "main" and slo.objectives[0].target == 0.99
    assert slo.origin.endswith("(openslo/v1)")


def test_calendar_window_and_several_objectives_with_target_percent(tmp_path: Path) -> None:
    window = (
        "  timeWindow:\n    - duration: 1M\n      calendar:\n"
        "        startTime: 2026-01-01 00:00:00\n        timeZone: America/New_York\n"
    )
    objectives = (
        "  objectives:\n    - {displayName: A, target: 0.999}\n"
        "    - {displayName: B, targetPercent: 99.5}\n"
    )
    (slo,) = load(_write(tmp_path, _slo(window, objectives=objectives)))
    assert slo.window == TimeWindow(
        kind="calendar", unit="month", count=1, timezone="America/New_York",
        start=datetime(2026, 1, 1),
    )  # fmt: skip
    assert [o.target for o in slo.objectives] == [0.999, 0.995]


def test_timeslices_and_ratio_timeslices(tmp_path: Path) -> None:
    objectives = "  objectives:\n    - {target: 0.99, timeSliceTarget: 0.95, timeSliceWindow: 5}\n"
    (slo,) = load(_write(tmp_path, _slo(ROLLING_28D, "Timeslices", objectives)))
    # A bare number of timeSliceWindow is minutes (OpenSLO).
    assert slo.objectives[0].timeslice_window == timedelta(minutes=5)
    assert slo.objectives[0].timeslice_target == 0.95
    objectives = "  objectives:\n    - {target: 0.99, timeSliceWindow: 1m}\n"
    (slo,) = load(_write(tmp_path, _slo(ROLLING_28D, "RatioTimeslices", objectives)))
    assert slo.budgeting_method == "RatioTimeslices"
    assert slo.objectives[0].timeslice_window == timedelta(minutes=1)


def test_timeslices_without_target_is_an_error(tmp_path: Path) -> None:
    objectives = "  objectives:\n    - {target: 0.99, timeSliceWindow: 1m}\n"
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _slo(ROLLING_28D, "Timeslices", objectives)))
    assert info.value.field == "spec.objectives[0].timeSliceTarget"


def test_referenced_sli_datasource_and_alert_policy_across_files(tmp_path: Path) -> None:
    shared = write_spec(
        tmp_path,
        """
        apiVersion: openslo/v1
        kind: DataSource
        metadata: {name: prom}
        spec: {type: Prometheus, connectionDetails: {url: http://127.0.0.1:9090}}
        ---
        apiVersion: openslo/v1
        kind: SLI
        metadata: {name: errors}
        spec:
          ratioMetric:
            counter: true
            bad: {metricSource: {metricSourceRef: prom, spec: {query: sum(bad)}}}
            total: {metricSource: {metricSourceRef: prom, spec: {query: sum(total)}}}
        ---
        apiVersion: openslo/v1
        kind: AlertCondition
        metadata: {name: fast}
        spec:
          severity: page
          condition: {kind: burnrate, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m}
        ---
        apiVersion: openslo/v1
        kind: AlertPolicy
        metadata: {name: paging}
        spec:
          conditions: [{conditionRef: fast}]
          notificationTargets: [{targetRef: oncall}]
        """,
        "shared.yaml",
    )
    slo_file = write_spec(
        tmp_path,
        """
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: api}
        spec:
          service: shop
          indicatorRef: errors
          timeWindow: [{duration: 30d, isRolling: true}]
          budgetingMethod: Occurrences
          objectives: [{target: 0.999}]
          alertPolicies: [{alertPolicyRef: paging}]
        """,
        "slo.yaml",
    )
    (slo,) = load([shared, slo_file])
    assert (slo.sli.bad_query, slo.sli.total_query) == ("sum(bad)", "sum(total)")
    assert (slo.source.kind, slo.source.data_source) == ("prometheus", "prom")
    (tier,) = policy_for(slo).tiers
    # The short window is 1/12 of the lookback window (the Workbook's ratio): 60 / 12 = 5 min.
    assert (tier.name, tier.severity, tier.factor) == ("fast", "page", 14.4)
    assert (tier.long_window, tier.short_window) == (timedelta(hours=1), timedelta(minutes=5))
    # alertAfter: 5m, the condition must hold 5 minutes before the alert fires (it was ignored)
    assert tier.alert_after == timedelta(minutes=5)


def test_missing_reference_names_what_is_loaded(tmp_path: Path) -> None:
    body = _slo(ROLLING_28D).replace(RATIO_SLI, "  indicatorRef: nope\n")
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.indicatorRef"
    assert "no SLI named 'nope'" in str(info.value)


def test_threshold_metric_of_type_apislo(tmp_path: Path) -> None:
    body = (
        SLO_HEAD
        + """
  indicator:
    metadata: {name: lat}
    spec:
      thresholdMetric:
        metricSource:
          type: apislo
          spec: {kind: latency, api: checkout, group_by: [route]}
"""
        + ROLLING_28D
        + "  budgetingMethod: Occurrences\n"
        + "  objectives:\n    - {op: lte, value: 0.25, target: 0.95}\n"
    )
    (slo,) = load(_write(tmp_path, body))
    assert (slo.sli.kind, slo.api, slo.group_by) == ("latency", "checkout", ("route",))
    assert slo.threshold_s(slo.objectives[0]) == 0.25
    # an apislo SLI is counted from logs or from Prometheus alike: the type names no source
    # kind (it read "logs", which a second export then wrote as `source: {kind: logs}`)
    assert slo.source.kind is None


def test_raw_ratio_is_refused(tmp_path: Path) -> None:
    body = (
        _slo(ROLLING_28D)
        .replace("        good:\n", "        rawType: failure\n        raw:\n")
        .replace(
            "        total:\n          metricSource:\n            type: Prometheus\n"
            "            spec: {query: 'sum(rate(http_requests_total[1m]))'}\n",
            "",
        )
    )
    with pytest.raises(SpecError, match="precomputed ratios cannot give event counts"):
        load(_write(tmp_path, body))


def test_one_m_is_minutes_and_warns_when_a_month_was_meant(tmp_path: Path) -> None:
    window = "  timeWindow:\n    - duration: 1m # one month\n      isRolling: true\n"
    path = _write(tmp_path, _slo(window))
    with pytest.warns(SpecWarning) as record:
        (slo,) = load(path)
    assert slo.window.period == timedelta(minutes=1)
    messages = " | ".join(str(w.message) for w in record)
    assert "`m` is minutes, `M` is months" in messages
    assert "line" in messages and "write 1M for months" in messages


def test_rolling_month_is_refused(tmp_path: Path) -> None:
    window = "  timeWindow:\n    - {duration: 1M, isRolling: true}\n"
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _slo(window)))
    assert info.value.field == "spec.timeWindow[0].duration"
    assert "30d" in info.value.allowed


def test_v1alpha(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        apiVersion: openslo/v1alpha
        kind: SLO
        metadata: {name: orders, displayName: Orders}
        spec:
          service: shop
          budgetingMethod: Occurrences
          timeWindows: [{unit: Month, count: 1, isRolling: false,
                         calendar: {startTime: "2026-01-01 00:00:00", timeZone: UTC}}]
          objectives:
            - displayName: Good
              target: 0.995
              ratioMetrics:
                counter: true
                good: {source: prometheus, queryType: promql, query: sum(good)}
                total: {source: prometheus, queryType: promql, query: sum(total)}
        """,
    )
    (slo,) = load(path)
    assert (slo.sli.kind, slo.sli.good_query, slo.sli.total_query) == (
        "ratio", "sum(good)", "sum(total)",
    )  # fmt: skip
    assert (slo.window.kind, slo.window.unit, slo.window.count) == ("calendar", "month", 1)
    assert slo.objectives[0].target == 0.995
    assert slo.origin.endswith("(openslo/v1alpha)")


LATENCY_SLI = """
  indicator:
    metadata: {name: lat}
    spec:
      thresholdMetric:
        metricSource: {type: apislo, spec: {kind: latency, api: orders}}
"""


def _latency_slo(window: str, objectives: str, method: str = "Occurrences") -> str:
    return SLO_HEAD + LATENCY_SLI + window + f"  budgetingMethod: {method}\n" + objectives


def test_op_lt_is_carried_to_the_objective_and_exported(tmp_path: Path) -> None:
    objectives = (
        "  objectives:\n    - {name: strict, op: lt, value: 0.3, target: 0.99}\n"
        "    - {name: loose, op: lte, value: 0.3, target: 0.95}\n"
    )
    path = _write(tmp_path, _latency_slo(ROLLING_28D, objectives))
    (slo,) = load(path)
    assert [o.threshold_op for o in slo.objectives] == ["lt", "lte"]
    exported = write_spec(tmp_path, dump_openslo([slo]), "exported.yaml")
    doc = yaml.safe_load(exported.read_text())
    assert [o["op"] for o in doc["spec"]["objectives"]] == ["lt", "lte"]
    (again,) = load(exported)
    assert again.objectives == slo.objectives


FRIDAY_WEEK = (
    "  timeWindow:\n    - duration: 1w\n      calendar:\n"
    '        startTime: "2026-11-27 00:00:00"\n        timeZone: UTC\n'
)


def test_a_calendar_start_time_sets_where_periods_begin(tmp_path: Path) -> None:
    # 2026-11-27 is a Friday: weeks run Friday to Friday, not Monday to Monday
    objectives = "  objectives:\n    - {op: lte, value: 0.3, target: 0.99}\n"
    (slo,) = load(_write(tmp_path, _latency_slo(FRIDAY_WEEK, objectives)))
    # (ts, latency_s): Thursday's request is in the Monday week, not in the Friday one
    rows = [
        ("2026-11-26T10:00:10Z", 1.0),  # Thursday: slow
        ("2026-11-27T10:00:10Z", 0.1),  # Friday: fast
        ("2026-11-28T10:00:10Z", 0.5),  # Saturday: slow
        ("2026-11-28T11:00:10Z", 0.2),  # Saturday: fast
    ]
    events = pd.DataFrame(
        {
            "ts": pd.to_datetime([ts for ts, _ in rows]),
            "api": "orders",
            "status": 200,
            "latency_s": [latency for _, latency in rows],
        }
    )
    result = evaluate([slo], events, at="2026-11-28T12:00:00Z")
    (row,) = result.summary.to_dict("records")
    # Friday to Saturday noon: 3 requests, 2 fast (the Monday week would give 2 of 4)
    assert (row["events_good"], row["events_total"]) == (2, 3)
    assert row["sli"] == pytest.approx(2 / 3, abs=1e-12)
    assert slo.window.label == "calendar week from 2026-11-27 (UTC)"


@pytest.mark.parametrize(
    ("duration", "start", "at", "bounds"),
    [
        # a fiscal year from April
        ("1Y", "2026-04-01", "2026-03-04T03:00Z", ("2025-04-01T00:00Z", "2026-04-01T00:00Z")),
        # quarters from February: Feb-Apr, May-Jul, Aug-Oct, Nov-Jan
        ("1Q", "2026-02-01", "2026-12-15T00:00Z", ("2026-11-01T00:00Z", "2027-02-01T00:00Z")),
    ],
)
def test_quarters_and_years_start_in_the_start_time_month(
    tmp_path: Path, duration: str, start: str, at: str, bounds: tuple[str, str]
) -> None:
    window = (
        f"  timeWindow:\n    - duration: {duration}\n      calendar:\n"
        f'        startTime: "{start} 00:00:00"\n        timeZone: UTC\n'
    )
    (slo,) = load(_write(tmp_path, _slo(window)))
    got = period_bounds(slo.window, pd.Timestamp(at))
    assert got == (pd.Timestamp(bounds[0]), pd.Timestamp(bounds[1]))


def test_a_month_start_time_that_is_not_the_first_is_refused(tmp_path: Path) -> None:
    window = (
        "  timeWindow:\n    - duration: 1M\n      calendar:\n"
        '        startTime: "2026-01-15 00:00:00"\n        timeZone: UTC\n'
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _slo(window)))
    assert info.value.field == "spec.timeWindow[0].calendar.startTime"
    assert info.value.problem == (
        "2026-01-15 is not the 1st of a month: apislo's months run from the 1st"
    )


HELSINKI_WEEK = ("2026-01-06T22:00Z", "2026-01-13T22:00Z")


def _week_from(start: str, zone: str = "") -> str:
    zone_line = f"        timeZone: {zone}\n" if zone else ""
    return (
        "  timeWindow:\n    - duration: 1w\n      calendar:\n"
        f"        startTime: {start}\n{zone_line}"
    )


@pytest.mark.parametrize(
    ("start", "zone", "bounds"),
    [
        # Wednesday midnight in Helsinki (UTC+2 in winter) is 22:00 UTC the day before
        ("2026-01-07T00:00:00+02:00", "Europe/Helsinki", HELSINKI_WEEK),
        ('"2026-01-07 00:00:00+02:00"', "Europe/Helsinki", HELSINKI_WEEK),
        ("2026-01-07T00:00:00Z", "", ("2026-01-07T00:00Z", "2026-01-14T00:00Z")),
        # Havana's clocks go back from 01:00 to 00:00 on Sunday 2026-11-01, so its midnight is
        # -04:00, then -05:00: the second was refused until 2026-11-30. Weeks start on Sundays
        # at midnight, -05:00 in January: 2026-01-04 05:00 UTC
        ("2026-11-01T00:00:00-05:00", "America/Havana", ("2026-01-04T05:00Z", "2026-01-11T05:00Z")),
        ("2026-11-01T00:00:00-04:00", "America/Havana", ("2026-01-04T05:00Z", "2026-01-11T05:00Z")),
    ],
    ids=["yaml-timestamp", "text", "utc", "havana-second-midnight", "havana-first-midnight"],
)
def test_a_start_time_offset_of_the_time_zone_is_accepted(
    tmp_path: Path, start: str, zone: str, bounds: tuple[str, str]
) -> None:
    (slo,) = load(_write(tmp_path, _slo(_week_from(start, zone))))
    got = period_bounds(slo.window, pd.Timestamp("2026-01-08T00:00Z"))
    assert got == (pd.Timestamp(bounds[0]), pd.Timestamp(bounds[1]))


@pytest.mark.parametrize(
    ("start", "zone", "problem", "fixed"),
    [
        # read as 2026-01-07 00:00 UTC until 2026-11-30: periods 2 hours late, without a word
        (
            "2026-01-07T00:00:00+02:00",
            "",
            "2026-01-07 00:00:00+02:00: its UTC offset +02:00 is not that of timeZone UTC "
            "(+00:00 then)",
            "; Etc/GMT-2 is a fixed +02:00",
        ),
        # New York is on summer time (-04:00) on 2026-07-01
        (
            '"2026-07-01T00:00:00-05:00"',
            "America/New_York",
            "2026-07-01T00:00:00-05:00: its UTC offset -05:00 is not that of timeZone "
            "America/New_York (-04:00 then)",
            "; Etc/GMT+5 is a fixed -05:00",
        ),
        (
            "2026-01-07T00:00:00+05:30",
            "",
            "2026-01-07 00:00:00+05:30: its UTC offset +05:30 is not that of timeZone UTC "
            "(+00:00 then)",
            "",
        ),
        # until 2026-11-30 "Etc/GMT+0 is a fixed +00:00"
        (
            '"2026-01-07T00:00:00Z"',
            "Europe/Helsinki",
            "2026-01-07T00:00:00Z: its UTC offset +00:00 is not that of timeZone Europe/Helsinki "
            "(+02:00 then)",
            "; UTC is a fixed +00:00",
        ),
        # no Etc/GMT-15 exists (Etc/GMT-14 is the last): until 2026-11-30 it was named
        (
            "2026-01-07T00:00:00+15:00",
            "",
            "2026-01-07 00:00:00+15:00: its UTC offset +15:00 is not that of timeZone UTC "
            "(+00:00 then)",
            "",
        ),
        # both offsets of a midnight the clocks give twice (until 2026-11-30 the first only)
        (
            "2026-11-01T00:00:00-06:00",
            "America/Havana",
            "2026-11-01 00:00:00-06:00: its UTC offset -06:00 is not that of timeZone "
            "America/Havana (-04:00 or -05:00 then)",
            "; Etc/GMT+6 is a fixed -06:00",
        ),
    ],
    ids=["no-zone", "summer-time", "half-hour", "utc", "beyond-14-hours", "havana"],
)
def test_a_start_time_offset_other_than_the_time_zone_s_is_refused(
    tmp_path: Path, start: str, zone: str, problem: str, fixed: str
) -> None:
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _slo(_week_from(start, zone))))
    assert info.value.field == "spec.timeWindow[0].calendar.startTime"
    assert info.value.problem == (
        f"{problem}: OpenSLO's startTime is a local time in timeZone, whose midnights start the "
        "periods"
    )
    assert info.value.allowed == (
        f"a startTime without an offset, and the time zone meant as timeZone (an IANA name{fixed})"
    )


def _apislo_ratio(good: str, total: str) -> str:
    return (
        SLO_HEAD
        + "  indicator:\n    metadata: {name: conf}\n    spec:\n      ratioMetric:\n"
        + "        counter: true\n"
        + f"        good:\n          metricSource: {good}\n"
        + f"        total:\n          metricSource: {total}\n"
        + ROLLING_28D
        + "  budgetingMethod: Occurrences\n  objectives: [{target: 0.99}]\n"
    )


def test_good_and_total_apislo_sources_that_contradict_are_refused(tmp_path: Path) -> None:
    # only good's source was read: total's api and bad_status were dropped without a word
    body = _apislo_ratio(
        "{type: apislo, spec: {kind: availability, api: orders, bad_status: [4xx]}}",
        "{type: apislo, spec: {kind: availability, api: payments, bad_status: [5xx]}}",
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.indicator.spec.ratioMetric.total.metricSource.spec"
    assert info.value.problem == (
        "contradicts good's apislo source (bad_status ['4xx'] in good, ['5xx'] in total; "
        "api 'orders' in good, 'payments' in total)"
    )
    mixed = _apislo_ratio(
        "{type: apislo, spec: {kind: availability, api: orders}}",
        "{type: Prometheus, spec: {query: sum(total)}}",
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, mixed))
    assert info.value.field == "spec.indicator.spec.ratioMetric.total.metricSource.type"
    same = "{type: apislo, spec: {kind: availability, api: orders, bad_status: [5xx]}}"
    (slo,) = load(_write(tmp_path, _apislo_ratio(same, same)))
    assert (slo.sli.kind, slo.api, slo.sli.bad_status) == ("availability", "orders", ("5xx",))


def test_a_slice_that_does_not_divide_the_window_is_refused(tmp_path: Path) -> None:
    objectives = "  objectives:\n    - {target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: 7m}\n"
    window = "  timeWindow:\n    - {duration: 1d, isRolling: true}\n"
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _slo(window, "Timeslices", objectives)))
    assert info.value.field == "spec.objectives[0].timeSliceWindow"
    assert info.value.problem == "7m does not divide the 1d window (205.714 slices)"


@pytest.mark.parametrize(
    ("objective", "field", "message"),
    [
        (
            "{targetPercent: 0.99}",
            "spec.objectives[0].targetPercent",
            "0.99 looks like a fraction. Allowed: 1 <= targetPercent < 100 (a percentage: 99, "
            "not 0.99), or target: 0.99.",
        ),
        (
            "{target: 99.9}",
            "spec.objectives[0].target",
            "99.9 looks like a percentage. Allowed: 0 < target < 1 (a fraction: 0.999 for "
            "99.9 %), or targetPercent: 99.9.",
        ),
        # the rule used to say "Allowed: 0 <= target < 1" while refusing 0
        (
            "{target: 0}",
            "spec.objectives[0].target",
            "0 is out of range. Allowed: 0 < target < 1 (a fraction: 0.99 for 99 %).",
        ),
    ],
)
def test_targets_in_the_wrong_unit_are_refused(
    tmp_path: Path, objective: str, field: str, message: str
) -> None:
    path = _write(tmp_path, _slo(ROLLING_28D, objectives=f"  objectives:\n    - {objective}\n"))
    with pytest.raises(SpecError) as info:
        load(path)
    assert info.value.field == field
    assert str(info.value) == f"{path}: {field}: {message}"


def test_export_and_import_keep_an_objective_id(tmp_path: Path) -> None:
    # unnamed objectives with a display name were renamed after it on re-import
    # (demo-o-99.9% became demo-o-trois-neuf-tr-s-bien), and so were their rules and alerts
    spec = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: demo
        slos:
          - name: o
            api: orders
            objectives:
              - {target: 0.999, display_name: "Trois neuf, très bien"}
              - {target: 0.99, name: two-nines, display_name: Two nines}
              - {target: 0.9}
        """,
        "spec.yaml",
    )
    (slo,) = load(spec)
    exported = write_spec(tmp_path, dump_openslo([slo]), "exported.yaml")
    (again,) = load(exported)
    assert again.objectives == slo.objectives
    assert [slo_id(again, o) for o in again.objectives] == [
        "demo-o-99.9%",
        "demo-o-two-nines",
        "demo-o-90%",
    ]


def test_export_and_import_keep_the_source_and_disabled_alerts(tmp_path: Path) -> None:
    # the export dropped `source` and `alerting.disabled`: the re-imported SLO read the generic
    # profile's http_requests_total of every env, and generated the alerts it had disabled
    spec = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: checkout
            api: checkout
            objectives: [{target: 0.999}]
            source: {kind: prometheus, profile: kong, labels: {env: prod}}
            alerting: {disabled: true}
        """,
        "spec.yaml",
    )
    (slo,) = load(spec)
    (again,) = load(write_spec(tmp_path, dump_openslo([slo]), "exported.yaml"))
    assert again.source == slo.source
    assert again.alerting.disabled is True
    # Kong's counter, its `service` label for the API, and the spec's env matcher (by hand):
    assert error_ratio_expr(again, again.objectives[0], "5m") == (
        'sum(increase(kong_http_requests_total{env="prod",service="checkout",code=~"5.."}[5m]))'
        '\n/\nsum(increase(kong_http_requests_total{env="prod",service="checkout"}[5m]))'
    )


def test_a_threshold_value_in_milliseconds_warns(tmp_path: Path) -> None:
    # `value` is in seconds, but OpenSLO specs often give milliseconds (value: 250): apislo's
    # own threshold_s warned over 60 s, this one took 250 s silently (almost every request good)
    body = (
        SLO_HEAD
        + "  indicator:\n    metadata: {name: lat}\n    spec:\n      thresholdMetric:\n"
        + "        metricSource: {type: apislo, spec: {kind: latency}}\n"
        + ROLLING_28D
        + "  budgetingMethod: Occurrences\n"
        + "  objectives:\n    - {op: lte, value: 250, target: 0.95}\n"
    )
    path = _write(tmp_path, body)
    with pytest.warns(SpecWarning) as record:
        load(path)
    assert [str(w.message) for w in record] == [
        f"{path}: spec.objectives[0].value: 250 s: is this milliseconds?"
    ]


def test_op_and_value_on_an_availability_sli_are_refused(tmp_path: Path) -> None:
    # an apislo source without `kind` is availability: the 0.25 s threshold was dropped and the
    # SLO silently measured non-5xx requests instead of requests within 250 ms
    body = (
        SLO_HEAD
        + """
  indicator:
    metadata: {name: lat}
    spec:
      thresholdMetric:
        metricSource: {type: apislo, spec: {api: catalog}}
"""
        + ROLLING_28D
        + "  budgetingMethod: Occurrences\n"
        + "  objectives:\n    - {op: lte, value: 0.25, target: 0.98}\n"
    )
    path = _write(tmp_path, body)
    with pytest.raises(SpecError) as info:
        load(path)
    # the message said the kind had no threshold, not that kind was missing nor what to write
    assert str(info.value) == (
        f"{path}: spec.objectives[0].value: 0.25 s is a latency threshold, but the SLI kind is "
        "availability (an apislo metric source without kind is availability). Allowed: kind: "
        "latency in the SLI's apislo metricSource spec (kind: availability_and_latency to count "
        "5xx answers as bad too), or no op and value."
    )
    fixed = body.replace("spec: {api: catalog}", "spec: {kind: latency, api: catalog}")
    (slo,) = load(_write(tmp_path, fixed))
    assert (slo.sli.kind, slo.threshold_s(slo.objectives[0])) == ("latency", 0.25)


def test_op_without_value_on_a_ratio_sli_is_read(tmp_path: Path) -> None:
    # OpenSLO's own example SLO (pkg/openslo/v1/examples/slos.yaml) gives its ratioMetric
    # objective `op: gt` and no `value`, which OpenSLO needs with a thresholdMetric only: it was
    # refused with "value: missing"
    objectives = "  objectives:\n    - {displayName: Good, op: gt, target: 0.995}\n"
    (slo,) = load(_write(tmp_path, _slo(ROLLING_28D, objectives=objectives)))
    assert slo.sli.kind == "ratio"
    assert [(o.name, o.target, o.threshold_s) for o in slo.objectives] == [("good", 0.995, None)]


def test_indicator_and_indicator_ref_together_are_refused(tmp_path: Path) -> None:
    # OpenSLO: one of indicator and indicatorRef; the reference was silently ignored
    body = _slo(ROLLING_28D).replace("  indicator:\n", "  indicatorRef: other\n  indicator:\n")
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.indicatorRef"
    assert info.value.problem == "given with indicator"


_OTHER_SLI = """
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: other}
spec:
  ratioMetric:
    bad:
      metricSource:
        type: Prometheus
        spec: {query: 'sum(increase(other_total{code=~"5.."}[{{.window}}]))'}
    total:
      metricSource: {type: Prometheus, spec: {query: 'sum(increase(other_total[{{.window}}]))'}}
"""
_OWN_SLI = (
    "      indicator:\n        metadata: {name: own}\n        spec:\n          ratioMetric:\n"
    "            bad: {metricSource: {type: Prometheus, spec: {query: 'sum(own_bad)'}}}\n"
    "            total: {metricSource: {type: Prometheus, spec: {query: 'sum(own_total)'}}}\n"
)


@pytest.mark.parametrize(
    ("own", "field"),
    [
        (_OWN_SLI, "indicator"),
        ("      indicatorRef: other\n", "indicatorRef"),
        ("      compositeWeight: 2\n", "compositeWeight"),
    ],
    ids=["indicator", "indicatorRef", "compositeWeight"],
)
@pytest.mark.parametrize("spec_sli", [True, False], ids=["beside-spec-sli", "alone"])
def test_a_composite_objective_is_refused(
    tmp_path: Path, own: str, field: str, spec_sli: bool
) -> None:
    # OpenSLO v1 lets an objective carry its own SLI (a composite SLO, one budget weighted over
    # several SLIs). Those fields were let through and ignored: beside the SLO's own SLI, the
    # objective was silently counted (and its rules written) on web-sli's queries, not on
    # own_bad/own_total; without one, the error said spec.indicator was missing
    objectives = "  objectives:\n    - displayName: Main\n      target: 0.99\n" + own
    body = _slo(ROLLING_28D, objectives=objectives)
    if not spec_sli:
        body = body.replace(RATIO_SLI, "")
    error = spec_error(_write(tmp_path, body + _OTHER_SLI))
    assert (error.field, error.problem, error.allowed) == (
        f"spec.objectives[0].{field}",
        "makes a composite SLO (an objective with its own SLI), which apislo does not evaluate: "
        "it counts every objective on the SLO's one SLI",
        "one SLO per SLI, given in spec.indicator or spec.indicatorRef, without indicator, "
        "indicatorRef or compositeWeight on its objectives",
    )


def test_v1alpha_ratio_metrics_on_a_v1_objective_are_refused(tmp_path: Path) -> None:
    # v1alpha's per-objective ratioMetrics were let through on a v1 objective and ignored: the
    # objective was counted on the SLO's indicator instead of its own queries
    objectives = (
        "  objectives:\n    - displayName: Main\n      target: 0.99\n"
        "      ratioMetrics: {good: {query: sum(own_good)}, total: {query: sum(own_total)}}\n"
    )
    error = spec_error(_write(tmp_path, _slo(ROLLING_28D, objectives=objectives)))
    assert (error.field, error.problem) == ("spec.objectives[0].ratioMetrics", "unknown field")


def _with_condition(condition: str) -> str:
    return _slo(ROLLING_28D) + (
        "  alertPolicies:\n    - kind: AlertPolicy\n      metadata: {name: p}\n"
        "      spec:\n        conditions:\n          - kind: AlertCondition\n"
        "            metadata: {name: c}\n            spec:\n"
        f"              severity: page\n              condition: {condition}\n"
    )


@pytest.mark.parametrize("op", ["lte", "lt"])
def test_a_burn_rate_condition_below_a_threshold_is_read_as_above_with_a_warning(
    tmp_path: Path, op: str
) -> None:
    """`op: lte, threshold: 2` (the OpenSLO README's own example, described as "exceeds 2") was
    read as `> 2` without a word; apislo's tiers alert only above a burn rate."""
    body = _with_condition(f"{{kind: burnrate, op: {op}, threshold: 2, lookbackWindow: 1h}}")
    with pytest.warns(SpecWarning, match=f"condition.op: {op} is read as gt"):
        (slo,) = load(_write(tmp_path, body))
    assert [t["factor"] for t in slo.alerting.tiers] == [2]


def test_an_unknown_burn_rate_condition_field_is_refused(tmp_path: Path) -> None:
    # a misspelled `lookback: 6h` was accepted and the 1h window used
    body = _with_condition("{kind: burnrate, threshold: 2, lookbackWindow: 1h, lookback: 6h}")
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.alertPolicies[0].spec.conditions[0].spec.condition.lookback"


def test_export_writes_a_sub_minute_slice_as_minutes_and_refuses_a_sub_minute_window(
    tmp_path: Path,
) -> None:
    # `apislo slo export` died with a ValueError traceback on a valid 30 s slice
    spec = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: a
            objectives: [{target: 0.99, timeslice_target: 0.9, timeslice_window: 30s}]
            budgeting_method: Timeslices
            window: 1d
          - name: b
            objectives: [{target: 0.99}]
            window: 90s
        """,
        "spec.yaml",
    )
    slice_slo, short = load(spec)
    # OpenSLO: a bare timeSliceWindow number is minutes, so 30 s is 0.5.
    (doc,) = yaml.safe_load_all(dump_openslo([slice_slo]))
    assert doc["spec"]["objectives"][0]["timeSliceWindow"] == 0.5
    (again,) = load(write_spec(tmp_path, dump_openslo([slice_slo]), "exported.yaml"))
    assert again.objectives[0].timeslice_window == timedelta(seconds=30)
    # OpenSLO's duration shorthand has no seconds: a clear error, not a traceback
    with pytest.raises(ConfigError, match=r"^SLO 'b' \(.*\) cannot be exported: 0:01:30 is not"):
        dump_openslo([short])


def test_export_of_a_sub_minute_alert_after_names_the_tier_and_the_field(tmp_path: Path) -> None:
    """`alert_after: 90s` cannot be written in OpenSLO's shorthand: the refusal said only
    "0:01:30 is not a whole number of minutes", not where that duration is."""
    spec = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: checkout
            objectives: [{target: 0.999}]
            alerting:
              tiers:
                - {severity: page, long_window: 1h, short_window: 5m, factor: 14.4,
                   alert_after: 90s}
        """,
        "spec.yaml",
    )
    (slo,) = load(spec)
    with pytest.raises(ConfigError) as caught:
        dump_openslo([slo])
    assert str(caught.value) == (
        f"SLO 'checkout' ({spec} (apislo/v1)) cannot be exported: tier 'page-1h' alert_after: "
        "0:01:30 is not a whole number of minutes, which OpenSLO's duration shorthand needs (it "
        "has no seconds)"
    )


@pytest.mark.parametrize(
    ("after", "expected"), [("0m", timedelta(0)), ("90m", timedelta(minutes=90))]
)
def test_a_condition_alert_after_becomes_the_tier_alert_after(
    tmp_path: Path, after: str, expected: timedelta
) -> None:
    body = _with_condition(
        f"{{kind: burnrate, threshold: 2, lookbackWindow: 6h, alertAfter: {after}}}"
    )
    (slo,) = load(_write(tmp_path, body))
    (tier,) = policy_for(slo).tiers
    assert tier.alert_after == expected


def test_a_calendar_alert_after_is_refused(tmp_path: Path) -> None:
    body = _with_condition("{kind: burnrate, threshold: 2, lookbackWindow: 1h, alertAfter: 1M}")
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.alertPolicies[0].spec.conditions[0].spec.condition.alertAfter"
    assert info.value.problem == "'1M' is not a fixed duration"


def _with_policy_flags(flags: str) -> str:
    condition = _with_condition("{kind: burnrate, threshold: 2, lookbackWindow: 1h}")
    return condition.replace(
        "      spec:\n        conditions:", f"      spec:\n{flags}        conditions:"
    )


def test_policy_flags_apislo_does_not_honour_warn(tmp_path: Path) -> None:
    # alertWhenBreaching/Resolved/NoData were read and ignored without a word
    asked = (
        "        alertWhenBreaching: false\n        alertWhenResolved: true\n"
        "        alertWhenNoData: true\n"
    )
    path = _write(tmp_path, _with_policy_flags(asked))
    with pytest.warns(SpecWarning) as record:
        load(path)
    where = f"{path}: spec.alertPolicies[0].spec"
    assert [str(w.message) for w in record] == [
        f"{where}.alertWhenBreaching: false is not honoured: apislo's alerts fire while their "
        "condition breaches (to have no alerts, give the SLO no alert policy)",
        f"{where}.alertWhenResolved: true is not honoured: apislo raises no alert when a "
        "condition resolves, its alert just stops (whether that is notified is Alertmanager's "
        "send_resolved)",
        f"{where}.alertWhenNoData: true is not honoured: apislo's alerts never fire on windows "
        "without events (alert on missing series with a rule of your own, e.g. absent())",
    ]
    done = (
        "        alertWhenBreaching: true\n        alertWhenResolved: false\n"
        "        alertWhenNoData: false\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(_write(tmp_path, _with_policy_flags(done)))


def test_a_misspelled_policy_field_is_refused(tmp_path: Path) -> None:
    # `alertWhenNoDate: true` loaded without a word: neither honoured nor warned about
    path = _write(tmp_path, _with_policy_flags("        alertWhenNoDate: true\n"))
    with pytest.raises(SpecError) as info:
        load(path)
    assert (info.value.field, info.value.problem) == (
        "spec.alertPolicies[0].spec.alertWhenNoDate",
        "unknown field",
    )
    assert info.value.allowed == (
        "description, alertWhenBreaching, alertWhenResolved, alertWhenNoData, conditions, "
        "notificationTargets"
    )
    assert "\n" not in str(info.value)


def test_an_apislo_annotation_apislo_does_not_read_is_refused(tmp_path: Path) -> None:
    # `apislo.dev/page-label` (for page-labels) was ignored: the page alerts lost the label
    path = _write(tmp_path, _annotated('    apislo.dev/page-label: \'{"team": "pay"}\'\n'))
    with pytest.raises(SpecError) as info:
        load(path)
    assert (info.value.field, info.value.problem) == (
        "metadata.annotations.apislo.dev/page-label",
        "is not an annotation apislo reads (apislo.dev/ is apislo's own prefix)",
    )
    assert info.value.allowed.startswith("apislo.dev/owners, apislo.dev/alert-policy, ")
    # on a condition, only its short window
    condition = _with_condition("{kind: burnrate, threshold: 2, lookbackWindow: 1h}").replace(
        "metadata: {name: c}", "metadata: {name: c, annotations: {apislo.dev/short: 5m}}"
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, condition))
    assert info.value.field == (
        "spec.alertPolicies[0].spec.conditions[0].metadata.annotations.apislo.dev/short"
    )
    assert info.value.allowed == "apislo.dev/short-window"
    # other annotations are the user's own
    (slo,) = load(_write(tmp_path, _annotated("    example.com/team: pay\n")))
    assert slo.name == "web"


def test_comma_separated_annotations_written_with_spaces(tmp_path: Path) -> None:
    # "alice, bob" gave the owner " bob"; "route, consumer" was refused as ' consumer'
    notes = "    apislo.dev/owners: alice, bob\n    apislo.dev/group-by: route, consumer\n"
    (slo,) = load(_write(tmp_path, _annotated(notes)))
    assert (slo.owners, slo.group_by) == (("alice", "bob"), ("route", "consumer"))


def test_export_keeps_short_windows_alert_after_ratio_scope_and_alert_labels(
    tmp_path: Path,
) -> None:
    # an inline tier's 20m short window came back as 1h / 12 = 5m, and a ratio SLI's api and
    # group_by and the alert labels and annotations were dropped by `apislo slo export`
    spec = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: orders
            api: orders
            group_by: [route]
            sli:
              kind: ratio
              bad_query: sum by (route) (increase(errors_total[{{.window}}]))
              total_query: sum by (route) (increase(requests_total[{{.window}}]))
            objectives: [{target: 0.999}]
            alerting:
              tiers:
                - {name: fast, severity: page, long_window: 1h, short_window: 20m,
                   factor: 14.4, alert_after: 2m}
              page_labels: {team: orders, severity: critical}
              ticket_labels: {severity: warning}
              annotations: {runbook_url: "https://runbooks.example/orders"}
        """,
        "spec.yaml",
    )
    (slo,) = load(spec)
    text = dump_openslo([slo])
    (doc,) = yaml.safe_load_all(text)
    assert doc["metadata"]["annotations"] == {
        "apislo.dev/alert-policy": "spec",  # (an export's policy is named orders-fast)
        "apislo.dev/page-labels": '{"severity": "critical", "team": "orders"}',
        "apislo.dev/ticket-labels": '{"severity": "warning"}',
        "apislo.dev/alert-annotations": '{"runbook_url": "https://runbooks.example/orders"}',
        "apislo.dev/api": "orders",
        "apislo.dev/group-by": "route",
    }
    (policy,) = doc["spec"]["alertPolicies"]
    (condition,) = policy["spec"]["conditions"]
    assert condition["metadata"]["annotations"] == {"apislo.dev/short-window": "20m"}
    assert condition["spec"]["condition"]["alertAfter"] == "2m"
    (again,) = load(write_spec(tmp_path, text, "exported.yaml"))
    assert (again.api, again.group_by) == ("orders", ("route",))
    (tier,) = policy_for(again).tiers
    assert (tier.long_window, tier.short_window, tier.alert_after, tier.factor) == (
        timedelta(hours=1), timedelta(minutes=20), timedelta(minutes=2), 14.4,
    )  # fmt: skip
    assert again.alerting.page_labels == (("severity", "critical"), ("team", "orders"))
    assert again.alerting.ticket_labels == (("severity", "warning"),)
    assert again.alerting.annotations == (("runbook_url", "https://runbooks.example/orders"),)


def _inline_policies(*policies: tuple[str, str]) -> str:
    """``alertPolicies`` of inline policies, each ``(name, its condition names)``, with
    inline page conditions."""
    text = "  alertPolicies:\n"
    for name, conditions in policies:
        text += f"    - kind: AlertPolicy\n      metadata: {{name: {name}}}\n"
        text += "      spec:\n        conditions:\n"
        for condition in conditions.split():
            text += (
                f"          - kind: AlertCondition\n            metadata: {{name: {condition}}}\n"
                "            spec: {severity: page, condition: {kind: burnrate, threshold: 14.4, "
                "lookbackWindow: 1h}}\n"
            )
    return text


def _exported_policy_names(path: Path) -> list[str]:
    (doc,) = yaml.safe_load_all(dump_openslo(load(path)))
    return [policy["metadata"]["name"] for policy in doc["spec"]["alertPolicies"]]


def test_export_keeps_the_names_of_inline_alert_policies(tmp_path: Path) -> None:
    # OpenSLO v1 gives every object a required metadata.name, inline AlertPolicy items too;
    # the export renamed each one <slo>-<condition>: web-paging came back as web-fast
    path = _write(tmp_path, _slo(ROLLING_28D) + _inline_policies(("web-paging", "fast")))
    assert _exported_policy_names(path) == ["web-paging"]
    exported = write_spec(tmp_path, dump_openslo(load(path)), "exported.yaml")
    (again,) = load(exported)
    assert (again.alerting.policy_names, policy_for(again).name) == (("web-paging",), "web-paging")
    # each tier is a policy of its own (OpenSLO allows one condition per policy): a policy
    # read with two conditions becomes two, named <policy>-<condition>
    body = _slo(ROLLING_28D) + _inline_policies(("web-paging", "fast"), ("web-tickets", "a b"))
    assert _exported_policy_names(_write(tmp_path, body)) == [
        "web-paging", "web-tickets-a", "web-tickets-b",
    ]  # fmt: skip
    # apislo's own tiers name no policy: theirs is <slo>-<tier>
    own = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: orders
            sli: {kind: availability}
            objectives: [{target: 0.999}]
            alerting:
              tiers: [{name: fast, severity: page, long_window: 1h, short_window: 5m,
                       factor: 14.4}]
        """,
    )
    assert _exported_policy_names(own) == ["orders-fast"]


def _annotated(notes: str) -> str:
    return _slo(ROLLING_28D).replace(
        "metadata:\n  name: web\n", f"metadata:\n  name: web\n  annotations:\n{notes}"
    )


@pytest.mark.parametrize(
    ("notes", "field", "problem"),
    [
        (
            "    apislo.dev/page-labels: 'severity=critical'\n",
            "metadata.annotations.apislo.dev/page-labels",
            "'severity=critical' is not a JSON object of text",
        ),
        (
            '    apislo.dev/ticket-labels: \'{"0bad": "x"}\'\n',
            "metadata.annotations.apislo.dev/ticket-labels.0bad",
            "is not a Prometheus label name, so it cannot go into the SLO's rules",
        ),
        (
            "    apislo.dev/group-by: route,colour\n",
            "metadata.annotations.apislo.dev/group-by[1]",
            "cannot group by 'colour'",
        ),
    ],
)
def test_apislo_annotations_that_cannot_be_read_are_refused(
    tmp_path: Path, notes: str, field: str, problem: str
) -> None:
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, _annotated(notes)))
    assert (info.value.field, info.value.problem) == (field, problem)


def test_an_api_annotation_that_contradicts_the_apislo_source_is_refused(tmp_path: Path) -> None:
    body = (
        _annotated("    apislo.dev/api: payments\n")
        .replace(
            RATIO_SLI,
            "  indicator:\n    metadata: {name: web-sli}\n    spec:\n      thresholdMetric:\n"
            "        metricSource: {type: apislo, spec: {kind: latency, api: orders}}\n",
        )
        .replace("{displayName: Main, target: 0.99}", "{op: lte, value: 0.3, target: 0.99}")
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "metadata.annotations.apislo.dev/api"
    assert info.value.problem == "'payments' contradicts the apislo metric source's 'orders'"


def test_a_short_window_annotation_not_shorter_than_the_lookback_is_refused(tmp_path: Path) -> None:
    body = _with_condition("{kind: burnrate, threshold: 2, lookbackWindow: 1h}").replace(
        "metadata: {name: c}", "metadata: {name: c, annotations: {apislo.dev/short-window: 1h}}"
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == (
        "spec.alertPolicies[0].spec.conditions[0].metadata.annotations.apislo.dev/short-window"
    )
    assert info.value.problem == "1h is not shorter than the lookbackWindow 1h"


def test_an_apislo_source_group_by_the_frame_does_not_have_is_refused(tmp_path: Path) -> None:
    # apislo/v1 refuses `group_by: [colour]`; an OpenSLO apislo source took it, and the rules
    # summed `by (colour)`, a label the profile's series do not have
    body = (
        SLO_HEAD
        + (
            "  indicator:\n    metadata: {name: lat}\n    spec:\n      thresholdMetric:\n"
            "        metricSource:\n          type: apislo\n"
            "          spec: {kind: latency, api: checkout, group_by: [route, colour]}\n"
        )
        + ROLLING_28D
        + "  budgetingMethod: Occurrences\n"
        + ("  objectives:\n    - {op: lte, value: 0.25, target: 0.95}\n")
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "spec.indicator.spec.thresholdMetric.metricSource.spec.group_by[1]"
    assert info.value.problem == "cannot group by 'colour'"


def test_a_service_that_is_not_a_name_warns_once_and_is_kept(tmp_path: Path) -> None:
    # OpenSLO's spec.service names a Service object, whose name is lower case, digits and -;
    # any text was taken (not refused now: specs that loaded would stop). A v1alpha SLO of two
    # ratio queries is two SLOs, read from one `service`: one warning
    rest = (
        "is not a name as OpenSLO's Service names are (lower-case letters, digits, - . _), "
        "and an OpenSLO export writes it as one: kept as written, but rename it"
    )
    path = _write(tmp_path, _slo(ROLLING_28D).replace("service: shop", "service: My Shop"))
    with pytest.warns(SpecWarning) as record:
        (slo,) = load(path)
    assert ([str(w.message) for w in record], slo.service) == (
        [f"{path}: spec.service: 'My Shop' {rest}"], "My Shop",
    )  # fmt: skip
    objective = (
        "    - target: 0.99\n      ratioMetrics:\n        counter: true\n"
        "        good: {{query: sum(good{n})}}\n        total: {{query: sum(total{n})}}\n"
    )
    v1alpha = (
        "apiVersion: openslo/v1alpha\nkind: SLO\nmetadata: {name: orders}\nspec:\n"
        "  service: Shop\n  budgetingMethod: Occurrences\n"
        "  timeWindows: [{unit: Day, count: 28, isRolling: true}]\n  objectives:\n"
        + objective.format(n=1)
        + objective.format(n=2)
    )
    path = _write(tmp_path, v1alpha)
    with pytest.warns(SpecWarning) as record:
        slos = load(path)
    assert [str(w.message) for w in record] == [f"{path}: spec.service: 'Shop' {rest}"]
    assert [s.service for s in slos] == ["Shop", "Shop"]


def test_exported_policy_names_that_would_repeat_are_slo_and_tier(tmp_path: Path) -> None:
    # web-paging's two conditions become policies web-paging-fast and web-paging-slow: beside
    # a policy named web-paging-fast, two policies had one name, which the import reads as one
    # policy of two conditions, so a second export renamed them (web-paging-fast-fast). Names
    # that repeat give way to <slo>-<tier>, distinct as tier names are
    body = _slo(ROLLING_28D) + _inline_policies(
        ("web-paging", "fast slow"), ("web-paging-fast", "other")
    )
    path = _write(tmp_path, body)
    assert _exported_policy_names(path) == ["web-fast", "web-slow", "web-other"]
    first = dump_openslo(load(path))
    assert dump_openslo(load(write_spec(tmp_path, first, "exported.yaml"))) == first


def test_export_keeps_a_policy_name_its_alert_policies_do_not_spell(tmp_path: Path) -> None:
    # the import names an SLO's policy after its AlertPolicies, joined with -: inline tiers
    # beside `policy: workbook` came back as policy orders-fast, a policy read with two
    # conditions as web-tickets-a-web-tickets-b (rule descriptions say "Policy workbook, tier
    # fast"; backtests name their rows by it). The name goes in apislo.dev/alert-policy
    own = write_spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - name: orders
            sli: {kind: availability}
            objectives: [{target: 0.999}]
            alerting:
              policy: workbook
              tiers: [{name: fast, severity: page, long_window: 1h, short_window: 5m,
                       factor: 14.4}]
        """,
    )
    read = _write(tmp_path, _slo(ROLLING_28D) + _inline_policies(("web-tickets", "a b")))
    for path, name in ((own, "workbook"), (read, "web-tickets")):
        exported = write_spec(tmp_path, dump_openslo(load(path)), "exported.yaml")
        (again,) = load(exported)
        assert policy_for(again).name == name


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (
            # apislo's tier names are free text: `Fast burn` was exported as the name of an
            # AlertCondition, which OpenSLO (and the import) refuses, found only when read
            "alerting:\n  tiers: [{name: Fast burn, severity: page, long_window: 1h, "
            "short_window: 5m, factor: 14.4}]",
            "tier 'Fast burn' name: 'Fast burn' cannot name its AlertCondition: OpenSLO names "
            "are lower-case letters, digits, - . _, at most 253; rename the tier (e.g. fast-burn)",
        ),
        (
            # source.data_source is free text too: since a ratio SLI's metricSourceRef is
            # exported, `Prom Main` would be written where OpenSLO's schema wants a name
            "sli: {kind: ratio, bad_query: sum(bad), total_query: sum(total)}\n"
            "source: {kind: prometheus, data_source: Prom Main}",
            "source.data_source 'Prom Main' cannot name a DataSource in a metricSourceRef: "
            "OpenSLO names are lower-case letters, digits, - . _, at most 253; rename it (e.g. "
            "prom-main)",
        ),
    ],
    ids=["tier", "data-source"],
)
def test_a_name_openslo_cannot_hold_stops_the_export(
    tmp_path: Path, lines: str, problem: str
) -> None:
    body = "version: apislo/v1\nservice: shop\nslos:\n  - name: orders\n"
    body += "    objectives: [{target: 0.999}]\n"
    body += "".join(f"    {line}\n" for line in lines.split("\n"))
    spec = write_spec(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        dump_openslo(load(spec))
    assert str(info.value) == f"SLO 'orders' ({spec} (apislo/v1)) cannot be exported: {problem}"


def test_export_keeps_the_data_source_of_ratio_and_threshold_slis(tmp_path: Path) -> None:
    # a ratio SLI's metricSourceRef, read as the SLO's source.data_source, was not exported: the
    # export read back with no data source (a threshold SLI's apislo metric source kept it)
    data_source = write_spec(
        tmp_path,
        """
        apiVersion: openslo/v1
        kind: DataSource
        metadata: {name: prom}
        spec: {type: Prometheus, connectionDetails: {url: http://127.0.0.1:9090}}
        """,
        "datasource.yaml",
    )
    slos = write_spec(
        tmp_path,
        """
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: web}
        spec:
          service: shop
          indicator:
            metadata: {name: web-errors}
            spec:
              ratioMetric:
                counter: true
                bad: {metricSource: {metricSourceRef: prom, spec: {query: sum(bad)}}}
                total: {metricSource: {metricSourceRef: prom, spec: {query: sum(total)}}}
          timeWindow: [{duration: 28d, isRolling: true}]
          budgetingMethod: Occurrences
          objectives: [{target: 0.999}]
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: web-latency}
        spec:
          service: shop
          indicator:
            metadata: {name: web-latency}
            spec:
              thresholdMetric:
                metricSource: {metricSourceRef: prom, spec: {query: sum(slow)}}
          timeWindow: [{duration: 28d, isRolling: true}]
          budgetingMethod: Occurrences
          objectives: [{op: lte, value: 0.3, target: 0.99}]
        """,
        "slos.yaml",
    )
    with pytest.warns(SpecWarning, match="the Prometheus query is not run"):
        first = load([slos, data_source])
    text = dump_openslo(first)
    ratio_doc, threshold_doc = yaml.safe_load_all(text)
    ratio = ratio_doc["spec"]["indicator"]["spec"]["ratioMetric"]
    # each metric source as the OpenSLO README's ratioMetric example writes it
    assert (ratio["bad"], ratio["total"]) == (
        {"metricSource": {"metricSourceRef": "prom", "type": "Prometheus",
                          "spec": {"query": "sum(bad)"}}},
        {"metricSource": {"metricSourceRef": "prom", "type": "Prometheus",
                          "spec": {"query": "sum(total)"}}},
    )  # fmt: skip
    threshold = threshold_doc["spec"]["indicator"]["spec"]["thresholdMetric"]["metricSource"]
    assert threshold["spec"]["source"] == {"kind": "prometheus", "data_source": "prom"}
    # the export reads back alone (its metric sources give their type), as the first import
    again = load(write_spec(tmp_path, text, "exported.yaml"))
    assert [(s.name, s.source.kind, s.source.data_source) for s in again] == [
        ("web", "prometheus", "prom"),
        ("web-latency", "prometheus", "prom"),
    ]
    assert [replace(s, origin="") for s in again] == [replace(s, origin="") for s in first]
    assert dump_openslo(again) == text


def test_a_metric_source_ref_beside_a_type_needs_no_data_source(tmp_path: Path) -> None:
    # as in the OpenSLO README's ratioMetric example (type: Prometheus, metricSourceRef:
    # prometheus-datasource): apislo reads nothing of a DataSource but its type, yet one with a
    # type was refused when the DataSource was not among the files
    ref = "            metricSourceRef: prometheus-datasource\n"
    body = _slo(ROLLING_28D).replace(
        "            type: Prometheus\n", ref + "            type: Prometheus\n"
    )
    (slo,) = load(_write(tmp_path, body))
    assert (slo.source.kind, slo.source.data_source) == ("prometheus", "prometheus-datasource")
    # without a type the DataSource gives it, so it must be among the files
    path = _write(tmp_path, _slo(ROLLING_28D).replace("            type: Prometheus\n", ref))
    assert str(spec_error(path)) == (
        f"{path}: spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: no "
        "DataSource named 'prometheus-datasource'. Allowed: none loaded."
    )


_DATA_SOURCE = """
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {url: http://127.0.0.1:9090}}
"""


def _with_refs(good: str, total: str) -> str:
    """The ratio SLO of :func:`_slo`, its ``good`` and ``total`` metric sources given these
    ``metricSourceRef`` beside their ``type: Prometheus``."""
    good_part, total_part = _slo(ROLLING_28D).split("        total:\n")
    typed = "            type: Prometheus\n"
    return "        total:\n".join(
        part.replace(typed, f"            metricSourceRef: {ref}\n" + typed)
        for part, ref in ((good_part, good), (total_part, total))
    )


def test_a_misspelled_metric_source_ref_beside_a_type_warns(tmp_path: Path) -> None:
    # since a ref beside a type needs no DataSource, `porm` for the DataSource `prom` given
    # beside it loaded without a word (until 2026-11-29 it was refused as naming none)
    data_source = write_spec(tmp_path, _DATA_SOURCE, "datasource.yaml")
    path = _write(tmp_path, _with_refs("porm", "porm"))
    with pytest.warns(SpecWarning) as caught:
        (slo,) = load([path, data_source])
    assert [str(w.message) for w in caught] == [
        f"{path}: spec.indicator.spec.ratioMetric.{part}.metricSource.metricSourceRef: no "
        "DataSource named 'porm' among those given (prom): kept as a name, as a type is given "
        "beside it; check its spelling"
        for part in ("good", "total")
    ]
    assert slo.source.data_source == "porm"
    # the DataSource it names, or none given at all (an export read alone): no warning
    for paths in ([_write(tmp_path, _with_refs("prom", "prom")), data_source], [path]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            load(paths)


def test_a_total_naming_another_data_source_than_good_warns(tmp_path: Path) -> None:
    # apislo keeps one data source per SLO, good's: total's `other` was dropped without a
    # word, and an export now writes `prom` in both
    path = _write(tmp_path, _with_refs("prom", "other"))
    with pytest.warns(SpecWarning) as caught:
        (slo,) = load(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef: 'other', "
        "but good names 'prom': apislo keeps one data source per SLO, good's (an export writes "
        "it in both), and runs both queries on the one Prometheus it is given"
    ]
    assert slo.source.data_source == "prom"
