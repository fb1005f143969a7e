"""A minimal log format for the simulator's tests: every raw column, tab-separated.

It lets the simulator's tests run whatever state the real formats' writers are in.
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.base import RAW_SCHEMA, LogFormat, Parsed

__all__ = ["TsvFormat", "UnwritableFormat"]


class TsvFormat(LogFormat):
    """Raw events as tab-separated values, nulls as ``-``."""

    name = "test-tsv"
    description = "test only"

    def sniff(self, lines: list[str]) -> float:
        raise NotImplementedError

    def parse(self, chunk: bytes) -> Parsed:
        raise NotImplementedError

    def write(self, events: pl.DataFrame) -> list[str]:
        return (
            events.select(
                pl.concat_str(
                    [pl.col(c).cast(pl.String).fill_null("-") for c in RAW_SCHEMA], separator="\t"
                )
            )
            .to_series()
            .to_list()
        )


class UnwritableFormat(TsvFormat):
    """A format whose writer does not exist yet."""

    name = "test-nowrite"

    def write(self, events: pl.DataFrame) -> list[str]:
        raise NotImplementedError
