"""Traefik JSON (nanosecond durations) and default text access logs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from apislo.sources.ingest import ingest
from apislo.sources.logs.traefik import TraefikClf, TraefikJson
from tests.sources.logs import as_strings

UTC = dt.UTC

PROXIED = {
    "ClientAddr": "[::1]:54321",
    "ClientHost": "::1",
    "ClientUsername": "-",
    "DownstreamContentSize": 19,
    "DownstreamStatus": 200,
    "Duration": 2345678,
    "OriginContentSize": 19,
    "OriginDuration": 2000000,
    "OriginStatus": 200,
    "Overhead": 345678,
    "RequestContentSize": 0,
    "RequestHost": "whoami.localhost",
    "RequestMethod": "GET",
    "RequestPath": "/api?token=x",
    "RequestProtocol": "HTTP/1.1",
    "RetryAttempts": 1,
    "RouterName": "whoami-router@docker",
    "ServiceName": "whoami@docker",
    "StartLocal": "2024-01-02T04:04:05.123456789+01:00",
    "StartUTC": "2024-01-02T03:04:05.123456789Z",
    "level": "info",
    "msg": "",
    "time": "2024-01-02T04:04:05+01:00",
}
# A redirect Traefik answered itself: OriginStatus 0, no ServiceName.
SELF_ANSWERED = {
    "DownstreamContentSize": 17,
    "DownstreamStatus": 301,
    "Duration": 51000,
    "OriginDuration": 0,
    "OriginStatus": 0,
    "RequestMethod": "GET",
    "RequestPath": "/",
    "RouterName": "web-to-websecure@internal",
    "StartUTC": "2024-01-02T03:04:05Z",
    "ClientUsername": "alice",
}

CLF_LINES = [
    '192.168.1.10 - - [02/Jan/2024:03:04:05 +0000] "GET /whoami HTTP/1.1" 200 412 "-"'
    ' "Mozilla "x" 5.0" 12 "whoami@docker" "http://172.18.0.3:80" 3ms',
    '::1 - alice [02/Jan/2024:04:04:05 +0100] "GET / HTTP/2.0" - - "-" "curl/8" 13'
    ' "redirect@internal" "-" 0ms',
    'time="2024-01-02T03:04:05Z" level=info msg="Configuration loaded"',
    '192.168.1.10 - - [02/Jan/2024:03:04:05 +0000] "GET /whoami HTTP/1.1" 200',
    '192.168.1.10 - - [02/Jan/2024:03:04:05 +0000] "GET /whoami HTTP/1.1" 200 412 "-" "-" 14'
    ' "whoami@docker" "http://172.18.0.3:80" fastms',
]


def chunk(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_json_values():
    parsed = TraefikJson().parse(chunk(json.dumps(PROXIED), json.dumps(SELF_ANSWERED)))
    assert parsed.rejects.height == 0
    proxied, own = parsed.events.to_dicts()
    assert proxied == {
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),  # ns truncated to us
        "method": "GET",
        "path": "/api?token=REDACTED",
        "host": "whoami.localhost",
        "status": 200,
        "latency_s": 0.002345678,
        "upstream_latency_s": 0.002,
        "attempts": 2,
        "bytes_in": 0,
        "bytes_out": 19,
        "consumer": None,
        "api": "whoami",
    }
    assert (own["status"], own["latency_s"], own["upstream_latency_s"]) == (301, 0.000051, None)
    assert (own["attempts"], own["api"], own["consumer"]) == (None, "web-to-websecure", "alice")


def test_json_rejects_and_sniff():
    bad = dict(PROXIED, Duration="2ms")
    lines = [json.dumps(bad), '{"level":"info","msg":"Starting provider"}', json.dumps(PROXIED)]
    parsed = TraefikJson().parse(chunk(*lines))
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (0, "bad_number"),
        (1, "not_a_request"),
    ]
    assert TraefikJson().sniff(lines) == 2 / 3


def test_json_start_local_when_start_utc_is_dropped(tmp_path: Path):
    """Traefik's docs ("Access Logs", "Time Zones") drop ``StartUTC`` and keep ``StartLocal``:
    04:04:05.123456789+01:00 is 03:04:05.123456 UTC (ns truncated to us). When both are present
    ``StartUTC`` is read (a ``StartLocal`` five hours off shows which), a bad one rejected even
    with a good ``StartLocal``. Such a file is detected and ingested."""
    local = {key: value for key, value in PROXIED.items() if key != "StartUTC"}
    lines = [
        json.dumps(local),
        json.dumps(dict(local, StartLocal="2024-01-02T03:04:06.5Z")),
        json.dumps(dict(PROXIED, StartLocal="2024-01-02T09:04:05+01:00")),
        json.dumps(dict(PROXIED, StartUTC="yesterday")),
    ]
    parsed = TraefikJson().parse(chunk(*lines))
    assert parsed.events["ts"].to_list() == [
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 3, 4, 6, 500000, tzinfo=UTC),
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
    ]
    assert parsed.rejects.select("line_no", "reason").rows() == [(3, "bad_timestamp")]
    log = tmp_path / "traefik.log"
    log.write_text("".join(line + "\n" for line in lines[:2]))
    report = ingest([log], tmp_path / "events")
    assert (list(report.formats.values()), report.records, report.refused) == (
        ["traefik-json"],
        2,
        {},
    )


def test_clf_values_and_rejects():
    parsed = TraefikClf().parse(chunk(*CLF_LINES))
    first, second = parsed.events.to_dicts()
    assert first == {
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "method": "GET",
        "path": "/whoami",
        "status": 200,
        "latency_s": 0.003,
        "bytes_out": 412,
        "consumer": None,
        "api": "whoami",
    }
    assert second["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)  # 04:04:05 +0100
    assert (second["status"], second["bytes_out"], second["latency_s"]) == (None, None, 0.0)
    assert (second["consumer"], second["api"]) == ("alice", "redirect")
    assert parsed.rejects.select("line_no", "reason").rows() == [
        (2, "not_a_request"),
        (3, "truncated"),
        (4, "bad_number"),
    ]
    # Lines 0, 1 and 4 have the shape of the format (4 with a bad number): 3 of 5.
    assert TraefikClf().sniff(CLF_LINES) == 0.6


def test_round_trips():
    json_fmt, clf_fmt = TraefikJson(), TraefikClf()
    original = json_fmt.parse(chunk(json.dumps(PROXIED), json.dumps(SELF_ANSWERED))).events
    again = json_fmt.parse(chunk(*json_fmt.write(original)))
    assert again.rejects.height == 0 and again.events.equals(original)
    original = clf_fmt.parse(chunk(*CLF_LINES[:2])).events
    again = clf_fmt.parse(chunk(*clf_fmt.write(original)))
    assert again.rejects.height == 0 and as_strings(again.events).equals(as_strings(original))


def test_clf_writer_truncates_milliseconds_like_traefik():
    events = TraefikJson().parse(chunk(json.dumps(PROXIED))).events  # 2.345678 ms
    (line,) = TraefikClf().write(events)
    assert line.endswith('"whoami@docker" "http://10.0.0.5:8080" 2ms')
