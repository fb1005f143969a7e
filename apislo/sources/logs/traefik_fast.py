"""The kernel path of Traefik's text access log (a :class:`~.template_fast.TemplatePath`): the C
kernel runs its template, and the lines it cannot vouch for go to the regex of
:class:`~apislo.sources.logs.traefik.TraefikClf`, which decides them.

The template follows that regex piece by piece, as Envoy's does (:mod:`.envoy_fast`): the lazy
referer and user agent are read up to the next quote, which must be followed by the literal
after them, and the lazy duration before ``ms`` up to the first ``m``. What the kernel reads
but the regex path would reject or read otherwise is declined: a status outside 100-999 but
for 0, a method with ``-`` or ``_``, a path with a tab, a size of 2**53 or more, a request count
or a duration that is ``-`` or empty.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from apislo.sources.logs import nginx_kernel as k
from apislo.sources.logs.fields import clean, scrub_query_secrets
from apislo.sources.logs.nginx_fast import Program, Var, build
from apislo.sources.logs.template_fast import Found, TemplatePath, quoted, separated, token

__all__ = ["CLF", "PATH", "service"]

#: Traefik's default text format: CLF, then the request count, router, server URL, duration.
CLF: Program = build(
    [
        token("client"),
        " - ",
        token("_user", k.CONV_STRING),
        " [",
        Var("_time", k.RULE_DELIM, k.CONV_TIME_CLF, "]"),
        '] "',
        quoted("request", k.CONV_REQUEST),
        '" ',
        *separated(" ", token("_status", k.CONV_STATUS), token("bytes_out", k.CONV_INT)),
        ' "',
        *separated('" "', quoted("referer"), quoted("user_agent")),
        '" ',
        token("_count", k.CONV_INT),
        ' "',
        *separated('" "', quoted("_router", k.CONV_STRING), quoted("server_url")),
        '" ',
        Var("_duration_ms", k.RULE_DELIM, k.CONV_FLOAT, "m"),
        "ms",
    ]
)


def service(name: pl.Expr) -> pl.Expr:
    """A Traefik router or service name without its provider: ``whoami@docker`` ->
    ``whoami``."""
    return name.str.replace(r"@[^@]*$", "")


def _unsure(found: Found) -> np.ndarray:
    """Kept lines that the regex path would reject or read otherwise."""
    unsure = found.odd_status("_status") | found.odd_request() | found.too_large("bytes_out")
    unsure |= found.off_calendar(found.number("_time"))
    unsure |= ~found.ints("_count")[1]  # \d+: "-" is no count
    return unsure | found.number("_duration_ms").is_null().to_numpy()  # "ms" is no \S+?ms


def _events(found: Found) -> pl.DataFrame:
    """The events of the kept lines, with the columns and values of the regex path."""
    numbers = pl.DataFrame(
        [found.number(name) for name in ("_time", "_status", "_duration_ms", "bytes_out")]
    ).select(
        pl.col("_time").cast(pl.Datetime("us", "UTC")).alias("ts"),
        pl.when(pl.col("_status") != 0).then(pl.col("_status")).cast(pl.Int16).alias("status"),
        (pl.col("_duration_ms") / 1000).round(9).alias("latency_s"),
        pl.col("bytes_out").cast(pl.Int64),
    )
    value = pl.col("v")
    return pl.DataFrame(
        {
            "ts": numbers["ts"],
            "method": found.text("method", value),
            "path": found.text("path", scrub_query_secrets(value), local=True),
            "status": numbers["status"],
            "latency_s": numbers["latency_s"],
            "bytes_out": numbers["bytes_out"],
            "consumer": found.text("_user", clean(value)),
            "api": found.text("_router", service(clean(value))),
        },
        height=len(found.lines),
    )


#: Traefik's text access log through the kernel.
PATH = TemplatePath((CLF,), _unsure, _events)
