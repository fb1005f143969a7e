"""The fast path of the Envoy/Istio text parser: the C kernel of the NGINX parser runs a template
of Envoy's default access log, or of Istio's, and the lines it cannot vouch for go to the
regex of :mod:`~apislo.sources.logs.envoy_text`, which decides them.

The templates follow that regex piece by piece: ``[^"]*`` is ``RULE_DELIM`` on ``"``, ``\\S+``
is ``RULE_TOKEN``, and the lazy ``(?:.*?)`` of the forwarded-for and user-agent fields (Envoy
does not escape quotes) is ``RULE_DELIM`` on ``"`` followed by the literal ``" "``: a value
holding a quote is declined, not cut where the regex might cut it. On a line the kernel keeps,
the regex takes the same branches (its optional Istio groups are tried first, and the default
template's numbers cannot start them), so both read the same fields; the values are then
converted with the expressions of :func:`~apislo.sources.logs.envoy_text.envoy_columns`, on the
distinct strings only. What the kernel reads but that conversion would reject (a status outside
100-999 but for 0, a method with ``-`` or ``_``, a path with a tab, a byte count of 2**53 or
more) is declined too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.base import Parsed, make_rejects
from apislo.sources.logs.dictionary import categorical
from apislo.sources.logs.fields import MAX_EXACT_NUMBER, clean, scrub_query_secrets
from apislo.sources.logs.nginx_fast import (
    Program,
    Scan,
    Var,
    build,
    encode_strings,
    merge,
    numbers,
    pick_lines,
    scan,
)
from apislo.text import UNPRINTABLE_ESCAPES

__all__ = ["DEFAULT", "ISTIO", "parse", "run"]


def _token(column: str, conv: int = k.CONV_SKIP) -> Var:
    """A ``\\S+`` field (read when ``conv`` says how)."""
    return Var(column, k.RULE_TOKEN, conv)


def _quoted(column: str, conv: int = k.CONV_SKIP) -> Var:
    """A ``"[^"]*"`` field, between the quotes of the literals around it."""
    return Var(column, k.RULE_DELIM, conv, '"')


_HEAD: list[str | Var] = [
    "[",
    Var("_start", k.RULE_DELIM, k.CONV_TIME_RFC3339, "]"),
    '] "',
    _quoted("request", k.CONV_REQUEST),
    '" ',
    _token("_code", k.CONV_STATUS),
    " ",
    _token("_flags", k.CONV_STRING),
]
_NUMBERS: list[str | Var] = [
    " ",
    _token("bytes_in", k.CONV_INT),
    " ",
    _token("bytes_out", k.CONV_INT),
    " ",
    _token("_duration_ms", k.CONV_FLOAT),
    " ",
    _token("_upstream_ms", k.CONV_FLOAT),
    ' "',
    _quoted("forwarded_for"),
    '" "',
    _quoted("user_agent"),
    '" "',
    _quoted("request_id"),
    '" "',
    _quoted("_authority", k.CONV_STRING),
    '" "',
    _quoted("upstream_host"),
    '"',
]
_ISTIO_TAIL = (
    "upstream_local_address",
    "downstream_local_address",
    "downstream_remote_address",
    "requested_server_name",
    "route_name",
)
#: Envoy's default format.
DEFAULT: Program = build(_HEAD + _NUMBERS)
#: Istio's default format (1.9 on): response code details, connection termination details and
#: the upstream transport failure after the flags; upstream cluster and five more at the end.
ISTIO: Program = build(
    [
        *_HEAD,
        " ",
        _token("response_code_details"),
        " ",
        _token("connection_termination_details"),
        ' "',
        _quoted("upstream_transport_failure_reason"),
        '"',
        *_NUMBERS,
        " ",
        _token("_cluster", k.CONV_STRING),
        *(piece for name in _ISTIO_TAIL for piece in (" ", _token(name))),
    ]
)
_PROGRAMS = (ISTIO, DEFAULT)
#: Lines of a chunk tried with each template to choose the one the chunk is written in.
_PROBE_LINES = 16

#: A path the regex's ``\S+`` would not take whole (whitespace other than a space, or bytes
#: some engines count as such).
_NOT_A_TOKEN = r"[\t\n\x0b\x0c\r\x1c-\x1f]"

ExactPath = Callable[[list[tuple[int, str]]], Parsed]


def parse(chunk: bytes, n_lines: int, exact: ExactPath) -> Parsed:
    """Parse ``chunk`` (``n_lines`` complete lines): :func:`run`'s events, and ``exact``'s
    events and rejects for the lines it declined (``exact`` takes ``(line_no, text)`` pairs
    and gives rejects with those numbers), merged in line order."""
    events, lines, declined = run(chunk, n_lines)
    if not len(declined):
        return Parsed(events, make_rejects([], [], []))
    slow = exact(pick_lines(chunk, declined))
    slow_lines = declined[~np.isin(declined, slow.rejects["line_no"].to_numpy())]
    return Parsed(merge(events, lines, slow.events, slow_lines), slow.rejects)


