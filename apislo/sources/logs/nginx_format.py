"""Compile an NGINX ``log_format`` body into a fast parser and a writer.

NGINX writes each access-log line from a template such as ::

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent" $request_time $upstream_response_time

:func:`compile_log_format` turns such a body (or a whole ``log_format name '...' '...';``
directive) into a :class:`CompiledFormat` with two parsers built from the same template:

* a **fast columnar path**: polars' CSV reader splits the chunk on spaces with ``"`` quoting, into
  the expected columns plus a few spare ones. Every row is validated (no spare column used, every
  token's literal prefix and suffix present, timestamp, status and numbers parse). Rows that pass
  become events; the others go to the exact path. A chunk whose row count differs from its line
  count (an unbalanced quote merges lines; blank lines are skipped) is split in smaller pieces until
  the counts agree, and pieces of a few lines go to the exact path whole.
* an **exact path**: one anchored regular expression compiled from the template, applied per line.
  It handles what a space-split reader cannot: upstream retry lists (``0.512, 0.034``), upstream
  groups (``0.1 : 0.2``), JSON-escaped quotes (``\\"``), empty values. Only what this path also
  refuses becomes a reject.

Both paths feed the same vectorised conversion (:func:`_convert`), so units and sentinels are
handled once: ``$time_local`` / ``$time_iso8601`` / ``$msec`` mark the *end* of the request, and
``ts`` = end - ``$request_time``; ``-`` is null everywhere; upstream lists are summed
(``upstream_latency_s``) and counted (``attempts``).

>>> fmt = compile_log_format('[$time_local] "$request" $status $request_time')
>>> parsed = fmt.parse(b'[10/Sep/2015:17:57:59 +0200] "GET /a?b=1 HTTP/1.1" 200 0.500\\n')
>>> row = parsed.events.row(0, named=True)
>>> str(row["ts"]), row["path"], row["latency_s"]
('2015-09-10 15:57:58.500000+00:00', '/a?b=1', 0.5)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from apislo.errors import ConfigError
from apislo.sources.logs.base import RAW_SCHEMA, Parsed, make_rejects

__all__ = [
    "LIST_VARIABLES",
    "TIME_VARIABLES",
    "CompiledFormat",
    "compile_log_format",
    "normalise_log_format",
    "unescape_nginx",
]

#: Variables that hold the log-write (request end) time, in order of preference.
TIME_VARIABLES: tuple[str, ...] = ("time_iso8601", "time_local", "msec")
#: Upstream variables NGINX writes as lists (``, `` between retries, `` : `` between groups).
LIST_VARIABLES: frozenset[str] = frozenset(
    {
        "upstream_addr",
        "upstream_status",
        "upstream_response_time",
        "upstream_connect_time",
        "upstream_header_time",
        "upstream_response_length",
        "upstream_bytes_sent",
        "upstream_bytes_received",
    }
)
#: Variables mapped to one string column of :data:`~apislo.sources.logs.base.RAW_SCHEMA`, by
#: preference (the first present wins).
_STRING_SOURCES: dict[str, tuple[str, ...]] = {
    "host": ("host", "http_host", "server_name"),
    "consumer": ("remote_user",),
    "api": ("proxy_upstream_name",),
    "cache_status": ("upstream_cache_status",),
}
_INT_SOURCES: dict[str, tuple[str, ...]] = {
    "bytes_in": ("request_length",),
    "bytes_out": ("body_bytes_sent", "bytes_sent"),
}
_ATTEMPT_SOURCES: tuple[str, ...] = ("upstream_response_time", "upstream_status", "upstream_addr")
_PROTOCOLS: tuple[str, ...] = (
    "HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/2", "HTTP/3", "HTTP/3.0", "HTTP/0.9",
)
_METHOD_RE = r"^[A-Z][A-Z_-]*$"
_VAR_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_DIRECTIVE_RE = re.compile(r"^\s*log_format\s+\S+\s+(?:escape=\S+\s+)?(?P<rest>.*)$", re.S)
_QUOTED_PARTS_RE = re.compile(r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*""", re.S)
_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)")
_JSON_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
#: Spare CSV columns read past the expected ones; a non-null spare means the row has extra fields.
_SPARE_COLUMNS = 3
#: Below this many lines a chunk whose CSV row count is off goes to the exact path whole.
_MIN_SPLIT_LINES = 512
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


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


