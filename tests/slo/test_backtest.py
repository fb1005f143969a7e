"""Backtests: alert episodes, and precision, recall, detection and reset time against incidents."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError, SpecError
from apislo.slo.backtest import backtest, load_incidents, policies_for
from apislo.slo.spec import SLI, SLO, Alerting, Objective, TimeWindow

M = timedelta(minutes=1)
#: A fixed end for the simulator (its default follows the clock).
SIM_END = "2026-11-28T00:00:00Z"
START = pd.Timestamp("2026-01-01", tz="UTC")


def _traffic(minutes: int, errors: dict[int, int]) -> pd.DataFrame:
    bad = np.zeros(minutes, dtype=np.int64)
    for minute, count in errors.items():
        bad[minute] = count
    req = np.full(minutes, 1000)
    return pd.DataFrame(
        {
            "ts": pd.date_range(START, periods=minutes, freq="1min"), "api": "checkout",
            "requests": req, "status_2xx": req - bad, "status_3xx": 0, "status_4xx": 0,
            "status_5xx": bad, "status_429": 0,
        }
    )  # fmt: skip


SLO_ = SLO(
    "checkout-availability", "shop", SLI(), (Objective(0.999),),
    TimeWindow.rolling_window(timedelta(days=30)), api="checkout",
)  # fmt: skip


def _iso(minute: int) -> str:
    return (START + minute * M).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truth(tmp_path: Path) -> Path:
    # The outage the traffic holds (10:00-10:30), one on another API, and a latency episode on
    # checkout that an availability SLO cannot see.
    doc = {
        "episodes": [
            {"kind": "outage", "api": "checkout", "start": _iso(600), "end": _iso(630)},
            {"kind": "outage", "api": "search", "start": _iso(100), "end": _iso(130)},
            {"kind": "latency-regression", "api": "checkout", "start": _iso(1200),
             "end": _iso(1260), "service_factor": 3},
        ]
    }  # fmt: skip
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(doc))
    return path


def test_workbook_policy_scores_against_truth(tmp_path: Path) -> None:
    # Outage: 200 errors/min (20 %) in [600, 630); plus a 2-minute blip of 100 % errors at
    # minute 1300 on a healthy day. With only this history (from 00:00) the windows are partial.
    traffic = _traffic(1440, {**{m: 200 for m in range(600, 630)}, 1300: 1000, 1301: 1000})
    result = backtest(SLO_, traffic, incidents=load_incidents(_truth(tmp_path)))
    alerts = result.alerts
    page = alerts[(alerts["tier"] == "page-1h") & (alerts["incident"] == 0)]
    # page-1h: k x 200 / 60,000 > 0.0144 -> k = 5 -> 10:05 (see test_alerts).
    assert page["fired_at"].tolist() == [START + 605 * M]
    # The blip: at the end of minute 1300 the 1h ratio is 1000/60,000 = 0.0167 > 0.0144 and the
    # 5m one 0.2: page-1h fires at minute 1301. Its 5m short window looked back to 1296, after
    # the latency episode [1200, 1260) ended: a false alarm (-1). ticket-1d fires then too (1d
    # window from 00:00: 7000/1,301,000 = 0.0054 > 0.003; 2h window 1000/120,000 = 0.0083):
    # its 2h window reaches back to 1181, overlapping the latency episode, so it counts for it
    # (checkout's incidents by start: outage 0, latency episode 1; search's is left out).
    at_blip = alerts[alerts["fired_at"] == START + 1301 * M].set_index("tier")["incident"]
    assert at_blip["page-1h"] == -1
    assert at_blip["ticket-1d"] == 1
    summary = result.summary.iloc[0]
    # Incidents on checkout: 0 (outage) and 2 (latency); the search outage is filtered out.
    assert summary["incidents"] == 2
    assert summary["detected"] == 2
    assert summary["recall"] == 1.0
    per_incident = result.incidents.set_index("incident")
    # Detection: first alert of the outage is ticket-3d at 10:04 (partial 3d window: 200k >
    # 600 + k -> k = 4), i.e. 4 minutes after 10:00.
    assert per_incident.loc[0, "detection_time"] == 4 * M


def test_precision_counts_alerts_outside_incidents() -> None:
    # Same outage, no incidents given except one far away: every alert is a false positive.
    traffic = _traffic(900, {m: 200 for m in range(600, 630)})
    # Every alert fires between 10:04 and 10:22 (see test_alerts), before this incident starts.
    far = pd.DataFrame({"start": [_iso(800)], "end": [_iso(810)], "api": ["checkout"]})
    result = backtest(SLO_, traffic, incidents=load_incidents(far))
    summary = result.summary.iloc[0]
    assert summary["alerts"] > 0
    assert summary["true_alerts"] == 0
    assert summary["precision"] == 0.0
    assert (summary["incidents"], summary["detected"], summary["recall"]) == (1, 0, 0.0)


def test_reset_time_and_side_by_side_policies() -> None:
    traffic = _traffic(1440, {m: 200 for m in range(600, 630)})
    incidents = load_incidents(
        {"episodes": [{"api": "checkout", "kind": "outage", "start": _iso(600), "end": _iso(630)}]}
    )
    result = backtest(SLO_, traffic, policies_for(SLO_, ["workbook", "pyrra"]), incidents)
    assert result.summary["policy"].tolist() == ["workbook", "pyrra"]
    workbook = result.incidents[result.incidents["policy"] == "workbook"].iloc[0]
    # The last workbook alert to reset is ticket-3d (factor 1): its 6h short window at time t
    # holds the outage minutes in [t - 360, 630), each 200 errors, and needs more than
    # 0.001 x 360,000 = 360 of them: at least 2 minutes, t - 360 <= 628, t <= 988. It resets
    # at minute 989, 359 minutes after the outage ended at 630.
    assert workbook["reset_time"] == timedelta(minutes=359)
    pyrra = result.incidents[result.incidents["policy"] == "pyrra"].iloc[0]
    # Pyrra on 30 d: the factor-1 tier's short window is 6h x 30/28 = 385.7 min, rounded to
    # 386; it needs > 386 errors: t - 386 <= 628, t <= 1014, reset at 1015 = 385 min after 630.
    assert pyrra["reset_time"] == timedelta(minutes=385)


def test_inline_tiers_named_like_a_preset_are_replayed_apart_from_it() -> None:
    """Inline tiers named `workbook` (`policy: workbook` beside `tiers`) replayed with
    `--policy workbook --policy spec` gave two `workbook` rows, each counting the alerts of
    both policies. Each row now holds its own policy's alerts: those a backtest of that policy
    alone gives."""
    tier = {"severity": "page", "long_window": "1h", "short_window": "5m", "factor": 1}
    slo = replace(SLO_, alerting=Alerting(policy="workbook", tiers=(tier,)))
    traffic = _traffic(900, {m: 200 for m in range(600, 631)})
    both = policies_for(slo, ["workbook", "spec", "workbook"])
    assert [p.name for p in both] == ["workbook", "workbook (spec)"]
    summary = backtest(slo, traffic, both).summary.set_index("policy")["alerts"]
    alone = {p.name: backtest(slo, traffic, [p]).summary["alerts"].iloc[0] for p in both}
    assert summary.to_dict() == alone
    assert alone["workbook (spec)"] == 1  # one tier, one episode over the 31-minute outage
    with pytest.raises(ConfigError, match="distinct names"):
        backtest(slo, traffic, [both[0], both[0]])


def test_a_timeslice_still_running_at_the_end_of_history_is_not_replayed() -> None:
    """5-minute slices, good when >= 90 % good, 1,000 requests a minute, all failing in
    23:57-23:59. History ending at 23:58: every slice ended by then is good, so no alert (the
    slice 23:55-00:00, judged on its first 3 minutes, fired all four tiers at 00:00, after the
    end of history). Ending at 00:00, that slice is bad (3 of 5 minutes): one bad slice in 12
    over 1h (0.083), far above every workbook threshold for a 1-day window (at most 0.48 x 0.01),
    so the four tiers fire at 00:00."""
    slo = replace(
        SLO_,
        objectives=(Objective(0.99, timeslice_target=0.9, timeslice_window=5 * M),),
        window=TimeWindow.rolling_window(timedelta(days=1)),
        budgeting_method="Timeslices",
    )
    traffic = _traffic(1440, {m: 1000 for m in range(1437, 1440)})
    early = backtest(slo, traffic, start=START, end=START + 1438 * M, step=M)
    assert early.alerts.empty and early.summary["alerts"].tolist() == [0]
    late = backtest(slo, traffic, start=START, end=START + 1440 * M, step=M).alerts
    assert sorted(late["tier"]) == ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    assert set(late["fired_at"]) == {START + 1440 * M}


def test_incidents_from_csv_and_errors(tmp_path: Path) -> None:
    csv = tmp_path / "incidents.csv"
    csv.write_text("start,end\n2026-01-01T10:00:00,2026-01-01T10:30:00\n")
    table = load_incidents(csv)
    assert table["start"].iloc[0] == START + 600 * M  # naive times are UTC
    assert table["api"].isna().all()
    (tmp_path / "bad.csv").write_text("begin,end\n1,2\n")
    with pytest.raises(ConfigError, match="start and end"):
        load_incidents(tmp_path / "bad.csv")
    backwards = {"episodes": [{"start": _iso(10), "end": _iso(5)}]}
    with pytest.raises(ConfigError, match="does not end after"):
        load_incidents(backwards)
    with pytest.raises(ConfigError, match="cannot read"):
        load_incidents(tmp_path / "missing.json")


def test_incidents_csv_mixing_iso_8601_forms(tmp_path: Path) -> None:
    # Each time is read on its own: pandas used to take the first value's form for the whole
    # column, so seconds with a fraction, or an offset, after a time without were refused.
    csv = tmp_path / "incidents.csv"
    csv.write_text(
        "start,end\n"
        "2026-01-01T10:00:00Z,2026-01-01T10:30:00.500Z\n"
        "2026-01-01 11:00,2026-01-01T13:00:00+01:00\n"
    )
    table = load_incidents(csv)
    assert table["start"].tolist() == [START + 600 * M, START + 660 * M]
    # 13:00 at +01:00 is 12:00 UTC
    assert table["end"].tolist() == [START + 630 * M + timedelta(seconds=0.5), START + 720 * M]
    (tmp_path / "bad.csv").write_text("start,end\n2026-01-01T10:00Z,soon\n")
    with pytest.raises(ConfigError) as info:
        load_incidents(tmp_path / "bad.csv")
    assert str(info.value) == (
        f"{tmp_path / 'bad.csv'}: incident time 'soon' is not ISO 8601 (2026-01-31T00:00Z)"
    )


def test_unknown_policy_name() -> None:
    with pytest.raises(SpecError, match="unknown policy"):
        policies_for(SLO_, ["nope"])


def test_cli_backtest_on_a_simulated_outage(tmp_path: Path) -> None:
    # End to end: simulate, ingest, backtest against truth.json. The outage fails 60 % of the
    # API's requests (truth's error_fraction); for a 99 % SLO that is a 60x burn, above every
    # Workbook factor, so it must be detected, and within its own duration.
    from click.testing import CliRunner

    from apislo.cli import main

    runner = CliRunner()
    sim = tmp_path / "sim"
    made = runner.invoke(
        main,
        ["simulate", "--out", str(sim), "--days", "3", "--apis", "3", "--end", SIM_END, "--quiet"],
    )
    assert made.exit_code == 0, made.output
    truth = json.loads((sim / "truth.json").read_text())
    outage = next(e for e in truth["episodes"] if e["kind"] == "outage")
    ingested = runner.invoke(main, ["ingest", str(sim / "logs"), "--out", str(sim / "data"),
                                    "--quiet"])  # fmt: skip
    assert ingested.exit_code == 0, ingested.output
    spec = tmp_path / "slo.yaml"
    spec.write_text(
        "version: apislo/v1\nservice: shop\nslos:\n"
        f"  - name: avail\n    api: {outage['api']}\n    sli: {{kind: availability}}\n"
        "    objectives: [{target: 0.99}]\n    window: 30d\n"
    )
    from apislo.cli.slo_alerts import backtest as backtest_command

    result = runner.invoke(
        backtest_command,
        [str(spec), "--source", str(sim / "data"), "--incidents", str(sim / "truth.json"),
         "--incident-kind", "outage", "--policy", "workbook", "--policy", "pyrra", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    summary = {row["policy"]: row for row in report["summary"]}
    assert set(summary) == {"workbook", "pyrra"}
    duration = pd.Timestamp(outage["end"]) - pd.Timestamp(outage["start"])
    for row in summary.values():
        assert (row["incidents"], row["detected"]) == (1, 1)
        assert pd.Timedelta(row["detection_time_median"]) < duration


def test_an_alert_counts_for_every_incident_it_overlaps() -> None:
    # A maintenance window 09:00-12:00 and, inside it, the outage 10:00-10:30 (20 % errors).
    # Every Workbook alert fires between 10:04 and 10:11 (see test_alerts): its short window
    # (5 min to 6 h back) overlaps both, so it belongs to both. The first is ticket-3d at 10:04
    # (partial 3d window from 00:00: 200 k > 600 + k -> k = 4): detection 4 min after the
    # outage's start, 64 min after the maintenance's. The last to reset is ticket-3d at minute
    # 989 (test_reset_time_and_side_by_side_policies): 989 - 630 = 359 min after the outage,
    # 989 - 720 = 269 min after the maintenance.
    traffic = _traffic(1440, {m: 200 for m in range(600, 630)})
    incidents = load_incidents(
        pd.DataFrame(
            {
                "start": [_iso(540), _iso(600)], "end": [_iso(720), _iso(630)],
                "api": ["checkout", "checkout"], "kind": ["maintenance", "outage"],
            }
        )
    )  # fmt: skip
    result = backtest(SLO_, traffic, incidents=incidents)
    per_incident = result.incidents.set_index("kind")
    assert per_incident["detected"].to_dict() == {"maintenance": True, "outage": True}
    assert per_incident.loc["outage", "detection_time"] == 4 * M
    assert per_incident.loc["maintenance", "detection_time"] == 64 * M
    assert per_incident.loc["outage", "reset_time"] == 359 * M
    assert per_incident.loc["maintenance", "reset_time"] == 269 * M
    assert result.alerts["incidents"].tolist() == [[0, 1]] * len(result.alerts)
    summary = result.summary.iloc[0]
    assert (summary["detected"], summary["recall"], summary["precision"]) == (2, 1.0, 1.0)


def test_low_traffic_episodes_are_not_incidents() -> None:
    # An SLO naming no API (as Sloth's and PromQL ratio SLOs do) matches incidents on every
    # API. truth.json's low-traffic episode spans the whole history: it used to come first and
    # take every alert, leaving the outage undetected. It is a condition, not an incident: left
    # out. The blip of 100 % errors at minutes 1300-1301 raises alerts at 1301 whose short
    # windows (5 min to 6 h back, from 941 on) end long after the outage (630): false alarms.
    slo = SLO(
        "all-availability", "shop", SLI(), (Objective(0.999),),
        TimeWindow.rolling_window(timedelta(days=30)),
    )  # fmt: skip
    traffic = _traffic(1440, {**{m: 200 for m in range(600, 630)}, 1300: 1000, 1301: 1000})
    truth = {
        "episodes": [
            {"kind": "low-traffic", "api": "shipping", "start": _iso(0), "end": _iso(1440)},
            {"kind": "outage", "api": "checkout", "start": _iso(600), "end": _iso(630)},
        ]
    }
    result = backtest(slo, traffic, incidents=load_incidents(truth))
    assert result.incidents["kind"].tolist() == ["outage"]
    assert result.incidents["detected"].tolist() == [True]
    assert result.incidents["detection_time"].tolist() == [4 * M]
    late = result.alerts[result.alerts["fired_at"] >= START + 1301 * M]
    assert len(late) > 0
    assert late["incident"].tolist() == [-1] * len(late)
    summary = result.summary.iloc[0]
    assert (summary["incidents"], summary["detected"]) == (1, 1)
    assert summary["true_alerts"] == len(result.alerts) - len(late)


def test_without_incidents_every_alert_is_unmatched() -> None:
    # The outage raises the four Workbook alerts (see test_alerts); with no incident to belong
    # to, each has incident -1 and no incidents.
    result = backtest(SLO_, _traffic(900, {m: 200 for m in range(600, 630)}))
    assert len(result.alerts) == 4
    assert result.alerts["incident"].tolist() == [-1] * 4
    assert result.alerts["incidents"].tolist() == [[]] * 4
    assert np.isnan(result.summary.iloc[0]["recall"])
