"""The kernel path of API Gateway's CLF preset (a :class:`~.template_fast.TemplatePath`): the C
kernel runs the template of a REST API's request line, or of an HTTP API's (whose route key
repeats the method: ``"GET GET /pets HTTP/1.1"``), each after ``] "`` or, as the console's REST
preset writes it, ``]"``, and the lines it cannot vouch for go to the regex of
:class:`~apislo.sources.logs.aws_apigw.AwsApiGatewayClf`, which decides them.

The templates follow that regex piece by piece. The request id, the REST preset's optional
extended request id and any blanks after them are read as one value up to the line's end, which
a quote must not cut short (the regex's ``[^"\\s]+`` refuses quotes), then matched with the
regex's own tail on the distinct values: one template serves lines with and without the extended
id. On a line the kernel keeps, the regex reads the same fields: the HTTP template's route-key
method is ``[A-Z]+``, which the regex's optional group then takes, so both read the path after
it. The ``$default`` route's request line is a REST one (``"GET $default HTTP/1.1"``), read by
the REST template: a target that is no path, in both. A chunk gets the template that keeps
most of its first lines; lines of the others go to the regex. What the kernel reads but the
regex path would reject or read otherwise is declined: a status outside 100-999 but for 0,
a method other than ``[A-Za-z]+`` (a route-key method other than ``[A-Z]+``), a path with a
tab, a response length of 2**53 or more, a time off the calendar (years 1970-9999), ids that
are not one or two ``[^"\\s]+`` tokens.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.fields import clean, scrub_query_secrets
from apislo.sources.logs.nginx_fast import Program, Var, build
from apislo.sources.logs.template_fast import Found, TemplatePath, quoted, token

__all__ = ["HTTP", "HTTP_NO_BLANK", "PATH", "REST", "REST_NO_BLANK", "target_path"]


def _head(gap: str) -> list[str | Var]:
    """The fields before the request line, ``gap`` between the time's ``]`` and its ``"``."""
    return [
        token("_ip"),
        " ",
        token("_caller", k.CONV_STRING),
        " ",
        token("_user", k.CONV_STRING),
        " [",
        Var("_time", k.RULE_DELIM, k.CONV_TIME_CLF, "]"),
        f']{gap}"',
    ]


_TAIL: list[str | Var] = [
    quoted("request", k.CONV_REQUEST),
    '" ',
    token("_status", k.CONV_STATUS),
    " ",
    token("bytes_out", k.CONV_INT),
    " ",
    Var("_ids", k.RULE_DELIM, k.CONV_STRING, '"'),
]
#: The route key's method before its path, in an HTTP API's request line.
_ROUTE_METHOD: list[str | Var] = [Var("_method", k.RULE_DELIM, k.CONV_STRING, " "), " "]
#: The REST request line: ``"$context.httpMethod $context.resourcePath $context.protocol"``,
#: after ``] "``.
REST: Program = build(_head(" ") + _TAIL)
#: The HTTP API preset: ``"$context.httpMethod $context.routeKey $context.protocol"``, a route
#: key with its method (``GET /pets``: the request's ``method`` column holds the route's).
HTTP: Program = build(_head(" ") + _ROUTE_METHOD + _TAIL)
#: The console's REST preset, with no blank between the time and the request line
#: (``[$context.requestTime]"$context.httpMethod ...``).
REST_NO_BLANK: Program = build(_head("") + _TAIL)
#: An HTTP API's request line after ``]"`` (the regex takes either gap in both presets).
HTTP_NO_BLANK: Program = build(_head("") + _ROUTE_METHOD + _TAIL)

#: The regex's tail after the response length: request id, extended request id, blanks.
_IDS = r'^[^"\s]+(?: [^"\s]+)?\s*$'


def target_path(target: pl.Expr) -> pl.Expr:
    """A request target that is a path (``/pets``), else null (the route key ``$default``)."""
    return pl.when(target.str.starts_with("/")).then(target)


def _unsure(found: Found) -> np.ndarray:
    """Kept lines that the regex path would reject or read otherwise."""
    unsure = found.odd_status("_status") | found.odd_request() | found.too_large("bytes_out")
    unsure |= found.off_calendar(found.number("_time"))
    if "_method" in found.strings:
        unsure |= ~found.matches("_method", r"^[A-Za-z]+$")
    return unsure | ~found.matches("_ids", _IDS)


def _events(found: Found) -> pl.DataFrame:
    """The events of the kept lines, with the columns and values of the regex path."""
    numbers = pl.DataFrame(
        [found.number(name) for name in ("_time", "_status", "bytes_out")]
    ).select(
        pl.col("_time").cast(pl.Datetime("us", "UTC")).alias("ts"),
        pl.when(pl.col("_status") != 0).then(pl.col("_status")).cast(pl.Int16).alias("status"),
        pl.col("bytes_out").cast(pl.Int64),
    )
    value = pl.col("v")
    method = "_method" if "_method" in found.strings else "method"
    consumer = found.text("_user", clean(value)).fill_null(found.text("_caller", clean(value)))
    return pl.DataFrame(
        {
            "ts": numbers["ts"],
            "method": found.text(method, value.str.to_uppercase()),
            "path": found.text("path", scrub_query_secrets(clean(target_path(value))), local=True),
            "status": numbers["status"],
            "bytes_out": numbers["bytes_out"],
            "consumer": consumer.alias("consumer"),
        },
        height=len(found.lines),
    ).select(
        "ts",
        "method",
        "path",
        pl.lit(None, dtype=pl.String).alias("host"),
        "status",
        *(pl.lit(None, dtype=pl.Float64).alias(n) for n in ("latency_s", "upstream_latency_s")),
        "bytes_out",
        "consumer",
        pl.lit(None, dtype=pl.String).alias("api"),
    )


#: API Gateway's CLF preset through the kernel (the REST template preferred on a tie; no
#: line fits templates of both gaps).
PATH = TemplatePath((REST, HTTP, REST_NO_BLANK, HTTP_NO_BLANK), _unsure, _events)
