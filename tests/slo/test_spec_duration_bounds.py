"""Durations in specs are bounded: at most 1830 days (five years of 366 days), positive.

A window of ``99999999d`` used to load, then ``slo compute`` failed with a pandas traceback and
``slo rules`` wrote ``[99999999d]``, which promtool refuses ("duration out of range": Prometheus
durations end at 106,751 days). Every duration a spec gives (window, calendar period, slice,
alert window, in apislo, OpenSLO v1 and v1alpha) is now checked when it is loaded.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apislo.cli import main
from apislo.slo import load
from apislo.slo.rules import rules_yaml
from tests.conftest import require_binary
from tests.slo import spec_error, write_spec

APISLO = """
version: apislo/v1
service: s
slos:
  - name: a
    api: checkout
    objectives: [{target: 0.99}]
"""


_write = partial(write_spec, name="t17.yaml")


def test_the_bound_is_five_years_of_366_days() -> None:
    from apislo.slo.spec import MAX_DURATION

    assert timedelta(days=1830) == MAX_DURATION


@pytest.mark.parametrize(
    ("window", "field", "message"),
    [
        # the QA report's spec
        ("99999999d", "slos[0].window", "99999999d is longer than 1830d"),
        ("1831d", "slos[0].window", "1831d is longer than 1830d"),
        # too large for a timedelta at all: was an OverflowError traceback
        ("99999999999d", "slos[0].window", "'99999999999d' is longer than 1830d"),
        ("{rolling: 262w}", "slos[0].window.rolling", "1834d is longer than 1830d"),
    ],
)
def test_a_rolling_window_longer_than_1830_days_is_refused(
    tmp_path: Path, window: str, field: str, message: str
) -> None:
    path = _write(tmp_path, APISLO + f"    window: {window}\n")
    err = spec_error(path)
    assert (err.path, err.field) == (str(path), field)
    assert str(err) == (
        f"{path}: {field}: {message}. "
        "Allowed: a duration such as 30d, 6h, 5m, at most 1830d (5 years)."
    )


def test_a_window_of_exactly_1830_days_loads(tmp_path: Path) -> None:
    (slo,) = load(_write(tmp_path, APISLO + "    window: 1830d\n"))
    assert slo.window.period == timedelta(days=1830)


@pytest.mark.parametrize(
    ("unit", "count", "most"),
    [("day", 1831, 1830), ("week", 262, 261), ("month", 62, 61), ("quarter", 21, 20),
     ("year", 6, 5)],
)  # fmt: skip
def test_a_calendar_period_longer_than_1830_days_is_refused(
    tmp_path: Path, unit: str, count: int, most: int
) -> None:
    """Nominal unit lengths (month 30 d, quarter 91 d, year 365 d): 1830 // length units fit."""
    body = APISLO + f"    window: {{calendar: {unit}, count: {count}}}\n"
    err = spec_error(_write(tmp_path, body))
    assert err.field == "slos[0].window.count"
    assert err.problem == f"{count} {unit}s make a period longer than 1830d"
    assert err.allowed == f"at most {most} {unit}s (a period of at most 1830d, 5 years)"
    (slo,) = load(_write(tmp_path, APISLO + f"    window: {{calendar: {unit}, count: {most}}}\n"))
    assert slo.window.count == most


def test_a_huge_calendar_count_is_refused_not_overflowed(tmp_path: Path) -> None:
    """30 x 99,999,999,999 days does not fit a timedelta (at most 999,999,999 days)."""
    body = APISLO + "    window: {calendar: month, count: 99999999999}\n"
    err = spec_error(_write(tmp_path, body))
    assert err.field == "slos[0].window.count"
    assert err.problem == "99999999999 months make a period longer than 1830d"


