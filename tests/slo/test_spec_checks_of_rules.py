"""What `apislo slo rules` would refuse about a spec, loading (`slo validate`) refuses first, naming
the file and the spec's own field.

Two objectives with one label used to pass `slo validate`; `slo rules` then said
``<specs>: name: two SLO objectives share the id ...``. Alert label names that are not Prometheus
label names (``bad-name``, Sloth's ``0bad``) passed too, and the Sloth error named
``alerting.page_labels.0bad`` instead of the spec's ``page_alert.labels``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import SpecError
from apislo.slo import load
from apislo.slo.loader import SpecWarning
from apislo.slo.rules import rules_yaml
from apislo.slo.spec import SLI, SLO, Objective, TimeWindow
from tests.slo import spec_error, write_spec

LABEL_RULE = "letters, digits and _, not starting with a digit (team_name)"
NOT_A_LABEL = "is not a Prometheus label name, so it cannot go into the SLO's rules"


def _apislo(objectives: str = "[{target: 0.99}]", extra: str = "") -> str:
    return (
        "version: apislo/v1\nservice: s\nslos:\n  - name: a\n    api: checkout\n"
        f"    objectives: {objectives}\n    window: 30d\n{extra}"
    )


# --- two objectives with one id ----------------------------------------------------------------


def test_cli_validate_refuses_two_objectives_with_one_target(tmp_path: Path) -> None:
    path = write_spec(tmp_path, _apislo("[{target: 0.99}, {target: 0.99}]"))
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: slos[0].objectives[1]: its label '99%' is also that of "
        "slos[0].objectives[0] (an objective without a name is labelled by its target), so "
        "both would get one apislo_id. Allowed: a distinct name per objective (name: fast), or "
        "distinct targets.\n"
    )
    rules = CliRunner().invoke(main, ["slo", "rules", str(path)])
    assert (rules.exit_code, rules.stderr) == (1, result.stderr)


@pytest.mark.parametrize(
    ("objectives", "label"),
    [
        ("[{name: fast, target: 0.99}, {name: fast, target: 0.95}]", "fast"),
        # 99.000000000001 % is written 99 % by the label's 12 significant digits (until
        # 2026-11-29 it kept 6, and 99.0000001 % was 99 % too)
        ("[{target: 0.99}, {target: 0.95}, {target: 0.99000000000001}]", "99%"),
    ],
)
def test_objectives_sharing_a_label_are_refused(
    tmp_path: Path, objectives: str, label: str
) -> None:
    err = spec_error(write_spec(tmp_path, _apislo(objectives)))
    assert err.field == f"slos[0].objectives[{objectives.count('target') - 1}]"
    assert err.problem.startswith(f"its label {label!r} is also that of slos[0].objectives[0]")


def test_distinct_names_for_one_target_load(tmp_path: Path) -> None:
    (slo,) = load(
        write_spec(tmp_path, _apislo("[{name: a, target: 0.99}, {name: b, target: 0.99}]"))
    )
    assert [o.label for o in slo.objectives] == ["a", "b"]


def test_openslo_objectives_sharing_a_label_are_refused(tmp_path: Path) -> None:
    body = """
    apiVersion: openslo/v1
    kind: SLO
    metadata: {name: web}
    spec:
      service: shop
      indicator:
        metadata: {name: web-sli}
        spec:
          thresholdMetric:
            metricSource: {type: apislo, spec: {kind: latency, api: checkout}}
      timeWindow: [{duration: 28d, isRolling: true}]
      budgetingMethod: Occurrences
      objectives:
        - {target: 0.99, op: lte, value: 0.3}
        - {target: 0.99, op: lte, value: 1}
    """
    err = spec_error(write_spec(tmp_path, body, "openslo.yaml"))
    assert err.field == "spec.objectives[1]"
    assert err.problem.startswith("its label '99%' is also that of spec.objectives[0]")


def test_slos_whose_service_and_name_run_together_are_refused(tmp_path: Path) -> None:
    """shop-eu + api and shop + eu-api both give the id shop-eu-api-99%."""
    first = write_spec(tmp_path, _apislo().replace("service: s", "service: shop-eu").replace(
        "name: a", "name: api"), "a.yaml")  # fmt: skip
    second = write_spec(tmp_path, _apislo().replace("service: s", "service: shop").replace(
        "name: a", "name: eu-api"), "b.yaml")  # fmt: skip
    err = spec_error(tmp_path)
    assert (err.path, err.field) == (f"{second} (apislo/v1)", "name")
    assert err.problem == (
        "SLO 'eu-api' of service 'shop' gives its objective '99%' the apislo_id "
        f"'shop-eu-api-99%', as SLO 'api' of service 'shop-eu' in {first} (apislo/v1) does"
    )


def test_rules_name_the_slo_and_objective_of_a_python_built_slo() -> None:
    window = TimeWindow.rolling_window(timedelta(days=30))
    objectives = (Objective(0.99), Objective(0.99))
    slo = SLO("a", "s", SLI(), objectives, window, origin="mine.yaml (apislo/v1)")
    with pytest.raises(SpecError) as info:
        rules_yaml([slo])
    assert str(info.value) == (
        "mine.yaml (apislo/v1): objectives[1]: its label '99%' is also that of objectives[0] "
        "(an objective without a name is labelled by its target), so both would get the "
        "apislo_id 's-a-99%'. Allowed: a distinct name per objective, or distinct targets."
    )


# --- label and annotation names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("    alerting: {page_labels: {bad-name: x}}\n", "slos[0].alerting.page_labels.bad-name"),
        ("    alerting: {ticket_labels: {0bad: x}}\n", "slos[0].alerting.ticket_labels.0bad"),
        # promtool refuses an annotation name that is not a label name
        ("    alerting: {annotations: {runbook-url: x}}\n",
         "slos[0].alerting.annotations.runbook-url"),
        ("    labels: {team-name: x}\n", "slos[0].labels.team-name"),
        ("    source: {labels: {k8s-ns: x}}\n", "slos[0].source.labels.k8s-ns"),
    ],
)  # fmt: skip
def test_apislo_label_names_are_checked_at_load(tmp_path: Path, extra: str, field: str) -> None:
    path = write_spec(tmp_path, _apislo(extra=extra))
    err = spec_error(path)
    assert str(err) == f"{path}: {field}: {NOT_A_LABEL}. Allowed: {LABEL_RULE}."


def test_file_wide_labels_are_checked_at_load(tmp_path: Path) -> None:
    path = write_spec(tmp_path, _apislo().replace("service: s\n", "service: s\nlabels: {9x: y}\n"))
    assert spec_error(path).field == "labels.9x"


SLOTH = """
version: prometheus/v1
service: shop
slos:
  - name: ab
    objective: 99
    sli:
      events:
        error_query: sum(rate(x{code="500"}[{{.window}}]))
        total_query: sum(rate(x[{{.window}}]))
    alerting:
      name: A
      ALERTING