def unescape_nginx(value: str) -> str:
    r"""Undo NGINX's escaping of one value: ``\xHH`` (default) and ``\"``, ``\uXXXX`` (``json``).

    >>> unescape_nginx(r'/a\x22b\x5Cc'), unescape_nginx(r'say \"hi\"')
    ('/a"b\\c', 'say "hi"')
    """

    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "xu" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _JSON_ESCAPES.get(code, code)

    escaped = _ESCAPE_RE.sub(repl, value)
    if any(0xDC80 <= ord(c) <= 0xDCFF or 0x80 <= ord(c) <= 0xFF for c in escaped):
        # \xHH escapes of UTF-8 bytes: re-decode them as UTF-8.
        raw = escaped.encode("latin-1", errors="surrogateescape")
        escaped = raw.decode("utf-8", errors="replace")
    return escaped


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
        required: whether the value may not be empty (unquoted values are never empty).
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
    stop = re.escape(after[0])
    return rf"[^{stop}]*"


def _exact_regex(pieces: list[_Piece], open_tail: bool = False) -> re.Pattern[str]:
    """Anchored regex with one named group per variable; ``open_tail`` ends in ``.*``."""
    parts = ["^"]
    seen: set[str] = set()
    for i, piece in enumerate(pieces):
        if not piece.is_var:
            parts.append(re.escape(piece.text))
            continue
        before = pieces[i - 1].text if i > 0 and not pieces[i - 1].is_var else ""
        after = pieces[i + 1].text if i + 1 < len(pieces) and not pieces[i + 1].is_var else ""
        pattern = _var_pattern(piece.text, before, after)
        if piece.text in seen:
            parts.append(f"(?:{pattern})")
        else:
            seen.add(piece.text)
            parts.append(f"(?P<{piece.text}>{pattern})")
    parts.append(".*$" if open_tail else "$")
    return re.compile("".join(parts), re.S)


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
    return tokens


