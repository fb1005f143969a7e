"""`apislo slo backtest --json` and `apislo slo compute --json`: missing values are JSON
``null`` (never a bare ``NaN``, which is not JSON), and each SLO lists only its own burn-rate
windows."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from apislo.cli import main
from apislo.model import EVENT_SCHEMA

T = pd.Timestamp("2026-03-02T00:00Z")


def _strict(text: str) -> object:
    """``json.loads`` refusing ``NaN`` and ``Infinity`` (Python accepts them; JSON does not)."""

    def refuse(constant: str) -> object:
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _dataset(tmp_path: Path) -> Path:
    """One checkout request a minute at hh:mm:10 from 2026-03-02T00:00Z to 06:00Z (360), the
    last 60 (05:00-06:00) 503, the others 200."""
    root = tmp_path / "events"
    root.mkdir()
    ts = pd.date_range(T + pd.Timedelta("10s"), periods=360, freq="1min")
    n = len(ts)
    columns = {name: pa.nulls(n) for name in EVENT_SCHEMA.names}
    columns["ts"] = pa.array(ts.to_pydatetime())
    columns["api"] = pa.array(["checkout"] * n)
    columns["route"] = pa.array(["/a"] * n)
    columns["status"] = pa.array([200] * 300 + [503] * 60)
    columns["latency_s"] = pa.array([0.1] * n)
    pq.write_table(pa.table(columns).cast(EVENT_SCHEMA), root / "part-0.parquet")
    return root


def _spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "slo.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_backtest_json_writes_null_for_missing_values(tmp_path: Path) -> None:
    """99 % over 30 days, Workbook policy (page 14.4 over 1h/5m: error ratio > 0.144).

    With x bad minutes since 05:00 (history starts at 00:00, so a long window holds 300 + x
    requests until it is full), each tier fires at the first x over its threshold, its short
    window being all bad by then:
    ticket 1 over 3d/6h (> 0.01): 4/304 = 0.0132 (3/303 = 0.0099 is not): 05:04;
    page 14.4 over 1h/5m (> 0.144): [04:09, 05:09) holds 9/60 = 0.15 (8/60 = 0.133 not): 05:09;
    ticket 3 over 1d/2h (> 0.03): 10/310 = 0.0323 (9/309 = 0.0291 not): 05:10;
    page 6 over 6h/30m (> 0.06): 20/320 = 0.0625 (19/319 = 0.0596 not): 05:20.
    The errors go on to --end 06:00, so all are still firing: ``reset_at`` null. Incidents: the
    outage 05:00-06:00 (detected at 05:04, 4 minutes in; its reset time is null, an alert
    being still open) and one on 2026-03-01 20:00-20:30, which no alert's short window at its
    firing reaches (the earliest starts at 05:04 - 6h = 23:04): undetected, so its first alert,
    detection and reset time are null. The old code wrote bare ``NaN`` for these.
    """
    spec = _spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - {name: checkout-availability, api: checkout, objectives: [{target: 0.99}]}
        """,
    )
    incidents = tmp_path / "incidents.json"
    incidents.write_text(
        json.dumps(
            [
                {"start": "2026-03-02T05:00:00Z", "end": "2026-03-02T06:00:00Z", "api": "checkout"},
                {"start": "2026-03-01T20:00:00Z", "end": "2026-03-01T20:30:00Z", "api": "checkout"},
            ]
        )
    )
    result = CliRunner().invoke(
        main,
        ["slo", "backtest", str(spec), "--source", str(_dataset(tmp_path)), "--incidents",
         str(incidents), "--start", "2026-03-02T00:00:00Z", "--end", "2026-03-02T06:00:00Z",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (doc,) = _strict(result.stdout)
    fired = {a["tier"]: (a["fired_at"][11:16], a["reset_at"]) for a in doc["alerts"]}
    assert fired == {
        "ticket-3d": ("05:04", None),
        "page-1h": ("05:09", None),
        "ticket-1d": ("05:10", None),
        "page-6h": ("05:20", None),
    }
    quiet, outage = doc["incidents"]  # by start
    assert (outage["detected"], outage["first_alert"]) == (True, "2026-03-02T05:04:00+00:00")
    assert outage["detection_time"] == "P0DT0H4M0S"
    assert quiet["start"] == "2026-03-01T20:00:00+00:00"
    assert outage["reset_time"] is None
    assert quiet["detected"] is False
    assert (quiet["first_alert"], quiet["detection_time"], quiet["reset_time"]) == (
        None,
        None,
        None,
    )
    (summary,) = doc["summary"]
    assert (summary["incidents"], summary["detected"], summary["recall"]) == (2, 1, 0.5)
    assert summary["reset_time_median"] is None


def test_compute_json_lists_only_each_slos_own_burn_windows(tmp_path: Path) -> None:
    """Two SLOs in one run: the Workbook policy's windows (5m 30m 1h 2h 6h 1d 3d) for one, one
    tier over 4h/20m for the other; each object lists its own windows only (the old code gave
    each the other's too, as null, which means "no traffic")."""
    spec = _spec(
        tmp_path,
        """
        version: apislo/v1
        service: shop
        slos:
          - {name: workbook, api: checkout, objectives: [{target: 0.99}]}
          - name: own
            api: checkout
            objectives: [{target: 0.99}]
            alerting:
              tiers: [{severity: page, long_window: 4h, short_window: 20m, factor: 2}]
        """,
    )
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(spec), "--source", str(_dataset(tmp_path)), "--at",
         "2026-03-02T06:00:00Z", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    workbook, own = _strict(result.stdout)
    assert list(workbook["burn_rates"]) == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    # 4h: 60 bad of 240 = 0.25 / 0.01 = 25; 20m: 20/20 = 1 / 0.01 = 100.
    assert own["burn_rates"] == {"20m": 100, "4h": 25}
