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
    # two distinct values, then the null that rows without a value point to
    assert sorted(values[:2]) == ["/a", "/b"]
    assert values[2] is None
    assert [values[c] for c in split.codes.tolist()] == ["/a", None, "/b", "/a", "/b"]
    assert split.decode(split.values, "path").to_list() == ["/a", None, "/b", "/a", "/b"]


def test_categorical_maps_codes_through_values_with_nulls_and_repeats() -> None:
    # codes 0 1 2 1 0 3 over values ["-"->null, "GET", "get"->"GET", "POST"]
    values = pl.Series(["-", "GET", "get", "POST"]).replace("-", None).str.to_uppercase()
    codes = np.array([0, 1, 2, 1, 0, 3], dtype=np.int32)
    column = categorical("method", codes, values)
    assert column.name == "method"
    assert column.dtype == pl.Categorical
    assert column.to_list() == [None, "GET", "GET", "GET", None, "POST"]
    assert column.n_unique() == 3  # GET, POST and null: the repeated "GET" is one category
