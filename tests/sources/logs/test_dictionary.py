"""Dictionary-encoded string columns (hand-worked codes and values)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from apislo.sources.logs.dictionary import categorical, factorize


@pytest.mark.parametrize("dtype", [pl.String, pl.Categorical])
def test_factorize_numbers_distinct_values_and_keeps_nulls(dtype: pl.DataType) -> None:
    column = pl.Series("path", ["/a", None, "/b", "/a", "/b"]).cast(dtype)
    split = factorize(column)
    values = split.values.to_list()
    # two distinct values and the null that rows without a value point to
    assert sorted(values, key=str) == ["/a", "/b", None]
    assert [values[c] for c in split.codes.tolist()] == ["/a", None, "/b", "/a", "/b"]
    assert split.codes.dtype == np.int32
    assert split.decode(split.values, "path").to_list() == ["/a", None, "/b", "/a", "/b"]


def test_factorize_with_many_categories_alive_elsewhere() -> None:
    """300,000 categories held by another column make this column's ids too sparse for a
    lookup table: the sort gives the same codes."""
    elsewhere = pl.Series([f"other-{i}" for i in range(300_000)]).cast(pl.Categorical)
    column = pl.Series(["/new-b", "/new-a", None, "/new-b"]).cast(pl.Categorical)
    assert column.to_physical().drop_nulls().min() >= 300_000  # ids after those held elsewhere
    split = factorize(column)
    values = split.values.to_list()
    assert [values[c] for c in split.codes.tolist()] == ["/new-b", "/new-a", None, "/new-b"]
    assert len(values) == 3
    assert elsewhere.len() == 300_000


def test_categorical_maps_codes_through_values_with_nulls_and_repeats() -> None:
    # codes 0 1 2 1 0 3 over values ["-"->null, "GET", "get"->"GET", "POST"]
    values = pl.Series(["-", "GET", "get", "POST"]).replace("-", None).str.to_uppercase()
    codes = np.array([0, 1, 2, 1, 0, 3], dtype=np.int32)
    column = categorical("method", codes, values)
    assert column.name == "method"
    assert column.dtype == pl.Categorical
    assert column.to_list() == [None, "GET", "GET", "GET", None, "POST"]
    assert column.n_unique() == 3  # GET, POST and null: the repeated "GET" is one category
