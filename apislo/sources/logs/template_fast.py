"""Kernel paths of text formats beyond NGINX: templates run by the C kernel, the rest by regex.

A format's :class:`TemplatePath` holds programs of its line templates (built with
:func:`~apislo.sources.logs.nginx_fast.build`, that follow its regex piece by piece) and two
functions of what the kernel read (:class:`Found`): which kept lines its regex path would read
otherwise or reject (``unsure``: those go to the regex path too), and the events of the others
(``events``), computed with the regex path's own expressions, on the distinct strings only.
:meth:`TemplatePath.parse` then merges both paths' events in line order, so a format's parse is
its regex path's, only faster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.base import Parsed, make_rejects
from apislo.sources.logs.dictionary import categorical
from apislo.sources.logs.fields import END_TIME_US, FIRST_TIME_US, MAX_EXACT_NUMBER
from apislo.sources.logs.nginx_fast import (
    Program,
    Scan,
    Var,
    encode_strings,
    merge,
    numbers,
    pick_lines,
    scan,
)
from apislo.text import UNPRINTABLE_ESCAPES

__all__ = ["ExactPath", "Found", "TemplatePath", "quoted", "separated", "token"]

#: A format's regex path: a chunk, or ``(line_no, text)`` pairs -> events and rejects (with
#: those numbers).
ExactPath = Callable[[bytes | list[tuple[int, str]]], Parsed]

#: Lines of a chunk tried with each template to choose the one the chunk is written in.
PROBE_LINES = 16
#: A target the ``\\S+`` of :func:`~apislo.sources.logs.fields.request_columns` would not take
#: whole: whitespace other than a space, or bytes some engines count as such.
_NOT_A_TOKEN = r"[\t\n\x0b\x0c\r\x1c-\x1f]"


def token(column: str, conv: int = k.CONV_SKIP) -> Var:
    """A ``\\S+`` field of a template (read when ``conv`` says how)."""
    return Var(column, k.RULE_TOKEN, conv)


def quoted(column: str, conv: int = k.CONV_SKIP) -> Var:
    """A ``"[^"]*"`` field of a template, between the quotes of the literals around it."""
    return Var(column, k.RULE_DELIM, conv, '"')


def separated(separator: str, *fields: Var) -> list[str | Var]:
    """Template pieces of ``fields`` with the literal ``separator`` between each two."""
    pieces: list[str | Var] = []
    for field in fields:
        pieces += [separator, field] if pieces else [field]
    return pieces


