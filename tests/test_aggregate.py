"""The traffic frame from events, against counts worked out by hand."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import polars as pl
import pytest

import apislo
from apislo.aggregate import parse_interval
from apislo.errors import ConfigError
from apislo.model import traffic_columns


def _at(minute: int, second: int) -> dt.datetime:
    return dt.datetime(2026, 11, 2, 0, minute, second, tzinfo=dt.UTC)


EVENTS = pl.DataFrame(
    {
        "ts": [_at(0, 10), _at(0, 50), _at(1, 5), _at(3, 0), _at(0, 30)],
        "api": ["a", "a", "a", "a", "b"],
        "status": [200, 503, 429, None, 302],
        "latency_s": [0.1, 0.3, 0.005, None, 2.0],
    },
    schema_overrides={"status": pl.Int16},
)
THRESHOLDS = (0.005, 0.3, 1.0)


def _row(frame: pd.DataFrame, api: str, minute: int) -> dict:
    hit = frame[(frame["api"] == api) & (frame["ts"] == pd.Timestamp(_at(minute, 0)))]
    assert len(hit) == 1
    return hit.iloc[0].to_dict()


def test_counts_buckets_and_quantiles_per_minute() -> None:
    frame = apislo.traffic(EVENTS, "1min", thresholds_s=THRESHOLDS, quantiles=(0.5, 0.9))
    assert list(frame.columns) == [*traffic_columns(("api",), THRESHOLDS), "p50_s", "p90_s"]
    first = _row(frame, "a", 0)
    # 200 @ 0.1 s and 503 @ 0.3 s: 0.3 <= 0.3 counts in le_0.3 (Prometheus le is inclusive).
    assert {k: first[k] for k in ("requests", "status_2xx", "status_5xx", "status_429")} == {
        "requests": 2,
        "status_2xx": 1,
        "status_5xx": 1,
        "status_429": 0,
    }
    assert (first["le_0.005"], first["le_0.3"], first["le_1"]) == (0, 2, 2)
    assert first["latency_count"] == 2
    assert first["latency_sum_s"] == pytest.approx(0.4)
    # Linear interpolation between the two order statistics 0.1 and 0.3.
    assert first["p50_s"] == pytest.approx(0.2)
    assert first["p90_s"] == pytest.approx(0.1 + 0.9 * 0.2)
    second = _row(frame, "a", 1)
    assert (second["status_4xx"], second["status_429"], second["le_0.005"]) == (1, 1, 1)
    # No traffic at 00:02: a zero row, so rows are a time grid.
    gap = _row(frame, "a", 2)
    assert (gap["requests"], gap["latency_count"], gap["le_1"]) == (0, 0, 0)
    assert pd.isna(gap["p50_s"])
    # A request with no status and no latency counts in requests only.
    last = _row(frame, "a", 3)
    counts = (last["requests"], last["status_2xx"], last["latency_count"], last["le_1"])
    assert counts == (1, 0, 0, 0)
    b = _row(frame, "b", 0)
    assert (b["status_3xx"], b["le_1"], b["latency_sum_s"]) == (1, 0, 2.0)
    # b is padded over the same span as a: minutes 0..3.
    assert frame.groupby("api").size().to_dict() == {"a": 4, "b": 4}


def test_explicit_span_and_hourly_intervals() -> None:
    frame = apislo.traffic(
        EVENTS,
        "1min",
        thresholds_s=THRESHOLDS,
        quantiles=(),
        start="2026-11-01 23:59",
        end="2026-11-02 00:04:30",
    )
    # 23:59 .. 00:05 (end rounded up to the interval) -> 6 minutes per API.
    assert frame.groupby("api").size().to_dict() == {"a": 6, "b": 6}
    assert int(frame["requests"].sum()) == 5
    hourly = apislo.traffic(EVENTS, "1h", by=(), quantiles=())
    assert len(hourly) == 1
    assert hourly.loc[0, "requests"] == 5
    assert hourly.loc[0, "ts"] == pd.Timestamp("2026-11-02", tz="UTC")


def test_input_types_and_errors() -> None:
    as_pandas = EVENTS.to_pandas(use_pyarrow_extension_array=True)
    frame = apislo.traffic(as_pandas, "1min", quantiles=(), complete=False)
    assert len(frame) == 4  # only the (api, minute) pairs with traffic
    assert str(frame["ts"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    with pytest.raises(ConfigError, match="not a duration"):
        apislo.traffic(EVENTS, "soon")
    with pytest.raises(ConfigError, match="no column"):
        apislo.traffic(EVENTS, by=("route",))


def test_a_group_key_given_twice_is_refused() -> None:
    """``by=("api", "api")`` was polars' DuplicateError from deep inside the group-by."""
    with pytest.raises(ConfigError) as info:
        apislo.traffic(EVENTS, by=("api", "api"))
    assert str(info.value) == "by ['api', 'api']: api given twice; give each key once"


