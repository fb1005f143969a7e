"""Envoy/Istio JSON access logs: values as numbers, strings or null."""

from __future__ import annotations

import datetime as dt
import json

from apislo.sources.logs.envoy_json import EnvoyJson

UTC = dt.UTC

NUMBERS = {
    "start_time": "2024-01-02T03:04:05.678Z",
    "method": "GET",
    "path": "/v2/items/9?token=abc",
    "protocol": "HTTP/1.1",
    "response_code": 200,
    "response_flags": "-",
    "bytes_received": 0,
    "bytes_sent": 12,
    "duration": 35,
    "upstream_service_time": "30",
    "authority": "shop.example",
    "upstream_cluster": "outbound|80||items.shop.svc.cluster.local",
    "upstream_request_attempt_count": 2,
    "downstream_remote_address": "[2001:db8::1]:51000",
}
# Older Istio writes every value as a string; "-" for missing ones.
STRINGS = {
    "start_time": "2024-01-02T03:04:05.000Z",
    "method": "POST",
    "path": "/v2/items",
    "response_code": "0",
    "response_flags": "DC",
    "bytes_received": "512",
    "bytes_sent": "0",
    "duration": "7",
    "upstream_service_time": "-",
    "authority": "-",
    "upstream_cluster": "-",
}
NULLS = dict(STRINGS, upstream_service_time=None, authority=None, response_code=504)


def parse(*records: object, raw: tuple[str, ...] = ()):
    lines = [json.dumps(r) for r in records] + list(raw)
    return EnvoyJson().parse(("\n".join(lines) + "\n").encode())


def test_values():
    parsed = parse(NUMBERS, STRINGS, NULLS)
    assert parsed.rejects.height == 0
    ev = parsed.events.to_dicts()
    assert ev[0] == {
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "method": "GET",
        "path": "/v2/items/9?token=REDACTED",
        "host": "shop.example",
        "status": 200,
        "latency_s": 0.035,
        "upstream_latency_s": 0.03,
        "bytes_in": 0,
        "bytes_out": 12,
        "attempts": 2,
        "api": "items",
        "termination": None,
    }
    assert (ev[1]["status"], ev[1]["termination"], ev[1]["bytes_in"]) == (None, "DC", 512)
    assert (ev[1]["upstream_latency_s"], ev[1]["host"], ev[1]["api"]) == (None, None, None)
    assert (ev[2]["status"], ev[2]["latency_s"]) == (504, 0.007)


def test_rejects():
    bad = dict(NUMBERS, duration="fast")
    parsed = parse(NUMBERS, bad, raw=('{"level": "info", "msg": "x"}', '{"start_time": "2024'))
    assert parsed.events.height == 1
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (1, "bad_number"),
        (2, "not_a_request"),
        (3, "truncated"),
    ]


def test_sniff():
    assert EnvoyJson().sniff([json.dumps(NUMBERS), '{"a": 1}']) == 0.5


def test_round_trip():
    fmt = EnvoyJson()
    original = parse(NUMBERS, STRINGS, NULLS).events
    again = fmt.parse(("\n".join(fmt.write(original)) + "\n").encode())
    assert again.rejects.height == 0
    assert again.events.equals(original)


def test_external_clusters_keep_their_host():
    """A Kubernetes service's cluster names its service; an external host's, the whole host."""
    records = [
        dict(NUMBERS, upstream_cluster="outbound|443||api.github.com"),
        dict(NUMBERS, upstream_cluster="outbound|443||api.stripe.com"),
        dict(NUMBERS, upstream_cluster="outbound|9080|v1|reviews.default.svc"),
    ]
    assert parse(*records).events["api"].to_list() == [
        "api.github.com",
        "api.stripe.com",
        "reviews",
    ]


def test_round_trip_of_dotted_api_names():
    """An API named after a host is written as that host's cluster, and read back whole."""
    fmt = EnvoyJson()
    original = parse(NUMBERS, dict(NUMBERS, upstream_cluster="outbound|443||api.github.com")).events
    lines = fmt.write(original)
    assert json.loads(lines[1])["upstream_cluster"] == "outbound|8080||api.github.com"
    again = fmt.parse(("\n".join(lines) + "\n").encode())
    assert again.events["api"].to_list() == ["items", "api.github.com"]
    assert again.events.equals(original)


def test_control_characters_in_text_are_written_escaped():
    """JSON may carry any control character (``\\u001b``); events get it written as ``\\x1B``,
    so no terminal, chart or page receives it raw."""
    record = dict(NUMBERS, path="/v2/items/\u001b[31mred\u202e", authority="a\u0007b")
    event = parse(record).events.row(0, named=True)
    assert (event["path"], event["host"]) == ("/v2/items/\\x1B[31mred\\u202E", "a\\x07b")
