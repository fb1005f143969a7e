"""AWS API Gateway CLF and JSON presets (REST and HTTP APIs), including unescaped quotes."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import apislo
from apislo.sources.logs.aws_apigw import AwsApiGatewayClf, AwsApiGatewayJson, recover_flat_json
from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.detect import detect_format
from apislo.sources.logs.normalise import normalise
from tests.sources.logs import as_strings

UTC = dt.UTC

REST_JSON = (
    '{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "203.0.113.5", "caller":"-",'
    ' "user":"-","requestTime":"02/Jan/2024:03:04:05 +0100", "httpMethod":"GET",'
    '"resourcePath":"/pets/{petId}", "status":"200","protocol":"HTTP/1.1", "responseLength":"120" }'
)
# HTTP API preset plus epoch time and latencies; the user agent holds unescaped quotes, so the
# line is not valid JSON. 1704164645123 ms = 2024-01-02T03:04:05.123Z.
HTTP_JSON_QUOTES = (
    '{ "requestId":"r2", "ip": "203.0.113.5", "requestTime":"02/Jan/2024:03:04:05 +0000",'
    ' "requestTimeEpoch":"1704164645123", "httpMethod":"POST","routeKey":"POST /pets",'
    ' "status":"502","protocol":"HTTP/1.1", "responseLength":"-", "responseLatency":"29001",'
    ' "integrationLatency":"29000", "userAgent":"curl "evil", 1.0", "apiKey":"s3cr3t" }'
)
CONSUMERS = [
    {"requestId": "a", "requestTime": "02/Jan/2024:03:04:05 +0000", "httpMethod": "GET",
     "status": "200", "principalId": "p-1", "apiKeyId": "kid", "apiKey": "k", "user": "u"},
    {"requestId": "b", "requestTime": "02/Jan/2024:03:04:05 +0000", "httpMethod": "GET",
     "status": "200", "apiKeyId": "kid", "apiKey": "k", "user": "u"},
    {"requestId": "c", "requestTime": "02/Jan/2024:03:04:05 +0000", "httpMethod": "GET",
     "status": "200", "identity": {"apiKey": "s3cr3t"}, "user": "u"},
    {"requestId": "d", "requestTime": "02/Jan/2024:03:04:05 +0000", "httpMethod": "GET",
     "status": "200", "user": "-", "caller": "AIDA123"},
]  # fmt: skip


def chunk(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_recover_flat_json():
    assert recover_flat_json('{"requestId":"x", "ua":"a "b", c", "n": 5, "z": null}') == {
        "requestId": "x",
        "ua": 'a "b", c',
        "n": "5",
        "z": None,
    }
    assert recover_flat_json('{"requestId":"x", "ua":"cut') is None
    assert recover_flat_json('{"other":"x" "y"}') is None
    # a key twice: which one API Gateway wrote is unknown (the split kept the last, "200")
    assert (
        recover_flat_json('{"requestId":"x", "ua":"a "b", "status":"502","status":"200"}') is None
    )


def test_a_record_naming_a_key_it_is_read_from_twice_is_rejected():
    """Unescaped quotes let a client add keys to its own record. Where a key apislo reads
    appears twice in one object, which one API Gateway wrote is unknown: ``bad_json``. Polars
    kept the first of two (line 0's forged 200), the tolerant re-read the last (line 2's
    forged 200). A key written with an escape (``st\\u0061tus``) is the same key. Kept: a
    nested ``identity`` (two read keys for one field, none twice), a key apislo does not read
    written twice, a ``"status":`` inside a value, a ``null`` field."""
    head = '{"requestId":"r%d","requestTime":"02/Jan/2024:03:04:05 +0000","httpMethod":"GET",'
    lines = [
        head % 0 + '"userAgent":"x","status":"200","status":"503"}',
        head % 1 + '"status":"503","principalId":"-","userAgent":"x","principalId":"admin"}',
        head % 2 + '"status":"503","userAgent":"a "b","status":"200"}',
        head % 3 + '"userAgent":"x","st\\u0061tus":"200","status":"503"}',
        head % 4 + '"status":"503","identity":{"apiKey":"k1","apiKey":"k2"}}',
        head % 5 + '"status":"503","identity":{"apiKey":"s3cr3t"}}',
        head % 6 + '"status":"503","userAgent":"a","userAgent":"b"}',
        head % 7 + '"status":"503","userAgent":"say "status": hi"}',
        head % 8 + '"status":"503","principalId":null}',
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*lines))
    assert parsed.rejects.select("line_no", "reason").rows() == [(n, "bad_json") for n in range(5)]
    assert parsed.rejects["line"].to_list() == lines[:5]
    assert parsed.events["status"].to_list() == [503, 503, 503, 503]
    assert parsed.events["consumer"].to_list() == ["key-4e738ca5563c", None, None, None]


def test_read_logs_stores_no_status_latency_or_consumer_a_client_wrote(tmp_path: Path):
    """End to end, a custom format logging the user agent between ``status`` and
    ``responseLatency``. Line 2's user agent ``x","responseLatency":"12","principalId":"alice``
    is valid JSON and was stored as 12 ms for consumer ``alice`` (its real latency 2.5 s, no
    principal); line 3's ``x","status":"200","note":"a"b`` is read despite its quotes and was
    stored as a 200 (API Gateway wrote 503). Both are rejected ``bad_json``; line 1 is kept."""
    fmt = (
        '{{"requestId":"r{n}","requestTime":"02/Jan/2024:03:04:05 +0000","httpMethod":"GET",'
        '"routeKey":"GET /pets","status":"503","userAgent":"{ua}","responseLatency":"2500",'
        '"principalId":"-"}}'
    )
    agents = [
        "curl/8.4.0",
        'x","responseLatency":"12","principalId":"alice',
        'x","status":"200","note":"a"b',
    ]
    log = tmp_path / "apigw.log"
    log.write_text("".join(fmt.format(n=n, ua=ua) + "\n" for n, ua in enumerate(agents, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the warning counts the rejects)
        events = apislo.read_logs(log, format="aws-apigw-json")
    assert events.attrs["rejected"] == {"bad_json": 2}
    assert events[["status", "latency_s", "consumer"]].to_dict("records") == [
        {"status": 503, "latency_s": 2.5, "consumer": None}
    ]


def test_json_presets():
    parsed = AwsApiGatewayJson().parse(chunk(REST_JSON, HTTP_JSON_QUOTES))
    assert parsed.rejects.height == 0
    rest, http = parsed.events.to_dicts()
    assert rest["ts"] == dt.datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)  # +0100
    assert (rest["method"], rest["path"], rest["status"], rest["bytes_out"]) == (
        "GET",
        "/pets/{petId}",
        200,
        120,
    )
    assert (rest["latency_s"], rest["consumer"]) == (None, None)
    assert http["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    assert (http["method"], http["path"], http["status"]) == ("POST", "/pets", 502)
    assert (http["latency_s"], http["upstream_latency_s"], http["bytes_out"]) == (
        29.001,
        29.0,
        None,
    )
    assert http["consumer"] == "key-4e738ca5563c"  # hash_secret("s3cr3t"), base.py's example


def test_consumer_precedence_and_epoch_seconds():
    lines = [json.dumps(c) for c in CONSUMERS]
    seconds = dict(CONSUMERS[0], requestTimeEpoch=1704164645)
    parsed = AwsApiGatewayJson().parse(chunk(*lines, json.dumps(seconds)))
    expected = ["p-1", "kid", "key-4e738ca5563c", "AIDA123", "p-1"]
    assert parsed.events["consumer"].to_list() == expected
    assert parsed.events["ts"][4] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_an_api_key_of_true_or_empty_is_no_key():
    """`apiKey` `true` was hashed (key-b5bea41b6c62) before `user` was looked at; like an empty
    one it is no key, so `user` names the consumer, or nothing does."""
    base = {k: v for k, v in CONSUMERS[1].items() if k not in ("apiKeyId", "apiKey")}
    records = [
        dict(base, apiKey=key, user=user) for key, user in [("true", "u"), ("", "u"), ("true", "-")]
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*[json.dumps(r) for r in records]))
    assert parsed.events["consumer"].to_list() == ["u", "u", None]


def test_epoch_milliseconds_before_1973_agreeing_with_request_time():
    """600123 ms is 1970-01-01T00:10:00.123Z, inside requestTime's second: milliseconds (it was
    read as seconds, 1970-01-07T22:42:03Z, as every value under 1e11 was). The same value with a
    requestTime of 1970-01-07 22:42:03, or none, is still read as seconds."""
    base = {"requestId": "e", "httpMethod": "GET", "status": "200", "requestTimeEpoch": "600123"}
    records = [
        dict(base, requestTime="01/Jan/1970:00:10:00 +0000"),
        dict(base, requestTime="07/Jan/1970:22:42:03 +0000"),
        base,
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*[json.dumps(r) for r in records]))
    assert parsed.events["ts"].to_list() == [
        dt.datetime(1970, 1, 1, 0, 10, 0, 123000, tzinfo=UTC),
        dt.datetime(1970, 1, 7, 22, 42, 3, tzinfo=UTC),
        dt.datetime(1970, 1, 7, 22, 42, 3, tzinfo=UTC),
    ]


def test_json_path_loses_its_stage():
    """``$context.path`` is ``/{stage}/root/child`` on the execute-api endpoint (AWS developer
    guide, "Variables for access logging"): with ``stage`` in the record, ``/{stage}/`` (or a
    path that is ``/{stage}``) is dropped, so the API is named after the path below it, not after
    the stage. Paths the stage does not start, as a whole segment, are kept, and so is every
    path of a record without ``stage`` (a custom domain's path holds no stage)."""
    base = {
        "requestId": "s",
        "requestTime": "02/Jan/2024:03:04:05 +0000",
        "httpMethod": "GET",
        "status": "200",
        "resourcePath": "/pets/{petId}",
    }
    records = [
        dict(base, stage="prod", path="/prod/pets/42"),
        dict(base, stage="prod", path="/prod"),
        dict(base, stage="prod", path="/production/pets/42"),
        dict(base, stage="prod", path="/v1/prod/42"),
        dict(base, stage="$default", path="/pets/42"),
        dict(base, stage="-", path="/prod/pets/42"),
        dict(base, path="/prod/pets/42"),
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*map(json.dumps, records)))
    assert parsed.events["path"].to_list() == [
        "/pets/42",
        "/",
        "/production/pets/42",
        "/v1/prod/42",
        "/pets/42",
        "/prod/pets/42",
        "/prod/pets/42",
    ]
    events = normalise(parsed.events, "aws-apigw-json")
    assert events["api"].to_list()[:2] == ["pets", "unknown"]
    assert events["route"].to_list()[0] == "/pets/{id}"


