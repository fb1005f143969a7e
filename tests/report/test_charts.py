"""Chart builders: static SVG through vl-convert, data text escaped, the ideal burn-down line."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from apislo import charts
from apislo.errors import ConfigError
from tests.report.tiny import XSS


def svg_of(chart) -> str:
    return chart._repr_mimebundle_()["image/svg+xml"]


@pytest.fixture(autouse=True)
def svg_renderer():
    import altair as alt

    before = alt.renderers.active
    assert charts.setup("svg") == "svg"
    yield
    alt.renderers.enable(before)


def test_setup_reads_the_runner_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APISLO_CHART_RENDERER", "svg")
    assert charts.setup() == "svg"
    monkeypatch.delenv("APISLO_CHART_RENDERER")
    assert charts.setup() == "default"


def test_top_routes_draws_one_bar_per_row_with_escaped_labels() -> None:
    table = pd.DataFrame({"route": ["/a", XSS, "/c"], "requests": [5, 3, 1]})
    svg = svg_of(charts.top_routes(table))
    assert svg.count('aria-roledescription="bar"') == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "<script" not in svg


def test_control_characters_in_labels_are_drawn_escaped() -> None:
    """vl-convert aborts the process on a control character in SVG text: labels carry it
    written as an escape instead (a route from a hostile request, a group from a label)."""
    table = pd.DataFrame({"route": ["/a\x1b[31m", "/b\x00", "/c\u202e"], "requests": [5, 3, 1]})
    svg = svg_of(charts.top_routes(table))
    assert svg.count('aria-roledescription="bar"') == 3
    for shown in ("/a\\x1B[31m", "/b\\x00", "/c\\u202E"):
        assert shown in svg
    assert table["route"][0] == "/a\x1b[31m"  # the caller's frame is left as it was


def test_noncharacters_that_abort_vl_convert_are_drawn_escaped() -> None:
    """Found on 2026-11-30: a route holding U+FFFE or U+FFFF (one request whose path has the
    raw bytes EF BF BF, which NGINX logs as ``\\xEF\\xBF\\xBF``) aborted vl-convert, and so
    the kernel: every explore and incident report over it failed with ``DeadKernel``. Shown
    escaped, in tables too (which take the same text)."""
    table = pd.DataFrame({"route": ["/d\ufffe", "/e\uffff\x1b"], "requests": [2, 1]})
    assert charts.shown_text(table)["route"].tolist() == ["/d\\uFFFE", "/e\\uFFFF\\x1B"]
    svg = svg_of(charts.top_routes(table))
    assert svg.count('aria-roledescription="bar"') == 2
    assert "/d\\uFFFE" in svg and "/e\\uFFFF\\x1B" in svg


def test_a_missing_group_key_is_drawn_as_na_not_null() -> None:
    """A group without a consumer (Envoy logs) reached Vega-Lite as ``null``, drawn as the word
    "null" on the axis; it is drawn as pandas shows it, ``<NA>`` (escaped in SVG)."""
    table = pd.DataFrame(
        {"consumer": pd.array(["acme", None], dtype="string[pyarrow]"), "requests": [5, 3]}
    )
    svg = svg_of(charts.top_routes(table, label="consumer"))
    assert svg.count('aria-roledescription="bar"') == 2
    assert "consumer: &lt;NA&gt;" in svg and "null" not in svg


def test_burn_down_ideal_line_falls_from_1_to_0() -> None:
    ts = pd.date_range("2026-11-01", periods=3, freq="12h", tz="UTC")
    frame = pd.DataFrame({"ts": ts, "slo_objective": "x / 99%", "remaining": [1.0, 0.8, 0.7]})
    spec = charts.budget_burn_down(frame).to_dict()
    (rows,) = spec["datasets"].values()
    ideal = [r["budget"] for r in rows if r["series"] == "ideal"]
    assert ideal == [1.0, 0.5, 0.0]  # linear over the 24 h shown
    assert "<path" in svg_of(charts.budget_burn_down(frame))


def test_burn_rates_draw_thresholds_of_their_slo_only() -> None:
    ts = pd.date_range("2026-11-01", periods=2, freq="1h", tz="UTC")
    rates = pd.DataFrame(
        {"ts": ts, "slo_objective": "a / 99%", "window": "1h", "burn_rate": [0.5, 20.0]}
    )
    spec = charts.burn_rates(rates, {"a / 99%": {"1h": 14.4}, "b / 99%": {"1h": 6.0}}).to_dict()
    (rows,) = spec["datasets"].values()
    assert [r["burn_rate"] for r in rows if r["kind"] == "threshold"] == [14.4]
    assert svg_of(charts.burn_rates(rates)).count("<path") > 3


def test_missing_columns_are_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="status_mix needs columns"):
        charts.status_mix(pd.DataFrame({"ts": []}))


def test_compliance_axis_spans_the_attainments_so_a_missed_target_shows() -> None:
    """A month at 98.9 % under a 99.5 % target (the demo's orders after its outage): on a
    0-100 % axis the two are a pixel apart and the missed SLO looks met. The axis must span
    about 98.9 %-99.9 % (the data and the target), so its labels stay between 98 % and 100 %."""
    history = pd.DataFrame(
        {
            "slo_objective": "orders / 99.5%",
            "period": ["2026-09", "2026-10", "2026-11"],
            "attainment": [0.999, 0.989, None],  # 2026-11 without traffic
            "target": 0.995,
            "met": [True, False, None],
        }
    )
    svg = svg_of(charts.compliance_history(history))
    labels = [float(v) for v in re.findall(r">(\d+(?:\.\d+)?)%</text>", svg)]
    assert labels and min(labels) >= 98.0 and max(labels) <= 100.0, labels
    assert svg.count('aria-roledescription="circle"') == 2  # one dot per period with traffic
    # the period without traffic keeps its place on the axis and says so (it was left out)
    assert ">2026-11</text>" in svg
    assert svg.count(">no data</text>") == 1


def test_a_missed_month_is_coloured_missed_where_it_sits_on_its_target() -> None:
    """A 95 % month beside a 99.896 % one under a 99.9 % target: on an axis spanning 95-99.9 %
    (140 px) the miss is 0.004 % below the tick, 0.1 px: it read as met until 2026-11-29. The
    dots are coloured by ``met``: green (#27ae60) met, orange (#e67e22) missed."""
    history = pd.DataFrame(
        {
            "slo_objective": "orders / 99.9%",
            "period": ["2026-09", "2026-10", "2026-11"],
            "attainment": [0.9995, 0.95, 0.99896],
            "target": 0.999,
            "met": [True, False, False],
        }
    )
    svg = svg_of(charts.compliance_history(history))
    dot = r'aria-label="period: ([^;"]+);[^"]*"[^>]*aria-roledescription="circle"'
    dots = re.findall(dot + r'[^>]*fill="(#[0-9a-f]{6})"', svg)
    assert dots == [("2026-09", "#27ae60"), ("2026-10", "#e67e22"), ("2026-11", "#e67e22")]


def test_a_long_name_from_the_logs_keeps_a_faceted_chart_short() -> None:
    """Two panels of 140 px: 3,000 characters of an API name, drawn upright as the row's header,
    made the SVG 15,027 px tall; cut at 300 px, the chart stays under 500 px."""
    ts = pd.to_datetime(["2026-11-01T00:00Z", "2026-11-01T01:00Z"] * 2)
    latency = pd.DataFrame(
        {"ts": ts, "api": ["x" * 3000] * 2 + ["b"] * 2, "quantile": "p50", "latency_s": 0.1}
    )
    svg = svg_of(charts.latency_bands(latency))
    height = float(re.search(r'<svg[^>]* height="([0-9.]+)"', svg).group(1))
    assert 280 < height < 500
