"""Kong 3.x ``kong_log_format`` (values worked out by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

from apislo.sources.logs import get_format
from tests.sources.logs import as_strings, methods

LINES = [
    '172.19.0.1 - - [12/Mar/2024:09:15:30 +0000] "GET /mock/anything?apikey=s3cr3t HTTP/1.1" '
    '200 1024 "-" "HTTPie/3.2.2" kong_request_id: "8f2ba4421cd3b44b5d2a9e6b2c1f4d10"',
    '172.19.0.1 - - [12/Mar/2024:10:15:31 +0100] "POST /mock/post HTTP/1.1" 401 26 "-" '
    '"curl/8.4.0" kong_request_id: "-"',
    # NGINX combined without the kong_request_id suffix: not this format
    '172.19.0.1 - - [12/Mar/2024:09:15:32 +0000] "GET / HTTP/1.1" 200 1 "-" "x"',
]


def test_kong_proxy_values() -> None:
    parsed = get_format("kong-proxy").parse(("\n".join(LINES) + "\n").encode())
    rows = parsed.events.to_dicts()
    # no latency in this format: ts is the logged time (10:15:31+01 = 09:15:31Z)
    assert [r["ts"] for r in rows] == [
        datetime(2024, 3, 12, 9, 15, 30, tzinfo=UTC),
        datetime(2024, 3, 12, 9, 15, 31, tzinfo=UTC),
    ]
    assert [(r["method"], r["status"], r["bytes_out"]) for r in rows] == [
        ("GET", 200, 1024),
        ("POST", 401, 26),
    ]
    # Kong clients often pass the key in the query string: it must not be stored
    assert rows[0]["path"] == "/mock/anything?apikey=REDACTED"
    assert parsed.rejects["line_no"].to_list() == [2]


def test_round_trip() -> None:
    fmt = get_format("kong-proxy")
    parsed = fmt.parse(("\n".join(LINES[1:2]) + "\n").encode())
    again = fmt.parse(("\n".join(fmt.write(parsed.events)) + "\n").encode())
    assert as_strings(again.events).equals(as_strings(parsed.events))


def test_a_method_in_lower_case_is_read_and_stored_upper_cased() -> None:
    """Until 2026-11-30 ``get`` was ``bad_request_line``."""
    lines = [LINES[0].replace('"GET ', '"get '), LINES[1].replace('"POST ', '"post ')]
    assert methods(get_format("kong-proxy"), lines) == (["get", "post"], ["GET", "POST"], [])