def test_json_rejects():
    lines = [
        "START RequestId: 1 Version: $LATEST",
        '{"other": "x" "y"}',
        '{ "requestId":"r3", "requestTime":"02/Jan/2024:03:04',
        '{"requestId": "r4", "requestTime": "yesterday", "httpMethod": "GET", "status": "200"}',
        '{"requestId": "r5", "requestTime": "02/Jan/2024:03:04:05 +0000", "httpMethod": "GET",'
        ' "status": "OK"}',
        REST_JSON,
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*lines))
    assert parsed.events.height == 1
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "not_a_request"),
        (1, "bad_json"),
        (2, "truncated"),
        (3, "bad_timestamp"),
        (4, "bad_number"),
    ]


def test_a_line_read_despite_its_quotes_and_then_rejected_is_kept_as_written():
    """A line whose user agent holds unescaped quotes is read tolerantly; rejected for its
    status, it is kept in the rejects as written, not as the JSON made of it (the quarantine
    keeps "the line itself": it had a space after each colon and comma, and ``\\"`` for the
    quotes that made it invalid)."""
    line = (
        '{"requestId":"r6","requestTime":"02/Jan/2024:03:04:05 +0000","httpMethod":"GET",'
        '"status":"OK","userAgent":"say "hi""}'
    )
    parsed = AwsApiGatewayJson().parse(chunk(line))
    assert parsed.rejects.rows() == [(0, "bad_number", line)]


