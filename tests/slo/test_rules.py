"""Prometheus rules: promtool checks them, runs their generated unit tests, and agrees with the
Python alert engine minute by minute on the same series."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from apislo.cli.slo_alerts import rules as rules_command
from apislo.errors import ConfigError, SpecError
from apislo.slo import rules
from apislo.slo.alerts import alert_history, alert_name
from apislo.slo.loader import load
from apislo.slo.policy import policy_for, prom_duration
from apislo.slo.spec import SLI, SLO, Alerting, Objective, SourceHints, TimeWindow
from apislo.sources.prometheus.profiles import load_profile
from tests.conftest import ROOT, require_binary

EXAMPLES = ROOT / "examples" / "slo"
INJECTION = 'a"} or vector(1) #'
#: promtool comes with Debian's prometheus package.
needs_promtool = pytest.mark.prometheus


def _promtool(*args: str | Path) -> subprocess.CompletedProcess:
    promtool = require_binary("promtool")
    return subprocess.run(
        [promtool, *map(str, args)], capture_output=True, text=True, timeout=600, check=False
    )


def _slo(**kwargs) -> SLO:
    base = {
        "name": "checkout-availability",
        "service": "shop",
        "sli": SLI(),
        "objectives": (Objective(0.999),),
        "window": TimeWindow.rolling_window(timedelta(days=30)),
        "api": "checkout",
    }
    return SLO(**{**base, **kwargs})


#: A short custom policy so promtool evaluates minutes, not days, of synthetic series.
SHORT = Alerting(
    tiers=(
        {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 14.4},
        {"severity": "ticket", "long_window": "2h", "short_window": "10m", "factor": 3},
    ),
    annotations=(("runbook_url", "https://runbooks.example/checkout"),),
)


def _held(*alert_after: str) -> Alerting:
    """SHORT with each tier held back (`for:`) for the given durations, in tier order."""
    tiers = zip(SHORT.tiers, alert_after, strict=True)
    return Alerting(
        tiers=tuple({**tier, "alert_after": after} for tier, after in tiers),
        annotations=SHORT.annotations,
    )


#: SHORT held back 3 and 7 minutes: 3 and 7 evaluations a minute apart.
SHORT_HELD = _held("3m", "7m")
#: SHORT held back 90 s and 150 s, between evaluations a minute apart: 2 and 3 of them.
SHORT_HELD_SECONDS = _held("90s", "150s")


def _example_slos() -> list[SLO]:
    slos = load([EXAMPLES / "shop.yaml", EXAMPLES / "sloth.yaml", EXAMPLES / "openslo-v1.yaml"])
    return [s for s in slos if rules.unsupported(s) is None]


@needs_promtool
def test_example_specs_pass_promtool_check(tmp_path: Path) -> None:
    slos = _example_slos()
    assert len(slos) >= 4
    path = tmp_path / "rules.yaml"
    path.write_text(rules.rules_yaml(slos))
    result = _promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_prometheus_operator_format(tmp_path: Path) -> None:
    doc = yaml.safe_load(rules.rules_yaml(_example_slos(), "prometheus-operator", "Shop SLOs!"))
    assert (doc["apiVersion"], doc["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert doc["metadata"]["name"] == "shop-slos"
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}))
    assert _promtool("check", "rules", path).returncode == 0
    with pytest.raises(ConfigError, match="unknown rules format"):
        rules.rules_document(_example_slos(), "thanos")


@needs_promtool
def test_untrusted_labels_stay_values(tmp_path: Path) -> None:
    slo = _slo(
        api=INJECTION,
        description="Checkout {{ $value }} stays literal",
        labels=(("team", 'o"k\nnext'),),
        alerting=SHORT,
    )
    text = rules.rules_yaml([slo])
    doc = yaml.safe_load(text)
    record = doc["groups"][0]["rules"][0]
    # The API name is a quoted, escaped label value: the quote and brace cannot end the matcher.
    assert 'api="a\\"} or vector(1) #"' in record["expr"]
    assert record["labels"]["team"] == 'o"k\nnext'
    alert = next(r for r in doc["groups"][0]["rules"] if "alert" in r)
    assert '{{"{{"}} $value {{"}}"}}' in alert["annotations"]["description"]
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    assert _promtool("check", "rules", path).returncode == 0


#: Go templates Prometheus would run if they reached an alert label unescaped.
PRINTF = '{{ 6 | printf "%d" }}'
QUERY = '{{ with query "count(http_requests_total)" }}{{ . | first | value }}{{ end }}'


def _template_spec(tmp_path: Path) -> Path:
    """An apislo spec whose service, page labels and ticket labels hold Go templates."""
    specs = tmp_path / "slos.yaml"
    specs.write_text(
        yaml.safe_dump(
            {
                "version": "apislo/v1",
                "service": f"svc{PRINTF}",
                "slos": [
                    {
                        "name": "checkout-availability",
                        "api": "checkout",
                        "sli": {"kind": "availability"},
                        "objectives": [{"target": 0.999}],
                        "window": "30d",
                        "alerting": {
                            "tiers": [dict(t) for t in SHORT.tiers],
                            "page_labels": {"team": f"pager{PRINTF}"},
                            "ticket_labels": {"owner": QUERY},
                        },
                    }
                ],
            }
        )
    )
    return specs


@pytest.mark.filterwarnings("ignore:.*is not a name as OpenSLO's Service names are")
def test_alert_label_templates_are_escaped(tmp_path: Path) -> None:
    # Prometheus expands templates in alerting-rule labels (not in recording-rule labels): spec
    # values must reach alert labels escaped, and recording labels and test expectations literal.
    slos = load([_template_spec(tmp_path)])
    doc = yaml.safe_load(rules.rules_yaml(slos))
    group = doc["groups"][0]["rules"]
    slo_id = f"svc{PRINTF}-checkout-availability-99.9%"
    escaped_id = 'svc{{"{{"}} 6 | printf "%d" {{"}}"}}-checkout-availability-99.9%'
    page, ticket = (r for r in group if "alert" in r)
    assert page["labels"]["team"] == 'pager{{"{{"}} 6 | printf "%d" {{"}}"}}'
    assert page["labels"]["apislo_id"] == escaped_id
    assert ticket["labels"]["owner"] == (
        '{{"{{"}} with query "count(http_requests_total)" {{"}}"}}'
        '{{"{{"}} . | first | value {{"}}"}}{{"{{"}} end {{"}}"}}'
    )
    assert ticket["labels"]["apislo_id"] == escaped_id
    for record in (r for r in group if "record" in r):
        assert record["labels"]["apislo_id"] == slo_id
        assert record["labels"]["apislo_service"] == f"svc{PRINTF}"
    tests = rules.promtool_tests_document(slos, "rules.yaml")
    expected = [
        alert["exp_labels"]
        for test in tests["tests"]
        for check in test["alert_rule_test"]
        for alert in check["exp_alerts"]
    ]
    assert [e["apislo_id"] for e in expected] == [slo_id, slo_id]
    assert (expected[0]["team"], expected[1]["owner"]) == (f"pager{PRINTF}", QUERY)


@needs_promtool
def test_promtool_sees_alert_label_templates_as_text(tmp_path: Path) -> None:
    # Unescaped, Prometheus gives owner="2" (the query's result) and apislo_id="svc6-...".
    out, tests = tmp_path / "rules.yaml", tmp_path / "tests.yaml"
    result = CliRunner().invoke(
        rules_command, [str(_template_spec(tmp_path)), "--out", str(out), "--tests", str(tests)]
    )
    assert result.exit_code == 0, result.output
    checked = _promtool("check", "rules", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", tests)
    assert tested.returncode == 0, tested.stdout + tested.stderr


@needs_promtool
def test_braces_before_closing_delimiters_stay_text(tmp_path: Path) -> None:
    # A "{" right before "}}" (JSON such as {"items":{}}) was escaped to {"items":{{{"}}"}}, whose
    # "{{{" opens an action: promtool refused the whole file ('unexpected "{" in command').
    body = '{"items":{}}'
    slo = _slo(
        description=f"Returns {body} when empty.",
        alerting=Alerting(tiers=SHORT.tiers, page_labels=(("shape", body),)),
    )
    doc = yaml.safe_load(rules.rules_yaml([slo]))
    page = next(r for r in doc["groups"][0]["rules"] if "alert" in r)
    assert page["labels"]["shape"] == '{"items":{{"{}}"}}'
    out = tmp_path / "rules.yaml"
    out.write_text(rules.rules_yaml([slo]))
    checked = _promtool("check", "rules", out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # Prometheus expands them back to the spec's text: the tests expect it literally.
    tests = rules.promtool_tests_document([slo], "rules.yaml")
    firing = tests["tests"][0]["alert_rule_test"][1]["exp_alerts"][0]
    assert firing["exp_labels"]["shape"] == body
    assert firing["exp_annotations"]["description"].endswith(f"Returns {body} when empty.")
    tests["tests"] = tests["tests"][:1]
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    tested = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


@needs_promtool
def test_ratios_are_event_weighted(tmp_path: Path) -> None:
    # 30 min at 100 req/min with 10 % errors, then 30 min at 1000 req/min without errors. The
    # event-weighted 1h ratio is 300 / 33,000 = 1/110; an average of the twelve 5m ratios
    # would be (6 x 0.1 + 6 x 0) / 12 = 0.05.
    slo = _slo(alerting=SHORT)
    expr = rules.error_ratio_expr(slo, slo.objectives[0], "30d")
    assert "sum(increase(" in expr and "[30d]" in expr and "avg_over_time" not in expr
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    bad = [10 * min(m, 30) for m in range(61)]
    total = [100 * m if m <= 30 else 3000 + 1000 * (m - 30) for m in range(61)]
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": rules.synthetic_series(
                    slo, slo.objectives[0], [str(v) for v in bad], [str(v) for v in total]
                ),
                "promql_expr_test": [
                    {
                        "expr": 'apislo:slo_error_ratio:rate1h{apislo_slo="checkout-availability"}',
                        "eval_time": "1h",
                        "exp_samples": [
                            {
                                "labels": _series_labels(slo, "1h"),
                                "value": 300 / 33000,
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    result = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def _series_labels(slo: SLO, window: str) -> str:
    labels = rules.record_labels(slo, slo.objectives[0], window)
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{rules.RATIO_RECORD}{window}{{{body}}}"


@needs_promtool
def test_generated_promtool_tests_pass_for_the_workbook_policy(tmp_path: Path) -> None:
    # The default 30-day Workbook policy (windows up to 3 days) and a Pyrra latency SLO, through
    # the CLI, as a user runs it.
    specs = tmp_path / "slos.yaml"
    specs.write_text(
        yaml.safe_dump(
            {
                "version": "apislo/v1",
                "service": "shop",
                "slos": [
                    {
                        "name": "checkout-availability",
                        "api": INJECTION,
                        "description": "No {{ template }} here",
                        "sli": {"kind": "availability"},
                        "objectives": [{"target": 0.999}],
                        "window": "30d",
                    },
                    {
                        "name": "checkout-latency",
                        "api": "checkout",
                        "sli": {"kind": "latency", "threshold_s": 0.3},
                        "objectives": [{"target": 0.99}],
                        "window": "28d",
                        "alerting": {"policy": "pyrra"},
                    },
                ],
            }
        )
    )
    out, tests = tmp_path / "rules.yaml", tmp_path / "tests" / "slo_test.yaml"
    tests.parent.mkdir()
    result = CliRunner().invoke(
        rules_command, [str(specs), "--out", str(out), "--tests", str(tests)]
    )
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(tests.read_text())
    assert doc["rule_files"] == ["../rules.yaml"]
    # 4 + 4 burn scenarios and 2 healthy ones.
    assert len(doc["tests"]) == 10
    checked = _promtool("test", "rules", tests)
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs_promtool
def test_generated_tests_can_fail(tmp_path: Path) -> None:
    # Expect the page alert one evaluation earlier than the maths say: promtool must refuse.
    slo = _slo(alerting=SHORT)
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    doc = rules.promtool_tests_document([slo], "rules.yaml")
    burn = doc["tests"][0]
    silent, firing = burn["alert_rule_test"]
    firing["eval_time"] = silent["eval_time"]
    doc["tests"] = [burn]
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(doc))
    result = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert result.returncode != 0


def test_predicted_fire_times_match_hand_maths() -> None:
    # Every window of SHORT and the 30d period are multiples of 5 minutes: series and
    # evaluations are 5 minutes apart. Page tier: threshold 14.4 x 0.001 = 0.0144; the burn runs
    # at 4x that, 5.76 %: 57,600 of 1,000,000 events per step. After k steps the 1h (12-step)
    # ratio is k x 57,600 / 12,000,000: 0.0144 at k = 3 (not above), 0.0192 at k = 4. So it
    # fires 4 steps (20 min) after the 1h run-up, at 1h20m, and is silent at 1h15m.
    slo = _slo(alerting=SHORT)
    assert rules.promtool_test_step([slo]) == timedelta(minutes=5)
    doc = rules.promtool_tests_document([slo], "rules.yaml")
    silent, firing = doc["tests"][0]["alert_rule_test"]
    assert (silent["eval_time"], firing["eval_time"]) == ("1h15m", "1h20m")


def test_alert_after_is_written_as_for_and_delays_the_predicted_fire_times() -> None:
    # SHORT's page tier fires 1h20m in (test above); held for 10m, Prometheus fires at the first
    # evaluation 10 min after the condition starts to hold: 1h30m (2 steps of 5 min), silent at
    # 1h25m. Ticket tier: threshold 3 x 0.001 = 0.003, burning at 0.012: 12,000 of 1,000,000 a
    # step; the 2h (24-step) ratio is k x 12,000 / 24,000,000 > 0.003 <=> k > 6: fires 7 steps
    # (35 min) after the 2h run-up, at 2h35m; held for 7m, the first evaluation at least 7 min
    # later is 2h45m (ceil(7 / 5) = 2 steps), silent at 2h40m.
    slo = _slo(alerting=_held("10m", "7m"))
    alerts = [r for g in yaml.safe_load(rules.rules_yaml([slo]))["groups"] for r in g["rules"]]
    assert [r["for"] for r in alerts if "alert" in r] == ["10m", "7m"]
    doc = rules.promtool_tests_document([slo], "rules.yaml")
    times = [[c["eval_time"] for c in test["alert_rule_test"]] for test in doc["tests"][:2]]
    assert times == [["1h25m", "1h30m"], ["2h40m", "2h45m"]]
    assert not any(
        "for" in r for r in yaml.safe_load(rules.rules_yaml([_slo()]))["groups"][0]["rules"]
    )


@needs_promtool
def test_generated_promtool_tests_pass_with_alert_after(tmp_path: Path) -> None:
    slo = _slo(alerting=_held("10m", "7m"))
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    (tmp_path / "tests.yaml").write_text(rules.promtool_tests_yaml([slo], "rules.yaml"))
    result = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


@needs_promtool
@pytest.mark.parametrize(
    "alerting", [SHORT, SHORT_HELD, SHORT_HELD_SECONDS], ids=["at-once", "held", "held-seconds"]
)
def test_python_engine_and_prometheus_agree_minute_by_minute(
    tmp_path: Path, alerting: Alerting
) -> None:
    # Ten hours of bursty traffic; the Python engine's active tiers at every minute become
    # promtool expectations at the same evaluation times. promtool passing means Prometheus's own
    # evaluation of the generated rules fires and resets at exactly the same minutes, and holds
    # an alert back for its `for:` exactly as the engine holds it for the tier's alert_after.
    rng = np.random.default_rng(20261128)
    minutes = 600
    requests = rng.poisson(200, minutes)
    p_error = np.full(minutes, 0.0005)
    for start in rng.choice(minutes - 40, size=6, replace=False):
        p_error[start : start + rng.integers(3, 40)] = rng.uniform(0.01, 0.2)
    errors = rng.binomial(requests, p_error)
    traffic = pd.DataFrame(
        {
            "ts": pd.date_range("1970-01-01", periods=minutes, freq="1min", tz="UTC"),
            "api": "checkout", "requests": requests, "status_2xx": requests - errors,
            "status_3xx": 0, "status_4xx": 0, "status_5xx": errors, "status_429": 0,
        }
    )  # fmt: skip
    slo = _slo(alerting=alerting)
    objective = slo.objectives[0]
    history = alert_history(slo, traffic)[0]
    policy = policy_for(slo)
    assert any(history.active[t.name].any() for t in policy.tiers)  # the bursts do fire
    assert not all(history.active[t.name].all() for t in policy.tiers)
    at_once = alert_history(_slo(alerting=SHORT), traffic)[0]
    held = sum(
        int(at_once.active[t.name].sum() - history.active[t.name].sum()) for t in policy.tiers
    )
    # each tier's episodes start 3 (7) minutes later, or 2 (3) for 90 s (150 s): the hold
    # changes what promtool must see
    assert (held > 0) == (alerting is not SHORT)

    bad_cum = np.concatenate([[0], np.cumsum(errors)])
    total_cum = np.concatenate([[0], np.cumsum(requests)])
    checks = []
    for tier in policy.tiers:
        labels = rules.record_labels(slo, objective, prom_duration(tier.long_window))
        labels.update(rules.alert_labels(slo, objective, tier))
        expected = {
            "exp_labels": labels,
            "exp_annotations": rules.alert_annotations(slo, objective, tier, policy),
        }
        for row, active in enumerate(history.active[tier.name][:, 0]):
            checks.append(
                {
                    "eval_time": prom_duration(timedelta(minutes=row + 1)),
                    "alertname": alert_name(slo, tier),
                    "exp_alerts": [expected] if active else [],
                }
            )
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    doc = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": rules.synthetic_series(
                    slo, objective, [str(v) for v in bad_cum], [str(v) for v in total_cum]
                ),
                "alert_rule_test": checks,
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(doc))
    result = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_unsupported_slis_and_cli_errors(tmp_path: Path) -> None:
    both = _slo(sli=SLI(kind="availability_and_latency", threshold_s=0.3))
    assert "split it" in rules.unsupported(both)
    specs = tmp_path / "slos.yaml"
    specs.write_text(
        yaml.safe_dump(
            {
                "version": "apislo/v1",
                "service": "shop",
                "slos": [
                    {
                        "name": "a",
                        "api": "a",
                        "sli": {"kind": "availability"},
                        "objectives": [{"target": 0.99}],
                        "window": "30d",
                    }
                ],
            }
        )
    )
    result = CliRunner().invoke(rules_command, [str(specs), "--tests", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2  # a usage error, as other option clashes are
    assert "Error: --tests needs --out: the tests load the rules from that file" in result.output
    assert not (tmp_path / "t.yaml").exists()
    printed = CliRunner().invoke(rules_command, [str(specs)])
    assert printed.exit_code == 0
    assert yaml.safe_load(printed.output)["groups"][0]["name"] == "apislo-shop-a-99%"


def test_time_slice_budgets_are_skipped_with_a_warning(tmp_path: Path) -> None:
    """The rules count events; a Timeslices SLO's alerts would disagree with `slo compute`."""
    specs = tmp_path / "slos.yaml"
    specs.write_text(
        yaml.safe_dump(
            {
                "version": "apislo/v1",
                "service": "shop",
                "slos": [
                    {"name": "per-request", "api": "a", "objectives": [{"target": 0.99}],
                     "window": "1d"},
                    {"name": "good-minutes", "api": "a", "budgeting_method": "Timeslices",
                     "objectives": [{"target": 0.99, "timeslice_target": 0.95,
                                     "timeslice_window": "1m"}],
                     "window": "1d"},
                ],
            }
        )
    )  # fmt: skip
    result = CliRunner().invoke(rules_command, [str(specs)])
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(result.stdout)["groups"]
    assert [g["name"] for g in groups] == ["apislo-shop-per-request-99%"]
    assert result.stderr.splitlines() == [
        "warning: skipped good-minutes: SLO good-minutes: its budget counts time slices "
        "(Timeslices) but Prometheus rules count events (Occurrences), so their alerts would "
        "not match `apislo slo compute`, which evaluates it exactly"
    ]
    ratio_slices = _slo(budgeting_method="RatioTimeslices")
    with pytest.raises(ConfigError, match=r"counts time slices \(RatioTimeslices\)"):
        rules.rules_document([ratio_slices])


