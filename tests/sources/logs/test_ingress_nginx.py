"""ingress-nginx's default upstreaminfo format (values worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from apislo.sources.logs import get_format
from tests.sources.logs import as_strings, methods

LINES = [
    # plain: end 08:00:00Z - 0.120 s; api from [$proxy_upstream_name]
    '192.168.49.1 - - [01/Jun/2024:08:00:00 +0000] "GET /shop/cart?id=9 HTTP/1.1" 200 615 "-" '
    '"curl/8.4.0" 87 0.120 [shop-cart-80] [] 10.244.0.7:8080 615 0.118 200 '
    "5c1b2f4f0d3e4b6f8a9b0c1d2e3f4a5b",
    # retried: every upstream field is a list; 0.060 + 0.055 = 0.115 s, 2 attempts
    '192.168.49.1 - bob [01/Jun/2024:10:00:01 +0200] "POST /shop/order HTTP/2.0" 201 22 "-" '
    '"okhttp/4" 310 0.130 [shop-order-80] [] 10.244.0.8:8080, 10.244.0.9:8080 0, 22 '
    "0.060, 0.055 502, 201 aa11",
    # default backend (no upstream service): upstream fields "-"... and an IPv6 client
    '2001:db8::7 - - [01/Jun/2024:08:00:02 +0000] "GET /nope HTTP/1.1" 404 146 "-" "x" 75 0.001 '
    "[upstream-default-backend] [] - - - - bb22",
    # plain NGINX combined line: not this format
    '1.2.3.4 - - [01/Jun/2024:08:00:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x"',
]


def test_upstreaminfo_values() -> None:
    parsed = get_format("ingress-nginx").parse(("\n".join(LINES) + "\n").encode())
    rows = parsed.events.to_dicts()
    assert [r["ts"] for r in rows] == [
        datetime(2024, 6, 1, 7, 59, 59, 880_000, tzinfo=UTC),
        datetime(2024, 6, 1, 8, 0, 0, 870_000, tzinfo=UTC),  # 10:00:01+02 = 08:00:01Z - 0.130
        datetime(2024, 6, 1, 8, 0, 1, 999_000, tzinfo=UTC),
    ]
    assert [r["api"] for r in rows] == ["shop-cart-80", "shop-order-80", "upstream-default-backend"]
    assert [r["upstream_latency_s"] for r in rows] == [0.118, 0.115, None]
    assert [r["attempts"] for r in rows] == [1, 2, None]
    assert [(r["bytes_in"], r["bytes_out"]) for r in rows] == [(87, 615), (310, 22), (75, 146)]
    assert [r["consumer"] for r in rows] == [None, "bob", None]
    assert parsed.rejects["line_no"].to_list() == [3]
    assert parsed.events.height + parsed.rejects.height == len(LINES)


def test_round_trip() -> None:
    fmt = get_format("ingress-nginx")
    parsed = fmt.parse(("\n".join(LINES[:2]) + "\n").encode())
    again = fmt.parse(("\n".join(fmt.write(parsed.events)) + "\n").encode())
    assert as_strings(again.events).equals(as_strings(parsed.events))


def test_a_method_in_lower_case_is_read_and_stored_upper_cased() -> None:
    """Until 2026-11-30 ``get`` was ``bad_request_line``."""
    lines = [LINES[0].replace('"GET ', '"get '), LINES[1].replace('"POST ', '"Post ')]
    assert methods(get_format("ingress-nginx"), lines) == (["get", "Post"], ["GET", "POST"], [])
