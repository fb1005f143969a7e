"""NGINX variable values <-> event columns, vectorised, in both directions.

:func:`convert` turns the raw text of NGINX variables (``$time_local``, ``$request``,
``$upstream_response_time``...; one string column per variable, from any NGINX-family parser) into
:data:`~apislo.sources.logs.base.RAW_SCHEMA` columns plus a reject reason per row.
:func:`render` does the reverse for the writers. Units and sentinels are handled here, once:

* ``$time_local``, ``$time_iso8601`` and ``$msec`` mark the request *end* (log write):
  ``ts`` = end - ``$request_time`` (UTC); without ``$request_time``, ``ts`` = the logged time.
  A ``$request_time`` below 0 or of a year or more is no duration (``bad_number``), a
  request start outside years 1970-9999 no time (``bad_timestamp``).
* ``-`` and empty values are null everywhere.
* upstream lists (``0.512, 0.034``; ``0.1 : 0.2``; members may be ``-``): ``upstream_latency_s``
  = sum of the numeric members (null when none is), ``attempts`` = number of members.
* numbers are read as every format reads them (:func:`apislo.sources.logs.fields.number`):
  negative, NaN, infinite or 2**53 or more is ``bad_number``, as are a ``$status`` outside
  100-999 (``000``, no response sent, is null: :func:`~apislo.sources.logs.fields.status_code`),
  more upstream members than ``attempts`` holds (:data:`MAX_ATTEMPTS`) and a sum of 2**53 s or
  more.
* ``$request`` must be ``METHOD TARGET HTTP/x``, else the row is rejected ``bad_request_line``;
  the method is kept as written (``get``: normalising upper-cases it).
* ``\\xHH`` (default escaping) and ``\\"`` (``escape=json``) are undone in strings.
* credentials in query strings (``?apikey=...``, see
  :data:`apislo.text.SECRET_QUERY_KEYS`) are replaced by ``REDACTED``.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from apislo.sources.logs.arrow import to_polars
from apislo.sources.logs.base import RAW_SCHEMA
from apislo.sources.logs.fields import (
    END_TIME_US,
    MAX_DURATION_S,
    MAX_EXACT_NUMBER,
    duration,
    in_calendar,
    number,
    scrub_query_secrets,
    status_code,
)
from apislo.text import SECRET_KEY_PATTERN, UNPRINTABLE_CLASS, printable

__all__ = [
    "ATTEMPT_SOURCES",
    "INT_SOURCES",
    "LIST_SUM_DECIMALS",
    "LIST_VARIABLES",
    "MAX_ATTEMPTS",
    "MAX_MSEC",
    "MAX_REQUEST_TIME_S",
    "NO_STATUS",
    "PROTOCOLS",
    "STRING_SOURCES",
    "TIME_VARIABLES",
    "TZ_SUFFIX",
    "USED_VARIABLES",
    "convert",
    "finish_strings",
    "msec_time",
    "path_columns",
    "render",
    "start_time",
    "string_columns",
    "unescape_nginx",
]

#: The longest ``$request_time`` taken for a duration (a year, in seconds); longer ones are
#: garbage, and would move the start time off the calendar.
MAX_REQUEST_TIME_S = MAX_DURATION_S
#: ``$msec`` (epoch seconds) must be below this (year 10000) to be a time.
MAX_MSEC = END_TIME_US / 1_000_000
#: The most upstream attempts a line may count: ``attempts`` is an Int16 column
#: (:data:`~apislo.sources.logs.base.RAW_SCHEMA`); a list with more members is ``bad_number``.
MAX_ATTEMPTS = 2**15 - 1
#: ``$status`` values meaning that no response was sent (NGINX writes a status of 0 as ``000``):
#: null, as :func:`~apislo.sources.logs.fields.status_code` reads Envoy's ``0``.
NO_STATUS = ("0", "000")
#: Variables that hold the log-write (request end) time, in order of preference: ``$msec`` to
#: the millisecond first, then the others, to the second (until 2026-11-30 ``$msec`` came last,
#: and a log holding it beside one of them had its times cut to the second).
TIME_VARIABLES: tuple[str, ...] = ("msec", "time_iso8601", "time_local")
#: Upstream variables NGINX writes as lists (``, `` between retries, `` : `` between groups).
LIST_VARIABLES: frozenset[str] = frozenset(
    {
        "upstream_addr",
        "upstream_status",
        "upstream_response_time",
        "upstream_connect_time",
        "upstream_header_time",
        "upstream_response_length",
        "upstream_bytes_sent",
        "upstream_bytes_received",
    }
)
#: Variables mapped to one string column, by preference (the first present wins).
STRING_SOURCES: dict[str, tuple[str, ...]] = {
    "host": ("host", "http_host", "server_name"),
    "consumer": ("remote_user",),
    "api": ("proxy_upstream_name",),
    "cache_status": ("upstream_cache_status",),
}
INT_SOURCES: dict[str, tuple[str, ...]] = {
    "bytes_in": ("request_length",),
    "bytes_out": ("body_bytes_sent", "bytes_sent"),
}
ATTEMPT_SOURCES: tuple[str, ...] = ("upstream_response_time", "upstream_status", "upstream_addr")
#: Every variable :func:`convert` reads; parsers may skip the others.
USED_VARIABLES: frozenset[str] = frozenset(
    {
        *TIME_VARIABLES,
        "request_time",
        "request",
        "request_method",
        "request_uri",
        "uri",
        "args",
        "status",
        *ATTEMPT_SOURCES,
        *(v for sources in INT_SOURCES.values() for v in sources),
        *(v for sources in STRING_SOURCES.values() for v in sources),
    }
)
#: Suffix of the extra raw column holding ``$time_local``'s zone (``+0200``): parsers pass the
#: date and the zone apart.
TZ_SUFFIX = "__tz"
#: ``$request`` protocols accepted (anything else is ``bad_request_line``).
PROTOCOLS = ["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/2", "HTTP/3", "HTTP/3.0", "HTTP/0.9"]
#: A ``$request`` method: a letter, then letters, ``_`` and ``-``, of either case, as the client
#: sent it (NGINX logs ``get`` as such); normalising upper-cases it, as every format's method.
#: Until 2026-11-30 a lower-case letter made the line ``bad_request_line``, and a final newline
#: (``"GET\n"`` from JSON, which ``$`` let through) did not.
_METHOD_RE = re.compile(r"[A-Za-z][A-Za-z_-]*")
_ESCAPE_RE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)")
#: Upstream list sums are rounded to the microsecond (``0.1, 0.2`` -> 0.3, not 0.30000000000000004).
LIST_SUM_DECIMALS = 6
_SECRET_KEY_RE = f"(?i){SECRET_KEY_PATTERN}="
#: What makes a string value need care: an escape to undo, or a character to write escaped
_NEEDS_CARE = rf"\\|{UNPRINTABLE_CLASS}"
_JSON_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def unescape_nginx(value: str) -> str:
    r"""Undo NGINX's escaping of one value: ``\xHH`` (default) and ``\"``, ``\uXXXX`` (``json``).

    >>> unescape_nginx(r'/a\x22b\x5Cc'), unescape_nginx(r'say \"hi\"')
    ('/a"b\\c', 'say "hi"')
    """

    if "\\" not in value:
        return value
    out = bytearray()
    pos = 0
    for m in _ESCAPE_RE.finditer(value):
        out += value[pos : m.start()].encode()
        code = m.group(1)
        if code[0] == "x" and len(code) == 3:
            out.append(int(code[1:], 16))
        elif code[0] == "u" and len(code) == 5:
            out += chr(int(code[1:], 16)).encode("utf-8", errors="surrogatepass")
        else:
            out += _JSON_ESCAPES.get(code, code).encode()
        pos = m.end()
    out += value[pos:].encode()
    return out.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------- raw -> events


def _nullify(e: pl.Expr) -> pl.Expr:
    """NGINX's ``-`` (variable not set) and empty values -> null."""
    return pl.when(e.is_in(["-", ""])).then(None).otherwise(e)


