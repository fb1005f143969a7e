"""Traffic frames from the fixture's metrics, checked against counts worked out by hand.

Hourly counts at interval starts T0, T0+1h, T0+2h (values from conftest.py's table):
orders: 200 -> 600 each hour; 500 -> 6 each hour; 429 -> 0, 0, 2*60 = 120.
EVIL api: 60 each hour. users: 200 -> 300 each hour (the reset at minute 90 is bridged by
``increase``: 450 - 300 + 5 * 30 = 300 in hour 1); 503 -> 12 each hour (60 // 5; the scrape gap
130..150 lies inside hour 2 and both boundary samples exist).
orders latency: count 606, sum 120 s, le_0.1 360, le_0.5 540 per hour.
Kong pay: 240 requests, le 250 ms -> le_0.25 = 180, le 1000 ms -> le_1 = 240, sum 30,000 ms = 30 s.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.model import traffic_columns
from apislo.report import views
from apislo.sources.prometheus import Profile, Prometheus, load_profile, profile_names
from apislo.sources.prometheus.traffic import traffic_queries
from tests.prometheus.conftest import EVIL, T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
HOURS = [T0, T0 + H, T0 + 2 * H]


@pytest.fixture(scope="module")
def generic(prom_url: str) -> pd.DataFrame:
    return Prometheus(prom_url, cache=False).traffic("generic", T0, T0 + 3 * H, "1h")


def _rows(frame: pd.DataFrame, api: str) -> pd.DataFrame:
    rows = frame[frame["api"] == api]
    assert rows["ts"].tolist() == HOURS
    return rows


def test_shape_matches_the_log_side(generic: pd.DataFrame) -> None:
    assert list(generic.columns) == traffic_columns(("api",), (0.1, 0.5))
    assert str(generic["ts"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(generic["api"].dtype) == "string[pyarrow]"
    assert str(generic["requests"].dtype) == "int64[pyarrow]"
    assert str(generic["latency_sum_s"].dtype) == "double[pyarrow]"
    assert generic["api"].tolist() == [EVIL] * 3 + ["orders"] * 3 + ["users"] * 3


def test_orders_statuses_and_latency(generic: pd.DataFrame) -> None:
    o = _rows(generic, "orders")
    assert o["requests"].tolist() == [606, 606, 726]
    assert o["status_2xx"].tolist() == [600, 600, 600]
    assert o["status_4xx"].tolist() == [0, 0, 120]
    assert o["status_429"].tolist() == [0, 0, 120]
    assert o["status_5xx"].tolist() == [6, 6, 6]
    assert o["latency_count"].tolist() == [606] * 3
    assert o["latency_sum_s"].tolist() == [120.0] * 3
    assert o["le_0.1"].tolist() == [360] * 3 and o["le_0.5"].tolist() == [540] * 3


def test_counter_reset_and_scrape_gap(generic: pd.DataFrame) -> None:
    u = _rows(generic, "users")
    assert u["status_2xx"].tolist() == [300, 300, 300]
    assert u["status_5xx"].tolist() == [12, 12, 12]
    assert _rows(generic, EVIL)["requests"].tolist() == [60, 60, 60]


def test_kong_milliseconds_become_seconds(prom_url: str) -> None:
    frame = Prometheus(prom_url, cache=False).traffic("kong", T0, T0 + 3 * H, "1h")
    assert list(frame.columns) == traffic_columns(("api",), (0.25, 1.0))
    assert frame["api"].tolist() == ["pay"] * 3
    assert frame["requests"].tolist() == [240] * 3
    assert frame["latency_sum_s"].tolist() == [30.0] * 3
    assert frame["le_0.25"].tolist() == [180] * 3 and frame["le_1"].tolist() == [240] * 3


def test_threshold_selection(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False)
    frame = prom.traffic("generic", T0, T0 + 2 * H, "1h", thresholds_s=[0.5])
    assert list(frame.columns) == traffic_columns(("api",), (0.5,))
    assert _rows_2h(frame, "orders")["le_0.5"].tolist() == [540, 540]
    with pytest.raises(ConfigError) as caught:
        prom.traffic("generic", T0, T0 + 2 * H, "1h", thresholds_s=[0.25])
    assert str(caught.value) == (  # the fixture's buckets, as numbers a reader knows
        "the exporter has no bucket at [0.25] s; its buckets are [0.1, 0.5] s "
        "(thresholds must be bucket boundaries)"
    )


def _rows_2h(frame: pd.DataFrame, api: str) -> pd.DataFrame:
    rows = frame[frame["api"] == api]
    assert rows["ts"].tolist() == HOURS[:2]
    return rows


def test_where_value_is_escaped(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache=False)
    frame = prom.traffic("generic", T0, T0 + 2 * H, "1h", where={"api": EVIL}, thresholds_s=[1])
    assert frame["api"].tolist() == [EVIL, EVIL]
    assert frame["requests"].tolist() == [60, 60]
    assert frame["le_1"].tolist() == [0, 0]  # no histogram for this API: zero buckets


def test_thirty_minute_intervals(prom_url: str) -> None:
    frame = Prometheus(prom_url, cache=False).traffic(
        "generic", T0, T0 + H, "30m", where={"api": "orders"}
    )
    # minutes 0-30: 200 -> 300, 500 -> 3; 30-60: 300 and 3
    assert frame["requests"].tolist() == [303, 303]


def test_queries_and_custom_profile(tmp_path: Path, prom_url: str) -> None:
    istio = traffic_queries(load_profile("istio"), ["destination_service_name"], 3600, {})
    assert istio["requests"] == (
        "sum by (destination_service_name, response_code) "
        '(increase(istio_requests_total{reporter="destination"}[1h]))'
    )
    own = tmp_path / "mine.yaml"
    own.write_text(
        "name: mine\ndescription: test\nrequests: kong_http_requests_total\n"
        "status_label: code\napi_label: service\n"
    )
    frame = Prometheus(prom_url, cache=False).traffic(own, T0, T0 + H, "1h")
    assert list(frame.columns) == traffic_columns(("api",), ())
    assert frame["requests"].tolist() == [240]
    with pytest.raises(ConfigError, match="unknown profile"):
        Prometheus(prom_url, cache=False).traffic("nope", T0, T0 + H)
    with pytest.raises(ConfigError, match="latency_unit"):
        Profile("x", "d", "m_total", "code", "api", latency_unit="us")


def test_a_profile_that_is_not_yaml_is_a_one_line_error(tmp_path: Path) -> None:
    """A tab may not indent YAML; the error names the file and the line, in one line."""
    own = tmp_path / "mine.yaml"
    own.write_text("name: mine\n\trequests: x\n")
    with pytest.raises(ConfigError) as info:
        load_profile(own)
    assert str(info.value) == (
        f"{own}: line 2: metric profile is not valid YAML: found character '\\t' that cannot start "
        "any token"
    )


def test_quiet_intervals_are_zero_rows(prom_url: str) -> None:
    # the data starts at T0: the two hours before it have no series, yet get rows (as the log
    # side's complete=True does), so a window over rows is a window in time
    # (the window ends at T0 + 1.5 h: the last row counts [T0 + 1 h, T0 + 1.5 h), as the log
    # side does, 4 requests a minute for 30 minutes)
    frame = Prometheus(prom_url, cache=False).traffic("kong", T0 - 2 * H, T0 + H + H / 2, "1h")
    assert frame["ts"].tolist() == [T0 - 2 * H, T0 - H, T0, T0 + H]
    assert frame["requests"].tolist() == [0, 0, 240, 120]
    assert frame["le_1"].tolist() == [0, 0, 240, 120]


@pytest.mark.parametrize("name", profile_names())
def test_every_bundled_profile_is_valid_promql(prom_url: str, name: str) -> None:
    # the fixture has no Envoy/Istio/... series: Prometheus must accept every query (no
    # parse error) and the frame is empty but well-formed
    frame = Prometheus(prom_url, cache=False).traffic(name, T0, T0 + H, "1h", by=("api",))
    if name in ("generic", "kong"):
        assert len(frame) > 0
    else:
        assert frame.empty and list(frame.columns) == traffic_columns(("api",), ())


def test_where_api_is_the_profiles_api_label(prom_url: str) -> None:
    # Kong names the API in its `service` label; `where={"api": ...}` selects it as `by` does
    # (conftest: kong pay counts 4 m at minute m -> 240 requests an hour, le 250 ms 180)
    prom = Prometheus(prom_url, cache=False)
    frame = prom.traffic("kong", T0, T0 + 2 * H, "1h", where={"api": "pay"})
    assert frame["api"].tolist() == ["pay", "pay"]
    assert frame["requests"].tolist() == [240, 240]
    assert frame["le_0.25"].tolist() == [180, 180]
    assert prom.traffic("kong", T0, T0 + 2 * H, "1h", where={"api": "other"}).empty
    # the label's own name still works
    same = prom.traffic("kong", T0, T0 + 2 * H, "1h", where={"service": "pay"})
    pd.testing.assert_frame_equal(same, frame)
    kong = traffic_queries(load_profile("kong"), ["service"], 3600, {"api": "pay"})
    assert kong["requests"] == (
        'sum by (service, code) (increase(kong_http_requests_total{service="pay"}[1h]))'
    )


def test_a_frame_too_large_to_build_is_refused_before_any_request() -> None:
    # 1 s intervals over 300 days: 300 x 86,400 = 25,920,000 intervals, over the log side's
    # 20 M-row limit; refused at once (no server listens on port 1: a request would fail)
    prom = Prometheus("http://127.0.0.1:1", cache=False, retries=0)
    with pytest.raises(ConfigError) as caught:
        prom.traffic("generic", T0 - pd.Timedelta(days=300), T0, "1s")
    assert str(caught.value).startswith(
        "a complete traffic frame would hold 25,920,000 rows (25,920,000 intervals x 1 groups)"
    )


def test_a_key_the_latency_histogram_lacks_is_refused(prom_url: str) -> None:
    # the fixture's http_requests_total carries `code`, its histogram only `api`: split by code,
    # every group's latency columns were 0 and an extra <NA> group held them all
    prom = Prometheus(prom_url, cache=False)
    with pytest.raises(ConfigError) as caught:
        prom.traffic("generic", T0, T0 + 2 * H, "1h", by=("api", "code"))
    assert str(caught.value) == (
        "profile generic: the latency histogram http_request_duration_seconds has no label "
        "code, so its latency columns cannot be split by code; group by labels that both it "
        "and the request counter carry"
    )
    # a key neither metric carries is a group of its own (<NA>) for both, as before
    frame = prom.traffic(
        "generic", T0, T0 + 2 * H, "1h", by=("api", "zone"), where={"api": "orders"}
    )
    assert frame["zone"].isna().all()
    assert frame["requests"].tolist() == [606, 606]  # 600 200s and 6 500s an hour
    assert frame["le_0.5"].tolist() == [540, 540]


def test_report_views_read_a_pandas_interval_from_prometheus(prom_url: str) -> None:
    # the notebooks' `interval` ("5min", as for logs) is not PromQL syntax ("5m"); by hand,
    # orders per 30 minutes: 300 200s (10 m) and 3 500s (m // 10), no 429 before minute 120
    frame, source = views.load_traffic("", prom_url, (T0, T0 + H), "30min", ("api",), ["orders"])
    assert frame["requests"].tolist() == [303, 303]
    assert source.endswith("(profile generic)")
