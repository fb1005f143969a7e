"""C kernels that tokenise and convert a whole chunk of access-log lines in one pass.

:mod:`~apislo.sources.logs.nginx_fast` compiles a ``log_format`` template into a small program
(a sequence of literal texts and variables, each variable with a *rule* saying where its value
ends and a *conversion* saying what to make of it) and runs :func:`scan_chunk` over the chunk's
bytes (:mod:`~apislo.sources.logs.template_fast` runs programs of other formats' templates).
The kernel follows the program byte by byte, exactly as the exact path's regular expression
(:mod:`~apislo.sources.logs.nginx_format`) would, and writes per line: an ok flag, numbers
(timestamps as epoch microseconds, seconds, integers, upstream list sums and counts) and the
start/end offsets of the string values. A line it cannot vouch for (anything unusual: a value that
is not a plain number, a non-ASCII string, a malformed request line, a truncated line) gets
``ok = 0`` and goes to the exact path, so the kernel never decides a reject.

:func:`encode_spans` then dictionary-encodes the string values of the kept lines (a code per line
and the first line of each distinct value), so strings are copied once per distinct value, not
once per line; :func:`gather_strings` copies string values into one contiguous buffer with int64
offsets, for an Arrow ``large_string`` array built without Python objects.

The kernels are plain C functions in ``_nginx_scan.c``, compiled into the extension module
:mod:`apislo.sources.logs._nginx_scan` when apislo is installed (``pip install -e .``), so a
process pays nothing to start them. This module binds them with :mod:`ctypes`: argument types are
declared once (an array of the wrong dtype, layout or writability raises ``ArgumentError``), the
arrays they return are allocated here, and each call releases the GIL, so threads can scan parts
of one chunk at once.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.ctypeslib import ndpointer

import apislo.sources.logs._nginx_scan as _ext

__all__ = [
    "CONV_COUNT",
    "CONV_FLOAT",
    "CONV_INT",
    "CONV_LIST",
    "CONV_REQUEST",
    "CONV_SKIP",
    "CONV_STATUS",
    "CONV_STRING",
    "CONV_TIMER",
    "CONV_TIME_CLF",
    "CONV_TIME_ISO",
    "CONV_TIME_LOCAL",
    "CONV_TIME_NAIVE",
    "CONV_TIME_RFC3339",
    "RULE_DELIM",
    "RULE_GREEDY",
    "RULE_LIST",
    "RULE_QUOTED",
    "RULE_REST",
    "RULE_TIME_LOCAL",
    "RULE_TOKEN",
    "bit_pack",
    "count_lines",
    "encode_spans",
    "find_any",
    "gather_strings",
    "hash_codes",
    "scan_chunk",
]

# Where a variable's value ends (mirrors the exact path's per-variable regex).
RULE_QUOTED = 0  # (?:[^"\\]|\\.)*  -- up to the first unescaped "
RULE_TIME_LOCAL = 1  # [^ \]]+ [^ \]]+
RULE_LIST = 2  # [^\s,]+(?:(?:, | : )[^\s,]+)*
RULE_REST = 3  # .*  -- the rest of the line (last variable only)
RULE_DELIM = 4  # [^D]*  -- up to the first delimiter byte D
RULE_GREEDY = 5  # [^ ]*  -- greedy, backing off to the last place the next literal matches
RULE_TOKEN = 6  # \S+  -- up to a space or the line's end (other whitespace: unsure)

# What to make of a value.
CONV_SKIP = 0
CONV_TIME_LOCAL = 1  # int slot: epoch microseconds (UTC) of the logged time
CONV_TIME_ISO = 2  # int slot: epoch microseconds (UTC)
CONV_FLOAT = 3  # float slot: seconds ("-" and "" -> null)
CONV_INT = 4  # int slot (bytes)
CONV_STATUS = 5  # int slot (fits int16)
CONV_LIST = 6  # float slot: sum of members; int slot_b: attempts; int slot_b + 1: is a list
CONV_COUNT = 7  # int slot: members of a list ("-" and "" -> null)
CONV_REQUEST = 8  # span slot a: method, span slot a+1: target (protocol checked)
CONV_STRING = 9  # span slot: raw value
CONV_TIME_RFC3339 = 10  # int slot: epoch microseconds (UTC) of a CONV_TIME_ISO time or one ending Z
CONV_TIME_CLF = 11  # int slot: as CONV_TIME_LOCAL, for a zone of less than 24 hours only
CONV_TIME_NAIVE = 12  # int slot: microseconds of 06/Feb/2009:12:14:14[.ffffff] read as UTC
CONV_TIMER = 13  # int slot: digits, or -1 (null: HAProxy's "not reached"); "-" and "" unsure

_lib = ctypes.CDLL(_ext.__file__)
_I64 = ctypes.c_int64


def _array(dtype: type, ndim: int = 1, out: bool = False) -> type:
    """ctypes type of a C-contiguous numpy array argument (``out``: written, so writeable)."""
    flags = "C_CONTIGUOUS,WRITEABLE" if out else "C_CONTIGUOUS"
    return ndpointer(dtype=dtype, ndim=ndim, flags=flags)


_BYTES = _array(np.uint8)
_INTS = _array(np.int64)


def _declare(name: str, restype: type | None, *argtypes: type) -> Callable[..., Any]:
    """The C function ``name`` of the extension, with its result and argument types."""
    function = getattr(_lib, name)
    function.restype = restype
    function.argtypes = argtypes
    return function


_find_any = _declare("find_any", _I64, _BYTES, _I64, _I64, _I64, _I64, _I64)
_hash_codes = _declare(
    "hash_codes", _I64, _array(np.uint64), _I64, _I64,
    _array(np.uint32, out=True), _array(np.int64, out=True),
)  # fmt: skip
_bit_pack = _declare("bit_pack", _I64, _array(np.uint32), _I64, _I64, _array(np.uint8, out=True))
_count_lines = _declare("count_lines", _I64, _BYTES, _I64, _I64)
_scan_chunk = _declare(
    "scan_chunk", _I64,
    _BYTES, _I64, _I64, _I64, _I64,  # buf, size, start, row0, n_lines
    _INTS, _INTS, _INTS, _BYTES, _INTS, _INTS, _INTS, _INTS, _INTS, _I64,  # program, n_pieces
    _BYTES, _INTS, _I64,  # protos, proto_off, its length
    _array(np.uint8, out=True),  # ok
    _array(np.int64, 2, out=True), _array(np.uint8, 2, out=True),  # ints, ivalid
    _array(np.float64, 2, out=True), _array(np.uint8, 2, out=True),  # floats, fvalid
    _array(np.int64, 3, out=True), _I64,  # spans, rows per slot
)  # fmt: skip
_gather_offsets = _declare(
    "gather_offsets", _I64, _I64, _INTS, _INTS, _I64, _INTS, _I64, _array(np.int64, out=True)
)
_gather_copy = _declare(
    "gather_copy", None, _BYTES, _INTS, _INTS, _I64, _INTS, _array(np.uint8, out=True)
)
_encode_spans = _declare(
    "encode_spans", _I64,
    _BYTES, _I64, _INTS, _INTS, _I64, _INTS, _I64,  # buf, size, starts, ends, spans, rows, n
    _array(np.int32, out=True), _array(np.int64, out=True),  # codes, firsts
)  # fmt: skip


def find_any(buf: np.ndarray, q: int, e: int, a: int, b: int, c: int) -> int:
    """First offset in ``[q, e)`` holding byte ``a``, ``b`` or ``c``; ``e`` if none.

    Eight bytes at a time (SWAR): each byte equal to a target becomes zero after an XOR, and
    the lowest zero byte is the first match. About four times faster than a byte loop.
    """
    if q < 0 or e > buf.shape[0]:
        raise ValueError(f"[{q}, {e}) is not inside the {buf.shape[0]}-byte buffer")
    return _find_any(buf, q, e, a, b, c)


def scan_chunk(
    buf: np.ndarray,
    start: int,
    row0: int,
    n_lines: int,
    kinds: np.ndarray,
    lit_a: np.ndarray,
    lit_n: np.ndarray,
    lit: np.ndarray,
    rules: np.ndarray,
    delims: np.ndarray,
    convs: np.ndarray,
    slots: np.ndarray,
    slots_b: np.ndarray,
    protos: np.ndarray,
    proto_off: np.ndarray,
    ok: np.ndarray,
    ints: np.ndarray,
    ivalid: np.ndarray,
    floats: np.ndarray,
    fvalid: np.ndarray,
    spans: np.ndarray,
) -> int:
    """Run the template program over ``n_lines`` lines of ``buf``; return the lines kept.

    Threads may scan parts of one chunk at once (the call releases the GIL): each writes the
    rows ``row0 ..`` of the shared outputs.

    Args:
        buf: the chunk's bytes (uint8); lines end with ``\\n`` (``\\r\\n`` too), the last one
            may not.
        start: offset of the first line to scan (a line start).
        row0: its line number within the chunk (0-based): the row written in the outputs.
        n_lines: number of lines to scan.
        kinds .. slots_b: the program, one int64 entry per template piece (see
            :class:`~apislo.sources.logs.nginx_fast.Program`); its slots must fit the outputs.
        protos, proto_off: the accepted protocols (``HTTP/1.1``...) as one byte buffer + offsets.
        ok: out, uint8 per line: 1 when the line's values below are valid.
        ints, ivalid: out, int64 values ``[slot, line]`` and their validity (0 = null).
        floats, fvalid: out, float64 values ``[slot, line]`` and their validity.
        spans: out, int64 ``[slot, 0 | 1, line]``: start and end offsets of string values.

    Raises:
        MemoryError: no memory for the compiled steps of a very long template.
    """
    width = ok.shape[0]
    widths = {ints.shape[1], ivalid.shape[1], floats.shape[1], fvalid.shape[1], spans.shape[2]}
    if widths != {width} or spans.shape[1] != 2:
        raise ValueError("the output arrays must all hold one entry per line of `ok`")
    if start < 0 or row0 < 0 or row0 + n_lines > width:
        raise ValueError(f"lines {row0}..{row0 + n_lines} do not fit {width} output rows")
    kept = _scan_chunk(
        buf, buf.shape[0], start, row0, n_lines,
        kinds, lit_a, lit_n, lit, rules, delims, convs, slots, slots_b, kinds.shape[0],
        protos, proto_off, proto_off.shape[0],
        ok, ints, ivalid, floats, fvalid, spans, width,
    )  # fmt: skip
    if kept < 0:
        raise MemoryError("no memory left for the template's compiled steps")
    return kept


def _span_error() -> IndexError:
    return IndexError("a row is outside `starts`/`ends`, or a span outside the buffer")


def gather_strings(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copy ``buf[starts[r]:ends[r]]`` for each ``r`` in ``rows`` into one buffer.

    Returns:
        ``(offsets, data)``: int64 offsets (one more than the rows) and the uint8 bytes, the
        layout of an Arrow ``large_string`` array.
    """
    n = rows.shape[0]
    n_spans = min(starts.shape[0], ends.shape[0])
    offsets = np.empty(n + 1, dtype=np.int64)
    total = _gather_offsets(buf.shape[0], starts, ends, n_spans, rows, n, offsets)
    if total < 0:
        raise _span_error()
    data = np.empty(total, dtype=np.uint8)
    _gather_copy(buf, starts, rows, n, offsets, data)
    return offsets, data