@pytest.mark.parametrize("by", ["ts", ("api", "ts")])
def test_ts_is_no_group_key(by: str | tuple[str, ...]) -> None:
    """``by="ts"`` was polars' DuplicateError from deep inside the group-by (a second ts
    column beside the intervals'); summary's ts is the time column too. A counted column
    (status) stays a key."""
    keys = ["ts"] if by == "ts" else ["api", "ts"]
    message = (
        f"by {keys}: ts is no group key: it is the time column, each interval's start in a "
        "traffic frame; set the intervals' length with interval= (step= from Prometheus)"
    )
    from apislo.aggregate import summary

    for call in (apislo.traffic, summary):
        with pytest.raises(ConfigError) as info:
            call(EVENTS, by=by)
        assert str(info.value) == message
    by_status = apislo.traffic(EVENTS, "1h", by="status", quantiles=(), complete=False)
    assert by_status["requests"].tolist() == [1, 1, 1, 1, 1]  # 200, 302, 429, 503, no status


@pytest.mark.parametrize("end", ["2026-11-02 00:01", "2026-11-02 00:02"])
def test_an_end_not_after_start_is_refused(end: str) -> None:
    """An end before (or at) the start gave an empty frame without a word, complete or not."""
    for complete in (True, False):
        with pytest.raises(ConfigError) as info:
            apislo.traffic(EVENTS, start="2026-11-02 00:02", end=end, complete=complete)
        assert str(info.value) == (
            f"end={end!r} ({end}:00+00:00) is not after start='2026-11-02 00:02' "
            "(2026-11-02 00:02:00+00:00): the span is start <= ts < end"
        )


def test_the_last_nanosecond_time_is_an_end_as_before() -> None:
    """``pd.Timestamp.max`` (2262-04-11 23:47:16.854775807), an open end for some, stopped
    `traffic` with pandas' OutOfBoundsDatetime once its bounds were rounded up to whole
    microseconds (`complete=False` ignored them before). Rounded up by hand: .854776."""
    from apislo.model import utc_span

    assert utc_span(pd.Timestamp.min, pd.Timestamp.max) == (
        pd.Timestamp("1677-09-21 00:12:43.145225Z"),
        pd.Timestamp("2262-04-11 23:47:16.854776Z"),
    )
    frame = apislo.traffic(EVENTS, "1min", end=pd.Timestamp.max, complete=False)
    assert frame["requests"].tolist() == [1 + 1, 1, 1, 1]  # a: 00:00, 00:01, 00:03; b: 00:00


def test_a_span_keeps_the_intervals_it_overlaps_whole() -> None:
    """From 00:01:30 to 00:03: the minutes 00:01 and 00:02. The 429 at 00:01:05, before the
    start, is in 00:01 and counted; the requests of 00:00 and 00:03 are left out."""
    frame = apislo.traffic(
        EVENTS, "1min", quantiles=(), start="2026-11-02 00:01:30", end="2026-11-02 00:03"
    )
    assert frame["api"].tolist() == ["a", "a", "b", "b"]
    assert frame["ts"].tolist() == [pd.Timestamp(_at(m, 0)) for m in (1, 2, 1, 2)]
    assert frame["requests"].tolist() == [1, 0, 0, 0]


