"""The C kernel path of the NGINX parser: exact values, what it declines, and agreement with
the exact (regex) path line for line on a large mixed corpus, for every built-in template.

Expected values are worked out by hand in the comments; the agreement tests use the exact path as
the second method.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from apislo.sources.logs import nginx_fast
from apislo.sources.logs.apicast import APICAST_TIME
from apislo.sources.logs.ingress_nginx import UPSTREAMINFO
from apislo.sources.logs.kong_proxy import KONG_LOG_FORMAT
from apislo.sources.logs.nginx import COMBINED, TIMED
from apislo.sources.logs.nginx_format import compile_log_format
from apislo.sources.logs.nginx_kernel import count_lines, encode_spans, find_any
from tests.sources.logs import Messy, mangle

GOOD = (
    '10.0.0.1 - alice [10/Sep/2015:17:57:59 +0000] "GET /a?x=1 HTTP/1.1" 200 5 "-" "curl" '
    "0.500 0.400"
)


def _kernel(body: str, lines: list[bytes]) -> tuple[pl.DataFrame, np.ndarray]:
    """Events and per-line ok flags from the kernel path alone."""
    program = compile_log_format(body).program
    assert program is not None
    chunk = b"".join(line + b"\n" for line in lines)
    events, declined = nginx_fast.run(program, chunk, len(lines))
    ok = np.ones(len(lines), dtype=bool)
    ok[declined] = False
    return events, ok


def test_time_local_zones_and_leap_day() -> None:
    lines = [
        # 29 Feb 2024 23:59:59 at -01:30 = 1 Mar 01:29:59Z; minus 0.500 s
        GOOD.replace("10/Sep/2015:17:57:59 +0000", "29/Feb/2024:23:59:59 -0130").encode(),
        # 1 Jan 2000 00:00:00 at +0545 = 31 Dec 1999 18:15:00Z; minus 0.500 s
        GOOD.replace("10/Sep/2015:17:57:59 +0000", "01/Jan/2000:00:00:00 +0545").encode(),
    ]
    events, ok = _kernel(TIMED, lines)
    assert ok.tolist() == [True, True]
    assert events["ts"].to_list() == [
        datetime(2024, 3, 1, 1, 29, 58, 500_000, tzinfo=UTC),
        datetime(1999, 12, 31, 18, 14, 59, 500_000, tzinfo=UTC),
    ]


def test_consecutive_lines_change_day_and_zone() -> None:
    """The kernel converts a day and zone once and reuses them while lines repeat them: each
    change, and each invalid date or clock after a valid one, must still be seen."""
    stamps = [
        "31/Dec/2024:23:59:59 +0000",  # 23:59:59Z, minus 0.500 s
        "01/Jan/2025:00:00:00 +0000",  # next day: 00:00:00Z, minus 0.500 s
        "01/Jan/2025:00:00:00 +0100",  # same day, new zone: 31 Dec 23:00:00Z, minus 0.500 s
        "29/Feb/2025:00:00:00 +0100",  # 2025 is not a leap year: declined
        "01/Jan/2025:12:00:00 +0100",  # 11:00:00Z, minus 0.500 s
        "01/Jan/2025:12:00:60 +0100",  # no 60th second: declined
        "01/Jan/2025:12:00:00 +0160",  # no 60th minute in a zone: declined
    ]
    lines = [GOOD.replace("10/Sep/2015:17:57:59 +0000", stamp).encode() for stamp in stamps]
    events, ok = _kernel(TIMED, lines)
    assert ok.tolist() == [True, True, True, False, True, False, False]
    assert events["ts"].to_list() == [
        datetime(2024, 12, 31, 23, 59, 58, 500_000, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
        datetime(2024, 12, 31, 22, 59, 59, 500_000, tzinfo=UTC),
        datetime(2025, 1, 1, 10, 59, 59, 500_000, tzinfo=UTC),
    ]


def test_iso_time_with_fraction_and_msec() -> None:
    iso = '$time_iso8601 "$request" $status $request_time'
    events, ok = _kernel(iso, [b'2024-02-29T23:59:59.123456+05:30 "GET / HTTP/2.0" 204 0.023'])
    # 23:59:59.123456+05:30 = 18:29:59.123456Z; minus 0.023 s = 18:29:59.100456
    assert ok.tolist() == [True]
    assert events["ts"].to_list() == [datetime(2024, 2, 29, 18, 29, 59, 100_456, tzinfo=UTC)]
    events, ok = _kernel('$msec "$request" $status', [b'1700000000.250 "GET / HTTP/1.1" 200'])
    # 1700000000 s = 2023-11-14T22:13:20Z
    assert events["ts"].to_list() == [datetime(2023, 11, 14, 22, 13, 20, 250_000, tzinfo=UTC)]


def test_upstream_lists_are_summed_and_counted() -> None:
    lines = [
        GOOD.replace(" 0.400", " 0.512, 0.034 : -").encode(),  # 0.546 s over 3 attempts
        GOOD.replace(" 0.400", " - : -").encode(),  # 2 attempts, no time
        GOOD.replace(" 0.400", " -").encode(),  # never proxied: both null
        GOOD.replace(" 0.400", " 0.1, 0.2").encode(),  # 0.3 (rounded to the microsecond)
    ]
    events, ok = _kernel(TIMED, lines)
    assert ok.all()
    assert events["upstream_latency_s"].to_list() == [0.546, None, None, 0.3]
    assert events["attempts"].to_list() == [3, 2, None, 2]


def test_strings_status_bytes_and_escapes() -> None:
    line = GOOD.replace("/a?x=1", "/s?q=\\x22a\\x22&apikey=s3cr3t&Token=t").replace(
        " 5 ", " 12345 "
    )
    events, ok = _kernel(TIMED, [line.encode()])
    assert ok.tolist() == [True]
    row = events.row(0, named=True)
    assert (row["method"], row["path"], row["consumer"]) == (
        "GET",
        '/s?q="a"&apikey=REDACTED&Token=REDACTED',
        "alice",
    )
    assert (row["status"], row["bytes_out"], row["latency_s"]) == (200, 12345, 0.5)


@pytest.mark.parametrize(
    "line",
    [
        GOOD.replace("0.500", "5e-1"),  # a number the kernel does not read: the regex path does
        GOOD.replace(" 200 ", " 0200 "),  # leading zero
        GOOD.replace("/a?x=1", "/caf\xe9"),  # non-ASCII target
        GOOD.replace("GET /a?x=1 HTTP/1.1", "\\x16\\x03\\x01"),  # TLS bytes
        GOOD.replace("17:57:59", "17:57:60"),  # leap second
        GOOD.replace("Sep", "sep"),
        GOOD[:60],
        "",
    ],
)
def test_kernel_declines_what_it_cannot_vouch_for(line: str) -> None:
    _, ok = _kernel(TIMED, [line.encode("utf-8", errors="surrogateescape")])
    assert ok.tolist() == [False]


def test_greedy_fields_keep_ipv6_colons() -> None:
    line = (
        b"[10/Sep/2015:17:57:59 +0000] api.example.com:443 2001:db8::1:51234 "
        b'"GET /p HTTP/1.1" 200 5 (0.250) 1'
    )
    events, ok = _kernel(APICAST_TIME, [line])
    assert ok.tolist() == [True]
    # host is everything before the last ':' of its field; 17:57:59 - 0.25 s
    assert events.select("host", "latency_s", "ts").row(0) == (
        "api.example.com",
        0.25,
        datetime(2015, 9, 10, 17, 57, 58, 750_000, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("body", "kernel"),
    [
        (TIMED, True),
        (APICAST_TIME, True),
        ("[$time_local] $status$request_time", False),  # two variables back to back
        ("[$time_local] $upstream_status|$status", False),  # a list ended by an odd literal
        ("[$upstream_addr] [$time_local] $status", False),  # "]" would end the list
    ],
)
def test_planning(body: str, kernel: bool) -> None:
    assert (compile_log_format(body).program is not None) is kernel


# ---------------------------------------------------------------------- agreement on a corpus

_ZONES = ["+0000", "+0200", "-0500", "+0530", "-0130", "+1400"]
_UPSTREAMS = ["0.400", "-", "0.512, 0.034", "- : 0.300, 0.001", "0.1 : 0.2", "0.100, abc", "1e3"]
_PATHS = ["/a", "/a?x=1&apikey=k", "/s?q=\\x22x\\x22", '/j\\"k', "/caf\xe9", "/%20"]


def _line(rng: random.Random) -> str:
    """One line of a deliberately messy ``nginx-timed`` log."""
    kind = rng.random()
    if kind < 0.03:
        return rng.choice(["", "garbage", "2015/09/10 17:58:06 [error] 7#7: *1 open()", "\x00\xff"])
    addr = rng.choice(["10.0.0.1", "2001:db8::17", "fe80::1%eth0", "-"])
    user = rng.choice(["-", "bob", ""])
    day = rng.choice(["10/Sep/2015", "29/Feb/2024", "31/Feb/2015", "01/Jan/1999"])
    clock = rng.choice(["17:57:59", "00:00:00", "23:59:59", "24:00:00"])
    method = rng.choice(["GET", "POST", "PROPFIND", "get", "M-SEARCH"])
    proto = rng.choice(["HTTP/1.1", "HTTP/2.0", "HTTP/1.1", "HTTP/9"])
    request = rng.choice([f"{method} {rng.choice(_PATHS)} {proto}", "-", "\\x16\\x03\\x01"])
    status = rng.choice(["200", "404", "-", "0200", "abc", "99999"])
    size = rng.choice(["0", "1534", "-", "007"])
    agent = rng.choice(["curl/8", 'UA \\"q\\"', "UA \\x22q\\x22", "-", "a\\"])
    rtime = rng.choice(["0.500", "0.000", "-", "fast", "1.", "0.1234567"])
    line = (
        f'{addr} - {user} [{day}:{clock} {rng.choice(_ZONES)}] "{request}" {status} {size} '
        f'"-" "{agent}" {rtime} {rng.choice(_UPSTREAMS)}'
    )
    return mangle(rng, line)


def _corpus(n: int, seed: int = 11) -> list[str]:
    rng = Messy(seed, odd=0.2)
    return [_line(rng) for _ in range(n)]


def _agree(body: str, lines: list[str]) -> tuple[int, int]:
    """Assert both paths give the same events and rejects; return (events, kernel-kept lines)."""
    fmt = compile_log_format(body)
    chunk = "".join(line + "\n" for line in lines).encode("utf-8", errors="surrogateescape")
    parsed = fmt.parse(chunk)
    decoded = chunk.decode("utf-8", errors="replace").split("\n")[:-1]
    exact_events, exact_rejects = fmt._parse_exact(
        [(i, line.removesuffix("\r")) for i, line in enumerate(decoded)]
    )
    assert parsed.events.equals(exact_events.drop("_line"))
    assert parsed.rejects.equals(exact_rejects)
    assert parsed.events.height + parsed.rejects.height == len(lines)
    assert fmt.program is not None
    _, declined = nginx_fast.run(fmt.program, chunk, len(lines))
    return parsed.events.height, len(lines) - len(declined)


def test_timed_agrees_with_the_exact_path_on_a_messy_corpus() -> None:
    events, kept = _agree(TIMED, _corpus(30_000))
    # The corpus is mostly bad on purpose; the kernel must still carry a good share of it
    # (every kept line is an event) and decline the rest.
    assert events > 6_000
    assert 3_000 < kept <= events


@pytest.mark.parametrize(
    "body",
    [
        COMBINED,
        UPSTREAMINFO,
        APICAST_TIME,
        KONG_LOG_FORMAT,
        '$remote_addr "$time_local" "$request" $status $request_time',
        "$time_iso8601 $request_method $uri $args $status $host $upstream_cache_status",
        '$msec "$request" $status "$upstream_status" $bytes_sent',
        # two times: $msec is the one read (the other skipped), by both paths
        '$remote_addr [$time_local] $msec "$request" $status $request_time',
        '$time_iso8601 $msec "$request" $status $request_time',
    ],
)
def test_other_templates_agree(body: str) -> None:
    """Lines written by the template's own writer, then mangled, parse alike on both paths."""
    fmt = compile_log_format(body)
    rng = random.Random(5)
    n = 3_000
    events = pl.DataFrame(
        {
            "ts": [datetime(2024, 1, 1, 12, 0, s % 60, tzinfo=UTC) for s in range(n)],
            "method": [rng.choice(["GET", "POST"]) for _ in range(n)],
            "path": [rng.choice(["/a", "/b?x=1", '/q"x', "/v1/o/7"]) for _ in range(n)],
            "host": [rng.choice(["api.example.com", None]) for _ in range(n)],
            "status": [rng.choice([200, 503, None]) for _ in range(n)],
            "latency_s": [rng.choice([0.25, 1.5, None]) for _ in range(n)],
            "upstream_latency_s": [rng.choice([0.2, None]) for _ in range(n)],
            "attempts": [rng.choice([1, 3]) for _ in range(n)],
            "bytes_out": [rng.choice([0, 10, None]) for _ in range(n)],
            "cache_status": [rng.choice(["HIT", None]) for _ in range(n)],
        },
        schema_overrides={"status": pl.Int16, "attempts": pl.Int16},
    )
    lines = fmt.write(events)
    for i in range(0, n, 7):  # cut, pad or break one line in seven
        lines[i] = rng.choice([lines[i][: len(lines[i]) // 2], lines[i] + "\r", "x " + lines[i]])
    _, kept = _agree(body, lines)
    assert kept > n // 2


def test_count_lines_word_at_a_time() -> None:
    # 3 newlines in the first 8 bytes, then 20 x "ab\n" = 20 more, then an unaligned tail
    data = b"a\nb\n\ncde" + b"ab\n" * 20 + b"\n\nxyz"
    buf = np.frombuffer(data, dtype=np.uint8)
    assert count_lines(buf, 0, len(data)) == 3 + 20 + 2
    assert count_lines(buf, 1, 4) == 2  # "\nb\n"
    assert count_lines(buf, 5, 5) == 0
    assert count_lines(np.frombuffer(b"\n" * 1000, dtype=np.uint8), 3, 1000) == 997


def test_count_lines_in_long_runs() -> None:
    """Lengths and offsets around the 16-byte blocks and the 255 blocks a byte lane can count
    before it overflows (4,080 bytes): all newlines, then every third byte a newline."""
    every = np.frombuffer(b"\n" * 10_000, dtype=np.uint8)
    for start, stop in [(0, 4080), (0, 4096), (1, 8177), (7, 10_000), (15, 31), (3, 16)]:
        assert count_lines(every, start, stop) == stop - start
    thirds = np.frombuffer(b"ab\n" * 5_000, dtype=np.uint8)  # newlines at 2, 5, 8, ...
    assert count_lines(thirds, 0, 15_000) == 5_000
    assert count_lines(thirds, 3, 12_243) == 4_080  # 2 + 3k for k = 1 .. 4,080


def _spans(values: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values back to back in one buffer, with each one's start and end offsets."""
    buf = np.frombuffer(b"".join(values) + b"\0" * 8, dtype=np.uint8)
    ends = np.cumsum([len(v) for v in values]).astype(np.int64)
    return buf, ends - [len(v) for v in values], ends


def test_encode_spans_hand_vector() -> None:
    buf, starts, ends = _spans([b"GET", b"POST", b"GET", b"", b"POST", b"GE"])
    # rows 0..5 in order; distinct values in order of first sight: GET, POST, "", GE
    codes, firsts = encode_spans(buf, starts, ends, np.arange(6, dtype=np.int64))
    assert codes.tolist() == [0, 1, 0, 2, 1, 3]
    assert firsts.tolist() == [0, 1, 3, 5]
    # a subset of rows, in the order given: POST (row 4), GET (row 2), POST (row 1)
    codes, firsts = encode_spans(buf, starts, ends, np.array([4, 2, 1], dtype=np.int64))
    assert codes.tolist() == [0, 1, 0]
    assert firsts.tolist() == [4, 2]


def test_encode_spans_grows_its_table_and_matches_a_dict() -> None:
    """Second method: a Python dict numbering values by first sight. 3,000 distinct values (the
    table starts at 1,024 slots, so it grows twice) of lengths 0 to 39, repeated at random."""
    rng = random.Random(11)
    distinct = [
        bytes(rng.choice(b"/ab0{}?=-") for _ in range(rng.randrange(40))) for _ in range(3000)
    ]
    values = [rng.choice(distinct) for _ in range(20_000)]
    buf, starts, ends = _spans(values)
    codes, firsts = encode_spans(buf, starts, ends, np.arange(len(values), dtype=np.int64))
    numbering: dict[bytes, int] = {}
    expected = [numbering.setdefault(v, len(numbering)) for v in values]
    assert codes.tolist() == expected
    assert [values[r] for r in firsts.tolist()] == list(numbering)


def test_word_at_a_time_search_finds_the_first_match_at_every_offset() -> None:
    """Second method: ``bytes.find``. A target at each offset 0..23 of a 24-byte buffer, searched
    from every start, so matches fall in the first, middle and last byte of words and in the
    byte-by-byte tail."""
    for at in range(24):
        data = bytearray(b"x" * 24)
        data[at] = ord('"')
        buf = np.frombuffer(bytes(data) + b"\0" * 8, dtype=np.uint8)
        for start in range(24):
            expected = data.find(b'"', start)
            found = find_any(buf, start, 24, 34, 10, 92)
            assert found == (24 if expected < 0 else expected)