def _end_time(raw: set[str], zones: list[str]) -> pl.Expr:
    """Log-write time (UTC) from the first of :data:`TIME_VARIABLES` the template has.

    ``zones`` are the distinct ``$time_local`` zone texts of the frame (a handful per file).
    """
    if "msec" in raw:
        msec = number(_nullify(pl.col("msec"))).value
        return msec_time(pl.when(msec < MAX_MSEC).then(msec))
    if "time_iso8601" in raw:
        return pl.col("time_iso8601").str.strptime(
            pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False
        )
    naive = pl.col("time_local").str.strptime(pl.Datetime("us"), "%d/%b/%Y:%H:%M:%S", strict=False)
    offsets = {z: _offset_seconds(z) for z in zones if z is not None}
    offset = pl.col("time_local" + TZ_SUFFIX).replace_strict(
        offsets, default=None, return_dtype=pl.Int64
    )
    return (naive - pl.duration(seconds=offset)).dt.replace_time_zone("UTC")


def msec_time(msec: pl.Expr) -> pl.Expr:
    """``$msec`` (epoch seconds, Float64) -> UTC timestamp, rounded to the microsecond."""
    return (msec * 1_000_000).round().cast(pl.Int64).cast(pl.Datetime("us", "UTC"))


def start_time(end: pl.Expr, latency_s: pl.Expr | None) -> pl.Expr:
    """Request start = log-write time ``end`` - ``latency_s`` (rounded to the microsecond).

    A null latency (``-``) or no ``$request_time`` at all leaves the logged time.
    """
    if latency_s is None:
        return end
    shift = (latency_s * 1_000_000).round().cast(pl.Int64).fill_null(0)
    return end - pl.duration(microseconds=shift)


