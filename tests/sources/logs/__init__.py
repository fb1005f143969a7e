"""Helpers shared by the log-format tests."""

from __future__ import annotations

import random
from collections.abc import Callable

import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.normalise import normalise
from apislo.sources.logs.template_fast import TemplatePath


def as_strings(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Categorical columns as String: a parse's raw ``path`` has categories
    of its own, so the frames of two parses compare equal only with their strings."""
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))


def methods(fmt: LogFormat, lines: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``fmt``'s parse of ``lines``: each event's method as parsed, as stored (after
    :func:`~apislo.sources.logs.normalise.normalise`), and each reject's reason."""
    parsed = fmt.parse("".join(line + "\n" for line in lines).encode())
    stored = normalise(parsed.events, fmt.name)["method"].cast(pl.String)
    parsed_methods = parsed.events["method"].cast(pl.String).to_list()
    return parsed_methods, stored.to_list(), parsed.rejects["reason"].to_list()


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


def agree_through_kernel(fmt: object, path: TemplatePath, block: list[str]) -> tuple[int, int]:
    """:func:`agree` on ``block``, then on the lines ``path`` keeps of it with as many of the
    others, spread over the block: a block the kernel mostly declines is parsed whole by the
    regex path, so in a messy corpus :func:`agree` alone would compare the regex path with
    itself, while the thinned block (at most half declined) has the kernel's events merged with
    the regex path's.

    Returns:
        ``(events, kept)``: the block's events, and the lines of it the kernel keeps.
    """
    events = agree(fmt, block).events.height
    chunk = "".join(line + "\n" for line in block).encode()
    rows = set(path.run(chunk, len(block))[1].tolist())
    if not rows:
        return events, 0
    others = [row for row in range(len(block)) if row not in rows]
    picked = rows | set(others[:: -(-len(others) // len(rows)) or 1])
    thinned = [line for row, line in enumerate(block) if row in picked]
    thin = "".join(line + "\n" for line in thinned).encode()
    if path.choose(thin, len(thinned)) is path.choose(chunk, len(block)):
        _, thin_kept, thin_declined = path.run(thin, len(thinned))
        assert len(thin_kept) == len(rows) and 2 * len(thin_declined) <= len(thinned)
    agree(fmt, thinned)
    return events, len(rows)


class Messy(random.Random):
    """Picks mostly the first (good) option of a choice, else any: in a corpus built with it,
    most lines hold one oddity or none."""

    def __init__(self, seed: int, odd: float = 0.15) -> None:
        super().__init__(seed)
        self.odd = odd

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return seq[0] if self.random() < 1 - self.odd else super().choice(seq)


def mangle(rng: random.Random, line: str, odd: Callable[[str], str] | None = None) -> str:
    """``line`` cut short (3 % of the time), ending in ``\\r`` (3 %), with its first space doubled
    (2 %), or changed by ``odd`` (1 %, a format's own oddity); as it is otherwise."""
    cut = rng.random()
    if cut < 0.03:
        return line[: rng.randrange(len(line))]
    if cut < 0.06:
        return line + "\r"
    if cut < 0.08:
        return line.replace(" ", "  ", 1)
    if odd is not None and cut < 0.09:
        return odd(line)
    return line
