"""HAProxy ``option httplog``: fixture lines written by hand, one per quirk; values by hand."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import apislo
from apislo.errors import ConfigError
from apislo.sources.logs import haproxy_fast
from apislo.sources.logs.base import ParseOptions
from apislo.sources.logs.haproxy import HaproxyHttp
from tests.sources.logs import as_strings

UTC = dt.UTC

# IPv6 client, older Tq/Tw/Tc/Tr/Tt timers, "+" (option logasap) on Tt and bytes.
IPV6_LOGASAP = (
    "2001:db8::1:40001 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/+109 200 +2750"
    ' - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"'
)
# TLS frontend, no server reached, a captured-header block with spaces and "|".
NOSRV = (
    "10.0.0.9:5555 [06/Feb/2009:12:14:15.000] http-in~ be_api/<NOSRV> 5/-1/-1/-1/8 503 212 - -"
    ' SC-- 2/2/0/0/0 0/0 {api.example.com|curl/8.0 (x86_64) libcurl} "POST /v1/orders HTTP/1.1"'
)
# Two retries (one redispatch "+"), status -1 (no response), API key in the query string.
RETRIED = (
    "10.0.0.10:6000 [06/Feb/2009:12:14:16.250] fe be_api/srv2 0/0/-1/-1/3001 -1 0 - - cH--"
    ' 3/3/1/1/+2 0/0 {host.example} {} "GET /slow?apikey=s3cr3t HTTP/1.1"'
)
BADREQ = (
    "10.0.0.11:6001 [06/Feb/2009:12:14:17.000] fe fe/<NOSRV> -1/-1/-1/-1/0 400 187 - - PR--"
    ' 1/1/0/0/0 0/0 "<BADREQ>"'
)
TRUNCATED = "10.0.0.12:6002 [06/Feb/2009:12:14:18.000] fe be/srv1 0/0/1/2/3 200"
STARTED = "Proxy fe started."
TLS_FAILURE = "10.0.0.15:443 [06/Feb/2009:12:14:18.100] fe/1: SSL handshake failure"
FEB_31 = (
    "10.0.0.13:6003 [31/Feb/2009:12:14:18.000] fe be/srv1 0/0/1/2/3 200 5 - - ---- 1/1/0/0/0"
    ' 0/0 "GET / HTTP/1.1"'
)
# Syslog prefix kept, request cut by HAProxy's log-length (no closing quote).
CUT_REQUEST = (
    "Feb  6 12:14:19 lb haproxy[99]: 10.0.0.14:6004 [06/Feb/2009:12:14:19.500] fe be/srv1"
    ' 0/0/1/2/3 200 5 - - ---- 1/1/0/0/0 0/0 "GET /very/long/pa'
)

# HAProxy writes '"', '#', control characters and bytes from 0x7F of the request line it logs as
# '#' and two hex digits (its url_encode_map): this target is /a"b/café/x<ESC>?q=<0xFF>#frag.
ENCODED = (
    "10.0.0.16:6005 [06/Feb/2009:12:14:20.000] fe be/srv1 0/0/1/2/3 200 5 - - ---- 1/1/0/0/0"
    ' 0/0 "GET /a#22b/caf#C3#A9/x#1B?q=#FF#23frag HTTP/1.1"'
)


def parse(*lines: str, tz: str | None = None):
    return HaproxyHttp(ParseOptions(tz=tz)).parse(("\n".join(lines) + "\n").encode())


def test_event_values():
    parsed = parse(IPV6_LOGASAP, NOSRV, RETRIED, CUT_REQUEST)
    assert parsed.rejects.height == 0
    ev = parsed.events.to_dicts()
    assert ev[0]["ts"] == dt.datetime(2009, 2, 6, 12, 14, 14, 655000, tzinfo=UTC)
    assert (ev[0]["latency_s"], ev[0]["upstream_latency_s"]) == (0.109, 0.069)
    assert (ev[0]["status"], ev[0]["bytes_out"], ev[0]["attempts"]) == (200, 2750, 1)
    assert (ev[0]["api"], ev[0]["path"], ev[0]["termination"]) == ("static", "/index.html", None)

    assert (ev[1]["method"], ev[1]["path"], ev[1]["status"]) == ("POST", "/v1/orders", 503)
    assert (ev[1]["latency_s"], ev[1]["upstream_latency_s"]) == (0.008, None)
    assert (ev[1]["attempts"], ev[1]["api"], ev[1]["termination"]) == (None, "be_api", "SC--")

    assert (ev[2]["status"], ev[2]["latency_s"], ev[2]["upstream_latency_s"]) == (None, 3.001, None)
    assert ev[2]["attempts"] == 3  # retries 2 (+ = redispatched) + the first attempt
    assert ev[2]["path"] == "/slow?apikey=REDACTED"
    assert ev[2]["termination"] == "cH--"

    assert ev[3]["ts"] == dt.datetime(2009, 2, 6, 12, 14, 19, 500000, tzinfo=UTC)
    assert (ev[3]["method"], ev[3]["path"]) == ("GET", "/very/long/pa")


@pytest.mark.parametrize("kernel", [False, True])
def test_encoded_bytes_of_the_request_target_are_decoded(kernel: bool) -> None:
    """Until 2026-11-30 the target was kept encoded and its first '#' taken for a fragment: the
    route of /a#22b/... was /a."""
    fmt = HaproxyHttp()
    chunk = ((ENCODED + "\n") * 20).encode()
    _, kept, _ = haproxy_fast.path(None).run(chunk, 20)
    assert len(kept) == 20  # the kernel reads these lines: both paths decode
    parsed = fmt.parse(chunk) if kernel else fmt._parse_exact(chunk)
    # ESC is stored as NGINX writes it, an invalid UTF-8 byte as U+FFFD
    assert parsed.events["path"].to_list() == ['/a"b/café/x\\x1B?q=\ufffd#frag'] * 20


