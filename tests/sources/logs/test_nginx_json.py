"""NGINX ``escape=json`` logs (values worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from apislo.sources.logs import ParseOptions, get_format
from apislo.sources.logs.detect import detect_format
from tests.sources.logs import methods

LINES = [
    # escape=json: \" inside strings; numbers unquoted; retry list as a string
    '{"time_iso8601":"2024-05-01T12:00:00+02:00","remote_addr":"::1","request":'
    '"GET /q?s=\\"x\\" HTTP/1.1","status":200,"request_time":0.250,'
    '"upstream_response_time":"0.100, 0.120","body_bytes_sent":42,"request_length":300,'
    '"http_host":"api.example.com","remote_user":"-"}',
    # every value quoted, upstream "-"
    '{"time_iso8601":"2024-05-01T10:00:01+00:00","request":"POST /orders HTTP/2.0",'
    '"status":"503","request_time":"1.000","upstream_response_time":"-",'
    '"body_bytes_sent":"0","request_length":"12","http_host":"api.example.com",'
    '"remote_user":"carol"}',
    # default escaping inside a JSON template: \x22 is not valid JSON, repaired
    '{"time_iso8601":"2024-05-01T10:00:02+00:00","request":"GET /a\\x22b HTTP/1.1",'
    '"status":200,"request_time":0.001,"upstream_response_time":"0.001",'
    '"body_bytes_sent":1,"request_length":1,"http_host":"-","remote_user":"-"}',
    # cut off
    '{"time_iso8601":"2024-05-01T10:00:03+00:00","request":"GET / HT',
    # not JSON at all
    'nginx: [warn] the "user" directive makes sense only if the master process runs',
    # broken JSON (unquoted key)
    '{time_iso8601:"2024-05-01T10:00:04+00:00"}',
    # bad request line
    '{"time_iso8601":"2024-05-01T10:00:05+00:00","request":"-","status":400,'
    '"request_time":0.000,"upstream_response_time":"-","body_bytes_sent":0,'
    '"request_length":0,"http_host":"-","remote_user":"-"}',
]


def _chunk(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_json_values() -> None:
    parsed = get_format("nginx-json").parse(_chunk(LINES))
    rows = parsed.events.to_dicts()
    assert [r["ts"] for r in rows] == [
        datetime(2024, 5, 1, 9, 59, 59, 750_000, tzinfo=UTC),  # 12:00+02 = 10:00Z - 0.250
        datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),  # 10:00:01 - 1.000
        datetime(2024, 5, 1, 10, 0, 1, 999_000, tzinfo=UTC),
    ]
    assert [r["path"] for r in rows] == ['/q?s="x"', "/orders", '/a"b']
    assert [r["upstream_latency_s"] for r in rows] == [0.22, None, 0.001]
    assert [r["attempts"] for r in rows] == [2, None, 1]
    assert [r["status"] for r in rows] == [200, 503, 200]
    assert [(r["bytes_in"], r["bytes_out"]) for r in rows] == [(300, 42), (12, 0), (1, 1)]
    assert [r["host"] for r in rows] == ["api.example.com", "api.example.com", None]
    assert [r["consumer"] for r in rows] == [None, "carol", None]
    assert list(zip(parsed.rejects["line_no"], parsed.rejects["reason"], strict=True)) == [
        (3, "truncated"),
        (4, "not_a_request"),
        (5, "bad_json"),
        (6, "bad_request_line"),
    ]


def test_aliases_and_clf_time() -> None:
    line = (
        '{"time":"01/May/2024:12:00:00 +0200","method":"GET","path":"/x?y=1","status":"204",'
        '"request_time":"0.500"}'
    )
    row = get_format("nginx-json").parse(_chunk([line])).events.row(0, named=True)
    assert row["ts"] == datetime(2024, 5, 1, 9, 59, 59, 500_000, tzinfo=UTC)
    assert (row["method"], row["path"], row["status"]) == ("GET", "/x?y=1", 204)


def test_no_time_key_rejects_everything() -> None:
    parsed = get_format("nginx-json").parse(_chunk(['{"request":"GET / HTTP/1.1"}']))
    assert parsed.events.height == 0
    assert parsed.rejects["reason"].to_list() == ["not_a_request"]


def test_round_trip_and_sniff() -> None:
    fmt = get_format("nginx-json")
    events = pl.DataFrame(
        {
            "ts": [datetime(2024, 5, 1, 9, 59, 59, 750_000, tzinfo=UTC)],
            "method": ["GET"],
            "path": ['/q?s="x"'],
            "status": [200],
            "latency_s": [0.25],
            "upstream_latency_s": [0.22],
            "attempts": [2],
            "bytes_out": [42],
        },
        schema_overrides={"status": pl.Int16, "attempts": pl.Int16},
    )
    lines = fmt.write(events)
    parsed = fmt.parse(_chunk(lines))
    assert parsed.events.select(events.columns).equals(events)
    assert fmt.sniff([*lines, "garbage"]) == pytest.approx(0.5)


def test_fractional_iso_timestamp_alias() -> None:
    line = '{"@timestamp":"2024-05-01T10:00:00.750Z","request":"GET / HTTP/1.1","status":200}'
    row = get_format("nginx-json").parse(_chunk([line])).events.row(0, named=True)
    # no request_time: ts is the logged time itself, milliseconds kept
    assert row["ts"] == datetime(2024, 5, 1, 10, 0, 0, 750_000, tzinfo=UTC)


TYK_LINE = (
    '{"method":"GET","host":"api.example.com","path":"/v1/catalog","raw_path":"/v1/catalog",'
    '"content_length":626,"user_agent":"Mozilla/5.0","response_code":200,"api_key":"",'
    '"timestamp":"2026-11-17T12:06:06.000000000Z","api_version":"v1","api_name":"catalog",'
    '"oauth_id":"","request_time":18,"latency":{"total":18,"upstream":17},"alias":"acme-web"}'
)


def test_other_json_logs_are_not_requests() -> None:
    """An application's log and Tyk's records carry a time but no NGINX status: both lines
    of each are rejected, and auto detection gives Tyk's lines to tyk-json."""
    fmt = get_format("nginx-json")
    app = '{"time":"2026-11-17T12:00:00Z","level":"info","msg":"cache warmed"}'
    for lines in ([app, app], [TYK_LINE, TYK_LINE]):
        parsed = fmt.parse(_chunk(lines))
        assert parsed.events.height == 0
        assert parsed.rejects["reason"].to_list() == ["not_a_request", "not_a_request"]
    assert fmt.sniff([TYK_LINE]) == 0.0
    assert detect_format("tyk.log", [TYK_LINE] * 3, ParseOptions()) == "tyk-json"


