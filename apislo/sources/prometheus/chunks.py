"""Splitting a range query into step-aligned chunks on a fixed grid.

Evaluation times are multiples of the step since the Unix epoch, so two runs over overlapping
ranges ask Prometheus for the same timestamps (reproducible values, reusable cache entries).
Chunks lie on a grid of ``chunk_points * step`` from the epoch, clipped to the requested range;
chunk ``k`` ends one step before chunk ``k + 1`` starts, so stitched results have no duplicate and
no missing evaluation time.

>>> import pandas as pd
>>> [(c.start.strftime("%H:%M"), c.end.strftime("%H:%M"), c.points)
...  for c in plan_chunks(pd.Timestamp("2026-01-01 00:00:30Z"), pd.Timestamp("2026-01-01 00:05Z"),
...                       step_s=60, chunk_points=2)]
[('00:01', '00:01', 1), ('00:02', '00:03', 2), ('00:04', '00:05', 2)]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from apislo.errors import ConfigError
from apislo.sources.prometheus.times import align_down, align_up

__all__ = ["MAX_POINTS", "Chunk", "plan_chunks"]

#: Prometheus refuses range queries with more points per series than this.
MAX_POINTS = 11_000


@dataclass(frozen=True)
class Chunk:
    """One range query: evaluation times ``start, start + step, ..., end`` (both included)."""

    start: pd.Timestamp
    end: pd.Timestamp
    step_s: int

    @property
    def points(self) -> int:
        """Evaluation times in this chunk."""
        return int((self.end - self.start).total_seconds()) // self.step_s + 1


def plan_chunks(
    start: pd.Timestamp,
    end: pd.Timestamp,
    step_s: int,
    chunk_points: int = 1440,
    max_points: int = MAX_POINTS,
) -> list[Chunk]:
    """Chunks covering the step-aligned evaluation times in ``[start, end]``.

    Args:
        start: first time asked for (rounded up to a multiple of ``step_s``), UTC.
        end: last time asked for (rounded down to a multiple of ``step_s``), UTC.
        step_s: step between evaluation times, seconds.
        chunk_points: evaluation times per chunk (the grid size).
        max_points: the server's points-per-series limit; ``chunk_points`` may not exceed it.

    Returns:
        Chunks in time order; empty when no multiple of the step lies in the range.
    """
    if not 1 <= chunk_points <= max_points:
        raise ConfigError(f"chunk_points must be between 1 and {max_points} (the server's limit)")
    first, last = align_up(start, step_s), align_down(end, step_s)
    span = pd.Timedelta(seconds=step_s * chunk_points)
    step = pd.Timedelta(seconds=step_s)
    chunks = []
    cursor = first
    while cursor <= last:
        grid_end = align_down(cursor, step_s * chunk_points) + span - step
        chunk_end = min(grid_end, last)
        chunks.append(Chunk(cursor, chunk_end, step_s))
        cursor = chunk_end + step
    return chunks
