"""Tyk analytics records: end-stamped records shifted to the request start."""

from __future__ import annotations

import datetime as dt
import json

from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.detect import detect_format
from apislo.sources.logs.tyk import TykJson

UTC = dt.UTC

RECORD = {
    "method": "GET",
    "host": "api.example.com",
    "path": "/orders/42",
    "raw_path": "/orders/42",
    "content_length": 0,
    "user_agent": "curl/7.86.0",
    "response_code": 200,
    "api_key": "abc",
    "timestamp": "2022-11-16T03:01:54.250Z",
    "api_version": "Non Versioned",
    "api_name": "Orders",
    "api_id": "3643588ceabb49934de926e8c19d9410",
    "oauth_id": "",
    "request_time": 250,
    "latency": {"total": 250, "upstream": 200},
    "tags": ["key-abc"],
    "alias": "",
    "geo": {"country": {"iso_code": ""}},
}
# The stdout pump's wrapper; an offset timestamp; a versioned API; a consumer alias.
WRAPPED = {
    "level": "info",
    "msg": "",
    "time": "2022-11-16T03:01:55Z",
    "tyk-analytics-record": {
        "method": "post",
        "path": "/pay",
        "response_code": 429,
        "timestamp": "2022-11-16T04:01:54.010+01:00",
        "api_version": "v2",
        "api_name": "Payments",
        "request_time": 10,
        "latency": {"total": 10, "upstream": 0},
        "alias": "acme-mobile",
        "oauth_id": "client-7",
    },
}
# Older records: no latency object, request_time only; OAuth client, no alias.
OLD = {
    "method": "DELETE",
    "path": "/things/1",
    "response_code": 204,
    "timestamp": "2018-01-23T21:31:57.266Z",
    "apiname": "ignored-old-name",
    "api_name": "httpbin",
    "request_time": 93,
    "oauth_id": "client-9",
}


def chunk(*records: object) -> bytes:
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def test_values():
    parsed = TykJson().parse(chunk(RECORD, WRAPPED, OLD))
    assert parsed.rejects.height == 0
    rec, wrapped, old = parsed.events.to_dicts()
    # timestamp 03:01:54.250 is the end; minus 250 ms gives the start 03:01:54.000.
    assert rec == {
        "ts": dt.datetime(2022, 11, 16, 3, 1, 54, tzinfo=UTC),
        "method": "GET",
        "path": "/orders/42",
        "host": "api.example.com",
        "status": 200,
        "latency_s": 0.25,
        "upstream_latency_s": 0.2,
        "bytes_in": 0,
        "consumer": "key-ba7816bf8f01",  # sha256("abc"), FIPS 180-2 test vector
        "api": "Orders",
        "api_version": None,
    }
    # 04:01:54.010 +01:00 = 03:01:54.010 UTC, minus 10 ms.
    assert wrapped["ts"] == dt.datetime(2022, 11, 16, 3, 1, 54, tzinfo=UTC)
    assert (wrapped["method"], wrapped["status"], wrapped["upstream_latency_s"]) == (
        "POST",
        429,
        0.0,
    )
    assert (wrapped["consumer"], wrapped["api_version"]) == ("acme-mobile", "v2")
    # 21:31:57.266 minus 93 ms = 21:31:57.173.
    assert old["ts"] == dt.datetime(2018, 1, 23, 21, 31, 57, 173000, tzinfo=UTC)
    assert (old["latency_s"], old["upstream_latency_s"]) == (0.093, None)
    assert (old["consumer"], old["api"]) == ("client-9", "httpbin")


def test_rejects_and_sniff():
    lines = [
        json.dumps(dict(RECORD, timestamp="not a time")),
        json.dumps(dict(RECORD, request_time="x", latency={"total": "x"})),
        '{"level":"info","msg":"Pump started"}',
        json.dumps(RECORD),
    ]
    parsed = TykJson().parse(("\n".join(lines) + "\n").encode())
    assert parsed.events.height == 1
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "bad_timestamp"),
        (1, "bad_number"),
        (2, "not_a_request"),
    ]
    assert TykJson().sniff([json.dumps(RECORD), json.dumps(WRAPPED), lines[2], "x"]) == 0.5


def test_round_trip():
    fmt = TykJson()
    original = fmt.parse(chunk(RECORD, WRAPPED, OLD)).events
    lines = fmt.write(original)
    assert json.loads(lines[0])["timestamp"] == "2022-11-16T03:01:54.250000000Z"
    again = fmt.parse(("\n".join(lines) + "\n").encode())
    assert again.rejects.height == 0
    assert again.events.equals(original)


def test_an_api_key_of_true_or_empty_is_no_key():
    """`"api_key": true` was hashed as the text `true` (key-b5bea41b6c62): no key, as `""`."""
    parsed = TykJson().parse(chunk(dict(RECORD, api_key=True), dict(RECORD, api_key="")))
    assert parsed.events["consumer"].to_list() == [None, None]


def test_content_length_minus_one_is_unknown():
    """Go's ``ContentLength`` -1 (length unknown: a chunked upload) is no size, the request is
    kept; another negative length is still a bad number."""
    lines = [dict(RECORD, content_length=-1), dict(RECORD, content_length=-2)]
    parsed = TykJson().parse(chunk(*lines))
    (row,) = parsed.events.to_dicts()
    assert (row["bytes_in"], row["status"], row["latency_s"]) == (None, 200, 0.25)
    assert parsed.rejects.select("line_no", "reason").rows() == [(1, "bad_number")]


# The Kafka and Kinesis pumps' message (tyk-pump pumps/kafka.go, kinesis.go): ``request_time_ms``,
# no latency object.
KAFKA = {
    "alias": "carol",
    "api_id": "727d",
    "api_key": "",
    "api_name": "httpbin",
    "api_version": "Non Versioned",
    "content_length": 0,
    "host": "httpbin.org",
    "method": "GET",
    "path": "/get",
    "raw_path": "/get",
    "request_time_ms": 250,
    "response_code": 200,
    "timestamp": "2024-01-02T03:04:05.5Z",
}


def test_kafka_and_kinesis_pump_records():
    """``request_time_ms`` is the latency: 03:04:05.500 minus 250 ms is the start 03:04:05.250."""
    (row,) = TykJson().parse(chunk(KAFKA)).events.to_dicts()
    assert row == {
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC),
        "method": "GET",
        "path": "/get",
        "host": "httpbin.org",
        "status": 200,
        "latency_s": 0.25,
        "upstream_latency_s": None,
        "bytes_in": 0,
        "consumer": "carol",
        "api": "httpbin",
        "api_version": None,
    }
    lines = [json.dumps(KAFKA), json.dumps(dict(KAFKA, request_time_ms=1500, method="POST"))]
    assert TykJson().sniff(lines) == 1.0
    assert detect_format("kafka.log", lines, ParseOptions()) == "tyk-json"
