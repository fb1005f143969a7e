"""A window that does not start or end on an interval boundary is counted exactly ``[start,
end)`` from Prometheus, as from the logs: partial first and last rows, no hour dropped or added.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apislo.model import EVENT_SCHEMA
from apislo.report import views
from apislo.sources.prometheus import Prometheus
from tests.conftest import SIMULATED_END, SimulatedPrometheus
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
M = pd.Timedelta(minutes=1)


def test_unaligned_window_by_hand(prom_url: str) -> None:
    # conftest's orders over [T0 + 30 min, T0 + 2 h 15 min), hourly rows at T0, T0+1h, T0+2h:
    # minutes 30-60: 200s 10 x 30 = 300, 500s 6 - 3 = 3 -> 303
    # minutes 60-120: 600 + 6 = 606
    # minutes 120-135: 200s 150, 500s 13 - 12 = 1, 429s 2 x 15 = 30 -> 181
    # latency over 120-135: count 150 + 1 = 151, le_0.1 6 x 15 = 90, sum 2 x 15 = 30 s
    frame = Prometheus(prom_url, cache=False).traffic(
        "generic", T0 + 30 * M, T0 + 2 * H + 15 * M, "1h", where={"api": "orders"}
    )
    assert frame["ts"].tolist() == [T0, T0 + H, T0 + 2 * H]
    assert frame["requests"].tolist() == [303, 606, 181]
    assert frame["status_429"].tolist() == [0, 0, 30]
    assert frame["latency_count"].tolist() == [303, 606, 151]
    assert frame["le_0.1"].tolist() == [180, 360, 90]
    assert frame["latency_sum_s"].tolist() == [60.0, 120.0, 30.0]


def test_window_inside_one_interval(prom_url: str) -> None:
    # users over [T0 + 10 min, T0 + 25 min), one row at T0: 200s 5 x 15 = 75, 503s
    # 25 // 5 - 10 // 5 = 3
    frame = Prometheus(prom_url, cache=False).traffic(
        "generic", T0 + 10 * M, T0 + 25 * M, "1h", where={"api": "users"}
    )
    assert frame["ts"].tolist() == [T0]
    assert frame["requests"].tolist() == [78]


def test_prometheus_and_logs_agree_on_an_unaligned_window(
    simulated_prometheus: SimulatedPrometheus, tmp_path: Path
) -> None:
    """QA's comparison: the notebooks' loader, once on the logs dataset, once on Prometheus."""
    events = simulated_prometheus.events
    table = pa.Table.from_pandas(events, preserve_index=False)
    pq.write_table(table.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA), tmp_path / "part.parquet")
    day = SIMULATED_END - pd.Timedelta(days=1)
    span = (day + 10 * H + 30 * M, day + 14 * H + 45 * M)
    logs, _ = views.load_traffic(str(tmp_path), "", span, "1h")
    prom, _ = views.load_traffic("", simulated_prometheus.url, span, "1h")
    hours = [day + h * H for h in range(10, 15)]  # 10:00 (from 10:30) .. 14:00 (to 14:45)
    assert prom["ts"].unique().tolist() == hours == logs["ts"].unique().tolist()
    columns = ["ts", "api", "requests", "status_2xx", "status_4xx", "status_5xx", "status_429"]
    columns += ["latency_count", "le_0.1", "le_0.5", "le_1"]
    pd.testing.assert_frame_equal(prom[columns], logs[columns])
    # the second method: the log lines whose start lies in the window, per API
    ts = events["ts"].astype("datetime64[us, UTC]")
    inside = events[(ts >= span[0]) & (ts < span[1])].groupby("api").size()
    assert prom.groupby("api")["requests"].sum().to_dict() == inside.to_dict()
    np.testing.assert_allclose(
        prom["latency_sum_s"].to_numpy("float64"),
        logs["latency_sum_s"].to_numpy("float64"),
        rtol=1e-9,
    )
