"""Kong's proxy access log: the ``kong_log_format`` NGINX format of Kong 3.x.

Kong's ``kong/templates/nginx_kong.lua`` defines::

    log_format kong_log_format '$remote_addr - $remote_user [$time_local] '
                               '"$request" $status $body_bytes_sent '
                               '"$http_referer" "$http_user_agent" '
                               'kong_request_id: "$kong_request_id"';

It has no latency field (``ts`` is the log-write time, to the second); use the ``kong-json``
format (Kong's logging plugins) for latencies.
"""

from __future__ import annotations

from apislo.sources.logs.nginx import NginxLogFormat

__all__ = ["KONG_LOG_FORMAT", "KongProxy"]

#: Kong 3.x ``kong_log_format``.
KONG_LOG_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" kong_request_id: "$kong_request_id"'
)


class KongProxy(NginxLogFormat):
    """Kong 3.x proxy access log (``kong_log_format``)."""

    name = "kong-proxy"
    description = "Kong proxy access log (kong_log_format, no latency)"
    log_format = KONG_LOG_FORMAT