def test_ratio_only_spec_writes_rules_and_no_tests(tmp_path: Path) -> None:
    """README: ratio SLIs get rules but no synthetic tests. With only ratio SLIs, the rules are
    written and --tests writes nothing, with a warning."""
    out, tests = tmp_path / "rules.yaml", tmp_path / "tests.yaml"
    result = CliRunner().invoke(
        rules_command, [str(EXAMPLES / "sloth.yaml"), "--out", str(out), "--tests", str(tests)]
    )
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(out.read_text())["groups"]
    assert [g["name"] for g in groups] == ["apislo-shop-cart-requests-availability-99.9%"]
    assert not tests.exists()
    assert result.stderr.splitlines() == [
        f"warning: no promtool tests written to {tests}: no SLO here has an availability or "
        "latency SLI with alerts (ratio SLIs get rules but no synthetic tests)",
        f"wrote 1 rule group(s) to {out}",
    ]


@needs_promtool
def test_a_spec_severity_label_wins_and_promtool_agrees(tmp_path: Path) -> None:
    # Sloth specs route on their own severity (page_alert.labels.severity: critical); the
    # generated alerts must carry it, not apislo's page/ticket, and the generated promtool
    # tests must expect exactly what Prometheus then produces.
    alerting = Alerting(
        tiers=SHORT.tiers,
        page_labels=(("severity", "critical"), ("team", "pager")),
        ticket_labels=(("severity", "warning"),),
    )
    slo = _slo(alerting=alerting)
    doc = yaml.safe_load(rules.rules_yaml([slo]))
    labels = {r["alert"]: r["labels"] for r in doc["groups"][0]["rules"] if "alert" in r}
    assert labels["CheckoutAvailabilityPageBurnRate1h"]["severity"] == "critical"
    assert labels["CheckoutAvailabilityPageBurnRate1h"]["team"] == "pager"
    assert labels["CheckoutAvailabilityPageBurnRate1h"]["apislo_tier"] == "page-1h"
    assert labels["CheckoutAvailabilityTicketBurnRate2h"]["severity"] == "warning"
    # Without a spec label the tier's severity stays.
    plain = rules.alert_labels(_slo(alerting=SHORT), Objective(0.999), policy_for(slo).tiers[0])
    assert plain["severity"] == "page"
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    (tmp_path / "tests.yaml").write_text(rules.promtool_tests_yaml([slo], "rules.yaml"))
    checked = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_spec_label_that_is_no_label_name_names_the_file_and_field() -> None:
    slo = _slo(labels=(("team-name", "x"),), origin="shop.yaml (apislo/v1)")
    with pytest.raises(SpecError) as err:
        rules.rules_yaml([slo])
    assert (err.value.path, err.value.field) == ("shop.yaml (apislo/v1)", "labels.team-name")
    paged = _slo(alerting=Alerting(tiers=SHORT.tiers, page_labels=(("9team", "x"),)))
    with pytest.raises(SpecError) as err:
        rules.rules_yaml([paged])
    assert err.value.field == "alerting.page_labels.9team"


