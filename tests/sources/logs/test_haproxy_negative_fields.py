"""HAProxy: only ``-1`` is a timer's sentinel (not reached); any other negative timer, byte count
or retry count is ``bad_number``, on the kernel path and the regex path alike (before, a
negative ``TR``, ``Tw`` or ``Tc`` was accepted and a byte count of ``-7`` was ``truncated``)."""

from __future__ import annotations

import pytest

from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.haproxy import HaproxyHttp
from tests.sources.logs import agree

LINE = (
    "10.0.0.1:40000 [19/Nov/2026:12:00:06.984] fe~ users/srv1 {timers} 200 {size} - - ---- "
    '1/1/0/0/{retries} 0/0 "GET /v1/users/5 HTTP/1.1"'
)


def line(timers: str = "0/0/0/14/16", size: str = "1318", retries: str = "0") -> str:
    return LINE.format(timers=timers, size=size, retries=retries)


@pytest.mark.parametrize(
    "text",
    [
        line(timers="-5/0/0/14/16"),
        line(timers="0/-3/0/14/16"),
        line(timers="0/0/-2/14/16"),
        line(timers="0/0/0/-9/16"),
        line(timers="0/0/0/14/-16"),
        line(size="-7"),
        line(retries="-3"),
    ],
)
def test_a_negative_field_is_a_bad_number(text: str) -> None:
    parsed = agree(HaproxyHttp(ParseOptions(tz="UTC")), [text])
    assert parsed.rejects.select("line_no", "reason").rows() == [(0, "bad_number")]


def test_minus_one_timers_are_nulls() -> None:
    lines = [line(timers="-1/-1/-1/-1/16"), line(timers="0/0/0/14/16", retries="+2")]
    parsed = agree(HaproxyHttp(ParseOptions(tz="UTC")), lines)
    # Ta 16 ms, Tr 14 ms (-1: null); retries 2 ("+": redispatched) -> 3 attempts
    assert parsed.events.select(
        "latency_s", "upstream_latency_s", "bytes_out", "attempts"
    ).rows() == [
        (0.016, None, 1318, 1),
        (0.016, 0.014, 1318, 3),
    ]
