"""Compile an NGINX ``log_format`` body into a fast parser and a writer.

NGINX writes each access-log line from a template such as ::

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent" $request_time $upstream_response_time

:func:`compile_log_format` turns such a body (or a whole ``log_format name '...' '...';``
directive) into a :class:`CompiledFormat` with two parsers built from the same template:

* a **fast columnar path**: polars' CSV reader splits the chunk on spaces with ``"`` quoting, into
  the expected columns plus a few spare ones (a retry list in the last field spills into them and
  is joined back). Every row is validated (no other spare column used, every token's literal
  prefix and suffix present, timestamp, status and numbers parse). Rows that pass
  become events; the others go to the exact path. A chunk whose row count differs from its line
  count (an unbalanced quote merges lines; blank lines are skipped) is split in smaller pieces until
  the counts agree, and pieces of a few lines go to the exact path whole.
* an **exact path**: one anchored regular expression compiled from the template, applied per line.
  It handles what a space-split reader cannot: upstream retry lists (``0.512, 0.034``), upstream
  groups (``0.1 : 0.2``), JSON-escaped quotes (``\\"``), empty values. Only what this path also
  refuses becomes a reject.

Both paths feed the same vectorised conversion (:func:`.nginx_convert.convert`), so units and
sentinels are handled once: ``$time_local`` / ``$time_iso8601`` / ``$msec`` mark the *end* of
the request, and ``ts`` = end - ``$request_time``; ``-`` is null everywhere; upstream lists are
summed (``upstream_latency_s``) and counted (``attempts``).

>>> fmt = compile_log_format('[$time_local] "$request" $status $request_time')
>>> parsed = fmt.parse(b'[10/Sep/2015:17:57:59 +0200] "GET /a?b=1 HTTP/1.1" 200 0.500\\n')
>>> row = parsed.events.row(0, named=True)
>>> str(row["ts"]), row["path"], row["latency_s"]
('2015-09-10 15:57:58.500000+00:00', '/a?b=1', 0.5)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from apislo.errors import ConfigError
from apislo.sources.logs.base import Parsed, make_rejects
from apislo.sources.logs.nginx_convert import (
    LIST_VARIABLES,
    TIME_VARIABLES,
    TZ_SUFFIX,
    USED_VARIABLES,
    convert,
    render,
)

__all__ = ["CompiledFormat", "compile_log_format", "normalise_log_format"]

_VAR_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_DIRECTIVE_RE = re.compile(r"^\s*log_format\s+\S+\s+(?:escape=\S+\s+)?(?P<rest>.*)$", re.S)
_QUOTED_PARTS_RE = re.compile(r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*""", re.S)
#: Spare CSV columns read past the expected ones. Retry lists in the last field spill into them
#: (``0.512,`` ``0.034``) and are joined back; the last spare must stay empty.
_SPARE_COLUMNS = 4
#: Characters that end a variable's value when they follow it in the template.
_DELIMITERS = frozenset(" \t|;,\"'")
#: Below this many lines a chunk whose CSV row count is off goes to the exact path whole.
_MIN_SPLIT_LINES = 512


def normalise_log_format(text: str) -> str:
    """Return the template body of ``text``.

    Accepts a bare body (``$remote_addr [$time_local] ...``) or a whole directive as pasted from
    ``nginx.conf`` (``log_format main escape=json '...' '...';``): the directive name, the
    ``escape=`` parameter, the quoting of each part and the final ``;`` are removed and the parts
    joined, as NGINX does.

    Raises:
        ConfigError: the text holds no ``$variable``.
    """
    body = text.strip()
    directive = _DIRECTIVE_RE.match(body)
    if directive:
        body = directive.group("rest").strip()
    body = body.removesuffix(";").rstrip()
    parts = list(_QUOTED_PARTS_RE.finditer(body))
    if parts and "".join(p.group(0) for p in parts) == body:
        body = "".join(
            re.sub(r"\\(['\"\\])", r"\1", p.group(1) if p.group(1) is not None else p.group(2))
            for p in parts
        )
    if not _VAR_RE.search(body):
        raise ConfigError(
            f"log_format {text!r} holds no $variable; paste the body of the log_format directive "
            "that wrote the file, e.g. '$remote_addr [$time_local] \"$request\" $status'"
        )
    return body