def run(chunk: bytes, n_lines: int) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """Scan ``chunk`` (``n_lines`` lines) with the template of its first lines.

    Returns:
        ``(events, lines, declined)``: the events of the lines kept (in line order), those
        lines and the others (0-based), which are the exact path's to decide.
    """
    program = _choose(chunk, n_lines)
    found = scan(program, chunk, n_lines)
    lines = found.kept_lines()
    codes = {
        name: encode_strings(found, index, lines)
        for name, (kind, index) in program.columns.items()
        if kind == "span"
    }
    unsure = _unsure(program, found, lines, codes)
    declined = found.declined
    if unsure.any():
        declined = np.union1d(declined, lines[unsure])
        lines = lines[~unsure]
        codes = {name: (c[~unsure], values) for name, (c, values) in codes.items()}
    return _events(program, found, lines, codes), lines, declined


def _choose(chunk: bytes, n_lines: int) -> Program:
    """The template that keeps the most of the chunk's first lines (Istio's on a tie)."""
    probe = min(n_lines, _PROBE_LINES)
    kept = [scan(program, chunk, probe).kept for program in _PROGRAMS]
    return _PROGRAMS[int(np.argmax(kept))]


def _unsure(
    program: Program,
    found: Scan,
    lines: np.ndarray,
    codes: dict[str, tuple[np.ndarray, pl.Series]],
) -> np.ndarray:
    """Which of the kept ``lines`` the conversion of the exact path would reject (or read
    otherwise than the kernel): those go to the exact path."""

    def ints(name: str) -> tuple[np.ndarray, np.ndarray]:
        index = program.columns[name][1]
        return found.ints[index][lines], found.ivalid[index][lines].view(np.bool_)

    code, valid = ints("_code")
    unsure = valid & (code != 0) & ((code < 100) | (code > 999))
    for name in ("bytes_in", "bytes_out"):
        count, valid = ints(name)
        unsure |= valid & (count >= MAX_EXACT_NUMBER)
    method_codes, methods = codes["method"]
    unsure |= (~methods.str.contains(r"^[A-Z]+$")).to_numpy()[method_codes]
    path_codes, paths = codes["path"]
    unsure |= paths.str.contains(_NOT_A_TOKEN).to_numpy()[path_codes]
    return unsure


def _events(
    program: Program,
    found: Scan,
    lines: np.ndarray,
    codes: dict[str, tuple[np.ndarray, pl.Series]],
) -> pl.DataFrame:
    """The events of ``lines``, with the columns and values of
    :func:`~apislo.sources.logs.envoy_text.envoy_columns`."""
    column = {
        name: numbers(found, kind, index, lines)
        for name, (kind, index) in program.columns.items()
        if kind in ("int", "float")
    }
    raw = pl.DataFrame(column, height=len(lines))
    values = raw.select(
        pl.col("_start").cast(pl.Datetime("us", "UTC")).alias("ts"),
        pl.when(pl.col("_code") != 0).then(pl.col("_code")).cast(pl.Int16).alias("status"),
        (pl.col("_duration_ms") / 1000).round(9).alias("latency_s"),
        (pl.col("_upstream_ms") / 1000).round(9).alias("upstream_latency_s"),
        pl.col("bytes_in", "bytes_out").cast(pl.Int64),
    )

    def text(name: str, expr: pl.Expr, local: bool = False) -> pl.Series:
        """A text column: ``expr`` on the distinct values of ``name``, escaped as events are."""
        row_codes, distinct = codes[name]
        done = distinct.to_frame("v").select(
            expr.cast(pl.String).str.replace_many(UNPRINTABLE_ESCAPES)
        )
        return categorical(name, row_codes, done.to_series(), local=local)

    value = pl.col("v")
    cluster = clean(value)
    service = cluster.str.split("|").list.get(3, null_on_oob=True).str.split(".").list.first()
    api = (
        text(
            "_cluster",
            pl.when(cluster.str.contains("|", literal=True))
            .then(pl.when(service != "").then(service))
            .otherwise(cluster),
        )
        if "_cluster" in codes
        else pl.Series([None], dtype=pl.Categorical).new_from_index(0, len(lines))
    )
    return pl.DataFrame(
        {
            "ts": values["ts"],
            "method": text("method", value),
            "path": text("path", scrub_query_secrets(value), local=True),
            "host": text("_authority", clean(value)),
            "status": values["status"],
            "latency_s": values["latency_s"],
            "upstream_latency_s": values["upstream_latency_s"],
            "bytes_in": values["bytes_in"],
            "bytes_out": values["bytes_out"],
            "api": api,
            "termination": text("_flags", clean(value)),
        },
        height=len(lines),
    )