def test_object_without_status_is_not_a_request() -> None:
    with_status = (
        '{"time_iso8601":"2024-05-01T10:00:00+00:00","request":"GET / HTTP/1.1","status":200}'
    )
    without = '{"time_iso8601":"2024-05-01T10:00:01+00:00","request":"GET /x HTTP/1.1"}'
    parsed = get_format("nginx-json").parse(_chunk([with_status, without]))
    assert parsed.events["path"].to_list() == ["/"]
    assert list(zip(parsed.rejects["line_no"], parsed.rejects["reason"], strict=True)) == [
        (1, "not_a_request")
    ]


def test_objects_with_other_keys_in_one_file_are_read_with_their_own() -> None:
    """A log_format changed mid-file: one line names the request by method and URI, one the
    time as time_local. Each is read with its own keys, in line order; a line whose request
    is "-" is still rejected. By hand, ts = end - request_time:
    A 10:00:00 - 0.5 s, B 10:00:01 - 0.25 s, C 11:00:02+01:00 - 1 s = 10:00:01 UTC."""
    a = (
        '{"time_iso8601":"2026-11-01T10:00:00+00:00","request":"GET /v1/a HTTP/1.1",'
        '"status":200,"request_time":0.5}'
    )
    b = (
        '{"time_iso8601":"2026-11-01T10:00:01+00:00","request_method":"POST",'
        '"request_uri":"/v1/b?x=1","status":201,"request_time":0.25}'
    )
    c = (
        '{"time_local":"01/Nov/2026:11:00:02 +0100","request":"GET /v1/c HTTP/1.1",'
        '"status":404,"request_time":1.0}'
    )
    d = '{"time_iso8601":"2026-11-01T10:00:05+00:00","request":"-","status":400,"request_time":0.0}'
    fmt = get_format("nginx-json")
    parsed = fmt.parse(_chunk([a, b, a, c, d, b]))
    t = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert parsed.events.select("ts", "method", "path", "status").rows() == [
        (t - timedelta(seconds=0.5), "GET", "/v1/a", 200),
        (t + timedelta(seconds=0.75), "POST", "/v1/b?x=1", 201),
        (t - timedelta(seconds=0.5), "GET", "/v1/a", 200),
        (t + timedelta(seconds=1), "GET", "/v1/c", 404),
        (t + timedelta(seconds=0.75), "POST", "/v1/b?x=1", 201),
    ]
    assert parsed.rejects.select("line_no", "reason").rows() == [(4, "bad_request_line")]
    # such a file is recognised: every line of the sample is a request
    assert fmt.sniff([a, b, c]) == 1.0


