"""Envoy / Istio JSON access logs (``accessLogEncoding: JSON``, Envoy ``json_format``).

Keys are Istio's standard ones (Envoy has no default JSON layout; Istio's is the common one):
``start_time``, ``method``, ``path``, ``protocol``, ``response_code``, ``response_flags``,
``bytes_received``, ``bytes_sent``, ``duration`` (ms), ``upstream_service_time`` (ms),
``authority``, ``upstream_cluster`` and, when configured, ``upstream_request_attempt_count``.
Values may be numbers or strings; ``null``, ``"-"`` and ``""`` mean absent. Semantics are those
of :mod:`apislo.sources.logs.envoy_text`.
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.envoy_text import cluster_name, envoy_columns
from apislo.sources.logs.fields import (
    clean_columns,
    finish,
    has_keys,
    raw_events,
    scrub_query_secrets,
    sniff_json,
    whole_ms,
    with_rejects,
)
from apislo.sources.logs.jsonlines import read_records

__all__ = ["EnvoyJson"]

_PATHS = (
    "start_time",
    "method",
    "path",
    "response_code",
    "response_flags",
    "bytes_received",
    "bytes_sent",
    "duration",
    "upstream_service_time",
    "authority",
    "upstream_cluster",
    "upstream_request_attempt_count",
)


class EnvoyJson(LogFormat):
    """Envoy / Istio JSON access logs with Istio's standard keys."""

    name = "envoy-json"
    description = "Envoy/Istio JSON access log (start_time, duration ms, response_flags...)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are JSON objects with Envoy's keys."""
        return sniff_json(lines, has_keys("start_time", "duration", "response_code"))

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Envoy/Istio JSON lines into events and rejects."""
        records = read_records(chunk, _PATHS)
        frame = clean_columns(records.frame, _PATHS)
        frame = frame.with_columns(scrub_query_secrets(pl.col("path")).alias("path"))
        reasons, columns = envoy_columns(frame)
        parsed = finish(
            frame, [("not_a_request", pl.col("start_time").is_null()), *reasons], columns
        )
        return with_rejects(parsed, records.rejects)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Istio JSON lines (durations in whole milliseconds)."""
        ev = raw_events(events)
        ms = {
            name: whole_ms(pl.col(col))
            for name, col in (("duration", "latency_s"), ("upstream", "upstream_latency_s"))
        }
        record = pl.struct(
            pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").alias("start_time"),
            pl.col("method"),
            pl.col("path"),
            pl.lit("HTTP/1.1").alias("protocol"),
            pl.col("status").cast(pl.Int64).fill_null(0).alias("response_code"),
            pl.col("termination").fill_null("-").alias("response_flags"),
            pl.col("bytes_in").fill_null(0).alias("bytes_received"),
            pl.col("bytes_out").fill_null(0).alias("bytes_sent"),
            ms["duration"].alias("duration"),
            ms["upstream"].cast(pl.String).alias("upstream_service_time"),
            pl.col("host").alias("authority"),
            cluster_name(pl.col("api")).alias("upstream_cluster"),
            pl.col("attempts").alias("upstream_request_attempt_count"),
            pl.lit("curl/8.5.0").alias("user_agent"),
        )
        return ev.select(record.struct.json_encode()).to_series().to_list()
