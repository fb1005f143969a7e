"""Multi-window multi-burn-rate evaluation: hand-computed fire and reset times."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.slo.alerts import (
    alert_history,
    alert_name,
    evaluate_alerts,
    firing,
    intervals_from_mask,
    replay_lookback,
    units_from_arrays,
)
from apislo.slo.policy import Policy, Tier, workbook_policy
from apislo.slo.spec import SLI, SLO, Alerting, Objective, TimeWindow

M = timedelta(minutes=1)
START = pd.Timestamp("2026-01-01", tz="UTC")


def _traffic(minutes: int, errors: dict[int, int], per_minute: int = 1000) -> pd.DataFrame:
    ts = pd.date_range(START, periods=minutes, freq="1min")
    bad = np.zeros(minutes, dtype=np.int64)
    for minute, count in errors.items():
        bad[minute] = count
    req = np.full(minutes, per_minute)
    return pd.DataFrame(
        {
            "ts": ts, "api": "checkout", "requests": req, "status_2xx": req - bad,
            "status_3xx": 0, "status_4xx": 0, "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip


def _slo(**kwargs) -> SLO:
    return SLO(
        "checkout-availability", "shop", SLI(), (Objective(0.999),),
        TimeWindow.rolling_window(timedelta(days=30)), api="checkout", **kwargs,
    )  # fmt: skip


# A 30-minute outage at 20 % errors starting at minute 600 (10:00), 1000 requests a minute.
OUTAGE = {m: 200 for m in range(600, 630)}


def test_page_1h_fires_and_resets_when_the_window_maths_say() -> None:
    # Threshold 14.4 x 0.001 = 0.0144. After k outage minutes the 1h ratio is
    # k x 200 / 60,000 > 0.0144 <=> k > 4.32, so k = 5: fires at 10:05. The 5m ratio is 20 %
    # from k = 1. After the outage (ends 10:30) the 5m window holds no errors from 10:35: reset.
    history = alert_history(_slo(), _traffic(1440, OUTAGE))[0]
    episodes = history.intervals()
    page = episodes[episodes["tier"] == "page-1h"]
    assert len(page) == 1
    assert page["fired_at"].iloc[0] == START + 605 * M
    assert page["reset_at"].iloc[0] == START + 635 * M
    assert page["duration"].iloc[0] == 30 * M
    # 6h/30m at 6 x 0.001: k x 200 / 360,000 > 0.006 <=> k > 10.8: fires at 10:11; the 30m window
    # keeps errors until 11:00 (reset at 11:00, when [10:30, 11:00) holds none).
    six = episodes[episodes["tier"] == "page-6h"]
    assert (six["fired_at"].iloc[0], six["reset_at"].iloc[0]) == (START + 611 * M, START + 660 * M)


def test_threshold_is_strict() -> None:
    # Exactly at the threshold does not fire: 1h ratio after 6 minutes of 144 errors a minute is
    # 6 x 144 / 60,000 = 0.0144, not above 14.4 x 0.001; minute 7 gives 0.0168 > 0.0144.
    history = alert_history(_slo(), _traffic(900, {m: 144 for m in range(600, 660)}))[0]
    page = history.intervals().query("tier == 'page-1h'")
    assert page["fired_at"].iloc[0] == START + 607 * M


def test_no_traffic_never_fires() -> None:
    tier = Tier("page", "page", 2 * M, M, 10.0)
    bad, total = np.zeros((4, 1)), np.zeros((4, 1))
    history = evaluate_alerts(units_from_arrays(bad, total), Policy("p", (tier,)), 0.99)
    assert not history.active["page"].any()
    assert history.intervals().empty


def test_burn_rates_are_event_weighted_ratios_over_the_allowance() -> None:
    # Two minutes: 1/10 then 9/90 bad -> 2-minute ratio 10/100 = 0.1; burn = 0.1 / 0.01 = 10.
    # (An average of the minute ratios would also give 0.1 here; 1/10 and 0/90 tells them apart:
    # event-weighted 1/100 -> burn 1, average of ratios 0.05 -> burn 5.)
    tier = Tier("t", "page", 2 * M, M, 1.0)
    units = units_from_arrays(np.array([[1.0], [0.0]]), np.array([[10.0], [90.0]]))
    history = evaluate_alerts(units, Policy("p", (tier,)), 0.99, burn_windows=(2 * M,))
    assert history.burn_rates[2 * M][:, 0].tolist() == pytest.approx([10.0, 1.0])


def test_many_groups_in_threads_match_their_own_data() -> None:
    # 100 groups (several column blocks): group g has an outage only when g is odd.
    minutes, groups = 240, 100
    bad = np.zeros((minutes, groups))
    bad[100:130, 1::2] = 200.0
    total = np.full((minutes, groups), 1000.0)
    policy = workbook_policy(timedelta(days=30))
    history = evaluate_alerts(units_from_arrays(bad, total), policy, 0.999)
    page = history.active["page-1h"]
    # Same arithmetic as above: fires 5 minutes in (row 104, the interval ending at minute 105).
    assert page[:, 1::2].all(axis=1).tolist() == [104 <= r < 134 for r in range(minutes)]
    assert not page[:, 0::2].any()


def test_firing_at_an_instant() -> None:
    traffic = _traffic(1440, OUTAGE)
    slo = _slo()
    # History starts at 00:00, so the 3d window holds only what is there: after k outage
    # minutes its ratio is 200k / (1000 (600 + k)) > 0.001 <=> 200k > 600 + k <=> k >= 4; its
    # 6h short window needs 200k / 360,000 > 0.001 <=> k >= 2. At k = 3 nothing fires.
    assert firing(slo, traffic, START + 603 * M) == []
    assert firing(slo, traffic, START + 604 * M) == ["CheckoutAvailabilityTicketBurnRate3d"]
    assert firing(slo, traffic, START + 605 * M) == [
        "CheckoutAvailabilityPageBurnRate1h",
        "CheckoutAvailabilityTicketBurnRate3d",
    ]
    assert "CheckoutAvailabilityPageBurnRate6h" in firing(slo, traffic, START + 611 * M)
    assert firing(slo, traffic, START + 1439 * M) == []
    assert firing(_slo(alerting=Alerting(disabled=True)), traffic, START + 605 * M) == []


def test_alert_names_are_metric_names() -> None:
    tier = workbook_policy(timedelta(days=30)).tiers[3]
    weird = SLO("9 lives/ü", "s", SLI(), (Objective(0.9),), TimeWindow.rolling_window(30 * M))
    assert alert_name(weird, tier) == "Slo9LivesTicketBurnRate3d"


def test_windows_must_fit_the_interval() -> None:
    hourly = units_from_arrays(np.zeros((5, 1)), np.ones((5, 1)), step=timedelta(hours=1))
    with pytest.raises(ConfigError, match="whole number"):
        evaluate_alerts(hourly, workbook_policy(timedelta(days=30)), 0.999)


def test_runs_of_true() -> None:
    mask = np.array([[1, 1, 0, 1], [0, 0, 0, 1]], dtype=bool).T
    cols, starts, stops = intervals_from_mask(mask)
    assert (cols.tolist(), starts.tolist(), stops.tolist()) == ([0, 0, 1], [0, 3, 3], [2, 4, 4])


def test_timeslices_firing_ignores_the_slice_still_running_at_the_instant() -> None:
    # 5-minute slices, good when >= 90 % good; 1,000 requests a minute, all failing in the last
    # 3 minutes of the day (23:57-23:59). 1-day window, so the workbook's 1h page factor is
    # 0.02 x 24 = 0.48: one bad slice in 12 (0.083) is far above 0.48 x 0.01.
    # At 23:58 every slice that has ended (the last one 23:50-23:55) is good: burn rates 0,
    # nothing fires. The slice 23:55-00:00 is still running (it was judged on 23:55-23:58 alone,
    # 1 bad minute in 3, and fired all four tiers). At 00:00 it has ended, 3 bad of 5: all fire.
    slo = SLO(
        "checkout-minutes", "shop", SLI(),
        (Objective(0.99, timeslice_target=0.9, timeslice_window=5 * M),),
        TimeWindow.rolling_window(timedelta(days=1)), budgeting_method="Timeslices",
        api="checkout",
    )  # fmt: skip
    traffic = _traffic(1440, {m: 1000 for m in range(1437, 1440)})
    assert firing(slo, traffic, START + 1438 * M) == []
    assert firing(slo, traffic, START + 1439 * M) == []
    assert firing(slo, traffic, START + 1440 * M) == [
        "CheckoutMinutesPageBurnRate1h",
        "CheckoutMinutesPageBurnRate6h",
        "CheckoutMinutesTicketBurnRate1d",
        "CheckoutMinutesTicketBurnRate3d",
    ]


@pytest.mark.parametrize(
    ("alert_after", "expected"),
    [
        (timedelta(0), [False, True, True, True, False, False]),
        (M, [False, False, True, True, False, False]),
        (timedelta(seconds=90), [False, False, False, True, False, False]),
        (3 * M, [False] * 6),
    ],
)
def test_alert_after_holds_a_tier_back_as_prometheus_for_does(
    alert_after: timedelta, expected: list[bool]
) -> None:
    # Threshold 10 x 0.01 = 0.1; 10 events a minute, 5 bad in minutes 1-3. Long window 2 min,
    # short 1 min. Row 0: 0 bad -> no. Rows 1-3: short 5/10 = 0.5, long >= 5/20 = 0.25 -> yes.
    # Row 4: short 0/10 -> no. So the condition holds at rows 1, 2, 3 (3 evaluations).
    # Prometheus's `for`: pending from row 1, fires at the first evaluation at least
    # alert_after later: 1 min -> row 2; 90 s -> ceil(1.5) = 2 evaluations later, row 3; 3 min
    # -> row 4, when the condition no longer holds: never.
    bad = np.array([[0, 5, 5, 5, 0, 0.0]]).T
    tier = Tier("page", "page", 2 * M, M, 10.0, alert_after)
    history = evaluate_alerts(
        units_from_arrays(bad, np.full((6, 1), 10.0)), Policy("p", (tier,)), 0.99
    )
    assert history.active["page"][:, 0].tolist() == expected


def test_firing_looks_back_over_a_tier_alert_after() -> None:
    # 20 % errors from minute 600 on. A page tier over 2m/1m at factor 14.4 (threshold 0.0144)
    # holds from the first outage evaluation (the interval ending at 10:01). With
    # alert_after 10m it fires at the first evaluation 10 min later: 10:11, not at 10:10.
    # (firing() replays only what its windows need: it must look back over alert_after too,
    # or the condition seems to start at the first row replayed and is held back again.)
    tier = {"severity": "page", "long_window": "2m", "short_window": "1m", "factor": 14.4,
            "alert_after": "10m"}  # fmt: skip
    slo = _slo(alerting=Alerting(tiers=(tier,)))
    traffic = _traffic(1440, {m: 200 for m in range(600, 700)})
    assert firing(slo, traffic, START + 610 * M) == []
    assert firing(slo, traffic, START + 611 * M) == ["CheckoutAvailabilityPageBurnRate2m"]
    assert firing(slo, traffic, START + 690 * M) == ["CheckoutAvailabilityPageBurnRate2m"]


def test_firing_looks_back_over_an_alert_after_that_is_not_whole_minutes() -> None:
    # Threshold 100 x 0.001 = 0.1; long window 5m, short 1m; 1,000 requests a minute, all bad
    # in minute 2, 300 bad in minutes 6-8. Evaluations (interval ends) from the whole history:
    # 00:06: short [5] = 0 -> no. 00:07: short [6] = 0.3, long [2..6] = 1,300 / 5,000 = 0.26 ->
    # yes. 00:08: long [3..7] = 600 / 5,000 = 0.12 -> yes. 00:09: long [4..8] = 0.18 -> yes.
    # Pending from 00:07; with alert_after 90 s it fires at the first evaluation at least 90 s
    # later: 00:09 (ceil(1.5) = 2 evaluations), as Prometheus's `for: 1m30s` does. firing() must
    # replay from 00:02 (00:07's long window): looking back 5m + 90 s from 00:09 it started at
    # 00:03, found 00:07's long window 300 / 4,000 = 0.075, not burning, and held the alert back.
    tier = {"severity": "page", "long_window": "5m", "short_window": "1m", "factor": 100,
            "alert_after": "90s"}  # fmt: skip
    slo = _slo(alerting=Alerting(tiers=(tier,)))
    traffic = _traffic(9, {2: 1000, 6: 300, 7: 300, 8: 300})
    assert firing(slo, traffic, START + 8 * M) == []
    assert firing(slo, traffic, START + 9 * M) == ["CheckoutAvailabilityPageBurnRate5m"]
    assert replay_lookback(slo, M) == 7 * M  # 5m + 2 evaluations of 1 min
    history = alert_history(slo, traffic)[0]  # (the replay of all history agrees)
    assert history.active["page-5m"][:, 0].tolist() == [False] * 8 + [True]


def test_replay_lookback_rounds_alert_after_up_to_whole_evaluations() -> None:
    # 1h + ceil(7 min / 5 min) = 2 evaluations of 5 min = 1h10m; with 5-minute slices (one
    # evaluation a slice) 1h + 2 slices + the slice an instant can be inside = 1h15m.
    tier = {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 14.4,
            "alert_after": "7m"}  # fmt: skip
    slo = _slo(alerting=Alerting(tiers=(tier,)))
    assert replay_lookback(slo, 5 * M) == timedelta(hours=1, minutes=10)
    assert replay_lookback(slo, M) == timedelta(hours=1, minutes=7)
    sliced = SLO(
        "checkout-minutes", "shop", SLI(),
        (Objective(0.99, timeslice_target=0.9, timeslice_window=5 * M),),
        TimeWindow.rolling_window(timedelta(days=1)), budgeting_method="Timeslices",
        api="checkout", alerting=Alerting(tiers=(tier,)),
    )  # fmt: skip
    assert replay_lookback(sliced, M) == timedelta(hours=1, minutes=15)
    assert replay_lookback(_slo(alerting=Alerting(disabled=True)), M) == timedelta(0)
