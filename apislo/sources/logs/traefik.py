"""Traefik access logs: JSON (``accessLog.format=json``) and the default CLF-like text.

JSON keys read (Traefik's ``accesslog`` field names):

====================================== ================================================
Traefik key                            event column
====================================== ================================================
``StartUTC`` (RFC 3339, ns), else      ``ts`` (request start)
``StartLocal`` (its offset applied)
``Duration`` (**nanoseconds**)         ``latency_s``
``OriginDuration`` (ns)                ``upstream_latency_s``; null when Traefik answered
                                       itself (``OriginStatus`` 0 or absent)
``DownstreamStatus``                   ``status`` (what the client got; ``OriginStatus`` if
                                       absent)
``RetryAttempts``                      ``attempts`` = retries + 1 when proxied, else null
``RequestMethod/Path/Host``            ``method``, ``path``, ``host``
``RequestContentSize``,                ``bytes_in``, ``bytes_out``
``DownstreamContentSize``
``ServiceName`` (else ``RouterName``)  ``api``, without the ``@provider`` suffix
``ClientUsername``                     ``consumer``
====================================== ================================================

The text format is CLF followed by Traefik's own fields::

    <client> - <user> [<StartUTC as CLF time>] "<method> <path> <proto>" <status> <size>
    "<referer>" "<user agent>" <request count> "<router name>" "<server URL>" <duration>ms

where the duration is whole milliseconds (Traefik truncates) and the status is the origin's
(``-`` or ``0`` when Traefik answered itself -> null). Referer and user agent are not escaped by
Traefik, so they are matched lazily up to the next ``" "``.
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.fields import (
    clean_columns,
    clf_prefix,
    finish,
    has_keys,
    match_lines,
    number,
    parse_clf_time,
    parse_iso_time,
    raw_events,
    request_columns,
    scrub_query_secrets,
    sniff_json,
    sniff_pattern,
    status_code,
    with_rejects,
)
from apislo.sources.logs.jsonlines import read_records
from apislo.sources.logs.traefik_fast import PATH, service

__all__ = ["TraefikClf", "TraefikJson"]

_JSON_PATHS = (
    "StartUTC",
    "StartLocal",
    "Duration",
    "OriginDuration",
    "OriginStatus",
    "DownstreamStatus",
    "RetryAttempts",
    "RequestMethod",
    "RequestPath",
    "RequestHost",
    "RequestContentSize",
    "DownstreamContentSize",
    "ServiceName",
    "RouterName",
    "ClientUsername",
)
_CLF = (
    r'^(?P<client>\S+) - (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" '
    r'(?P<status>\S+) (?P<size>\S+) "(?:.*?)" "(?:.*?)" (?P<count>\d+) "(?P<router>[^"]*)" '
    r'"(?P<url>[^"]*)" (?P<duration>\S+?)ms\s*$'
)
_CLF_FIELDS = ("user", "time", "request", "status", "size", "router", "duration")
_CLF_START = r'^\S+ - \S+ \[[^\]]+\] "'


class TraefikJson(LogFormat):
    """Traefik JSON access log (``Duration`` in nanoseconds)."""

    name = "traefik-json"
    description = "Traefik JSON access log (Duration in ns, StartUTC or StartLocal = start)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are Traefik JSON access-log records."""
        return sniff_json(lines, has_keys("Duration", "RequestMethod"))

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Traefik JSON lines into events and rejects."""
        records = read_records(chunk, _JSON_PATHS)
        frame = clean_columns(records.frame, _JSON_PATHS)
        # Traefik's docs advise dropping StartUTC for StartLocal; a StartUTC present is read
        ts = parse_iso_time(pl.coalesce(pl.col("StartUTC"), pl.col("StartLocal")))
        total = number(pl.col("Duration"), divisor=1e9)
        origin = number(pl.col("OriginDuration"), divisor=1e9)
        origin_status = status_code(pl.col("OriginStatus"))
        downstream = status_code(pl.col("DownstreamStatus"))
        retries = number(pl.col("RetryAttempts"), integer=True)
        bytes_in = number(pl.col("RequestContentSize"), integer=True)
        bytes_out = number(pl.col("DownstreamContentSize"), integer=True)
        proxied = origin_status.value.is_not_null()
        method = pl.col("RequestMethod").str.to_uppercase()
        bad = total.bad | origin.bad | origin_status.bad | downstream.bad | retries.bad
        parsed = finish(
            frame,
            [
                ("not_a_request", method.is_null() & pl.col("Duration").is_null()),
                ("bad_request_line", method.is_null() | ~method.str.contains(r"^[A-Z]+$")),
                ("bad_timestamp", ts.is_null()),
                ("bad_number", bad | bytes_in.bad | bytes_out.bad),
            ],
            {
                "ts": ts,
                "method": method,
                "path": scrub_query_secrets(pl.col("RequestPath")),
                "host": pl.col("RequestHost"),
                "status": pl.coalesce(downstream.value, origin_status.value),
                "latency_s": total.value,
                "upstream_latency_s": pl.when(proxied).then(origin.value),
                "attempts": pl.when(proxied).then(retries.value.fill_null(0) + 1),
                "bytes_in": bytes_in.value,
                "bytes_out": bytes_out.value,
                "consumer": pl.col("ClientUsername"),
                "api": pl.coalesce(service(pl.col("ServiceName")), service(pl.col("RouterName"))),
            },
        )
        return with_rejects(parsed, records.rejects)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Traefik JSON lines (durations in integer nanoseconds).

        Events without an upstream latency are written as answered by Traefik itself
        (``OriginStatus`` 0).
        """
        ev = raw_events(events)
        proxied = pl.col("upstream_latency_s").is_not_null()
        ns = {
            col: (pl.col(col) * 1e9).round(0).cast(pl.Int64)
            for col in ("latency_s", "upstream_latency_s")
        }
        record = pl.struct(
            pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").alias("StartUTC"),
            ns["latency_s"].alias("Duration"),
            ns["upstream_latency_s"].fill_null(0).alias("OriginDuration"),
            pl.when(proxied).then(pl.col("status")).otherwise(0).alias("OriginStatus"),
            pl.col("status").alias("DownstreamStatus"),
            pl.when(proxied)
            .then(pl.col("attempts").fill_null(1) - 1)
            .otherwise(0)
            .alias("RetryAttempts"),
            pl.col("method").alias("RequestMethod"),
            pl.col("path").alias("RequestPath"),
            pl.lit("HTTP/1.1").alias("RequestProtocol"),
            pl.col("host").alias("RequestHost"),
            pl.col("bytes_in").alias("RequestContentSize"),
            pl.col("bytes_out").alias("DownstreamContentSize"),
            pl.concat_str(pl.col("api"), pl.lit("@docker")).alias("ServiceName"),
            pl.concat_str(pl.col("api"), pl.lit("-router@docker")).alias("RouterName"),
            pl.col("consumer").fill_null("-").alias("ClientUsername"),
            pl.lit("203.0.113.9").alias("ClientHost"),
            pl.lit("info").alias("level"),
            pl.lit("").alias("msg"),
        )
        return ev.select(record.struct.json_encode()).to_series().to_list()