def encode_spans(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode the byte strings ``buf[starts[r]:ends[r]]`` for ``r`` in ``rows``.

    An open-addressing hash table (linear probing, at most half full) points to
    the distinct values, kept back to back in a small arena so that the byte comparisons stay in
    cache (comparing with the first occurrence in the chunk instead costs a memory miss per line).

    Returns:
        ``(codes, firsts)``: an int32 code per entry of ``rows`` (0 for the first distinct value
        met, 1 for the next...), and for each code the row (an entry of ``rows``) where it
        first occurs.
    """
    n = rows.shape[0]
    n_spans = min(starts.shape[0], ends.shape[0])
    codes = np.empty(n, dtype=np.int32)
    firsts = np.empty(n, dtype=np.int64)  # at most one distinct value per row
    count = _encode_spans(buf, buf.shape[0], starts, ends, n_spans, rows, n, codes, firsts)
    if count == -1:
        raise MemoryError("no memory left for the dictionary of distinct strings")
    if count < 0:
        raise _span_error()
    return codes, firsts[:count].copy()


def count_lines(buf: np.ndarray, start: int, stop: int) -> int:
    """Number of ``\\n`` bytes in ``buf[start:stop]``.

    Sixteen bytes at a time with SSE2 (each byte lane counts its matches), then eight: each
    64-bit word is XORed with ``\\n`` repeated, so newline bytes become zero; the exact
    zero-byte test ``~(((w & 0x7F..) + 0x7F..) | w | 0x7F..)`` leaves one high bit per zero
    byte, and a multiply adds those bits up.
    """
    if start < 0 or stop > buf.shape[0]:
        raise ValueError(f"[{start}, {stop}) is not inside the {buf.shape[0]}-byte buffer")
    return _count_lines(buf, start, stop)


def bit_pack(values: np.ndarray, width: int) -> np.ndarray:
    """``values`` (uint32, each below ``2**width``) packed in ``width`` bits each, least
    significant bit first, in whole groups of 8 values (the last padded with zeros): the body
    of a Parquet bit-packed run, as uint8."""
    if not 1 <= width <= 32:
        raise ValueError(f"a bit width of {width} is not 1..32")
    values = np.ascontiguousarray(values, dtype=np.uint32)
    if width < 32 and values.shape[0] and int(values.max()) >> width:
        raise ValueError(f"a value does not fit {width} bits")
    out = np.empty((values.shape[0] + 7) // 8 * width, dtype=np.uint8)
    _bit_pack(values, values.shape[0], width, out)
    return out


def hash_codes(values: np.ndarray, max_distinct: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Dictionary-encode 8-byte values (int64, uint64 or float64; floats by their bits, so
    ``-0.0`` and ``0.0`` differ and each NaN is its own value).

    Returns:
        ``(codes, firsts)``: a uint32 code per value (0 for the first distinct value met, 1
        for the next...) and for each code the index where its value first occurs; ``None``
        when there are more than ``max_distinct`` distinct values (the work stops there).

    Raises:
        MemoryError: no memory left for the hash table.
    """
    values = np.ascontiguousarray(values).view(np.uint64)
    n = values.shape[0]
    codes = np.empty(n, dtype=np.uint32)
    firsts = np.empty(min(n, max_distinct), dtype=np.int64)
    count = _hash_codes(values, n, max_distinct, codes, firsts)
    if count == -1:
        raise MemoryError("no memory left for the dictionary of distinct values")
    if count == -2:
        return None
    return codes, firsts[:count].copy()