def test_a_slice_length_too_large_for_a_timedelta_is_refused(tmp_path: Path) -> None:
    body = APISLO.replace(
        "objectives: [{target: 0.99}]",
        "objectives: [{target: 0.99, timeslice_window: 99999999999d}]\n"
        "    budgeting_method: RatioTimeslices",
    )
    err = spec_error(_write(tmp_path, body))
    assert err.field == "slos[0].objectives[0].timeslice_window"
    assert err.problem == "'99999999999d' is longer than 1830d"


@pytest.mark.parametrize(
    ("tier", "field", "problem"),
    [
        ("{severity: page, long_window: 99999999d, short_window: 5m, factor: 14.4}",
         "slos[0].alerting.tiers[0].long_window", "99999999d is longer than 1830d"),
        ("{severity: page, long_window: 1h, short_window: 0m, factor: 14.4}",
         "slos[0].alerting.tiers[0].short_window", "must be positive"),
    ],
)  # fmt: skip
def test_alert_windows_are_bounded_too(tmp_path: Path, tier: str, field: str, problem: str) -> None:
    body = APISLO + f"    window: 30d\n    alerting:\n      tiers: [{tier}]\n"
    err = spec_error(_write(tmp_path, body))
    assert (err.field, err.problem) == (field, problem)
    assert err.allowed == "a duration such as 30d, 6h, 5m, at most 1830d (5 years)"


OPENSLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: web}
spec:
  service: shop
  indicator:
    metadata: {name: web-sli}
    spec:
      thresholdMetric:
        metricSource:
          type: apislo
          spec: {kind: latency, api: checkout}
  timeWindow:
    - WINDOW
  budgetingMethod: METHOD
  objectives:
    - OBJECTIVE
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: c}
            spec:
              severity: page
              condition: {kind: burnrate, threshold: 14.4, lookbackWindow: LOOKBACK}
"""
CONDITION = "spec.alertPolicies[0].spec.conditions[0].spec.condition"


def _openslo(tmp_path: Path, **fields: str) -> Path:
    values = {
        "WINDOW": "{duration: 28d, isRolling: true}",
        "METHOD": "Occurrences",
        "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3}",
        "LOOKBACK": "1h",
        **fields,
    }
    body = OPENSLO
    for key, value in values.items():
        body = body.replace(key, value)
    return write_spec(tmp_path, body, "openslo.yaml")


@pytest.mark.parametrize(
    ("fields", "field", "problem", "allowed"),
    [
        ({"WINDOW": "{duration: 99999999d, isRolling: true}"}, "spec.timeWindow[0].duration",
         "99999999d is longer than 1830d", "e.g. 28d, 4w (at most 1830d)"),
        ({"WINDOW": "{duration: 99999999999999999999d, isRolling: true}"},
         "spec.timeWindow[0].duration", "99999999999999999999d is longer than 1830d",
         "e.g. 28d, 4w (at most 1830d)"),
        ({"WINDOW": "{duration: 62M, calendar: {timeZone: UTC}}"}, "spec.timeWindow[0].duration",
         "62 months make a period longer than 1830d",
         "at most 61 months (a period of at most 1830d, 5 years)"),
        ({"LOOKBACK": "99999999d"}, f"{CONDITION}.lookbackWindow",
         "99999999d is longer than 1830d", "1h, 6h (at most 1830d)"),
        ({"METHOD": "RatioTimeslices",
          "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3, timeSliceWindow: .inf}"},
         "spec.objectives[0].timeSliceWindow", "inf is not a fixed duration",
         "1m, 5m, or a number of minutes > 0"),
        ({"METHOD": "RatioTimeslices",
          "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3, timeSliceWindow: .nan}"},
         "spec.objectives[0].timeSliceWindow", "nan is not a fixed duration",
         "1m, 5m, or a number of minutes > 0"),
        ({"METHOD": "RatioTimeslices",
          "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3, timeSliceWindow: -5}"},
         "spec.objectives[0].timeSliceWindow", "must be positive",
         "1m, 5m, or a number of minutes > 0"),
        # a bare number is minutes: 3,000,000 minutes = 2083 d 8 h
        ({"METHOD": "RatioTimeslices",
          "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3, timeSliceWindow: 3000000}"},
         "spec.objectives[0].timeSliceWindow", "2083d8h is longer than 1830d",
         "1m, 5m, or a number of minutes > 0"),
        # ... and 0.0001 minutes more is 6 ms: not a whole number of seconds
        ({"METHOD": "RatioTimeslices",
          "OBJECTIVE": "{target: 0.99, op: lte, value: 0.3, timeSliceWindow: 3000000.0001}"},
         "spec.objectives[0].timeSliceWindow", "2083 days, 8:00:00.006000 is longer than 1830d",
         "1m, 5m, or a number of minutes > 0"),
    ],
)  # fmt: skip
def test_openslo_v1_durations_are_bounded(
    tmp_path: Path, fields: dict[str, str], field: str, problem: str, allowed: str
) -> None:
    err = spec_error(_openslo(tmp_path, **fields))
    assert (err.field, err.problem, err.allowed) == (field, problem, allowed)


def test_openslo_v1_within_the_bound_loads(tmp_path: Path) -> None:
    (slo,) = load(_openslo(tmp_path, WINDOW="{duration: 61M, calendar: {timeZone: UTC}}"))
    assert (slo.window.unit, slo.window.count) == ("month", 61)


V1ALPHA = """
apiVersion: openslo/v1alpha
kind: SLO
metadata: {name: web}
spec:
  service: shop
  indicator: {thresholdMetric: {source: prometheus, queryType: promql, query: x}}
  timeWindows: [WINDOW]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99, op: lte, value: 0.3}]