def path_columns(raw: set[str]) -> dict[str, pl.Expr]:
    """``method`` and ``path`` from ``$request_method``, ``$request_uri`` / ``$uri`` + ``$args``
    (for templates without ``$request``); the raw string columns are named after the variables."""
    out: dict[str, pl.Expr] = {}
    if "request_method" in raw:
        out["method"] = _nullify(pl.col("request_method"))
    path_var = _first(raw, ("request_uri", "uri"))
    if path_var is not None:
        path = _nullify(pl.col(path_var))
        if path_var == "uri" and "args" in raw:
            args = _nullify(pl.col("args"))
            path = (
                pl.when(args.is_not_null())
                .then(pl.concat_str([path, pl.lit("?"), args]))
                .otherwise(path)
            )
        out["path"] = path
    return out


def string_columns(raw: set[str]) -> dict[str, pl.Expr]:
    """``host``, ``consumer``, ``api``, ``cache_status`` from the first variable of each that
    the template has (:data:`STRING_SOURCES`); ``-`` and empty become null."""
    out: dict[str, pl.Expr] = {}
    for column, sources in STRING_SOURCES.items():
        var = _first(raw, sources)
        if var is not None:
            out[column] = _nullify(pl.col(var))
    return out


def finish_strings(result: pl.DataFrame) -> pl.DataFrame:
    """Undo NGINX escaping in the string columns and redact credentials in ``path``."""
    for column in ("path", "host", "consumer", "api", "cache_status"):
        if column in result.columns:
            result = result.with_columns(_unescape(result[column]))
    if "path" in result.columns:
        result = result.with_columns(_scrub(result["path"]))
    return result


_ZONE_RE = re.compile(r"^([+-])([0-9]{2})([0-5][0-9])$")


def _offset_seconds(zone: str) -> int | None:
    """``+0200`` -> 7200, ``-0530`` -> -19800; ``None`` unless ``[+-]HHMM``."""
    m = _ZONE_RE.match(zone)
    if m is None:
        return None
    seconds = int(m.group(2)) * 3600 + int(m.group(3)) * 60
    return -seconds if m.group(1) == "-" else seconds


def _first(raw: set[str], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in raw), None)


