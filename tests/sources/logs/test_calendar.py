"""Request times outside years 1970-9999 are ``bad_timestamp`` in every format (Go's zero time
``0001-01-01T00:00:00Z``, which an offset or a latency turned into year 0 and a crash of ingest),
durations too long to subtract from a time are ``bad_number``, and the kernel paths agree with
the regex paths on such lines. Boundaries worked out by hand: 253,402,300,800 s after the epoch
is 10000-01-01T00:00:00Z (NGINX's ``$msec`` limit)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import apislo
from apislo.sources.logs import ParseOptions, get_format
from apislo.sources.logs.envoy_text import EnvoyText
from apislo.sources.logs.haproxy import HaproxyHttp
from apislo.sources.logs.nginx import TIMED
from apislo.sources.logs.nginx_format import compile_log_format
from apislo.sources.logs.traefik import TraefikClf
from tests.sources.logs import agree
from tests.sources.logs.test_envoy_text import ENVOY_DEFAULT
from tests.sources.logs.test_haproxy_fast import GOOD as HAPROXY
from tests.sources.logs.test_traefik_fast import GOOD as TRAEFIK_CLF

UTC = dt.UTC
ZERO = "0001-01-01T00:00:00Z"


def rows(name: str, *lines: str, tz: str | None = None) -> tuple[list, list]:
    """Each line's parse: the events' ``ts`` and the rejects' reasons."""
    parsed = get_format(name, ParseOptions(tz=tz)).parse(
        "".join(line + "\n" for line in lines).encode()
    )
    return parsed.events["ts"].to_list(), parsed.rejects["reason"].to_list()


def test_go_zero_time_in_json_formats() -> None:
    tyk = {"method": "GET", "path": "/v2/n", "response_code": 200, "timestamp": ZERO}
    tyk |= {"request_time": 5, "latency": {"total": 5, "upstream": 3}}
    assert rows("tyk-json", json.dumps(tyk)) == ([], ["bad_timestamp"])
    traefik = {"StartUTC": ZERO, "Duration": 49000000, "DownstreamStatus": 200}
    traefik |= {"RequestMethod": "GET", "RequestPath": "/v1/users"}
    assert rows("traefik-json", json.dumps(traefik)) == ([], ["bad_timestamp"])
    envoy = {"start_time": ZERO, "method": "GET", "path": "/", "response_code": 200}
    assert rows("envoy-json", json.dumps(envoy | {"duration": 1})) == ([], ["bad_timestamp"])


def test_tyk_start_is_checked_after_the_latency_and_a_huge_latency_is_a_bad_number() -> None:
    def tyk(timestamp: str, total: int) -> str:
        record = {"method": "GET", "path": "/", "response_code": 200, "timestamp": timestamp}
        return json.dumps(record | {"request_time": total, "latency": {"total": total}})

    # 00:00:00.005 less 5 ms is the epoch itself: kept; 00:00:00.004 less 5 ms is 1969.
    assert rows("tyk-json", tyk("1970-01-01T00:00:00.005Z", 5)) == (
        [dt.datetime(1970, 1, 1, tzinfo=UTC)],
        [],
    )
    assert rows("tyk-json", tyk("1970-01-01T00:00:00.004Z", 5)) == ([], ["bad_timestamp"])
    # 9e15 ms is 285,000 years (the subtraction overflowed); a year (31,536,000,000 ms) is
    # too long, a millisecond less is taken.
    assert rows("tyk-json", tyk("2026-11-18T10:00:00Z", 9 * 10**15)) == ([], ["bad_number"])
    assert rows("tyk-json", tyk("2026-11-18T10:00:00Z", 31_536_000_000)) == ([], ["bad_number"])
    # 2026-11-18T10:00:00Z less 364 days 23:59:59.999 is 2025-11-18T10:00:00.001Z
    assert rows("tyk-json", tyk("2026-11-18T10:00:00Z", 31_535_999_999)) == (
        [dt.datetime(2025, 11, 18, 10, 0, 0, 1000, tzinfo=UTC)],
        [],
    )


def test_epoch_milliseconds_off_the_calendar() -> None:
    def kong(started_at: int) -> str:
        record = {"request": {"method": "GET", "uri": "/"}, "response": {"status": 200}}
        return json.dumps(record | {"latencies": {"request": 1}, "started_at": started_at})

    last = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert rows("kong-json", kong(253_402_300_799_000)) == ([last], [])
    assert rows("kong-json", kong(253_402_300_800_000)) == ([], ["bad_timestamp"])
    assert rows("kong-json", kong(-1)) == ([], ["bad_timestamp"])
    assert rows("kong-json", kong(0)) == ([dt.datetime(1970, 1, 1, tzinfo=UTC)], [])


def nginx(time_local: str, request_time: str = "0.010") -> str:
    return (
        f'1.2.3.4 - - [{time_local}] "GET /v2/orders HTTP/1.1" 200 10 "-" "curl" {request_time} -'
    )


