"""Chunk planning: step-aligned, on a fixed grid, no gaps, no overlaps, under the limit."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus.chunks import MAX_POINTS, plan_chunks


def test_thirty_days_at_a_minute() -> None:
    start, end = pd.Timestamp("2026-01-01T00:00Z"), pd.Timestamp("2026-01-31T00:00Z")
    chunks = plan_chunks(start, end, 60, chunk_points=1440)
    # 30 days x 1440 minutes = 43,200 times, plus the end time itself: 43,201 points;
    # the grid puts one chunk per UTC day and a 1-point chunk at 2026-01-31T00:00.
    assert sum(c.points for c in chunks) == 43_201
    assert len(chunks) == 31
    assert chunks[-1].points == 1
    for a, b in itertools.pairwise(chunks):
        assert b.start - a.end == pd.Timedelta(minutes=1)  # no gap, no overlap


def test_unaligned_start_is_rounded_up_and_end_down() -> None:
    chunks = plan_chunks(
        pd.Timestamp("2026-01-01T00:00:10Z"), pd.Timestamp("2026-01-01T00:09:50Z"), 60, 1440
    )
    assert [(c.start.minute, c.end.minute) for c in chunks] == [(1, 9)]


def test_same_grid_for_overlapping_ranges() -> None:
    a = plan_chunks(pd.Timestamp("2026-01-01T05:00Z"), pd.Timestamp("2026-01-03T00:00Z"), 60)
    b = plan_chunks(pd.Timestamp("2026-01-01T07:00Z"), pd.Timestamp("2026-01-03T00:00Z"), 60)
    assert a[1:] == b[1:]  # only the clipped first chunk differs, so cached chunks are reused


def test_empty_and_limits() -> None:
    t = pd.Timestamp("2026-01-01T00:00:10Z")
    assert plan_chunks(t, t + pd.Timedelta(seconds=20), 60) == []
    with pytest.raises(ConfigError, match="11000"):
        plan_chunks(t, t, 60, chunk_points=MAX_POINTS + 1)
