"""Helpers shared by the log-format tests."""

from __future__ import annotations

import random

import polars as pl

from apislo.sources.logs.base import Parsed


def as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Categorical columns as String: a parse's raw ``path`` has categories
    of its own, so the frames of two parses compare equal only with their strings."""
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))


def agree(fmt: object, lines: list[str]) -> Parsed:
    """Assert that ``fmt``'s parse (its kernel path) and its regex path alone
    (``fmt._parse_exact``) give the same events and rejects for ``lines``; the parse."""
    chunk = "".join(line + "\n" for line in lines).encode()
    parsed: Parsed = fmt.parse(chunk)  # type: ignore[attr-defined]
    exact: Parsed = fmt._parse_exact(chunk)  # type: ignore[attr-defined]
    assert as_strings(parsed.events).equals(exact.events)
    assert parsed.rejects.equals(exact.rejects)
    assert parsed.events.height + parsed.rejects.height == len(lines)
    return parsed


class Messy(random.Random):
    """Picks mostly the first (good) option of a choice, else any: in a corpus built with it,
    most lines hold one oddity or none."""

    def __init__(self, seed: int, odd: float = 0.15) -> None:
        super().__init__(seed)
        self.odd = odd

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[0] if self.random() >= self.odd else super().choice(seq)