@dataclass(frozen=True)
class Found:
    """What the kernel read of the lines it kept.

    Attributes:
        program: the template it ran.
        scan: its outputs for the chunk.
        lines: the kept lines (0-based, ascending).
        strings: each string column of the program, dictionary-encoded over ``lines``: a code
            per line and the distinct values (String).
    """

    program: Program
    scan: Scan
    lines: np.ndarray
    strings: dict[str, tuple[np.ndarray, pl.Series]]

    def ints(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Integer column ``name`` over :attr:`lines`: the values and whether each is set."""
        index = self.program.columns[name][1]
        return self.scan.ints[index][self.lines], self.scan.ivalid[index][self.lines].view(bool)

    def number(self, name: str) -> pl.Series:
        """Number column ``name`` over :attr:`lines` (null where not set)."""
        kind, index = self.program.columns[name]
        return numbers(self.scan, kind, index, self.lines).alias(name)

    def matches(self, name: str, pattern: str) -> np.ndarray:
        """Per line, whether string column ``name`` matches ``pattern`` (searched)."""
        codes, values = self.strings[name]
        return values.str.contains(pattern).fill_null(False).to_numpy()[codes]

    def text(self, name: str, expr: pl.Expr, local: bool = False) -> pl.Series:
        """An event's text column: ``expr`` (of ``pl.col("v")``) on the distinct values of string
        column ``name``, escaped as every text of an event is (``local``: categories of its own,
        for values without bound such as paths)."""
        codes, values = self.strings[name]
        done = values.to_frame("v").select(
            expr.cast(pl.String).str.replace_many(UNPRINTABLE_ESCAPES)
        )
        return categorical(name, codes, done.to_series(), local=local)

    def odd_request(self) -> np.ndarray:
        """Per line, whether :func:`~apislo.sources.logs.fields.request_columns` would read the
        kernel's request otherwise: a method other than ``[A-Z]+`` (it takes letters of either
        case and upper-cases them; the kernel keeps them as written, and takes ``-`` and ``_``
        too) or a target holding whitespace other than spaces."""
        return ~self.matches("method", r"^[A-Z]+$") | self.matches("path", _NOT_A_TOKEN)

    def odd_status(self, name: str) -> np.ndarray:
        """Per line, whether integer column ``name`` is a status that
        :func:`~apislo.sources.logs.fields.status_code` rejects: set, not 0 (no response,
        null), and outside 100-999."""
        status, valid = self.ints(name)
        return valid & (status != 0) & ((status < 100) | (status > 999))

    def too_large(self, name: str) -> np.ndarray:
        """Per line, whether integer column ``name`` is 2**53 or more, which
        :func:`~apislo.sources.logs.fields.number` rejects."""
        values, valid = self.ints(name)
        return valid & (values >= MAX_EXACT_NUMBER)

    def off_calendar(self, ts: pl.Series) -> np.ndarray:
        """Per line, whether its request start ``ts`` (UTC, microseconds) is off the calendar
        :func:`~apislo.sources.logs.fields.finish` accepts (years 1970-9999; the kernel reads
        any date of years 1000-9999), or unknown."""
        micros = ts.to_physical()
        inside = (micros >= FIRST_TIME_US) & (micros < END_TIME_US)
        return ~inside.fill_null(False).to_numpy()

    def without(self, unsure: np.ndarray) -> Found:
        """The same, without the lines where ``unsure`` is true."""
        keep = ~unsure
        strings = {name: (codes[keep], values) for name, (codes, values) in self.strings.items()}
        return Found(self.program, self.scan, self.lines[keep], strings)


@dataclass(frozen=True)
class TemplatePath:
    """A format's kernel path (see the module's docstring).

    Attributes:
        programs: the templates, the first one preferred when a chunk's first lines fit more
            than one.
        unsure: which kept lines the regex path must decide after all (a bool per line).
        events: the events of the kept lines, with the regex path's columns and values.
    """

    programs: tuple[Program, ...]
    unsure: Callable[[Found], np.ndarray]
    events: Callable[[Found], pl.DataFrame]

    def parse(self, chunk: bytes, exact: ExactPath) -> Parsed:
        """Parse complete lines: :meth:`run`'s events, and ``exact``'s events and rejects for
        the lines it declined, merged in line order; ``exact``'s parse of the whole chunk when
        the kernel declined most of it (a chunk of another format's lines, or of garbage: picking
        the lines one by one would cost more than the regex over all of them)."""
        newlines = k.count_lines(np.frombuffer(chunk, dtype=np.uint8), 0, len(chunk))
        n_lines = newlines + (0 if chunk.endswith(b"\n") or not chunk else 1)
        if not n_lines:
            return exact([])
        events, lines, declined = self.run(chunk, n_lines)
        if not len(declined):
            return Parsed(events, make_rejects([], [], []))
        if 2 * len(declined) > n_lines:
            return exact(chunk)
        slow = exact(pick_lines(chunk, declined))
        slow_lines = declined[~np.isin(declined, slow.rejects["line_no"].to_numpy())]
        return Parsed(merge(events, lines, slow.events, slow_lines), slow.rejects)

    def run(self, chunk: bytes, n_lines: int) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        """Scan ``chunk`` (``n_lines`` lines) with the template of its first lines.

        Returns:
            ``(events, lines, declined)``: the events of the lines kept (in line order), those
            lines and the others (0-based), which are the regex path's to decide.
        """
        program = self.choose(chunk, n_lines)
        found = scan(program, chunk, n_lines)
        lines = found.kept_lines()
        strings = {
            name: encode_strings(found, index, lines)
            for name, (kind, index) in program.columns.items()
            if kind == "span"
        }
        kept = Found(program, found, lines, strings)
        unsure = self.unsure(kept)
        declined = found.declined
        if unsure.any():
            declined = np.union1d(declined, lines[unsure])
            kept = kept.without(unsure)
        return self.events(kept), kept.lines, declined

    def choose(self, chunk: bytes, n_lines: int) -> Program:
        """The template that keeps the most of the chunk's first :data:`PROBE_LINES` lines."""
        probe = min(n_lines, PROBE_LINES)
        kept = [scan(program, chunk, probe).kept for program in self.programs]
        return self.programs[int(np.argmax(kept))]
