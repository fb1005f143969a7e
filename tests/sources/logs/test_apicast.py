"""3scale APIcast's ``time`` log format (values worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from apislo.sources.logs import get_format
from tests.sources.logs import as_strings, methods

LINES = [
    # end 12:00:00Z - 0.045 s; empty $post_action_impact leaves a trailing space
    "[05/Feb/2024:12:00:00 +0000] api-3scale-apicast-staging.example.com:8080 10.128.2.1:51234 "
    '"GET /products/7?page=2 HTTP/1.1" 200 321 (0.045) ',
    # IPv6 client: the port is what follows the last colon; zone +0100
    "[05/Feb/2024:13:00:01 +0100] api.example.com:8443 2001:db8::9:40000 "
    '"POST /orders HTTP/1.1" 403 0 (0.002) 1',
    # APIcast start-up message in the same stream
    '2024/02/05 12:00:02 [notice] 1#1: using the "epoll" event method',
]


def test_apicast_values() -> None:
    parsed = get_format("apicast").parse(("\n".join(LINES) + "\n").encode())
    rows = parsed.events.to_dicts()
    assert [r["ts"] for r in rows] == [
        datetime(2024, 2, 5, 11, 59, 59, 955_000, tzinfo=UTC),
        datetime(2024, 2, 5, 12, 0, 0, 998_000, tzinfo=UTC),
    ]
    assert [r["host"] for r in rows] == [
        "api-3scale-apicast-staging.example.com",
        "api.example.com",
    ]
    assert [(r["method"], r["path"], r["status"], r["bytes_out"]) for r in rows] == [
        ("GET", "/products/7?page=2", 200, 321),
        ("POST", "/orders", 403, 0),
    ]
    assert list(zip(parsed.rejects["line_no"], parsed.rejects["reason"], strict=True)) == [
        (2, "not_a_request")
    ]


def test_round_trip() -> None:
    fmt = get_format("apicast")
    parsed = fmt.parse(("\n".join(LINES[:2]) + "\n").encode())
    lines = fmt.write(parsed.events)
    assert lines[0].startswith("[05/Feb/2024:12:00:00 +0000] api-3scale-apicast-staging")
    again = fmt.parse(("\n".join(lines) + "\n").encode())
    assert as_strings(again.events).equals(as_strings(parsed.events))


def test_a_method_in_lower_case_is_read_and_stored_upper_cased() -> None:
    """Until 2026-11-30 ``get`` was ``bad_request_line``."""
    lines = [LINES[0].replace('"GET ', '"get '), LINES[1].replace('"POST ', '"pOST ')]
    assert methods(get_format("apicast"), lines) == (["get", "pOST"], ["GET", "POST"], [])
