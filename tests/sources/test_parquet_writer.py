"""apislo's own Parquet writer for event frames: files that pyarrow and polars read back exactly,
with the statistics and encodings worked out by hand, beside files polars wrote.

The bit packing is checked against the example of Parquet's specification (Encodings.md, the
RLE/bit-packing hybrid: the numbers 0 to 7 in 3 bits are the bytes 10001000 11000110 11111010).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import apislo
from apislo.model import EVENT_SCHEMA
from apislo.sources.logs.nginx_kernel import bit_pack, hash_codes
from apislo.sources.parquet_writer import write_events

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _frame() -> pl.DataFrame:
    """Five events of every event column type, with nulls and a NaN."""
    return pl.DataFrame(
        {
            "ts": pl.Series(
                [T0.replace(second=s, microsecond=us) for s, us in ((3, 5), (1, 0), (4, 250_000))]
                + [T0.replace(second=1), T0.replace(second=9)],
                dtype=pl.Datetime("us", "UTC"),
            ),
            "api": pl.Series(["orders", "users", "orders", None, "Ünïcode"], dtype=pl.Categorical),
            "method": ["GET", "POST", None, "GET", "get"],  # String, not Categorical
            "status": pl.Series([200, 503, None, 200, 404], dtype=pl.Int16),
            "latency_s": [0.25, float("nan"), None, 1.5, 0.125],
            "bytes_out": pl.Series([None, None, 7, 2**40, 0], dtype=pl.Int64),
            "consumer": pl.Series([None] * 5, dtype=pl.Categorical),
        }
    )


def test_bit_packing_follows_the_specifications_example() -> None:
    packed = bit_pack(np.arange(8, dtype=np.uint32), 3)
    assert packed.tobytes() == bytes([0b10001000, 0b11000110, 0b11111010])
    # three values of one bit: one group of 8, the rest zero: 00000101
    assert bit_pack(np.array([1, 0, 1], dtype=np.uint32), 1).tobytes() == bytes([0b101])
    # 32 bits: the value's own little-endian bytes, then 7 zero values
    packed = bit_pack(np.array([0x01020304], dtype=np.uint32), 32)
    assert packed.tobytes() == b"\x04\x03\x02\x01" + bytes(28)
    with pytest.raises(ValueError, match="does not fit 2 bits"):
        bit_pack(np.array([4], dtype=np.uint32), 2)


def test_hash_codes_number_values_in_order_of_first_occurrence() -> None:
    found = hash_codes(np.array([5, 7, 5, 9, 7], dtype=np.int64), 5)
    assert found is not None
    assert found[0].tolist() == [0, 1, 0, 2, 1]
    assert found[1].tolist() == [0, 1, 3]
    assert hash_codes(np.array([5, 7, 5, 9, 7], dtype=np.int64), 2) is None  # 3 distinct
    # floats by their bits: -0.0 is not 0.0
    floats = hash_codes(np.array([0.0, -0.0, 2.5, 0.0]), 4)
    assert floats is not None and floats[0].tolist() == [0, 1, 2, 0]
    # 5,000 distinct values: the table grows (from 1,024 slots) and keeps every code
    many = np.arange(10_000, dtype=np.int64) % 5_000 * 7919
    found = hash_codes(many, 10_000)
    assert found is not None
    assert found[0].tolist() == list(range(5_000)) * 2
    assert found[1].tolist() == list(range(5_000))


def test_a_written_file_reads_back_exactly(tmp_path: Path) -> None:
    target = tmp_path / "part.parquet"
    write_events(_frame(), target)
    table = pq.read_table(target)
    # as pyarrow reads the files polars writes
    assert table.column("api").type == pa.dictionary(pa.uint32(), pa.string())
    rows = table.to_pylist()
    assert [r["ts"] for r in rows] == [
        T0.replace(second=3, microsecond=5),
        T0.replace(second=1),
        T0.replace(second=4, microsecond=250_000),
        T0.replace(second=1),
        T0.replace(second=9),
    ]
    assert [r["api"] for r in rows] == ["orders", "users", "orders", None, "Ünïcode"]
    assert [r["method"] for r in rows] == ["GET", "POST", None, "GET", "get"]
    assert [r["status"] for r in rows] == [200, 503, None, 200, 404]
    latency = [r["latency_s"] for r in rows]
    assert latency[0] == 0.25 and math.isnan(latency[1]) and latency[2:] == [None, 1.5, 0.125]
    assert [r["bytes_out"] for r in rows] == [None, None, 7, 2**40, 0]
    assert [r["consumer"] for r in rows] == [None] * 5
    back = pl.read_parquet(target)
    assert back.schema == _frame().schema  # strings come back Categorical, as from polars' files
    assert back.equals(_frame())


def test_statistics_and_encodings(tmp_path: Path) -> None:
    target = tmp_path / "part.parquet"
    write_events(_frame(), target)
    group = pq.read_metadata(target).row_group(0)
    columns = {group.column(i).path_in_schema: group.column(i) for i in range(7)}
    stats = {name: column.statistics for name, column in columns.items()}
    assert (stats["ts"].min, stats["ts"].max) == (T0.replace(second=1), T0.replace(second=9))
    assert (stats["api"].min, stats["api"].max) == ("orders", "Ünïcode")  # (UTF-8 byte order)
    assert (stats["method"].min, stats["method"].max) == ("GET", "get")
    assert (stats["status"].min, stats["status"].max, stats["status"].null_count) == (200, 503, 1)
    # NaN is no bound
    assert (stats["latency_s"].min, stats["latency_s"].max) == (0.125, 1.5)
    assert (stats["bytes_out"].min, stats["bytes_out"].max) == (0, 2**40)
    assert stats["consumer"].null_count == 5 and not stats["consumer"].has_min_max
    assert all(column.compression == "UNCOMPRESSED" for column in columns.values())
    # parquet-mr (Spark) ignores string statistics unless it parses "<app> version <x>"
    assert pq.read_metadata(target).created_by == f"apislo version {apislo.__version__}"
    # strings have a dictionary, numbers when at most a quarter are distinct (not here), and a
    # column of nulls only none: its definition levels say it all
    assert columns["api"].has_dictionary_page and not columns["consumer"].has_dictionary_page
    assert not columns["status"].has_dictionary_page
    assert not columns["ts"].has_dictionary_page


def test_repeated_numbers_get_a_dictionary_and_distinct_ones_do_not(tmp_path: Path) -> None:
    rows = 10_000
    frame = pl.DataFrame(
        {
            "ts": pl.Series(np.arange(rows) * 1_000, dtype=pl.Datetime("us", "UTC")),
            "status": pl.Series(np.tile([200, 404, 503, 200], rows // 4), dtype=pl.Int16),
            "latency_s": np.arange(rows) % 100 / 1000,
        }
    )
    target = tmp_path / "part.parquet"
    write_events(frame, target)
    group = pq.read_metadata(target).row_group(0)
    assert [group.column(i).has_dictionary_page for i in range(3)] == [False, True, True]
    assert pl.read_parquet(target).equals(frame)


def test_many_strings_and_sparse_category_ids(tmp_path: Path) -> None:
    # 70,000 distinct routes need 17-bit indices; a second column uses 2 categories out of
    # them all (ids far apart in polars' categories)
    routes = [f"/r/{i}" for i in range(70_000)]
    frame = pl.DataFrame(
        {
            "route": pl.Series(routes[::-1] + routes[:5], dtype=pl.Categorical),
            "api": pl.Series(["/r/69999", "/r/3"] * 35_002 + ["/r/3"], dtype=pl.Categorical),
        }
    )
    target = tmp_path / "part.parquet"
    write_events(frame, target)
    back = pl.read_parquet(target)
    assert back["route"].cast(pl.String).to_list() == routes[::-1] + routes[:5]
    assert back["api"].cast(pl.String).to_list() == ["/r/69999", "/r/3"] * 35_002 + ["/r/3"]
    assert pq.read_metadata(target).row_group(0).column(1).statistics.min == "/r/3"


def test_columns_of_nulls_only_have_no_empty_dictionary_page(tmp_path: Path) -> None:
    """A dictionary of no values is a page of 0 bytes, and fastparquet (2026.9) reads a page of
    0 bytes as the whole rest of the column chunk, then fails ("an integer is required") on every
    file with an all-null column (most ingested chunks: consumer, termination...): such a column
    is one ``PLAIN`` data page of definition levels."""
    dtypes = [pl.Datetime("us", "UTC"), pl.Categorical, pl.String, pl.Int16, pl.Int64, pl.Float64]
    frame = pl.DataFrame([pl.Series(f"c{i}", [None] * 9, dtype) for i, dtype in enumerate(dtypes)])
    target = tmp_path / "part.parquet"
    write_events(frame, target)
    group = pq.read_metadata(target).row_group(0)
    for i in range(len(dtypes)):
        column = group.column(i)
        assert not column.has_dictionary_page
        assert column.encodings == ("PLAIN", "RLE")
        assert column.statistics.null_count == 9 and not column.statistics.has_min_max
    back = pl.read_parquet(target)
    assert back.schema == frame.schema
    assert back.null_count().row(0) == (9,) * len(dtypes)
    assert pq.read_table(target).column("c1").type == pa.dictionary(pa.uint32(), pa.string())


def test_a_zero_bound_of_floats_is_minus_zero_as_minimum_plus_zero_as_maximum(
    tmp_path: Path,
) -> None:
    """Parquet's rule for float statistics (parquet.thrift, ColumnOrder): a minimum that is zero
    is written -0.0, a maximum that is zero +0.0, whichever zeros the column holds; polars'
    writer does the same."""
    columns = {
        "only_minus": [-0.0, -0.0, None],  # min -0.0, max +0.0
        "only_plus": [0.0, 0.0, 0.0],  # min -0.0, max +0.0
        "plus_up": [0.0, 2.5, float("nan")],  # min -0.0, max 2.5
        "minus_down": [-1.0, -0.0, None],  # min -1.0, max +0.0
        "repeated": [0.0, -0.0] * 20 + [None],  # (dictionary-encoded) min -0.0, max +0.0
    }
    expected = {
        "only_minus": ("-0.0", "0.0"),
        "only_plus": ("-0.0", "0.0"),
        "plus_up": ("-0.0", "2.5"),
        "minus_down": ("-1.0", "0.0"),
        "repeated": ("-0.0", "0.0"),
    }
    for name, values in columns.items():
        frame = pl.DataFrame({"latency_s": values})
        ours, polars = tmp_path / f"{name}.parquet", tmp_path / f"{name}.polars.parquet"
        write_events(frame, ours)
        frame.write_parquet(polars, compression="lz4")
        bounds = []
        for path in (ours, polars):
            stats = pq.read_metadata(path).row_group(0).column(0).statistics
            bounds.append((repr(stats.min), repr(stats.max)))
        assert bounds == [expected[name], expected[name]], name
        assert pl.read_parquet(ours).equals(frame)  # (the values keep their signs)
    repeated = pl.read_parquet(tmp_path / "repeated.parquet")["latency_s"].head(2).to_list()
    assert [math.copysign(1, value) for value in repeated] == [1, -1]


def test_string_columns_stay_out_of_polars_global_categories(tmp_path: Path) -> None:
    """A ``String`` column is dictionary-encoded through categories of its own: polars' global
    categories keep every string cast to them while any global ``Categorical`` lives (in ingest,
    always), so writing strings that never repeat grew the process by each one."""
    alive = pl.Series(["orders"], dtype=pl.Categorical)  # keeps the global categories alive
    paths = [f"/write-events/unique/{i}" for i in range(1_000)]
    target = tmp_path / "part.parquet"
    write_events(pl.DataFrame({"path": paths}), target)
    assert set(paths).isdisjoint(pl.Categories().to_series().to_list())
    assert pl.read_parquet(target)["path"].to_list() == paths
    assert alive.to_list() == ["orders"]


def test_an_empty_frame_and_a_column_of_another_type(tmp_path: Path) -> None:
    write_events(_frame().head(0), tmp_path / "empty.parquet")
    assert pl.read_parquet(tmp_path / "empty.parquet").schema == _frame().schema
    assert pq.read_metadata(tmp_path / "empty.parquet").num_rows == 0
    with pytest.raises(TypeError, match="'flag': Boolean is not an event column type"):
        write_events(pl.DataFrame({"flag": [True]}), tmp_path / "bad.parquet")


def test_a_dataset_of_polars_files_and_apislo_files_reads_as_one(tmp_path: Path) -> None:
    """A dataset written before apislo wrote its own Parquet grows on: polars, pyarrow and
    :func:`apislo.load` read the old and the new files together."""
    day = tmp_path / "events" / "day=2026-11-30"
    day.mkdir(parents=True)
    empty = pl.from_arrow(EVENT_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    empty = empty.with_columns(pl.col(pl.String).cast(pl.Categorical))

    def event(minute: int, api: str, status: int) -> pl.DataFrame:
        return pl.concat(
            [empty, pl.DataFrame({"ts": [T0.replace(minute=minute)], "api": [api]})],
            how="diagonal_relaxed",
        ).with_columns(pl.lit(status, pl.Int16).alias("status"), pl.col("api").cast(pl.Categorical))

    old, new = event(0, "orders", 200), event(1, "users", 500)
    old.write_parquet(day / "a.parquet", compression="lz4")
    write_events(new, day / "b.parquet")
    both = pl.scan_parquet(day / "*.parquet").collect().sort("ts")
    assert both["api"].cast(pl.String).to_list() == ["orders", "users"]
    assert both["status"].to_list() == [200, 500]
    table = pq.read_table(day).sort_by("ts")
    assert table.column("api").to_pylist() == ["orders", "users"]
    loaded = apislo.load(tmp_path / "events")
    assert loaded["api"].tolist() == ["orders", "users"]
    assert loaded["status"].tolist() == [200, 500]
