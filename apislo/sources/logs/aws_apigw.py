"""AWS API Gateway access logs: the console's CLF and JSON presets, REST and HTTP APIs.

CLF presets::

    REST: $context.identity.sourceIp $context.identity.caller $context.identity.user
          [$context.requestTime]"$context.httpMethod $context.resourcePath $context.protocol"
          $context.status $context.responseLength $context.requestId $context.extendedRequestId
    HTTP: $context.identity.sourceIp - - [$context.requestTime]
          "$context.httpMethod $context.routeKey $context.protocol" $context.status
          $context.responseLength $context.requestId

(the REST preset writes no blank between ``]`` and ``"``, the HTTP preset one: either is read
for both; the extended request id is optional; an HTTP API's route key holds its own method:
``"GET GET /pets HTTP/1.1"``; ``$default`` gives no path). The JSON presets write the same
variables under the keys ``requestId``, ``ip``, ``caller``, ``user``, ``requestTime``,
``httpMethod``, ``resourcePath`` / ``routeKey``, ``status``, ``protocol``, ``responseLength``;
these keys are also read when present: ``requestTimeEpoch`` (epoch ms; preferred over
``requestTime`` for its precision), ``responseLatency`` and ``integrationLatency`` (ms), ``path``
(preferred over the templated ``resourcePath``), ``stage``, ``domainName`` (host), ``apiName`` /
``apiId`` (api), ``principalId``, ``apiKeyId``, ``apiKey`` or ``identity.apiKey`` (hashed, never
stored), ``user``, ``caller`` (consumer, in that order). ``requestTime`` marks when the request
was received: the start.

``$context.path`` starts with the stage for requests to the ``execute-api`` endpoint
(``/prod/pets/42``), not for those through a custom domain (its base path instead) or to an HTTP
API's ``$default`` stage. With ``stage`` in the record, a path starting with ``/{stage}/`` loses
that prefix (``/{stage}`` alone becomes ``/``), so routes and APIs are not named after the stage.
Without ``stage``, the path is kept as logged: nothing in it tells a stage from a path segment.

API Gateway does not escape quotes inside ``$context`` values, so a user agent or error message
with a ``"`` makes the line invalid JSON. Such lines are re-read tolerantly: the text is split at
each ``,"key":`` boundary (the preset's flat key order), each value loses its outer quotes and
keeps the inner ones. Only lines that still cannot be read are rejected ``bad_json``.

The same unescaped quotes let a client write keys into its own record: a user agent
``x","status":"200`` adds a ``status`` beside the one API Gateway writes (valid JSON, whose first
``status`` polars would keep, or a line read despite its quotes, whose last one the split kept),
and so could overwrite the status, consumer, latency or path of its request. Which of two equal
keys API Gateway wrote cannot be known, so a record in which a key apislo reads appears twice in
one object (a line read despite its quotes: in which any key does) is rejected ``bad_json``.
Finding them costs one regex count per line (:data:`_READ_MEMBER`, about 1.5 µs, some 15 % of
the parse), and ``json.loads`` only on the rare lines holding more such keys than fields read. A
key the stage's format lacks, added so, cannot be told from a logged one: the console presets
log no value a client chooses, and a custom format that does (the user agent, ``$context.path``)
should log every key the consumer, status and latency are read from, which turns such a key
into a repeat. The presets' key order does not help: it says nothing of where a custom format
puts the keys it adds. Nor do the other lines of the file: a client's line with such a key is
byte for byte the line of a second stage, writing to the same log, whose format logs that key
where the client wrote it, and a stage's format changed and changed back puts lines with an
added key between lines without it as a client does; refusing them would refuse honest logs.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from apislo.sources.logs.aws_fast import PATH, target_path
from apislo.sources.logs.base import LogFormat, Parsed
from apislo.sources.logs.fields import (
    Num,
    clean,
    clean_columns,
    clf_prefix,
    epoch_ms_to_ts,
    finish,
    format_clf_time,
    format_ms,
    has_keys,
    hash_secrets,
    match_lines,
    number,
    parse_clf_time,
    raw_events,
    scrub_query_secrets,
    sniff_json,
    sniff_pattern,
    status_code,
    with_rejects,
)
from apislo.sources.logs.jsonlines import read_records

__all__ = ["AwsApiGatewayClf", "AwsApiGatewayJson", "recover_flat_json"]

_CLF = (
    r'^(?P<ip>\S+) (?P<caller>\S+) (?P<user>\S+) \[(?P<time>[^\]]+)\] ?"(?P<method>[A-Za-z]+) '
    r'(?:(?:[A-Z]+|ANY) )?(?P<target>\S+) (?P<protocol>[^"\s]+)" (?P<status>\S+) '
    r'(?P<length>\S+) (?P<request_id>[^"\s]+)(?: [^"\s]+)?\s*$'
)
_CLF_START = r'^\S+ \S+ \S+ \[[^\]]+\] ?"'

_JSON_PATHS = (
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "httpMethod",
    "path",
    "stage",
    "resourcePath",
    "routeKey",
    "status",
    "responseLength",
    "responseLatency",
    "integrationLatency",
    "domainName",
    "apiName",
    "apiId",
    "principalId",
    "apiKeyId",
    "apiKey",
    "identity.apiKey",
    "user",
    "caller",
)
_CLF_FIELDS = ("time", "httpMethod", "path", "status", "responseLength", "user", "caller")
_KEY = re.compile(r'(?:^\{|,)\s*"([A-Za-z_][\w.-]*)"\s*:\s*')
#: The keys of :data:`_JSON_PATHS`, at any depth (``identity`` and ``apiKey``).
_READ_KEYS = frozenset(key for path in _JSON_PATHS for key in path.split("."))
#: A member named by one of :data:`_READ_KEYS` (JSON allows blanks before the colon). A record
#: holds one per field read, unless a key repeats (or is nested: ``identity.apiKey``). ASCII
#: only (``(?-u)``): polars counts it a fifth faster.
_READ_MEMBER = r'(?-u)"(?:{})"[ \t\r\n]*:'.format("|".join(sorted(_READ_KEYS)))
#: Below this, an epoch value is in seconds, not milliseconds (1e11 ms is March 1973), unless
#: ``requestTime`` says otherwise.
_EPOCH_MS_MIN = 1e11


def recover_flat_json(text: str) -> dict[str, Any] | None:
    """Read a flat JSON object whose string values may hold unescaped quotes.

    >>> recover_flat_json('{"requestId":"r1", "userAgent":"say "hi"", "status":"200"}')
    {'requestId': 'r1', 'userAgent': 'say "hi"', 'status': '200'}

    A key found twice makes the split ambiguous: a value holding ``","status":"200`` (a client's
    user agent) reads as a ``status`` of its own, and which one API Gateway wrote is unknown.

    >>> recover_flat_json('{"requestId":"r1", "ua":"x","status":"200", "status":"502"}') is None
    True

    Returns:
        The record (values as strings, ``null`` as None), or None when the text is not a
        complete object with at least ``requestId`` or ``requestTime``, or names a key twice.
    """
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    keys = list(_KEY.finditer(text))
    if not keys or keys[0].start() != 0:
        return None
    record: dict[str, Any] = {}
    for match, following in zip(keys, [*keys[1:], None], strict=True):
        end = following.start() if following else len(text) - 1
        raw = text[match.end() : end].strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            record[match.group(1)] = raw[1:-1]
        else:
            record[match.group(1)] = None if raw == "null" else raw
    if len(record) < len(keys):
        return None
    return record if {"requestId", "requestTime"} & set(record) else None


class _RepeatedKey(Exception):
    """An object of a record names a key of :data:`_READ_KEYS` twice."""


def _read_keys_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads` that refuses an object naming a key of
    :data:`_READ_KEYS` twice (which ``json.loads`` would otherwise keep the last of).

    Raises:
        _RepeatedKey: it does.
    """
    read = [key for key, _ in pairs if key in _READ_KEYS]
    if len(read) > len(set(read)):
        raise _RepeatedKey
    return dict(pairs)