def convert(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Raw variable text -> ``(events, reason)``.

    Args:
        frame: one string column per NGINX variable (named without ``$``); ``time_local`` holds
            the date part (``10/Sep/2015:17:57:59``) and ``time_local__tz`` the zone (``+0200``).

    Returns:
        events with the :data:`~apislo.sources.logs.base.RAW_SCHEMA` columns the variables give,
        one row per input row, and ``reason``: null for good rows, else one of
        ``bad_timestamp``, ``bad_request_line``, ``bad_number``.
    """
    raw = set(frame.columns)
    bad_number: list[pl.Expr] = []
    out: dict[str, pl.Expr] = {}
    zones = frame["time_local" + TZ_SUFFIX].unique().to_list() if "time_local" in raw else []
    end = _end_time(raw, zones)
    if "request_time" in raw:
        latency = duration(_nullify(pl.col("request_time")), divisor=1.0)
        bad_number.append(latency.bad)
        out["ts"] = start_time(end, latency.value)
        out["latency_s"] = latency.value
    else:
        out["ts"] = end
    # a start in year 0 (01/Jan/0001 at +0100, or less its latency) would crash the readers
    bad_ts = end.is_null() | ~in_calendar(out["ts"])

    bad_request = pl.lit(False)
    if "request" in raw:
        # Split once, up front; method and protocol are checked on their few distinct values
        # after the select (_check_request).
        frame = frame.with_columns(
            pl.col("request")
            .str.splitn(" ", 3)  # the protocol keeps what follows it: "HTTP/1.1 x" is no protocol
            .struct.rename_fields(["_method", "_path", "_proto"])
            .alias("_request")
        ).unnest("_request")
        out["method"] = pl.col("_method")
        out["path"] = pl.col("_path")
        out["_proto"] = pl.col("_proto")
        bad_request = pl.col("_path").is_null()
    else:
        out.update(path_columns(raw))

    if "status" in raw:
        status = status_code(_nullify(pl.col("status")), none_values=NO_STATUS)
        out["status"] = status.value
        bad_number.append(status.bad)

    is_list = pl.lit(False)
    if "upstream_response_time" in raw:
        # Lists (and garbage) are no single number; _fix_lists sorts them out after the select.
        single = number(_nullify(pl.col("upstream_response_time")))
        out["upstream_latency_s"] = single.value
        out["attempts"] = pl.when(single.value.is_not_null()).then(pl.lit(1, pl.Int16))
        is_list = single.bad
    else:
        attempts_var = _first(raw, ATTEMPT_SOURCES)
        if attempts_var is not None:
            count = _count_members(_nullify(pl.col(attempts_var)))
            out["attempts"] = pl.when(count <= MAX_ATTEMPTS).then(count)
            bad_number.append(count > MAX_ATTEMPTS)

    for column, sources in INT_SOURCES.items():
        var = _first(raw, sources)
        if var is not None:
            size = number(_nullify(pl.col(var)), integer=True)
            out[column] = size.value
            bad_number.append(size.bad)
    out.update(string_columns(raw))

    any_bad_number = pl.any_horizontal(bad_number).fill_null(False) if bad_number else pl.lit(False)
    reason = (
        pl.when(bad_ts)
        .then(pl.lit("bad_timestamp"))
        .when(bad_request)
        .then(pl.lit("bad_request_line"))
        .when(any_bad_number)
        .then(pl.lit("bad_number"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    result = (
        frame.lazy()
        .select(
            *(e.cast(RAW_SCHEMA.get(k, pl.String())).alias(k) for k, e in out.items()),
            reason.alias("_reason"),
            is_list.fill_null(False).alias("_is_list"),
        )
        .collect()
    )  # lazy, so the sub-expressions shared by values and checks are computed once
    if "_proto" in result.columns:
        result = _check_request(result)
    if "upstream_response_time" in raw and result["_is_list"].any():
        result = _fix_lists(result, frame["upstream_response_time"])
    result = finish_strings(result)
    return result.drop("_reason", "_is_list"), result["_reason"]


def _count_members(present: pl.Expr) -> pl.Expr:
    """Members of a list value (``, `` and `` : `` separate them; null stays null)."""
    return (
        present.str.count_matches(",", literal=True)
        + present.str.count_matches(" : ", literal=True)
        + 1
    )


def _check_request(result: pl.DataFrame) -> pl.DataFrame:
    """Reject rows whose method or protocol is not valid (checked once per distinct value)."""
    bad_methods = [
        m for m in result["method"].unique().to_list() if m is None or not _METHOD_RE.fullmatch(m)
    ]
    bad_protos = [p for p in result["_proto"].unique().to_list() if p not in PROTOCOLS]
    bad = result["method"].is_in(bad_methods, nulls_equal=True) | result["_proto"].is_in(
        bad_protos, nulls_equal=True
    )
    if not bad.any():
        return result.drop("_proto")
    # bad_timestamp outranks bad_request_line, which outranks bad_number.
    keep = result["_reason"] == "bad_timestamp"
    reason = pl.when(bad & ~keep.fill_null(False)).then(pl.lit("bad_request_line"))
    return result.with_columns(
        _reason=reason.otherwise(pl.col("_reason")),
    ).drop("_proto")


def _fix_lists(result: pl.DataFrame, raw: pl.Series) -> pl.DataFrame:
    """Sum and count the (rare) rows whose ``$upstream_response_time`` is a list (or no
    number at all): ``bad_number`` unless every member is ``-`` or a number
    (:func:`~apislo.sources.logs.fields.number`), they fit ``attempts`` (:data:`MAX_ATTEMPTS`)
    and their sum is below 2**53."""
    idx = to_polars(np.flatnonzero(result["_is_list"].to_numpy()))
    members = (
        raw.gather(idx).str.replace_all(" : ", ", ", literal=True).str.split(", ").to_frame("m")
    )
    value = number(pl.element()).value
    lists = members.select(
        n=pl.col("m").list.len(),
        ok=pl.col("m").list.eval((pl.element() == "-") | value.is_not_null()).list.all(),
        nums=pl.col("m").list.eval(value),
    ).with_columns(
        good=pl.col("nums").list.drop_nulls().list.len(),
        total=pl.col("nums").list.sum().round(LIST_SUM_DECIMALS),
    )
    fits = (pl.col("n") <= MAX_ATTEMPTS) & (pl.col("total") < MAX_EXACT_NUMBER)
    checked = lists.select(
        total=pl.when(pl.col("good") > 0).then(pl.col("total")),
        attempts=pl.when(pl.col("n") <= MAX_ATTEMPTS).then(pl.col("n")).cast(pl.Int16),
        bad=~(pl.col("ok") & fits),
    )
    reason = result["_reason"].gather(idx)
    reason = pl.select(
        pl.when(reason.is_null() & checked["bad"]).then(pl.lit("bad_number")).otherwise(reason)
    ).to_series()
    return result.with_columns(
        result["upstream_latency_s"].scatter(idx, checked["total"]),
        result["attempts"].scatter(idx, checked["attempts"]),
        result["_reason"].scatter(idx, reason),
    )


def _scrub(path: pl.Series) -> pl.Series:
    """Redact credentials in query strings (``?apikey=...``), on the rows that name one.

    Rows are narrowed in two cheap steps (a ``=``, then a secret key before a ``=``) before the
    replacing regex runs: most query strings hold no credential.
    """
    idx = to_polars(
        np.flatnonzero(path.str.contains("=", literal=True).fill_null(False).to_numpy())
    )
    if len(idx):
        idx = idx.filter(path.gather(idx).str.contains(_SECRET_KEY_RE).fill_null(False))
    if not len(idx):
        return path
    scrubbed = path.gather(idx).to_frame().select(scrub_query_secrets(pl.col(path.name)))
    return path.scatter(idx, scrubbed.to_series())


def _unescape(s: pl.Series) -> pl.Series:
    """Unescape the (rare) values that hold a backslash escape; control characters (decoded
    from ``\\x1B`` or raw in JSON) are written escaped again (:func:`apislo.text.printable`)."""
    mask = s.str.contains(_NEEDS_CARE).fill_null(False)
    if not mask.any():
        return s
    idx = to_polars(np.flatnonzero(mask.to_numpy()))
    return s.scatter(idx, [printable(unescape_nginx(v)) for v in s.gather(idx).to_list()])


# ---------------------------------------------------------------------- events -> text


def _seconds_text(seconds: pl.Expr) -> pl.Expr:
    """Seconds as NGINX writes them: three decimals (``0.050``); null -> ``-``."""
    ms = (seconds * 1000).round().cast(pl.Int64)
    text = pl.concat_str(
        [(ms // 1000).cast(pl.String), pl.lit("."), (ms % 1000).cast(pl.String).str.zfill(3)]
    )
    return text.fill_null("-")


def _escaped(column: pl.Expr) -> pl.Expr:
    r"""Escape ``\`` and ``"`` as NGINX's default escaping does (``\x5C``, ``\x22``)."""
    return (
        column.str.replace_all("\\", "\\x5C", literal=True)
        .str.replace_all('"', "\\x22", literal=True)
        .fill_null("-")
    )


def _render_end(columns: set[str]) -> pl.Expr:
    latency = pl.col("latency_s") if "latency_s" in columns else pl.lit(0.0)
    shift = (latency.fill_null(0.0) * 1_000_000).round().cast(pl.Int64)
    return pl.col("ts").dt.convert_time_zone("UTC") + pl.duration(microseconds=shift)


def _render_upstream(columns: set[str]) -> pl.Expr:
    """``upstream_latency_s`` (+ ``attempts``) -> ``$upstream_response_time`` text."""
    single = _seconds_text(pl.col("upstream_latency_s"))
    if "attempts" not in columns:
        return single
    # Retries: the earlier attempts took 0.000 s (refused connections), the last one the rest.
    retries = (pl.col("attempts").cast(pl.Int64) - 1).clip(lower_bound=0).fill_null(0)
    zeros = pl.lit("0.000, ").repeat_by(retries).list.join("")
    return (
        pl.when(pl.col("upstream_latency_s").is_null())
        .then(pl.lit("-"))
        .otherwise(pl.concat_str([zeros, single]))
    )


def render(var: str, columns: set[str]) -> pl.Expr:
    """Expression rendering NGINX variable ``var`` from event columns.

    A column named after the variable (``remote_addr``, ``http_user_agent``...) is written as
    is; RAW_SCHEMA columns fill the variables they come from; anything else is ``-``. Times are
    the request end (``ts + latency_s``) in UTC, to the second for ``$time_local`` and
    ``$time_iso8601``; seconds have three decimals; strings are escaped as NGINX does.
    """
    if var in columns and var not in RAW_SCHEMA:
        return pl.col(var).cast(pl.String).fill_null("-")
    if var == "time_local":
        return _render_end(columns).dt.strftime("%d/%b/%Y:%H:%M:%S +0000")
    if var == "time_iso8601":
        return _render_end(columns).dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if var == "msec":
        return _seconds_text(_render_end(columns).dt.epoch("us") / 1_000_000)
    if var == "request" and {"method", "path"} <= columns:
        return pl.concat_str(
            [pl.col("method"), pl.lit(" "), _escaped(pl.col("path")), pl.lit(" HTTP/1.1")]
        ).fill_null("-")
    if var == "request_method" and "method" in columns:
        return pl.col("method").fill_null("-")
    if var in ("request_uri", "uri") and "path" in columns:
        return _escaped(pl.col("path"))
    if var == "server_protocol":
        return pl.lit("HTTP/1.1")
    if var == "status" and "status" in columns:
        return pl.col("status").cast(pl.String).fill_null("-")
    if var == "request_time" and "latency_s" in columns:
        return _seconds_text(pl.col("latency_s"))
    if var == "upstream_response_time" and "upstream_latency_s" in columns:
        return _render_upstream(columns)
    for column, sources in (*INT_SOURCES.items(), *STRING_SOURCES.items()):
        if var == sources[0] and column in columns:
            return _escaped(pl.col(column).cast(pl.String))
    return pl.lit("-")
