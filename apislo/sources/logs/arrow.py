"""Arrow arrays and NumPy arrays into polars, zero-copy and without polars' import detours.

``pl.Series(pyarrow_array)`` imports ``pyarrow.compute`` on its first call and
``pl.Series(numpy_array)`` imports ``numpy.ma`` (``pa.array(numpy_array)`` even pandas): 0.1 s
of every ``apislo ingest``. The Arrow PyCapsule interface (the Arrow C data interface) builds the
same Series, sharing the memory, without any of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

__all__ = ["to_polars"]


class _Capsule:
    """Exposes only the Arrow PyCapsule interface of an Arrow array."""

    __slots__ = ("array",)

    def __init__(self, array: pa.Array) -> None:
        self.array = array

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return self.array.__arrow_c_array__(requested_schema)


def to_polars(array: pa.Array | np.ndarray) -> pl.Series:
    """An unnamed polars Series sharing the memory of ``array`` (a NumPy array of numbers, or
    an Arrow array)."""
    if isinstance(array, np.ndarray):  # (pa.array would import pandas)
        data = pa.py_buffer(np.ascontiguousarray(array))
        array = pa.Array.from_buffers(pa.from_numpy_dtype(array.dtype), len(array), [None, data])
    return pl.Series(_Capsule(array))
