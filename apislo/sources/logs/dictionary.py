"""Dictionary-encoded string columns: a code per row and the distinct values.

Gateway logs repeat a few values (methods, routes, API names) and many paths; computing on the
distinct values and keeping a code per row is what makes parsing and normalising fast, and the
:data:`polars.Categorical` columns built here are written to Parquet as dictionary pages, with
no per-row strings to hash again.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from apislo.sources.logs.arrow import to_polars

__all__ = ["Factorized", "categorical", "factorize", "local_categorical"]


class Factorized:
    """A string column as ``codes`` (int32 per row) into ``values``, its distinct strings; rows
    without a value point to a null entry of ``values``."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: pl.Series) -> None:
        self.codes = codes
        self.values = values

    def decode(self, values: pl.Series, name: str) -> pl.Series:
        """A Categorical column with, for each row, the entry of ``values`` (one per entry of
        :attr:`values`, nulls and repeats allowed) that its code points to."""
        return categorical(name, self.codes, values)


def factorize(column: pl.Series) -> Factorized:
    """Split a String or Categorical column into codes and distinct values.

    Works on polars' category ids (4-byte integers): each distinct id is found once by a hash,
    and ids become codes through a lookup table, or a sort when the ids are too sparse for one
    (categories of other columns alive at the same time).
    """
    if not isinstance(column.dtype, pl.Categorical):
        column = column.cast(local_categorical())
    ids = column.to_physical()
    firsts = ids.arg_unique()  # the row where each distinct id (null too) first occurs
    values = column.gather(firsts).cast(pl.String)
    null_id = (ids.max() or 0) + 1
    filled = ids.fill_null(null_id).to_numpy()
    distinct = filled[firsts.to_numpy()]
    if null_id <= 8 * len(filled) + 65_536:
        lookup = np.empty(null_id + 1, dtype=np.int32)
        lookup[distinct] = np.arange(len(distinct), dtype=np.int32)
        codes = lookup[filled]
    else:
        order = np.argsort(distinct)
        codes = order[np.searchsorted(distinct, filled, sorter=order)].astype(np.int32)
    return Factorized(codes, values)


def categorical(name: str, codes: np.ndarray, values: pl.Series, local: bool = False) -> pl.Series:
    """The Categorical column whose row ``i`` is ``values[codes[i]]`` (null where that value is
    null). ``codes`` are int32 and ``values`` may repeat a string: equal strings become one
    category. ``local``: in categories of its own (:func:`local_categorical`), for values without
    bound, such as raw request paths."""
    indices = to_polars(codes.view(np.uint32))  # polars' own index type: no conversion
    dtype = local_categorical() if local else pl.Categorical
    return values.cast(dtype).gather(indices).alias(name)


def local_categorical() -> pl.Categorical:
    """A Categorical type with categories of its own, freed with the last column using them.

    Polars' global categories are freed only when no column uses any of them, which never
    happens while ingest parses (some chunk's API names are always alive): every string ever
    cast to them would stay, about 225 bytes each, so a log whose paths are all distinct (an id
    per request) grew by that much per line. Columns of two such types cannot be concatenated;
    cast them to String first.
    """
    return pl.Categorical(pl.Categories.random())
