"""The busiest-slices chart draws one bar per (api, label) pair, at its own total: a consumer of
two APIs is two bars, never one bar stacking both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apislo import charts
from apislo.report import views
from tests.report.tiny import END, START, write_dataset


@pytest.fixture(autouse=True)
def svg_renderer():
    import altair as alt

    before = alt.renderers.active
    charts.setup("svg")
    yield
    alt.renderers.enable(before)


def test_a_consumer_of_two_apis_is_two_bars(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "events")
    traffic, _ = views.load_traffic(
        str(dataset), "", views.window(START, END), "1h", ("api", "consumer")
    )
    busiest = views.top_slices(traffic, "consumer", 10)
    svg = charts.top_routes(busiest, label="consumer")._repr_mimebundle_()["image/svg+xml"]
    bars = re.findall(r'aria-label="requests: (\d+); consumer \(api\): ([^"]*)"', svg)
    # tests/report/tiny.py by hand: acme made 3 pay requests (00:10, 00:20, 01:10) and 1 users
    # request (01:30); globex 2 pay requests; <b>evil</b> 1 pay request
    assert sorted(bars) == sorted(
        [
            ("3", "acme (pay)"),
            ("2", "globex (pay)"),
            ("1", "&lt;b&gt;evil&lt;/b&gt; (pay)"),
            ("1", "acme (users)"),
        ]
    )
    # largest first, by each bar's own total (acme's 3 + 1 are not one bar of 4)
    (axis,) = re.findall(r'aria-label="Y-axis for a discrete scale with 4 values: ([^"]*)"', svg)
    assert axis.split(", ")[:2] == ["acme (pay)", "globex (pay)"]
