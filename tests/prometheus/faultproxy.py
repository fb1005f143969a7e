"""A small HTTP proxy in front of a real Prometheus that injects faults on request.

Faults are queued and consumed one per request, in arrival order; with an empty queue requests pass
through unchanged. Kinds: ``drop`` (close the connection without an answer), ``delay:S`` (wait S
seconds, then answer), ``503`` (Prometheus-style error body), ``429`` (with ``Retry-After: 0``),
``429:V`` (with ``Retry-After: V``, any text, even none), ``truncate`` (announce the full length,
send half the body, close), ``html`` (a whole HTML login page with status 200, as from a
single-sign-on proxy), ``400``, ``401``, ``403``, ``404`` (that status with a one-line text body,
as Go servers and proxies answer a path they do not serve or a request they refuse),
``histograms`` (the real answer, each series' float samples rewritten into native-histogram
samples of the documented JSON shape: ``values`` into ``histograms``, ``value`` into
``histogram``, a ``_count`` suffix dropped from ``__name__``) and ``histograms:mixed`` (the same
for the later half of each range series' samples only: a series with both keys). With
``require_auth``, a request without exactly that ``Authorization``
header gets ``401 Unauthorized``, as from a server behind basic auth; ``require_headers`` asks for
other headers the same way (Mimir answers 401 to a request without its ``X-Scope-OrgID`` tenant).
With ``tls`` (a PEM certificate and key), the proxy speaks https; with ``client_ca`` too, it
also wants a client certificate signed by that CA (mutual TLS), and :attr:`FaultProxy.client_names`
lists the common name of each one it accepted. ``tickets=False`` makes it send no session ticket
(as servers with them turned off), ``max_tls`` caps the TLS version it speaks, and ``ciphers``
(an OpenSSL cipher list) limits its TLS 1.2 cipher suites.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["FaultProxy"]

#: Faults answered with that status and a one-line text body.
_TEXT_STATUS = frozenset({"400", "401", "403", "404"})


def _histogram(value: str) -> dict[str, object]:
    """A native-histogram sample (Prometheus's documented JSON) of ``value`` observations, all in
    one bucket ``(0.001, 0.1]`` (boundary rule 0: open left), each of them 0.05."""
    count = float(value)
    return {"count": value, "sum": f"{0.05 * count:g}", "buckets": [[0, "0.001", "0.1", value]]}


def _native_histograms(payload: bytes, mixed: bool) -> bytes:
    """A query answer with its float samples rewritten into native-histogram ones (all, or the
    later half of each range series' samples when ``mixed``)."""
    doc = json.loads(payload)
    for series in doc["data"]["result"]:
        name = series["metric"].get("__name__")
        if name:
            series["metric"]["__name__"] = name.removesuffix("_count")
        if "value" in series:
            ts, value = series.pop("value")
            series["histogram"] = [ts, _histogram(value)]
            continue
        values = series.pop("values")
        keep = len(values) // 2 if mixed else 0
        if keep:
            series["values"] = values[:keep]
        series["histograms"] = [[ts, _histogram(value)] for ts, value in values[keep:]]
    return json.dumps(doc, separators=(",", ":")).encode()


class _QuietServer(ThreadingHTTPServer):
    """Clients that give up (timeouts) break pipes; that is expected here, not worth a trace.
    Records the common name of each client certificate a TLS handshake accepted."""

    client_names: list[str]

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        cert = connection.getpeercert() if isinstance(connection, ssl.SSLSocket) else None
        if cert:
            subject = dict(item for name in cert["subject"] for item in name)
            self.client_names.append(subject["commonName"])
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        return None


class FaultProxy:
    """Proxy on a free 127.0.0.1 port forwarding to ``upstream`` (``http://127.0.0.1:PORT``)."""

    def __init__(
        self,
        upstream: str,
        require_auth: str | None = None,
        require_headers: Mapping[str, str] | None = None,
        tls: tuple[str, str] | None = None,
        client_ca: str | None = None,
        tickets: bool = True,
        max_tls: ssl.TLSVersion | None = None,
        ciphers: str | None = None,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.required = dict(require_headers or {})
        if require_auth:
            self.required["Authorization"] = require_auth
        self.faults: deque[str] = deque()
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                return None

            def do_GET(self) -> None:
                proxy._handle(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                proxy._handle(self, self.rfile.read(length))

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.client_names = self.server.client_names = []
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            if not tickets:
                context.num_tickets = 0  # (TLS 1.3; and for TLS 1.2:)
                context.options |= ssl.OP_NO_TICKET
            if max_tls:
                context.maximum_version = max_tls
            if ciphers:
                context.set_ciphers(ciphers)
            if client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(client_ca)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def asked(self, path: str) -> int:
        """How many requests went to the API path ``path`` (``/api/v1/query_range``), whatever
        their query string."""
        with self._lock:
            return sum(urlsplit(p).path == path for p in self.requests)

    def inject(self, *faults: str) -> None:
        """Queue faults for the next requests."""
        with self._lock:
            self.faults.extend(faults)

    def _next(self, handler: BaseHTTPRequestHandler) -> str | None:
        with self._lock:
            self.requests.append(handler.path)
            self.headers.append(dict(handler.headers.items()))
            return self.faults.popleft() if self.faults else None

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in ("host", "accept-encoding")
        }
        conn.request(handler.command, handler.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        fault = self._next(handler)
        if any(handler.headers.get(name) != value for name, value in self.required.items()):
            handler.send_response(401)
            handler.send_header("WWW-Authenticate", 'Basic realm="prometheus"')
            handler.send_header("Content-Length", "12")
            handler.end_headers()
            handler.wfile.write(b"Unauthorized")
            return
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault and fault.startswith("delay:"):
            time.sleep(float(fault.split(":", 1)[1]))
        kind = "application/json"
        retry_after = None
        if fault and fault.startswith("429"):  # ("429" is "429:0")
            retry_after = fault[4:] if fault.startswith("429:") else "0"
            fault = "429"
        if fault in ("503", "429"):
            status = int(fault)
            payload = json.dumps(
                {"status": "error", "errorType": "unavailable", "error": f"injected {status}"}
            ).encode()
        elif fault == "html":
            status, kind = 200, "text/html; charset=utf-8"
            payload = b"<!DOCTYPE html>\n<html><title>Sign in</title><form>...</form></html>\n"
        elif fault in _TEXT_STATUS:
            status, kind = int(fault), "text/plain; charset=utf-8"
            payload = f"{fault} {HTTPStatus(status).phrase.lower()}\n".encode()
        else:
            status, payload = self._forward(handler, body)
            if fault and fault.startswith("histograms"):
                payload = _native_histograms(payload, mixed=fault == "histograms:mixed")
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(payload)))
        if retry_after is not None:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        if fault == "truncate":
            handler.wfile.write(payload[: len(payload) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        handler.wfile.write(payload)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
