"""Dictionary-encoded string columns: a code per row and the distinct values.

Gateway logs repeat a few values (methods, routes, API names) and many paths; computing on the
distinct values and keeping a code per row is what makes parsing and normalising fast, and the
:data:`polars.Categorical` columns built here are written to Parquet as dictionary pages, with
no per-row strings to hash again.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Factorized", "categorical", "factorize"]


class Factorized:
    """A string column as ``codes`` (int32 per row) into ``values``, its distinct strings; rows
    without a value point to a null at the end of ``values``."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: pl.Series) -> None:
        self.codes = codes
        self.values = values

    def decode(self, values: pl.Series, name: str) -> pl.Series:
        """A Categorical column with, for each row, the entry of ``values`` (one per entry of
        :attr:`values`, nulls and repeats allowed) that its code points to."""
        return categorical(name, self.codes, values)


def factorize(column: pl.Series) -> Factorized:
    """Split a String or Categorical column into codes and distinct values."""
    array = column.to_arrow()
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    values = pl.Series(column.name, array.dictionary).cast(pl.String)
    indices = array.indices
    if indices.null_count:
        indices = indices.fill_null(len(values))
        values = values.extend_constant(None, 1)
    indices = pc.cast(indices, pa.int32())
    # the buffer itself: pyarrow's to_numpy imports pandas, which `apislo ingest` does not need
    codes = np.frombuffer(indices.buffers()[1], np.int32, len(indices), 4 * indices.offset)
    return Factorized(codes, values)


def categorical(name: str, codes: np.ndarray, values: pl.Series) -> pl.Series:
    """The Categorical column whose row ``i`` is ``values[codes[i]]`` (null where that value is
    null). ``codes`` are int32 and ``values`` may repeat a string: equal strings become one
    category."""
    indices = pl.Series(codes.view(np.uint32))  # polars' own index type: no conversion
    return values.cast(pl.Categorical).gather(indices).alias(name)