def test_rejects_and_line_accounting():
    lines = [STARTED, IPV6_LOGASAP, BADREQ, TRUNCATED, TLS_FAILURE, FEB_31, "", NOSRV]
    parsed = parse(*lines)
    assert parsed.events.height + parsed.rejects.height == len(lines)
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "not_a_request"),
        (2, "bad_request_line"),
        (3, "truncated"),
        (4, "not_a_request"),
        (5, "bad_timestamp"),
        (6, "not_a_request"),
    ]
    assert parsed.rejects["line"][1] == BADREQ


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Berlin in summer is UTC+2, in winter UTC+1.
        ("29/Jun/2025:10:00:00.000", dt.datetime(2025, 6, 29, 8, 0, tzinfo=UTC)),
        ("06/Feb/2009:12:14:14.655", dt.datetime(2009, 2, 6, 11, 14, 14, 655000, tzinfo=UTC)),
        # 02:30 happens twice on 26 Oct 2025: the earlier one is still CEST (UTC+2).
        ("26/Oct/2025:02:30:00.000", dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
    ],
)
def test_zone_option(accept, expected):
    line = IPV6_LOGASAP.replace("06/Feb/2009:12:14:14.655", accept)
    assert parse(line, tz="Europe/Berlin").events["ts"].to_list() == [expected]


def test_nonexistent_local_time_is_bad_timestamp():
    # 02:30 does not exist in Berlin on 30 Mar 2025 (clocks jump from 02:00 to 03:00).
    line = IPV6_LOGASAP.replace("06/Feb/2009:12:14:14.655", "30/Mar/2025:02:30:00.000")
    assert parse(line, tz="Europe/Berlin").rejects["reason"].to_list() == ["bad_timestamp"]


def test_unknown_zone_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        parse(IPV6_LOGASAP, tz="Mars/Olympus")
    assert str(caught.value) == (
        "tz 'Mars/Olympus': unknown time zone; pass an IANA name such as Europe/Paris or UTC"
    )


