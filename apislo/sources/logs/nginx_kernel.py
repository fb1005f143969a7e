"""Numba kernels that tokenise and convert a whole chunk of NGINX access-log lines in one pass.

:mod:`~apislo.sources.logs.nginx_fast` compiles a ``log_format`` template into a small program
(a sequence of literal texts and variables, each variable with a *rule* saying where its value
ends and a *conversion* saying what to make of it) and runs :func:`scan_chunk` over the chunk's
bytes. The kernel follows the program byte by byte, exactly as the exact path's regular expression
(:mod:`~apislo.sources.logs.nginx_format`) would, and writes per line: an ok flag, numbers
(timestamps as epoch microseconds, seconds, integers, upstream list sums and counts) and the
start/end offsets of the string values. A line it cannot vouch for (anything unusual: a value that
is not a plain number, a non-ASCII string, a malformed request line, a truncated line) gets
``ok = 0`` and goes to the exact path, so the kernel never decides a reject.

:func:`encode_spans` then dictionary-encodes the string values of the kept lines (a code per line
and the first line of each distinct value), so strings are copied once per distinct value, not
once per line; :func:`gather_strings` copies string values into one contiguous buffer with int64
offsets, for an Arrow ``large_string`` array built without Python objects.

The first call compiles the kernels (a few seconds); ``cache=True`` keeps the machine code in
``__pycache__`` so later processes load it in well under a second.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = [
    "CONV_COUNT",
    "CONV_FLOAT",
    "CONV_INT",
    "CONV_LIST",
    "CONV_REQUEST",
    "CONV_SKIP",
    "CONV_STATUS",
    "CONV_STRING",
    "CONV_TIME_ISO",
    "CONV_TIME_LOCAL",
    "RULE_DELIM",
    "RULE_GREEDY",
    "RULE_LIST",
    "RULE_QUOTED",
    "RULE_REST",
    "RULE_TIME_LOCAL",
    "count_lines",
    "encode_spans",
    "find_any",
    "gather_strings",
    "scan_chunk",
]

# Where a variable's value ends (mirrors the exact path's per-variable regex).
RULE_QUOTED = 0  # (?:[^"\\]|\\.)*  -- up to the first unescaped "
RULE_TIME_LOCAL = 1  # [^ \]]+ [^ \]]+
RULE_LIST = 2  # [^\s,]+(?:(?:, | : )[^\s,]+)*
RULE_REST = 3  # .*  -- the rest of the line (last variable only)
RULE_DELIM = 4  # [^D]*  -- up to the first delimiter byte D
RULE_GREEDY = 5  # [^ ]*  -- greedy, backing off to the last place the next literal matches

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

_MONTHS = np.frombuffer(b"JanFebMarAprMayJunJulAugSepOctNovDec", dtype=np.uint8).copy()
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_POW10 = np.array([10.0**k for k in range(23)], dtype=np.float64)


@intrinsic
def _load_word(typingctx, buf, index):  # type: ignore[no-untyped-def]
    """The eight bytes of ``buf`` at ``index`` as one little-endian uint64 (any alignment)."""
    signature = types.uint64(buf, index)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        array = context.make_array(sig.args[0])(context, builder, args[0])
        address = builder.gep(array.data, [args[1]])
        return builder.load(builder.bitcast(address, ir.IntType(64).as_pointer()), align=1)

    return signature, codegen


@intrinsic
def _trailing_zeros(typingctx, word):  # type: ignore[no-untyped-def]
    """Number of trailing zero bits of a non-zero uint64."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 0))

    return signature, codegen


