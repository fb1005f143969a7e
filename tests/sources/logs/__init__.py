"""Helpers shared by the log-format tests."""

from __future__ import annotations

import polars as pl


def as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Categorical columns as String: a parse's raw ``path`` has categories
    of its own, so the frames of two parses compare equal only with their strings."""
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
