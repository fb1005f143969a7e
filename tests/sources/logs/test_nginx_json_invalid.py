"""nginx-json: a line that is no valid JSON is ``bad_json`` whatever keys it seems to hold, alone
in its chunk as after valid lines (before, alone it was ``not_a_request``: no key was learned
from it), as the Kong, Envoy, Traefik and Tyk JSON parsers say."""

from __future__ import annotations

from apislo.sources.logs import get_format

TRAILING_COMMA = (
    '{"time":"2026-11-19T12:00:01Z","request":"GET /v1/shipping/8 HTTP/1.1","status":"200",'
    '"request_time":"0.5",}'
)
VALID = (
    '{"time_iso8601":"2026-11-19T12:00:01+00:00","request":"GET /v1/shipping/9 HTTP/1.1",'
    '"status":"200","request_time":"0.025"}'
)
APP_LOG = '{"time":"2026-11-19T12:00:01Z","level":"info","msg":"started"}'


def _reasons(*lines: str) -> list[tuple[int, str]]:
    parsed = get_format("nginx-json").parse(("\n".join(lines) + "\n").encode())
    assert parsed.events.height + parsed.rejects.height == len(lines)
    return list(parsed.rejects.select("line_no", "reason").iter_rows())


def test_invalid_json_alone_is_bad_json() -> None:
    assert _reasons(TRAILING_COMMA) == [(0, "bad_json")]


def test_invalid_json_after_valid_lines_is_bad_json() -> None:
    assert _reasons(VALID, VALID, VALID, TRAILING_COMMA) == [(3, "bad_json")]


def test_valid_json_naming_no_request_stays_not_a_request() -> None:
    # an application's log: valid JSON, no status and no request
    assert _reasons(APP_LOG, TRAILING_COMMA, APP_LOG) == [
        (0, "not_a_request"),
        (1, "bad_json"),
        (2, "not_a_request"),
    ]


def test_valid_json_with_nested_values_stays_not_a_request() -> None:
    nested = '{"time":"2026-11-19T12:00:01Z","status":{"code":200},"msg":["a",{"b":1}]}'
    assert _reasons(nested, TRAILING_COMMA) == [(0, "not_a_request"), (1, "bad_json")]
