"""NGINX ``$request`` must be ``METHOD TARGET HTTP/x``, with nothing after the protocol, on both
paths (before, the exact path read ``GET /v1/x HTTP/1.1 extra`` as ``GET /v1/x``, while it
rejected ``GET /a b HTTP/1.1``, as Envoy's and HAProxy's parsers reject both)."""

from __future__ import annotations

import pytest

from apislo.sources.logs.nginx import TIMED
from tests.sources.logs.test_nginx_kernel import _kernel
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


def test_a_lower_case_method_is_kept_by_the_kernel_and_the_exact_path_alike() -> None:
    """NGINX logs the method as the client sent it (``get``): a letter, then letters, ``_`` or
    ``-``, of either case, is a method on both paths (the kernel keeps the line), as written;
    normalising upper-cases it (test_nginx). Until 2026-11-30 both rejected it
    ``bad_request_line``."""
    requests = [
        "get /v1/x HTTP/1.1",
        "Post /v1/y HTTP/2.0",
        "m-search * HTTP/1.1",
        "pRoP_x /z HTTP/1.1",
    ]
    lines = [LINE.format(request) for request in requests]
    parsed = both_paths(TIMED, lines)
    assert parsed.events.select("method", "path").rows() == [
        ("get", "/v1/x"),
        ("Post", "/v1/y"),
        ("m-search", "*"),
        ("pRoP_x", "/z"),
    ]
    _, ok = _kernel(TIMED, [line.encode() for line in lines])
    assert ok.tolist() == [True] * 4


@pytest.mark.parametrize(
    "request_line",
    [
        "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC",  # TLS bytes on a plain-HTTP port
        "get /v1/x",  # no protocol
        "get",
        "-",
        "1get /v1/x HTTP/1.1",  # a method starts with a letter
        "_get /v1/x HTTP/1.1",
        "g3t /v1/x HTTP/1.1",  # letters, "_" and "-" only
        "g\\xC3\\xA9t /v1/x HTTP/1.1",  # "gét": no ASCII letter
        "get /v1/x http/1.1",  # the protocol is as NGINX writes it
    ],
)
def test_garbage_in_either_case_is_still_a_bad_request_line(request_line: str) -> None:
    parsed = both_paths(TIMED, [LINE.format(request_line)])
    assert reasons(parsed) == [(0, "bad_request_line")]
