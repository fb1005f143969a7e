"""OpenSLO v1 and v1alpha import (spec: github.com/OpenSLO/OpenSLO README)."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from apislo.errors import SpecError
from apislo.slo import load
from apislo.slo.loader import SpecWarning
from apislo.slo.policy import policy_for
from apislo.slo.spec import TimeWindow


def _write(tmp_path: Path, body: str, name: str = "openslo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


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
    shared = _write(
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
    slo_file = _write(
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
    assert slo.source.kind == "logs"


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