@pytest.mark.parametrize(
    "latencies", [pd.Series([1, 2, 4], dtype="int64"), pd.Series([0.5, 1, 4], dtype="float32")]
)
def test_latency_sum_is_float_seconds_whatever_the_latency_type(latencies: pd.Series) -> None:
    """Integer seconds (pandas int64) gave an integer latency_sum_s, float32 ones a float32
    sum; the schema's is float64. By hand: 1 + 2 = 3 s and 0.5 + 1 = 1.5 s in minute 0, 4 s
    in minute 1."""
    events = pd.DataFrame(
        {"ts": [_at(0, 1), _at(0, 2), _at(1, 0)], "api": ["a"] * 3, "status": [200] * 3,
         "latency_s": latencies}
    )  # fmt: skip
    from apislo.aggregate import summary

    frame = apislo.traffic(events, "1min", quantiles=())
    total = summary(events, quantiles=())
    for column in (frame["latency_sum_s"], total["latency_sum_s"]):
        assert str(column.dtype) == "double[pyarrow]"
    first = 3.0 if latencies.dtype == "int64" else 1.5
    assert frame["latency_sum_s"].tolist() == [first, 4.0]
    assert total["latency_sum_s"].tolist() == [first + 4.0]


@pytest.mark.parametrize("bound", [1793556000, "", "not a time"])
def test_a_bound_that_is_no_time_is_refused_as_load_refuses_it(bound: object) -> None:
    """A number was read as nanoseconds since 1970 (a frame of zeros from 1970 on), and an
    empty text crashed inside polars."""
    with pytest.raises(ConfigError, match=r"start=.* is not a time"):
        apislo.traffic(EVENTS, "1h", start=bound)
    with pytest.raises(ConfigError, match=r"end=.* is not a time"):
        apislo.traffic(EVENTS, "1h", end=bound)


def test_a_categorical_key_gives_the_same_string_column() -> None:
    """A key given as a pandas category (or polars Categorical) came out as an Arrow
    dictionary column, unlike the same key given as text."""
    as_pandas = EVENTS.to_pandas(use_pyarrow_extension_array=True)
    frame = apislo.traffic(as_pandas.assign(api=as_pandas["api"].astype("category")), "1min")
    assert str(frame["api"].dtype) == "string[pyarrow]"
    categorical = EVENTS.with_columns(pl.col("api").cast(pl.Categorical))
    assert str(apislo.traffic(categorical, "1min")["api"].dtype) == "string[pyarrow]"
    assert frame["api"].tolist() == ["a"] * 4 + ["b"] * 4


def test_one_key_may_be_named_alone_and_bad_levels_are_clear_errors() -> None:
    """``by="api"`` is ``by=("api",)`` (it was read as the keys "a", "p", "i"): api a has 4
    requests, b 1. A threshold or quantile given twice, a quantile of 1.5 (it gave a column of
    NA) and a threshold that is no number are refused naming what is wrong."""
    totals = apislo.traffic(EVENTS, "1h", by="api", quantiles=())
    assert dict(zip(totals["api"], totals["requests"], strict=True)) == {"a": 4, "b": 1}
    with pytest.raises(ConfigError, match=r"thresholds_s \[0.3, 0.3\] gives \[0.3\] more"):
        apislo.traffic(EVENTS, thresholds_s=(0.3, 0.3))
    with pytest.raises(ConfigError, match=r"quantiles \[0.5, 0.5\] gives \[0.5\] more"):
        apislo.traffic(EVENTS, quantiles=(0.5, 0.5))
    with pytest.raises(ConfigError, match=r"quantiles \[1.5\] are outside 0..1"):
        apislo.traffic(EVENTS, quantiles=(1.5,))
    with pytest.raises(ConfigError, match="each must be a number of seconds"):
        apislo.traffic(EVENTS, thresholds_s=(float("nan"),))


def test_a_complete_frame_too_large_to_build_is_refused() -> None:
    """A day of 1 ms intervals is refused. EVENTS span 00:00:10.000 to 00:03:00.000 for two
    APIs: at 1 ms that is 170,001 intervals, both ends included, 340,002 rows, still allowed."""
    with pytest.raises(ConfigError) as caught:
        apislo.traffic(
            EVENTS, "1ms", quantiles=(), start=_at(0, 0), end=_at(0, 0) + dt.timedelta(days=1)
        )
    # an explicit day: 86,400,000 intervals x 2 groups
    assert str(caught.value).startswith(
        "a complete traffic frame would hold 172,800,000 rows (86,400,000 intervals x 2 groups)"
    )
    frame = apislo.traffic(EVENTS, "1ms", quantiles=())
    assert len(frame) == 340_002
    assert int(frame["requests"].sum()) == 5


