"""The SLO report's burn-rate chart shows each SLO's own alert windows (no kernel)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.report import slo_views
from apislo.slo import SLI, SLO, Alerting, Objective, TimeWindow, evaluate

AT = pd.Timestamp("2026-11-06T00:00Z")


def _traffic() -> pd.DataFrame:
    """Five days before AT, every minute 100 requests of which 1 is a 500: an error ratio of
    1 % in every window, a burn rate of exactly 1 against a 99 % objective."""
    ts = pd.date_range(AT - pd.Timedelta(days=5), AT, freq="1min", inclusive="left")
    return pd.DataFrame(
        {"ts": ts, "api": "orders", "requests": 100, "status_5xx": 1, "status_4xx": 1}
    ).astype({"requests": np.int64})


def _slo(name: str, policy: str) -> SLO:
    return SLO(
        name=name,
        service="shop",
        api="orders",
        sli=SLI(),
        objectives=(Objective(target=0.99),),
        window=TimeWindow.rolling_window(timedelta(days=30)),
        alerting=Alerting(policy=policy),
    )


def test_a_pyrra_slo_shows_its_own_windows_beside_its_thresholds() -> None:
    # pyrra scales its windows by 30 d / 28 d and rounds them to the minute: 1 h -> 64.3 min
    # (1h4m), 6 h -> 385.7 min (6h26m), 1 d -> 1,542.9 min (1d1h43m), 4 d -> 6,171.4 min
    # (4d6h51m). The workbook keeps 1h, 6h, 1d, 3d. Until 2026-11-29 the chart showed only
    # 1h/6h/1d/3d, so a pyrra SLO had no burn-rate panel at all (no series, so no threshold).
    slos = [_slo("fast", "pyrra"), _slo("plain", "workbook")]
    result = evaluate(slos, _traffic(), at=AT)
    series = slo_views.burn_rate_series(result, slos=slos)
    shown = series.groupby("slo_objective")["window"].unique().map(set).to_dict()
    assert shown == {
        "fast / 99%": {"1h4m", "6h26m", "1d1h43m", "4d6h51m"},
        "plain / 99%": {"1h", "6h", "1d", "3d"},
    }
    assert set(slo_views.burn_thresholds(slos)["fast / 99%"]) == shown["fast / 99%"]
    last = series[series["ts"] == AT]
    assert len(last) == 8
    assert last["burn_rate"].tolist() == pytest.approx([1.0] * 8)


def test_windows_given_are_shown_for_every_slo() -> None:
    slos = [_slo("fast", "pyrra"), _slo("plain", "workbook")]
    result = evaluate(slos, _traffic(), at=AT)
    series = slo_views.burn_rate_series(result, ["5m"])
    assert set(series["window"]) == {"5m"}
    assert set(series["slo_objective"]) == {"fast / 99%", "plain / 99%"}
    # without the SLOs, the workbook's long windows, as before
    assert set(slo_views.burn_rate_series(result)["window"]) == {"1h", "6h", "1d", "3d"}
