"""Gateway access-log formats, one module each, behind one registry.

>>> from apislo.sources.logs import format_names, get_format
>>> "nginx-combined" in format_names()
True
"""

from __future__ import annotations

import importlib

from apislo.errors import ConfigError
from apislo.sources.logs.base import LogFormat, ParseOptions

__all__ = ["FORMATS", "LogFormat", "ParseOptions", "format_names", "get_format"]

#: Format name -> ``"module:Class"`` (imported on first use, so ``import apislo`` stays light).
FORMATS: dict[str, str] = {
    "nginx-combined": "apislo.sources.logs.nginx:NginxCombined",
    "nginx-timed": "apislo.sources.logs.nginx:NginxTimed",
    "nginx-custom": "apislo.sources.logs.nginx:NginxCustom",
    "ingress-nginx": "apislo.sources.logs.ingress_nginx:IngressNginx",
    "nginx-json": "apislo.sources.logs.nginx_json:NginxJson",
    "apicast": "apislo.sources.logs.apicast:Apicast",
    "kong-proxy": "apislo.sources.logs.kong_proxy:KongProxy",
    "kong-json": "apislo.sources.logs.kong_json:KongJson",
    "envoy-text": "apislo.sources.logs.envoy_text:EnvoyText",
    "envoy-json": "apislo.sources.logs.envoy_json:EnvoyJson",
    "aws-apigw-clf": "apislo.sources.logs.aws_apigw:AwsApiGatewayClf",
    "aws-apigw-json": "apislo.sources.logs.aws_apigw:AwsApiGatewayJson",
    "haproxy-http": "apislo.sources.logs.haproxy:HaproxyHttp",
    "traefik-json": "apislo.sources.logs.traefik:TraefikJson",
    "traefik-clf": "apislo.sources.logs.traefik:TraefikClf",
    "tyk-json": "apislo.sources.logs.tyk:TykJson",
}


def format_names() -> list[str]:
    """Names of every registered format, sorted."""
    return sorted(FORMATS)


def get_format(name: str, options: ParseOptions | None = None) -> LogFormat:
    """Instantiate the format called ``name``.

    Raises:
        ConfigError: the name is unknown (the message lists the known ones).
    """
    try:
        target = FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown log format {name!r}; known formats: {', '.join(format_names())}"
        ) from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(options)
