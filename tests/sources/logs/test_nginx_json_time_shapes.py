"""nginx-json: one key holding times of several shapes (``$time_local`` on some lines,
``$time_iso8601`` or ``$msec`` on others, after a log_format change): each value is read by its
own shape. Times worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from apislo.sources.logs.base import Parsed
from apislo.sources.logs.nginx_json import NginxJson

UTC = dt.UTC
REST = '"request":"GET /v1/x HTTP/1.1","status":"200","request_time":"0.456"}'
# 10:48:03 at +0100 is 09:48:03Z; less 0.456 s.
LOCAL = '{"time":"18/Nov/2026:10:48:03 +0100",' + REST
LOCAL_TS = dt.datetime(2026, 11, 18, 9, 48, 2, 544_000, tzinfo=UTC)
ISO = '{"time":"2026-11-18T10:48:04+00:00",' + REST
ISO_TS = dt.datetime(2026, 11, 18, 10, 48, 3, 544_000, tzinfo=UTC)
# 2026-11-18T00:00:00Z is day 20,775 since 1970 (56 years with 14 leap days, then 321 days):
# 1,794,960,000 s; 10:50:00.250 adds 39,000.25 s. Less 0.456 s.
MSEC = '{"time":"1794999000.250",' + REST
MSEC_TS = dt.datetime(2026, 11, 18, 10, 49, 59, 794_000, tzinfo=UTC)
BAD_LOCAL = '{"time":"18/Nov/2026:10:48:99 +0000",' + REST
BAD_ISO = '{"time":"2026-13-18T10:48:04+00:00",' + REST


def parse(*lines: str) -> Parsed:
    return NginxJson().parse("".join(line + "\n" for line in lines).encode())


@pytest.mark.parametrize(
    ("lines", "stamps"),
    [
        ((LOCAL, ISO, MSEC), [LOCAL_TS, ISO_TS, MSEC_TS]),
        ((ISO, LOCAL, MSEC, ISO), [ISO_TS, LOCAL_TS, MSEC_TS, ISO_TS]),
        ((MSEC, ISO, LOCAL), [MSEC_TS, ISO_TS, LOCAL_TS]),
    ],
)
def test_each_time_is_read_by_its_shape(lines: tuple[str, ...], stamps: list) -> None:
    parsed = parse(*lines)
    assert parsed.rejects.height == 0
    assert parsed.events["ts"].to_list() == stamps
    assert parsed.events["latency_s"].to_list() == [0.456] * len(lines)


def test_a_bad_time_of_either_shape_is_still_a_bad_timestamp() -> None:
    parsed = parse(LOCAL, BAD_ISO, ISO, BAD_LOCAL)
    assert parsed.events["ts"].to_list() == [LOCAL_TS, ISO_TS]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (1, "bad_timestamp"),
        (3, "bad_timestamp"),
    ]


@pytest.mark.parametrize("other", ['"time_local":"18/Nov/2026:11:49:59 +0100"', '"@timestamp":"x"'])
def test_a_msec_key_wins_over_another_time_key(other: str) -> None:
    """An object logging ``msec`` beside ``time_iso8601`` or ``time_local`` (to the second) was
    read by the other, its start up to a second early (here 10:49:58.544 instead of .794):
    ``msec`` is read now, whatever the other holds."""
    line = '{"time_iso8601":"2026-11-18T10:49:59+00:00",' + other + ',"msec":"1794999000.250",'
    parsed = parse(line + REST)
    assert (parsed.events["ts"].to_list(), parsed.rejects.height) == ([MSEC_TS], 0)
