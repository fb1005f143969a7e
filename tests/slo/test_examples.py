"""Golden tests: every spec in examples/slo/ loads cleanly, maps to what its file says, and
survives an export to OpenSLO v1 and back."""

from __future__ import annotations

import dataclasses
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from apislo.slo import load
from apislo.slo.formats.openslo_export import dump_openslo
from apislo.slo.policy import policy_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "slo"
FILES = sorted(EXAMPLES.glob("*.yaml"))

#: What each example says, read off the YAML by hand:
#: name -> (sli kind, api, window label, budgeting method, targets, thresholds_s, policy tiers).
EXPECTED = {
    "checkout-availability": (
        "availability", "checkout", "30d", "Occurrences", [0.999], [None], "workbook",
    ),
    "checkout-latency": (
        "latency", "checkout", "calendar month (Europe/Paris)", "Occurrences", [0.95, 0.99],
        [0.3, 1.0], "workbook",
    ),
    "search-good-minutes": (
        "availability_and_latency", "search", "28d", "Timeslices", [0.995], [0.5], "spec",
    ),
    "payments-availability": (
        "ratio", None, "28d", "Occurrences", [0.999, 0.99], [None, None], "payments-paging",
    ),
    "catalog-latency": (
        "latency", "catalog", "calendar quarter (America/New_York)", "RatioTimeslices", [0.98],
        [0.25], "workbook",
    ),
    "orders-availability": ("ratio", None, "28d", "Occurrences", [0.995], [None], "workbook"),
    "cart-requests-availability": (
        "ratio", None, "30d", "Occurrences", [0.999], [None], "sloth",
    ),
}  # fmt: skip


def test_examples_cover_every_format() -> None:
    origins = {slo.origin.rsplit("(", 1)[1] for slo in load(EXAMPLES)}
    assert origins == {"apislo/v1)", "openslo/v1)", "openslo/v1alpha)", "prometheus/v1)"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_loads_without_warnings_as_documented(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        slos = load(path)
    assert slos
    for slo in slos:
        kind, api, window, method, targets, thresholds, policy = EXPECTED[slo.name]
        assert slo.sli.kind == kind
        assert slo.api == api
        assert slo.window.label == window
        assert slo.budgeting_method == method
        assert [o.target for o in slo.objectives] == targets
        assert [slo.threshold_s(o) for o in slo.objectives] == thresholds
        assert policy_for(slo).name == policy


def test_search_good_minutes_tiers_by_hand() -> None:
    slo = next(s for s in load(EXAMPLES / "shop.yaml") if s.name == "search-good-minutes")
    page, ticket = policy_for(slo).tiers
    assert (page.severity, page.long_window, page.short_window, page.factor) == (
        "page", timedelta(hours=1), timedelta(minutes=5), 13.44,
    )  # fmt: skip
    # budget_fraction 0.1 over 1 day of a 28-day period: 0.1 x 28 / 1 = 2.8.
    assert ticket.factor == pytest.approx(2.8, abs=1e-12)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_round_trips_through_openslo_v1(path: Path, tmp_path: Path) -> None:
    slos = load(path)
    exported = tmp_path / "exported.yaml"
    exported.write_text(dump_openslo(slos), encoding="utf-8")
    docs = list(yaml.safe_load_all(exported.read_text()))
    assert all(d["apiVersion"] == "openslo/v1" and d["kind"] == "SLO" for d in docs)
    back = {s.name: s for s in load(exported)}
    assert set(back) == {s.name for s in slos}
    for slo in slos:
        again = back[slo.name]
        for field in ("service", "sli", "objectives", "window", "budgeting_method", "api",
                      "description", "owners", "group_by", "labels"):  # fmt: skip
            original, copied = getattr(slo, field), getattr(again, field)
            if field == "sli":
                original = dataclasses.replace(original, name=None)
                copied = dataclasses.replace(copied, name=None)
            assert copied == original, (slo.name, field)
        # (the OpenSLO example's metricSourceRef, its data source, came back as none)
        assert again.source.data_source == slo.source.data_source, slo.name
        # (tiers compare their windows, factor and alert_after; a tier's short window came back
        # as 1/12 of its long one, and the Sloth example's page/ticket labels and annotations
        # were dropped)
        assert policy_for(again).tiers == policy_for(slo).tiers
        # (the policy's name as EXPECTED reads it off the YAML: search-good-minutes' tiers, of
        # policy `spec`, came back named after their exported AlertPolicies)
        assert policy_for(again).name == EXPECTED[slo.name][-1], slo.name
        for field in ("name", "disabled", "page_labels", "ticket_labels", "annotations",
                      "page_annotations", "ticket_annotations"):  # fmt: skip
            original, copied = getattr(slo.alerting, field), getattr(again.alerting, field)
            assert copied == original, (slo.name, f"alerting.{field}")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_a_second_export_of_an_example_changes_nothing(path: Path, tmp_path: Path) -> None:
    """Export -> import -> export gives the first export's text byte for byte: the expected
    value is the first export, an output of the example spec alone, not of the import under
    test. (An apislo SLI without a `source` block, exported as `type: apislo`, came back
    with `source: {kind: logs}`, which the spec never said: its SLI is counted from logs or
    Prometheus alike.)"""
    first = dump_openslo(load(path))
    exported = tmp_path / "exported.yaml"
    exported.write_text(first, encoding="utf-8")
    assert dump_openslo(load(exported)) == first


def test_the_round_trip_compares_what_the_examples_hold() -> None:
    # read off the YAML by hand: the round trip above would prove little on empty fields
    slos = {s.name: s for s in load(EXAMPLES)}
    cart = slos["cart-requests-availability"].alerting
    assert cart.page_labels == (("category", "availability"), ("severity", "critical"))
    assert cart.ticket_labels == (("category", "availability"), ("severity", "warning"))
    assert cart.annotations == (("summary", "Cart is burning its error budget"),)
    (fast,) = policy_for(slos["payments-availability"]).tiers
    assert (fast.short_window, fast.alert_after) == (timedelta(minutes=5), timedelta(minutes=5))
