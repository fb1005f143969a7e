"""Prometheus API answers -> tidy frames: ``ts`` (UTC), one column per label, ``value``.

Range answers are parsed without building a Python object per point: the ``values`` arrays are
cut out of the body and read by Arrow's CSV reader (multi-threaded, outside the GIL), and only the
small remainder (labels) goes through :mod:`json`. Bodies in another layout fall back to
:func:`json.loads`. Either path gives the same table.

Native histogram samples (a series' ``histograms``, or ``histogram`` in an instant answer, beside
or instead of its float ``values``) are refused with a
:class:`~apislo.errors.NativeHistogramError`: a tidy frame holds one float per series and time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from apislo.errors import ConfigError, NativeHistogramError
from apislo.model import arrow_to_pandas

__all__ = [
    "TS_TYPE",
    "Block",
    "empty_table",
    "parse_matrix",
    "parse_vector",
    "stitch",
    "table_to_frame",
]

TS_TYPE = pa.timestamp("us", tz="UTC")
_VALUES = b'"values":[['
_CSV_READ = pacsv.ReadOptions(column_names=["t", "v"])
_CSV_CONVERT = pacsv.ConvertOptions(column_types={"t": pa.float64(), "v": pa.float64()})


@dataclass
class Block:
    """One answer, columnar: per series its labels and point count, then all points in order.

    Attributes:
        metrics: label dicts, one per series.
        counts: points per series (int64).
        ts_us: evaluation times, Unix microseconds (int64), series after series.
        values: sample values (float64), aligned with ``ts_us``.
    """

    metrics: list[dict[str, str]]
    counts: np.ndarray
    ts_us: np.ndarray
    values: np.ndarray

    @classmethod
    def from_seconds(
        cls, metrics: list[dict[str, str]], counts: np.ndarray, t_s: np.ndarray, v: np.ndarray
    ) -> Block:
        """Build from times in (fractional) Unix seconds, as Prometheus sends them."""
        ts_us = np.round(np.asarray(t_s, dtype=np.float64) * 1e6).astype(np.int64)
        return cls(metrics, np.asarray(counts, np.int64), ts_us, np.asarray(v, np.float64))

    def to_table(self) -> pa.Table:
        """Rows ``(series, ts, value)`` with the label dicts in the schema metadata (for the
        cache)."""
        series = np.repeat(np.arange(len(self.metrics), dtype=np.int32), self.counts)
        table = pa.table({"series": series, "ts_us": self.ts_us, "value": self.values})
        return table.replace_schema_metadata({"metrics": json.dumps(self.metrics)})

    @classmethod
    def from_table(cls, table: pa.Table) -> Block:
        """Inverse of :meth:`to_table`."""
        metrics = json.loads(table.schema.metadata[b"metrics"])
        series = table.column("series").to_numpy()
        counts = np.bincount(series, minlength=len(metrics)).astype(np.int64)
        return cls(
            metrics, counts, table.column("ts_us").to_numpy(), table.column("value").to_numpy()
        )


def empty_table() -> pa.Table:
    """A result with no series: columns ``ts`` and ``value`` only."""
    return pa.table({"ts": pa.array([], TS_TYPE), "value": pa.array([], pa.float64())})


def _check(doc: object, kinds: Sequence[str]) -> object:
    """The ``result`` of a complete success answer of one of ``kinds``.

    Raises:
        ValueError: not a success answer, or not shaped as Prometheus's (cut off in transit, or
            the whole answer of another server: the caller tells which).
        ConfigError: a complete answer of another type (a string expression): asking again
            would give the same answer.
    """
    if not isinstance(doc, dict) or doc.get("status") != "success":
        raise ValueError("not a success answer")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise ValueError("no data in the answer")
    kind = data.get("resultType")
    if kind not in kinds:
        if kind in ("vector", "scalar", "matrix", "string") and "result" in data:
            raise ConfigError(
                f"the query's result is a {kind}; a tidy frame needs a {' or '.join(kinds)}"
            )
        raise ValueError(f"resultType {kind!r}, expected {' or '.join(kinds)}")
    return data.get("result")


def _series(result: object, key: str, histograms: str, query: str) -> list[dict]:
    """The series of a ``result``, checked: a list of objects, each with its labels
    (``metric``, text to text) and its float samples under ``key`` (``values`` in a matrix,
    ``value`` in a vector); one look per series, none per point.

    Raises:
        NativeHistogramError: a series holds native histogram samples under ``histograms``
            (``histograms`` in a matrix, ``histogram`` in a vector); it names the first, and
            ``query``.
        ValueError: ``result`` is not shaped so (the whole answer of another server, or one
            cut off: the caller tells which); until 2026-11-30 a ``KeyError``, ``TypeError``
            or ``AttributeError``, a traceback.
    """
    if not isinstance(result, list):
        raise ValueError("the result is not a list of series")
    for series in result:
        metric = series.get("metric") if isinstance(series, dict) else None
        if not isinstance(metric, dict) or not all(isinstance(v, str) for v in metric.values()):
            raise ValueError("a series has no labels (metric) of text")
        if histograms in series:
            raise NativeHistogramError(metric, query)
        if key not in series:
            raise ValueError(f"a series has no {key}")
    return result


def _matrix_slow(body: bytes, query: str) -> Block:
    result = _series(_check(json.loads(body), ("matrix",)), "values", "histograms", query)
    try:
        points = [p for s in result for p in s["values"]]
        t_s = np.array([p[0] for p in points], dtype=np.float64)
        v = np.array([p[1] for p in points], dtype=np.float64)
    except (TypeError, IndexError, KeyError) as exc:  # (points that are no [time, value])
        raise ValueError(f"a series' values are not [time, value] pairs ({exc})") from None
    counts = np.array([len(s["values"]) for s in result], dtype=np.int64)
    return Block.from_seconds([s["metric"] for s in result], counts, t_s, v)


def parse_matrix(body: bytes, query: str = "") -> Block:
    """Parse a ``query_range`` answer (``resultType`` matrix).

    Args:
        body: the answer.
        query: the PromQL asked, for error messages.

    Raises:
        ValueError: the body is not a complete success answer shaped as Prometheus's (cut off
            in transit, or another server's).
        NativeHistogramError: a series holds native histogram samples.
    """
    view = memoryview(body)
    pieces: list[memoryview | bytes] = []
    blocks: list[memoryview] = []
    pos = 0
    while (i := body.find(_VALUES, pos)) >= 0:
        j = body.find(b"]]", i + len(_VALUES))
        if j < 0:
            raise ValueError("values array not closed")
        pieces += [view[pos:i], b'"values":[]']
        blocks.append(view[i + len(_VALUES) : j])
        pos = j + 2
    if not blocks:
        return _matrix_slow(body, query)
    pieces.append(view[pos:])
    result = _series(
        _check(json.loads(b"".join(pieces)), ("matrix",)), "values", "histograms", query
    )
    if len(result) != len(blocks):
        return _matrix_slow(body, query)
    # one CSV for all series, a "nan,nan" row after each: series ends are where t is NaN
    csv = (b"\nnan,nan\n".join(blocks) + b"\nnan,nan\n").replace(b"],[", b"\n")
    table = pacsv.read_csv(
        pa.py_buffer(csv.translate(None, b'"')), _CSV_READ, convert_options=_CSV_CONVERT
    )
    t_s = table.column("t").to_numpy()
    ends = np.flatnonzero(np.isnan(t_s))
    if len(ends) != len(blocks):
        return _matrix_slow(body, query)
    counts = np.diff(ends, prepend=-1) - 1
    keep = ~np.isnan(t_s)
    return Block.from_seconds(
        [s["metric"] for s in result], counts, t_s[keep], table.column("v").to_numpy()[keep]
    )


def parse_vector(body: bytes, query: str = "") -> Block:
    """Parse an instant ``query`` answer (vector or scalar).

    Args:
        body: the answer.
        query: the PromQL asked, for error messages.

    Raises:
        ValueError: the body is not a complete success answer shaped as Prometheus's.
        NativeHistogramError: a series holds a native histogram sample.
    """
    doc = json.loads(body)
    result = _check(doc, ("vector", "scalar"))
    if doc["data"]["resultType"] == "scalar":
        result = [{"metric": {}, "value": result}]
    result = _series(result, "value", "histogram", query)
    try:
        t_s = np.array([s["value"][0] for s in result], dtype=np.float64)
        v = np.array([s["value"][1] for s in result], dtype=np.float64)
    except (TypeError, IndexError, KeyError) as exc:  # (a value that is no [time, value])
        raise ValueError(f"a series' value is not a [time, value] pair ({exc})") from None
    return Block.from_seconds([s["metric"] for s in result], np.ones(len(result), np.int64), t_s, v)


def stitch(blocks: Sequence[Block]) -> pa.Table:
    """One tidy table from blocks in time order: ``ts``, one column per label (sorted), ``value``;
    rows sorted by labels then time.

    Series are matched across blocks by their label sets; each block lists a series' points in
    time order, so a stable sort on the series rank alone orders the rows (no string sort).

    Raises:
        ConfigError: a series has a label named ``ts`` or ``value``, which its column would
            overwrite (or be overwritten by).
    """
    blocks = [b for b in blocks if len(b.ts_us)]
    if not blocks:
        return empty_table()
    names = sorted({k for b in blocks for m in b.metrics for k in m})
    clashing = [n for n in names if n in ("ts", "value")]
    if clashing:
        raise ConfigError(
            f"the result's series have a label named {' and '.join(clashing)}, like the frame's "
            "own column: rename it in the query (label_replace) or aggregate it away"
        )
    keys: dict[tuple, int] = {}
    local_ids = []
    for block in blocks:
        ids = [keys.setdefault(tuple(m.get(n) for n in names), len(keys)) for m in block.metrics]
        local_ids.append(np.repeat(np.array(ids, dtype=np.int64), block.counts))
    series = list(keys)
    rank = np.empty(len(series), dtype=np.int64)
    by_labels = sorted(
        range(len(series)), key=lambda i: [(v is not None, v or "") for v in series[i]]
    )
    rank[by_labels] = np.arange(len(series))
    row_rank = rank[np.concatenate(local_ids)]
    order = np.argsort(row_rank, kind="stable")
    ranked = row_rank[order]
    ts_us = np.concatenate([b.ts_us for b in blocks])[order]
    values = np.concatenate([b.values for b in blocks])[order]
    columns: dict[str, pa.Array] = {"ts": pa.array(ts_us, pa.int64()).cast(TS_TYPE)}
    take = pa.array(ranked)
    for i, name in enumerate(names):
        per_rank = [series[j][i] for j in by_labels]
        columns[name] = pa.array(per_rank, pa.string()).take(take)
    columns["value"] = pa.array(values, pa.float64())
    return pa.table(columns)


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow table -> pandas (Arrow dtypes): columns ``ts``, labels (sorted), ``value``."""
    labels = sorted(c for c in table.column_names if c not in ("ts", "value"))
    table = table.select(["ts", *labels, "value"])
    return arrow_to_pandas(table)