MIXED_STEPS_SPEC = """\
version: apislo/v1
service: shop
slos:
  - name: checkout-availability
    api: checkout
    sli: {kind: availability}
    objectives: [{target: 0.999}]
    window: 30d
    alerting:
      tiers: [{severity: page, long_window: 1h, short_window: 5m, factor: 14.4}]
  - name: pay-availability
    api: pay
    sli: {kind: availability}
    objectives: [{target: 0.999}]
    window: 30d
    alerting:
      tiers: [{severity: page, long_window: 14m, short_window: 2m, factor: 14.4}]
"""


@needs_promtool
def test_slos_whose_windows_share_different_steps_get_a_tests_file_each(tmp_path: Path) -> None:
    """promtool evaluates a file at one step. checkout's windows (1h, 5m, 30d) share 5 minutes,
    pay's (14m, 2m, 30d) 2 minutes: one file would test both every minute (the largest step
    dividing all six). Expected: tests.yaml every 5m with checkout's alerts only, tests.2m.yaml
    every 2m with pay's only, and promtool passes both."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(MIXED_STEPS_SPEC)
    out, tests = tmp_path / "rules.yaml", tmp_path / "tests.yaml"
    result = CliRunner().invoke(
        rules_command, [str(spec), "--out", str(out), "--tests", str(tests)]
    )
    assert result.exit_code == 0, result.output
    assert f"{tests} and {tmp_path / 'tests.2m.yaml'}, one file per evaluation step" in (
        result.output
    )
    for path, step, api in ((tests, "5m", "Checkout"), (tmp_path / "tests.2m.yaml", "2m", "Pay")):
        doc = yaml.safe_load(path.read_text())
        assert doc["evaluation_interval"] == step
        alerts = {check["alertname"] for test in doc["tests"] for check in test["alert_rule_test"]}
        assert alerts == {f"{api}AvailabilityPageBurnRate{'1h' if api == 'Checkout' else '14m'}"}
        tested = _promtool("test", "rules", path)
        assert tested.returncode == 0, tested.stdout + tested.stderr


@needs_promtool
def test_a_step_file_of_an_earlier_run_is_removed_and_folders_are_created(tmp_path: Path) -> None:
    """A first run writes tests.yaml and tests.2m.yaml (as above). Then pay's SLO leaves the
    spec: its tests.2m.yaml, left as it was, would test alerts no longer in rules.yaml
    (promtool fails it), so the next run removes it and says so; a file of the user's named
    alike, or the rules themselves, are never removed. The files go into folders that do not
    exist yet."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(MIXED_STEPS_SPEC)
    out, tests = tmp_path / "out" / "rules.yaml", tmp_path / "out" / "tests" / "tests.yaml"
    args = [str(spec), "--out", str(out), "--tests", str(tests)]
    assert CliRunner().invoke(rules_command, args).exit_code == 0
    stale = tests.with_name("tests.2m.yaml")
    assert stale.exists()
    mine = tests.with_name("tests.30d.yaml")  # the user's, named alike: kept
    mine.write_text("# my notes\n")
    spec.write_text(MIXED_STEPS_SPEC.split("  - name: pay-availability")[0])
    result = CliRunner().invoke(rules_command, args)
    assert result.exit_code == 0, result.output
    assert f"removed {stale}: tests of another step, from an earlier run" in result.output
    assert sorted(p.name for p in tests.parent.iterdir()) == ["tests.30d.yaml", "tests.yaml"]
    # --out named like a step file of --tests is the rules, written, not removed
    rules_out = tests.with_name("tests.5m.yaml")
    again = CliRunner().invoke(
        rules_command, [str(spec), "--out", str(rules_out), "--tests", str(tests)]
    )
    assert again.exit_code == 0, again.output
    assert "removed" not in again.output and rules_out.read_text().startswith("# Prometheus rules")
    tested = _promtool("test", "rules", tests)
    assert tested.returncode == 0, tested.stdout + tested.stderr