_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _zero_bytes(word: np.uint64) -> np.uint64:
    """High bit set in the lowest zero byte of ``word`` (bits above it may be set too)."""
    return (word - _ONES) & ~word & _HIGH


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def find_any(buf: np.ndarray, q: int, e: int, a: int, b: int, c: int) -> int:
    """First offset in ``[q, e)`` holding byte ``a``, ``b`` or ``c``; ``e`` if none.

    Eight bytes at a time (SWAR): each byte equal to a target becomes zero after an XOR, and
    the lowest zero byte is the first match. About four times faster than a byte loop.
    """
    wa = np.uint64(a) * _ONES
    wb = np.uint64(b) * _ONES
    wc = np.uint64(c) * _ONES
    while q + 8 <= e:
        word = _load_word(buf, q)
        hits = _zero_bytes(word ^ wa) | _zero_bytes(word ^ wb) | _zero_bytes(word ^ wc)
        if hits:
            return q + np.int64(_trailing_zeros(hits) >> np.uint64(3))
        q += 8
    while q < e:
        x = buf[q]
        if x == a or x == b or x == c:  # noqa: SIM109 (compiles to three compares)
            return q
        q += 1
    return e


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _digits(buf: np.ndarray, start: int, count: int) -> int:
    """Value of ``count`` ASCII digits at ``start``, or -1 if one is not a digit."""
    value = 0
    for k in range(start, start + count):
        d = buf[k] - 48
        if d < 0 or d > 9:
            return -1
        value = value * 10 + d
    return value


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _valid_date(y: int, m: int, d: int) -> bool:
    if y < 1000 or m < 1 or m > 12 or d < 1:
        return False
    dim = _DAYS_IN_MONTH[m - 1]
    if m == 2 and (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        dim = 29
    return d <= dim


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _clock(buf: np.ndarray, p: int) -> int:
    """Seconds of the day of ``HH:MM:SS`` at ``p``, or -1."""
    hh = _digits(buf, p, 2)
    mm = _digits(buf, p + 3, 2)
    ss = _digits(buf, p + 6, 2)
    if buf[p + 2] != 58 or buf[p + 5] != 58 or hh < 0 or mm < 0 or ss < 0:
        return -1
    if hh > 23 or mm > 59 or ss > 59:
        return -1
    return hh * 3600 + mm * 60 + ss


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _time_local(buf: np.ndarray, s: int, e: int) -> tuple[bool, int]:
    """``10/Sep/2015:17:57:59 +0200`` -> (ok, epoch microseconds UTC)."""
    if e - s != 26 or buf[s + 2] != 47 or buf[s + 6] != 47 or buf[s + 11] != 58:
        return False, 0
    if buf[s + 20] != 32:
        return False, 0
    d = _digits(buf, s, 2)
    y = _digits(buf, s + 7, 4)
    m = 0
    for k in range(12):
        if (
            buf[s + 3] == _MONTHS[3 * k]
            and buf[s + 4] == _MONTHS[3 * k + 1]
            and buf[s + 5] == _MONTHS[3 * k + 2]
        ):
            m = k + 1
            break
    if d < 0 or y < 0 or not _valid_date(y, m, d):
        return False, 0
    secs = _clock(buf, s + 12)
    # zone: [+-]HH[0-5]M, as _offset_seconds accepts it
    sign = buf[s + 21]
    zh = _digits(buf, s + 22, 2)
    zm = _digits(buf, s + 24, 2)
    if secs < 0 or (sign != 43 and sign != 45) or zh < 0 or zm < 0 or zm > 59:
        return False, 0
    offset = zh * 3600 + zm * 60
    if sign == 45:
        offset = -offset
    total = _days_from_civil(y, m, d) * 86400 + secs - offset
    return True, total * 1_000_000


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _time_iso(buf: np.ndarray, s: int, e: int) -> tuple[bool, int]:
    """``2024-02-29T23:59:59[.ffffff]+05:30`` -> (ok, epoch microseconds UTC)."""
    if e - s < 25 or buf[s + 4] != 45 or buf[s + 7] != 45 or buf[s + 10] != 84:
        return False, 0
    y = _digits(buf, s, 4)
    m = _digits(buf, s + 5, 2)
    d = _digits(buf, s + 8, 2)
    if y < 0 or m < 0 or d < 0 or not _valid_date(y, m, d):
        return False, 0
    secs = _clock(buf, s + 11)
    if secs < 0:
        return False, 0
    p = s + 19
    micros = 0
    if buf[p] == 46:
        n = 0
        p += 1
        while p < e and 48 <= buf[p] <= 57 and n < 7:
            micros = micros * 10 + (buf[p] - 48)
            n += 1
            p += 1
        if n == 0 or n > 6:
            return False, 0
        for _ in range(6 - n):
            micros *= 10
    if e - p != 6 or buf[p + 3] != 58 or (buf[p] != 43 and buf[p] != 45):
        return False, 0
    zh = _digits(buf, p + 1, 2)
    zm = _digits(buf, p + 4, 2)
    if zh < 0 or zm < 0 or zh > 23 or zm > 59:
        return False, 0
    offset = zh * 3600 + zm * 60
    if buf[p] == 45:
        offset = -offset
    total = _days_from_civil(y, m, d) * 86400 + secs - offset
    return True, total * 1_000_000 + micros


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _is_null(buf: np.ndarray, s: int, e: int) -> bool:
    """NGINX's ``-`` (not set) or an empty value."""
    return e == s or (e - s == 1 and buf[s] == 45)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _decimal(buf: np.ndarray, s: int, e: int) -> tuple[bool, float]:
    """``\\d+(\\.\\d+)?`` with at most 15 digits -> its correctly rounded double."""
    mant = 0
    digits = 0
    frac = -1
    for k in range(s, e):
        c = buf[k]
        if c == 46 and frac < 0 and k > s and k + 1 < e:
            frac = 0
            continue
        if c < 48 or c > 57:
            return False, 0.0
        mant = mant * 10 + (c - 48)
        digits += 1
        if frac >= 0:
            frac += 1
    if digits == 0 or digits > 15:
        return False, 0.0
    # mantissa < 2**53 and 10**frac exact: one IEEE division is correctly rounded
    if frac > 0:
        return True, mant / _POW10[frac]
    return True, float(mant)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _integer(buf: np.ndarray, s: int, e: int, max_digits: int) -> int:
    """Digits without a leading zero (``0`` itself is fine) -> value, else -1."""
    n = e - s
    if n < 1 or n > max_digits or (n > 1 and buf[s] == 48):
        return -1
    return _digits(buf, s, n)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _member_end(buf: np.ndarray, p: int, e: int) -> int:
    """End of a list member ``[^\\s,]+`` at ``p``; -1 on a byte the regex may see differently."""
    q = p
    while q < e:
        c = buf[q]
        if c == 32 or c == 44 or (9 <= c <= 13):
            break
        if c >= 128 or 28 <= c <= 31:  # possible Unicode whitespace for the regex
            return -1
        q += 1
    return q


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _list_value(buf: np.ndarray, s: int, e: int) -> tuple[bool, int, int, float]:
    """Members of ``0.512, 0.034 : -`` -> (ok, members, numeric members, sum of numeric)."""
    members = 0
    numeric = 0
    total = 0.0
    p = s
    while True:
        q = _member_end(buf, p, e)
        if q <= p:
            return False, 0, 0, 0.0
        if not (q - p == 1 and buf[p] == 45):
            good, value = _decimal(buf, p, q)
            if not good:
                return False, 0, 0, 0.0
            numeric += 1
            total += value
        members += 1
        if q == e:
            return True, members, numeric, total
        if q + 2 <= e and buf[q] == 44 and buf[q + 1] == 32:
            p = q + 2
        elif q + 3 <= e and buf[q] == 32 and buf[q + 1] == 58 and buf[q + 2] == 32:
            p = q + 3
        else:
            return False, 0, 0, 0.0


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _ascii(buf: np.ndarray, s: int, e: int) -> bool:
    k = s
    while k + 8 <= e:
        if _load_word(buf, k) & _HIGH:
            return False
        k += 8
    while k < e:
        if buf[k] >= 128:
            return False
        k += 1
    return True


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _request(
    buf: np.ndarray, s: int, e: int, protos: np.ndarray, proto_off: np.ndarray
) -> tuple[bool, int, int]:
    """``METHOD TARGET PROTO`` -> (ok, end of method, end of target)."""
    p = s
    while p < e:
        c = buf[p]
        if not (65 <= c <= 90 or ((c == 95 or c == 45) and p > s)):
            break
        p += 1
    if p == s or p >= e or buf[p] != 32:
        return False, 0, 0
    m_end = p
    q = find_any(buf, p + 1, e, 32, 32, 32)
    if not _ascii(buf, p + 1, q):
        return False, 0, 0
    if q == p + 1 or q >= e:
        return False, 0, 0
    t_end = q
    q += 1
    for k in range(proto_off.shape[0] - 1):
        a = proto_off[k]
        n = proto_off[k + 1] - a
        if e - q != n:
            continue
        same = True
        for j in range(n):
            if buf[q + j] != protos[a + j]:
                same = False
                break
        if same:
            return True, m_end, t_end
    return False, 0, 0


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _literal_at(buf: np.ndarray, p: int, e: int, lit: np.ndarray, a: int, n: int) -> bool:
    if p + n > e:
        return False
    for k in range(n):  # noqa: SIM110
        if buf[p + k] != lit[a + k]:
            return False
    return True


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _value_end(
    buf: np.ndarray,
    p: int,
    e: int,
    rule: int,
    delim: int,
    lit: np.ndarray,
    next_a: int,
    next_n: int,
) -> int:
    """Where a value starting at ``p`` ends under ``rule``; -1 when it cannot.

    ``e`` is the end of the chunk: every scan also stops at the line's ``\\n``.
    """
    q = p
    if rule == RULE_QUOTED:
        while True:
            q = find_any(buf, q, e, 34, 10, 92)
            if q < e and buf[q] == 92:
                if q + 1 >= e or buf[q + 1] == 10:
                    return -1
                q += 2
                continue
            return q
    if rule == RULE_TIME_LOCAL:
        while q < e:
            c = buf[q]
            if c == 32 or c == 93 or c == 10:
                break
            q += 1
        if q == p or q >= e or buf[q] != 32:
            return -1
        r = q + 1
        while r < e:
            c = buf[r]
            if c == 32 or c == 93 or c == 10:
                break
            r += 1
        return r if r > q + 1 else -1
    if rule == RULE_LIST:
        q = _member_end(buf, p, e)
        if q <= p:
            return -1
        while True:
            if q + 2 < e and buf[q] == 44 and buf[q + 1] == 32:
                r = _member_end(buf, q + 2, e)
            elif q + 3 < e and buf[q] == 32 and buf[q + 1] == 58 and buf[q + 2] == 32:
                r = _member_end(buf, q + 3, e)
            else:
                return q
            if r < 0:
                return -1
            if r == q + 2 or (r == q + 3 and buf[q] == 32):
                return q  # separator not followed by a member: the list ends before it
            q = r
    if rule == RULE_REST:
        q = find_any(buf, q, e, 10, 10, 10)
        return q - 1 if q > p and buf[q - 1] == 13 else q
    if rule == RULE_DELIM:
        return find_any(buf, q, e, delim, 10, 10)
    # RULE_GREEDY: the longest run of non-spaces, then back off to where the next literal fits
    while q < e:
        c = buf[q]
        if c == 32 or c == 10:
            break
        q += 1
    while q >= p:
        if _literal_at(buf, q, e, lit, next_a, next_n):
            return q
        q -= 1
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
def _line(
    buf: np.ndarray,
    s: int,
    e: int,
    row: int,
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
    ints: np.ndarray,
    ivalid: np.ndarray,
    floats: np.ndarray,
    fvalid: np.ndarray,
    spans: np.ndarray,
) -> int:
    """Follow the template over the line starting at ``s`` (``e``: end of the chunk); write its
    values. Returns the offset of the line's ``\\n`` (or ``e``), or -1 when unsure."""
    p = s
    n_pieces = kinds.shape[0]
    for i in range(n_pieces):
        if kinds[i] == 0:
            if not _literal_at(buf, p, e, lit, lit_a[i], lit_n[i]):
                return -1
            p += lit_n[i]
            continue
        nxt = i + 1 if i + 1 < n_pieces else i
        q = _value_end(buf, p, e, rules[i], delims[i], lit, lit_a[nxt], lit_n[nxt])
        if q < 0:
            return -1
        conv = convs[i]
        slot = slots[i]
        if conv in (CONV_TIME_LOCAL, CONV_TIME_ISO):
            if conv == CONV_TIME_LOCAL:
                good, us = _time_local(buf, p, q)
            else:
                good, us = _time_iso(buf, p, q)
            if not good:
                return -1
            ints[slot, row] = us
            ivalid[slot, row] = 1
        elif conv == CONV_FLOAT:
            if _is_null(buf, p, q):
                fvalid[slot, row] = 0
            else:
                good, value = _decimal(buf, p, q)
                if not good:
                    return -1
                floats[slot, row] = value
                fvalid[slot, row] = 1
        elif conv in (CONV_INT, CONV_STATUS):
            if _is_null(buf, p, q):
                ivalid[slot, row] = 0
            else:
                value = _integer(buf, p, q, 18 if conv == CONV_INT else 5)
                if value < 0 or (conv == CONV_STATUS and value > 32767):
                    return -1
                ints[slot, row] = value
                ivalid[slot, row] = 1
        elif conv == CONV_LIST:
            attempts_slot = slots_b[i]
            if _is_null(buf, p, q):
                fvalid[slot, row] = 0
                ivalid[attempts_slot, row] = 0
                ints[attempts_slot + 1, row] = 0
                ivalid[attempts_slot + 1, row] = 1
            else:
                good, members, numeric, total = _list_value(buf, p, q)
                if not good:
                    return -1
                floats[slot, row] = total
                fvalid[slot, row] = 1 if numeric > 0 else 0
                ints[attempts_slot, row] = members
                ivalid[attempts_slot, row] = 1 if (members > 1 or numeric > 0) else 0
                ints[attempts_slot + 1, row] = 1 if members > 1 else 0
                ivalid[attempts_slot + 1, row] = 1
        elif conv == CONV_COUNT:
            if _is_null(buf, p, q):
                ivalid[slot, row] = 0
            else:
                count = 1
                k = p
                while k < q:
                    if buf[k] == 44:
                        count += 1
                    elif k + 3 <= q and buf[k] == 32 and buf[k + 1] == 58 and buf[k + 2] == 32:
                        count += 1
                        k += 3
                        continue
                    k += 1
                ints[slot, row] = count
                ivalid[slot, row] = 1
        elif conv == CONV_REQUEST:
            good, m_end, t_end = _request(buf, p, q, protos, proto_off)
            if not good:
                return -1
            spans[slot, 0, row] = p
            spans[slot, 1, row] = m_end
            spans[slot + 1, 0, row] = m_end + 1
            spans[slot + 1, 1, row] = t_end
        elif conv == CONV_STRING:
            if not _ascii(buf, p, q):
                return -1
            spans[slot, 0, row] = p
            spans[slot, 1, row] = q
        p = q
    if p == e or buf[p] == 10:
        return p
    if buf[p] == 13 and (p + 1 == e or buf[p + 1] == 10):
        return p + 1
    return -1


@njit(cache=True, nogil=True, error_model="numpy")
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

    Threads may scan parts of one chunk at once (the kernel releases the GIL): each writes the
    rows ``row0 ..`` of the shared outputs.

    Args:
        buf: the chunk's bytes (uint8); lines end with ``\\n`` (``\\r\\n`` too), the last one
            may not.
        start: offset of the first line to scan (a line start).
        row0: its line number within the chunk (0-based): the row written in the outputs.
        n_lines: number of lines to scan.
        kinds .. slots_b: the program, one entry per template piece (see
            :class:`~apislo.sources.logs.nginx_fast.Program`).
        protos, proto_off: the accepted protocols (``HTTP/1.1``...) as one byte buffer + offsets.
        ok: out, uint8 per line: 1 when the line's values below are valid.
        ints, ivalid: out, int64 values ``[slot, line]`` and their validity (0 = null).
        floats, fvalid: out, float64 values ``[slot, line]`` and their validity.
        spans: out, int64 ``[slot, 0 | 1, line]``: start and end offsets of string values.
    """
    pos = start
    size = buf.shape[0]
    kept = 0
    for row in range(row0, row0 + n_lines):
        end = _line(
            buf, pos, size, row, kinds, lit_a, lit_n, lit, rules, delims, convs, slots,
            slots_b, protos, proto_off, ints, ivalid, floats, fvalid, spans,
        )  # fmt: skip
        if end >= 0:
            ok[row] = 1
            kept += 1
        else:
            ok[row] = 0
            end = pos
            while end < size and buf[end] != 10:
                end += 1
        pos = end + 1
    return kept


@njit(cache=True, nogil=True, error_model="numpy")
def gather_strings(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copy ``buf[starts[r]:ends[r]]`` for each ``r`` in ``rows`` into one buffer.

    Returns:
        ``(offsets, data)``: int64 offsets (one more than the rows) and the uint8 bytes, the
        layout of an Arrow ``large_string`` array.
    """
    n = rows.shape[0]
    offsets = np.empty(n + 1, dtype=np.int64)
    offsets[0] = 0
    total = 0
    for i in range(n):
        r = rows[i]
        total += ends[r] - starts[r]
        offsets[i + 1] = total
    data = np.empty(total, dtype=np.uint8)
    for i in range(n):
        r = rows[i]
        a = starts[r]
        o = offsets[i]
        for j in range(ends[r] - a):
            data[o + j] = buf[a + j]
    return offsets, data


_HASH_SEED = np.uint64(0x9E3779B97F4A7C15)
_HASH_MUL = np.uint64(0xFF51AFD7ED558CCD)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hash_bytes(buf: np.ndarray, a: int, length: int) -> np.uint64:
    """A 64-bit hash of ``buf[a:a + length]``, mixing eight bytes per multiply."""
    h = _HASH_SEED ^ np.uint64(length)
    j = a
    end = a + length
    while j < end:
        word = np.uint64(0)
        for k in range(min(8, end - j)):
            word |= np.uint64(buf[j + k]) << np.uint64(8 * k)
        h = (h ^ word) * _HASH_MUL
        h ^= h >> np.uint64(29)
        j += 8
    return h


@njit(cache=True, nogil=True, error_model="numpy")
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
    codes = np.empty(n, dtype=np.int32)
    cap = 1024
    table = np.full(cap, -1, dtype=np.int32)
    hashes = np.empty(cap // 2, dtype=np.uint64)
    firsts = np.empty(cap // 2, dtype=np.int64)
    offsets = np.zeros(cap // 2 + 1, dtype=np.int64)
    arena = np.empty(cap * 16, dtype=np.uint8)
    count = 0
    for i in range(n):
        r = rows[i]
        a = starts[r]
        length = ends[r] - a
        h = _hash_bytes(buf, a, length)
        mask = np.uint64(cap - 1)
        slot = np.int64(h & mask)
        while True:
            u = table[slot]
            if u < 0:
                break
            if hashes[u] == h:
                o = offsets[u]
                same = offsets[u + 1] - o == length
                if same:
                    for j in range(length):
                        if buf[a + j] != arena[o + j]:
                            same = False
                            break
                if same:
                    break
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        if u >= 0:
            codes[i] = u
            continue
        # a new value: store it, then grow the table once it is half full
        o = offsets[count]
        if o + length > arena.shape[0]:
            grown = np.empty(2 * (o + length), dtype=np.uint8)
            grown[:o] = arena[:o]
            arena = grown
        arena[o : o + length] = buf[a : a + length]
        offsets[count + 1] = o + length
        table[slot] = count
        hashes[count] = h
        firsts[count] = r
        codes[i] = count
        count += 1
        if 2 * count >= cap:
            cap *= 2
            mask = np.uint64(cap - 1)
            table = np.full(cap, -1, dtype=np.int32)
            for v in range(count):
                slot = np.int64(hashes[v] & mask)
                while table[slot] >= 0:
                    slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
                table[slot] = v
            grown_hashes = np.empty(cap // 2, dtype=np.uint64)
            grown_hashes[:count] = hashes[:count]
            hashes = grown_hashes
            grown_firsts = np.empty(cap // 2, dtype=np.int64)
            grown_firsts[:count] = firsts[:count]
            firsts = grown_firsts
            grown_offsets = np.zeros(cap // 2 + 1, dtype=np.int64)
            grown_offsets[: count + 1] = offsets[: count + 1]
            offsets = grown_offsets
    return codes, firsts[:count].copy()


@njit(cache=True, nogil=True, error_model="numpy")
def count_lines(buf: np.ndarray, start: int, stop: int) -> int:
    """Number of ``\\n`` bytes in ``buf[start:stop]``, eight bytes at a time.

    Each 64-bit word is XORed with ``\\n`` repeated, so newline bytes become zero; the exact
    zero-byte test ``~(((w & 0x7F..) + 0x7F..) | w | 0x7F..)`` leaves one high bit per zero
    byte, and a multiply adds those bits up.
    """
    count = 0
    k = start
    while k < stop and k % 8:
        if buf[k] == 10:
            count += 1
        k += 1
    words_end = k + (stop - k) // 8 * 8
    if words_end > k:
        words = buf[k:words_end].view(np.uint64)
        newlines = np.uint64(0x0A0A0A0A0A0A0A0A)
        low7 = np.uint64(0x7F7F7F7F7F7F7F7F)
        ones = np.uint64(0x0101010101010101)
        for i in range(words.shape[0]):
            w = words[i] ^ newlines
            t = ~(((w & low7) + low7) | w | low7)
            count += ((t >> np.uint64(7)) * ones) >> np.uint64(56)
    k = words_end
    while k < stop:
        if buf[k] == 10:
            count += 1
        k += 1
    return count
