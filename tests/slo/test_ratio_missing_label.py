"""A ratio SLI grouped by a label that some series lack: those series are a group of their own
(``<NA>``, as in a traffic frame), not dropped. Counts by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from apislo.model import arrow_to_pandas
from apislo.slo import SLI, SLO, Objective, TimeWindow
from apislo.slo.source import Source

T = pd.Timestamp("2026-03-02T00:00Z")
STEP = pd.Timedelta(minutes=1)


class _Prometheus:
    """Answers every query with one point at ``T + 1 min`` (the interval ``T .. T + 1 min``):
    ``bad`` 5 for the series without a ``consumer`` label and 1 for ``x``; ``total`` 10 each.
    Arrow dtypes, as :meth:`apislo.sources.prometheus.client.Prometheus.query_range` gives."""

    def query_range(self, promql: str, start: Any, end: Any, step: int) -> pd.DataFrame:
        values = [5.0, 1.0] if "bad" in promql else [10.0, 10.0]
        table = pa.table(
            {
                "ts": pa.array([(T + STEP).to_pydatetime()] * 2, pa.timestamp("us", "UTC")),
                "consumer": pa.array([None, "x"], pa.string()),
                "value": pa.array(values, pa.float64()),
            }
        )
        return arrow_to_pandas(table)


def test_a_series_without_the_group_label_keeps_its_counts() -> None:
    slo = SLO(
        name="ratio",
        service="shop",
        sli=SLI(
            kind="ratio",
            bad_query="sum by (consumer) (increase(bad[{{.window}}]))",
            total_query="sum by (consumer) (increase(total[{{.window}}]))",
        ),
        objectives=(Objective(target=0.9),),
        window=TimeWindow.rolling_window(timedelta(minutes=10)),
        group_by=("consumer",),
    )
    frame = Source("prometheus", _Prometheus(), "fake").frame(slo, T, T + STEP, STEP)
    frame = frame.sort_values("consumer", na_position="first", ignore_index=True)
    assert frame["ts"].tolist() == [T, T]
    assert frame["consumer"].isna().tolist() == [True, False]
    assert frame["bad"].tolist() == [5.0, 1.0]
    assert frame["total"].tolist() == [10.0, 10.0]
