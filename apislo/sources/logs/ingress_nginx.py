"""The Kubernetes ingress-nginx controller's default ``upstreaminfo`` access log.

The controller's ``log-format-upstream`` default (``internal/ingress/controller/config``)::

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
    [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
    $upstream_response_time $upstream_status $req_id

``$proxy_upstream_name`` (``namespace-service-port``) becomes ``api``. The four upstream fields
are lists on retried requests (``10.0.0.1:80, 10.0.0.2:80``); those lines take the exact path.
"""

from __future__ import annotations

from apislo.sources.logs.nginx import NginxLogFormat

__all__ = ["UPSTREAMINFO", "IngressNginx"]

#: ingress-nginx's default ``upstreaminfo`` log format.
UPSTREAMINFO = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] '
    "[$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length "
    "$upstream_response_time $upstream_status $req_id"
)


class IngressNginx(NginxLogFormat):
    """ingress-nginx ``upstreaminfo`` (the controller's default)."""

    name = "ingress-nginx"
    description = "Kubernetes ingress-nginx default upstreaminfo format"
    log_format = UPSTREAMINFO
