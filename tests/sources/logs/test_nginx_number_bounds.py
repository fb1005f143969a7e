"""NGINX-family numbers obey the rules of every other format (``fields.number``,
``fields.status_code``), on the kernel path and the exact path alike.

Before, both paths stored a ``$status`` of -200, 1000 or 99, a ``$body_bytes_sent`` of -5 or
2**53 + 1, an ``$upstream_response_time`` of -0.040, ``nan``, ``1e400`` (inf) or 25 nines, and
an upstream list of 32,768 members or more crashed the whole ingest (``attempts`` is Int16).
Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from apislo.sources.logs import get_format, nginx_fast
from apislo.sources.logs.base import Parsed
from apislo.sources.logs.ingress_nginx import UPSTREAMINFO
from apislo.sources.logs.nginx import TIMED
from apislo.sources.logs.nginx_format import compile_log_format
from tests.sources.logs.test_nginx_kernel import _agree

LINE = (
    '10.0.0.1 - alice [10/Sep/2015:17:57:59 +0000] "GET /a HTTP/1.1" {status} {size} "-" "curl" '
    "{rtime} {upstream}"
)
#: A template whose attempts come from ``$upstream_status`` (counted, not summed).
COUNTED = '$msec "$request" $status "$upstream_status" $bytes_sent'


def timed(status: str = "200", size: str = "5", rtime: str = "0.500", upstream: str = "0.400"):
    """One ``nginx-timed`` line with the given fields."""
    return LINE.format(status=status, size=size, rtime=rtime, upstream=upstream)


def both_paths(body: str, lines: list[str]) -> Parsed:
    """The parse of ``lines`` (kernel, then the exact path for what it declines), after checking
    that the exact path alone gives the same events and rejects."""
    fmt = compile_log_format(body)
    parsed = fmt.parse("".join(line + "\n" for line in lines).encode())
    events, rejects = fmt._parse_exact(list(enumerate(lines)))
    assert parsed.events.equals(events.drop("_line"))
    assert parsed.rejects.equals(rejects)
    assert parsed.events.height + parsed.rejects.height == len(lines)
    return parsed


def reasons(parsed: Parsed) -> list[tuple[int, str]]:
    return list(parsed.rejects.select("line_no", "reason").iter_rows())


@pytest.mark.parametrize(
    "line",
    [
        timed(status="-200"),
        timed(status="1000"),  # a status has three digits: 100-999
        timed(status="99"),
        timed(status="099"),
        timed(size="-5"),
        timed(size="9007199254740993"),  # 2**53 + 1
        timed(size="9007199254740992"),  # 2**53 itself
        timed(upstream="-0.040"),
        timed(upstream="0.010, -1"),  # was summed to -0.99
        timed(upstream="nan"),
        timed(upstream="1e400"),  # inf
        timed(upstream="9" * 25),  # 1e25 s: 2**53 or more
        timed(rtime="nan"),
        # ten members of 999999999999999 (15 digits, each read by the kernel) sum to
        # 9.99999999999999e15, past 2**53 = 9.007e15
        timed(upstream=", ".join(["999999999999999"] * 10)),
    ],
)
def test_a_number_no_gateway_writes_is_a_bad_number(line: str) -> None:
    parsed = both_paths(TIMED, [line])
    assert reasons(parsed) == [(0, "bad_number")]


def test_status_000_is_no_response_and_bounds_are_kept() -> None:
    lines = [
        timed(status="000"),  # NGINX writes a status of 0 (no response sent) as 000: null
        timed(status="0"),
        timed(status="100"),
        timed(status="999"),
        timed(size="9007199254740991"),  # 2**53 - 1: the largest size taken
        timed(upstream="0.010, -"),  # "-" members are no time: 0.010 over 2 attempts
    ]
    parsed = both_paths(TIMED, lines)
    assert reasons(parsed) == []
    assert parsed.events.select("status", "bytes_out", "upstream_latency_s", "attempts").rows() == [
        (None, 5, 0.4, 1),
        (None, 5, 0.4, 1),
        (100, 5, 0.4, 1),
        (999, 5, 0.4, 1),
        (200, 9007199254740991, 0.4, 1),
        (200, 5, 0.01, 2),
    ]


@pytest.mark.parametrize("separator", [", ", " : "])
def test_a_list_longer_than_attempts_holds_is_a_bad_number(separator: str) -> None:
    lines = [
        timed(upstream=separator.join(["0.001"] * 32_768)),  # one more than Int16 holds
        timed(upstream=separator.join(["0.001"] * 100_000)),
        timed(upstream=separator.join(["0.001"] * 32_767)),  # 32.767 s over 32,767 attempts
        timed(upstream=separator.join(["-"] * 32_767)),  # no time over 32,767 attempts
    ]
    parsed = both_paths(TIMED, lines)
    assert reasons(parsed) == [(0, "bad_number"), (1, "bad_number")]
    assert parsed.events.select("upstream_latency_s", "attempts").rows() == [
        (32.767, 32_767),
        (None, 32_767),
    ]


def test_a_counted_list_longer_than_attempts_holds_is_a_bad_number() -> None:
    line = '1700000000.250 "GET /a HTTP/1.1" 502 "{}" 10'
    lines = [line.format(", ".join(["502"] * 32_768)), line.format(" : ".join(["502"] * 32_767))]
    parsed = both_paths(COUNTED, lines)
    assert reasons(parsed) == [(0, "bad_number")]
    assert parsed.events.select("status", "attempts", "bytes_out").rows() == [(502, 32_767, 10)]


def test_ingress_nginx_negative_request_length() -> None:
    line = (
        '192.168.1.1 - - [19/Nov/2026:12:00:11 +0000] "GET /v1/a HTTP/1.1" 200 5 "-" "curl" '
        "{} 0.050 [default-svc-80] [] 10.0.0.1:80 5 0.049 200 abc"
    )
    parsed = both_paths(UPSTREAMINFO, [line.format("-327"), line.format("327")])
    assert reasons(parsed) == [(0, "bad_number")]
    assert parsed.events.select("bytes_in", "bytes_out", "attempts").rows() == [(327, 5, 1)]


def test_nginx_json_numbers() -> None:
    head = '{"time":"2026-11-19T12:00:01Z","request":"GET /v1/a HTTP/1.1",'
    lines = [
        head + '"status":"200","request_length":9007199254740993}',
        head + '"status":"200","body_bytes_sent":-3}',
        head + '"status":-200}',
        head + '"status":"000"}',
        head + '"status":200,"upstream_response_time":"0.1, -0.2"}',
        head
        + '"status":200,"request_length":9007199254740991,"upstream_response_time":"0.1, 0.2"}',
    ]
    parsed = get_format("nginx-json").parse(("\n".join(lines) + "\n").encode())
    assert reasons(parsed) == [
        (0, "bad_number"),
        (1, "bad_number"),
        (2, "bad_number"),
        (4, "bad_number"),
    ]
    assert parsed.events.select("status", "bytes_in", "upstream_latency_s", "attempts").rows() == [
        (None, None, None, None),
        (200, 9007199254740991, 0.3, 2),
    ]


def _messy(rng: random.Random) -> str:
    """A ``nginx-timed`` line whose numbers are often out of bounds."""
    return timed(
        status=rng.choice(["200", "503", "000", "0", "-200", "1000", "99", "099", "999", "100"]),
        size=rng.choice(["0", "5", "-5", "9007199254740991", "9007199254740992", "1e3", "5.0"]),
        rtime=rng.choice(["0.500", "nan", "-0.5", "inf", "31535999.999"]),
        upstream=rng.choice(
            [
                "0.400",
                "-",
                "-0.040",
                "0.010, -1",
                "nan",
                "1e400",
                "9" * 25,
                "0.1 : 0.2, -",
                ", ".join(["999999999999999"] * 10),
                ", ".join(["0.001"] * rng.choice([32_767, 32_768])),
            ]
        ),
    )


def test_both_paths_agree_on_out_of_bound_numbers() -> None:
    rng = random.Random(29)
    lines = [_messy(rng) for _ in range(400)]
    events, kept = _agree(TIMED, lines)
    assert 0 < kept <= events < len(lines)
    parsed = compile_log_format(TIMED).parse("".join(x + "\n" for x in lines).encode())
    statuses = parsed.events["status"].drop_nulls()
    assert statuses.is_between(100, 999).all()
    assert (parsed.events["bytes_out"].drop_nulls() < 2**53).all()
    assert parsed.events.select(pl.col("upstream_latency_s").is_nan().any()).item() is False


def test_the_kernel_keeps_values_inside_the_bounds_and_declines_the_others() -> None:
    program = compile_log_format(TIMED).program
    assert program is not None
    lines = [
        timed(status="100"),  # 0: kept
        timed(status="999"),  # 1: kept
        timed(status="99"),  # 2: declined
        timed(status="1000"),  # 3: declined
        timed(status="0"),  # 4: declined (null on the exact path, 0 in the kernel)
        timed(size="9007199254740991"),  # 5: kept (2**53 - 1)
        timed(size="9007199254740992"),  # 6: declined
        timed(upstream=", ".join(["0.001"] * 32_767)),  # 7: kept
        timed(upstream=", ".join(["0.001"] * 32_768)),  # 8: declined
        timed(upstream=", ".join(["999999999999999"] * 10)),  # 9: declined (sum >= 2**53)
    ]
    chunk = "".join(line + "\n" for line in lines).encode()
    _, declined = nginx_fast.run(program, chunk, len(lines))
    assert declined.tolist() == [2, 3, 4, 6, 8, 9]