"""


@pytest.mark.parametrize(
    ("window", "problem", "allowed"),
    [
        ("{unit: Day, count: 99999999, isRolling: true}", "99999999d is longer than 1830d",
         "a window of at most 1830d (5 years)"),
        ("{unit: Day, count: 99999999999, isRolling: true}",
         "99999999999d is longer than 1830d", "a window of at most 1830d (5 years)"),
        ("{unit: Year, count: 6, calendar: {timeZone: UTC}}", "6 years make a period longer "
         "than 1830d", "at most 5 years (a period of at most 1830d, 5 years)"),
    ],
)  # fmt: skip
def test_openslo_v1alpha_windows_are_bounded(
    tmp_path: Path, window: str, problem: str, allowed: str
) -> None:
    err = spec_error(write_spec(tmp_path, V1ALPHA.replace("WINDOW", window), "v1alpha.yaml"))
    assert (err.field, err.problem, err.allowed) == ("spec.timeWindows[0].count", problem, allowed)


def test_cli_validate_and_rules_refuse_the_reported_spec(tmp_path: Path) -> None:
    spec = _write(tmp_path, APISLO + "    window: 99999999d\n")
    expected = (
        f"error: {spec}: slos[0].window: 99999999d is longer than 1830d. "
        "Allowed: a duration such as 30d, 6h, 5m, at most 1830d (5 years).\n"
    )
    validate = CliRunner().invoke(main, ["slo", "validate", str(spec)])
    assert (validate.exit_code, validate.stderr) == (1, expected)
    out = tmp_path / "r.yaml"
    rules = CliRunner().invoke(main, ["slo", "rules", str(spec), "--out", str(out)])
    assert (rules.exit_code, rules.stderr) == (1, expected)
    assert not out.exists()


def test_rules_for_the_longest_window_pass_promtool(tmp_path: Path) -> None:
    """The bound is well inside what Prometheus parses: a 1830d window's rules check."""
    promtool = require_binary("promtool")
    slos = load(_write(tmp_path, APISLO + "    window: 1830d\n"))
    out = tmp_path / "r.yaml"
    out.write_text(rules_yaml(slos), encoding="utf-8")
    rules = yaml.safe_load(out.read_text())["groups"][0]["rules"]
    records = [r["record"] for r in rules if "record" in r]
    assert "apislo:slo_error_ratio:rate1830d" in records
    checked = subprocess.run(
        [promtool, "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
