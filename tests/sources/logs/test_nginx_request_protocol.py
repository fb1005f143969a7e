"""NGINX ``$request`` must be ``METHOD TARGET HTTP/x``, with nothing after the protocol, on both
paths (before, the exact path read ``GET /v1/x HTTP/1.1 extra`` as ``GET /v1/x``, while it
rejected ``GET /a b HTTP/1.1``, as Envoy's and HAProxy's parsers reject both)."""

from __future__ import annotations

import pytest

from apislo.sources.logs.nginx import TIMED
from tests.sources.logs.test_nginx_number_bounds import both_paths, reasons

LINE = '10.0.0.1 - - [10/Sep/2015:17:57:59 +0000] "{}" 200 5 "-" "curl" 0.500 0.400'


@pytest.mark.parametrize(
    "request_line",
    [
        "GET /v1/x HTTP/1.1 extra",
        "GET /v1/x HTTP/1.1 HTTP/1.1",
        "GET /a b HTTP/1.1",
        "GET /v1/x HTTP/1.1 ",
    ],
)
def test_text_after_the_protocol_is_a_bad_request_line(request_line: str) -> None:
    parsed = both_paths(TIMED, [LINE.format(request_line)])
    assert reasons(parsed) == [(0, "bad_request_line")]


def test_a_plain_request_line_is_kept() -> None:
    parsed = both_paths(
        TIMED, [LINE.format("GET /v1/x?a=b HTTP/1.1"), LINE.format("PUT /v1/y HTTP/2.0")]
    )
    assert parsed.events.select("method", "path").rows() == [("GET", "/v1/x?a=b"), ("PUT", "/v1/y")]
