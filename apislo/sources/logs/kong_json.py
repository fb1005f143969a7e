"""Kong Gateway's JSON log records (file-log, http-log, tcp/udp-log, syslog plugins).

One JSON object per line; the http-log plugin with ``queue.max_batch_size > 1`` sends arrays
``[{...},{...}]``, read here as one line holding several events.

=========================== ======================================================
Kong field                  event column
=========================== ======================================================
``started_at`` (epoch ms)   ``ts`` (request start)
``latencies.request`` (ms)  ``latency_s``
``latencies.proxy`` (ms)    ``upstream_latency_s`` (``-1``: never proxied -> null)
``tries`` (list)            ``attempts`` (its length; null when absent or empty)
``request.method/uri/size`` ``method``, ``path``, ``bytes_in``
``request.headers.host``    ``host``
``response.status/size``    ``status``, ``bytes_out``
``service.name``            ``api``
``consumer.username``/``id`` ``consumer``; else ``key-...`` (hash) of an ``apikey`` header or
                            query parameter, which is never stored in clear (a bare
                            ``?apikey``, logged as the boolean ``true``, is no key, nor is
                            a key given twice, logged as a list, which Kong refuses; the
                            key ``"true"``, a string, is one)
``response.headers.x-cache-status`` ``cache_status`` (proxy-cache plugin)
=========================== ======================================================
"""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.fields import (
    clean_columns,
    epoch_ms_to_ts,
    finish,
    hash_secrets,
    number,
    raw_events,
    scrub_query_secrets,
    sniff_json,
    status_code,
    whole_ms,
    with_rejects,
)
from apislo.sources.logs.jsonlines import json_true, read_records

__all__ = ["KongJson"]

_PATHS = (
    "started_at",
    "latencies.request",
    "latencies.proxy",
    "latencies.kong",
    "request.method",
    "request.uri",
    "request.size",
    "request.headers.host",
    "request.headers.apikey",
    "request.querystring.apikey",
    "response.status",
    "response.size",
    "response.headers.x-cache-status",
    "service.name",
    "consumer.username",
    "consumer.id",
)
_LISTS = ("tries",)


def _is_kong_record(obj: object) -> bool:
    if isinstance(obj, list) and obj:
        obj = obj[0]
    return isinstance(obj, dict) and "started_at" in obj and isinstance(obj.get("latencies"), dict)


def _hashed_key(records: pl.DataFrame, path: str) -> pl.Series:
    """The hashed API key at ``path`` of each record: a bare ``?apikey``, logged as the boolean
    ``true``, is none; the key ``"true"`` is one."""
    return hash_secrets(records[path], bare=json_true(records, path))


class KongJson(LogFormat):
    """Kong file-log / http-log JSON records (single objects or batched arrays)."""

    name = "kong-json"
    description = "Kong file-log/http-log JSON (latencies in ms, started_at epoch ms, batches)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are Kong log records (or batches of them)."""
        return sniff_json(lines, _is_kong_record)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse Kong JSON lines into events and rejects."""
        records = read_records(chunk, _PATHS, lists=_LISTS)
        frame = records.frame.with_columns(
            _hashed_key(records.frame, "request.headers.apikey").alias("__key_header"),
            _hashed_key(records.frame, "request.querystring.apikey").alias("__key_query"),
        )
        frame = clean_columns(frame, _PATHS)
        started = number(pl.col("started_at"))
        total = number(pl.col("latencies.request"), divisor=1000)
        proxy = number(pl.col("latencies.proxy"), divisor=1000, none_values=("-1",))
        kong = number(pl.col("latencies.kong"), signed=True)  # not stored: only checked
        status = status_code(pl.col("response.status"))
        bytes_in = number(pl.col("request.size"), integer=True)
        bytes_out = number(pl.col("response.size"), integer=True)
        ts = epoch_ms_to_ts(started.value)
        tries = pl.col("tries").list.len()
        parsed = finish(
            frame,
            [
                ("not_a_request", pl.col("request.method").is_null()),
                ("bad_timestamp", started.bad | ts.is_null()),
                (
                    "bad_number",
                    total.bad | proxy.bad | kong.bad | status.bad | bytes_in.bad | bytes_out.bad,
                ),
            ],
            {
                "ts": ts,
                "method": pl.col("request.method").str.to_uppercase(),
                "path": scrub_query_secrets(pl.col("request.uri")),
                "host": pl.col("request.headers.host"),
                "status": status.value,
                "latency_s": total.value,
                "upstream_latency_s": proxy.value,
                "attempts": pl.when(tries > 0).then(tries),
                "bytes_in": bytes_in.value,
                "bytes_out": bytes_out.value,
                "consumer": pl.coalesce(
                    pl.col("consumer.username"),
                    pl.col("consumer.id"),
                    pl.col("__key_header"),
                    pl.col("__key_query"),
                ),
                "api": pl.col("service.name"),
                "cache_status": pl.col("response.headers.x-cache-status"),
            },
        )
        return with_rejects(parsed, records.rejects)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as Kong file-log lines (latencies rounded to whole milliseconds)."""
        ev = raw_events(events)
        request_ms = whole_ms(pl.col("latency_s"))
        proxy_ms = whole_ms(pl.col("upstream_latency_s"))
        try_record = pl.struct(
            pl.lit(0).alias("balancer_latency"),
            pl.lit("10.0.0.10").alias("ip"),
            pl.lit(8080).alias("port"),
        )
        record = pl.struct(
            pl.struct(
                pl.col("method"),
                pl.col("path").alias("uri"),
                pl.concat_str(
                    pl.lit("http://"), pl.col("host").fill_null("localhost"), pl.col("path")
                ).alias("url"),
                pl.col("bytes_in").alias("size"),
                pl.struct(pl.col("host")).alias("headers"),
            ).alias("request"),
            pl.struct(
                pl.col("status"),
                pl.col("bytes_out").alias("size"),
                pl.struct(pl.col("cache_status").alias("x-cache-status")).alias("headers"),
            ).alias("response"),
            pl.struct(
                request_ms.alias("request"),
                proxy_ms.fill_null(-1).alias("proxy"),
                (request_ms - proxy_ms.fill_null(0)).alias("kong"),
            ).alias("latencies"),
            try_record.repeat_by(pl.col("attempts").cast(pl.UInt32)).alias("tries"),
            pl.struct(pl.col("api").alias("name")).alias("service"),
            pl.struct(pl.col("consumer").alias("username")).alias("consumer"),
            pl.lit("203.0.113.7").alias("client_ip"),
            (pl.col("ts").dt.epoch("ms")).alias("started_at"),
        )
        return ev.select(record.struct.json_encode()).to_series().to_list()
