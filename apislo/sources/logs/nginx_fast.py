"""The fast path of the NGINX parser: a template program run by the C kernel, then columns.

:func:`var_rule` says where a variable's value ends, for both parsers: the exact path turns the
rule into a regular expression (:mod:`~apislo.sources.logs.nginx_format`), :func:`plan` turns the
whole template into a :class:`Program` for :func:`~apislo.sources.logs.nginx_kernel.scan_chunk`.
:func:`run` scans a chunk and builds the events of the lines the kernel kept, with the same
columns, types and values as :func:`~apislo.sources.logs.nginx_convert.convert` gives for them
(it reuses convert's expressions for start times, paths, strings, escaping and scrubbing).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.arrow import to_polars
from apislo.sources.logs.dictionary import categorical
from apislo.sources.logs.fields import MAX_EXACT_NUMBER
from apislo.sources.logs.nginx_convert import (
    ATTEMPT_SOURCES,
    INT_SOURCES,
    LIST_SUM_DECIMALS,
    LIST_VARIABLES,
    MAX_ATTEMPTS,
    MAX_MSEC,
    MAX_REQUEST_TIME_S,
    PROTOCOLS,
    STRING_SOURCES,
    TIME_VARIABLES,
    finish_strings,
    msec_time,
    path_columns,
    start_time,
    string_columns,
)

__all__ = [
    "DELIMITERS",
    "NGINX_BOUNDS",
    "Program",
    "Scan",
    "Var",
    "build",
    "encode_strings",
    "merge",
    "numbers",
    "pick_lines",
    "plan",
    "run",
    "scan",
    "var_rule",
]

#: Characters that end a variable's value when they follow it in the template.
DELIMITERS = frozenset(" \t|;,\"'")
_PATH_VARIABLES = ("request_method", "request_uri", "uri", "args")


def var_rule(var: str, before: str, after: str) -> tuple[int, str]:
    """How the value of ``var`` ends, given the literal texts around it in the template.

    Returns:
        ``(rule, delimiter)``: a ``RULE_*`` code of :mod:`.nginx_kernel`; the delimiter
        character for ``RULE_DELIM`` (else ``""``).
    """
    if before.endswith('"') and after.startswith('"'):
        return k.RULE_QUOTED, ""
    if var == "time_local":
        return k.RULE_TIME_LOCAL, ""
    if var in LIST_VARIABLES:
        return k.RULE_LIST, ""
    if not after:
        return k.RULE_REST, ""
    if after[0] in DELIMITERS:
        return k.RULE_DELIM, after[0]
    if var == "scheme" and after[0] == ":":  # (``$scheme://``: a scheme holds no ":", a query
        return k.RULE_DELIM, ":"  # may, as in ``?next=https://...``)
    # ``$remote_addr:$remote_port``, ``($request_time)``: greedy up to the last such character
    # before a space, so IPv6 addresses keep their colons.
    return k.RULE_GREEDY, ""


@dataclass
class Program:
    """A template compiled for the kernel: one entry per piece, and what each output slot holds.

    Attributes:
        kinds: 0 = literal, 1 = variable.
        lit_a, lit_n, lit: each literal's start and length in the ``lit`` byte buffer.
        rules, delims: each variable's ``RULE_*`` and delimiter byte.
        convs, slots, slots_b: each variable's ``CONV_*`` and output slot(s).
        n_ints, n_floats, n_spans: output slots of each kind.
        columns: event column (or raw variable) -> ``(kind, slot)``, kind one of ``"int"``,
            ``"float"``, ``"span"``.
        schema: the events' columns and types, as :func:`.nginx_convert.convert` gives them.
        bounds: column -> ``(low, high)``: a kept line's value must be ``low <= value < high``,
            else :func:`scan` declines the line (the exact path rejects it).
    """

    kinds: np.ndarray
    lit_a: np.ndarray
    lit_n: np.ndarray
    lit: np.ndarray
    rules: np.ndarray
    delims: np.ndarray
    convs: np.ndarray
    slots: np.ndarray
    slots_b: np.ndarray
    n_ints: int = 0
    n_floats: int = 0
    n_spans: int = 0
    columns: dict[str, tuple[str, int]] = field(default_factory=dict)
    schema: dict[str, pl.DataType] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)

    def counts(self) -> tuple[int, int, int]:
        """Output slots: ``(ints, floats, spans)``."""
        return self.n_ints, self.n_floats, self.n_spans


_PROTOS = np.frombuffer("".join(PROTOCOLS).encode(), dtype=np.uint8).copy()
_PROTO_OFF = np.cumsum([0, *(len(p) for p in PROTOCOLS)]).astype(np.int64)


def _conversions(variables: list[str]) -> dict[str, int]:
    """``CONV_*`` of each variable :func:`.nginx_convert.convert` reads (first occurrences)."""
    present = set(variables)
    conv: dict[str, int] = {}
    time_var = next(v for v in TIME_VARIABLES if v in present)
    conv[time_var] = {
        "time_iso8601": k.CONV_TIME_ISO,
        "time_local": k.CONV_TIME_LOCAL,
        "msec": k.CONV_FLOAT,
    }[time_var]
    if "request_time" in present:
        conv["request_time"] = k.CONV_FLOAT
    if "request" in present:
        conv["request"] = k.CONV_REQUEST
    else:
        conv.update({v: k.CONV_STRING for v in _PATH_VARIABLES if v in present})
    if "status" in present:
        conv["status"] = k.CONV_STATUS
    attempts = next((v for v in ATTEMPT_SOURCES if v in present), None)
    if attempts == "upstream_response_time":
        conv[attempts] = k.CONV_LIST
    elif attempts is not None:
        conv[attempts] = k.CONV_COUNT
    for sources in INT_SOURCES.values():
        var = next((v for v in sources if v in present), None)
        if var is not None:
            conv[var] = k.CONV_INT
    for sources in STRING_SOURCES.values():
        var = next((v for v in sources if v in present), None)
        if var is not None:
            conv[var] = k.CONV_STRING
    return conv


@dataclass(frozen=True)
class Var:
    """A variable of a kernel template: where its value ends and what to make of it.

    Attributes:
        column: the output column (for ``CONV_REQUEST``, ``CONV_LIST`` and ``CONV_SKIP``: unused;
            they write ``method`` + ``path``, ``upstream_latency_s`` + ``attempts`` + ``_is_list``,
            and nothing).
        rule: a ``RULE_*`` code of :mod:`.nginx_kernel`.
        conv: a ``CONV_*`` code.
        delim: the delimiter character of ``RULE_DELIM``.
    """

    column: str
    rule: int
    conv: int
    delim: str = ""


_INT_CONVS = (
    k.CONV_TIME_LOCAL,
    k.CONV_TIME_ISO,
    k.CONV_TIME_RFC3339,
    k.CONV_TIME_CLF,
    k.CONV_TIME_NAIVE,
    k.CONV_TIMER,
    k.CONV_INT,
    k.CONV_STATUS,
)


def build(
    pieces: list[str | Var],
    schema: dict[str, pl.DataType] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> Program:
    """A :class:`Program` of literal texts and :class:`Var` pieces, each output in slots of its
    kind (int, float, span) in order; ``schema``: the events' columns and types, for
    :func:`run` (NGINX templates); ``bounds``: see :class:`Program`."""
    n = len(pieces)
    names = ("kinds", "lit_a", "lit_n", "rules", "delims", "convs", "slots", "slots_b")
    arrays = {name: np.zeros(n, dtype=np.int64) for name in names}
    lit = bytearray()
    columns: dict[str, tuple[str, int]] = {}
    counts = {"int": 0, "float": 0, "span": 0}

    def slot(kind: str, width: int = 1) -> int:
        counts[kind] += width
        return counts[kind] - width

    for i, piece in enumerate(pieces):
        if isinstance(piece, str):
            data = piece.encode()
            arrays["lit_a"][i], arrays["lit_n"][i] = len(lit), len(data)
            lit += data
            continue
        arrays["kinds"][i] = 1
        arrays["rules"][i] = piece.rule
        arrays["delims"][i] = ord(piece.delim) if piece.delim else 0
        arrays["convs"][i] = code = piece.conv
        if code in _INT_CONVS or code == k.CONV_COUNT:
            arrays["slots"][i] = slot("int")
            columns[piece.column] = ("int", int(arrays["slots"][i]))
        elif code == k.CONV_FLOAT:
            arrays["slots"][i] = slot("float")
            columns[piece.column] = ("float", int(arrays["slots"][i]))
        elif code == k.CONV_LIST:
            arrays["slots"][i] = slot("float")
            arrays["slots_b"][i] = slot("int", 2)
            columns["upstream_latency_s"] = ("float", int(arrays["slots"][i]))
            columns["attempts"] = ("int", int(arrays["slots_b"][i]))
            columns["_is_list"] = ("int", int(arrays["slots_b"][i]) + 1)
        elif code == k.CONV_REQUEST:
            arrays["slots"][i] = slot("span", 2)
            columns["method"] = ("span", int(arrays["slots"][i]))
            columns["path"] = ("span", int(arrays["slots"][i]) + 1)
        elif code == k.CONV_STRING:
            arrays["slots"][i] = slot("span")
            columns[piece.column] = ("span", int(arrays["slots"][i]))
    return Program(
        **arrays,
        lit=np.frombuffer(bytes(lit) or b"\0", dtype=np.uint8).copy(),
        n_ints=counts["int"],
        n_floats=counts["float"],
        n_spans=counts["span"],
        columns=columns,
        schema=schema or {},
        bounds=bounds or {},
    )


def plan(pieces: list[tuple[str, bool]], schema: dict[str, pl.DataType]) -> Program | None:
    """Compile ``(text, is_variable)`` pieces of an NGINX template into a :class:`Program`.

    Returns ``None`` when the exact path's regex could backtrack in a way the kernel does not
    follow (a variable directly followed by another one, a list or ``$time_local`` followed by
    an unusual literal) or a literal holds a line break: such templates use the exact path only.
    """
    n = len(pieces)
    if any("\n" in text or "\r" in text for text, is_var in pieces if not is_var):
        return None  # the kernel finds line ends as it goes
    afters = [pieces[i + 1][0] if i + 1 < n and not pieces[i + 1][1] else "" for i in range(n)]
    befores = [pieces[i - 1][0] if i > 0 and not pieces[i - 1][1] else "" for i in range(n)]
    conv = _conversions([text for text, is_var in pieces if is_var])
    program: list[str | Var] = []
    seen: set[str] = set()
    for i, (text, is_var) in enumerate(pieces):
        if not is_var:
            program.append(text)
            continue
        rule, delim = var_rule(text, befores[i], afters[i])
        followed_by_var = i + 1 < n and pieces[i + 1][1]
        if rule == k.RULE_REST and i != n - 1:
            return None
        # a list ends at a space (not " : ", which would continue it); [$time_local] at "]"
        ends = " " if rule == k.RULE_LIST else " ]"
        if rule in (k.RULE_LIST, k.RULE_TIME_LOCAL) and (
            followed_by_var or (afters[i] and afters[i][0] not in ends) or afters[i][:3] == " : "
        ):
            return None
        code = conv.get(text, k.CONV_SKIP) if text not in seen else k.CONV_SKIP
        seen.add(text)
        program.append(Var(_column(text, code), rule, code, delim))
    return build(program, schema, NGINX_BOUNDS)


def _column(var: str, code: int) -> str:
    """The output column of NGINX variable ``var`` converted by ``code``."""
    if code in (k.CONV_TIME_LOCAL, k.CONV_TIME_ISO):
        return "_end"
    if code == k.CONV_FLOAT:
        return "_msec" if var == "msec" else "latency_s"
    if code in (k.CONV_INT, k.CONV_STATUS, k.CONV_COUNT):
        return "attempts" if code == k.CONV_COUNT else _int_column(var)
    return var


def _int_column(var: str) -> str:
    if var == "status":
        return "status"
    return next(column for column, sources in INT_SOURCES.items() if var in sources)


@dataclass(frozen=True)
class Scan:
    """What the kernel wrote for a chunk: the kept lines' values, and which lines it kept.

    ``ivalid``, ``fvalid`` and ``spans`` are the scanning thread's scratch arrays: they hold
    this chunk's values until the thread's next :func:`scan`.
    """

    buf: np.ndarray  #: the chunk's bytes (uint8)
    lines: int  #: lines scanned
    kept: int  #: lines kept (their values are valid)
    rows: np.ndarray  #: the kept lines (0-based; empty when every line was kept)
    declined: np.ndarray  #: the lines left to the exact path (0-based), usually none
    ints: np.ndarray  #: int64 values ``[slot, line]``
    ivalid: np.ndarray  #: their validity (uint8, 0 = null)
    floats: np.ndarray  #: float64 values ``[slot, line]``
    fvalid: np.ndarray  #: their validity
    spans: np.ndarray  #: int64 ``[slot, 0 | 1, line]``: start and end offsets of strings

    @property
    def every(self) -> bool:
        """Whether the kernel kept every line."""
        return self.kept == self.lines

    def kept_lines(self) -> np.ndarray:
        """The 0-based numbers of the kept lines (int64)."""
        return np.arange(self.lines, dtype=np.int64) if self.every else self.rows


def scan(program: Program, chunk: bytes, n_lines: int) -> Scan:
    """Run ``program`` over ``chunk`` (``n_lines`` lines) in the kernel: which lines it keeps,
    and their values (lines with a value outside ``program.bounds`` are declined too).

    Scratch arrays (flags, validity, string offsets) are reused from call to call, per thread:
    fresh memory costs a page fault per 4 KiB, which on a VM is as dear as the parsing itself.
    Every line the kernel keeps is an event of :func:`run`.
    """
    buf = np.frombuffer(chunk, dtype=np.uint8)
    n_ints, n_floats, n_spans = (max(n, 1) for n in program.counts())
    ok = _scratch("ok", (n_lines,), np.uint8)
    ivalid = _scratch("ivalid", (n_ints, n_lines), np.uint8)
    fvalid = _scratch("fvalid", (n_floats, n_lines), np.uint8)
    spans = _scratch("spans", (n_spans, 2, n_lines), np.int64)
    ints = np.empty((n_ints, n_lines), dtype=np.int64)  # these become the columns
    floats = np.empty((n_floats, n_lines), dtype=np.float64)

    kept = k.scan_chunk(
        buf, 0, 0, n_lines, program.kinds, program.lit_a, program.lit_n, program.lit,
        program.rules, program.delims, program.convs, program.slots, program.slots_b,
        _PROTOS, _PROTO_OFF, ok, ints, ivalid, floats, fvalid, spans,
    )  # fmt: skip
    kept -= _decline_out_of_range(program, ok, (ints, ivalid, floats, fvalid))
    if kept == n_lines:
        rows = declined = _NO_ROWS
    else:
        good = ok.view(np.bool_)
        rows, declined = np.flatnonzero(good), np.flatnonzero(~good)
    return Scan(buf, n_lines, kept, rows, declined, ints, ivalid, floats, fvalid, spans)


def run(program: Program, chunk: bytes, n_lines: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Scan ``chunk`` (``n_lines`` lines): events of the kept lines, and the lines left over.

    The caller runs chunks in parallel, one per thread (the kernel releases the GIL).

    Returns:
        ``(events, declined)``: events of the kept lines in line order, with ``program.schema``;
        the 0-based numbers of the lines left to the exact path (usually none).
    """
    assert program.schema, "a program without the events' schema gives no columns"
    found = scan(program, chunk, n_lines)
    lines = found.kept_lines()
    raw: dict[str, pl.Series] = {}
    for name, (kind, index) in program.columns.items():
        if kind in ("int", "float"):
            raw[name] = numbers(found, kind, index, lines)
    encoded = {
        name: encode_strings(found, index, lines)
        for name, (kind, index) in program.columns.items()
        if kind == "span"
    }
    raw_frame = pl.DataFrame(raw, height=found.kept)
    return _events(program, raw_frame, encoded), found.declined