def _repeats_a_read_key(line: str) -> bool:
    """Whether a record's line names a key of :data:`_READ_KEYS` twice in one object (its keys
    compared as decoded: ``"st\\u0061tus"`` is ``status``); a line that is not JSON (read
    despite its quotes, or nested deeper than Python reads) when :func:`recover_flat_json`
    refuses it."""
    try:
        json.loads(line, object_pairs_hook=_read_keys_once)
    except _RepeatedKey:
        return True
    except (ValueError, RecursionError):
        return recover_flat_json(line) is None
    return False


def _repeated_keys(frame: pl.DataFrame) -> pl.Series:
    """``__repeated``: whether each record of :func:`read_records`' frame (fields not yet
    cleaned: ``-`` is a value) names a key it is read from twice (:func:`_repeats_a_read_key`).

    Only the lines holding more :data:`_READ_MEMBER` than fields read, or a backslash (a key
    written with escapes), are looked at in Python: a line naming a read key twice holds more.
    """
    fields = pl.sum_horizontal(pl.col(path).is_not_null() for path in _JSON_PATHS)
    line = pl.col("line")
    escaped = line.str.contains("\\", literal=True)
    suspect = (line.str.count_matches(_READ_MEMBER) > fields) | escaped
    rows = frame.select(suspect.fill_null(True)).to_series().arg_true()
    repeated = pl.repeat(False, frame.height, eager=True).alias("__repeated")
    if rows.is_empty():
        return repeated
    found = [_repeats_a_read_key(text) for text in frame["line"].gather(rows)]
    return repeated.scatter(rows, found)


