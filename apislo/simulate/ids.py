"""Vectorised random resource ids for request paths: integers, UUIDv4s and 24-digit hex ids."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

__all__ = ["random_ids"]


def _hex(rng: np.random.Generator, n: int, n_bytes: int, uuid4: bool) -> pl.Series:
    raw = rng.integers(0, 256, size=(n, n_bytes), dtype=np.uint8)
    if uuid4:
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    arrow = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(n_bytes), n, [None, pa.py_buffer(raw.tobytes())]
    )
    return pl.Series(pl.from_arrow(arrow)).cast(pl.Binary).bin.encode("hex")


def random_ids(rng: np.random.Generator, n: int, kind: str) -> pl.Series:
    """``n`` random ids as strings.

    Args:
        rng: the simulation's generator.
        n: how many.
        kind: ``"int"`` (1..999999), ``"uuid"`` (version 4, lower-case, dashed) or ``"hex"``
            (24 lower-case hex digits, like a MongoDB ObjectId).

    Returns:
        A polars string series of length ``n``.
    """
    if kind == "int":
        return pl.Series(rng.integers(1, 1_000_000, n)).cast(pl.String)
    if kind == "hex":
        return _hex(rng, n, 12, uuid4=False)
    if kind == "uuid":
        h = pl.DataFrame({"h": _hex(rng, n, 16, uuid4=True)})
        parts = [pl.col("h").str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20))]
        return h.select(
            pl.concat_str([*parts, pl.col("h").str.slice(20, 12)], separator="-")
        ).to_series()
    raise ValueError(f"unknown id kind {kind!r}")