def test_summary_totals_per_api() -> None:
    from apislo.aggregate import summary

    table = summary(EVENTS, quantiles=(0.5,))
    assert table["api"].tolist() == ["a", "b"]
    assert table["requests"].tolist() == [4, 1]
    assert table["error_ratio"].tolist() == [0.25, 0.0]  # a: one 503 of four requests
    # a's known latencies are 0.005, 0.1, 0.3: the median is 0.1.
    assert table["p50_s"].tolist() == [0.1, 2.0]


def test_a_group_whose_key_is_missing_keeps_its_counts() -> None:
    """Events with no consumer (Envoy, HAProxy, APIcast lines) form a group of their own, and a
    complete frame keeps their counts. By hand: consumer NA has a 200 at 00:00:05 and a 500 at
    00:02:07, consumer x a 200 at 00:00:07; minutes 00:00 .. 00:02 for both groups."""
    events = pl.DataFrame(
        {
            "ts": [_at(0, 5), _at(0, 7), _at(2, 7)],
            "consumer": [None, "x", None],
            "status": [200, 200, 500],
            "latency_s": [0.1, 0.2, 0.3],
        },
        schema_overrides={"status": pl.Int16, "consumer": pl.String},
    )
    frame = apislo.traffic(events, "1min", by=("consumer",), thresholds_s=(0.25,))
    missing = frame[frame["consumer"].isna()]
    assert missing["requests"].tolist() == [1, 0, 1]
    assert missing["status_5xx"].tolist() == [0, 0, 1]
    assert missing["le_0.25"].tolist() == [1, 0, 0]
    assert missing["p50_s"].tolist()[0] == pytest.approx(0.1)
    assert frame[frame["consumer"] == "x"]["requests"].tolist() == [1, 0, 0]
    assert int(frame["requests"].sum()) == 3


def test_merged_intervals_keep_the_group_whose_key_is_missing() -> None:
    """Counts per (ts, api, consumer) as from Envoy lines (no consumer): four minutes merged two
    at a time. By hand: NA has 1, 2, 3, 4 requests -> 3 at 00:00 and 7 at 00:02; x has 10 at
    00:01 only -> 10 at 00:00 (it was 0 rows for NA: the group was dropped)."""
    from apislo.aggregate import merge_intervals

    ts = pd.date_range("2026-11-02", periods=4, freq="1min", tz="UTC")
    counts = pd.DataFrame(
        {
            "ts": [*ts, ts[1]],
            "api": ["a"] * 5,
            "consumer": pd.array([None, None, None, None, "x"], dtype="string"),
            "requests": [1, 2, 3, 4, 10],
        }
    )
    merged = merge_intervals(counts, 2, by=("api", "consumer"))
    assert merged["ts"].tolist() == [ts[0], ts[0], ts[2]]
    assert merged["consumer"].isna().tolist() == [False, True, True]
    assert merged["requests"].tolist() == [10, 3, 7]


def test_the_last_interval_before_year_10000() -> None:
    """A request at 9999-12-31T23:30Z is in the hour 23:00: the hour's end, 10000-01-01, is no
    datetime (OverflowError before), but the frame needs only its start."""
    events = pl.DataFrame(
        {
            "ts": [dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.UTC)],
            "api": ["a"],
            "status": [200],
            "latency_s": [0.1],
        },
        schema_overrides={"status": pl.Int16},
    )
    last = pd.Timestamp("9999-12-31T23:00Z")
    frame = apislo.traffic(events, "1h", quantiles=())
    assert frame["ts"].tolist() == [last]
    assert frame["requests"].tolist() == [1]
    # an explicit end in the last hour is rounded up to 10000-01-01: still one row
    assert len(apislo.traffic(events, "1h", quantiles=(), end="9999-12-31T23:59:59Z")) == 1
    # from 20:00: four hours, the request in the last one
    since = apislo.traffic(events, "1h", quantiles=(), start="9999-12-31T20:00Z")
    assert since["ts"].tolist() == [last - pd.Timedelta(hours=h) for h in (3, 2, 1, 0)]
    assert since["requests"].tolist() == [0, 0, 0, 1]


