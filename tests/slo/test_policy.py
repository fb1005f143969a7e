"""Alerting policies: the SRE Workbook's table, Sloth's scaling, Pyrra's preset, custom tiers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apislo.errors import SpecError
from apislo.slo.policy import (
    get_policy,
    parse_duration,
    policy_for,
    prom_duration,
    pyrra_policy,
    tiers_from_spec,
    workbook_policy,
)
from apislo.slo.spec import SLI, SLO, Alerting, Objective, TimeWindow

H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)


def _slo(alerting: Alerting, days: int = 30) -> SLO:
    return SLO(
        "checkout", "shop", SLI(), (Objective(0.999),),
        TimeWindow.rolling_window(timedelta(days=days)), alerting=alerting,
    )  # fmt: skip


def test_workbook_table_for_30_days() -> None:
    # SRE Workbook, "Alerting on SLOs", table 5-8 (30-day SLO): page 14.4 over 1h/5m (2 %),
    # page 6 over 6h/30m (5 %), ticket 3 over 1d/2h (10 %), ticket 1 over 3d/6h (10 %).
    tiers = workbook_policy(30 * D).tiers
    assert [(t.severity, t.long_window, t.short_window, t.factor) for t in tiers] == [
        ("page", H, 5 * M, 14.4),
        ("page", 6 * H, 30 * M, 6.0),
        ("ticket", D, 2 * H, 3.0),
        ("ticket", 3 * D, 6 * H, 1.0),
    ]
    # Budget spent when each fires: 14.4 x 1h / 720h = 2 %, 6 x 6/720 = 5 %, 3 x 24/720 = 10 %,
    # 1 x 72/720 = 10 %.
    assert [round(t.budget_fraction(30 * D), 12) for t in tiers] == [0.02, 0.05, 0.1, 0.1]


def test_workbook_factors_scale_with_the_period_like_sloth() -> None:
    # factor = fraction x period / long: 28 d = 672 h -> 0.02 x 672 = 13.44, 0.05 x 112 = 5.6,
    # 0.1 x 28 = 2.8, 0.1 x 672 / 72 = 14/15 (Sloth's 0.9333...).
    assert [t.factor for t in workbook_policy(28 * D).tiers] == [13.44, 5.6, 2.8, 14 / 15]
    # 7 d = 168 h: 0.02 x 168 = 3.36, 0.05 x 28 = 1.4, 0.1 x 7 = 0.7, 0.1 x 168 / 72 = 7/30.
    assert [t.factor for t in workbook_policy(7 * D).tiers] == [3.36, 1.4, 0.7, 7 / 30]


def test_pyrra_preset_on_its_28_day_base_and_scaled() -> None:
    # Pyrra's slo/rules.go Windows(): 14 over 1h/5m, 7 over 6h/30m, 2 over 1d/2h, 1 over 4d/6h.
    tiers = pyrra_policy(28 * D).tiers
    assert [(t.long_window, t.short_window, t.factor) for t in tiers] == [
        (H, 5 * M, 14.0), (6 * H, 30 * M, 7.0), (D, 2 * H, 2.0), (4 * D, 6 * H, 1.0),
    ]  # fmt: skip
    # 30 d: long = 30d/672 = 3857.14 s -> rounded to 64 min; short = 30d/8064 = 321.4 s -> 5 min.
    thirty = pyrra_policy(30 * D).tiers[0]
    assert (thirty.long_window, thirty.short_window) == (64 * M, 5 * M)


def test_threshold_is_factor_times_error_allowance() -> None:
    tier = workbook_policy(30 * D).tiers[0]
    assert tier.threshold(0.999) == 14.4 * 0.001  # 0.001, not 1 - 0.999 = 0.0010000000000000009


def test_custom_tiers_with_factor_or_budget_fraction() -> None:
    raw = [
        {"name": "fast", "severity": "page", "long_window": "1h", "short_window": "5m",
         "budget_fraction": 0.02},
        {"severity": "ticket", "long_window": "3d", "short_window": "6h", "factor": 1},
    ]  # fmt: skip
    fast, slow = tiers_from_spec(raw, 30 * D)
    assert (fast.name, fast.factor) == ("fast", 14.4)  # 0.02 x 720 h / 1 h
    assert (slow.name, slow.long_window, slow.factor) == ("ticket-3d", 3 * D, 1.0)


@pytest.mark.parametrize(
    ("tier", "field"),
    [
        ({"severity": "warn", "long_window": "1h", "short_window": "5m", "factor": 2}, "severity"),
        ({"severity": "page", "long_window": "5m", "short_window": "1h", "factor": 2},
         "short_window"),
        ({"severity": "page", "long_window": "1h", "short_window": "5m"}, "alerting.tiers[0]"),
        ({"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 2,
          "budget_fraction": 0.1}, "alerting.tiers[0]"),
        ({"severity": "page", "long_window": "1 hour", "short_window": "5m", "factor": 2},
         "long_window"),
        ({"severity": "page", "long_window": "1h", "short_window": "5m", "factor": -1}, "factor"),
        ({"severity": "page", "long": "1h", "short_window": "5m", "factor": 1}, "long"),
    ],
)  # fmt: skip
def test_invalid_tiers_name_the_field(tier: dict, field: str) -> None:
    with pytest.raises(SpecError) as err:
        tiers_from_spec([tier], 30 * D, path="shop.yaml")
    assert err.value.path == "shop.yaml"
    assert err.value.field.endswith(field)


def test_repeated_tier_names_are_rejected() -> None:
    tier = {"name": "x", "severity": "page", "long_window": "1h", "short_window": "5m",
            "factor": 2}  # fmt: skip
    with pytest.raises(SpecError, match="repeated"):
        tiers_from_spec([tier, tier], 30 * D)


def test_policy_for_an_slo() -> None:
    assert policy_for(_slo(Alerting())).name == "workbook"
    assert [t.factor for t in policy_for(_slo(Alerting(policy="pyrra"))).tiers] == [14, 7, 2, 1]
    inline = Alerting(tiers=({"severity": "page", "long_window": "2h", "short_window": "10m",
                              "factor": 10},))  # fmt: skip
    assert policy_for(_slo(inline)).tiers[0].long_window == 2 * H
    with pytest.raises(SpecError, match="unknown policy 'nope'"):
        policy_for(_slo(Alerting(policy="nope")))
    with pytest.raises(SpecError):
        get_policy("nope", 30 * D)


def test_policy_windows_are_distinct_and_sorted() -> None:
    assert workbook_policy(30 * D).windows == (5 * M, 30 * M, H, 2 * H, 6 * H, D, 3 * D)


@pytest.mark.parametrize(
    ("text", "delta"),
    [("5m", 5 * M), ("1h30m", 90 * M), ("3d", 3 * D), ("2w", 14 * D), ("90s", 90 * M / 60)],
)
def test_durations_round_trip(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta
    assert parse_duration(prom_duration(delta)) == delta


def test_prom_duration_uses_compound_units() -> None:
    assert prom_duration(64 * M) == "1h4m"
    assert prom_duration(30 * D) == "30d"
    with pytest.raises(ValueError):
        prom_duration(timedelta(0))


def test_pyrra_on_a_one_day_period_is_a_spec_error_not_a_traceback() -> None:
    # Pyrra's 5m short window scales by 1d / 28d = 10.7 s, which rounds to 0 minutes; the 1h
    # window becomes 2m. Every short window needs a period of at least 2.8 d (30 s / 5 m x 28 d).
    with pytest.raises(SpecError) as err:
        policy_for(_slo(Alerting(policy="pyrra"), days=1))
    assert err.value.field == "alerting.policy"
    assert err.value.path == "<inline>"  # the SLO's origin, not "<policy>"
    assert "5m short window becomes 0" in str(err.value)
    with pytest.raises(SpecError, match="becomes 0"):
        pyrra_policy(2 * D)  # 5m x 2 / 28 = 21.4 s still rounds to 0
    # 2.8 d: 5m x 0.1 = 30 s rounds (half away from zero, as Go) to 1m.
    assert pyrra_policy(timedelta(days=2.8)).tiers[0].short_window == M


def test_an_infinite_factor_is_refused() -> None:
    tier = {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": float("inf")}
    with pytest.raises(SpecError) as err:
        tiers_from_spec([tier], 30 * D, path="shop.yaml")
    assert err.value.field == "alerting.tiers[0].factor"


@pytest.mark.parametrize(
    ("key", "value"), [("factor", True), ("factor", "2"), ("budget_fraction", "0.1")]
)
def test_a_factor_written_as_a_boolean_or_text_is_refused(key: str, value: object) -> None:
    """`factor: true` was read as a burn rate of 1, `factor: "2"` as 2: `float()` takes both,
    though a quoted or boolean value is no number in YAML (the other spec numbers refuse them)."""
    tier = {"severity": "page", "long_window": "1h", "short_window": "5m", key: value}
    with pytest.raises(SpecError) as err:
        tiers_from_spec([tier], 30 * D, path="shop.yaml")
    assert (err.value.field, err.value.problem) == (
        f"alerting.tiers[0].{key}",
        f"{value!r} is not a number",
    )


def test_a_tier_alert_after_is_read_and_zero_when_absent() -> None:
    # OpenSLO's alertAfter (Prometheus's `for`): the condition must hold that long before the
    # alert fires; apislo's tiers had no such field (`alert_after` was an unknown field)
    base = {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 14.4}
    held, at_once, zero = tiers_from_spec(
        [
            {**base, "name": "held", "alert_after": "2m30s"},
            {**base, "name": "at-once"},
            {**base, "name": "zero", "alert_after": "0m"},
        ],
        30 * D,
    )
    assert held.alert_after == timedelta(minutes=2, seconds=30)
    assert at_once.alert_after == zero.alert_after == timedelta(0)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("5 min", "'5 min' is not a duration such as 5m, 1h, 3d"),
        ("1831d", "1831d is longer than 1830d"),
    ],
)
def test_a_tier_alert_after_that_is_no_duration_names_the_field(value: str, problem: str) -> None:
    tier = {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 2,
            "alert_after": value}  # fmt: skip
    with pytest.raises(SpecError) as err:
        tiers_from_spec([tier], 30 * D, path="shop.yaml")
    assert err.value.field == "alerting.tiers[0].alert_after"
    assert err.value.problem == problem
