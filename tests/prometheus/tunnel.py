"""A TCP relay in front of a TLS server that drops connections, as a load balancer or a proxy
may: its first ``drops`` connections are closed once the client's first TLS bytes (its
ClientHello) are read, so that the client's handshake meets an EOF. With ``connect``, it is an
HTTP proxy instead: each connection starts with a ``CONNECT host:port`` request, answered 200
whatever it names (as a proxy that reaches servers this machine does not), then relayed to
``upstream``, or closed after the 200 when it is one to drop.
"""

from __future__ import annotations

import contextlib
import socket
import threading

__all__ = ["Tunnel"]

#: The HTTP/1.1 answer that opens a tunnel (RFC 9110 section 9.3.6).
_ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"


class Tunnel:
    """Relay on a free port of ``host`` (``127.0.0.1``, or ``::1``) to 127.0.0.1 port
    ``upstream``; :attr:`connections` counts the connections it accepted, dropped ones
    included."""

    def __init__(
        self, upstream: int, drops: int = 0, connect: bool = False, host: str = "127.0.0.1"
    ) -> None:
        self.upstream, self.drops, self.connect = upstream, drops, connect
        self.connections = 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, 0), family=family)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Tunnel:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)  # (wakes the accept() waiting)
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(
                target=self._serve, args=(client, self.connections <= self.drops), daemon=True
            ).start()

    def _serve(self, client: socket.socket, drop: bool) -> None:
        client.settimeout(10)
        if self.connect:
            head = b""
            while b"\r\n\r\n" not in head and (data := client.recv(4096)):
                head += data
            client.sendall(_ESTABLISHED)
        if drop:
            client.recv(65536)  # (the ClientHello: closed unread, the client would get a reset)
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(source, sink), daemon=True).start()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either closes, then shut both down and close
    ``source`` (the other thread closes ``sink``, its source)."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):  # (already shut down by the other thread)
                end.shutdown(socket.SHUT_RDWR)
        source.close()