class TraefikClf(LogFormat):
    """Traefik's default text access log (CLF plus count, router, server URL, duration ms)."""

    name = "traefik-clf"
    description = "Traefik default text access log (CLF + router, server URL, duration ms)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines matching Traefik's text format."""
        return sniff_pattern(lines, _CLF)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Traefik text lines into events and rejects: by the C kernel
        (:mod:`~apislo.sources.logs.traefik_fast`), and the lines it declines by the regex."""
        return PATH.parse(chunk, self._parse_exact)

    def _parse_exact(self, lines: bytes | list[tuple[int, str]]) -> Parsed:
        """The regex path, on a chunk or on ``(line_no, text)`` pairs."""
        frame = match_lines(lines, _CLF)
        frame = request_columns(clean_columns(frame, _CLF_FIELDS))
        ts = parse_clf_time(pl.col("time"))
        status = status_code(pl.col("status"), none_values=("0",))
        size = number(pl.col("size"), integer=True)
        duration = number(pl.col("duration"), divisor=1000)
        matched = pl.col("time").is_not_null()
        return finish(
            frame,
            [
                ("truncated", ~matched & pl.col("line").str.contains(_CLF_START)),
                ("not_a_request", ~matched),
                ("bad_request_line", ~pl.col("__request_ok")),
                ("bad_timestamp", ts.is_null()),
                ("bad_number", status.bad | size.bad | duration.bad),
            ],
            {
                "ts": ts,
                "method": pl.col("method"),
                "path": pl.col("path"),
                "status": status.value,
                "latency_s": duration.value,
                "bytes_out": size.value,
                "consumer": pl.col("user"),
                "api": service(pl.col("router")),
            },
        )

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Traefik text lines (duration truncated to whole milliseconds)."""
        ev = raw_events(events)
        truncated_ms = (pl.col("latency_s") * 1000 + 1e-6).floor()
        line = pl.concat_str(
            clf_prefix("203.0.113.9", "/"),
            pl.lit(' "-" "Mozilla/5.0" '),
            (pl.int_range(pl.len()) + 1).cast(pl.String),
            pl.lit(' "'),
            pl.concat_str(pl.col("api"), pl.lit("@docker")).fill_null("-"),
            pl.lit('" "http://10.0.0.5:8080" '),
            truncated_ms.cast(pl.Int64).cast(pl.String).fill_null("0"),
            pl.lit("ms"),
        )
        return ev.select(line).to_series().to_list()
