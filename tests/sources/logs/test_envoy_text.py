"""Envoy default and Istio default text access logs: hand-written lines, hand-worked values."""

from __future__ import annotations

import datetime as dt

from apislo.sources.logs.envoy_text import EnvoyText
from tests.sources.logs import as_strings

UTC = dt.UTC

# The example of Envoy's documentation (default format).
ENVOY_DEFAULT = (
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100'
    ' "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations"'
    ' "tcp://10.0.2.1:80"'
)
ISTIO = (
    '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4'
    ' "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000"'
    ' "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652'
    " 10.0.45.184:8000 10.44.1.23:46520 - default"
)
# Client left (status 0), IPv6 everywhere, unescaped quotes in the user agent, a token.
CLIENT_LEFT = (
    '[2024-06-02T13:24:57.930Z] "GET /slow?access_token=t0k HTTP/2" 0 DC'
    ' downstream_remote_disconnect - "-" 0 0 15003 - "2001:db8::5, 10.0.0.1"'
    ' "Mozilla/5.0 "quoted" (X11)" "9f69865b" "api.example.com" "[2001:db8::9]:8080"'
    " outbound|80||orders.shop.svc.cluster.local [2001:db8::a]:35794 10.0.1.244:8443"
    " [2001:db8::5]:8459 api.example.com -"
)
UPSTREAM_FAILURE = (
    '[2024-01-02T03:04:05.000Z] "GET /x HTTP/1.1" 503 UF,URX'
    ' upstream_reset_before_response_started{connection_failure} - "-" 0 91 2 - "-" "curl"'
    ' "id" "h" "10.0.0.1:80" outbound|80||svc.ns.svc.cluster.local - 10.0.0.2:80'
    " 10.0.0.3:5555 - default"
)
# Istio 1.6's default: two quoted fields after the flags; an inbound cluster.
ISTIO_16 = (
    '[2020-05-06T14:49:27.128Z] "GET /status/418 HTTP/1.1" 418 - "-" "-" 0 135 4 4 "-"'
    ' "curl/7.69.1" "d0e7b5ab-7d3b-99b5-b0b0-2d56ca5a7f1c" "httpbin:8000" "127.0.0.1:80"'
    " inbound|8000|http|httpbin.foo.svc.cluster.local 127.0.0.1:48454 10.44.1.27:80"
    " 10.44.1.23:37652 outbound_.8000_._.httpbin.foo.svc.cluster.local default"
)
ENVOY_OWN_LOG = "[2024-06-02 13:35:27.054][1][info][main] starting main dispatch loop"
TRUNCATED = '[2024-06-02T13:35:27.054Z] "GET / HTTP/2" 302 UAEX ext_authz_de'
TCP = '[2024-06-02T13:35:27.054Z] "- - -" 0 UF 0 0 1 - "-" "-" "-" "-" "10.0.0.1:80"'
BAD_TIME = ENVOY_DEFAULT.replace("2016-04-15T20:17:00.310Z", "2016-13-45T20:17:00.310Z")
BAD_DURATION = ENVOY_DEFAULT.replace(" 226 100 ", " 22x 100 ")


def parse(*lines: str):
    return EnvoyText().parse(("\n".join(lines) + "\n").encode())


def test_envoy_default_line():
    (row,) = parse(ENVOY_DEFAULT).events.to_dicts()
    assert row == {
        "ts": dt.datetime(2016, 4, 15, 20, 17, 0, 310000, tzinfo=UTC),
        "method": "POST",
        "path": "/api/v1/locations",
        "host": "locations",
        "status": 204,
        "latency_s": 0.226,
        "upstream_latency_s": 0.1,
        "bytes_in": 154,
        "bytes_out": 0,
        "api": None,
        "termination": None,
    }


def test_istio_lines():
    ev = parse(ISTIO, CLIENT_LEFT, UPSTREAM_FAILURE).events.to_dicts()
    assert (ev[0]["status"], ev[0]["latency_s"], ev[0]["upstream_latency_s"]) == (418, 0.004, 0.004)
    assert (ev[0]["bytes_out"], ev[0]["host"], ev[0]["api"]) == (135, "httpbin:8000", "httpbin")
    assert ev[1]["status"] is None  # 0: the client disconnected before a response
    assert (ev[1]["termination"], ev[1]["latency_s"], ev[1]["upstream_latency_s"]) == (
        "DC",
        15.003,
        None,
    )
    assert (ev[1]["path"], ev[1]["api"]) == ("/slow?access_token=REDACTED", "orders")
    assert (ev[2]["status"], ev[2]["termination"], ev[2]["upstream_latency_s"]) == (
        503,
        "UF,URX",
        None,
    )


def test_istio_1_6_line():
    (row,) = parse(ISTIO_16).events.to_dicts()
    assert row["ts"] == dt.datetime(2020, 5, 6, 14, 49, 27, 128000, tzinfo=UTC)
    assert (row["status"], row["bytes_in"], row["bytes_out"]) == (418, 0, 135)
    assert (row["latency_s"], row["upstream_latency_s"], row["api"]) == (0.004, 0.004, "httpbin")


def test_rejects():
    lines = [ENVOY_OWN_LOG, ENVOY_DEFAULT, TRUNCATED, TCP, BAD_TIME, BAD_DURATION, ""]
    parsed = parse(*lines)
    assert parsed.events.height == 1
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "not_a_request"),
        (2, "truncated"),
        (3, "bad_request_line"),
        (4, "bad_timestamp"),
        (5, "bad_number"),
        (6, "not_a_request"),
    ]


def test_sniff():
    assert EnvoyText().sniff([ENVOY_DEFAULT, ISTIO, ENVOY_OWN_LOG, TRUNCATED]) == 0.5


def test_round_trip():
    fmt = EnvoyText()
    original = parse(ENVOY_DEFAULT, ISTIO, CLIENT_LEFT, UPSTREAM_FAILURE).events
    lines = fmt.write(original)
    assert lines[1].startswith('[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - ')
    again = fmt.parse(("\n".join(lines) + "\n").encode())
    assert again.rejects.height == 0
    assert as_strings(again.events).equals(as_strings(original))


def test_external_clusters_keep_their_host_and_round_trip():
    """Two external APIs (Istio ServiceEntry clusters) stay apart, and an API named after a host
    is written as that host's cluster, read back whole."""
    lines = [
        ISTIO.replace("outbound|8000||httpbin.foo.svc.cluster.local", cluster)
        for cluster in ("outbound|443||api.github.com", "outbound|443||api.stripe.com")
    ]
    original = parse(ISTIO, *lines).events
    assert original["api"].to_list() == ["httpbin", "api.github.com", "api.stripe.com"]
    written = EnvoyText().write(original)
    assert [line.split()[-6] for line in written] == [
        "outbound|8080||httpbin.default.svc",
        "outbound|8080||api.github.com",
        "outbound|8080||api.stripe.com",
    ]
    again = parse(*written)
    assert as_strings(again.events).equals(as_strings(original))