#: The buckets of apislo's simulated exporter (apislo.simulate.openmetrics), seconds.
SIMULATED_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0)


def test_a_latency_threshold_that_is_no_bucket_is_refused_when_the_buckets_are_known() -> None:
    # le="0.137" selects nothing on such an exporter: the error ratio is empty, no alert fires
    slo = _slo(sli=SLI(kind="latency", threshold_s=0.137), origin="spec.yaml (apislo/v1)")
    with pytest.raises(SpecError) as info:
        rules.rules_yaml([slo], buckets_s=SIMULATED_BUCKETS)
    assert (info.value.path, info.value.field) == ("spec.yaml (apislo/v1)", "sli.threshold_s")
    assert info.value.problem == (
        "SLO checkout-availability: 0.137 s is not a bucket of the latency histogram "
        "http_request_duration_seconds, so its rules would select no series and their alerts "
        "could never fire"
    )
    assert info.value.allowed == "one of its buckets: 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5 (seconds)"
    # an objective's own threshold is named as such; 0.3 and 1 are buckets
    objectives = (Objective(0.95), Objective(0.99, name="slow", threshold_s=0.75))
    two = _slo(sli=SLI(kind="latency", threshold_s=0.3), objectives=objectives)
    with pytest.raises(SpecError) as info:
        rules.rule_groups([two], buckets_s=SIMULATED_BUCKETS)
    assert info.value.field == "objectives[1].threshold_s"
    fine = _slo(sli=SLI(kind="latency", threshold_s=0.3), objectives=(Objective(0.95),))
    (group,) = rules.rule_groups([fine], buckets_s=SIMULATED_BUCKETS)
    assert 'le="0.3"' in group["rules"][0]["expr"]


