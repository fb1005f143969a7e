"""Sloth prometheus/v1 import (spec: github.com/slok/sloth, pkg/prometheus/api/v1)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import SpecError
from apislo.slo import load
from apislo.slo.loader import SpecWarning
from apislo.slo.policy import policy_for
from apislo.slo.rules import rules_yaml
from tests.slo import spec_error, write_spec

SPEC = """
version: "prometheus/v1"
service: "myservice"
labels:
  owner: "myteam"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    labels:
      category: availability
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
      labels:
        category: "availability"
      annotations:
        summary: "High error rate on 'myservice' requests responses"
      page_alert:
        labels:
          severity: pageteam
          routing_key: myteam
      ticket_alert:
        labels:
          severity: "slack"
          slack_channel: "#alerts-myteam"
"""


_write = partial(write_spec, name="sloth.yaml")


def test_sloth_spec_maps_to_a_ratio_slo(tmp_path: Path) -> None:
    (slo,) = load(_write(tmp_path, SPEC))
    assert slo.name == "requests-availability" and slo.service == "myservice"
    assert slo.objectives[0].target == 0.999  # 99.9 % as a fraction
    assert slo.sli.kind == "ratio"
    assert slo.sli.bad_query.endswith('{code=~"(5..|429)"}[{{.window}}]))')
    assert slo.window.period == timedelta(days=30)  # Sloth's default period
    assert slo.labels == (("category", "availability"), ("owner", "myteam"))
    assert slo.alerting.name == "MyServiceHighErrorRate"
    assert ("routing_key", "myteam") in slo.alerting.page_labels
    assert ("category", "availability") in slo.alerting.ticket_labels
    assert slo.alerting.annotations[0][0] == "summary"
    # Sloth's alerts are the Workbook's table: 14.4, 6, 3, 1 on 30 days.
    assert [t.factor for t in policy_for(slo).tiers] == [14.4, 6.0, 3.0, 1.0]


def test_plugin_sli_is_refused(tmp_path: Path) -> None:
    body = SPEC.replace(
        "      events:\n"
        '        error_query: sum(rate(http_request_duration_seconds_count{code=~"(5..|429)"}'
        "[{{.window}}]))\n"
        "        total_query: sum(rate(http_request_duration_seconds_count[{{.window}}]))\n",
        "      plugin:\n        id: sloth-common/kubernetes/apiserver/availability\n",
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "slos[0].sli.plugin"


def test_objective_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, SPEC.replace("objective: 99.9", "objective: 100")))
    assert info.value.field == "slos[0].objective"


def test_disabling_only_page_alerts_keeps_the_ticket_tiers(tmp_path: Path) -> None:
    # Sloth: page_alert.disable drops the page alerts and keeps the ticket ones. The Workbook's
    # ticket tiers on 30 days: 10 % of the budget over 1d (0.1 x 30 = 3) and over 3d (1).
    body = SPEC.replace("      page_alert:\n", "      page_alert:\n        disable: true\n")
    (slo,) = load(_write(tmp_path, body))
    assert not slo.alerting.disabled
    tiers = policy_for(slo).tiers
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in tiers] == [
        ("ticket", timedelta(days=1), timedelta(hours=2), 3.0),
        ("ticket", timedelta(days=3), timedelta(hours=6), 1.0),
    ]
    text = rules_yaml([slo])
    assert "TicketBurnRate1d" in text and "TicketBurnRate3d" in text
    assert "PageBurnRate" not in text


def test_disabling_only_ticket_alerts_keeps_the_page_tiers(tmp_path: Path) -> None:
    body = SPEC.replace("      ticket_alert:\n", "      ticket_alert:\n        disable: true\n")
    (slo,) = load(_write(tmp_path, body))
    assert [(t.severity, t.factor) for t in policy_for(slo).tiers] == [
        ("page", 14.4),
        ("page", 6.0),
    ]


def test_page_and_ticket_annotations_go_to_their_own_alerts(tmp_path: Path) -> None:
    # Sloth's page_alert.annotations and ticket_alert.annotations apply to that severity only,
    # over the shared alerting.annotations; they used to be dropped without a word
    body = SPEC.replace(
        "      page_alert:\n",
        "      page_alert:\n        annotations:\n          runbook: https://runbooks/page\n",
    ).replace(
        "      ticket_alert:\n",
        "      ticket_alert:\n        annotations:\n"
        "          runbook: https://runbooks/ticket\n          summary: ticket summary\n",
    )
    (slo,) = load(_write(tmp_path, body))
    doc = yaml.safe_load(rules_yaml([slo]))
    alerts = {
        r["alert"]: r["annotations"] for g in doc["groups"] for r in g["rules"] if "alert" in r
    }
    page = alerts["RequestsAvailabilityPageBurnRate1h"]
    ticket = alerts["RequestsAvailabilityTicketBurnRate1d"]
    assert (page["runbook"], page["summary"]) == (
        "https://runbooks/page",
        "High error rate on 'myservice' requests responses",
    )
    assert (ticket["runbook"], ticket["summary"]) == ("https://runbooks/ticket", "ticket summary")


def test_a_query_without_the_window_placeholder_is_refused(tmp_path: Path) -> None:
    # Sloth refuses it; a fixed [1h] range, run at every step by compute, counted each request
    # many times over and gave a wrong SLI without a word
    body = SPEC.replace(
        'error_query: sum(rate(http_request_duration_seconds_count{code=~"(5..|429)"}'
        "[{{.window}}]))",
        'error_query: sum(increase(http_request_duration_seconds_count{code=~"5.."}[1h]))',
    )
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, body))
    assert info.value.field == "slos[0].sli.events.error_query"
    assert "has no {{.window}} placeholder" in info.value.problem
    # Sloth's templates also take the placeholder with spaces
    spaced = SPEC.replace("[{{.window}}]", "[{{ .window }}]")
    (slo,) = load(_write(tmp_path, spaced))
    assert slo.sli.total_query == "sum(rate(http_request_duration_seconds_count[{{ .window }}]))"


def test_a_fraction_for_the_percentage_objective_is_refused(tmp_path: Path) -> None:
    # objective: 0.999 used to load as a 0.00999 target (0.999 %)
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, SPEC.replace("objective: 99.9", "objective: 0.999")))
    assert info.value.field == "slos[0].objective"
    assert info.value.problem == "0.999 looks like a fraction: Sloth objectives are percentages"
    assert info.value.allowed == "1 <= objective < 100 (a percentage: 99.9, not 0.999)"
    (slo,) = load(_write(tmp_path, SPEC.replace("objective: 99.9", "objective: 1")))
    assert slo.objectives[0].target == 0.01


def test_an_error_query_that_is_the_total_query_is_refused(tmp_path: Path) -> None:
    # every event would be bad (an SLI of 0); Sloth refuses it ("both error and total queries
    # can't be the same"), apislo loaded it
    same = "sum(rate(http_request_duration_seconds_count[{{ .window }}]))"
    body = SPEC.replace(
        'sum(rate(http_request_duration_seconds_count{code=~"(5..|429)"}[{{.window}}]))', same
    )
    path = _write(tmp_path, body)
    with pytest.raises(SpecError) as info:
        load(path)
    assert str(info.value) == (
        f"{path}: slos[0].sli.events.error_query: is the total_query, so every event would be "
        'bad. Allowed: a query of the failed events only, e.g. with code=~"5..".'
    )


def test_an_upper_case_name_sloth_accepts_is_lower_cased_with_a_warning(tmp_path: Path) -> None:
    # Sloth's names are [A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]: apislo refused a valid Sloth spec
    path = _write(tmp_path, SPEC.replace('"requests-availability"', "Requests-Availability"))
    with pytest.warns(SpecWarning) as record:
        (slo,) = load(path)
    assert [str(w.message) for w in record] == [
        f"{path}: slos[0].name: 'Requests-Availability' is read as 'requests-availability': "
        "apislo SLO names are lower case"
    ]
    assert slo.name == "requests-availability"
    # two names that differ only in case would be two SLOs with one alert name
    second = SPEC.split("slos:\n")[1].replace('"requests-availability"', "requests-Availability")
    with pytest.warns(SpecWarning), pytest.raises(SpecError) as info:
        load(_write(tmp_path, SPEC + second))
    assert (info.value.field, info.value.problem) == (
        "slos[1].name",
        "'requests-availability' is repeated",
    )
    # what Sloth refuses is refused, with Sloth's rule (a name ends with a letter or digit)
    with pytest.raises(SpecError) as info:
        load(_write(tmp_path, SPEC.replace('"requests-availability"', "Requests_")))
    assert (info.value.field, info.value.problem) == (
        "slos[0].name",
        "'Requests_' is not a valid Sloth name",
    )


def test_the_cli_shows_the_lower_casing_behind_a_repeated_name(tmp_path: Path) -> None:
    # slos[1] is written requests-Availability: the error alone ("'requests-availability' is
    # repeated" at slos[1]) did not say why, as the CLI dropped the warnings of refused specs
    second = SPEC.split("slos:\n")[1].replace('"requests-availability"', "requests-Availability")
    path = _write(tmp_path, SPEC + second)
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"warning: {path}: slos[1].name: 'requests-Availability' is read as "
        "'requests-availability': apislo SLO names are lower case\n"
        f"error: {path}: slos[1].name: 'requests-availability' is repeated. Allowed: unique "
        "names.\n"
    )


def test_a_service_name_is_checked_as_sloth_checks_it(tmp_path: Path) -> None:
    # Sloth's ValidateSLO checks the service with the rule of SLO names, NameRegexp
    # ^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$ (pkg/common/validation/slo.go): apislo took any
    # text, a space or a slash included, into its rules' apislo_service label and its exports
    path = _write(tmp_path, SPEC.replace('service: "myservice"', 'service: "my service"'))
    assert str(spec_error(path)) == (
        f"{path}: service: 'my service' is not a valid Sloth name. Allowed: at least 2 "
        "characters: letters, digits, - . _, a letter or digit first and last."
    )
    # upper case, which Sloth allows, is kept as written (it labels the rules, where routes and
    # dashboards match it), with the warning every format gives a service that is not a name
    path = _write(tmp_path, SPEC.replace('service: "myservice"', "service: MyService"))
    with pytest.warns(SpecWarning) as record:
        (slo,) = load(path)
    assert [str(w.message) for w in record] == [
        f"{path}: service: 'MyService' is not a name as OpenSLO's Service names are (lower-case "
        "letters, digits, - . _), and an OpenSLO export writes it as one: kept as written, but "
        "rename it"
    ]
    assert slo.service == "MyService"


@pytest.mark.parametrize(
    ("written", "shown"), [('"a"', "'a'"), ("7", "'7'"), ('"shop\\n"', "'shop\\n'")]
)
def test_a_service_sloth_refuses_is_refused(tmp_path: Path, written: str, shown: str) -> None:
    # NameRegexp ^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$ needs two characters at least (a first
    # and a last one), so Sloth's ValidateSLO refuses `a` and `7`; and Go's $ is the end of the
    # text, so it refuses `shop` and a newline too (a `service: |` block scalar gives one).
    # apislo took all three: `a` and `7` are apislo names, and Python's $ matched before \n
    path = _write(tmp_path, SPEC.replace('service: "myservice"', f"service: {written}"))
    assert str(spec_error(path)) == (
        f"{path}: service: {shown} is not a valid Sloth name. Allowed: at least 2 characters: "
        "letters, digits, - . _, a letter or digit first and last."
    )


@pytest.mark.parametrize(
    ("written", "shown"), [('"a"', "'a'"), ("7", "'7'"), ('"cart\\n"', "'cart\\n'")]
)
def test_an_slo_name_sloth_refuses_is_refused(tmp_path: Path, written: str, shown: str) -> None:
    # Sloth's ValidateSLO checks the SLO name with the same NameRegexp as the service: until
    # 2026-11-29 apislo took `a` and `7` (apislo names) and `cart` with a newline
    path = _write(tmp_path, SPEC.replace('"requests-availability"', written))
    assert str(spec_error(path)) == (
        f"{path}: slos[0].name: {shown} is not a valid Sloth name. Allowed: at least 2 "
        "characters: letters, digits, - . _, a letter or digit first and last."
    )