"""


@pytest.mark.parametrize(
    ("alerting", "field"),
    [
        ("page_alert: {labels: {0bad: x}}", "slos[0].alerting.page_alert.labels.0bad"),
        ("ticket_alert: {labels: {0bad: x}}", "slos[0].alerting.ticket_alert.labels.0bad"),
        ("labels: {bad-name: x}", "slos[0].alerting.labels.bad-name"),
        ("annotations: {bad-name: x}", "slos[0].alerting.annotations.bad-name"),
        ("page_alert: {annotations: {bad-name: x}}",
         "slos[0].alerting.page_alert.annotations.bad-name"),
    ],
)  # fmt: skip
def test_sloth_label_names_name_the_sloth_field(tmp_path: Path, alerting: str, field: str) -> None:
    path = write_spec(tmp_path, SLOTH.replace("ALERTING", alerting), "sloth.yaml")
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {field}: {NOT_A_LABEL}. Allowed: {LABEL_RULE}.\n"


_V1ALPHA = """
    apiVersion: openslo/v1alpha
    kind: SLO
    metadata: {name: web, labels: LABELS}
    spec:
      service: shop
      indicator: {thresholdMetric: {source: prometheus, queryType: promql, query: x}}
      timeWindows: [{unit: Day, count: 28, isRolling: true}]
      budgetingMethod: Occurrences
      objectives: [{target: 0.99, op: lte, value: 0.3}]
    """


def test_kubernetes_style_openslo_labels_become_prometheus_label_names(tmp_path: Path) -> None:
    """OpenSLO objects are labelled as Kubernetes objects are: each character other than a
    letter, digit or _ becomes _ (as Prometheus names Kubernetes labels), _ goes before a
    leading digit, with a warning per name changed."""
    labels = '{"app.kubernetes.io/name": shop, 9lives: x, team: a}'
    path = write_spec(tmp_path, _V1ALPHA.replace("LABELS", labels), "v1alpha.yaml")
    with pytest.warns(SpecWarning) as caught:
        (slo,) = load(path)
    assert slo.labels == (("_9lives", "x"), ("app_kubernetes_io_name", "shop"), ("team", "a"))
    assert sorted(str(w.message) for w in caught) == [
        f"{path}: metadata.labels.9lives: written as _9lives in Prometheus rules",
        f"{path}: metadata.labels.app.kubernetes.io/name: written as app_kubernetes_io_name in "
        "Prometheus rules",
    ]


def test_openslo_labels_that_become_one_name_are_refused(tmp_path: Path) -> None:
    path = write_spec(tmp_path, _V1ALPHA.replace("LABELS", "{a.b: x, a_b: y}"), "v1alpha.yaml")
    with pytest.warns(SpecWarning, match="a.b: written as a_b"):
        assert spec_error(path).field == "metadata.labels.a_b"


def test_every_example_still_validates() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "slo"
    result = CliRunner().invoke(main, ["slo", "validate", str(examples)])
    assert result.exit_code == 0, result.output
