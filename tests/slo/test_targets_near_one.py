"""Targets next to 1: one that leaves no error budget is refused in every format, and one with
many nines keeps all of them in its label, the rules and `slo validate`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.slo import load
from apislo.slo.rules import rules_yaml
from tests.slo import spec_error, write_spec

APISLO = """
version: apislo/v1
service: shop
slos:
  - name: a
    api: checkout
    objectives: [{target: TARGET}]
"""
SLOTH = """
version: prometheus/v1
service: shop
slos:
  - name: avail
    objective: TARGET
    sli:
      events:
        error_query: sum(rate(x{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(x[{{.window}}]))
"""
OPENSLO = """
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: shop
  indicator:
    metadata: {name: a-sli}
    spec:
      ratioMetric:
        counter: true
        good: {metricSource: {type: Prometheus, spec: {query: "sum(rate(g[{{.window}}]))"}}}
        total: {metricSource: {type: Prometheus, spec: {query: "sum(rate(t[{{.window}}]))"}}}
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{targetPercent: TARGET}]
"""


@pytest.mark.parametrize(
    ("body", "target", "field"),
    [
        # 1 - 0.9999999999999 is 1e-13: 0 at the 12 decimals the maths keeps, a budget of 0
        # events. It loaded, `slo compute` stopped with ZeroDivisionError and the rules'
        # alerts fired on any error (threshold 14.4 x 0.0) until 2026-11-29.
        (APISLO, "0.9999999999999", "slos[0].objectives[0].target"),
        (SLOTH, "99.99999999999", "slos[0].objective"),
        (OPENSLO, "99.99999999999", "spec.objectives[0].targetPercent"),
    ],
)
def test_a_target_that_leaves_no_budget_is_refused(
    tmp_path: Path, body: str, target: str, field: str
) -> None:
    error = spec_error(write_spec(tmp_path, body.replace("TARGET", target)))
    assert error.field == field
    assert error.problem == f"{target} leaves no error budget (1 - target rounds to 0)"


def test_seven_nines_keep_their_digits(tmp_path: Path) -> None:
    # 0.9999999 is 99.99999 %: its label was "100%" (six significant digits), in apislo_id
    # and apislo_objective, and `slo validate` showed [1] until 2026-11-29.
    path = write_spec(tmp_path, APISLO.replace("TARGET", "0.9999999"))
    (slo,) = load(path)
    assert slo.objectives[0].label == "99.99999%"
    text = rules_yaml([slo])
    assert "apislo_id: shop-a-99.99999%" in text
    assert "100%" not in text
    assert "(objective 0.9999999, 30d window)" in text
    out = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert "[0.9999999]" in out.output


def test_six_nines_are_still_allowed(tmp_path: Path) -> None:
    # 1 - 0.999999999999 (twelve nines) is 1e-12: a budget, if a small one.
    (slo,) = load(write_spec(tmp_path, APISLO.replace("TARGET", "0.999999999999")))
    assert slo.objectives[0].target == 0.999999999999