class CompiledFormat:
    """A parser and writer for one NGINX ``log_format`` body.

    Attributes:
        name: the format name written to rejects' context and the ``gateway`` column upstream.
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
        self._prefix_regexes = [
            _exact_regex(self._pieces[:k], open_tail=True)
            for k in range(len(self._pieces) - 1, 0, -1)
            if sum(p.is_var for p in self._pieces[:k]) >= 2
        ]
        self._tokens = _fast_tokens(self.body)
        self._n_columns = (
            self._tokens[-1].first + self._tokens[-1].width if self._tokens else 0
        )

    # ------------------------------------------------------------------ parsing

    def parse(self, chunk: bytes) -> Parsed:
        """Parse complete lines (``chunk`` ends with ``\\n`` or is empty) into events and rejects."""
        n_lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") or not chunk else 1)
        if n_lines == 0:
            return Parsed(_empty_events(self.variables), make_rejects([], [], []))
        fast_frames: list[pl.DataFrame] = []
        slow_lines: list[tuple[int, str]] = []
        if self._tokens is None:
            slow_lines = list(enumerate(_decode_lines(chunk)))
        else:
            self._parse_fast(chunk, 0, n_lines, fast_frames, slow_lines)
        frames = list(fast_frames)
        rejects = make_rejects([], [], [])
        if slow_lines:
            exact_events, rejects = self._parse_exact(slow_lines)
            frames.append(exact_events)
        events = pl.concat(frames, how="vertical") if frames else _empty_events(self.variables)
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
        """Fast path over ``chunk`` (whose first line is line ``line0``); recurse on mismatch."""
        assert self._tokens is not None
        frame = _read_csv(chunk, self._n_columns + _SPARE_COLUMNS)
        if frame is None or frame.height != n_lines:
            if n_lines <= _MIN_SPLIT_LINES:
                slow.extend((line0 + i, s) for i, s in enumerate(_decode_lines(chunk)))
                return
            for sub, first, count in _split_chunk(chunk, 8):
                self._parse_fast(sub, line0 + first, count, out, slow)
            return
        cols = frame.get_columns()
        ok = pl.Series(np.ones(frame.height, dtype=bool))
        raw: dict[str, pl.Series] = {}
        time_prefix = ""
        for spare in cols[self._n_columns :]:
            ok = ok & spare.is_null()
        for token in self._tokens:
            col = cols[token.first]
            if token.width == 2:
                tail = cols[token.first + 1]
                ok = ok & col.is_not_null() & tail.is_not_null()
                if token.suffix:
                    ok = ok & tail.str.ends_with(token.suffix)
                    tail = tail.str.slice(0, tail.str.len_chars() - len(token.suffix))
                raw[f"{token.var}__tz"] = tail
            if token.var is None:
                ok = ok & (col == token.prefix).fill_null(False)
                continue
            if token.required:
                ok = ok & col.is_not_null()
            if token.width == 2 and token.prefix:
                ok = ok & col.str.starts_with(token.prefix)
                time_prefix = token.prefix  # stripped while parsing the time runs
            elif token.prefix or token.suffix:
                ok = ok & col.str.starts_with(token.prefix) & col.str.ends_with(token.suffix)
                col = col.str.slice(len(token.prefix)).str.strip_suffix(token.suffix)
            if token.width == 1 and not token.required:
                col = col.fill_null("")
            raw[token.var] = col
        raw_frame = pl.DataFrame(raw)
        events, reason = _convert(raw_frame, time_prefix=time_prefix)
        good = (ok & reason.is_null()).fill_null(False)
        line_no = pl.int_range(line0, line0 + frame.height, eager=True, dtype=pl.Int64)
        out.append(events.with_columns(_line=line_no).filter(good))
        bad = np.flatnonzero(~good.to_numpy())
        if len(bad):
            slow.extend(_pick_lines(chunk, bad, line0))

    def _parse_exact(self, lines: list[tuple[int, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Regex path: ``(line_no, text)`` pairs -> events and rejects."""
        matched_no: list[int] = []
        matched: list[dict[str, str]] = []
        reject_no: list[int] = []
        reject_reason: list[str] = []
        reject_line: list[str] = []
        for line_no, line in lines:
            m = self._regex.match(line)
            if m is None:
                reject_no.append(line_no)
                reject_reason.append(self._miss_reason(line))
                reject_line.append(line)
                continue
            matched_no.append(line_no)
            matched.append(m.groupdict())
        raw: dict[str, pl.Series] = {}
        for var in dict.fromkeys(self.variables):
            values = [g[var] for g in matched]
            if var == "time_local":
                raw["time_local"] = pl.Series(var, [v.split(" ", 1)[0] for v in values], pl.String)
                raw["time_local__tz"] = pl.Series(
                    var, [v.split(" ", 1)[1] for v in values], pl.String
                )
            else:
                raw[var] = pl.Series(var, values, pl.String)
        events, reason = _convert(pl.DataFrame(raw, height=len(matched)), time_prefix="")
        text_by_no = dict(lines)
        good = reason.is_null()
        events = events.with_columns(_line=pl.Series(matched_no, dtype=pl.Int64)).filter(good)
        bad = np.flatnonzero(~good.to_numpy())
        for i in bad:
            reject_no.append(matched_no[i])
            reject_reason.append(reason[int(i)])
            reject_line.append(text_by_no[matched_no[i]])
        rejects = make_rejects(reject_no, reject_reason, reject_line).sort("line_no")
        return events, rejects

    def _miss_reason(self, line: str) -> str:
        """Why a line does not match: cut-off lines start like a request, other lines do not."""
        if line.strip() and any(r.match(line) for r in self._prefix_regexes):
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
        """Render events as lines of this template (no newlines).

        Columns of :data:`~apislo.sources.logs.base.RAW_SCHEMA` fill the variables they map to; a
        column named after a variable (``remote_addr``, ``http_user_agent``...) fills it as is;
        any other variable is written ``-``. Times are written as the request *end*
        (``ts + latency_s``), to the second for ``$time_local``/``$time_iso8601`` (UTC), so events
        whose end falls on a whole second round-trip exactly. Latencies are written in seconds with
        three decimals, as NGINX does; ``attempts`` > 1 writes a retry list whose members sum to
        ``upstream_latency_s``.
        """
        if events.height == 0:
            return []
        values = {var: _write_var(var, events) for var in dict.fromkeys(self.variables)}
        exprs: list[pl.Expr] = []
        for piece in self._pieces:
            exprs.append(pl.lit(piece.text) if not piece.is_var else values[piece.text])
        out = events.select(line=pl.concat_str(exprs))
        return out["line"].to_list()


