"""Envoy's default text access log, and Istio's default text access log (a superset).

Envoy default::

    [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%
    %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
    "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%"
    "%UPSTREAM_HOST%"

Istio adds ``%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
"%UPSTREAM_TRANSPORT_FAILURE_REASON%"`` after the flags (Istio 1.5 to 1.8:
``"%DYNAMIC_METADATA(istio.mixer:status)%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%"``) and
``%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS%
%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%`` at the end. All are read by
one pattern.

``START_TIME`` is the request start (UTC); ``DURATION`` and the upstream service time are
milliseconds; response code ``0`` (the client left before a response) becomes a null status;
``RESPONSE_FLAGS`` go to ``termination`` (``-`` = none). Envoy does not escape quotes inside
header values, so user agents and forwarded-for lists are matched lazily up to the next
``" "``. ``api`` is the service of an Istio cluster whose host is a Kubernetes service's
(``outbound|8000||httpbin.foo.svc...`` -> ``httpbin``), the whole host of another Istio cluster
(``outbound|443||api.github.com`` -> ``api.github.com``), or the Envoy cluster name.
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs import envoy_fast
from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.fields import (
    Num,
    clean,
    clean_columns,
    finish,
    format_ms,
    match_lines,
    number,
    parse_iso_time,
    raw_events,
    request_columns,
    sniff_pattern,
    status_code,
)

__all__ = ["EnvoyText", "cluster_name", "envoy_columns"]

_PATTERN = (
    r'^\[(?P<start_time>[^\]]+)\] "(?P<request>[^"]*)" (?P<response_code>\S+) '
    r'(?P<response_flags>\S+)(?: \S+ \S+ "[^"]*"| "[^"]*" "[^"]*")? '
    r"(?P<bytes_received>\S+) (?P<bytes_sent>\S+) "
    r'(?P<duration>\S+) (?P<upstream_service_time>\S+) "(?:.*?)" "(?:.*?)" "[^"]*" '
    r'"(?P<authority>[^"]*)" "[^"]*"(?: (?P<upstream_cluster>\S+) \S+ \S+ \S+ \S+ \S+)?\s*$'
)
_START = r'^\[[^\]]+\] "'
_FIELDS = (
    "start_time",
    "request",
    "response_code",
    "response_flags",
    "bytes_received",
    "bytes_sent",
    "duration",
    "upstream_service_time",
    "authority",
    "upstream_cluster",
)


def cluster_name(api: pl.Expr) -> pl.Expr:
    """The Istio cluster a writer gives ``api``, which
    :func:`~apislo.sources.logs.envoy_fast.cluster_service` reads back: a Kubernetes service's
    (``orders`` -> ``outbound|8080||orders.default.svc``), or an external host's for a name with
    a dot, which no service name has (``outbound|8080||api.github.com``)."""
    service = pl.concat_str(api, pl.lit(".default.svc"))
    host = pl.when(api.str.contains(".", literal=True)).then(api).otherwise(service)
    return pl.concat_str(pl.lit("outbound|8080||"), host)


def envoy_columns(frame: pl.DataFrame) -> tuple[list[tuple[str, pl.Expr]], dict[str, pl.Expr]]:
    """Reject rules and event columns shared by the Envoy text and JSON formats.

    ``frame`` holds cleaned string columns named like Istio's JSON keys: ``start_time``, ``method``,
    ``path``, ``response_code``, ``response_flags``, ``bytes_received``, ``bytes_sent``,
    ``duration``, ``upstream_service_time``, ``authority``, ``upstream_cluster`` and
    optionally ``upstream_request_attempt_count``.
    """
    ts = parse_iso_time(pl.col("start_time"))
    status = status_code(pl.col("response_code"))
    nums: dict[str, Num] = {
        "latency_s": number(pl.col("duration"), divisor=1000),
        "upstream_latency_s": number(pl.col("upstream_service_time"), divisor=1000),
        "bytes_in": number(pl.col("bytes_received"), integer=True),
        "bytes_out": number(pl.col("bytes_sent"), integer=True),
    }
    if "upstream_request_attempt_count" in frame.columns:
        nums["attempts"] = number(
            pl.col("upstream_request_attempt_count"), integer=True, none_values=("0",)
        )
    bad_number = status.bad
    for num in nums.values():
        bad_number = bad_number | num.bad
    method = pl.col("method").str.to_uppercase()
    reasons = [
        ("bad_request_line", method.is_null() | ~method.str.contains(r"^[A-Z]+$")),
        ("bad_timestamp", ts.is_null()),
        ("bad_number", bad_number),
    ]
    columns = {
        "ts": ts,
        "method": method,
        "path": clean(pl.col("path")),  # (`-`: no :path, as in a CONNECT)
        "host": pl.col("authority"),
        "status": status.value,
        **{name: num.value for name, num in nums.items()},
        "api": envoy_fast.cluster_service(pl.col("upstream_cluster")),
        "termination": pl.col("response_flags"),
    }
    return reasons, columns


class EnvoyText(LogFormat):
    """Envoy's default text access log and Istio's default text access log."""

    name = "envoy-text"
    description = "Envoy/Istio default text access log (DURATION ms, START_TIME = start)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines matching the Envoy/Istio default text format."""
        return sniff_pattern(lines, _PATTERN)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Envoy/Istio text access-log lines into events and rejects: by the C kernel
        (:mod:`~apislo.sources.logs.envoy_fast`), and the lines it declines by the regex."""
        return envoy_fast.PATH.parse(chunk, self._parse_exact)

    def _parse_exact(self, lines: bytes | list[tuple[int, str]]) -> Parsed:
        """The regex path, on a chunk or on ``(line_no, text)`` pairs."""
        frame = match_lines(lines, _PATTERN)
        frame = request_columns(clean_columns(frame, _FIELDS))
        matched = pl.col("start_time").is_not_null()
        reasons, columns = envoy_columns(frame)
        return finish(
            frame,
            [
                ("truncated", ~matched & pl.col("line").str.contains(_START)),
                ("not_a_request", ~matched),
                ("bad_request_line", ~pl.col("__request_ok")),
                *reasons,
            ],
            columns,
        )

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Istio default text lines (durations in whole milliseconds)."""
        ev = raw_events(events)

        def dash(expr: pl.Expr) -> pl.Expr:
            return expr.cast(pl.String).fill_null("-")

        line = pl.concat_str(
            pl.lit("["),
            pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
            pl.lit('] "'),
            dash(pl.col("method")),
            pl.lit(" "),
            dash(pl.col("path")),
            pl.lit(' HTTP/1.1" '),
            pl.col("status").cast(pl.String).fill_null("0"),
            pl.lit(" "),
            dash(pl.col("termination")),
            pl.lit(" "),
            pl.when(pl.col("status").is_null())
            .then(pl.lit("downstream_remote_disconnect"))
            .otherwise(pl.lit("via_upstream")),
            pl.lit(' - "-" '),
            pl.col("bytes_in").cast(pl.String).fill_null("0"),
            pl.lit(" "),
            pl.col("bytes_out").cast(pl.String).fill_null("0"),
            pl.lit(" "),
            format_ms(pl.col("latency_s")).fill_null("0"),
            pl.lit(" "),
            dash(format_ms(pl.col("upstream_latency_s"))),
            pl.lit(' "-" "curl/8.5.0" "5f0c1e9a-7d1b-4c39-9a55-3a4b7f1d2e01" "'),
            dash(pl.col("host")),
            pl.lit('" "10.44.1.27:8080" '),
            dash(cluster_name(pl.col("api"))),
            pl.lit(" 10.44.1.23:37652 10.44.1.23:8080 10.44.0.1:46520 - default"),
        )
        return ev.select(line).to_series().to_list()