def _without_stage(path: pl.Expr, stage: pl.Expr) -> pl.Expr:
    """``$context.path`` without the stage it starts with (``/prod/pets`` -> ``/pets``, ``/prod``
    -> ``/``, stage ``prod``); any other path, or any path of an unknown stage, as it is."""
    prefix = pl.concat_str(pl.lit("/"), stage)
    below = path.str.starts_with(pl.concat_str(prefix, pl.lit("/")))
    return (
        pl.when(path == prefix)
        .then(pl.lit("/"))
        .when(below)
        .then(path.str.strip_prefix(prefix))
        .otherwise(path)
    )


def _path_from_route(route_key: pl.Expr) -> pl.Expr:
    """``GET /pets/{id}`` -> ``/pets/{id}``; ``$default`` -> null."""
    return target_path(route_key.str.replace(r"^[A-Z]+ ", ""))


class _AwsApiGateway(LogFormat):
    """Shared conversion of both presets (subclasses extract the string fields)."""

    def _columns(
        self, frame: pl.DataFrame, ts: pl.Expr, ts_bad: pl.Expr
    ) -> tuple[list[tuple[str, pl.Expr]], dict[str, pl.Expr]]:
        status = status_code(pl.col("status"))
        nums: dict[str, Num] = {
            "latency_s": number(pl.col("responseLatency"), divisor=1000),
            "upstream_latency_s": number(pl.col("integrationLatency"), divisor=1000),
            "bytes_out": number(pl.col("responseLength"), integer=True),
        }
        bad = status.bad
        for num in nums.values():
            bad = bad | num.bad
        method = pl.col("httpMethod").str.to_uppercase()
        path = pl.coalesce(
            pl.col("path"),
            pl.col("resourcePath"),
            _path_from_route(pl.col("routeKey")),
        )
        reasons = [
            ("bad_request_line", method.is_null() | ~method.str.contains(r"^[A-Z]+$")),
            ("bad_timestamp", ts_bad),
            ("bad_number", bad),
        ]
        columns = {
            "ts": ts,
            "method": method,
            "path": scrub_query_secrets(path),
            "host": pl.col("domainName"),
            "status": status.value,
            **{name: num.value for name, num in nums.items()},
            "consumer": pl.coalesce(
                pl.col("principalId"),
                pl.col("apiKeyId"),
                pl.col("__key"),
                pl.col("user"),
                pl.col("caller"),
            ),
            "api": pl.coalesce(pl.col("apiName"), pl.col("apiId")),
        }
        return reasons, columns


class AwsApiGatewayClf(_AwsApiGateway):
    """API Gateway's CLF preset (REST and HTTP APIs)."""

    name = "aws-apigw-clf"
    description = "AWS API Gateway CLF preset (REST and HTTP APIs; no latency in the preset)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines matching the CLF preset."""
        return sniff_pattern(lines, _CLF)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse CLF preset lines into events and rejects: by the C kernel
        (:mod:`~apislo.sources.logs.aws_fast`), and the lines it declines by the regex."""
        return PATH.parse(chunk, self._parse_exact)

    def _parse_exact(self, lines: bytes | list[tuple[int, str]]) -> Parsed:
        """The regex path, on a chunk or on ``(line_no, text)`` pairs."""
        frame = match_lines(lines, _CLF)
        absent = pl.lit(None, dtype=pl.String)
        frame = frame.with_columns(
            pl.col("method").alias("httpMethod"),
            target_path(pl.col("target")).alias("path"),
            *(absent.alias(n) for n in ("resourcePath", "routeKey", "domainName", "apiName")),
            *(absent.alias(n) for n in ("apiId", "principalId", "apiKeyId", "__key")),
            *(absent.alias(n) for n in ("responseLatency", "integrationLatency")),
            pl.col("length").alias("responseLength"),
        )
        frame = clean_columns(frame, _CLF_FIELDS)
        ts = parse_clf_time(pl.col("time"))
        reasons, columns = self._columns(frame, ts, ts.is_null())
        matched = pl.col("time").is_not_null()
        return finish(
            frame,
            [
                ("truncated", ~matched & pl.col("line").str.contains(_CLF_START)),
                ("not_a_request", ~matched),
                *reasons,
            ],
            columns,
        )

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as REST CLF preset lines (consumer in the ``user`` field)."""
        ev = raw_events(events)
        line = pl.concat_str(
            clf_prefix("198.51.100.7", "$default"),
            pl.lit(" "),
            _request_id(),
        )
        return ev.select(line).to_series().to_list()