@dataclass(frozen=True)
class _Piece:
    """One piece of a template: a literal text or a variable name."""

    text: str
    is_var: bool


@dataclass(frozen=True)
class _Token:
    """One space-separated CSV field group of the fast path.

    Attributes:
        first: index of its first CSV column.
        width: CSV columns it spans (``[$time_local]`` spans two).
        prefix, suffix: literal text around the single variable (after CSV unquoting).
        var: the variable, or ``None`` for a pure literal such as ``-``.
        required: whether the value may not be empty (unquoted values are never empty, and the
            last field must be there: polars reads missing and empty fields alike as null).
    """

    first: int
    width: int
    prefix: str
    suffix: str
    var: str | None
    required: bool


def _pieces(body: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    pos = 0
    for m in _VAR_RE.finditer(body):
        if m.start() > pos:
            pieces.append(_Piece(body[pos : m.start()], False))
        pieces.append(_Piece(m.group(1) or m.group(2), True))
        pos = m.end()
    if pos < len(body):
        pieces.append(_Piece(body[pos:], False))
    return pieces


def _var_pattern(var: str, before: str, after: str) -> str:
    """Loose regex for one variable between literal texts (validation happens in conversion)."""
    if before.endswith('"') and after.startswith('"'):
        return r'(?:[^"\\]|\\.)*'
    if var == "time_local":
        return r"[^ \]]+ [^ \]]+"
    if var in LIST_VARIABLES:
        return r"[^\s,]+(?:(?:, | : )[^\s,]+)*"
    if not after:
        return r".*"
    if after[0] in _DELIMITERS:
        return rf"[^{re.escape(after[0])}]*"
    # ``$remote_addr:$remote_port``, ``($request_time)``: greedy up to the last such character
    # before a space, so IPv6 addresses keep their colons.
    return r"[^ ]*"


def _piece_patterns(pieces: list[_Piece]) -> list[str]:
    """The regex of each piece: escaped literal text, or the variable's loose pattern."""
    patterns = []
    for i, piece in enumerate(pieces):
        if not piece.is_var:
            patterns.append(re.escape(piece.text))
            continue
        before = pieces[i - 1].text if i > 0 and not pieces[i - 1].is_var else ""
        after = pieces[i + 1].text if i + 1 < len(pieces) and not pieces[i + 1].is_var else ""
        patterns.append(_var_pattern(piece.text, before, after))
    return patterns


def _exact_regex(pieces: list[_Piece]) -> re.Pattern[str]:
    """Anchored regex with one named group per variable (its first occurrence)."""
    parts = ["^"]
    seen: set[str] = set()
    for piece, pattern in zip(pieces, _piece_patterns(pieces), strict=True):
        if piece.is_var and piece.text not in seen:
            seen.add(piece.text)
            parts.append(f"(?P<{piece.text}>{pattern})")
        else:
            parts.append(f"(?:{pattern})")
    parts.append("$")
    return re.compile("".join(parts), re.S)


def _prefix_regex(pieces: list[_Piece]) -> re.Pattern[str]:
    """Regex matching the longest run of leading pieces; each variable is a capturing group.

    ``^P0(?:P1(?:P2...)?)?``: the number of variable groups that took part tells how far into the
    template a line that does not match in full still follows it.
    """
    nested = ""
    for piece, pattern in zip(reversed(pieces), reversed(_piece_patterns(pieces)), strict=True):
        own = f"({pattern})" if piece.is_var else f"(?:{pattern})"
        nested = f"{own}(?:{nested})?" if nested else own
    return re.compile("^" + nested, re.S)


def _fast_tokens(body: str) -> list[_Token] | None:
    """Plan the CSV fast path, or ``None`` when the template does not suit a space-split reader."""
    tokens: list[_Token] = []
    column = 0
    i = 0
    seen: set[str] = set()
    while i < len(body):
        if body[i] == " ":
            if i + 1 < len(body) and body[i + 1] == " ":
                return None  # double spaces make empty CSV fields: leave to the exact path
            i += 1
            continue
        if body[i] == '"':
            end = body.find('"', i + 1)
            if end < 0:
                return None
            text, quoted = body[i + 1 : end], True
            i = end + 1
            if i < len(body) and body[i] != " ":
                return None
        else:
            end = body.find(" ", i)
            end = len(body) if end < 0 else end
            text, quoted = body[i:end], False
            if '"' in text:
                return None
            i = end
        variables = _VAR_RE.findall(text)
        if len(variables) > 1:
            return None
        if not variables:
            if quoted:
                return None
            tokens.append(_Token(column, 1, text, "", None, True))
            column += 1
            continue
        m = _VAR_RE.search(text)
        assert m is not None
        var = m.group(1) or m.group(2)
        if var in seen:
            return None
        seen.add(var)
        width = 2 if (var == "time_local" and not quoted) else 1
        tokens.append(
            _Token(column, width, text[: m.start()], text[m.end() :], var, required=not quoted)
        )
        column += width
    if tokens and tokens[-1].var is not None:
        # A missing last field reads as null, like an empty one: insist on it (cut-off lines).
        last = tokens[-1]
        tokens[-1] = _Token(last.first, last.width, last.prefix, last.suffix, last.var, True)
    return tokens


class CompiledFormat:
    """A parser and writer for one NGINX ``log_format`` body.

    Attributes:
        name: the registry name of the format using this template.
        body: the normalised template.
        variables: the variables the template holds, in order.
    """

    def __init__(self, body: str, name: str = "nginx-custom") -> None:
        self.name = name
        self.body = normalise_log_format(body)
        self._pieces = _pieces(self.body)
        self.variables: tuple[str, ...] = tuple(p.text for p in self._pieces if p.is_var)
        if not any(v in self.variables for v in TIME_VARIABLES):
            raise ConfigError(
                f"log_format {self.body!r} has no $time_local, $time_iso8601 or $msec; apislo "
                "needs the time of each request. Add one to the log_format (and log again)."
            )
        self._regex = _exact_regex(self._pieces)
        self._prefix = _prefix_regex(self._pieces)
        self._used = [v for v in dict.fromkeys(self.variables) if v in USED_VARIABLES]
        self._tokens = _fast_tokens(self.body)
        self._n_columns = self._tokens[-1].first + self._tokens[-1].width if self._tokens else 0
        if self._tokens:
            self._plan_fast()

    # ------------------------------------------------------------------ parsing

    def parse(self, chunk: bytes) -> Parsed:
        """Parse complete lines (``chunk`` ends with ``\\n`` or is empty): events and rejects."""
        n_lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") or not chunk else 1)
        frames: list[pl.DataFrame] = []
        slow: list[tuple[int, str]] = []
        if n_lines and self._tokens is None:
            slow = list(enumerate(_decode_lines(chunk)))
        elif n_lines:
            self._parse_fast(chunk, 0, n_lines, frames, slow)
        rejects = make_rejects([], [], [])
        if slow or not frames:
            exact_events, rejects = self._parse_exact(slow)
            frames.append(exact_events)
        events = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
        if len(frames) > 1:
            events = events.sort("_line")
        return Parsed(events.drop("_line"), rejects)

    def _parse_fast(
        self,
        chunk: bytes,
        line0: int,
        n_lines: int,
        out: list[pl.DataFrame],
        slow: list[tuple[int, str]],
    ) -> None:
        """Columnar path over ``chunk`` (first line ``line0``); split it on a row-count mismatch."""
        assert self._tokens is not None
        frame = _read_csv(chunk, self._n_columns + _SPARE_COLUMNS, self._read_columns)
        if frame is None or frame.height != n_lines:
            if n_lines <= _MIN_SPLIT_LINES:
                slow.extend((line0 + i, s) for i, s in enumerate(_decode_lines(chunk)))
                return
            for sub, first, count in _split_chunk(chunk, 8):
                self._parse_fast(sub, line0 + first, count, out, slow)
            return
        raw_frame = frame.select(**self._raw_exprs, _ok=self._ok_expr)
        events, reason = convert(raw_frame.drop("_ok"), *self._time_affixes)
        good = (raw_frame["_ok"] & reason.is_null()).fill_null(False)
        line_no = pl.int_range(line0, line0 + frame.height, eager=True, dtype=pl.Int64)
        out.append(events.with_columns(_line=line_no).filter(good))
        bad = np.flatnonzero(~good.to_numpy())
        if len(bad):
            slow.extend(_pick_lines(chunk, bad, line0))

    def _plan_fast(self) -> None:
        """Columns to read, raw-value expressions and the row check of the columnar path."""
        assert self._tokens is not None
        spare = [_col(self._n_columns + i) for i in range(_SPARE_COLUMNS)]
        last = self._tokens[-1]
        list_tail = last.var in LIST_VARIABLES and last.width == 1 and not last.suffix
        checks = [pl.col(spare[-1]).is_null()]
        if not list_tail:
            checks.append(pl.col(spare[0]).is_null())
        exprs: dict[str, pl.Expr] = {}
        read = set(spare)
        prefix = suffix = ""
        for token in self._tokens:
            if token.var is None or (token.var not in USED_VARIABLES and token is not last):
                continue
            col_name = _col(token.first)
            read.add(col_name)
            col = pl.col(col_name)
            if token.required:
                checks.append(col.is_not_null())
            if token.width == 2:  # [$time_local]: date and zone in two CSV fields
                tz_name = _col(token.first + 1)
                read.add(tz_name)
                checks.append(pl.col(tz_name).is_not_null())
                prefix, suffix = token.prefix, token.suffix
                exprs[token.var] = col
                exprs[token.var + TZ_SUFFIX] = pl.col(tz_name)
                continue
            if token.prefix or token.suffix:
                checks.append(col.str.starts_with(token.prefix) & col.str.ends_with(token.suffix))
                col = col.str.strip_prefix(token.prefix).str.strip_suffix(token.suffix)
            if token is last and list_tail:
                col = pl.concat_str(
                    [col, *map(pl.col, spare[:-1])], separator=" ", ignore_nulls=True
                )
            if token.var == "time_local":  # "$time_local" quoted: one field, split it here
                parts = col.str.split_exact(" ", 1)
                col, exprs[token.var + TZ_SUFFIX] = (
                    parts.struct.field("field_0"),
                    parts.struct.field("field_1"),
                )
            exprs[token.var] = col if token.required else col.fill_null("")
        self._read_columns = sorted(int(c[1:]) for c in read)
        self._raw_exprs = exprs
        self._ok_expr = pl.all_horizontal(checks).fill_null(False)
        self._time_affixes = (prefix, suffix)

    def _parse_exact(self, lines: list[tuple[int, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Regex path: ``(line_no, text)`` pairs -> events (with ``_line``) and rejects."""
        matched_no: list[int] = []
        groups: list[dict[str, str]] = []
        reject_no: list[int] = []
        reject_reason: list[str] = []
        reject_line: list[str] = []
        for line_no, line in lines:
            m = self._regex.match(line)
            if m is None:
                reject_no.append(line_no)
                reject_reason.append(self._miss_reason(line))
                reject_line.append(line)
            else:
                matched_no.append(line_no)
                groups.append(m.groupdict())
        raw: dict[str, list[str]] = {}
        for var in self._used:
            values = [g[var] for g in groups]
            if var == "time_local":
                pairs = [v.partition(" ") for v in values]
                raw[var] = [p[0] for p in pairs]
                raw[var + TZ_SUFFIX] = [p[2] for p in pairs]
            else:
                raw[var] = values
        frame = pl.DataFrame(raw, schema=dict.fromkeys(raw, pl.String), height=len(groups))
        events, reason = convert(frame)
        good = reason.is_null()
        events = events.with_columns(_line=pl.Series(matched_no, dtype=pl.Int64)).filter(good)
        text_by_no = dict(lines)
        for i in np.flatnonzero(~good.to_numpy()).tolist():
            reject_no.append(matched_no[i])
            reject_reason.append(reason[i])
            reject_line.append(text_by_no[matched_no[i]])
        rejects = make_rejects(reject_no, reject_reason, reject_line).sort("line_no")
        return events, rejects

    def _miss_reason(self, line: str) -> str:
        """Why a line does not match: a line that follows the template for at least two variables
        and then stops or strays is ``truncated``; anything else is ``not_a_request``."""
        m = self._prefix.match(line) if line.strip() else None
        if m is not None and sum(g is not None for g in m.groups()) >= 2:
            return "truncated"
        return "not_a_request"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of ``lines`` (non-blank samples) that parse as requests of this format."""
        sample = [line for line in lines if line.strip()]
        if not sample:
            return 0.0
        events, _ = self._parse_exact(list(enumerate(sample)))
        return events.height / len(sample)

    # ------------------------------------------------------------------ writing

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as lines of this template (no newlines); see
        :func:`~apislo.sources.logs.nginx_convert.render` for what fills each variable.

        Times are written as the request end to the second, so events whose
        ``ts + latency_s`` falls on a whole second round-trip exactly.
        """
        if events.height == 0:
            return []
        columns = set(events.columns)
        values = {var: render(var, columns) for var in dict.fromkeys(self.variables)}
        parts = [values[p.text] if p.is_var else pl.lit(p.text) for p in self._pieces]
        return events.select(line=pl.concat_str(parts))["line"].to_list()


@functools.lru_cache(maxsize=64)
def compile_log_format(body: str, name: str = "nginx-custom") -> CompiledFormat:
    """Compile (and cache) a ``log_format`` body or directive.

    Raises:
        ConfigError: the body holds no variable, or no time variable.
    """
    return CompiledFormat(body, name)


# ---------------------------------------------------------------------- chunk helpers


def _col(index: int) -> str:
    """Name of the 0-based CSV field ``index`` (see :func:`_read_csv`)."""
    return f"c{index}"


def _read_csv(chunk: bytes, n_columns: int, read: list[int]) -> pl.DataFrame | None:
    """Space-separated, ``"``-quoted fields as strings; ``None`` when polars refuses the chunk.

    A header line naming ``n_columns`` fields is put in front: polars then reads that many fields
    per row (spare ones null) without schema inference, and only the ``read`` ones.
    """
    header = " ".join(_col(i) for i in range(n_columns)).encode() + b"\n"
    try:
        return pl.read_csv(
            header + chunk,
            separator=" ",
            quote_char='"',
            columns=[_col(i) for i in read],
            infer_schema=False,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None


def _newlines(chunk: bytes) -> np.ndarray:
    return np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)


def _split_chunk(chunk: bytes, parts: int) -> Iterable[tuple[bytes, int, int]]:
    """Split at line ends into about ``parts`` pieces: ``(piece, first line, line count)``."""
    ends = _newlines(chunk)
    n = len(ends) + (0 if chunk.endswith(b"\n") else 1)
    step = max(1, -(-n // parts))
    for first in range(0, n, step):
        last = min(first + step, n)
        start = 0 if first == 0 else int(ends[first - 1]) + 1
        stop = int(ends[last - 1]) + 1 if last - 1 < len(ends) else len(chunk)
        yield chunk[start:stop], first, last - first


def _decode_lines(chunk: bytes) -> list[str]:
    text = chunk.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _pick_lines(chunk: bytes, rows: np.ndarray, line0: int) -> list[tuple[int, str]]:
    """``(line_no, text)`` of the given 0-based lines of ``chunk``."""
    ends = _newlines(chunk)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(chunk)]))
    picked = []
    for row in rows.tolist():
        text = chunk[starts[row] : ends[row]].decode("utf-8", errors="replace")
        picked.append((line0 + row, text.removesuffix("\r")))
    return picked
