"""Numbers in specs must be finite: YAML's ``.inf`` and ``.nan`` are refused where they are read.

``threshold_s: .inf`` used to load (with a warning "inf s: is this milliseconds?"), then
``slo rules`` wrote ``le="inf"``, which never matches Prometheus's ``+Inf`` bucket, and
``slo compute`` stopped with an error naming neither the file nor the field.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import SpecError
from apislo.slo import load
from tests.slo import write_spec

LATENCY = """
version: apislo/v1
service: s
slos:
  - name: a
    api: checkout
    sli: {kind: latency, threshold_s: THRESHOLD}
    objectives: [{target: TARGET}]
    window: 30d
"""
SECONDS = "seconds, > 0 (0.3 for 300 ms)"
FRACTION = "0 < target < 1 (a fraction: 0.999 for 99.9 %)"


def _latency(tmp_path: Path, threshold: str = "0.3", target: str = "0.99") -> Path:
    body = LATENCY.replace("THRESHOLD", threshold).replace("TARGET", target)
    return write_spec(tmp_path, body)


@pytest.mark.parametrize(
    ("threshold", "problem"),
    [
        (".inf", "inf is not a finite number"),
        ("-.inf", "-inf is not a finite number"),
        (".nan", "nan is not a finite number"),
        ("0", "0 is out of range"),
        ("-0.3", "-0.3 is out of range"),
    ],
)
def test_a_threshold_must_be_finite_and_positive(
    tmp_path: Path, threshold: str, problem: str
) -> None:
    path = _latency(tmp_path, threshold=threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "is this milliseconds?" warning first
        with pytest.raises(SpecError) as info:
            load(path)
    assert str(info.value) == f"{path}: slos[0].sli.threshold_s: {problem}. Allowed: {SECONDS}."


def test_an_objective_threshold_must_be_finite(tmp_path: Path) -> None:
    body = LATENCY.replace("{target: TARGET}", "{target: 0.99, threshold_s: .inf}")
    with pytest.raises(SpecError) as info:
        load(write_spec(tmp_path, body.replace("THRESHOLD", "0.3")))
    assert info.value.field == "slos[0].objectives[0].threshold_s"
    assert (info.value.problem, info.value.allowed) == (
        "inf is not a finite number",
        "seconds, > 0",
    )


@pytest.mark.parametrize(("target", "problem"), [(".nan", "nan"), (".inf", "inf")])
def test_a_target_must_be_finite(tmp_path: Path, target: str, problem: str) -> None:
    path = _latency(tmp_path, target=target)
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: slos[0].objectives[0].target: {problem} is not a finite number. "
        f"Allowed: {FRACTION}."
    )


def test_a_sloth_objective_must_be_finite(tmp_path: Path) -> None:
    body = """
    version: prometheus/v1
    service: shop
    slos:
      - name: ab
        objective: .inf
        sli:
          events:
            error_query: sum(rate(x{code="500"}[{{.window}}]))
            total_query: sum(rate(x[{{.window}}]))
    """
    with pytest.raises(SpecError) as info:
        load(write_spec(tmp_path, body, "sloth.yaml"))
    assert (info.value.field, info.value.problem) == (
        "slos[0].objective",
        "inf is not a finite number",
    )


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
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.99, op: lte, value: VALUE}]
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: p}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: c}
            spec:
              severity: page
              condition: {kind: burnrate, threshold: FACTOR, lookbackWindow: 1h}
"""


@pytest.mark.parametrize(
    ("value", "factor", "field", "allowed"),
    [
        (".inf", "14.4", "spec.objectives[0].value", "seconds, > 0"),
        ("0.3", ".inf", "spec.alertPolicies[0].spec.conditions[0].spec.condition"
         ".threshold", "a burn rate > 0"),
    ],
)  # fmt: skip
def test_openslo_numbers_must_be_finite(
    tmp_path: Path, value: str, factor: str, field: str, allowed: str
) -> None:
    body = OPENSLO.replace("VALUE", value).replace("FACTOR", factor)
    with pytest.raises(SpecError) as info:
        load(write_spec(tmp_path, body, "openslo.yaml"))
    assert (info.value.field, info.value.problem, info.value.allowed) == (
        field,
        "inf is not a finite number",
        allowed,
    )


def test_cli_validate_refuses_an_infinite_threshold_without_the_milliseconds_warning(
    tmp_path: Path,
) -> None:
    path = _latency(tmp_path, threshold=".inf")
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: slos[0].sli.threshold_s: inf is not a finite number. Allowed: {SECONDS}.\n"
    )