def test_keys_added_after_the_first_200_objects_are_read() -> None:
    """The log_format gained `request_time` and `body_bytes_sent` after 200 lines (NGINX
    reloaded). The keys were learned from the first 200 objects only, so the later lines,
    whose time, status and request the old keys read, were stored without latency or size,
    at their end time: what a line gave depended on where its chunk started. Each line is now
    read with its own keys. By hand, new line k: end 10:05:00 + k s, start 1.5 s earlier."""
    old = [
        f'{{"time_iso8601":"2026-11-01T10:00:{k % 60:02d}+00:00",'
        f'"request":"GET /v1/old/{k} HTTP/1.1","status":200}}'
        for k in range(200)
    ]
    new = [
        f'{{"time_iso8601":"2026-11-01T10:05:0{k}+00:00","request":"GET /v1/new/{k} HTTP/1.1",'
        f'"status":200,"request_time":"1.500","body_bytes_sent":"42"}}'
        for k in range(3)
    ]
    parsed = get_format("nginx-json").parse(_chunk(old + new))
    assert (parsed.events.height, parsed.rejects.height) == (203, 0)
    end = datetime(2026, 11, 1, 10, 5, tzinfo=UTC)
    assert parsed.events.tail(3).select("ts", "path", "latency_s", "bytes_out").rows() == [
        (end + timedelta(seconds=k - 1.5), f"/v1/new/{k}", 1.5, 42) for k in range(3)
    ]
    first = parsed.events.head(1).select("ts", "path", "latency_s", "bytes_out").row(0)
    assert first == (datetime(2026, 11, 1, 10, 0, tzinfo=UTC), "/v1/old/0", None, None)


def test_a_method_in_lower_case_is_read_and_stored_upper_cased() -> None:
    """``"request":"get / HTTP/1.1"`` is a request, stored ``GET`` (until 2026-11-30
    ``bad_request_line``), as ``"method":"get"`` was already; TLS bytes stay rejected."""
    time = '{"time_iso8601":"2024-05-01T10:00:00+00:00","status":200,'
    lines = [
        time + '"request":"get /a HTTP/1.1"}',
        time + '"request":"Patch /a HTTP/2.0"}',
        time + '"method":"options","path":"/a"}',
        time + '"request":"\\u0016\\u0003\\u0001"}',
    ]
    assert methods(get_format("nginx-json"), lines) == (
        ["get", "Patch", "options"],
        ["GET", "PATCH", "OPTIONS"],
        ["bad_request_line"],
    )


def test_a_method_ending_in_a_newline_is_a_bad_request_line() -> None:
    """A JSON ``\\n`` decodes to a newline, which no method holds: ``"GET\\n /a HTTP/1.1"``
    is ``bad_request_line``. Until 2026-11-30 the method check's ``$`` matched before a final
    newline, and the event was stored with the method ``"GET\\n"``."""
    time = '{"time_iso8601":"2024-05-01T10:00:00+00:00","status":200,'
    lines = [
        time + '"request":"GET\\n /a HTTP/1.1"}',
        time + '"request":"get /a HTTP/1.1"}',
    ]
    assert methods(get_format("nginx-json"), lines) == (["get"], ["GET"], ["bad_request_line"])


def test_a_lone_surrogate_escape_is_read_as_a_replacement_character() -> None:
    """A writer that cuts a string inside an emoji's surrogate pair leaves a high half alone
    (``\\ud83d``), and Python's JSON escapes an undecodable byte as a low half alone
    (``\\udcff``): UTF-8 holds neither, and each is read as U+FFFD, as an invalid byte of a log
    is and as the Docker envelope reads one. Until 2026-11-30 polars read the high half as
    U+0000, stored so, and a low half made its line ``bad_json``. A pair is one character
    (U+1F600), alone in its chunk or not."""
    time = '{"time_iso8601":"2024-05-01T10:00:00+00:00","status":200,'
    lines = [
        time + r'"request":"GET /caf\ud83d HTTP/1.1","remote_user":"bob\uD83D"}',
        time + r'"request":"GET /b\udcff HTTP/1.1","remote_user":"-"}',
        time + r'"request":"GET /c\ud83d\ude00 HTTP/1.1","remote_user":"-"}',
    ]
    expected = [("/caf\ufffd", "bob\ufffd"), ("/b\ufffd", None), ("/c\U0001f600", None)]
    parsed = get_format("nginx-json").parse(_chunk(lines))
    assert (parsed.events.select("path", "consumer").rows(), parsed.rejects.height) == (expected, 0)
    for line, row in zip(lines, expected, strict=True):
        alone = get_format("nginx-json").parse(_chunk([line]))
        assert alone.events.select("path", "consumer").rows() == [row]
