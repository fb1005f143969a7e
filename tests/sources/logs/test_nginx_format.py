"""The log_format compiler: template normalisation, the two parse paths, chunk edge cases."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.sources.logs import get_format
from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.nginx_convert import unescape_nginx
from apislo.sources.logs.nginx_format import compile_log_format, normalise_log_format
from tests.sources.logs import as_strings, methods

TIMED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_time $upstream_response_time'
)
LINE = '10.0.0.1 - - [10/Sep/2015:17:57:59 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl" 0.500 0.400'


def test_normalise_joins_directive_parts() -> None:
    text = (
        "log_format main escape=default '$remote_addr [$time_local] '\n"
        "    '\"$request\" ${status}';"
    )
    assert normalise_log_format(text) == '$remote_addr [$time_local] "$request" ${status}'
    # a bare body that happens to start with a quote is kept as it is
    assert normalise_log_format('"$request" $msec') == '"$request" $msec'


def test_a_template_nginx_would_refuse_is_a_config_error() -> None:
    """A directive whose last quote is missing, and a ``${`` never closed: both said at once,
    instead of every line of the file rejected."""
    with pytest.raises(ConfigError, match="its quotes are unbalanced"):
        normalise_log_format('log_format main \'$remote_addr [$time_local] "$request" $status')
    with pytest.raises(ConfigError) as caught:
        normalise_log_format("$remote_addr [$time_local] ${status $request_time")
    assert str(caught.value).endswith("the variable at '${status $request_ti' has no closing '}'")


def test_braced_variables_and_iso_time() -> None:
    fmt = compile_log_format('${time_iso8601} "${request}" ${status} ${request_time}')
    parsed = fmt.parse(b'2024-02-29T23:59:59+05:30 "GET /x HTTP/1.1" 200 0.999\n')
    # 23:59:59+05:30 = 18:29:59Z; minus 0.999 s
    assert parsed.events["ts"].to_list() == [datetime(2024, 2, 29, 18, 29, 58, 1000, tzinfo=UTC)]


def test_msec_time() -> None:
    fmt = compile_log_format('$msec "$request" $status $request_time')
    parsed = fmt.parse(b'1700000000.250 "GET /x HTTP/1.1" 200 0.250\n')
    # 1700000000 = 2023-11-14T22:13:20Z
    assert parsed.events["ts"].to_list() == [datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)]


@pytest.mark.parametrize(
    "body",
    [
        '$remote_addr [$time_local] $msec "$request" $status $request_time',
        '$time_iso8601 $msec "$request" $status $request_time',
        '$msec $remote_addr [$time_local] "$request" $status $request_time',
    ],
)
def test_msec_wins_over_a_time_to_the_second(body: str) -> None:
    """A log_format holding ``$msec`` beside ``$time_local`` or ``$time_iso8601`` (both the log
    write, the others cut to the second) was read by the other: every start up to a second
    early (here 15:57:58.500 instead of .623). 1441900679.123 = 2015-09-10T15:57:59.123Z =
    17:57:59 +0200, less 0.5 s; 40 lines, so the kernel reads them too."""
    fmt = compile_log_format(body)
    assert fmt.program is not None
    line = (
        body.replace("$remote_addr", "10.0.0.1")
        .replace("$time_local", "10/Sep/2015:17:57:59 +0200")
        .replace("$time_iso8601", "2015-09-10T17:57:59+02:00")
        .replace("$msec", "1441900679.123")
        .replace("$request_time", "0.500")
        .replace("$request", "GET /a HTTP/1.1")
        .replace("$status", "200")
    )
    parsed = fmt.parse(f"{line}\n".encode() * 40)
    start = datetime(2015, 9, 10, 15, 57, 58, 623000, tzinfo=UTC)
    assert (parsed.events["ts"].to_list(), parsed.rejects.height) == ([start] * 40, 0)


def test_a_missing_msec_is_a_bad_timestamp_in_the_kernel_too() -> None:
    """`$msec` of `-` or empty: the kernel read it as a null number and kept the line with no
    time, a row that then made `apislo.load` fail on the whole dataset; the exact path said
    `bad_timestamp`, as it now does for both."""
    fmt = compile_log_format('$msec "$request" $status $request_time')
    assert fmt.program is not None  # (the kernel reads this template)
    parsed = fmt.parse(
        b'- "GET /a HTTP/1.1" 200 0.5\n'
        b'1441900679.123 "GET /a HTTP/1.1" 200 0.5\n'
        b' "GET /b HTTP/1.1" 200 0.5\n'
    )
    # 1441900679.123 = 2015-09-10T15:57:59.123Z, less 0.5 s
    assert parsed.events["ts"].to_list() == [datetime(2015, 9, 10, 15, 57, 58, 623000, tzinfo=UTC)]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "bad_timestamp"),
        (2, "bad_timestamp"),
    ]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (
            '[$time_local] "$request_method $scheme://$host$request_uri $server_protocol" $status',
            '[10/Sep/2015:17:57:59 +0200] "GET https://api.example.com/v1/orders/17?x=1 HTTP/1.1"'
            " 200",
        ),
        (
            "[$time_local] $request_method $uri$is_args$args $status",
            "[10/Sep/2015:17:57:59 +0200] GET /v1/orders/17?x=1 200",
        ),
    ],
)
def test_a_variable_right_before_a_path_ends_where_the_path_starts(body: str, line: str) -> None:
    """`$host$request_uri`: the host took the whole URI (`.*`) and the path was empty, so every
    line had no route and API `unknown`; `$uri$is_args$args` gave the path its query."""
    parsed = compile_log_format(body).parse(f"{line}\n".encode())
    assert parsed.events.select("method", "path").rows() == [("GET", "/v1/orders/17?x=1")]
    assert parsed.rejects.height == 0


def test_a_scheme_ends_at_its_colon_whatever_the_query_holds() -> None:
    """`$scheme://` was read up to the last `://` before a space: `?next=http://x/y` made the
    host `x` and the path `/y`. The kernel and the exact path agree on a template the kernel
    reads."""
    exact_only = compile_log_format(
        "[$time_local] $request_method $scheme://$host$request_uri $status"
    )
    parsed = exact_only.parse(
        b"[01/Nov/2026:00:00:00 +0000] GET http://h/api/users?next=http://x/y 200\n"
    )
    assert parsed.events.select("host", "path").rows() == [("h", "/api/users?next=http://x/y")]
    kernel = compile_log_format('[$time_local] "$request" $status $scheme://$host')
    assert kernel.program is not None
    line = b'[01/Nov/2026:00:00:00 +0000] "GET /a?u=https://b HTTP/1.1" 200 https://api.x\n'
    fast, (exact, _) = kernel.parse(line), kernel._parse_exact([(0, line.decode().strip())])
    assert fast.events.select("host", "path").rows() == [("api.x", "/a?u=https://b")]
    assert exact.select("host", "path").rows() == fast.events.select("host", "path").rows()


def test_args_not_found_after_an_empty_is_args_is_no_part_of_the_path() -> None:
    """`$uri$is_args$args` of a request without a query: NGINX writes `$is_args` empty and
    `$args` (not found) as `-`, so `/v1/orders/18-`; the path was stored with the `-` (a route
    `/v1/orders/18-`, not `{id}`). A path ending in `-` keeps it (`/a-b-` is `/a-b`)."""
    fmt = compile_log_format("[$time_local] $request_method $uri$is_args$args $status")
    parsed = fmt.parse(
        b"[10/Sep/2015:17:57:59 +0200] GET /v1/orders/17?x=1 200\n"
        b"[10/Sep/2015:17:57:59 +0200] GET /v1/orders/18- 200\n"
        b"[10/Sep/2015:17:57:59 +0200] GET /a-b- 200\n"
    )
    assert parsed.events["path"].to_list() == ["/v1/orders/17?x=1", "/v1/orders/18", "/a-b"]
    assert parsed.rejects.height == 0


def test_a_directive_s_escapes_are_undone_as_nginx_does() -> None:
    """`'$time_iso8601\\t$status'` in nginx.conf writes a tab, which apislo read as a backslash
    and a `t`: every line of a tab-separated log was rejected."""
    directive = "log_format tsv '$time_iso8601\\t$status\\t$request_time\\t$request';"
    assert normalise_log_format(directive) == "$time_iso8601\t$status\t$request_time\t$request"
    bare = "$time_iso8601\\t$status\\t$request_time\\t$request"  # (the body alone, as typed)
    assert normalise_log_format(bare) == normalise_log_format(directive)
    assert normalise_log_format("'a=$status\\r\\n\\\\ \\' \\\"'") == "a=$status\r\n\\ ' \""
    parsed = compile_log_format(directive).parse(
        b"2015-09-10T17:57:59+02:00\t200\t0.5\tGET /a HTTP/1.1\n"
    )
    # 17:57:59+02:00 = 15:57:59Z, less 0.5 s
    assert parsed.events.select("ts", "status", "path").rows() == [
        (datetime(2015, 9, 10, 15, 57, 58, 500000, tzinfo=UTC), 200, "/a")
    ]


def test_request_method_and_uri_with_args() -> None:
    fmt = compile_log_format(
        "[$time_local] $request_method $uri $args $status $host $upstream_cache_status"
    )
    parsed = fmt.parse(
        b"[10/Sep/2015:17:57:59 +0000] PUT /items/7 a=1&b=2 200 api.example.com HIT\n"
        b"[10/Sep/2015:17:57:59 +0000] GET /items - 200 - -\n"
    )
    assert parsed.events.select("method", "path", "host", "cache_status").rows() == [
        ("PUT", "/items/7?a=1&b=2", "api.example.com", "HIT"),
        ("GET", "/items", None, None),
    ]


def test_attempts_from_upstream_status_when_no_times() -> None:
    fmt = compile_log_format('[$time_local] "$request" $status "$upstream_status"')
    parsed = fmt.parse(
        b'[10/Sep/2015:17:57:59 +0000] "GET / HTTP/1.1" 200 "502, 504 : 200"\n'
        b'[10/Sep/2015:17:57:59 +0000] "GET / HTTP/1.1" 200 "-"\n'
    )
    assert parsed.events["attempts"].to_list() == [3, None]


def test_empty_chunk_and_missing_final_newline() -> None:
    fmt = compile_log_format(TIMED)
    empty = fmt.parse(b"")
    assert (empty.events.height, empty.rejects.height) == (0, 0)
    assert empty.events.schema["ts"] == pl.Datetime("us", "UTC")
    parsed = fmt.parse(LINE.encode())  # no trailing newline
    assert parsed.events.height == 1


def test_a_chunk_of_only_malformed_lines_keeps_each_line_and_the_columns() -> None:
    fmt = compile_log_format(TIMED)
    cut = LINE[:60]  # stops after "$request": it followed the template for four variables
    parsed = fmt.parse(f"hello\n{cut}\n".encode())
    assert parsed.events.height == 0
    good = fmt.parse(f"{LINE}\nhello\n".encode())
    assert as_strings(parsed.events).schema == as_strings(good.events).schema
    assert parsed.rejects.rows() == [(0, "not_a_request", "hello"), (1, "truncated", cut)]


def test_crlf_lines() -> None:
    fmt = compile_log_format(TIMED)
    parsed = fmt.parse((LINE + "\r\n" + LINE + "\r\n").encode())
    assert parsed.events["upstream_latency_s"].to_list() == [0.4, 0.4]
    assert parsed.rejects.height == 0


def test_invalid_utf8_is_kept_as_replacement_characters() -> None:
    fmt = compile_log_format(TIMED)
    bad = LINE.replace("/a", "/caf\xe9").encode("latin-1")
    parsed = fmt.parse(bad + b"\n")
    assert parsed.events["path"].to_list() == ["/caf\ufffd"]


def test_fast_and_exact_paths_agree_on_many_lines() -> None:
    """Second method: the regex path over every line must give the kernel path's answer."""
    fmt = compile_log_format(TIMED)
    variants = [
        LINE,
        LINE.replace("0.400", "0.100, 0.300"),
        LINE.replace("0.400", "- : 0.300, 0.001"),
        LINE.replace("0.400", "-"),
        LINE.replace('"curl"', '"a \\x22b\\x22"'),
        LINE.replace('"curl"', '"a \\"b\\" c"'),  # escape=json quoting in a text format
        LINE.replace("+0000", "+0930"),
        LINE.replace("10.0.0.1", "fe80::1%eth0"),
        LINE.replace("200", "abc"),
        LINE[:40],
        "",
    ]
    lines = [variants[i % len(variants)] for i in range(5000)]
    parsed = fmt.parse(("\n".join(lines) + "\n").encode())
    events, rejects = fmt._parse_exact(list(enumerate(lines)))
    assert parsed.events.equals(events.drop("_line"))
    assert parsed.rejects.equals(rejects)
    # 5,000 = 11 x 454 + 6: variants 0-5 appear 455 times, 6-10 454 times; 0-7 are requests
    assert parsed.events.height == 6 * 455 + 2 * 454


def test_unescape() -> None:
    assert unescape_nginx(r"/caf\xC3\xA9") == "/café"
    assert unescape_nginx(r"a\\b \u00e9") == "a\\b é"
    assert unescape_nginx("plain") == "plain"


@pytest.mark.parametrize(
    ("body", "fast"),
    [
        (TIMED, True),
        ('[$time_local] $host:$server_port "$request"', True),  # greedy up to the last ':'
        ('$time_local "$request"', True),  # bare $time_local spans a space
        ('[$time_local] "$request" $status$request_time', False),  # two variables back to back
    ],
)
def test_fast_path_planning(body: str, fast: bool) -> None:
    assert (compile_log_format(body).program is not None) is fast


def test_quoted_time_local_in_the_fast_path() -> None:
    fmt = compile_log_format('"$time_local" "$request" $status $request_time')
    line = b'"10/Sep/2015:17:57:59 -0130" "GET / HTTP/1.1" 200 0.001\n'
    parsed = fmt.parse(line * 600)  # the kernel path answers
    # 17:57:59-01:30 = 19:27:59Z, minus 1 ms
    assert parsed.events["ts"].unique().to_list() == [
        datetime(2015, 9, 10, 19, 27, 58, 999_000, tzinfo=UTC)
    ]
    assert parsed.events.height == 600


def test_sniffing_a_sample_does_not_work_out_the_events_schema() -> None:
    """Format detection compiled every NGINX template, and each compile ran polars' conversion
    on no rows for the events' schema (15-30 ms; 0.1 s of a one-file `apislo ingest`), though
    scoring a sample needs only the kernel's scan. The schema is worked out on the first parse."""
    body = '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time'
    line = '10.0.0.1 [01/Nov/2026:10:00:00 +0000] "GET /v1/a HTTP/1.1" 200 12 0.050'
    fmt = compile_log_format(body)
    assert fmt.sniff([line, "not a request"]) == 0.5
    assert "_no_events" not in vars(fmt)
    events = fmt.parse(f"{line}\n".encode()).events
    assert "_no_events" in vars(fmt)
    assert fmt.program is not None and list(fmt.program.schema) == events.columns
    assert events["status"].to_list() == [200]


def test_a_method_in_lower_case_is_read_from_a_custom_log_format() -> None:
    """``$request`` of your own ``log_format``: ``get`` is a request, stored ``GET`` (until
    2026-11-30 ``bad_request_line``); a ``$request_method`` was read in any case already."""
    with_request = compile_log_format('$msec "$request" $status')
    lines = ['1700000000.123 "get /x HTTP/1.1" 204', '1700000000.124 "Put /x HTTP/1.1" 201']
    assert methods(with_request, lines) == (["get", "Put"], ["GET", "PUT"], [])
    with_method = compile_log_format("$msec $request_method $request_uri $status")
    assert methods(with_method, ["1700000000.123 delete /x 204"]) == (["delete"], ["DELETE"], [])


def test_prepare_works_out_the_program_a_first_parse_would() -> None:
    """The first parse of a process worked out the kernel program (25-30 ms) while the other
    parsing thread waited for it; ingest now asks for it (``prepare``) while it reads the first
    chunk. Expected: after ``prepare``, the program with the events' columns is there, and a
    parse uses that one."""
    body = '$remote_addr [$time_local] "$request" $status $request_time "$http_x_prepared"'
    fmt = get_format("nginx-custom", ParseOptions(log_format=body))
    assert "program" not in vars(fmt.compiled)
    fmt.prepare()
    program = vars(fmt.compiled)["program"]
    assert list(program.schema) == ["ts", "latency_s", "method", "path", "status"]
    line = '10.0.0.1 [01/Nov/2026:10:00:00 +0000] "GET /v1/a HTTP/1.1" 200 0.050 "x"\n'
    assert fmt.parse(line.encode()).events.columns == list(program.schema)
    assert fmt.compiled.program is program