def test_op_lt_latency_objectives_get_no_rules() -> None:
    # a histogram's le buckets count requests at most their bound, never strictly below it
    slo = _slo(
        sli=SLI(kind="latency"),
        objectives=(Objective(0.99, threshold_s=0.3, threshold_op="lt"),),
    )
    assert rules.unsupported(slo) == (
        "SLO checkout-availability: objective 99% counts requests strictly faster than 0.3 s "
        "(op: lt), and a histogram's le buckets count those at most their bound; use op: lte"
    )


def test_a_latency_threshold_off_the_histogram_buckets_warns_or_is_refused(tmp_path: Path) -> None:
    """0.137 s is no bucket: without --buckets the command warns (it is not one of the client
    libraries' default buckets either) and writes the rules; with the exporter's buckets it
    refuses them (exit 1) naming the buckets. 0.25 s, a default bucket, gives no warning."""
    spec = tmp_path / "slo.yaml"
    body = (
        "version: apislo/v1\nservice: shop\nslos:\n  - name: lat\n    api: orders\n"
        "    sli: {kind: latency, "
        "threshold_s: %s}\n    objectives: [{target: 0.99}]\n"
    )
    spec.write_text(body % "0.137")
    out = tmp_path / "rules.yaml"
    result = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: SLO lat: 0.137 s is not a bucket of the latency histogram" in result.output
    assert "pass --buckets with its bounds to check (and refuse) this" in result.output
    refused = CliRunner().invoke(
        rules_command, [str(spec), "--out", str(out), "--buckets", "0.05,0.1,0.2,0.3,0.5,1"]
    )
    assert refused.exit_code == 1
    assert "one of its buckets: 0.05, 0.1, 0.2, 0.3, 0.5, 1 (seconds)" in refused.output
    spec.write_text(body % "0.25")
    quiet = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert quiet.exit_code == 0 and "warning" not in quiet.output, quiet.output
    # no bound at all (an empty variable in a script) said "one of its buckets:  (seconds)"
    for bad in ("", " , ", "nan", "0.1,-1"):
        empty = CliRunner().invoke(rules_command, [str(spec), "--out", str(out), "--buckets", bad])
        assert empty.exit_code == 1
        assert empty.stderr.splitlines() == [
            f"error: --buckets {bad!r}: give bucket bounds in seconds, comma-separated "
            "(0.05,0.1,0.3)"
        ]


