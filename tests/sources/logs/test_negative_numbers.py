"""Negative durations, sizes and counts are ``bad_number`` in every format, as in NGINX's; the
sentinels a format documents (``-1``: not proxied, no response, timer not reached) stay nulls."""

from __future__ import annotations

import polars as pl
import pytest

from apislo.sources.logs import ParseOptions, get_format
from apislo.sources.logs.fields import clean, number
from tests.sources.logs.test_envoy_text import ENVOY_DEFAULT
from tests.sources.logs.test_haproxy import NOSRV, RETRIED
from tests.sources.logs.test_traefik_fast import GOOD as TRAEFIK_CLF

KONG = (
    '{"request":{"method":"GET","uri":"/v2/orders"},"response":{"status":200},'
    '"latencies":{"request":-5,"proxy":-3},"started_at":1794998885906}'
)
ENVOY_JSON = (
    '{"start_time":"2026-11-17T12:04:11.973Z","method":"GET","path":"/v1/c",'
    '"protocol":"HTTP/1.1","response_code":200,"bytes_sent":986,"duration":-27,'
    '"upstream_service_time":"-24","upstream_cluster":"c"}'
)
TRAEFIK_JSON = (
    '{"StartUTC":"2026-11-18T10:48:02.951Z","Duration":49000000,"OriginDuration":46000000,'
    '"OriginStatus":200,"DownstreamStatus":200,"RetryAttempts":-3,"RequestMethod":"GET",'
    '"RequestPath":"/v1/users","ServiceName":"users@docker"}'
)
AWS_JSON = (
    '{"requestId":"r1","ip":"1.2.3.4","requestTime":"18/Nov/2026:10:48:10 +0000",'
    '"httpMethod":"GET","path":"/v2/s","status":"200","protocol":"HTTP/1.1",'
    '"responseLength":"-5","responseLatency":"122","integrationLatency":"120"}'
)
AWS_CLF = '1.2.3.4 - - [18/Nov/2026:10:48:10 +0000] "GET /v2/s HTTP/1.1" 200 -5 r1'
TYK = (
    '{"method":"GET","path":"/v2/n","response_code":200,"timestamp":"2026-11-18T10:48:10Z",'
    '"request_time":5,"latency":{"total":5,"upstream":-3}}'
)


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("kong-json", KONG),
        (
            "kong-json",
            KONG.replace('"request":-5,"proxy":-3', '"request":5,"proxy":3').replace(
                '"status":200}', '"status":200,"size":-1}'
            ),
        ),
        ("envoy-json", ENVOY_JSON),
        ("envoy-text", ENVOY_DEFAULT.replace(" 226 100 ", " -226 100 ")),
        ("traefik-json", TRAEFIK_JSON),
        ("traefik-json", TRAEFIK_JSON.replace(":49000000", ":-49000000").replace(":-3", ":0")),
        ("traefik-clf", TRAEFIK_CLF.replace(" 43ms", " -43ms")),
        ("aws-apigw-json", AWS_JSON),
        ("aws-apigw-json", AWS_JSON.replace('"-5"', '"5"').replace('"122"', '"-122"')),
        ("aws-apigw-clf", AWS_CLF),
        ("tyk-json", TYK),
        ("haproxy-http", NOSRV.replace(" 5/-1/-1/-1/8 ", " 5/-1/-1/-1/-8 ")),
    ],
)
def test_a_negative_number_is_a_bad_number(name: str, line: str) -> None:
    parsed = get_format(name, ParseOptions(tz="UTC")).parse((line + "\n").encode())
    assert parsed.events.height == 0
    assert parsed.rejects["reason"].to_list() == ["bad_number"]


def test_number_refuses_negatives_but_its_sentinels() -> None:
    frame = pl.DataFrame({"x": ["-5", "-1", "0", "-0", "7", "-2.5"]})
    num = number(clean(pl.col("x")), divisor=1000, none_values=("-1",))
    assert frame.select(num.value).to_series().to_list() == [None, None, 0.0, 0.0, 0.007, None]
    assert frame.select(num.bad).to_series().to_list() == [True, False, False, False, False, True]
    signed = number(clean(pl.col("x")), signed=True)
    assert frame.select(signed.value).to_series().to_list() == [-5.0, -1.0, 0.0, 0.0, 7.0, -2.5]


def test_documented_sentinels_stay_nulls() -> None:
    # Kong: proxy -1 = never proxied; the request took 5 ms. (latencies.kong is not stored.)
    kong = KONG.replace('"request":-5,"proxy":-3', '"request":5,"proxy":-1,"kong":-1')
    parsed = get_format("kong-json").parse((kong + "\n").encode())
    assert parsed.events.select("latency_s", "upstream_latency_s").row(0) == (0.005, None)
    # HAProxy: Tc and Tr -1 (not reached), status -1 (no response), Ta 3001 ms
    parsed = get_format("haproxy-http").parse((RETRIED + "\n").encode())
    assert parsed.events.select("status", "latency_s", "upstream_latency_s").row(0) == (
        None,
        3.001,
        None,
    )
