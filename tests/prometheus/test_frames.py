"""Answer parsing: the fast path and the plain-JSON path give the same table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from apislo.sources.prometheus import frames


def _matrix(indent: int | None = None) -> bytes:
    doc = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"api": 'x]]}"values":[['}, "values": [[1.5, "1"], [61.5, "NaN"]]},
                {"metric": {"code": "200"}, "values": [[60, "+Inf"], [120, "-2.5e-3"]]},
            ],
        },
    }
    return json.dumps(doc, indent=indent).encode()


def test_fast_path_matches_json_path() -> None:
    fast = frames.table_to_frame(frames.stitch([frames.parse_matrix(_matrix())]))
    slow = frames.table_to_frame(
        frames.stitch([frames.parse_matrix(_matrix(indent=1))])
    )  # layout -> fallback
    pd.testing.assert_frame_equal(fast, slow)
    assert list(fast.columns) == ["ts", "api", "code", "value"]
    assert str(fast["ts"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    # rows sorted by labels (missing first), then time: the {code} series, then the {api} one
    assert fast["code"].tolist()[:2] == ["200", "200"]
    assert fast["ts"].iloc[2] == pd.Timestamp("1970-01-01T00:00:01.5Z")
    assert fast["api"].iloc[2] == 'x]]}"values":[['
    values = fast["value"].astype("float64").tolist()
    assert values[:3] == [float("inf"), -0.0025, 1.0]
    assert pd.isna(values[3])


def test_cut_off_body_is_a_value_error() -> None:
    body = _matrix()
    with pytest.raises(ValueError):
        frames.parse_matrix(body[: len(body) // 2])
    with pytest.raises(ValueError):
        frames.parse_matrix(body[:-5])


def test_vector_and_scalar() -> None:
    vec = {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"a": "b"}, "value": [10, "3"]}]},
    }
    frame = frames.table_to_frame(frames.stitch([frames.parse_vector(json.dumps(vec).encode())]))
    assert frame["value"].tolist() == [3.0] and frame["a"].tolist() == ["b"]
    scalar = {"status": "success", "data": {"resultType": "scalar", "result": [10, "4"]}}
    frame = frames.table_to_frame(frames.stitch([frames.parse_vector(json.dumps(scalar).encode())]))
    assert list(frame.columns) == ["ts", "value"] and frame["value"].tolist() == [4.0]


def test_stitch_orders_series_and_time_across_blocks() -> None:
    # two chunks in time order; series {a=y} only in the second, {a=x} in both
    first = frames.Block.from_seconds([{"a": "x"}], [2], [0, 60], [1, 2])
    second = frames.Block.from_seconds([{"a": "y"}, {"a": "x"}], [1, 1], [120, 120], [9, 3])
    table = frames.stitch([first, second])
    assert table.column("a").to_pylist() == ["x", "x", "x", "y"]
    assert table.column("value").to_pylist() == [1.0, 2.0, 3.0, 9.0]
    seconds = [t.timestamp() for t in table.column("ts").to_pylist()]
    assert seconds == [0, 60, 120, 120]
    again = frames.Block.from_table(second.to_table())  # the cache's round trip
    assert again.metrics == second.metrics and again.counts.tolist() == [1, 1]