NGINX_EDGES = [
    nginx("01/Jan/0001:00:00:00 +0100"),  # 0000-12-31T23:00Z: the exact path's
    nginx("01/Jan/1500:00:00:00 +0000"),  # kept by the kernel, which reads years 1000-9999
    nginx("01/Jan/1970:00:00:00 +0000"),  # less 10 ms: 1969
    nginx("31/Dec/9999:23:59:59 -0100"),  # 10000-01-01T00:59:59Z
    nginx("01/Jan/1970:00:00:01 +0000"),  # less 10 ms: 1970-01-01T00:00:00.990Z
    nginx("31/Dec/9999:23:59:59 +0000", "-"),  # the last second of the calendar
]


def test_nginx_times_off_the_calendar_both_paths() -> None:
    fmt = compile_log_format(TIMED)
    chunk = "".join(line + "\n" for line in NGINX_EDGES).encode()
    parsed = fmt.parse(chunk)
    exact_events, exact_rejects = fmt._parse_exact(list(enumerate(NGINX_EDGES)))
    assert parsed.events.equals(exact_events.drop("_line"))
    assert parsed.rejects.equals(exact_rejects)
    assert parsed.events["ts"].to_list() == [
        dt.datetime(1970, 1, 1, 0, 0, 0, 990_000, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (i, "bad_timestamp") for i in range(4)
    ]


@pytest.mark.parametrize(
    ("fmt", "good", "old", "news"),
    [
        (
            EnvoyText(),
            ENVOY_DEFAULT,
            "2016-04-15T20:17:00.310Z",
            [
                "1500-01-01T00:00:00.000Z",
                "0001-01-01T00:00:00.000+01:00",
                "9999-12-31T23:59:59.000-01:00",
                "1969-12-31T23:59:59.999Z",
            ],
        ),
        (
            TraefikClf(),
            TRAEFIK_CLF,
            "02/Jan/2024:03:04:05 +0000",
            [
                "01/Jan/1500:00:00:00 +0000",
                "01/Jan/0001:00:00:00 +0100",
                "31/Dec/9999:23:59:59 -0100",
                "31/Dec/1969:23:59:59 +0000",
            ],
        ),
        (
            HaproxyHttp(ParseOptions(tz="Europe/Paris")),
            HAPROXY,
            "06/Feb/2009:12:14:14.655",
            # Paris was at +01:00 in 1970 (and LMT +00:09:21 in year 1)
            [
                "01/Jan/1500:00:00:00.000",
                "01/Jan/1970:00:30:00.000",
                "01/Jan/0001:00:00:00.000",
                "01/Jan/1970:00:59:59.999",
            ],
        ),
    ],
    ids=["envoy-text", "traefik-clf", "haproxy-http"],
)
def test_kernel_formats_reject_times_off_the_calendar_as_their_regex_does(
    fmt: object, good: str, old: str, news: list[str]
) -> None:
    lines = [good, *(good.replace(old, new, 1) for new in news), good]
    parsed = agree(fmt, lines)
    assert parsed.events.height == 2
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (i, "bad_timestamp") for i in range(1, len(news) + 1)
    ]


def test_kernel_formats_keep_the_first_times_of_the_calendar() -> None:
    envoy = ENVOY_DEFAULT.replace("2016-04-15T20:17:00.310Z", "1970-01-01T00:00:00.000Z")
    assert agree(EnvoyText(), [envoy]).events["ts"].to_list() == [
        dt.datetime(1970, 1, 1, tzinfo=UTC)
    ]
    # 01:00:00 in Paris (+01:00) is the epoch
    haproxy = HAPROXY.replace("06/Feb/2009:12:14:14.655", "01/Jan/1970:01:00:00.000")
    parsed = agree(HaproxyHttp(ParseOptions(tz="Europe/Paris")), [haproxy])
    assert parsed.events["ts"].to_list() == [dt.datetime(1970, 1, 1, tzinfo=UTC)]


def test_ingest_goes_on_past_a_zero_time(tmp_path: Path) -> None:
    """One Tyk record with Go's zero time no longer stops the run: it is quarantined, the
    other file stored."""
    logs = tmp_path / "logs"
    logs.mkdir()
    record = {"method": "GET", "path": "/v2/n", "response_code": 200, "timestamp": ZERO}
    (logs / "tyk.log").write_text(json.dumps(record | {"request_time": 5}) + "\n")
    (logs / "z-nginx.log").write_text(nginx("17/Nov/2026:12:00:10 +0000") + "\n")
    report = apislo.ingest([logs], tmp_path / "ds", max_reject_rate=1.0)
    assert report.records == 1
    assert report.rejected == {"bad_timestamp": 1}
    assert len(apislo.load(tmp_path / "ds")) == 1
