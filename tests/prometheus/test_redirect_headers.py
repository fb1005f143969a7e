"""A redirect to another server drops the extra headers (an API key, a tenant), as requests drops
an ``Authorization``: the commands send those of ``$APISLO_PROMETHEUS_HEADERS``, where an API key
goes, and a server that redirects to a login page elsewhere got the key."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from click.testing import CliRunner

from apislo.cli import main
from tests.prometheus.faultproxy import FaultProxy

KEY = "qa-key-5e2c"


class _Redirector:
    """Answers every request with ``307`` to the same path on ``target``, recording the
    headers of each request."""

    def __init__(self, target: str) -> None:
        self.headers: list[dict[str, str]] = []
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return None

            def do_GET(self) -> None:
                redirector.headers.append(dict(self.headers.items()))
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(307)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Redirector:
        Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere(prom_url: str) -> Iterator[tuple[_Redirector, FaultProxy]]:
    """A server redirecting to another one (another port: another origin), in front of the
    fixture Prometheus."""
    with FaultProxy(prom_url) as target, _Redirector(target.url) as redirector:
        yield redirector, target


@pytest.mark.prometheus
def test_a_redirect_elsewhere_drops_the_api_key_and_the_tenant(
    elsewhere: tuple[_Redirector, FaultProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until 2026-11-29 requests sent them to the other server (it drops ``Authorization``
    alone)."""
    redirector, target = elsewhere
    monkeypatch.setenv("APISLO_PROMETHEUS_HEADERS", f"X-Api-Key: {KEY}")
    args = ["prom", "query", redirector.url, "vector(1)", "--no-cache", "--start", "-2m"]
    flags = ["--header", "X-Scope-OrgID: team-a", "--headers-env", "APISLO_PROMETHEUS_HEADERS"]
    result = CliRunner().invoke(main, [*args, *flags])
    assert result.exit_code == 0, result.stderr
    sent = {(h.get("X-Api-Key"), h.get("X-Scope-OrgID")) for h in redirector.headers}
    assert sent == {(KEY, "team-a")}
    forwarded = {(h.get("X-Api-Key"), h.get("X-Scope-OrgID")) for h in target.headers}
    assert forwarded == {(None, None)}