def pick_lines(chunk: bytes, rows: np.ndarray) -> list[tuple[int, str]]:
    """``(line_no, text)`` of the given 0-based lines of ``chunk`` (UTF-8, bad bytes replaced,
    without a final ``\r``): the lines the kernel declined, for the exact path."""
    ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(chunk)]))
    picked = []
    for row in rows.tolist():
        text = chunk[starts[row] : ends[row]].decode("utf-8", errors="replace")
        picked.append((row, text.removesuffix("\r")))
    return picked


def merge(
    events: pl.DataFrame, lines: np.ndarray, slow: pl.DataFrame, slow_lines: np.ndarray
) -> pl.DataFrame:
    """The kernel's ``events`` (of ``lines``) and the exact path's (of ``slow_lines``, cast to
    the kernel's types) in line order."""
    fast = events.with_columns(pl.Series("_line", lines, dtype=pl.Int64))
    slow = slow.cast(dict(events.schema)).with_columns(
        pl.Series("_line", slow_lines, dtype=pl.Int64)
    )
    return pl.concat([fast, slow], how="vertical").sort("_line").drop("_line")


def encode_strings(found: Scan, index: int, lines: np.ndarray) -> tuple[np.ndarray, pl.Series]:
    """Span slot ``index`` of ``lines`` (0-based, of the chunk) dictionary-encoded: an int32
    code per line and the distinct values (String), copied once each."""
    starts, ends = found.spans[index, 0], found.spans[index, 1]
    codes, firsts = k.encode_spans(found.buf, starts, ends, lines)
    offsets, data = k.gather_strings(found.buf, starts, ends, firsts)
    values = pa.LargeStringArray.from_buffers(
        len(firsts), pa.py_buffer(offsets), pa.py_buffer(data), None, 0
    )
    return codes, to_polars(values)


