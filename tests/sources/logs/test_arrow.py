"""NumPy and Arrow arrays into polars through the Arrow PyCapsule interface."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from apislo.sources.logs.arrow import to_polars


def test_numbers_keep_their_type_and_values() -> None:
    series = to_polars(np.array([3, 1, 4_000_000_000], dtype=np.uint32))
    assert series.dtype == pl.UInt32
    assert series.to_list() == [3, 1, 4_000_000_000]


def test_a_strided_view_is_read_as_its_values() -> None:
    assert to_polars(np.arange(10, dtype=np.int64)[::3]).to_list() == [0, 3, 6, 9]


def test_arrow_strings_and_nulls() -> None:
    series = to_polars(pa.array(["/a", None, "/b"], type=pa.large_string()))
    assert series.dtype == pl.String
    assert series.to_list() == ["/a", None, "/b"]
