"""Whole answers that are not shaped as Prometheus's (other JSON, a ``{"status":"error"}`` body
with HTTP 200, a redirect loop) give one clear error from the Python API and one line from the
CLI; until 2026-11-30 each was a traceback (``AttributeError``, ``KeyError``, ``TypeError``,
``TooManyRedirects``) or, for the error body, "not a Prometheus API". No Prometheus needed: a
small server answers each path with its own body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import (
    ApisloError,
    ConfigError,
    PrometheusQueryError,
    PrometheusUnavailableError,
)
from apislo.sources.prometheus import Prometheus

#: Path -> the whole JSON body answered with HTTP 200 to a range query (to an instant query, the
#: same made a vector: :func:`_instant`).
BODIES = {
    "list": "[]",
    "null": "null",
    "no-data": '{"status":"success"}',
    "data-null": '{"status":"success","data":null}',
    "no-result": '{"status":"success","data":{"resultType":"matrix"}}',
    "result-object": '{"status":"success","data":{"resultType":"matrix","result":{}}}',
    "metric-null": '{"status":"success","data":{"resultType":"matrix","result":[{"metric":null,'
    '"values":[[1,"1"]]}]}}',
    "no-values": '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}}',
    "error": '{"status":"error","errorType":"execution","error":"boom"}',
}
RANGE = ("2026-01-05T00:00Z", "2026-01-05T00:05Z")


def _instant(body: str) -> str:
    return body.replace("matrix", "vector").replace('"values":[[1,"1"]]', '"value":[1,"1"]')


class _Server:
    """Answers ``/<name>/api/v1/...`` with ``BODIES[name]`` (HTTP 200), and ``/loop/...`` with a
    redirect to itself."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return None

            def do_GET(self) -> None:
                name = self.path.split("/")[1]
                body = BODIES.get(name, "")
                if self.path.split("?")[0].endswith("/query"):
                    body = _instant(body)
                body = body.encode()
                self.send_response(302 if name == "loop" else 200)
                if name == "loop":
                    self.send_header("Location", self.path)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Server:
        Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with _Server() as s:
        yield s.url


def _not_prometheus(url: str, body: str) -> str:
    return (
        f"{url} answered (HTTP 200, application/json) but is not a Prometheus API: the answer "
        f"starts {body[:60]!r}. Check the URL and its path prefix; a login page means a proxy in "
        "front of Prometheus wants credentials (bearer_token_env, basic_user)"
    )


def _prom(url: str) -> Prometheus:
    return Prometheus(url, cache=False, retries=1, backoff_s=0.01)


@pytest.mark.parametrize("name", [n for n in BODIES if n != "error"])
def test_other_json_is_not_a_prometheus_api(server: str, name: str) -> None:
    url = f"{server}/{name}"
    with pytest.raises(ConfigError) as ranged:
        _prom(url).query_range("up", *RANGE, "1m")
    assert str(ranged.value) == _not_prometheus(url, BODIES[name])
    with pytest.raises(ConfigError) as instant:
        _prom(url).query("up", at=RANGE[0])
    assert str(instant.value) == _not_prometheus(url, _instant(BODIES[name]))


def test_an_error_body_with_http_200_is_a_query_error(server: str) -> None:
    with pytest.raises(PrometheusQueryError) as info:
        _prom(f"{server}/error").query_range("up", *RANGE, "1m")
    assert (info.value.status, info.value.error_type, info.value.error) == (
        200,
        "execution",
        "boom",
    )


def test_a_redirect_loop_is_unreachable(server: str) -> None:
    with pytest.raises(PrometheusUnavailableError) as info:
        _prom(f"{server}/loop").query_range("up", *RANGE, "1m")
    assert info.value.reason == "TooManyRedirects: Exceeded 30 redirects."


@pytest.mark.parametrize("name", ["list", "metric-null", "error", "loop"])
def test_the_cli_says_it_in_one_line(server: str, name: str) -> None:
    start, end = RANGE
    args = ["prom", "query", f"{server}/{name}", "up", "--start", start, "--end", end]
    result = CliRunner().invoke(main, [*args, "--no-cache", "--out", "unused.parquet"])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    with pytest.raises(ApisloError) as info:  # (the same error as from Python)
        Prometheus(f"{server}/{name}", cache=False).query_range("up", start, end)
    option = {"bearer_token_env": "--bearer-token-env", "basic_user": "--basic-user"}
    assert lines[0] == "error: " + re.sub("|".join(option), lambda m: option[m[0]], str(info.value))
