"""Kong file-log / http-log JSON: fixture records written by hand, values worked out by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import polars as pl
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.sources.logs.kong_json import KongJson

UTC = dt.UTC

# started_at 1700000000123 ms = 2023-11-14T22:13:20.123Z (1700000000 s is 2023-11-14 22:13:20).
PROXIED = {
    "started_at": 1700000000123,
    "latencies": {"request": 250, "proxy": 200, "kong": 50},
    "request": {
        "method": "GET",
        "uri": "/v1/orders/42?apikey=abc&x=1",
        "size": "120",
        "headers": {"host": "api.example.com", "apikey": "abc", "user-agent": "curl/8"},
        "querystring": {"apikey": "abc", "x": "1"},
    },
    "response": {"status": 200, "size": "512", "headers": {"x-cache-status": "Miss"}},
    "service": {"name": "orders", "host": "orders.internal"},
    "tries": [{"ip": "10.0.0.1", "port": 80}, {"ip": "10.0.0.2", "port": 80}],
    "client_ip": "2001:db8::7",
}
NOT_PROXIED = {
    "started_at": 1700000000000,
    "latencies": {"request": 5, "proxy": -1, "kong": 5},
    "request": {"method": "post", "uri": "/x", "size": 10, "headers": {}, "querystring": {}},
    "response": {"status": 401, "size": 20},
    "consumer": {"username": "bob", "id": "c-1"},
}
BY_ID = {
    "started_at": 1700000000001,
    "latencies": {"request": 7, "proxy": 3, "kong": 4},
    "request": {"method": "GET", "uri": "/y", "querystring": {"apikey": "zzz"}},
    "response": {"status": 200},
    "consumer": {"id": "4f1c"},
}
QUERY_KEY_ONLY = {
    "started_at": 1700000000002,
    "latencies": {"request": 1, "proxy": 0, "kong": 1},
    "request": {"method": "GET", "uri": "/z?apikey=zzz", "querystring": {"apikey": "zzz"}},
    "response": {"status": 200},
}


def chunk(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_single_record_values_and_key_scrubbing():
    parsed = KongJson().parse(chunk(json.dumps(PROXIED)))
    assert parsed.rejects.height == 0
    (row,) = parsed.events.to_dicts()
    assert row["ts"] == dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert (row["latency_s"], row["upstream_latency_s"]) == (0.25, 0.2)
    assert (row["attempts"], row["bytes_in"], row["bytes_out"]) == (2, 120, 512)
    assert (row["method"], row["status"], row["api"]) == ("GET", 200, "orders")
    assert (row["host"], row["cache_status"]) == ("api.example.com", "Miss")
    assert row["path"] == "/v1/orders/42?apikey=REDACTED&x=1"
    # sha256("abc") = ba7816bf8f01cfea... (the FIPS 180-2 test vector).
    assert row["consumer"] == "key-ba7816bf8f01"
    assert not any(isinstance(v, str) and "abc" in v for v in row.values())


def test_batch_line_gives_several_events_and_consumer_precedence():
    lines = [json.dumps([NOT_PROXIED, BY_ID]), json.dumps(QUERY_KEY_ONLY)]
    parsed = KongJson().parse(chunk(*lines))
    assert parsed.rejects.height == 0
    ev = parsed.events.to_dicts()
    assert (
        [e["consumer"] for e in ev]
        == [
            "bob",  # username before id
            "4f1c",  # id before any key
            "key-" + hashlib.sha256(b"zzz").hexdigest()[:12],  # only a query-string key
        ]
    )
    assert (ev[0]["method"], ev[0]["status"], ev[0]["latency_s"]) == ("POST", 401, 0.005)
    assert (ev[0]["upstream_latency_s"], ev[0]["attempts"]) == (None, None)  # proxy -1
    assert (ev[1]["latency_s"], ev[1]["upstream_latency_s"]) == (0.007, 0.003)
    assert ev[1]["ts"] == dt.datetime(2023, 11, 14, 22, 13, 20, 1000, tzinfo=UTC)
    assert ev[2]["upstream_latency_s"] == 0.0  # proxy 0 ms is a real (fast) upstream time
    assert ev[2]["path"] == "/z?apikey=REDACTED"


def test_rejects():
    bad_latency = dict(PROXIED, latencies={"request": "slow", "proxy": 1, "kong": 1})
    no_start = {k: v for k, v in PROXIED.items() if k != "started_at"}
    lines = [
        json.dumps(PROXIED),
        "",
        '{"message": "kong started"}',
        json.dumps(bad_latency),
        json.dumps(no_start),
        json.dumps(PROXIED)[:60],
        '{"started_at": 1, "latencies": {}} trailing',
    ]
    parsed = KongJson().parse(chunk(*lines))
    assert parsed.events.height == 1
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (1, "not_a_request"),
        (2, "not_a_request"),
        (3, "bad_number"),
        (4, "bad_timestamp"),
        (5, "truncated"),
        (6, "bad_json"),
    ]


def test_sniff():
    fmt = KongJson()
    lines = [json.dumps(PROXIED), json.dumps([NOT_PROXIED]), '{"a": 1}', "GET / HTTP/1.1"]
    assert fmt.sniff(lines) == 0.5


def test_round_trip():
    fmt = KongJson()
    original = fmt.parse(chunk(json.dumps(PROXIED), json.dumps([NOT_PROXIED, BY_ID]))).events
    lines = fmt.write(original)
    record = json.loads(lines[1])
    assert record["latencies"] == {"request": 5, "proxy": -1, "kong": 5}
    assert record["started_at"] == 1700000000000
    again = fmt.parse(chunk(*lines))
    assert again.rejects.height == 0
    assert again.events.equals(original)


def test_write_rounds_to_whole_milliseconds():
    events = pl.DataFrame(
        {
            "ts": [dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)],
            "method": ["GET"],
            "path": ["/a"],
            "status": [200],
            "latency_s": [0.0126],
            "upstream_latency_s": [0.0104],
        }
    )
    record = json.loads(KongJson().write(events)[0])
    # 2024-01-02T03:04:05.678901Z = 1704164645678.901 ms, truncated to 1704164645678.
    assert record["started_at"] == 1704164645678
    assert record["latencies"] == {"request": 13, "proxy": 10, "kong": 3}


def test_bad_element_of_a_batch_is_rejected_alone():
    bad = dict(BY_ID, latencies={"request": "x", "proxy": 1, "kong": 1})
    line = json.dumps([NOT_PROXIED, bad, "not a record", BY_ID])
    parsed = KongJson().parse(chunk(line))
    assert parsed.events["consumer"].to_list() == ["bob", "4f1c"]
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "not_a_request"),
        (0, "bad_number"),
    ]
    assert parsed.rejects["line"].to_list() == ['"not a record"', json.dumps(bad)]


def test_a_query_key_without_a_value_is_no_key(tmp_path):
    """Kong logs a bare `?apikey` as `"apikey": true` in `querystring`: the text `true` was
    hashed as the key, every such request one made-up consumer (`key-b5bea41b6c62`, SHA-256 of
    `true`). It is no key, nor is an empty one (`?apikey=`, `""`): the consumer comes from the
    next source, the header key (`abc`: FIPS 180-2's vector, SHA-256 ba7816bf...), or none.
    The whole command stores the same."""
    bare = {"method": "GET", "uri": "/z?apikey", "querystring": {"apikey": True}}
    empty = {"method": "GET", "uri": "/z?apikey=", "querystring": {"apikey": ""}}
    header = dict(bare, headers={"apikey": "abc"})
    records = [dict(QUERY_KEY_ONLY, request=r) for r in (bare, empty, header)]
    parsed = KongJson().parse(chunk(*map(json.dumps, records)))
    assert parsed.events["consumer"].to_list() == [None, None, "key-ba7816bf8f01"]
    log = tmp_path / "kong.json"
    log.write_bytes(chunk(*map(json.dumps, records)))
    args = ["ingest", str(log), "--out", str(tmp_path / "events"), "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    stored = apislo.load(tmp_path / "events")["consumer"]
    assert stored.isna().tolist() == [True, True, False]
    assert stored[2] == "key-ba7816bf8f01"


def test_the_key_true_is_a_key_unlike_a_bare_apikey(tmp_path):
    """`?apikey=true` is logged as `"apikey": "true"`, a string, and a header key `true` alike:
    keys like any other. Read as text they looked like a bare `?apikey` (the boolean `true`),
    and the requests had no consumer. Now the string is hashed (`printf true | sha256sum`:
    b5bea41b6c62...) and the boolean is still no key: in plain lines, in a chunk holding a line
    that is no JSON (read apart), in a batch, and through the whole command."""
    requests = [
        {"method": "GET", "uri": "/z?apikey", "querystring": {"apikey": True}},
        {"method": "GET", "uri": "/z?apikey=true", "querystring": {"apikey": "true"}},
        {"method": "GET", "uri": "/z", "headers": {"apikey": "true"}},
    ]
    lines = [json.dumps(dict(QUERY_KEY_ONLY, request=r)) for r in requests]
    expected = [None, "key-b5bea41b6c62", "key-b5bea41b6c62"]
    assert KongJson().parse(chunk(*lines)).events["consumer"].to_list() == expected
    mixed = KongJson().parse(chunk("not json", *lines))
    assert mixed.events["consumer"].to_list() == expected
    batch = KongJson().parse(chunk("[" + ", ".join(lines) + "]"))
    assert batch.events["consumer"].to_list() == expected
    log = tmp_path / "kong.json"
    log.write_bytes(chunk(*lines))
    args = ["ingest", str(log), "--out", str(tmp_path / "events"), "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    stored = apislo.load(tmp_path / "events")["consumer"]
    assert stored.isna().tolist() == [True, False, False]
    assert stored[1:].tolist() == ["key-b5bea41b6c62", "key-b5bea41b6c62"]


def test_a_key_given_twice_is_no_key():
    """Kong logs `?apikey=k1&apikey=k2` as `"apikey": ["k1", "k2"]`, and a header given twice
    alike; its key-auth plugin refuses such a request (401 "Duplicate API key found"). The
    list's text was hashed, one made-up consumer per pair (`key-f7b219945cda`, SHA-256 of
    `["k1", "k2"]`). It is no key: the header key names the consumer (`abc`: FIPS 180-2's
    vector, SHA-256 ba7816bf...), or none does. A key that merely starts with `[` is one
    (`printf '[k' | sha256sum`: 6d8647376df0...)."""
    twice = {
        "method": "GET",
        "uri": "/z?apikey=k1&apikey=k2",
        "querystring": {"apikey": ["k1", "k2"]},
    }
    requests = [
        twice,
        dict(twice, headers={"apikey": "abc"}),
        {"method": "GET", "uri": "/z", "headers": {"apikey": ["h1", "h2"]}},
        {"method": "GET", "uri": "/z?apikey=[k", "querystring": {"apikey": "[k"}},
    ]
    records = [dict(QUERY_KEY_ONLY, request=r) for r in requests]
    parsed = KongJson().parse(chunk(*map(json.dumps, records)))
    assert parsed.events["consumer"].to_list() == [
        None,
        "key-ba7816bf8f01",
        None,
        "key-6d8647376df0",
    ]


def test_a_key_of_thousands_of_brackets_is_a_key_not_a_crash(tmp_path):
    """Any client may send `?apikey=[[[...` (3,000 of them fit in NGINX's 8 KiB request
    line). Kong logs the text as given; telling a key given twice (a JSON list) from it
    decoded it, which Python's decoder refused with a RecursionError: ingest stopped with a
    traceback, and did again on every run while the log was there. It is a key like any
    other, hashed (SHA-256 of the 3,000 brackets, by hashlib here)."""
    key = "[" * 3000
    request = {"method": "GET", "uri": f"/z?apikey={key}", "querystring": {"apikey": key}}
    line = json.dumps(dict(QUERY_KEY_ONLY, request=request))
    expected = "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]
    assert KongJson().parse(chunk(line)).events["consumer"].to_list() == [expected]
    log = tmp_path / "kong.json"
    log.write_bytes(chunk(line, json.dumps(QUERY_KEY_ONLY)))
    result = CliRunner().invoke(main, ["ingest", str(log), "--out", str(tmp_path / "ev"), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(apislo.load(tmp_path / "ev")["consumer"]) == sorted(
        [expected, "key-" + hashlib.sha256(b"zzz").hexdigest()[:12]]
    )
