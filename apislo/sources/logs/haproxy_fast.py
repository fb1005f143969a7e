"""The kernel path of HAProxy's ``option httplog`` (a :class:`~.template_fast.TemplatePath`): the
C kernel runs the httplog template, with none, one or two captured-header blocks, and the lines
it cannot vouch for go to the regex of :class:`~apislo.sources.logs.haproxy.HaproxyHttp`,
which decides them: lines behind a syslog prefix that no envelope removed, ``+`` counts
(logasap, redispatch), negative timers other than ``-1`` (not reached: read as null, as the
regex path reads it).

The template follows the regex piece by piece: the client is read up to the last ``:`` before
the port (the regex's greedy ``\\S+:``), the accept date without zone is read as UTC, then put in
the zone given (``--tz``) by the regex path's own expression. Declined as well: whatever the
regex requires that the kernel's rules let through (``\\d+`` fields that are ``-`` or empty, a
backend or client with other whitespace than spaces, a state not four characters long), a status
outside 100-999 but for 0, a retry count past what ``attempts`` holds, a method with ``-`` or
``_``, a path with a tab, and a wall-clock time the zone skips (the regex path rejects it).

Both paths read the request target through :func:`decode_target`: HAProxy writes a ``"``, a
``#``, a control character and a byte from 0x7F up in the request line it logs as ``#`` and two
hex digits (``#22``, ``#23``, ``#1B``, ``#C3#A9`` for ``é``: its ``url_encode_map``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.fields import clean, local_to_utc, scrub_query_secrets
from apislo.sources.logs.nginx_fast import Program, Var, build
from apislo.sources.logs.template_fast import Found, TemplatePath, quoted, separated, token

__all__ = ["TEMPLATES", "decode_target", "encode_target", "path"]

#: A byte HAProxy wrote encoded in a logged request line; the hex digits are group 1.
_ENCODED_BYTE = re.compile(r"#([0-9A-Fa-f]{2})")
#: A character HAProxy logs encoded: all but printable ASCII, and ``"`` and ``#`` (one pattern
#: for Python and polars).
_TO_ENCODE = re.compile(r"[^ -!$-~]")


def decode_target(target: pl.Expr) -> pl.Expr:
    """Polars expression: a request target as HAProxy logs it -> as the client sent it
    (``/a#22b/caf#C3#A9`` -> ``/a"b/café``; bytes read as UTF-8, an invalid one as U+FFFD).

    Only the (rare) targets holding an encoded byte are decoded, in Python. Until 2026-11-30
    they were kept encoded, and the ``#`` was taken for a fragment: ``/a#22b`` was ``/a``.
    """
    return target.map_batches(
        partial(_rewrite, _ENCODED_BYTE, _decode), return_dtype=pl.String, is_elementwise=True
    )


def encode_target(target: pl.Expr) -> pl.Expr:
    """Polars expression: a request target -> as HAProxy logs it, each UTF-8 byte of a
    character it encodes as ``#`` and two hex digits (``/a"b/café`` -> ``/a#22b/caf#C3#A9``):
    :func:`decode_target` reads it back. Until 2026-11-30 only ``"`` and ``#`` were, and a
    target with a white space other than ASCII's (``#C2#A0``, a no-break space) was written raw
    and read back as no request line."""
    return target.map_batches(
        partial(_rewrite, _TO_ENCODE, _encode), return_dtype=pl.String, is_elementwise=True
    )


def _rewrite(
    pattern: re.Pattern[str], rewrite: Callable[[str], str], texts: pl.Series
) -> pl.Series:
    """``texts`` with ``rewrite`` applied, in Python, to the (rare) ones ``pattern`` is found in."""
    rows = texts.str.contains(pattern.pattern).fill_null(False).arg_true()
    if rows.is_empty():
        return texts
    return texts.scatter(rows, [rewrite(text) for text in texts.gather(rows).to_list()])


def _decode(text: str) -> str:
    """One target holding ``#`` + two hex digits (``/caf#C3#A9`` -> ``/café``)."""
    parts = _ENCODED_BYTE.split(text)  # text, hex digits, text, hex digits, ..., text
    raw = b"".join(bytes.fromhex(part) if i % 2 else part.encode() for i, part in enumerate(parts))
    return raw.decode("utf-8", errors="replace")


def _encode(text: str) -> str:
    """One target holding a character HAProxy encodes (``/café`` -> ``/caf#C3#A9``)."""
    return _TO_ENCODE.sub(lambda found: "".join(f"#{b:02X}" for b in found[0].encode()), text)


def _slashed(*names: str, conv: int = k.CONV_INT) -> list[str | Var]:
    """``\\d+/\\d+/...``: numbers split by ``/``, the last one ending at a space."""
    fields = [Var(name, k.RULE_DELIM, conv, "/") for name in names[:-1]]
    return separated("/", *fields, token(names[-1], conv))


_TIMERS = ("_t_request", "_t_wait", "_t_connect", "_t_response", "_t_active")
_CONNECTIONS = ("_active_conn", "_frontend_conn", "_backend_conn", "_server_conn", "_retries")
_QUEUES = ("_server_queue", "_backend_queue")
#: Fields the regex reads as ``\d+`` that ``CONV_INT`` lets be ``-``: each must hold a number.
_DIGITS = ("_port", "bytes_out", *_CONNECTIONS, *_QUEUES)

_BODY: list[str | Var] = [
    Var("_client", k.RULE_GREEDY, k.CONV_STRING),
    ":",
    token("_port", k.CONV_INT),
    " [",
    Var("_accept", k.RULE_DELIM, k.CONV_TIME_NAIVE, "]"),
    "] ",
    token("frontend"),
    " ",
    Var("_backend", k.RULE_DELIM, k.CONV_STRING, "/"),
    "/",
    token("_server", k.CONV_STRING),
    " ",
    *_slashed(*_TIMERS, conv=k.CONV_TIMER),
    " ",
    *separated(
        " ",
        token("_status", k.CONV_TIMER),
        token("bytes_out", k.CONV_INT),
        token("request_cookie"),
        token("response_cookie"),
        token("_state", k.CONV_STRING),
    ),
    " ",
    *_slashed(*_CONNECTIONS),
    " ",
    *_slashed(*_QUEUES),
]
_HEADERS: list[str | Var] = [" {", Var("headers", k.RULE_DELIM, k.CONV_SKIP, "}"), "}"]
_REQUEST: list[str | Var] = [' "', quoted("request", k.CONV_REQUEST), '"']

#: The httplog templates: with two captured-header blocks (request and response headers, the
#: usual configuration when any header is captured), one, or none.
TEMPLATES: tuple[Program, ...] = tuple(
    build(_BODY + _HEADERS * blocks + _REQUEST) for blocks in (2, 1, 0)
)

#: Characters the regex's ``\S`` and ``[^/\s]`` refuse that the kernel's rules let through.
_WHITESPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f]"
#: ``attempts`` (retries + 1) must fit its Int16 column.
_MAX_RETRIES = 32766


