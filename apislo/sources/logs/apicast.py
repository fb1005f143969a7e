"""3scale APIcast's access log: the ``time`` log_format of its NGINX configuration.

APIcast's ``gateway/http.d/apicast.conf.liquid`` (older releases:
``gateway/conf/nginx.conf.liquid``) defines::

    log_format time '[$time_local] $host:$server_port $remote_addr:$remote_port "$request"
                     $status $body_bytes_sent ($request_time) $post_action_impact';

The ``$host:$server_port`` and ``$remote_addr:$remote_port`` tokens hold two variables each, so
this format always takes the exact (regex) path; IPv6 clients (``::1:51234``) are fine because
the port is the text after the last colon. ``$post_action_impact`` is often empty.
"""

from __future__ import annotations

from apislo.sources.logs.nginx import NginxLogFormat

__all__ = ["APICAST_TIME", "Apicast"]

#: APIcast's ``time`` log format.
APICAST_TIME = (
    "[$time_local] $host:$server_port $remote_addr:$remote_port "
    '"$request" $status $body_bytes_sent ($request_time) $post_action_impact'
)


class Apicast(NginxLogFormat):
    """3scale APIcast default access log."""

    name = "apicast"
    description = "3scale APIcast default access log (log_format time)"
    log_format = APICAST_TIME
