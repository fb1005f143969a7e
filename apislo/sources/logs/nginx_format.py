"""Compile an NGINX ``log_format`` body into a fast parser and a writer.

NGINX writes each access-log line from a template such as ::

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent" $request_time $upstream_response_time

:func:`compile_log_format` turns such a body (or a whole ``log_format name '...' '...';``
directive) into a :class:`CompiledFormat` with two parsers built from the same template:

* a **kernel path**: a C kernel (:mod:`.nginx_kernel`, planned by :mod:`.nginx_fast`) follows
  the template over the chunk's bytes in one pass and converts the values as it goes (times to
  epoch microseconds, numbers, upstream retry lists summed and counted, request lines split and
  checked). Lines it cannot vouch for go to the exact path, so it never decides a reject.
* an **exact path**: one anchored regular expression compiled from the same template (each
  variable's pattern comes from the same :func:`.nginx_fast.var_rule` as the kernel's), applied
  per line. Only what this path refuses becomes a reject.

Both paths use the conversion expressions of :mod:`.nginx_convert`, so units and sentinels are
handled once: ``$time_local`` / ``$time_iso8601`` / ``$msec`` mark the *end* of
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
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from apislo.errors import ConfigError
from apislo.sources.logs import nginx_kernel as kernel
from apislo.sources.logs.base import Parsed, make_rejects, split_lines
from apislo.sources.logs.fields import END_TIME_US, FIRST_TIME_US, in_calendar
from apislo.sources.logs.nginx_convert import (
    TIME_VARIABLES,
    TZ_SUFFIX,
    USED_VARIABLES,
    convert,
    render,
)
from apislo.sources.logs.nginx_fast import Program, merge, pick_lines, plan, run, scan, var_rule

__all__ = ["CompiledFormat", "compile_log_format", "normalise_log_format"]

_VAR_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_DIRECTIVE_RE = re.compile(r"^\s*log_format\s+\S+\s+(?:escape=\S+\s+)?(?P<rest>.*)$", re.S)
_QUOTED_PARTS_RE = re.compile(r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*""", re.S)
#: The exact path's regex for each ``RULE_*`` of :func:`.nginx_fast.var_rule` (but RULE_DELIM).
_RULE_PATTERNS = {
    kernel.RULE_QUOTED: r'(?:[^"\\]|\\.)*',
    kernel.RULE_TIME_LOCAL: r"[^ \]]+ [^ \]]+",
    kernel.RULE_LIST: r"[^\s,]+(?:(?:, | : )[^\s,]+)*",
    kernel.RULE_REST: r".*",
    kernel.RULE_GREEDY: r"[^ ]*",
}


#: The escapes NGINX undoes in a configuration's quoted text (``ngx_conf_read_token``): a
#: tab-separated ``log_format`` is written ``'$a\\t$b'``.
_CONF_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", '"': '"', "'": "'", "\\": "\\"}
_CONF_ESCAPE_RE = re.compile(r"\\([trn\"'\\])")


