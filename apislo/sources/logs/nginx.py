"""NGINX access logs: ``combined``, combined + timings, and any custom ``log_format``.

Every NGINX-family format (here and in :mod:`~apislo.sources.logs.ingress_nginx`,
:mod:`~apislo.sources.logs.apicast`, :mod:`~apislo.sources.logs.kong_proxy`) is a known
``log_format`` body fed to :mod:`apislo.sources.logs.nginx_format`, which compiles it into a
C-kernel parser, an exact regex parser and a writer.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from apislo.errors import LogFormatNeededError
from apislo.sources.logs.base import LogFormat, Parsed, ParseOptions
from apislo.sources.logs.nginx_format import CompiledFormat, compile_log_format

__all__ = ["COMBINED", "TIMED", "NginxCombined", "NginxCustom", "NginxLogFormat", "NginxTimed"]

#: NGINX's predefined ``combined`` format.
COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"'
)
#: ``combined`` plus the request and upstream times, the most common API-gateway addition.
TIMED = COMBINED + " $request_time $upstream_response_time"


class NginxLogFormat(LogFormat):
    """A format defined by one NGINX ``log_format`` body (:attr:`log_format`)."""

    #: The template; subclasses set it (``nginx-custom`` takes it from the options).
    log_format: ClassVar[str]

    def __init__(self, options: ParseOptions | None = None) -> None:
        super().__init__(options)
        self.compiled: CompiledFormat = compile_log_format(self._body(), self.name)

    def _body(self) -> str:
        return self.log_format

    def sniff(self, lines: list[str]) -> float:
        """Fraction of the sample lines that parse as requests of this template."""
        return self.compiled.sniff(lines)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse complete lines; see :class:`~apislo.sources.logs.nginx_format.CompiledFormat`."""
        return self.compiled.parse(chunk)

    def prepare(self) -> None:
        """The kernel program: 25-30 ms of polars queries, once per process and template."""
        self.compiled.program  # noqa: B018 (a cached property, worked out here)

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render raw events as lines of this template."""
        return self.compiled.write(events)


class NginxCombined(NginxLogFormat):
    """NGINX ``combined``: no latency (``ts`` is the log-write time, to the second)."""

    name = "nginx-combined"
    description = "NGINX combined (no latency; ts = log time)"
    log_format = COMBINED


class NginxTimed(NginxLogFormat):
    """NGINX ``combined`` + `` $request_time $upstream_response_time``."""

    name = "nginx-timed"
    description = "NGINX combined + $request_time $upstream_response_time"
    log_format = TIMED


class NginxCustom(NginxLogFormat):
    """Any NGINX ``log_format`` body, given as ``ParseOptions(log_format=...)``."""

    name = "nginx-custom"
    description = "NGINX with your log_format (--log-format '...')"

    def _body(self) -> str:
        if self.options.log_format is None:  # (an empty one is refused as holding no variable)
            raise LogFormatNeededError()
        return self.options.log_format
