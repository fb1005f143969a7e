"""Explore on Prometheus with no data (an empty window, a profile the server lacks) shows the
"No requests" note, as the logs path does, instead of failing on missing bucket columns."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from apislo.report import views
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
DAY = pd.Timedelta(days=1)
EMPTY = (T0 - 10 * DAY, T0 - 9 * DAY)  # the fixture's data starts at T0


@pytest.mark.parametrize(
    ("profile", "span"), [("generic", EMPTY), ("envoy", (T0, T0 + pd.Timedelta(hours=2)))]
)
def test_no_data_gives_empty_views(prom_url: str, profile: str, span: tuple) -> None:
    traffic, _ = views.load_traffic("", prom_url, span, "1h", ("api", "route"), [], profile)
    assert len(traffic) == 0
    overview = views.api_overview(traffic)
    assert len(overview) == 0 and {"p50_s", "p99_s"} <= set(overview.columns)
    assert len(views.latency_over_time(traffic, "api")) == 0
    assert len(views.top_slices(traffic, "route")) == 0


def test_quantiles_of_rows_without_latency_are_nan() -> None:
    # a profile without a histogram: requests, no latency observations, no bucket columns
    frame = pd.DataFrame({"requests": [5], "latency_count": [0]})
    assert math.isnan(views.bucket_quantiles(frame, 0.5)[0])


def test_explore_on_an_empty_prometheus_window_says_no_requests(
    prom_url: str, tmp_path: Path
) -> None:
    from apislo.report import run_report

    params = {
        "prometheus_url": prom_url, "start": "2025-12-26T00:00Z", "end": "2025-12-27T00:00Z",
        "interval": "1h",
    }  # fmt: skip
    page = run_report(NOTEBOOKS / "explore.ipynb", params, tmp_path / "e.html").html_path
    assert (
        "<strong>No requests from 2025-12-26 00:00:00+00:00 to 2025-12-27 00:00:00+00:00."
        "</strong>" in page.read_text()
    )
