"""A UTF-8 byte order mark at the start of a JSON log (Windows tools write one), and a
``log_format`` body opening a quote it never closes."""

from __future__ import annotations

from pathlib import Path

import pytest

import apislo
from apislo.errors import ConfigError
from apislo.sources.logs import get_format
from apislo.sources.logs.nginx_format import compile_log_format

RECORDS = {
    "kong-json": (
        '{"request":{"method":"GET","uri":"/v2/orders"},"response":{"status":200},'
        '"latencies":{"request":7},"started_at":1794998885906}'
    ),
    "tyk-json": (
        '{"method":"GET","path":"/v2/n","response_code":200,'
        '"timestamp":"2026-11-18T10:48:10Z","request_time":5}'
    ),
    "traefik-json": (
        '{"StartUTC":"2026-11-18T10:48:02.951Z","Duration":49000000,"DownstreamStatus":200,'
        '"RequestMethod":"GET","RequestPath":"/v1/users"}'
    ),
    "envoy-json": (
        '{"start_time":"2026-11-17T12:04:11.973Z","method":"GET","path":"/v1/c",'
        '"response_code":200,"duration":27}'
    ),
    "aws-apigw-json": (
        '{"requestId":"r1","requestTime":"18/Nov/2026:10:48:10 +0000","httpMethod":"GET",'
        '"path":"/v2/s","status":"200"}'
    ),
    "nginx-json": (
        '{"time_iso8601":"2026-11-18T10:48:04+00:00","request":"GET /v1/x HTTP/1.1","status":"200"}'
    ),
}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_a_byte_order_mark_does_not_cost_the_first_record(name: str) -> None:
    record = RECORDS[name]
    parsed = get_format(name).parse(("\ufeff" + record + "\n" + record + "\n").encode())
    assert (parsed.events.height, parsed.rejects.height) == (2, 0)


def test_read_logs_of_a_file_written_with_a_bom(tmp_path: Path) -> None:
    log = tmp_path / "kong.json"
    log.write_text((RECORDS["kong-json"] + "\n") * 2, encoding="utf-8-sig")
    events = apislo.read_logs(log, format="kong-json")
    assert len(events) == 2
    assert events.attrs["rejected"] == {}


@pytest.mark.parametrize(
    "body",
    [
        '\'$remote_addr [$time_local] "$request" $status',  # the closing quote lost
        "'$remote_addr [$time_local] ' '\"$request\" $status",
    ],
)
def test_a_body_whose_quote_is_never_closed_is_refused(body: str) -> None:
    with pytest.raises(ConfigError, match="its quotes are unbalanced"):
        compile_log_format(body)


def test_a_quoted_body_and_a_bare_one_starting_with_a_double_quote_still_compile() -> None:
    assert compile_log_format("'$remote_addr [$time_local] ' '$status'").body == (
        "$remote_addr [$time_local] $status"
    )
    assert compile_log_format('"$request" [$time_local]').body == '"$request" [$time_local]'