class AwsApiGatewayJson(_AwsApiGateway):
    """API Gateway's JSON preset (REST and HTTP APIs), with unescaped quotes recovered."""

    name = "aws-apigw-json"
    description = "AWS API Gateway JSON preset (responseLatency ms, requestTimeEpoch ms)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of sample lines that are API Gateway JSON records."""
        return sniff_json(lines, has_keys("requestId", "httpMethod", "status"), recover_flat_json)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse JSON preset lines into events and rejects."""
        records = read_records(chunk, _JSON_PATHS, recover=recover_flat_json)
        frame = records.frame.with_columns(
            _repeated_keys(records.frame),
            hash_secrets(
                records.frame.select(
                    pl.coalesce(clean(pl.col("apiKey")), clean(pl.col("identity.apiKey")))
                ).to_series()
            ).alias("__key"),
        )
        frame = clean_columns(frame, _JSON_PATHS)
        frame = frame.with_columns(_without_stage(pl.col("path"), pl.col("stage")).alias("path"))
        epoch = number(pl.col("requestTimeEpoch"))
        clf_ts = parse_clf_time(pl.col("requestTime"))
        # a small value is in seconds, unless, read as milliseconds, it is in requestTime's
        # second (a request of 1970-1973: the simulator writes them)
        in_clf_second = (epoch_ms_to_ts(epoch.value).dt.truncate("1s") == clf_ts).fill_null(False)
        seconds = (epoch.value < _EPOCH_MS_MIN) & ~in_clf_second
        epoch_ms = pl.when(seconds).then(epoch.value * 1000).otherwise(epoch.value)
        ts = pl.coalesce(epoch_ms_to_ts(epoch_ms), clf_ts)
        reasons, columns = self._columns(frame, ts, epoch.bad | ts.is_null())
        parsed = finish(
            frame,
            [
                ("bad_json", pl.col("__repeated")),
                ("not_a_request", pl.col("requestId").is_null() & pl.col("httpMethod").is_null()),
                *reasons,
            ],
            columns,
        )
        return with_rejects(parsed, records.rejects)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as REST JSON preset lines plus epoch time, latencies, path and api.

        Every value is a string, as API Gateway writes them.
        """
        ev = raw_events(events)
        record = pl.struct(
            _request_id().alias("requestId"),
            pl.lit("198.51.100.7").alias("ip"),
            pl.lit("-").alias("caller"),
            pl.lit("-").alias("user"),
            format_clf_time(pl.col("ts")).alias("requestTime"),
            pl.col("ts").dt.epoch("ms").cast(pl.String).alias("requestTimeEpoch"),
            pl.col("method").alias("httpMethod"),
            pl.col("path").alias("resourcePath"),
            pl.col("path").alias("path"),
            pl.col("status").cast(pl.String).fill_null("-").alias("status"),
            pl.lit("HTTP/1.1").alias("protocol"),
            pl.col("bytes_out").cast(pl.String).fill_null("-").alias("responseLength"),
            format_ms(pl.col("latency_s")).fill_null("-").alias("responseLatency"),
            format_ms(pl.col("upstream_latency_s")).fill_null("-").alias("integrationLatency"),
            pl.col("host").fill_null("-").alias("domainName"),
            pl.col("api").fill_null("-").alias("apiName"),
            pl.col("consumer").fill_null("-").alias("principalId"),
        )
        return ev.select(record.struct.json_encode()).to_series().to_list()


def _request_id() -> pl.Expr:
    """A request id per event (a UUID-shaped string derived from the row number)."""
    row = pl.int_range(pl.len()).cast(pl.String).str.zfill(12)
    return pl.concat_str(pl.lit("c0ffee00-0000-4000-8000-"), row)
