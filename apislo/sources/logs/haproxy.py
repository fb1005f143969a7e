"""HAProxy ``option httplog`` lines, with or without a syslog prefix.

::

    [syslog prefix] 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in~ static/srv1
    10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"

================================ ====================================================
HAProxy field                    event column
================================ ====================================================
accept / request date (no zone)  ``ts``, in ``ParseOptions.tz`` (None = UTC), to UTC
``TR/Tw/Tc/Tr/Ta`` (ms; older    ``Tr`` -> ``upstream_latency_s``, ``Ta``/``Tt`` ->
``Tq/Tw/Tc/Tr/Tt``)              ``latency_s``; ``-1`` = not reached -> null; ``+`` (logasap)
                                 accepted
status (``-1``: no response)     ``status`` (null)
bytes_read                       ``bytes_out``
backend name                     ``api``
retries (``+`` = redispatched)   ``attempts`` = retries + 1; null when no server (``<NOSRV>``)
termination state                ``termination``; null when the first two characters are
                                 ``--`` (a normal end, e.g. ``----`` or ``--NI``)
================================ ====================================================

A frontend ending in ``~`` is a TLS frontend (the ``~`` is dropped). Captured headers ``{...}``
may contain spaces. Lines such as ``Proxy x started.`` or ``... SSL handshake failure`` are
``not_a_request``; a line cut before the request part is ``truncated``; a request cut off
without its closing quote (HAProxy's ``log-length``) is still an event. A negative timer other
than ``-1``, byte count or retry count is ``bad_number``. The request target is read as the
client sent it: HAProxy logs ``"``, ``#``, control characters and non-ASCII bytes as ``#`` and
two hex digits (``#22``, ``#C3#A9``), which are decoded
(:func:`~apislo.sources.logs.haproxy_fast.decode_target`).
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs import haproxy_fast
from apislo.sources.logs.base import LogFormat, Parsed, ParseOptions
from apislo.sources.logs.envelopes import SYSLOG_PREFIX
from apislo.sources.logs.fields import (
    clean_columns,
    finish,
    format_ms,
    local_to_utc,
    match_lines,
    number,
    raw_events,
    request_columns,
    sniff_pattern,
    status_code,
)

__all__ = ["HaproxyHttp"]

_HEAD = (
    rf"^(?:{SYSLOG_PREFIX})?(?P<client>\S+):(?P<port>\d+) "
    r"\[(?P<accept>\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?)\] "
    r"(?P<frontend>\S+?)(?P<tls>~)? (?P<backend>[^/\s]+)/(?P<server>\S+) "
    r"(?P<t_req>[+-]?\d+)/(?P<t_wait>[+-]?\d+)/(?P<t_connect>[+-]?\d+)/"
    r"(?P<t_response>[+-]?\d+)/(?P<t_active>[+-]?\d+) "
)
_PATTERN = (
    _HEAD + r"(?P<status>-?\d+) (?P<bytes_read>[+-]?\d+) \S+ \S+ (?P<state>\S{4}) "
    r"\d+/\d+/\d+/\d+/(?P<retries>[+-]?\d+) \d+/\d+"
    r'(?: \{(?P<req_headers>[^}]*)\})?(?: \{(?P<res_headers>[^}]*)\})? "(?P<request>[^"]*)"?\s*$'
)

#: HAProxy's five timers (``TR/Tw/Tc/Tr/Ta``, older ``Tq/Tw/Tc/Tr/Tt``), ms: ``-1`` = not reached.
_TIMERS = ("t_req", "t_wait", "t_connect", "t_response", "t_active")

_FIELDS = (
    "accept",
    "backend",
    "server",
    *_TIMERS,
    "status",
    "bytes_read",
    "state",
    "retries",
    "request",
)


class HaproxyHttp(LogFormat):
    """HAProxy ``option httplog`` (optionally behind a syslog prefix)."""

    name = "haproxy-http"
    description = "HAProxy option httplog (timers TR/Tw/Tc/Tr/Ta ms, accept date without zone)"
    zoneless = True

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are httplog request lines."""
        return sniff_pattern(lines, _PATTERN)

    def __init__(self, options: ParseOptions | None = None) -> None:
        super().__init__(options)
        self._fast = haproxy_fast.path(self.options.tz)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse httplog lines into events and rejects: by the C kernel
        (:mod:`~apislo.sources.logs.haproxy_fast`), and the lines it declines by the regex."""
        return self._fast.parse(chunk, self._parse_exact)

    def _parse_exact(self, lines: bytes | list[tuple[int, str]]) -> Parsed:
        """The regex path, on a chunk or on ``(line_no, text)`` pairs."""
        frame = match_lines(lines, _PATTERN)
        frame = request_columns(
            clean_columns(frame, _FIELDS), decode=haproxy_fast.decode_target
        ).with_columns(
            pl.col(name).str.strip_prefix("+") for name in ("t_active", "bytes_read", "retries")
        )
        naive = pl.col("accept").str.to_datetime("%d/%b/%Y:%H:%M:%S%.f", strict=False)
        ts = local_to_utc(naive, self.options.tz)
        timers = {name: number(pl.col(name), divisor=1000, none_values=("-1",)) for name in _TIMERS}
        total, upstream = timers["t_active"], timers["t_response"]
        status = status_code(pl.col("status"))
        bytes_out = number(pl.col("bytes_read"), integer=True)
        retries = number(pl.col("retries"), integer=True)
        bad_number = pl.any_horizontal(
            *(timer.bad for timer in timers.values()), status.bad, bytes_out.bad, retries.bad
        )
        state = pl.col("state")
        matched = pl.col("accept").is_not_null()
        return finish(
            frame,
            [
                ("truncated", ~matched & pl.col("line").str.contains(_HEAD)),
                ("not_a_request", ~matched),
                ("bad_request_line", ~pl.col("__request_ok")),
                ("bad_timestamp", ts.is_null()),
                ("bad_number", bad_number),
            ],
            {
                "ts": ts,
                "method": pl.col("method"),
                "path": pl.col("path"),
                "status": status.value,
                "latency_s": total.value,
                "upstream_latency_s": upstream.value,
                "attempts": pl.when(pl.col("server") != "<NOSRV>").then(retries.value + 1),
                "bytes_out": bytes_out.value,
                "api": pl.col("backend"),
                "termination": pl.when(~state.str.starts_with("--")).then(state),
            },
        )

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as httplog lines (no syslog prefix), dates in ``ParseOptions.tz``."""
        ev = raw_events(events)
        local = pl.col("ts").dt.convert_time_zone(self.options.tz or "UTC")
        term = pl.col("termination")
        state = (
            pl.when(term.str.len_chars() == 4)
            .then(term)
            .when(term.str.len_chars() == 2)
            .then(pl.concat_str(term, pl.lit("--")))
            .otherwise(pl.lit("----"))
        )
        line = pl.concat_str(
            pl.lit("10.0.0.1:40000 ["),
            local.dt.strftime("%d/%b/%Y:%H:%M:%S%.3f"),
            pl.lit("] fe_https~ "),
            pl.col("api").fill_null("be_default"),
            pl.lit("/"),
            pl.when(pl.col("attempts").is_null()).then(pl.lit("<NOSRV>")).otherwise(pl.lit("srv1")),
            pl.lit(" 0/0/0/"),
            format_ms(pl.col("upstream_latency_s")).fill_null("-1"),
            pl.lit("/"),
            format_ms(pl.col("latency_s")).fill_null("-1"),
            pl.lit(" "),
            pl.col("status").cast(pl.String).fill_null("-1"),
            pl.lit(" "),
            pl.col("bytes_out").cast(pl.String).fill_null("0"),
            pl.lit(" - - "),
            state,
            pl.lit(" 1/1/0/0/"),
            (pl.col("attempts").fill_null(1) - 1).cast(pl.String),
            pl.lit(' 0/0 {Mozilla/5.0 (X11; Linux x86_64)} "'),
            pl.col("method").fill_null("GET"),
            pl.lit(" "),
            haproxy_fast.encode_target(pl.col("path").fill_null("/")),
            pl.lit(' HTTP/1.1"'),
        )
        return ev.select(line).to_series().to_list()
