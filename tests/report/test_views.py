"""Report views on the hand-made dataset (tests/report/tiny.py); expected values by hand."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.report import views
from tests.report.tiny import END, START, XSS, write_dataset


@pytest.fixture
def hourly(tmp_path: Path) -> pd.DataFrame:
    dataset = write_dataset(tmp_path / "events")
    frame, source = views.load_traffic(
        str(dataset), "", views.window(START, END), "1h", ("api", "route")
    )
    assert source == f"dataset {dataset}"
    return frame


def test_api_overview_by_hand(hourly: pd.DataFrame) -> None:
    o = views.api_overview(hourly).set_index("api")
    # pay: 6 requests, one 500, one 404; users: one 429, throttled, not a client error (it
    # counted as one, 100 %, beside throttled_429 = 1)
    assert o.loc["pay", "requests"] == 6 and o.loc["users", "requests"] == 1
    assert o.loc["pay", "errors_5xx_pct"] == pytest.approx(100 / 6)
    assert o.loc["pay", "errors_4xx_pct"] == pytest.approx(100 / 6)
    assert o.loc["users", "errors_4xx_pct"] == 0.0
    assert o.loc["users", "throttled_429"] == 1
    # (0.02 + 0.2 + 0.6 + 0.003 + 0.04 + 3.0) / 6
    assert o.loc["pay", "mean_latency_s"] == pytest.approx(3.863 / 6)
    # pay cumulative buckets: le_0.005 1, le_0.025 2, le_0.05 3, le_0.25 4, le_1 5, le_5 6.
    # p50: rank 3 reached in (0.025, 0.05] holding 1 -> 0.025 + 0.025 * (3 - 2) / 1 = 0.05
    # p99: rank 5.94 in (2.5, 5] holding 1 -> 2.5 + 2.5 * 0.94 = 4.85
    assert o.loc["pay", "p50_s"] == pytest.approx(0.05)
    assert o.loc["pay", "p99_s"] == pytest.approx(4.85)
    # users: one request at 0.07 in (0.05, 0.1]: p50 = 0.05 + 0.05 * 0.5 = 0.075
    assert o.loc["users", "p50_s"] == pytest.approx(0.075)
    assert list(o.index) == ["pay", "users"]  # busiest first


def test_quantiles_alike_to_six_digits_get_columns_of_their_own(hourly: pd.DataFrame) -> None:
    # both were `p50_s` (`:g`), the second overwriting the first without a word
    o = views.api_overview(hourly, quantiles=(0.5, 0.5000001)).set_index("api")
    assert [c for c in o.columns if c.startswith("p")] == ["p50_s", "p50.00001_s"]
    # pay: rank 3 is reached at le_0.05 (as above); rank 3.0000006 only at le_0.25 (cum 4;
    # le_0.1 holds 3), in (0.1, 0.25] holding 1 -> 0.1 + 0.15 * 0.0000006
    assert o.loc["pay", "p50_s"] == pytest.approx(0.05)
    assert o.loc["pay", "p50.00001_s"] == pytest.approx(0.1 + 0.15 * 0.0000006)


def test_quantile_above_last_bucket_is_its_bound_like_promql() -> None:
    frame = pd.DataFrame({"latency_count": [1, 0], "le_1": [0, 0], "le_10": [0, 0]})
    got = views.bucket_quantiles(frame, 0.5)
    assert got[0] == 10.0 and math.isnan(got[1])
    with pytest.raises(ConfigError):
        views.bucket_quantiles(frame, 1.5)


def test_top_slices_and_escaped_table(hourly: pd.DataFrame) -> None:
    top = views.top_slices(hourly, "route", n=2)
    assert list(top["route"]) == ["/pay", XSS]
    assert list(top["requests"]) == [4, 2]
    page = views.table(top).to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page
    with pytest.raises(ConfigError, match="consumer"):
        views.top_slices(hourly, "consumer")


@pytest.mark.parametrize("n", [-1, 0, 2.5, "3", True])
def test_top_needs_a_whole_number_of_at_least_one(hourly: pd.DataFrame, n: object) -> None:
    # QA: `-p top -1` kept every route but the last (/u/{id}) under "Busiest slices"; 2.5 was
    # a TypeError about positional indexing
    assert list(views.top_slices(hourly, "route", n=3)["requests"]) == [4, 2, 1]
    message = re.escape(f"top: {n!r} is not valid; allowed: a whole number >= 1")
    with pytest.raises(ConfigError, match=message):
        views.top_slices(hourly, "route", n=n)
    with pytest.raises(ConfigError, match=message):
        views.consumers_hit(hourly.assign(consumer="acme"), n=n)


def test_latency_over_time(hourly: pd.DataFrame) -> None:
    long = views.latency_over_time(hourly, "api", (0.5,))
    pay = long[long["api"] == "pay"].sort_values("ts")
    # 00:00-01:00: 0.003, 0.02, 0.2, 0.6 -> rank 2 reached at le_0.025 (cum 2, below 1)
    #   -> 0.01 + 0.015 * (2 - 1) / 1 = 0.025
    # 01:00-02:00: 0.04, 3.0 -> rank 1 at le_0.05 (cum 1) -> 0.025 + 0.025 * 1 = 0.05
    np.testing.assert_allclose(pay["latency_s"].to_numpy(), [0.025, 0.05])
    # users had no traffic in the first hour: no point there
    assert len(long[long["api"] == "users"]) == 1


def test_window_defaults_and_errors() -> None:
    assert views.window("", "2026-11-08T00:00Z", days=7) == (
        pd.Timestamp("2026-11-01T00:00Z"),
        pd.Timestamp("2026-11-08T00:00Z"),
    )
    with pytest.raises(ConfigError, match="not before"):
        views.window("2026-11-02", "2026-11-01")
    with pytest.raises(ConfigError, match="ISO 8601"):
        views.window("last tuesday", "")


@pytest.mark.parametrize("days", [0, -1, float("nan"), float("inf"), "7", True, 1e9])
def test_days_must_be_a_number_of_days_above_zero(days: object) -> None:
    # QA: `-p days nan` failed with "cannot convert float NaN to integer", -1 with "window start
    # ... is not before end ...; check start/end", which the run was not given
    assert views.window("", "2026-11-08T00:00Z", days=0.5)[0] == pd.Timestamp("2026-11-07T12:00Z")
    message = re.escape(f"days: {days!r} is not valid; allowed: a number of days > 0")
    with pytest.raises(ConfigError, match=message):
        views.window("", "2026-11-08T00:00Z", days=days)


def test_a_number_is_read_as_the_text_it_was_typed_as() -> None:
    # QA: `-p start 20261101` (an int) was read as 20,261,101 ns after 1970: the report covered
    # 1970-01-01 00:00:00.020261101 to its end, 56 years, and said so in its title
    assert views.window(20261101, 20261108) == (
        pd.Timestamp("2026-11-01T00:00Z"),  # ISO 8601 basic format, YYYYMMDD
        pd.Timestamp("2026-11-08T00:00Z"),
    )
    for bound in (1700000000, 1.7e9):  # (epoch seconds are no ISO 8601 time)
        with pytest.raises(ConfigError, match=re.escape(f"'{bound}' is not a time; use ISO")):
            views.window(bound, "2026-11-08T00:00Z")


def test_an_evaluation_instant_typed_as_a_number_is_its_text() -> None:
    """`report run slo_report -p at 20261101` passed the int on to `evaluate`, which reads a
    number as Unix seconds: the report judged the SLOs at 1970-08-23T00:05:01Z."""
    from apislo.sources.prometheus.times import parse_time

    assert views.instant(20261101) == "20261101"
    assert parse_time(views.instant(20261101)) == pd.Timestamp("2026-11-01T00:00Z")
    assert [views.instant(v) for v in ("", "-1d", "2026-11-01T06:00Z")] == [
        "now",
        "-1d",
        "2026-11-01T06:00Z",
    ]


def test_no_source_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(views.PROMETHEUS_URL_ENV, raising=False)
    with pytest.raises(ConfigError, match="dataset"):
        views.load_traffic("", "", views.window(START, END))


def test_relative_paths_are_found_from_a_subdirectory(tmp_path: Path, monkeypatch) -> None:
    # JupyterLab runs a notebook in notebooks/, so "data/events" must be found one level up
    write_dataset(tmp_path / "data" / "events")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert views.find_path("data/events") == tmp_path / "data" / "events"
    assert views.find_path("nowhere/x") == Path("nowhere/x")
    frame, _ = views.load_traffic("data/events", "", views.window(START, END))
    assert int(frame["requests"].sum()) == 7
    # -p apis users on the command line arrives as a string
    frame, _ = views.load_traffic("data/events", "", views.window(START, END), apis="users")
    assert int(frame["requests"].sum()) == 1


def test_requests_without_a_consumer_are_a_group_of_their_own() -> None:
    """Envoy-like events (no consumer) on 2026-11-01: NA has 00:10 200 0.02 s, 00:20 500
    0.2 s and 01:10 200 3.0 s; acme has 00:30 200 0.04 s. Default buckets .005 .01 .025 .05 .1
    .25 .5 1 2.5 5 10 s. By hand, p50 per hour:
    NA 00:00: rank 1 reached at le_0.025 (1 of 1 in (0.01, 0.025]) -> 0.01 + 0.015 = 0.025;
    NA 01:00: rank 0.5 in (2.5, 5] -> 2.5 + 2.5 * 0.5 = 3.75; acme 00:00: 0.025 + 0.025 * 0.5
    = 0.0375; acme 01:00: no request, no point. (The NA requests were left out of both.)"""
    import apislo

    t0 = pd.Timestamp("2026-11-01T00:00Z")
    events = pd.DataFrame(
        {
            "ts": [t0 + pd.Timedelta(minutes=m) for m in (10, 20, 30, 70)],
            "api": ["pay"] * 4,
            "consumer": pd.array([None, None, "acme", None], dtype="string"),
            "status": [200, 500, 200, 200],
            "latency_s": [0.02, 0.2, 0.04, 3.0],
        }
    )
    frame = apislo.traffic(events, "1h", by=("api", "consumer"), quantiles=())
    long = views.latency_over_time(frame, "consumer", (0.5,))
    missing = long[long["consumer"].isna()].sort_values("ts")
    assert missing["ts"].tolist() == [t0, t0 + pd.Timedelta(hours=1)]
    np.testing.assert_allclose(missing["latency_s"].to_numpy(), [0.025, 3.75])
    acme = long[long["consumer"] == "acme"]
    np.testing.assert_allclose(acme["latency_s"].to_numpy(), [0.0375])
    overview = views.api_overview(frame, by=("consumer",))
    assert overview["consumer"].isna().tolist() == [True, False]  # busiest first
    assert overview["requests"].tolist() == [3, 1]
    assert overview["errors_5xx_pct"].tolist() == [pytest.approx(100 / 3), 0.0]


def test_a_table_shows_a_missing_key_as_na_and_a_missing_number_as_a_dash() -> None:
    """Tables showed a group without a consumer as "-", the mark of a missing number, beside a
    chart that says ``<NA>``."""
    frame = pd.DataFrame(
        {
            "consumer": pd.array(["<b>", None], dtype="string[pyarrow]"),
            "p99_s": pd.array([0.25, None], dtype="float64[pyarrow]"),
        }
    )
    html = views.table(frame).to_html()
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ["&lt;b&gt;", "0.250", "&lt;NA&gt;", "-"]


def test_a_table_escapes_control_characters_and_bidi_overrides_as_charts_do() -> None:
    """A consumer label from Prometheus is not escaped by any log parser: its U+202E showed
    ``x\\u202efdp.exe`` in a table as "xexe.pdf" (the chart beside it showed ``\\u202E``)."""
    frame = pd.DataFrame({"consumer": ["x\u202efdp.exe", "a\x1b[31m<b>"], "requests": [2, 1]})
    cells = re.findall(r"<td[^>]*>(.*?)</td>", views.table(frame).to_html())
    assert cells == ["x\\u202Efdp.exe", "2", "a\\x1B[31m&lt;b&gt;", "1"]


def test_a_column_rounded_down_is_escaped_too() -> None:
    """Found on 2026-11-30: the columns rounded down (``floor``, an SLI) took a formatter that
    replaced the escaping of every other cell: a ``<b>`` there reached the report as markup
    (the shipped notebooks put only numbers there: a trap for another notebook's table)."""
    frame = pd.DataFrame({"sli": ["<b>", 0.99896]})
    cells = re.findall(r"<td[^>]*>(.*?)</td>", views.table(frame, 4, floor=["sli"]).to_html())
    assert cells == ["&lt;b&gt;", "0.9989"]


def test_importing_the_views_loads_no_http_client() -> None:
    """A report's kernel imports the views to read a dataset too: the connection settings
    (`apislo.sources.prometheus.settings`) loaded the whole Prometheus package with them, its
    HTTP client and pyarrow (73-144 ms). They load when a Prometheus source is made."""
    import subprocess
    import sys

    script = (
        "import sys, apislo.report.views\n"
        "print(sorted(m for m in ('requests', 'apislo.sources.prometheus.client') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (1 - 1040 / 1_000_000, 4, "0.9989"),  # 0.99896 rounded to the nearest is 0.9990
        (1 - 1 / 1000, 3, "0.999"),  # computed 0.9989999999999999: counts that meet 0.999
        # 201 bad of 20,099,999 misses 0.99999 by 5e-13: 0.99998, not the target (at 12
        # significant digits, until 2026-11-29, it read 0.99999)
        (1 - 201 / 20_099_999, 5, "0.99998"),
        # 932 bad of 1,000 is 0.068 exactly, computed 0.06799999999999995: the float's error,
        # 5e-17, is past the 15th significant digit of a value under 0.1 (on 2026-11-29 it read
        # 0.067); 99,999 bad of 100,000 is 0.00001 exactly, computed 9.99999999995449e-06
        (1 - 932 / 1000, 3, "0.068"),
        (1 - 99_999 / 100_000, 5, "0.00001"),
        (1.0, 2, "1.00"),
    ],
)
def test_floored_never_shows_a_miss_as_the_target(value: float, decimals: int, shown: str) -> None:
    assert views.floored(decimals)(value) == shown
