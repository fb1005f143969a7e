"""Prometheus API answers -> tidy frames: ``ts`` (UTC), one column per label, ``value``.

Range answers are parsed without building a Python object per point: the ``values`` arrays are
cut out of the body and read by Arrow's CSV reader (multi-threaded, outside the GIL), and only the
small remainder (labels) goes through :mod:`json`. Bodies in another layout fall back to
:func:`json.loads`. Either path gives the same table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from apislo.model import arrow_to_pandas

__all__ = ["TS_TYPE", "empty_table", "parse_matrix", "parse_vector", "table_to_frame"]

TS_TYPE = pa.timestamp("us", tz="UTC")
_VALUES = b'"values":[['
_CSV_READ = pacsv.ReadOptions(column_names=["t", "v"])
_CSV_CONVERT = pacsv.ConvertOptions(column_types={"t": pa.float64(), "v": pa.float64()})


def empty_table() -> pa.Table:
    """A result with no series: columns ``ts`` and ``value`` only."""
    return pa.table({"ts": pa.array([], TS_TYPE), "value": pa.array([], pa.float64())})


def _check(doc: dict, kinds: Sequence[str]) -> list:
    if doc.get("status") != "success":
        raise ValueError(f"status {doc.get('status')!r}")
    data = doc["data"]
    if data.get("resultType") not in kinds:
        raise ValueError(f"resultType {data.get('resultType')!r}, expected {' or '.join(kinds)}")
    return data["result"]


def _assemble(metrics: list[dict], counts: np.ndarray, t_s: np.ndarray, v: np.ndarray) -> pa.Table:
    """One table from per-series label dicts, point counts and flat time/value arrays."""
    if len(t_s) == 0:
        return empty_table()
    series = np.repeat(np.arange(len(metrics)), counts)
    indices = pa.array(series, pa.int32())
    columns: dict[str, pa.Array] = {
        "ts": pa.array(np.round(t_s * 1e6).astype("int64"), pa.int64()).cast(TS_TYPE)
    }
    for name in sorted({k for m in metrics for k in m}):
        columns[name] = pa.array([m.get(name) for m in metrics], pa.string()).take(indices)
    columns["value"] = pa.array(v, pa.float64())
    return pa.table(columns)


def _matrix_slow(body: bytes) -> pa.Table:
    result = _check(json.loads(body), ("matrix",))
    metrics = [s["metric"] for s in result]
    counts = np.array([len(s["values"]) for s in result], dtype=np.int64)
    points = [p for s in result for p in s["values"]]
    t_s = np.array([p[0] for p in points], dtype=np.float64)
    v = np.array([p[1] for p in points], dtype=np.float64)
    return _assemble(metrics, counts, t_s, v)


def parse_matrix(body: bytes) -> pa.Table:
    """Parse a ``query_range`` answer (``resultType`` matrix) into a tidy Arrow table.

    Raises:
        ValueError: the body is not a complete success answer (e.g. cut off in transit).
    """
    pieces: list[bytes] = []
    blocks: list[bytes] = []
    pos = 0
    while (i := body.find(_VALUES, pos)) >= 0:
        j = body.find(b"]]", i + len(_VALUES))
        if j < 0:
            raise ValueError("values array not closed")
        pieces += [body[pos:i], b'"values":[]']
        blocks.append(body[i + len(_VALUES) : j])
        pos = j + 2
    if not blocks:
        return _matrix_slow(body)
    pieces.append(body[pos:])
    result = _check(json.loads(b"".join(pieces)), ("matrix",))
    if len(result) != len(blocks):
        return _matrix_slow(body)
    counts = np.array([b.count(b"],[") + 1 for b in blocks], dtype=np.int64)
    csv = b"\n".join(blocks).replace(b"],[", b"\n").translate(None, b'"')
    table = pacsv.read_csv(pa.py_buffer(csv), _CSV_READ, convert_options=_CSV_CONVERT)
    if table.num_rows != counts.sum():
        return _matrix_slow(body)
    t_s = table.column("t").to_numpy()
    v = table.column("v").to_numpy()
    return _assemble([s["metric"] for s in result], counts, t_s, v)


def parse_vector(body: bytes) -> pa.Table:
    """Parse an instant ``query`` answer (vector or scalar) into a tidy Arrow table.

    Raises:
        ValueError: the body is not a complete success answer.
    """
    doc = json.loads(body)
    result = _check(doc, ("vector", "scalar"))
    if doc["data"]["resultType"] == "scalar":
        result = [{"metric": {}, "value": result}]
    metrics = [s["metric"] for s in result]
    t_s = np.array([s["value"][0] for s in result], dtype=np.float64)
    v = np.array([s["value"][1] for s in result], dtype=np.float64)
    return _assemble(metrics, np.ones(len(result), dtype=np.int64), t_s, v)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow table -> pandas (Arrow dtypes): columns ``ts``, labels (sorted), ``value``."""
    labels = sorted(c for c in table.column_names if c not in ("ts", "value"))
    table = table.select(["ts", *labels, "value"])
    return arrow_to_pandas(table)