@functools.lru_cache(maxsize=64)
def compile_log_format(body: str, name: str = "nginx-custom") -> CompiledFormat:
    """Compile (and cache) a ``log_format`` body or directive.

    Raises:
        ConfigError: the body holds no variable, or no time variable.
    """
    return CompiledFormat(body, name)


# ---------------------------------------------------------------------- chunk helpers


def _read_csv(chunk: bytes, n_columns: int) -> pl.DataFrame | None:
    names = [f"c{i}" for i in range(n_columns)]
    try:
        return pl.read_csv(
            chunk,
            has_header=False,
            separator=" ",
            quote_char='"',
            new_columns=names,
            schema=dict.fromkeys(names, pl.String),
            truncate_ragged_lines=True,
            missing_columns="insert",
            empty_string_is_null=False,
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


# ---------------------------------------------------------------------- conversion


def _runs(series: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Apply ``fn`` once per run of equal consecutive values (log times repeat line after line)."""
    if series.len() == 0:
        return fn(series)
    run_id = series.rle_id()
    values = series.filter(run_id.is_first_distinct())
    return fn(values).gather(run_id)


def _time_local(date: pl.Series, tz: pl.Series, prefix: str) -> pl.Series:
    """``[10/Sep/2015:17:57:59`` + ``+0200`` -> UTC datetimes; null where invalid."""
    fmt = prefix.replace("%", "%%") + "%d/%b/%Y:%H:%M:%S"
    naive = _runs(
        date, lambda s: s.str.strptime(pl.Datetime("us"), fmt, strict=False, exact=True)
    )
    offset_s = _runs(tz, _offset_seconds)
    return (naive - _micros(offset_s * 1_000_000)).dt.replace_time_zone("UTC")


def _offset_seconds(tz: pl.Series) -> pl.Series:
    """``+0200`` -> 7200, ``-0530`` -> -19800; null unless ``[+-]HHMM``."""
    valid = tz.str.contains(r"^[+-][0-9]{4}$").fill_null(False)
    digits = tz.str.slice(1, 4).cast(pl.Int64, strict=False)
    seconds = (digits // 100) * 3600 + (digits % 100) * 60
    sign = pl.Series(np.where(tz.str.starts_with("-").fill_null(False).to_numpy(), -1, 1))
    return (seconds * sign).zip_with(valid & (digits % 100 < 60), pl.Series([None], dtype=pl.Int64))


def _micros(values: pl.Series) -> pl.Series:
    """Integer microseconds -> a duration series."""
    return values.cast(pl.Int64).cast(pl.Duration("us"))


def _nullify(s: pl.Series) -> pl.Series:
    """Map NGINX's ``-`` (not set) and empty values to null."""
    return s.zip_with(~s.is_in(["-", ""]).fill_null(False), pl.Series([None], dtype=s.dtype))


def _number(s: pl.Series, dtype: pl.DataType) -> tuple[pl.Series, pl.Series]:
    """Cast a raw column; returns ``(values, bad)`` where ``bad`` marks non-numeric non-sentinels."""
    present = _nullify(s)
    values = present.cast(dtype, strict=False)
    bad = (present.is_not_null() & values.is_null()).fill_null(False)
    return values, bad


def _unescape(s: pl.Series) -> pl.Series:
    """Unescape the (rare) values that hold a backslash escape."""
    mask = s.str.contains("\\", literal=True).fill_null(False)
    if not mask.any():
        return s
    idx = np.flatnonzero(mask.to_numpy())
    fixed = [unescape_nginx(v) for v in s.gather(idx).to_list()]
    return s.scatter(idx, fixed)


def _list_sum_count(s: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """An upstream list column -> ``(sum of numbers, member count, bad)``; ``-`` alone -> null."""
    present = _nullify(s)
    is_list = present.str.contains(",", literal=True) | present.str.contains(" : ", literal=True)
    is_list = is_list.fill_null(False)
    single = present.cast(pl.Float64, strict=False)
    total = single.zip_with(~is_list, pl.Series([None], dtype=pl.Float64))
    count = present.is_not_null().cast(pl.Int16).zip_with(
        present.is_not_null(), pl.Series([None], dtype=pl.Int16)
    )
    bad = (~is_list & present.is_not_null() & single.is_null()).fill_null(False)
    if is_list.any():
        idx = np.flatnonzero(is_list.to_numpy())
        members = present.gather(idx).str.replace_all(" : ", ", ", literal=True).str.split(", ")
        frame = pl.DataFrame({"m": members}).with_columns(
            n=pl.col("m").list.len().cast(pl.Int16),
            dash=pl.col("m").list.eval(pl.element() == "-").list.sum(),
            nums=pl.col("m").list.eval(pl.element().cast(pl.Float64, strict=False)),
        ).with_columns(
            good=pl.col("nums").list.eval(pl.element().is_not_null()).list.sum(),
            total=pl.col("nums").list.sum(),
        )
        list_bad = (frame["dash"] + frame["good"]) != frame["n"]
        list_total = frame["total"].zip_with(frame["good"] > 0, pl.Series([None], dtype=pl.Float64))
        total = total.scatter(idx, list_total)
        count = count.scatter(idx, frame["n"])
        bad = bad.scatter(idx, list_bad)
    return total, count, bad


def _count_members(s: pl.Series) -> pl.Series:
    """Members of a list column (retries and groups); ``-`` alone -> null."""
    present = _nullify(s)
    commas = present.str.count_matches(",", literal=True)
    groups = present.str.count_matches(" : ", literal=True)
    return (commas + groups + 1).cast(pl.Int16)


def _first(raw: pl.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in raw.columns), None)


def _convert(raw: pl.DataFrame, time_prefix: str) -> tuple[pl.DataFrame, pl.Series]:
    """Raw strings per variable -> (events with RAW_SCHEMA columns, reject reason or null)."""
    n = raw.height
    false = pl.Series(np.zeros(n, dtype=bool))
    bad_number = false
    out: dict[str, pl.Series] = {}

    if "time_iso8601" in raw.columns:
        end = _runs(
            raw["time_iso8601"],
            lambda s: s.str.strptime(
                pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%#z", strict=False
            ),
        )
    elif "time_local" in raw.columns:
        end = _time_local(raw["time_local"], raw["time_local__tz"], time_prefix)
    else:
        msec, _ = _number(raw["msec"], pl.Float64)
        end = (msec * 1_000_000).round().cast(pl.Int64).cast(pl.Datetime("us", "UTC"))
    bad_ts = end.is_null()

    latency = None
    if "request_time" in raw.columns:
        latency, bad = _number(raw["request_time"], pl.Float64)
        bad_number = bad_number | bad
        shift = (latency * 1_000_000).round().cast(pl.Int64).fill_null(0)
        out["ts"] = end - _micros(shift)
        out["latency_s"] = latency
    else:
        out["ts"] = end

    bad_request = false
    if "request" in raw.columns:
        parts = raw["request"].str.split_exact(" ", 2).struct.unnest()
        method, target, proto = parts.get_columns()
        bad_request = ~(
            method.str.contains(_METHOD_RE) & target.is_not_null() & (target != "")
            & proto.is_in(_PROTOCOLS)
        ).fill_null(False)
        out["method"] = method
        out["path"] = _unescape(target)
    else:
        if "request_method" in raw.columns:
            out["method"] = _nullify(raw["request_method"])
        path_var = _first(raw, ("request_uri", "uri"))
        if path_var is not None:
            path = _unescape(_nullify(raw[path_var]))
            if path_var == "uri" and "args" in raw.columns:
                args = _nullify(raw["args"])
                path = pl.select(
                    pl.when(args.is_not_null())
                    .then(pl.concat_str([path, pl.lit("?"), args]))
                    .otherwise(path)
                ).to_series()
            out["path"] = path

    if "status" in raw.columns:
        status, bad = _number(raw["status"], pl.Int16)
        out["status"] = status
        bad_number = bad_number | bad

    if "upstream_response_time" in raw.columns:
        total, count, bad = _list_sum_count(raw["upstream_response_time"])
        out["upstream_latency_s"] = total
        out["attempts"] = count
        bad_number = bad_number | bad
    else:
        attempts_var = _first(raw, _ATTEMPT_SOURCES)
        if attempts_var is not None:
            out["attempts"] = _count_members(raw[attempts_var])

    for column, sources in _INT_SOURCES.items():
        var = _first(raw, sources)
        if var is not None:
            values, bad = _number(raw[var], pl.Int64)
            out[column] = values
            bad_number = bad_number | bad
    for column, sources in _STRING_SOURCES.items():
        var = _first(raw, sources)
        if var is not None:
            out[column] = _unescape(_nullify(raw[var]))

    events = pl.DataFrame(
        {k: v.cast(RAW_SCHEMA[k]) for k, v in out.items()}, height=n
    )
    reason = (
        pl.select(
            pl.when(pl.lit(bad_ts))
            .then(pl.lit("bad_timestamp"))
            .when(pl.lit(bad_request))
            .then(pl.lit("bad_request_line"))
            .when(pl.lit(bad_number))
            .then(pl.lit("bad_number"))
            .otherwise(pl.lit(None, dtype=pl.String))
        ).to_series()
        if n
        else pl.Series([], dtype=pl.String)
    )
    return events, reason


def _empty_events(variables: tuple[str, ...]) -> pl.DataFrame:
    raw = {v: pl.Series(v, [], pl.String) for v in variables}
    if "time_local" in raw:
        raw["time_local__tz"] = pl.Series([], dtype=pl.String)
    events, _ = _convert(pl.DataFrame(raw), time_prefix="")
    return events.with_columns(_line=pl.lit(None, dtype=pl.Int64))


# ---------------------------------------------------------------------- writing


def _seconds_text(seconds: pl.Expr) -> pl.Expr:
    """Seconds as NGINX writes them: three decimals (``0.050``); null -> ``-``."""
    ms = (seconds * 1000).round().cast(pl.Int64)
    text = pl.concat_str(
        [(ms // 1000).cast(pl.String), pl.lit("."), (ms % 1000).cast(pl.String).str.zfill(3)]
    )
    return text.fill_null("-")


def _escaped(column: pl.Expr) -> pl.Expr:
    r"""Escape ``\`` and ``"`` as NGINX's default escaping does (``\x5C``, ``\x22``)."""
    return (
        column.str.replace_all("\\", "\\x5C", literal=True)
        .str.replace_all('"', "\\x22", literal=True)
        .fill_null("-")
    )


def _end_time(events: pl.DataFrame) -> pl.Expr:
    latency = pl.col("latency_s") if "latency_s" in events.columns else pl.lit(0.0)
    shift = (latency.fill_null(0.0) * 1_000_000).round().cast(pl.Int64)
    return pl.col("ts").dt.convert_time_zone("UTC") + pl.duration(microseconds=shift)


def _upstream_list(events: pl.DataFrame) -> pl.Expr:
    """``upstream_latency_s`` (+ ``attempts``) -> ``$upstream_response_time`` text."""
    single = _seconds_text(pl.col("upstream_latency_s"))
    if "attempts" not in events.columns:
        return single
    # Retries: earlier attempts took 0.000 s (refused connections); the last one took it all.
    retries = (pl.col("attempts").cast(pl.Int64) - 1).clip(lower_bound=0).fill_null(0)
    zeros = pl.lit("0.000, ").repeat_by(retries).list.join("")
    return pl.concat_str([zeros, single])


def _write_var(var: str, events: pl.DataFrame) -> pl.Expr:
    """Expression rendering one variable from events (see :meth:`CompiledFormat.write`)."""
    cols = set(events.columns)
    if var in cols and var not in RAW_SCHEMA:
        return pl.col(var).cast(pl.String).fill_null("-")
    if var == "time_local":
        return _end_time(events).dt.strftime("%d/%b/%Y:%H:%M:%S +0000")
    if var == "time_iso8601":
        return _end_time(events).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if var == "msec":
        return _seconds_text(_end_time(events).dt.epoch("us") / 1_000_000)
    if var == "request":
        return pl.concat_str(
            [pl.col("method"), pl.lit(" "), _escaped(pl.col("path")), pl.lit(" HTTP/1.1")]
        ).fill_null("-")
    if var == "request_method" and "method" in cols:
        return pl.col("method").fill_null("-")
    if var in ("request_uri", "uri") and "path" in cols:
        return _escaped(pl.col("path"))
    if var == "server_protocol":
        return pl.lit("HTTP/1.1")
    if var == "status" and "status" in cols:
        return pl.col("status").cast(pl.String).fill_null("-")
    if var == "request_time" and "latency_s" in cols:
        return _seconds_text(pl.col("latency_s"))
    if var == "upstream_response_time" and "upstream_latency_s" in cols:
        return _upstream_list(events)
    for column, sources in (*_INT_SOURCES.items(), *_STRING_SOURCES.items()):
        if var == sources[0] and column in cols:
            return _escaped(pl.col(column).cast(pl.String))
    return pl.lit("-")
