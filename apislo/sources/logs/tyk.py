"""Tyk analytics records as JSON lines (Tyk Pump's file, stdout, Kafka and Kinesis pumps).

Keys are the ``AnalyticsRecord`` JSON names of Tyk Pump. The stdout pump nests the record under
``tyk-analytics-record``; both shapes are read. The Kafka and Kinesis pumps write a message of
their own: the same keys, but the latency as ``request_time_ms`` and no ``latency`` object.

==================================== ===================================================
Tyk key                              event column
==================================== ===================================================
``timestamp`` (written when the      ``ts`` = timestamp - total latency (request start)
request *ended*)
``latency.total`` (ms), else         ``latency_s``
``request_time`` (ms), else
``request_time_ms`` (ms)
``latency.upstream`` (ms)            ``upstream_latency_s``
``method``, ``raw_path``/``path``,   ``method``, ``path``, ``host``
``host``
``response_code``                    ``status``
``content_length``                   ``bytes_in`` (``-1``, length unknown -> null)
``api_name`` (else ``api_id``)       ``api``
``api_version``                      ``api_version`` (``Non Versioned`` -> null)
``alias``, ``oauth_id``, ``api_key`` ``consumer``, in that order; the key is hashed
==================================== ===================================================

Tyk writes ``latency.upstream`` as ``0`` both for a backend that answered within a millisecond
and for requests it answered itself; the value is kept (0 s), not treated as missing.
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.fields import (
    clean_columns,
    duration,
    finish,
    hash_secrets,
    number,
    parse_iso_time,
    raw_events,
    scrub_query_secrets,
    sniff_json,
    status_code,
    whole_ms,
    with_rejects,
)
from apislo.sources.logs.jsonlines import read_records

__all__ = ["TykJson"]

_FIELDS = (
    "timestamp",
    "request_time",
    "request_time_ms",
    "latency.total",
    "latency.upstream",
    "method",
    "path",
    "raw_path",
    "host",
    "response_code",
    "content_length",
    "api_name",
    "api_id",
    "api_version",
    "alias",
    "oauth_id",
    "api_key",
)
_NESTED = "tyk-analytics-record"
_UNVERSIONED = "Non Versioned"


def _field(name: str) -> pl.Expr:
    """A (cleaned) record field, top-level or under the stdout pump's wrapper key."""
    return pl.coalesce(pl.col(name), pl.col(f"{_NESTED}.{name}"))


def _is_tyk_record(value: object) -> bool:
    """A Tyk analytics record, bare or inside the stdout pump's wrapper."""
    if isinstance(value, dict) and isinstance(value.get(_NESTED), dict):
        value = value[_NESTED]
    return (
        isinstance(value, dict)
        and "response_code" in value
        and not {"request_time", "request_time_ms"}.isdisjoint(value)
    )


class TykJson(LogFormat):
    """Tyk analytics records (JSON lines)."""

    name = "tyk-json"
    description = "Tyk Pump analytics records as JSON lines (request_time[_ms], latency.* in ms)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are Tyk analytics records."""
        return sniff_json(lines, _is_tyk_record)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Tyk analytics JSON lines into events and rejects."""
        paths = (*_FIELDS, *(f"{_NESTED}.{name}" for name in _FIELDS))
        records = read_records(chunk, paths)
        frame = clean_columns(records.frame, paths)
        key = hash_secrets(frame.select(_field("api_key")).to_series())
        frame = frame.with_columns(key.alias("__key"))
        # subtracted from the end time: a year or more would leave the calendar
        total = duration(_field("latency.total"), divisor=1000)
        request_time = duration(_field("request_time"), divisor=1000)
        request_time_ms = duration(_field("request_time_ms"), divisor=1000)
        upstream = number(_field("latency.upstream"), divisor=1000)
        status = status_code(_field("response_code"))
        # Go's http.Request.ContentLength: -1 when the length is unknown (chunked upload)
        bytes_in = number(_field("content_length"), integer=True, none_values=("-1",))
        latency = pl.coalesce(total.value, request_time.value, request_time_ms.value)
        end = parse_iso_time(_field("timestamp"))
        ts = end - pl.duration(microseconds=(latency.fill_null(0) * 1e6).round(0).cast(pl.Int64))
        method = _field("method").str.to_uppercase()
        version = _field("api_version")
        bad = total.bad | request_time.bad | request_time_ms.bad | upstream.bad
        bad = bad | status.bad | bytes_in.bad
        parsed = finish(
            frame,
            [
                ("not_a_request", method.is_null() & status.value.is_null()),
                ("bad_request_line", method.is_null() | ~method.str.contains(r"^[A-Z]+$")),
                ("bad_timestamp", end.is_null()),
                ("bad_number", bad),
            ],
            {
                "ts": ts,
                "method": method,
                "path": scrub_query_secrets(pl.coalesce(_field("raw_path"), _field("path"))),
                "host": _field("host"),
                "status": status.value,
                "latency_s": latency,
                "upstream_latency_s": upstream.value,
                "bytes_in": bytes_in.value,
                "consumer": pl.coalesce(_field("alias"), _field("oauth_id"), pl.col("__key")),
                "api": pl.coalesce(_field("api_name"), _field("api_id")),
                "api_version": pl.when(version != _UNVERSIONED).then(version),
            },
        )
        return with_rejects(parsed, records.rejects)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Tyk analytics records (latencies in whole milliseconds)."""
        ev = raw_events(events)
        total_ms = whole_ms(pl.col("latency_s"))
        end = pl.col("ts") + pl.duration(milliseconds=total_ms.fill_null(0))
        path = pl.col("path").str.replace(r"\?.*$", "")
        record = pl.struct(
            pl.col("method"),
            pl.col("host").fill_null(""),
            path.alias("path"),
            path.alias("raw_path"),
            pl.col("bytes_in").alias("content_length"),
            pl.lit("Mozilla/5.0").alias("user_agent"),
            pl.col("status").cast(pl.Int64).alias("response_code"),
            pl.lit("").alias("api_key"),
            end.dt.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").alias("timestamp"),
            pl.col("api_version").fill_null(_UNVERSIONED),
            pl.col("api").fill_null("").alias("api_name"),
            pl.lit("").alias("oauth_id"),
            total_ms.alias("request_time"),
            pl.struct(
                total_ms.alias("total"),
                whole_ms(pl.col("upstream_latency_s")).alias("upstream"),
            ).alias("latency"),
            pl.col("consumer").fill_null("").alias("alias"),
        )
        return ev.select(record.struct.json_encode()).to_series().to_list()