def test_read_logs_refuses_an_empty_zone_and_warns_without_one(tmp_path: Path):
    """HAProxy's dates carry no zone: ``read_logs(..., tz="")`` read them as UTC without a
    word until 2026-11-30; it is refused as ``apislo ingest --tz ''`` is. No zone at all reads
    them as UTC with the warning ``apislo ingest`` gives (``read_logs`` gave none), naming
    ``tz=`` as Python passes it (until 2026-11-30 the command's ``--tz``)."""
    log = tmp_path / "haproxy.log"
    log.write_text(IPV6_LOGASAP + "\n")
    with pytest.raises(ConfigError) as caught:
        apislo.read_logs(log, format="haproxy-http", tz="")
    assert str(caught.value) == (
        "tz '': unknown time zone; pass an IANA name such as Europe/Paris or UTC"
    )
    with pytest.warns(UserWarning) as warned:
        events = apislo.read_logs(log, format="haproxy-http")
    assert [str(w.message) for w in warned] == [
        f"{log}: haproxy-http timestamps carry no time zone; read as UTC (pass tz='ZONE')"
    ]
    assert events["ts"].tolist() == [pd.Timestamp("2009-02-06 12:14:14.655", tz="UTC")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = apislo.read_logs(log, format="haproxy-http", tz="Europe/Berlin")
    # 12:14:14.655 in Berlin in February (CET, UTC+1) is 11:14:14.655 UTC
    assert events["ts"].tolist() == [pd.Timestamp("2009-02-06 11:14:14.655", tz="UTC")]


@pytest.mark.parametrize("tz", ["localtime", "posix/Europe/Paris", "right/UTC"])
def test_a_zone_file_polars_cannot_use_is_refused(tmp_path: Path, tz: str) -> None:
    """Python's ZoneInfo reads any file of the system's zone database, these too, but they
    are no zone names and polars refuses them: until 2026-11-30 the check let them through and
    reading HAProxy's dates stopped with polars' ``ComputeError`` traceback (``apislo ingest
    --tz localtime`` too, the dataset's folder already created). Now they are refused as a bad
    zone."""
    log = tmp_path / "haproxy.log"
    log.write_text(IPV6_LOGASAP + "\n")
    with pytest.raises(ConfigError) as caught:
        apislo.read_logs(log, format="haproxy-http", tz=tz)
    assert str(caught.value) == (
        f"tz {tz!r}: unknown time zone; pass an IANA name such as Europe/Paris or UTC"
    )


def test_zoneless_flag_and_sniff():
    assert HaproxyHttp.zoneless is True
    fmt = HaproxyHttp()
    assert fmt.sniff([IPV6_LOGASAP, NOSRV, STARTED, TRUNCATED]) == 0.5


def test_round_trip():
    # a no-break space (#C2#A0) and U+2028 (#E2#80#A8), white space to a regex's \s: written
    # raw, the line was no request line (until 2026-11-30)
    spaces = ENCODED.replace("/a#22b/caf#C3#A9/x#1B?q=#FF#23frag", "/a#C2#A0b/#E2#80#A8c")
    original = parse(IPV6_LOGASAP, NOSRV, RETRIED, ENCODED, spaces, tz="America/New_York").events
    fmt = HaproxyHttp(ParseOptions(tz="America/New_York"))
    lines = fmt.write(original)
    assert lines[0].startswith("10.0.0.1:40000 [06/Feb/2009:12:14:14.655] ")
    # '"', '#' and from 0x7F written encoded, as HAProxy writes them (since 2026-11-30); the
    # ESC is "\x1B" in events, and U+FFFD is EF BF BD in UTF-8
    assert lines[3].endswith(' "GET /a#22b/caf#C3#A9/x\\x1B?q=#EF#BF#BD#23frag HTTP/1.1"')
    assert lines[4].endswith(' "GET /a#C2#A0b/#E2#80#A8c HTTP/1.1"')
    again = fmt.parse(("\n".join(lines) + "\n").encode())
    assert again.rejects.height == 0
    assert as_strings(again.events).equals(as_strings(original))


def test_write_fills_missing_columns():
    events = pl.DataFrame(
        {
            "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)],
            "method": ["GET"],
            "path": ["/x"],
            "status": [200],
            "latency_s": [0.25],
        }
    )
    (line,) = HaproxyHttp().write(events)
    assert line == (
        "10.0.0.1:40000 [02/Jan/2024:03:04:05.000] fe_https~ be_default/<NOSRV> 0/0/0/-1/250 200"
        ' 0 - - ---- 1/1/0/0/0 0/0 {Mozilla/5.0 (X11; Linux x86_64)} "GET /x HTTP/1.1"'
    )