def _start(found: Found, tz: str | None) -> pl.Series:
    """The start of each kept line's request (UTC): its accept date in ``tz``."""
    naive = found.number("_accept").cast(pl.Datetime("us"))
    return pl.select(local_to_utc(pl.lit(naive), tz)).to_series().alias("ts")


def _unsure(found: Found, tz: str | None) -> np.ndarray:
    """Kept lines that the regex path would reject or read otherwise."""
    unsure = found.odd_status("_status") | found.odd_request()
    for name in _DIGITS:
        unsure |= ~found.ints(name)[1]
    for name in ("_t_response", "_t_active", "bytes_out"):
        unsure |= found.too_large(name)
    unsure |= found.ints("_retries")[0] > _MAX_RETRIES
    unsure |= found.matches("_client", f"^$|{_WHITESPACE}")
    unsure |= found.matches("_backend", f"^$| |{_WHITESPACE}")  # [^/\s]+ (RULE_DELIM takes " ")
    unsure |= ~found.matches("_state", r"^.{4}$")
    return unsure | found.off_calendar(_start(found, tz))  # (null: a time the zone skips)


def _events(found: Found, tz: str | None) -> pl.DataFrame:
    """The events of the kept lines, with the columns and values of the regex path."""
    numbers = pl.DataFrame(
        [found.number(name) for name in ("_status", "_t_response", "_t_active", "_retries")]
        + [found.number("bytes_out"), _start(found, tz)]
    )
    server_codes, servers = found.strings["_server"]
    proxied = servers.to_frame("v").select(clean(pl.col("v")) != "<NOSRV>").to_series()
    numbers = numbers.with_columns(proxied.gather(server_codes).alias("_proxied")).select(
        "ts",
        pl.when(pl.col("_status") != 0).then(pl.col("_status")).cast(pl.Int16).alias("status"),
        (pl.col("_t_active") / 1000).round(9).alias("latency_s"),
        (pl.col("_t_response") / 1000).round(9).alias("upstream_latency_s"),
        pl.when(pl.col("_proxied")).then(pl.col("_retries") + 1).cast(pl.Int16).alias("attempts"),
        pl.col("bytes_out").cast(pl.Int64),
    )
    value = pl.col("v")
    state = clean(value)
    return pl.DataFrame(
        {
            "ts": numbers["ts"],
            "method": found.text("method", value),
            "path": found.text("path", scrub_query_secrets(decode_target(value)), local=True),
            "status": numbers["status"],
            "latency_s": numbers["latency_s"],
            "upstream_latency_s": numbers["upstream_latency_s"],
            "attempts": numbers["attempts"],
            "bytes_out": numbers["bytes_out"],
            "api": found.text("_backend", clean(value)),
            "termination": found.text("_state", pl.when(~state.str.starts_with("--")).then(state)),
        },
        height=len(found.lines),
    )


def path(tz: str | None) -> TemplatePath:
    """HAProxy's httplog through the kernel, accept dates read in ``tz`` (``None``: UTC)."""
    return TemplatePath(TEMPLATES, partial(_unsure, tz=tz), partial(_events, tz=tz))