def test_clf_presets():
    lines = [
        # REST: caller and user filled (IAM), extendedRequestId appended, -0500 offset.
        "203.0.113.5 AIDAXXXX arn:aws:iam::123456789012:user/bob [02/Jan/2024:03:04:05 -0500]"
        ' "GET /pets/{petId} HTTP/1.1" 404 47 c6af9ac6-7b61-11e6-9a41-93e8deadbeef ext-1',
        # HTTP API: the route key carries its own method.
        '2001:db8::5 - - [02/Jan/2024:03:04:05 +0000] "GET GET /pets HTTP/1.1" 200 120 r-http',
        '203.0.113.5 - - [02/Jan/2024:03:04:05 +0000] "GET $default HTTP/1.1" 200 - r-def',
        "some other text",
        '203.0.113.5 - - [02/Jan/2024:03:04:05 +0000] "GET /x',
        '203.0.113.5 - - [02/Jan/2024:03:04:05 +0000] "GET /x HTTP/1.1" 2OO 5 r-bad',
    ]
    parsed = AwsApiGatewayClf().parse(chunk(*lines))
    ev = parsed.events.to_dicts()
    assert ev[0]["ts"] == dt.datetime(2024, 1, 2, 8, 4, 5, tzinfo=UTC)
    assert (ev[0]["path"], ev[0]["status"], ev[0]["bytes_out"]) == ("/pets/{petId}", 404, 47)
    assert ev[0]["consumer"] == "arn:aws:iam::123456789012:user/bob"
    assert (ev[1]["method"], ev[1]["path"], ev[1]["consumer"]) == ("GET", "/pets", None)
    assert (ev[2]["path"], ev[2]["bytes_out"]) == (None, None)
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (3, "not_a_request"),
        (4, "truncated"),
        (5, "bad_number"),
    ]