_NO_ROWS = np.empty(0, dtype=np.int64)
_SCRATCH = threading.local()


def _scratch(name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """A reusable uninitialised array of this thread (grown when too small)."""
    size = int(np.prod(shape))
    flat = getattr(_SCRATCH, name, None)
    if flat is None or flat.size < size:
        flat = np.empty(size + size // 4, dtype=dtype)
        setattr(_SCRATCH, name, flat)
    return flat[:size].reshape(shape)


#: NGINX kernel columns and the values they may take, ``low <= value < high``: a line outside
#: goes to the exact path, which rejects it (:func:`.nginx_convert.convert`): a duration or a
#: time no clock gives, a status outside 100-999 (0 is null there), a size or sum of 2**53 or
#: more, more attempts than their column holds.
NGINX_BOUNDS: dict[str, tuple[float, float]] = {
    "latency_s": (0.0, MAX_REQUEST_TIME_S),
    "_msec": (0.0, MAX_MSEC),
    "upstream_latency_s": (0.0, MAX_EXACT_NUMBER),
    "status": (100, 1000),
    "bytes_in": (0, int(MAX_EXACT_NUMBER)),
    "bytes_out": (0, int(MAX_EXACT_NUMBER)),
    "attempts": (0, MAX_ATTEMPTS + 1),
}


def _decline_out_of_range(
    program: Program,
    ok: np.ndarray,
    numbers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> int:
    """Clear ``ok`` for kept lines with a value outside ``program.bounds``; how many were.

    ``numbers`` are the scan's ``(ints, ivalid, floats, fvalid)``.
    """
    ints, ivalid, floats, fvalid = numbers
    declined = 0
    for name, (low, high) in program.bounds.items():
        if name not in program.columns:
            continue
        kind, index = program.columns[name]
        if kind == "int":
            outside = _outside_ints(ints[index], int(low), int(high))
            valid = ivalid[index]
        else:
            outside = (floats[index] < low) | (floats[index] >= high)
            valid = fvalid[index]
        out = ok.view(np.bool_) & valid.view(np.bool_) & outside
        count = int(np.count_nonzero(out))
        if count:
            ok[out] = 0
            declined += count
    return declined


def _outside_ints(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whether each int64 value is outside ``low <= value < high``, in one unsigned compare:
    ``value - low`` read as unsigned is below ``high - low`` exactly inside (below ``low``, it
    wraps to a huge number)."""
    shifted = values if low == 0 else values - low
    return shifted.view(np.uint64) >= high - low


def numbers(found: Scan, kind: str, index: int, lines: np.ndarray) -> pl.Series:
    """The ``kind`` (``"int"`` or ``"float"``) slot ``index`` of ``lines`` (0-based, ascending,
    of the chunk) as a column, null where the kernel wrote no value."""
    if kind == "int":
        values, valid = found.ints[index], found.ivalid[index]
    else:
        values, valid = found.floats[index], found.fvalid[index]
    if len(lines) < found.lines:  # (every line: the arrays as they are)
        values, valid = values[lines], valid[lines]
    bitmap = None
    nulls = len(valid) - int(np.count_nonzero(valid))
    if nulls:
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    arrow_type = pa.from_numpy_dtype(values.dtype)
    array = pa.Array.from_buffers(arrow_type, len(values), [bitmap, pa.py_buffer(values)], nulls)
    return to_polars(array)


def _events(
    program: Program, raw: pl.DataFrame, strings: dict[str, tuple[np.ndarray, pl.Series]]
) -> pl.DataFrame:
    """Kernel columns -> events with the same expressions the exact path's conversion uses.

    ``strings`` holds each string variable dictionary-encoded: a code per kept line and the
    distinct raw values. A string column computed from one variable (``path``, ``consumer``...)
    is computed on the distinct values only and comes out :data:`polars.Categorical`; one that
    combines variables (``$uri`` + ``$args``) is computed line by line.
    """
    names = set(raw.columns) | set(strings)
    if "_end" in names:
        end = pl.col("_end").cast(pl.Datetime("us", "UTC"))
    else:
        end = msec_time(pl.col("_msec"))
    exprs: dict[str, pl.Expr] = {
        "ts": start_time(end, pl.col("latency_s") if "latency_s" in names else None)
    }
    for name in ("latency_s", "status", "attempts", *INT_SOURCES):
        if name in names:
            exprs[name] = pl.col(name)
    if "upstream_latency_s" in names:
        upstream = pl.col("upstream_latency_s")
        exprs["upstream_latency_s"] = (
            pl.when(pl.col("_is_list") == 1)
            .then(upstream.round(LIST_SUM_DECIMALS))
            .otherwise(upstream)
        )
    text: dict[str, pl.Expr] = {n: pl.col(n) for n in ("method", "path") if n in strings}
    if "method" not in strings:
        text.update(path_columns(names))
    text.update(string_columns(names))
    numeric = [name for name in program.schema if name in exprs]
    numbers = raw.lazy().select(exprs[n].cast(program.schema[n]).alias(n) for n in numeric)
    columns = dict(zip(numeric, numbers.collect().get_columns(), strict=True))
    for name, expr in text.items():
        columns[name] = _text_column(name, expr, strings, raw.height)
    return pl.DataFrame([columns[name] for name in program.schema], height=raw.height)


def _text_column(
    name: str, expr: pl.Expr, strings: dict[str, tuple[np.ndarray, pl.Series]], height: int
) -> pl.Series:
    """One string event column from the dictionary-encoded variables ``expr`` reads."""
    sources = sorted(set(expr.meta.root_names()))
    if len(sources) == 1:
        codes, values = strings[sources[0]]
        distinct = finish_strings(values.to_frame(sources[0]).select(expr.alias(name)))
        return categorical(name, codes, distinct.to_series(), local=name == "path")
    decoded = pl.DataFrame({s: strings[s][1].gather(strings[s][0]) for s in sources}, height=height)
    return finish_strings(decoded.select(expr.alias(name))).to_series()
