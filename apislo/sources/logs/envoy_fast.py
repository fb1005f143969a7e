"""The kernel path of the Envoy/Istio text parser (a :class:`~.template_fast.TemplatePath`): the
C kernel runs a template of Envoy's default access log, or of Istio's, and the lines it cannot
vouch for go to the regex of :mod:`~apislo.sources.logs.envoy_text`, which decides them.

The templates follow that regex piece by piece: ``[^"]*`` is ``RULE_DELIM`` on ``"``, ``\\S+``
is ``RULE_TOKEN``, and the lazy ``(?:.*?)`` of the forwarded-for and user-agent fields (Envoy
does not escape quotes) is ``RULE_DELIM`` on ``"`` followed by the literal ``" "``: a value
holding a quote is declined, not cut where the regex might cut it. On a line the kernel keeps,
the regex takes the same branches (its optional Istio groups are tried first, and the default
template's numbers cannot start them), so both read the same fields; the values are then
converted with the expressions of :func:`~apislo.sources.logs.envoy_text.envoy_columns`, on the
distinct strings only. What the kernel reads but that conversion would reject (a status outside
100-999 but for 0, a method with ``-`` or ``_``, a path with a tab, a byte count of 2**53 or
more) is declined too.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.fields import clean, scrub_query_secrets
from apislo.sources.logs.nginx_fast import Program, Var, build
from apislo.sources.logs.template_fast import Found, TemplatePath, quoted, separated, token

__all__ = ["DEFAULT", "ISTIO", "PATH", "cluster_service"]


_HEAD: list[str | Var] = [
    "[",
    Var("_start", k.RULE_DELIM, k.CONV_TIME_RFC3339, "]"),
    '] "',
    quoted("request", k.CONV_REQUEST),
    '" ',
    *separated(" ", token("_code", k.CONV_STATUS), token("_flags", k.CONV_STRING)),
]
_NUMBERS: list[str | Var] = [
    " ",
    *separated(
        " ",
        token("bytes_in", k.CONV_INT),
        token("bytes_out", k.CONV_INT),
        token("_duration_ms", k.CONV_FLOAT),
        token("_upstream_ms", k.CONV_FLOAT),
    ),
    ' "',
    *separated(
        '" "',
        quoted("forwarded_for"),
        quoted("user_agent"),
        quoted("request_id"),
        quoted("_authority", k.CONV_STRING),
        quoted("upstream_host"),
    ),
    '"',
]
_ISTIO_TAIL = (
    "upstream_local_address",
    "downstream_local_address",
    "downstream_remote_address",
    "requested_server_name",
    "route_name",
)
#: Envoy's default format.
DEFAULT: Program = build(_HEAD + _NUMBERS)
#: Istio's default format (1.9 on): response code details, connection termination details and
#: the upstream transport failure after the flags; upstream cluster and five more at the end.
ISTIO: Program = build(
    [
        *_HEAD,
        " ",
        *separated(" ", token("response_code_details"), token("connection_termination_details")),
        ' "',
        quoted("upstream_transport_failure_reason"),
        '"',
        *_NUMBERS,
        " ",
        *separated(" ", token("_cluster", k.CONV_STRING), *map(token, _ISTIO_TAIL)),
    ]
)


#: A Kubernetes service's host has a ``svc`` label (``reviews.default.svc``,
#: ``httpbin.foo.svc.cluster.local``).
_SERVICE_HOST = r"\.svc(?:\.|$)"


def cluster_service(cluster: pl.Expr) -> pl.Expr:
    """The API of an Envoy cluster name (cleaned). An Istio cluster
    (``direction|port|subset|host``) gives the service of a Kubernetes host
    (``outbound|8000||httpbin.foo.svc.cluster.local`` -> ``httpbin``) and any other host whole
    (``outbound|443||api.github.com`` -> ``api.github.com``: external APIs do not merge under
    their first label); another cluster, its name."""
    host = cluster.str.split("|").list.get(3, null_on_oob=True)
    service = (
        pl.when(host.str.contains(_SERVICE_HOST))
        .then(host.str.split(".").list.first())
        .otherwise(host)
    )
    return (
        pl.when(cluster.str.contains("|", literal=True))
        .then(pl.when(service != "").then(service))
        .otherwise(cluster)
    )


def _unsure(found: Found) -> np.ndarray:
    """Kept lines that the regex path's conversion would reject or read otherwise."""
    unsure = (
        found.odd_status("_code") | found.odd_request() | found.off_calendar(found.number("_start"))
    )
    return unsure | found.too_large("bytes_in") | found.too_large("bytes_out")


def _events(found: Found) -> pl.DataFrame:
    """The events of the kept lines, with the columns and values of
    :func:`~apislo.sources.logs.envoy_text.envoy_columns`."""
    numbers = pl.DataFrame(
        [found.number(name) for name in ("_start", "_code", "bytes_in", "bytes_out")]
        + [found.number(name) for name in ("_duration_ms", "_upstream_ms")]
    ).select(
        pl.col("_start").cast(pl.Datetime("us", "UTC")).alias("ts"),
        pl.when(pl.col("_code") != 0).then(pl.col("_code")).cast(pl.Int16).alias("status"),
        (pl.col("_duration_ms") / 1000).round(9).alias("latency_s"),
        (pl.col("_upstream_ms") / 1000).round(9).alias("upstream_latency_s"),
        pl.col("bytes_in", "bytes_out").cast(pl.Int64),
    )
    value = pl.col("v")
    if "_cluster" in found.strings:
        api = found.text("_cluster", cluster_service(clean(value)))
    else:
        api = pl.Series([None], dtype=pl.Categorical).new_from_index(0, len(found.lines))
    return pl.DataFrame(
        {
            "ts": numbers["ts"],
            "method": found.text("method", value),
            "path": found.text("path", scrub_query_secrets(clean(value)), local=True),
            "host": found.text("_authority", clean(value)),
            "status": numbers["status"],
            "latency_s": numbers["latency_s"],
            "upstream_latency_s": numbers["upstream_latency_s"],
            "bytes_in": numbers["bytes_in"],
            "bytes_out": numbers["bytes_out"],
            "api": api,
            "termination": found.text("_flags", clean(value)),
        },
        height=len(found.lines),
    )


#: Envoy's text access log through the kernel (Istio's template preferred on a tie).
PATH = TemplatePath((ISTIO, DEFAULT), _unsure, _events)