@needs_promtool
@pytest.mark.parametrize(
    ("profile", "le", "neighbour"),
    [("generic", "0.1234561", "0.123456"), ("envoy", "123.4561", "123.456")],
    ids=["seconds", "milliseconds"],
)
def test_a_threshold_with_seven_digits_selects_its_own_bucket(
    tmp_path: Path, profile: str, le: str, neighbour: str
) -> None:
    # A 0.1234561 s threshold is the bucket an exporter writes as le="0.1234561" (seconds) or
    # le="123.4561" (Envoy's milliseconds), beside a bucket at 0.123456 s. 1,000 requests a
    # minute, 750 within the threshold, 500 within the bucket below: the 1h error ratio is
    # (1,000 - 750) / 1,000 = 0.25. `:g` wrote 6 digits, so the rules also summed (seconds:
    # (1,000 - 1,250) / 1,000 = -0.25) or only took (milliseconds, 123.45609999999999 being no
    # exporter's text: 0.5) the bucket below.
    slo = _slo(
        sli=SLI(kind="latency", threshold_s=0.1234561),
        source=SourceHints(profile=profile),
        alerting=SHORT,
    )
    histogram = load_profile(profile).latency
    where = f'{load_profile(profile).api_label}="checkout"'
    (tmp_path / "rules.yaml").write_text(rules.rules_yaml([slo]))
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"{histogram}_count{{{where}}}", "values": "0+1000x60"},
                    {"series": f'{histogram}_bucket{{{where},le="{le}"}}', "values": "0+750x60"},
                    {
                        "series": f'{histogram}_bucket{{{where},le="{neighbour}"}}',
                        "values": "0+500x60",
                    },
                ],
                "promql_expr_test": [
                    {
                        "expr": 'apislo:slo_error_ratio:rate1h{apislo_slo="checkout-availability"}',
                        "eval_time": "1h",
                        "exp_samples": [{"labels": _series_labels(slo, "1h"), "value": 0.25}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    result = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_threshold_next_to_a_bucket_is_named_with_all_its_digits() -> None:
    # 0.1234561 s beside the bucket 0.123456 s: `:g` named both 0.123456
    slo = _slo(sli=SLI(kind="latency", threshold_s=0.1234561))
    with pytest.raises(SpecError) as info:
        rules.rules_yaml([slo], buckets_s=(0.123456, 0.25))
    assert info.value.problem.startswith("SLO checkout-availability: 0.1234561 s is not a bucket")
    assert info.value.allowed == "one of its buckets: 0.123456, 0.25 (seconds)"


LOW_TARGETS_SPEC = """\
version: apislo/v1
service: shop
slos:
  - name: checkout-availability
    api: checkout
    objectives: [{target: 0.9}]
  - name: pay-latency
    api: pay
    sli: {kind: latency, threshold_s: 0.25}
    objectives: [{target: 0.93, name: p93}, {target: 0.95, name: p95}]
"""


@needs_promtool
def test_an_alert_that_cannot_fire_warns_and_promtool_agrees(tmp_path: Path) -> None:
    """The workbook's 14.4 x (1 - 0.9) = 1.44 and 14.4 x (1 - 0.93) = 1.008 ask for an error
    ratio above 100 %: those page-1h rules were written without a word, and could never page.
    At 95 % it is 0.72 and 6 x 0.1 = 0.6, 3 x 0.1 = 0.3, 1 x 0.1: reachable, no warning. With
    every request failing from t=0 (5,000 every 5 minutes, counters from 0, so the ratio over
    any window is exactly 1 from the first step on), promtool shows the 1h page alert silent
    and the 6h one firing (5-minute steps: promtool is slow at 1-minute ones)."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(LOW_TARGETS_SPEC)
    out = tmp_path / "rules.yaml"
    result = CliRunner().invoke(rules_command, [str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: CheckoutAvailabilityPageBurnRate1h of SLO checkout-availability (90%) can "
        "never fire: its threshold 14.4 x 0.1 = 1.44 is an error ratio of 100 % or more (tier "
        "page-1h); at this objective a tier's factor must be under 10",
        "warning: PayLatencyPageBurnRate1h of SLO pay-latency (p93) can never fire: its "
        "threshold 14.4 x 0.07 = 1.008 is an error ratio of 100 % or more (tier page-1h); at "
        "this objective a tier's factor must be under 14.2857",
        f"wrote 3 rule group(s) to {out}",
    ]
    (slo, _) = load(spec)
    objective = slo.objectives[0]
    page_6h = policy_for(slo).tiers[1]
    failing = '{api="checkout",code="500"}'
    tests = {
        "rule_files": [out.name],
        "evaluation_interval": "5m",
        "tests": [
            {
                "interval": "5m",
                "input_series": [
                    {"series": f"http_requests_total{failing}", "values": "0+5000x26"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": t,
                        "alertname": "CheckoutAvailabilityPageBurnRate1h",
                        "exp_alerts": [],
                    }
                    for t in ("5m", "1h", "2h")
                ]
                + [
                    {
                        "eval_time": "2h",
                        "alertname": "CheckoutAvailabilityPageBurnRate6h",
                        "exp_alerts": [rules._expected(slo, objective, page_6h, policy_for(slo))],
                    }
                ],
            }
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    checked = _promtool("test", "rules", tmp_path / "tests.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


#: A ratio SLI's queries with the placeholder, and without it.
_WINDOWED = "sum(rate(x_total[{{.window}}]))"
_FIXED = "sum(increase(x_total[5m]))"


@pytest.mark.parametrize(
    ("good", "bad", "total", "field"),
    [
        (_FIXED, None, _WINDOWED, "sli.good_query"),
        (None, _FIXED, _WINDOWED, "sli.bad_query"),
        (_WINDOWED, None, _FIXED, "sli.total_query"),
    ],
    ids=["good", "bad", "total"],
)
def test_a_ratio_query_without_the_window_placeholder_is_named(
    good: str | None, bad: str | None, total: str, field: str
) -> None:
    # the refusal always named sli.total_query, also when the good or bad query lacked it
    sli = SLI(kind="ratio", good_query=good, bad_query=bad, total_query=total)
    slo = _slo(sli=sli, origin="s.yaml (apislo/v1)")
    with pytest.raises(SpecError) as info:
        rules.rules_yaml([slo])
    assert (info.value.path, info.value.field) == ("s.yaml (apislo/v1)", field)
    assert info.value.problem == (
        f"query {_FIXED!r} has no {{{{.window}}}} placeholder for the window"
    )


@needs_promtool
def test_a_ratio_query_ending_in_a_comment_makes_valid_rules(tmp_path: Path) -> None:
    """A comment after a ratio query took the rule's closing parenthesis along, as the query is
    put in ``(...)`` on one line: promtool refused the file (until 2026-11-30)."""
    sli = SLI(
        kind="ratio",
        bad_query="sum(rate(err_total[{{.window}}]))  # errors only",
        total_query="sum(rate(req_total[{{.window}}])) # every request",
    )
    path = tmp_path / "rules.yaml"
    path.write_text(rules.rules_yaml([_slo(sli=sli)]))
    result = _promtool("check", "rules", path)
    assert result.returncode == 0, result.stdout + result.stderr
    text = path.read_text()
    assert "errors only" not in text and "every request" not in text
    assert "(sum(rate(err_total[5m]))  )" in text  # (the 5m window's ratio, the comment gone)


def test_a_window_placeholder_in_a_comment_is_no_placeholder() -> None:
    # until 2026-11-30 it passed the check, and the fixed [5m] stood at every window
    sli = SLI(
        kind="ratio",
        bad_query="sum(rate(err_total[5m])) # not [{{.window}}]",
        total_query=_WINDOWED,
    )
    with pytest.raises(SpecError) as info:
        rules.rules_yaml([_slo(sli=sli)])
    assert (info.value.field, info.value.problem) == (
        "sli.bad_query",
        "query 'sum(rate(err_total[5m])) ' has no {{.window}} placeholder for the window",
    )
