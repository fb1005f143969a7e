"""nginx-combined, nginx-timed and nginx-custom: quirks, rejects and round trips.

Every expected value below was worked out by hand from the fixture lines (comments show how).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.sources.logs import ParseOptions, get_format
from tests.sources.logs import methods

TIMED_LINES = [
    # 0: plain; end 17:57:59Z - 0.250 s
    '203.0.113.7 - alice [10/Sep/2015:17:57:59 +0000] "GET /api/v1/orders/42?expand=items '
    'HTTP/1.1" 200 1534 "-" "curl/8.0" 0.250 0.200',
    # 1: IPv6 client, +0200 zone (19:58:00+02 = 17:58:00Z), retry list 0.512 + 0.480
    '2001:db8::1 - - [10/Sep/2015:19:58:00 +0200] "POST /api/v1/orders HTTP/1.1" 201 12 "-" '
    '"okhttp/4" 1.020 0.512, 0.480',
    # 2: zone changes again (12:58:01-05 = 17:58:01Z); two upstream groups, the first never tried
    '::1 - - [10/Sep/2015:12:58:01 -0500] "GET /healthz HTTP/1.1" 502 0 "-" "kube-probe" '
    "0.003 - : 0.002",
    # 3: never proxied: upstream "-"
    '10.0.0.1 - - [10/Sep/2015:17:58:02 +0000] "GET /static HTTP/1.1" 304 0 "-" '
    '"Mozilla/5.0 (X11)" 0.000 -',
    # 4: \x22-escaped quotes in the target and the user agent
    '10.0.0.2 - - [10/Sep/2015:17:58:03 +0000] "GET /search?q=\\x22abc\\x22 HTTP/1.1" 200 5 '
    '"-" "UA \\x22quoted\\x22" 0.010 0.009',
    # 5: request "-" (client sent nothing)
    '10.0.0.3 - - [10/Sep/2015:17:58:04 +0000] "-" 400 0 "-" "-" 0.000 -',
    # 6: TLS handshake bytes on a plain-HTTP port
    '10.0.0.4 - - [10/Sep/2015:17:58:05 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC" '
    '400 157 "-" "-" 0.001 -',
    # 7: an error-log line in the access log
    '2015/09/10 17:58:06 [error] 7#7: *1 open() "/usr/share/nginx/html/x" failed',
    # 8: blank
    "",
    # 9: cut off inside the user agent (unbalanced quote)
    '10.0.0.5 - - [10/Sep/2015:17:58:07 +0000] "GET /api/v1/orders/43 HTTP/1.1" 200 1534 "-" '
    '"curl/8',
    # 10: fine again: end 17:58:08Z - 0.042 s
    '10.0.0.6 - - [10/Sep/2015:17:58:08 +0000] "DELETE /api/v1/orders/44 HTTP/1.1" 204 0 "-" '
    '"curl/8.0" 0.042 0.040',
    # 11: 31 February
    '10.0.0.7 - - [31/Feb/2015:17:58:09 +0000] "GET / HTTP/1.1" 200 1 "-" "-" 0.001 0.001',
    # 12: request_time is not a number
    '10.0.0.8 - - [10/Sep/2015:17:58:10 +0000] "GET / HTTP/1.1" 200 1 "-" "-" fast 0.001',
    # 13: a retry-list member is not a number
    '10.0.0.9 - - [10/Sep/2015:17:58:11 +0000] "GET / HTTP/1.1" 200 1 "-" "-" 0.100 0.050, abc',
]
EXPECTED_REJECTS = [
    (5, "bad_request_line"),
    (6, "bad_request_line"),
    (7, "not_a_request"),
    (8, "not_a_request"),
    (9, "truncated"),
    (11, "bad_timestamp"),
    (12, "bad_number"),
    (13, "bad_number"),
]


def _ts(hh: int, mm: int, ss: int, us: int = 0) -> datetime:
    return datetime(2015, 9, 10, hh, mm, ss, us, tzinfo=UTC)


EXPECTED_EVENTS = [
    # ts, method, path, status, latency_s, upstream_latency_s, attempts, bytes_out, consumer
    (
        _ts(17, 57, 58, 750_000),
        "GET",
        "/api/v1/orders/42?expand=items",
        200,
        0.25,
        0.2,
        1,
        1534,
        "alice",
    ),
    (_ts(17, 57, 58, 980_000), "POST", "/api/v1/orders", 201, 1.02, 0.992, 2, 12, None),
    (_ts(17, 58, 0, 997_000), "GET", "/healthz", 502, 0.003, 0.002, 2, 0, None),
    (_ts(17, 58, 2), "GET", "/static", 304, 0.0, None, None, 0, None),
    (_ts(17, 58, 2, 990_000), "GET", '/search?q="abc"', 200, 0.01, 0.009, 1, 5, None),
    (_ts(17, 58, 7, 958_000), "DELETE", "/api/v1/orders/44", 204, 0.042, 0.04, 1, 0, None),
]
EVENT_FIELDS = (
    "ts",
    "method",
    "path",
    "status",
    "latency_s",
    "upstream_latency_s",
    "attempts",
    "bytes_out",
    "consumer",
)


def _chunk(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _event_tuples(events: pl.DataFrame) -> list[tuple]:
    return [tuple(row[f] for f in EVENT_FIELDS) for row in events.iter_rows(named=True)]


def test_timed_quirks_exact_values() -> None:
    parsed = get_format("nginx-timed").parse(_chunk(TIMED_LINES))
    assert _event_tuples(parsed.events) == EXPECTED_EVENTS
    assert list(zip(parsed.rejects["line_no"], parsed.rejects["reason"], strict=True)) == (
        EXPECTED_REJECTS
    )
    assert parsed.rejects["line"][0] == TIMED_LINES[5]
    assert parsed.events.height + parsed.rejects.height == len(TIMED_LINES)
    assert parsed.events.schema["ts"] == pl.Datetime("us", "UTC")
    assert parsed.events.schema["status"] == pl.Int16


def test_timed_fast_path_in_a_large_chunk_gives_the_same_answer() -> None:
    """The quirk lines inside 3,000 clean lines: the kernel path must agree line for line."""
    clean = TIMED_LINES[0]
    lines = [clean] * 1500 + TIMED_LINES + [clean] * 1500
    parsed = get_format("nginx-timed").parse(_chunk(lines))
    assert parsed.events.height + parsed.rejects.height == len(lines)
    assert parsed.events.height == 3000 + len(EXPECTED_EVENTS)
    assert _event_tuples(parsed.events[1500 : 1500 + len(EXPECTED_EVENTS)]) == EXPECTED_EVENTS
    assert list(zip(parsed.rejects["line_no"], parsed.rejects["reason"], strict=True)) == [
        (1500 + n, reason) for n, reason in EXPECTED_REJECTS
    ]


def test_retry_lists_are_not_dropped_by_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry lists in the last field are re-joined from the spare columns, not sent to regex."""
    fmt = get_format("nginx-timed")
    lines = [TIMED_LINES[0], TIMED_LINES[1], TIMED_LINES[2]] * 400
    calls: list[int] = []
    exact = fmt.compiled._parse_exact

    def spy(pairs: list[tuple[int, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
        calls.append(len(pairs))
        return exact(pairs)

    monkeypatch.setattr(fmt.compiled, "_parse_exact", spy)
    parsed = fmt.parse(_chunk(lines))
    assert parsed.events.height == 1200
    assert calls == []
    # 400 x (1 + 2 + 2) attempts; 400 x (0.2 + 0.992 + 0.002) s upstream
    assert parsed.events["attempts"].sum() == 2000
    assert parsed.events["upstream_latency_s"].sum() == pytest.approx(477.6)


def test_request_times_and_msec_no_clock_gives_are_rejected_not_crashing() -> None:
    """A $request_time of a year or more (or below 0) is a bad number, a $msec outside years
    1970-9999 a bad timestamp, whichever path reads the line (the kernel keeps up to 15 digits;
    20 digits go to the exact path): before, both crashed on the microsecond cast."""
    timed = get_format("nginx-timed")
    head = '10.0.0.1 - - [01/Nov/2026:12:00:00 +0100] "GET /a HTTP/1.1" 200 5 "-" "curl" '
    times = ["31535999.999", "31536000", "999999999999999", "9" * 20, "-0.5"]
    parsed = timed.parse(_chunk([f"{head}{t} 0.1" for t in times]))
    # 2026-11-01 11:00:00 UTC less 365 days less 1 ms: 2025-11-01 11:00:00.001
    assert parsed.events["ts"].to_list() == [datetime(2025, 11, 1, 11, 0, 0, 1000, tzinfo=UTC)]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (1, "bad_number"),
        (2, "bad_number"),
        (3, "bad_number"),
        (4, "bad_number"),
    ]
    msec = get_format(
        "nginx-custom", ParseOptions(log_format='$msec "$request" $status $request_time')
    )
    stamps = ["1730000000.123", "99999999999999.999", "9999999999999999999.5", "-5"]
    parsed = msec.parse(_chunk([f'{m} "GET /a HTTP/1.1" 200 0.5' for m in stamps]))
    # 1730000000.123 is 2024-10-27 03:33:20.123 UTC; less 0.5 s
    assert parsed.events["ts"].to_list() == [datetime(2024, 10, 27, 3, 33, 19, 623000, tzinfo=UTC)]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (1, "bad_timestamp"),
        (2, "bad_timestamp"),
        (3, "bad_timestamp"),
    ]


def test_combined_uses_the_logged_time() -> None:
    lines = [
        '198.51.100.4 - - [01/Mar/2024:23:59:59 -0700] "GET /v2/items?page=2 HTTP/2.0" 200 '
        '512 "https://example.com/" "Mozilla/5.0"',
        "not a log line",
    ]
    parsed = get_format("nginx-combined").parse(_chunk(lines))
    row = parsed.events.row(0, named=True)
    # 23:59:59-07:00 = 06:59:59Z the next day; no $request_time, so ts is the logged time
    assert row["ts"] == datetime(2024, 3, 2, 6, 59, 59, tzinfo=UTC)
    assert (row["method"], row["path"], row["status"], row["bytes_out"]) == (
        "GET",
        "/v2/items?page=2",
        200,
        512,
    )
    assert "latency_s" not in parsed.events.columns
    assert parsed.rejects["reason"].to_list() == ["not_a_request"]


GONX = (
    '$remote_addr [$time_local] "$request" $status $request_length $body_bytes_sent '
    '$request_time "$t_size" $read_time $gen_time'
)


def test_custom_format_from_options() -> None:
    fmt = get_format("nginx-custom", ParseOptions(log_format=GONX))
    parsed = fmt.parse(
        b'112.162.114.78 [10/Sep/2015:17:57:59 +0000] "GET /t/x100/a.jpeg HTTP/1.1" 200 363 '
        b'7013 0.138 "x100" 92 42\n'
        b'169.165.184.151 [10/Sep/2015:17:57:59 +0000] "GET /t/b.jpeg HTTP/1.1" 404 785 69 '
        b'0.007 "-" - -\n'
    )
    rows = parsed.events.to_dicts()
    # 17:57:59 - 0.138 s = 17:57:58.862; 17:57:59 - 0.007 s = 17:57:58.993
    assert [r["ts"] for r in rows] == [_ts(17, 57, 58, 862_000), _ts(17, 57, 58, 993_000)]
    assert [(r["status"], r["bytes_in"], r["bytes_out"]) for r in rows] == [
        (200, 363, 7013),
        (404, 785, 69),
    ]
    assert parsed.rejects.height == 0


def test_custom_format_accepts_a_pasted_directive() -> None:
    directive = (
        "log_format  apilog escape=json '$remote_addr [$time_local] '\n"
        "                  '\"$request\" $status $request_time';"
    )
    fmt = get_format("nginx-custom", ParseOptions(log_format=directive))
    parsed = fmt.parse(b'10.1.1.1 [10/Sep/2015:17:57:59 +0000] "GET /a HTTP/1.1" 200 1.500\n')
    assert parsed.events.row(0, named=True)["ts"] == _ts(17, 57, 57, 500_000)


def test_custom_format_errors_say_what_to_do() -> None:
    with pytest.raises(ConfigError, match="pass log_format='<body of the log_format directive>'"):
        get_format("nginx-custom")  # (from Python: the command says --log-format instead)
    with pytest.raises(ConfigError, match=r"\$time_local"):
        get_format("nginx-custom", ParseOptions(log_format='"$request" $status'))
    with pytest.raises(ConfigError, match="no \\$variable"):
        get_format("nginx-custom", ParseOptions(log_format="just text"))


def _round_trip_events() -> pl.DataFrame:
    # Ends on whole seconds (what $time_local can hold): ts = end - latency.
    return pl.DataFrame(
        {
            "ts": [_ts(10, 0, 0, 750_000), _ts(10, 0, 1, 988_000), _ts(10, 0, 3)],
            "method": ["GET", "POST", "GET"],
            "path": ["/a?x=1", '/b"quoted"\\back', "/c"],
            "status": [200, 503, None],
            "latency_s": [0.25, 1.012, 0.0],
            "upstream_latency_s": [0.2, 1.0, None],
            "attempts": [1, 3, None],
            "bytes_out": [10, 0, None],
            "consumer": ["bob", None, None],
        },
        schema_overrides={"status": pl.Int16, "attempts": pl.Int16},
    )


@pytest.mark.parametrize("name", ["nginx-timed", "nginx-combined"])
def test_write_then_parse_round_trips(name: str) -> None:
    fmt = get_format(name)
    events = _round_trip_events()
    if name == "nginx-combined":  # no latency: ts is the (whole-second) end itself
        events = events.drop("latency_s", "upstream_latency_s", "attempts").with_columns(
            pl.col("ts").dt.truncate("1s")
        )
    lines = fmt.write(events)
    assert len(lines) == 3
    parsed = fmt.parse(_chunk(lines))
    assert parsed.rejects.height == 0
    assert parsed.events.select(events.columns).equals(events)


def test_timed_writer_writes_nginx_text() -> None:
    lines = get_format("nginx-timed").write(_round_trip_events())
    assert lines[1] == (
        '- - - [10/Sep/2015:10:00:03 +0000] "POST /b\\x22quoted\\x22\\x5Cback HTTP/1.1" 503 0 '
        '"-" "-" 1.012 0.000, 0.000, 1.000'
    )


def test_sniff() -> None:
    fmt = get_format("nginx-timed")
    assert fmt.sniff(TIMED_LINES) == pytest.approx(6 / 13)  # 13 non-blank lines, 6 requests
    assert get_format("nginx-combined").sniff(['{"a": 1}']) == 0.0


def test_sniff_counts_lines_the_kernel_leaves_to_the_exact_path() -> None:
    """Non-ASCII text is left to the exact path, which keeps the line: 2 requests of 3 lines."""
    lines = [
        '10.0.0.1 - - [10/Sep/2015:17:58:02 +0000] "GET /café HTTP/1.1" 200 5 "-" "Navigateur été" '
        "0.010 0.009",
        TIMED_LINES[0],
        "hello",
    ]
    assert get_format("nginx-timed").sniff(lines) == pytest.approx(2 / 3)


def test_custom_format_round_trips() -> None:
    fmt = get_format("nginx-custom", ParseOptions(log_format=GONX))
    events = _round_trip_events().drop("upstream_latency_s", "attempts", "consumer")
    lines = fmt.write(events)
    # variables apislo does not read ($remote_addr, $t_size, $read_time...) are written "-"
    assert lines[0] == '- [10/Sep/2015:10:00:01 +0000] "GET /a?x=1 HTTP/1.1" 200 - 10 0.250 "-" - -'
    parsed = fmt.parse(_chunk(lines))
    assert parsed.events.select(events.columns).equals(events)


def test_control_characters_stay_escaped_and_quotes_are_unescaped() -> None:
    """NGINX writes bytes as \\xHH: a quote comes back as a quote, but an ESC (a terminal
    colour code) and U+202E (which reverses the text shown after it) stay written as escapes,
    on both parse paths."""
    line = (
        '10.0.0.1 - \\x1B]0;pwned\\x07 [10/Sep/2015:17:58:02 +0000] "GET /a\\x1B[31m/\\x22q\\x22/'
        'x\\xE2\\x80\\xAEfdp.exe HTTP/1.1" 200 5 "-" "curl" 0.010 0.009'
    )
    for lines in ([line], [TIMED_LINES[0]] * 1500 + [line]):
        event = get_format("nginx-timed").parse(_chunk(lines)).events.row(-1, named=True)
        assert event["path"] == '/a\\x1B[31m/"q"/x\\u202Efdp.exe'
        assert event["consumer"] == "\\x1B]0;pwned\\x07"


def test_the_kernel_keeps_raw_paths_out_of_the_global_categories() -> None:
    """The kernel's ``path`` column has categories of its own (see test_normalise): after
    parsing two lines, neither of their paths is among polars' global categories, and the
    column reads back as the paths."""
    paths = [f"/v1/receipts/{n}?trace=5d0a77e1-{n}" for n in (1, 2)]
    lines = [
        f'198.51.100.4 - - [01/Mar/2024:23:59:59 -0700] "GET {p} HTTP/1.1" 200 512 "-" "curl/8"'
        for p in paths
    ]
    parsed = get_format("nginx-combined").parse(_chunk(lines))
    assert parsed.events["path"].cast(pl.String).to_list() == paths
    assert not set(paths) & set(pl.Categorical().categories.to_series().to_list())


@pytest.mark.parametrize(("name", "tail"), [("nginx-combined", ""), ("nginx-timed", " 0.5 0.4")])
def test_a_method_in_lower_case_is_read_and_stored_upper_cased(name: str, tail: str) -> None:
    """NGINX logs the method as the client sent it: ``get`` is a request (until 2026-11-30 it
    was ``bad_request_line``), kept as written by the parser and stored upper-cased, as every
    format stores its methods; TLS bytes and a request line without a protocol stay rejected."""
    line = '10.0.0.1 - - [10/Sep/2015:17:57:59 +0000] "{}" 200 5 "-" "curl"' + tail
    requests = ["get /a HTTP/1.1", "Delete /a/7 HTTP/1.1", "m-search * HTTP/1.1"]
    garbage = ["\\x16\\x03\\x01\\x02\\x00", "get /a"]
    parsed, stored, rejected = methods(
        get_format(name), [line.format(text) for text in requests + garbage]
    )
    assert parsed == ["get", "Delete", "m-search"]
    assert stored == ["GET", "DELETE", "M-SEARCH"]
    assert rejected == ["bad_request_line", "bad_request_line"]