def test_now_is_the_current_utc_time_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``end="now"`` on a machine in New York (UTC-5 in November): pandas read "now" as the
    local wall clock, 5 h behind UTC, so a request 1 h ago fell outside the frame (which then
    ended before it started: no row). From 3 h ago, rounded down to the hour, to now: the
    frame's hours run from that start to the current UTC hour, and hold the request."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = pd.Timestamp.now(tz="UTC")
        events = pl.DataFrame(
            {
                "ts": [(now - pd.Timedelta(hours=1)).to_pydatetime()],
                "api": ["a"],
                "status": [200],
                "latency_s": [0.1],
            },
            schema_overrides={"status": pl.Int16},
        )
        start = (now - pd.Timedelta(hours=3)).floor("h")
        frame = apislo.traffic(events, "1h", quantiles=(), start=start, end="now")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert frame["requests"].sum() == 1
    assert frame["ts"].iloc[0] == start
    assert frame["ts"].iloc[-1] >= now.floor("h")  # (the current hour, or the next one by then)


@pytest.mark.parametrize(
    ("interval", "hours"),
    [("1d", 24), ("2d12h", 60), ("1D", 24), ("1 days", 24), ("1h", 1), ("1 d", 24), ("1w", 168)],
)
def test_day_intervals_may_be_written_with_a_small_d(interval: str, hours: int) -> None:
    """`traffic(events, "1d")`, the docstring's own example, raised pandas 3's deprecation
    warning ('d' is deprecated, use 'D'), which a later pandas turns into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_interval(interval) == pd.Timedelta(hours=hours)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("ts", ["2026-01-01T00:00Z"], "events column 'ts' is String, not a datetime"),
        ("status", ["200"], "events column 'status' is String, not numbers"),
        ("latency_s", ["0.1"], "events column 'latency_s' is String, not numbers"),
    ],
)
def test_events_of_text_columns_are_a_clear_error(
    column: str, values: list[str], message: str
) -> None:
    """Events read from a CSV without conversion (`ts` or `status` as text) stopped
    `traffic` with a polars traceback (`InvalidOperationError`)."""
    events = pd.DataFrame(
        {"ts": pd.to_datetime(["2026-01-01T00:00Z"]), "api": ["a"], "status": [200],
         "latency_s": [0.1]}
    )  # fmt: skip
    events[column] = values
    with pytest.raises(ConfigError, match=message):
        apislo.traffic(events, "1h")


def test_a_status_and_latency_of_no_value_at_all_are_counted_in_no_class() -> None:
    """A polars frame whose `status` and `latency_s` hold only nulls (type `Null`) stopped
    `traffic` with a polars traceback (`floor_div` on null). Its requests are counted, in no
    status class, with no latency."""
    events = pl.DataFrame(
        {"ts": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)] * 2, "api": ["a", "a"],
         "status": [None, None], "latency_s": [None, None]}
    )  # fmt: skip
    frame = apislo.traffic(events, "1h", quantiles=())
    row = frame.iloc[0]
    assert (row["requests"], row["status_2xx"], row["status_5xx"], row["latency_sum_s"]) == (
        2, 0, 0, 0.0,
    )  # fmt: skip


def test_thresholds_and_quantiles_alike_to_six_digits_get_columns_of_their_own() -> None:
    # Named with 6 significant digits (`:g`), 0.1234561 and 0.1234562 were both `le_0.123456`
    # and 0.9999991 and 0.9999992 both `p99.9999_s`: polars raised a DuplicateError. Each name
    # now has the digits that tell its number apart; ordinary numbers keep their short names.
    events = pl.DataFrame(
        {
            "ts": [_at(0, 1), _at(0, 2), _at(0, 3)],
            "api": ["a", "a", "a"],
            "status": [200, 200, 200],
            "latency_s": [0.1234561, 0.1234562, 0.3],
        },
        schema_overrides={"status": pl.Int16},
    )
    frame = apislo.traffic(
        events,
        thresholds_s=(0.1234562, 0.1234561, 0.3, 1e-05),
        quantiles=(0.9999991, 0.9999992, 0.999, 0.57, 0.0000001),
    )
    assert list(frame.columns[-9:]) == [
        "le_1e-05", "le_0.1234561", "le_0.1234562", "le_0.3",
        "p99.99991_s", "p99.99992_s", "p99.9_s", "p57_s", "p1e-05_s",
    ]  # fmt: skip
    row = frame.iloc[0]
    # le is inclusive: 0.1234561 s is in both close buckets, 0.1234562 s in the second only
    buckets = [row[f"le_{t}"] for t in ("1e-05", "0.1234561", "0.1234562", "0.3")]
    assert buckets == [0, 1, 2, 3]
    # order statistics 0.1234561, 0.1234562, 0.3; rank q * 2, linear between its neighbours
    gap = 0.3 - 0.1234562
    assert row["p99.99991_s"] == pytest.approx(0.1234562 + 0.9999982 * gap, rel=1e-12)
    assert row["p99.99992_s"] == pytest.approx(0.1234562 + 0.9999984 * gap, rel=1e-12)


# One minute of api a: a 200 at 0.1 s, a 500 whose latency is NaN, a 200 at 0.3 s.
NAN_LATENCY = pl.DataFrame(
    {
        "ts": [_at(0, 1), _at(0, 2), _at(0, 3)],
        "api": ["a", "a", "a"],
        "status": [200, 500, 200],
        "latency_s": [0.1, float("nan"), 0.3],
    },
    schema_overrides={"status": pl.Int16},
)


@pytest.mark.parametrize(
    "events",
    [
        NAN_LATENCY,
        NAN_LATENCY.to_arrow(),
        NAN_LATENCY.to_pandas(use_pyarrow_extension_array=True),
        NAN_LATENCY.to_pandas(),  # NumPy dtypes: pandas' NaN, no latency, was already right
    ],
    ids=["polars", "arrow", "pandas-arrow", "pandas-numpy"],
)
def test_a_nan_latency_is_no_latency(events: object) -> None:
    """A NaN latency from polars or Arrow was counted in `latency_count` (3), made
    `latency_sum_s` NaN, `p50_s` 0.3 (polars sorts NaN above every number) and `p99_s` NaN,
    where the same events with NumPy dtypes gave the answers below. By hand: the latencies
    are 0.1 and 0.3; median 0.2; p99 0.1 + 0.99 x 0.2 = 0.298; le_0.25 holds 0.1 only."""
    frame = apislo.traffic(events, "1min", thresholds_s=(0.25, 0.5), quantiles=(0.5, 0.99))
    row = frame.iloc[0]
    counts = [row[c] for c in ("requests", "status_5xx", "latency_count", "le_0.25", "le_0.5")]
    assert (len(frame), counts) == (1, [3, 1, 2, 1, 2])
    assert row["latency_sum_s"] == pytest.approx(0.4)
    assert (row["p50_s"], row["p99_s"]) == (pytest.approx(0.2), pytest.approx(0.298))
    from apislo.aggregate import summary

    total = summary(events, quantiles=(0.5,)).iloc[0]
    assert (total["latency_count"], total["p50_s"]) == (2, pytest.approx(0.2))
    assert total["latency_sum_s"] == pytest.approx(0.4)


def test_a_column_traffic_does_not_read_may_hold_anything() -> None:
    """A column the frame does not use, of Python objects Arrow cannot convert (numbers and
    texts mixed, as a notebook's merge may leave), stopped `traffic` and `summary` with an
    `ArrowInvalid` naming no column. EVENTS' api a has 4 requests, b 1."""
    events = EVENTS.to_pandas()
    events["note"] = [1, "retry", 2.5, None, "x"]
    frame = apislo.traffic(events, "1h", quantiles=())
    assert dict(zip(frame["api"], frame["requests"], strict=True)) == {"a": 4, "b": 1}
    assert "note" not in frame.columns
    from apislo.aggregate import summary

    assert summary(events, quantiles=())["requests"].tolist() == [4, 1]


@pytest.mark.parametrize("interval", [300, "300", 5000, 60.0, " 0.5 "])
def test_an_interval_without_a_unit_is_refused(interval: object) -> None:
    """pandas reads a bare number as nanoseconds: 5000 gave 5 us intervals without a word, and
    300 (five minutes meant, as `Prometheus.traffic` reads a number step as seconds) an error
    asking for "a positive whole number of microseconds", which 300 seemed to be."""
    with pytest.raises(ConfigError) as caught:
        apislo.traffic(EVENTS, interval)
    assert str(caught.value) == (
        f"interval {interval!r} is a number without a unit; give a duration such as '300s', "
        "'5min' or '1h'"
    )
    assert parse_interval(dt.timedelta(minutes=5)) == pd.Timedelta(minutes=5)
