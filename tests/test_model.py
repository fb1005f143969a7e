"""The model's helpers: values worked out by hand."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from apislo.model import utc_index, utc_time


def _arrow(values: list[int | None], tz: str | None) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, pa.timestamp("us", tz=tz))))


def test_utc_index_of_arrow_timestamps_names_the_same_instants() -> None:
    """Arrow stores instants in UTC whatever the column's zone: 0 and 3,600,000,000 µs are
    1970-01-01 00:00 and 01:00 UTC, for a Paris, a UTC or a zoneless column (read as UTC, as
    ``pd.to_datetime(utc=True)`` does); a null stays NaT, and an empty column keeps UTC."""
    want = pd.DatetimeIndex(["1970-01-01 00:00", "1970-01-01 01:00"]).tz_localize("UTC")
    for tz in ("Europe/Paris", "UTC", None):
        got = utc_index(_arrow([0, 3_600_000_000], tz))
        assert got.equals(want) and str(got.dtype) == "datetime64[us, UTC]"
    assert utc_index(_arrow([0, None], "UTC"))[1] is pd.NaT
    assert str(utc_index(_arrow([], "UTC")).dtype) == "datetime64[us, UTC]"
    # other columns go through pandas, as before: a numpy-backed Paris column
    paris = pd.Series(pd.date_range("2026-03-29 01:00", periods=2, freq="h", tz="Europe/Paris"))
    assert list(utc_index(paris)) == [
        pd.Timestamp("2026-03-29 00:00", tz="UTC"),
        pd.Timestamp("2026-03-29 01:00", tz="UTC"),  # (03:00 CEST: the clocks went forward)
    ]


def test_utc_index_of_a_large_arrow_column() -> None:
    """3 M one-minute timestamps (the path Arrow converts as a buffer; ``pd.to_datetime`` made
    a Python object of each). The last is 2,999,999 minutes on: 2,083 days and 479 minutes,
    1975-01-01 plus 257 days (Sep 15) at 07:59 UTC, by hand."""
    column = _arrow(list(range(0, 3_000_000 * 60_000_000, 60_000_000)), "UTC")
    index = utc_index(column)
    assert (len(index), index[-1]) == (3_000_000, pd.Timestamp("1975-09-15 07:59", tz="UTC"))


def test_text_times_are_read_in_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine in Kolkata (UTC+05:30), pandas reads "now" and "today" as the local wall
    clock: taken as UTC, `--at today` or `forecast(at="now")` were 5 h 30 min in the future.
    Every parser of times (the model's, the SLO and report helpers', the CLI's `parse_time`)
    now reads them as the current UTC time; other text keeps its meaning."""
    import time

    from apislo.model import as_utc
    from apislo.sources.prometheus.times import parse_time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        before = pd.Timestamp.now(tz="UTC")
        read = [as_utc("now"), as_utc("today"), parse_time("today"), utc_time("today", "end")]
        after = pd.Timestamp.now(tz="UTC")
        fixed = [as_utc(t) for t in ("2026-01-31T00:00+02:00", "2026-01-31", "2026-01-31T05:30Z")]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert all(before <= stamp <= after for stamp in read), read
    assert fixed == [
        pd.Timestamp("2026-01-30T22:00Z"),
        pd.Timestamp("2026-01-31T00:00Z"),
        pd.Timestamp("2026-01-31T05:30Z"),
    ]