def normalise_log_format(text: str) -> str:
    """Return the template body of ``text``.

    Accepts a bare body (``$remote_addr [$time_local] ...``) or a whole directive as pasted from
    ``nginx.conf`` (``log_format main escape=json '...' '...';``): the directive name, the
    ``escape=`` parameter, the quoting of each part and the final ``;`` are removed and the parts
    joined; in either, the escapes are undone (``\\t`` is a tab), as NGINX does.

    Raises:
        ConfigError: the text holds no ``$variable``, a ``${`` is not closed, or the directive's
            quotes are unbalanced (NGINX would refuse such a configuration).
    """
    body = text.strip()
    directive = _DIRECTIVE_RE.match(body)
    if directive:
        body = directive.group("rest").strip()
    body = body.removesuffix(";").rstrip()
    parts = list(_QUOTED_PARTS_RE.finditer(body))
    if parts and "".join(p.group(0) for p in parts) == body:
        body = "".join(p.group(1) if p.group(1) is not None else p.group(2) for p in parts)
    elif body[:1] == "'" or (directive and body[:1] == '"'):
        # (a bare body may start with a literal '"', as in '"$request" $status', not with "'")
        raise ConfigError(
            f"log_format {text!r}: its quotes are unbalanced; paste the directive as it is in "
            "nginx.conf, each part in matching quotes"
        )
    body = _CONF_ESCAPE_RE.sub(lambda m: _CONF_ESCAPES[m.group(1)], body)
    unclosed = re.search(r"\$\{(?!\w+\})", body)
    if unclosed:
        raise ConfigError(
            f"log_format {text!r}: the variable at {body[unclosed.start() :][:20]!r} has no "
            "closing '}'"
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
    rule, delim = var_rule(var, before, after)
    if rule == kernel.RULE_DELIM:
        return rf"[^{re.escape(delim)}]*"
    return _RULE_PATTERNS[rule]


#: Variables whose value is one of a few texts (``$is_args``: ``?`` or empty), matched as such
#: when a variable follows with no text between (such templates are the exact path's only).
_VALUE_PATTERNS = {"is_args": r"\??"}
#: What the value of a variable starts with: a variable right before it (no text between)
#: ends where that character first comes (``$host$request_uri``: the host ends at the first
#: ``/``; ``$uri$is_args$args``: the path at the ``?``). Any other variable before another
#: takes the rest of the line, as the kernel's ``RULE_REST``.
_FIRST_CHARACTERS = {"request_uri": "/", "uri": "/", "document_uri": "/", "is_args": "?"}


def _piece_patterns(pieces: list[_Piece]) -> list[str]:
    """The regex of each piece: escaped literal text, or the variable's loose pattern."""
    patterns = []
    for i, piece in enumerate(pieces):
        following = pieces[i + 1] if i + 1 < len(pieces) else None
        if not piece.is_var:
            patterns.append(re.escape(piece.text))
        elif following is not None and following.is_var and piece.text in _VALUE_PATTERNS:
            patterns.append(_VALUE_PATTERNS[piece.text])
        elif following is not None and following.is_var and following.text in _FIRST_CHARACTERS:
            patterns.append(f"[^{re.escape(_FIRST_CHARACTERS[following.text])}]*")
        else:
            before = pieces[i - 1].text if i > 0 and not pieces[i - 1].is_var else ""
            after = following.text if following is not None and not following.is_var else ""
            pattern = _var_pattern(piece.text, before, after)
            if piece.text == "args" and i > 0 and pieces[i - 1].text == "is_args":
                # after an empty $is_args, NGINX writes $args (not found) as "-"
                pattern = f"(?:(?<=\\?)(?:{pattern})|-)"
            patterns.append(pattern)
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
        #: :attr:`program` without the events' schema, which scanning a sample (format
        #: detection) does not need.
        self._scanner: Program | None = plan([(p.text, p.is_var) for p in self._pieces], {})

    @functools.cached_property
    def _no_events(self) -> pl.DataFrame:
        """No events, with the exact path's columns (and ``_line``): what no matched line gives.
        Worked out on first use: polars' conversion takes 15-30 ms even on no rows, which each
        NGINX template paid when format detection compiled it (0.1 s of a one-file ingest)."""
        return self._convert([], [])[0]

    @functools.cached_property
    def program(self) -> Program | None:
        """The kernel program (:func:`.nginx_fast.run`), or ``None`` when the template suits
        only the exact path."""
        if self._scanner is None:
            return None
        return replace(self._scanner, schema=dict(self._no_events.drop("_line").schema))

    # ------------------------------------------------------------------ parsing

    def parse(self, chunk: bytes) -> Parsed:
        """Parse complete lines (``chunk`` ends with ``\\n`` or is empty): events and rejects."""
        newlines = kernel.count_lines(np.frombuffer(chunk, dtype=np.uint8), 0, len(chunk))
        n_lines = newlines + (0 if chunk.endswith(b"\n") or not chunk else 1)
        if not n_lines:
            events, rejects = self._parse_exact([])
            return Parsed(events.drop("_line"), rejects)
        program = self.program
        if program is None:
            events, rejects = self._parse_exact(list(enumerate(split_lines(chunk))))
            return Parsed(events.drop("_line"), rejects)
        events, declined = _off_calendar(*run(program, chunk, n_lines), n_lines)
        if not len(declined):
            return Parsed(events, make_rejects([], [], []))
        slow_events, rejects = self._parse_exact(pick_lines(chunk, declined))
        kept = np.ones(n_lines, dtype=np.bool_)
        kept[declined] = False
        merged = merge(
            events, np.flatnonzero(kept), slow_events.drop("_line"), slow_events["_line"].to_numpy()
        )
        return Parsed(merged, rejects)

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
        if groups:
            events, reason = self._convert(matched_no, groups)
            text_by_no = dict(lines)
            for i in np.flatnonzero(reason.is_not_null().to_numpy()).tolist():
                reject_no.append(matched_no[i])
                reject_reason.append(reason[i])
                reject_line.append(text_by_no[matched_no[i]])
        else:  # (polars' conversion costs about 9 ms, even for no rows)
            events = self._no_events.clear()
        rejects = make_rejects(reject_no, reject_reason, reject_line).sort("line_no")
        return events, rejects

    def _convert(
        self, matched_no: list[int], groups: list[dict[str, str]]
    ) -> tuple[pl.DataFrame, pl.Series]:
        """The exact path's conversion of the regex groups of matched lines: the events of the
        lines it keeps (with ``_line``, from ``matched_no``) and, per matched line, why it was
        rejected (null when kept)."""
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
        events = events.with_columns(_line=pl.Series(matched_no, dtype=pl.Int64))
        return events.filter(reason.is_null()), reason

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
        # Only the lines the regex matches can count, and why the others miss does not matter.
        # Every line the kernel keeps is an event, so it is enough to count them; only the lines
        # it declines are converted, by the exact path (200 lines: 1 ms, against 15 to parse
        # them as a chunk and 12-17 by regex and conversion).
        matched = [line for line in sample if self._regex.match(line)]
        if not matched:
            return 0.0
        chunk = "\n".join(matched).encode() + b"\n"
        if self._scanner is None:
            return self.parse(chunk).events.height / len(sample)
        found = scan(self._scanner, chunk, len(matched))
        events = found.kept
        if len(found.declined):
            events += self._parse_exact(pick_lines(chunk, found.declined))[0].height
        return events / len(sample)

    # ------------------------------------------------------------------ writing

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as lines of this template (no newlines); see
        :func:`~apislo.sources.logs.nginx_convert.render` for what fills each variable.

        Times are written as the request end to the second, so events whose
        ``ts + latency_s`` falls on a whole second round-trip exactly.
        """
        if events.height == 0:
            return []
        events = events.with_columns(pl.col(pl.Categorical).cast(pl.String))
        columns = set(events.columns)
        values = {var: render(var, columns) for var in dict.fromkeys(self.variables)}
        parts = [values[p.text] if p.is_var else pl.lit(p.text) for p in self._pieces]
        return events.select(line=pl.concat_str(parts))["line"].to_list()


def _off_calendar(
    events: pl.DataFrame, declined: np.ndarray, n_lines: int
) -> tuple[pl.DataFrame, np.ndarray]:
    """The kernel's ``events`` and ``declined`` lines, with the lines whose start is off the
    calendar (years 1970-9999, which the exact path rejects) or unknown (a ``$msec`` of ``-``)
    declined too: the kernel reads any date of years 1000-9999, and a zone offset or a latency
    moves it further."""
    micros = events["ts"].to_physical()
    if not len(micros) or (
        not micros.null_count() and micros.min() >= FIRST_TIME_US and micros.max() < END_TIME_US
    ):
        return events, declined  # (the usual case, in 1 ms per million lines)
    off = events.select(~in_calendar(pl.col("ts"))).to_series().fill_null(True).to_numpy()
    kept = np.ones(n_lines, dtype=np.bool_)
    kept[declined] = False
    return events.filter(pl.Series(~off)), np.union1d(declined, np.flatnonzero(kept)[off])


@functools.lru_cache(maxsize=64)
def compile_log_format(body: str, name: str = "nginx-custom") -> CompiledFormat:
    """Compile (and cache) a ``log_format`` body or directive.

    Raises:
        ConfigError: the body holds no variable, or no time variable.
    """
    return CompiledFormat(body, name)