def test_console_rest_clf_preset_has_no_blank_before_the_request_line():
    """The console's REST preset: ``[$context.requestTime]"$context.httpMethod ...`` (AWS
    developer guide, "Access logging for REST APIs"). 12:34:57 at -0200 is 14:34:57 UTC; the
    user before the caller; a line cut in its request line is truncated."""
    lines = [
        '203.0.113.5 - - [07/Jun/2024:12:34:56 +0000]"GET /pets/42 HTTP/1.1" 200 123'
        " c0ffee00-0000-4000-8000-000000000001 Yx0aBFxyIAMEbXw=",
        "203.0.113.5 AIDACALLER arn:aws:iam::123456789012:user/bob [07/Jun/2024:12:34:57 -0200]"
        '"POST /pets HTTP/1.1" 201 45 r-2 Yx0aBFxyIAMEbXx=',
        '203.0.113.5 - - [07/Jun/2024:12:34:58 +0000]"GET /pe',
    ]
    parsed = AwsApiGatewayClf().parse(chunk(*lines))
    get, post = parsed.events.to_dicts()
    assert (get["ts"], get["method"], get["path"], get["status"], get["bytes_out"]) == (
        dt.datetime(2024, 6, 7, 12, 34, 56, tzinfo=UTC),
        "GET",
        "/pets/42",
        200,
        123,
    )
    assert get["consumer"] is None
    assert (post["ts"], post["method"], post["path"], post["status"], post["bytes_out"]) == (
        dt.datetime(2024, 6, 7, 14, 34, 57, tzinfo=UTC),
        "POST",
        "/pets",
        201,
        45,
    )
    assert post["consumer"] == "arn:aws:iam::123456789012:user/bob"
    assert parsed.rejects.select("line_no", "reason").rows() == [(2, "truncated")]
    assert AwsApiGatewayClf().sniff(lines[:2]) == 1.0
    assert detect_format("console.log", lines[:2], ParseOptions()) == "aws-apigw-clf"


def test_sniff_does_not_take_nginx_combined():
    nginx = '1.2.3.4 - - [10/Sep/2015:17:57:59 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.0"'
    clf = '1.2.3.4 - - [02/Jan/2024:03:04:05 +0000] "GET /a HTTP/1.1" 200 120 r-1'
    assert AwsApiGatewayClf().sniff([nginx, clf]) == 0.5
    assert AwsApiGatewayJson().sniff([REST_JSON, HTTP_JSON_QUOTES, '{"a": 1}', clf]) == 0.5


def test_round_trips():
    for fmt, lines in (
        (AwsApiGatewayJson(), [REST_JSON, HTTP_JSON_QUOTES]),
        (AwsApiGatewayClf(), ['::1 bob - [02/Jan/2024:03:04:05 +0000] "GET /a HTTP/1.1" 200 1 r']),
    ):
        original = fmt.parse(chunk(*lines)).events
        again = fmt.parse(chunk(*fmt.write(original)))
        assert again.rejects.height == 0
        assert as_strings(again.events).equals(as_strings(original))


def test_a_key_the_format_lacks_reads_as_a_stage_that_logs_it():
    """Why a key a client adds where the stage's format has none is read (the README says):
    the line is byte for byte that of a second stage writing to the same file whose format
    logs ``principalId`` after the user agent. Interleaved, the two stages' lines are all
    events, each with the consumer its line names; refusing the added key would refuse the
    honest stage's lines."""
    head = (
        '{"requestId":"r%d","requestTime":"02/Jan/2024:03:04:05 +0000","httpMethod":"GET",'
        '"routeKey":"GET /pets","status":"200","userAgent":"%s",'
    )
    stage_a = head + '"responseLatency":"25"}'
    stage_b = head + '"principalId":"%s","responseLatency":"25"}'
    assert stage_a % (2, 'curl/8","principalId":"alice') == stage_b % (2, "curl/8", "alice")
    lines = [
        stage_a % (1, "curl/8"),
        stage_b % (2, "curl/8", "alice"),
        stage_a % (3, "curl/8"),
        stage_b % (4, "curl/8", "bob"),
    ]
    parsed = AwsApiGatewayJson().parse(chunk(*lines))
    assert parsed.rejects.height == 0
    assert parsed.events["consumer"].to_list() == [None, "alice", None, "bob"]
    assert parsed.events["latency_s"].to_list() == [0.025] * 4
