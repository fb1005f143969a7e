"""Vectorised field helpers shared by the gateway formats: sentinels, numbers, times, requests.

Every parser in this package builds one polars frame with a row per record (``line_no``, ``line``
and the raw string fields it extracted), turns the strings into typed columns with the helpers
below, and hands the lot to :func:`finish`, which splits events from rejects. The helpers never
loop over rows in Python.

Conventions: a parser first runs :func:`clean_columns` on the string fields it extracted, which
maps the sentinels ``-`` and the empty string (after trimming) to null. A :class:`Num` carries
both the typed value and a boolean *bad* expression (the text was neither a number nor a
sentinel, or a negative one), so a parser can reject the line with ``bad_number`` instead of
losing the value. Request times outside :data:`FIRST_TIME_US`..:data:`END_TIME_US` (years
1970-9999) are rejected ``bad_timestamp`` by :func:`finish`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from apislo.errors import PYTHON_ARGUMENTS
from apislo.sources.logs.base import (
    RAW_SCHEMA,
    REJECT_SCHEMA,
    Parsed,
    hash_secret,
    load_json,
    split_lines,
)
from apislo.sources.logs.tokens import redact_tokens
from apislo.text import (
    SECRET_JSON_KEYS,
    SECRET_KEY_PATTERN,
    SECRET_NAME_PATTERN,
    UNPRINTABLE_ESCAPES,
)
from apislo.zones import check_polars_timezone

__all__ = [
    "END_TIME_US",
    "FIRST_TIME_US",
    "MAX_DURATION_S",
    "MAX_EXACT_NUMBER",
    "Num",
    "clean",
    "clean_columns",
    "clf_prefix",
    "duration",
    "epoch_ms_to_ts",
    "finish",
    "format_clf_time",
    "format_ms",
    "has_keys",
    "hash_secrets",
    "in_calendar",
    "lines_frame",
    "local_to_utc",
    "match_lines",
    "number",
    "parse_clf_time",
    "parse_iso_time",
    "raw_events",
    "request_columns",
    "scrub_line_secrets",
    "scrub_query_secrets",
    "sniff_json",
    "sniff_pattern",
    "status_code",
    "whole_ms",
    "with_rejects",
]

_SENTINELS = ("-", "")


def clean(expr: pl.Expr) -> pl.Expr:
    """Trim a raw string column and map the sentinels ``-`` and empty to null."""
    trimmed = expr.cast(pl.String).str.strip_chars()
    return pl.when(~trimmed.is_in(_SENTINELS)).then(trimmed)


def clean_columns(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """:func:`clean` the string columns ``names`` of ``frame`` once, in place of the raw ones.

    Parsers call this right after extracting fields, so the many expressions built on a field
    (value, bad mask, reason) start from a plain column instead of repeating the cleaning.
    """
    return frame.with_columns(clean(pl.col(name)).alias(name) for name in names)


@dataclass(frozen=True)
class Num:
    """A parsed numeric field: ``value`` (typed, null for sentinels) and ``bad`` (reject it)."""

    value: pl.Expr
    bad: pl.Expr


#: Numbers of log fields must be smaller than this in magnitude (2**53) to be read.
MAX_EXACT_NUMBER = float(2**53)
#: The longest duration taken (a year, in seconds), as NGINX's ``$request_time``: a longer one is
#: garbage, and subtracting it from a time would leave the calendar.
MAX_DURATION_S = 365 * 86_400.0
#: Request times are taken from the Unix epoch (1970) to the end of year 9999 (epoch
#: microseconds, ``FIRST_TIME_US <= t < END_TIME_US``), the range of NGINX's ``$msec``: a time
#: outside is no request's (Go's zero time ``0001-01-01``, which a zone offset or a latency
#: turns into year 0), and some would not fit Python's datetimes.
FIRST_TIME_US = 0
END_TIME_US = 253_402_300_800 * 1_000_000


def number(
    text: pl.Expr,
    *,
    divisor: float = 1.0,
    integer: bool = False,
    none_values: Sequence[str] = (),
    signed: bool = False,
) -> Num:
    """Parse a numeric field.

    Args:
        text: a string column already passed through :func:`clean_columns` (sentinels null).
        divisor: the value is divided by it (``1000`` turns milliseconds into seconds), and the
            quotient rounded to 9 decimals (nanoseconds) so ``43`` ms is exactly ``0.043``.
        integer: the value must be a whole number (status, bytes, counts); result is Int64.
        none_values: extra sentinels meaning "not available" besides ``-`` and empty, such as
            ``"-1"`` for HAProxy timers or ``"0"`` for Envoy's status when the client left.
        signed: accept negative values. Durations, sizes, counts and times are never negative,
            so by default a negative value (other than a sentinel) is bad.

    Returns:
        :class:`Num` with the divided value (Float64, or Int64 when ``integer``) and the
        ``bad`` mask of values that are neither numbers nor sentinels.
    """
    as_float = text.cast(pl.Float64, strict=False)
    # null where the text is not a number; past 2**53 a float no longer holds every whole number,
    # and no field of a log is that large (it would overflow the integer columns downstream)
    ok = as_float.is_finite() & (as_float.abs() < MAX_EXACT_NUMBER)
    if not signed:
        ok = ok & (as_float >= 0)
    if integer:
        ok = ok & (as_float == as_float.round(0))
    if none_values:
        ok = ok & ~text.is_in(list(none_values))
        bad = text.is_not_null() & ~text.is_in(list(none_values)) & ~ok.fill_null(False)
    else:
        bad = text.is_not_null() & ~ok.fill_null(False)
    # polars divides by a scalar through its reciprocal (43 / 1000 -> 0.043000000000000003);
    # rounding to the nanosecond gives back the correctly rounded quotient.
    quotient = as_float if divisor == 1.0 else (as_float / divisor).round(9)
    value = pl.when(ok).then(quotient)
    return Num(value=value.cast(pl.Int64) if integer else value, bad=bad)


def duration(text: pl.Expr, *, divisor: float, none_values: Sequence[str] = ()) -> Num:
    """:func:`number` for a duration to subtract from a time: one of :data:`MAX_DURATION_S` or
    more is bad (and null)."""
    num = number(text, divisor=divisor, none_values=none_values)
    too_long = num.value >= MAX_DURATION_S
    return Num(value=pl.when(~too_long).then(num.value), bad=num.bad | too_long.fill_null(False))


def in_calendar(ts: pl.Expr) -> pl.Expr:
    """Whether UTC timestamps (microseconds) fall in years 1970-9999 (:data:`FIRST_TIME_US`,
    :data:`END_TIME_US`); null stays null."""
    micros = ts.dt.epoch("us")
    return (micros >= FIRST_TIME_US) & (micros < END_TIME_US)


def status_code(text: pl.Expr, *, none_values: Sequence[str] = ("0", "-1")) -> Num:
    """HTTP status: 100..999, or null for the sentinels (``0`` / ``-1``: no response was sent)."""
    num = number(text, integer=True, none_values=none_values)
    in_range = num.value.is_between(100, 999)
    return Num(
        value=pl.when(in_range).then(num.value).cast(pl.Int16),
        bad=num.bad | ~in_range.fill_null(True),
    )


def parse_iso_time(raw: pl.Expr) -> pl.Expr:
    """ISO 8601 / RFC 3339 timestamps with ``Z`` or an offset, any fraction -> UTC (null if bad)."""
    return (
        clean(raw)
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC")
    )


def parse_clf_time(raw: pl.Expr) -> pl.Expr:
    """Common Log Format time ``10/Oct/2000:13:55:36 -0700`` -> UTC (null if bad)."""
    return (
        clean(raw)
        .str.to_datetime("%d/%b/%Y:%H:%M:%S %z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC")
    )


def local_to_utc(naive: pl.Expr, tz: str | None) -> pl.Expr:
    """Attach ``tz`` (IANA name; ``None`` = UTC) to naive datetimes and convert to UTC.

    Raises:
        ConfigError: ``tz`` is not a known IANA zone.

    Ambiguous wall-clock times (the repeated hour when clocks go back) take the earliest
    instant; times that do not exist (clocks going forward) become null (``bad_timestamp``).
    """
    zone = tz or "UTC"
    check_polars_timezone(zone, PYTHON_ARGUMENTS.tz)
    return (
        naive.dt.cast_time_unit("us")
        .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def epoch_ms_to_ts(ms: pl.Expr) -> pl.Expr:
    """Epoch milliseconds (Float64 or Int64) -> UTC timestamp (microseconds); null when out of
    range."""
    micros = (ms * 1000).round(0).cast(pl.Int64, strict=False)  # null past the Int64 range
    return micros.cast(pl.Datetime("us", "UTC"))


def request_columns(
    frame: pl.DataFrame,
    column: str = "request",
    decode: Callable[[pl.Expr], pl.Expr] | None = None,
) -> pl.DataFrame:
    """Split a ``METHOD TARGET PROTOCOL`` column (protocol optional, as in HTTP/0.9).

    Adds ``method`` (upper case), ``path`` (the raw target, query string kept, credentials
    scrubbed) and ``__request_ok`` (false where the text is not a request line). ``decode``
    undoes a gateway's escaping of the target before its credentials are scrubbed.
    """
    parts = pl.col(column).str.extract_groups(r"^([A-Za-z]+) (\S+)(?: (HTTP/[0-9.]+))?$")
    frame = frame.with_columns(parts.alias("__request"))
    target = pl.col("__request").struct.field("2")
    return frame.with_columns(
        pl.col("__request").struct.field("1").str.to_uppercase().alias("method"),
        scrub_query_secrets(decode(target) if decode else target).alias("path"),
        pl.col("__request").struct.field("1").is_not_null().alias("__request_ok"),
    ).drop("__request")


#: ``#`` and two hex digits: a byte as HAProxy logs it in a request line (``#41`` is ``A``).
_HAPROXY_BYTE = "#[0-9A-Fa-f]{2}"


def scrub_query_secrets(text: pl.Expr) -> pl.Expr:
    """Replace credential values in query strings (``?apikey=s3cr3t``) and path parameters
    (``/cart;jsessionid=...``) with ``REDACTED``. ``text`` may be a path or a whole log line: a
    value ends at ``&``, ``;``, ``#``, a blank or a ``"`` (a path parameter's at ``/`` and ``?``
    too), but for a ``#`` and two hex digits, a byte as HAProxy logs it: until 2026-11-30 the
    ``#41bc`` of ``?token=#41bc`` (``Abc``) stayed in a quarantined HAProxy line."""
    query = text.str.replace_all(
        rf'(?i)([?&]{SECRET_KEY_PATTERN}=)(?:[^&;#\s"]|{_HAPROXY_BYTE})*', "${1}REDACTED"
    )
    return query.str.replace_all(
        rf'(?i)(;{SECRET_KEY_PATTERN}=)(?:[^/?&;#\s"]|{_HAPROXY_BYTE})*', "${1}REDACTED"
    )


#: Prefixes of JSON members that hold a header, cookie or query parameter by name: NGINX's
#: ``$http_x_api_key``, ``$sent_http_set_cookie``, ``$upstream_http_*``, ``$arg_api_key``,
#: ``$cookie_jsessionid``; Traefik's ``request_Authorization``, ``downstream_*``, ``origin_*``.
_MEMBER_PREFIXES = (
    "http",
    "sent_http",
    "upstream_http",
    "arg",
    "cookie",
    "request",
    "downstream",
    "origin",
)
#: A JSON member ``"key": value`` whose key is a credential name (whole key, any case, ``-`` and
#: ``_`` standing for either: NGINX writes the header ``X-Api-Key`` as ``http_x_api_key``; maybe
#: after a prefix of :data:`_MEMBER_PREFIXES`), the value a string, a bare number or an array of
#: strings (a header sent twice); group 1 is up to the value. A string or array cut off by the
#: line's end (a ``truncated`` line) counts up to there: its first characters are the
#: credential's (until 2026-11-29 a line cut inside one kept them in clear).
_SECRET_JSON_MEMBER = (
    rf'(?i)("(?:(?:{"|".join(_MEMBER_PREFIXES)})[-_])?'
    rf'{SECRET_NAME_PATTERN}"\s*:\s*)'
    r'(?:"(?:[^"\\]|\\.)*(?:"|\\?$)|-?[0-9][0-9.eE+-]*'
    r'|\[\s*(?:"(?:[^"\\]|\\.)*"\s*,?\s*)*(?:\]|"(?:[^"\\]|\\.)*\\?$|$))'
)
#: A credential anywhere in a line, its name (a parameter's or a header's:
#: :data:`~apislo.text.SECRET_NAME_PATTERN`) a whole word followed by ``=`` or ``:`` (spaces
#: around allowed): ``apikey=...`` first in NGINX's quoted ``"args":"apikey=..."``, or in free
#: text: ``auth failed, token=...``, ``Authorization: Bearer ...``, ``X-Auth-Token: ...``,
#: ``password = "..."``; not ``monkey=2`` nor ``cookies: 3``; also as a member of JSON held in
#: a JSON string or an NGINX-escaped value (``{\"password\":\"...\"}``,
#: ``{\x22password\x22:\x22...\x22}``: a request body logged, a container log line cut short;
#: until 2026-11-29 kept in clear, and so were the headers that are no query parameter:
#: ``{\"cookie\":...}``, ``X-Auth-Token: ...``). The value is a quoted string, its quotes
#: escaped so or not (to the line's end when its quote is never closed: a cut line), or runs to
#: where a query value ends or to a ``,``, ``'`` or closing bracket; an authentication scheme
#: before it (``Bearer``) stays. Group 1 is what comes before the name (a character, or NGINX's
#: escaped quote), group 2 up to the value.
_SECRET_PARAM = (
    rf"(?i)(^|[^a-z0-9_.%-]|\\x22)({SECRET_NAME_PATTERN}(?:\\\"|\\x22)?\s*[:=]\s*"
    r"(?:(?:bearer|basic|digest)\s+)?)"
    r"""(?:\\".*?(?:\\"|$)|\\x22.*?(?:\\x22|$)|"[^"]*(?:"|$)|'[^']*(?:'|$)"""
    r"""|[^&;#\s",')\]}>]+)"""
)
#: The cookie headers of :data:`~apislo.text.SECRET_JSON_KEYS` (``cookie``, ``set-cookie``).
_COOKIE_HEADER = "|".join(key.replace("-", "[-_]?") for key in SECRET_JSON_KEYS if "cookie" in key)
#: A cookie header in free text, ``Cookie: a=1; b=2`` (``Set-Cookie`` too, attributes and all),
#: its value the cookies up to a blank, ``,``, ``"`` or ``\\`` (RFC 6265's cookie-octets): the
#: value of :data:`_SECRET_PARAM` ends at the first ``;``, which left the second cookie in clear.
#: Group 1 is what comes before the name, group 2 up to the value.
_SECRET_COOKIES = (
    rf'(?i)(^|[^a-z0-9_.%-])((?:{_COOKIE_HEADER})\s*:\s*)[^\s;,"\\]+(?:;\s*[^\s;,"\\]+)*'
)
#: The user information of a URL (``http://user:password@host``).
_URL_USERINFO = r'(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s"]+@'
#: A credential logged without its name: an ``Authorization`` value alone (NGINX's
#: ``"$http_authorization"``, HAProxy's ``capture request header Authorization`` in ``{...}``),
#: ``Bearer`` or ``Basic`` and a token (RFC 7235's token68) of 8 characters or more, a ``/``
#: in it escaped or not (``\/``, as PHP and Lua's cjson write one in JSON: the token's rest was
#: kept in clear on 2026-11-30); the scheme a word, as for :data:`_SECRET_PARAM`, and not a
#: path's last segment (``GET /plans/basic HTTP/1.1`` lost its protocol on 2026-11-30). Group
#: 1 is what comes before the scheme (a character, or NGINX's escaped quote), group 2 the
#: scheme, which stays.
_SCHEME_CREDENTIAL = (
    r"(?i)(^|[^a-z0-9_./%-]|\\x22)((?:bearer|basic)\s+)(?:[a-z0-9._~+/-]|\\/){8,}=*"
)


def scrub_line_secrets(text: pl.Expr) -> pl.Expr:
    """:func:`scrub_query_secrets`, and in JSON lines the values of members named like a
    credential (``"apikey"``, ``"api_key"``, ``"apiKey"``, ``"authorization"``, ``"cookie"``,
    Tyk's ``"raw_request"``...), also under a header or parameter prefix (``"http_x_api_key"``,
    ``"request_Authorization"``, ``"arg_api_key"``), replaced by ``"REDACTED"``, a credential
    parameter outside a query string (``"args":"apikey=..."``, or ``token=...`` in an error
    message) and a URL's user and password
    (``http://REDACTED@host``) too: for whole log lines kept aside (the quarantine), where
    Kong's ``querystring`` and ``headers`` objects and an API Gateway ``apiKey`` carry
    credentials outside any query string. A credential logged without its name, ``Bearer`` or
    ``Basic`` and a token, is written ``Bearer REDACTED``, and tokens, which no name gives away
    (a bot token or a JSON Web Token in a path), ``REDACTED``, by the rule that makes them
    ``{id}`` in routes (:func:`~apislo.sources.logs.tokens.redact_tokens`), the rest of the
    line kept."""
    return (
        scrub_query_secrets(text)
        .str.replace_all(_SECRET_JSON_MEMBER, '${1}"REDACTED"')
        .str.replace_all(_SECRET_COOKIES, "${1}${2}REDACTED")
        .str.replace_all(_SECRET_PARAM, "${1}${2}REDACTED")
        .str.replace_all(_URL_USERINFO, "${1}REDACTED@")
        .str.replace_all(_SCHEME_CREDENTIAL, "${1}${2}REDACTED")
        .map_batches(redact_tokens, return_dtype=pl.String, is_elementwise=True)
    )


def lines_frame(chunk: bytes) -> pl.DataFrame:
    """The chunk as a frame of ``line_no`` (0-based, Int64) and ``line`` (String)."""
    lines = split_lines(chunk)
    return pl.DataFrame(
        {"line_no": pl.arange(0, len(lines), eager=True), "line": lines},
        schema={"line_no": pl.Int64(), "line": pl.String()},
    )


def clf_prefix(client_ip: str, default_path: str) -> pl.Expr:
    """Raw events -> the Common Log Format part of a line, for writers:
    ``IP - USER [TIME] "METHOD PATH HTTP/1.1" STATUS BYTES`` (missing values as ``-``)."""
    return pl.concat_str(
        pl.lit(f"{client_ip} - "),
        pl.col("consumer").fill_null("-"),
        pl.lit(" ["),
        format_clf_time(pl.col("ts")),
        pl.lit('] "'),
        pl.col("method").fill_null("GET"),
        pl.lit(" "),
        pl.col("path").fill_null(default_path),
        pl.lit(' HTTP/1.1" '),
        pl.col("status").cast(pl.String).fill_null("-"),
        pl.lit(" "),
        pl.col("bytes_out").cast(pl.String).fill_null("-"),
    )


def match_lines(lines: bytes | list[tuple[int, str]], pattern: str) -> pl.DataFrame:
    """:func:`lines_frame` of a chunk (or a frame of given ``(line_no, text)`` pairs) plus one
    column per named group of ``pattern`` (null where it fails)."""
    if isinstance(lines, bytes | bytearray):
        frame = lines_frame(lines)
    else:
        frame = pl.DataFrame(
            lines, schema={"line_no": pl.Int64(), "line": pl.String()}, orient="row"
        )
    return frame.with_columns(pl.col("line").str.extract_groups(pattern).alias("__m")).unnest("__m")


def sniff_pattern(lines: list[str], pattern: str) -> float:
    """Fraction of ``lines`` that ``pattern`` matches (0 for no lines)."""
    if not lines:
        return 0.0
    return pl.Series(lines, dtype=pl.String).str.contains(pattern).sum() / len(lines)


def sniff_json(
    lines: list[str],
    is_record: Callable[[object], bool],
    recover: Callable[[str], object] | None = None,
) -> float:
    """Fraction of ``lines`` that decode as JSON values ``is_record`` accepts.

    Only a line whose first non-blank character is ``{`` or ``[`` (an object or a batch of
    them) is decoded; ``recover`` is tried on such a line that is not valid JSON (e.g. API
    Gateway's unescaped quotes).
    """
    if not lines:
        return 0.0
    hits = 0
    for line in lines:
        if not line.lstrip().startswith(("{", "[")):
            continue
        try:
            value = load_json(line)
        except ValueError:
            if recover is None:
                continue
            value = recover(line)
        hits += bool(is_record(value))
    return hits / len(lines)


def has_keys(*keys: str) -> Callable[[object], bool]:
    """A record test for :func:`sniff_json`: a JSON object holding all of ``keys``."""
    wanted = set(keys)
    return lambda value: isinstance(value, dict) and wanted <= value.keys()


def finish(
    frame: pl.DataFrame,
    reasons: Sequence[tuple[str, pl.Expr]],
    columns: dict[str, pl.Expr],
) -> Parsed:
    """Split a per-record frame into events and rejects.

    Args:
        frame: one row per record with at least ``line_no`` and ``line``.
        reasons: ``(reason, mask)`` pairs in priority order; the first true mask names the
            reject reason (one of :data:`~apislo.sources.logs.base.REJECT_REASONS`). After
            them, a number too large for its column is ``bad_number`` and a ``ts`` off the
            calendar (:func:`in_calendar`) ``bad_timestamp``.
        columns: event column name (a key of :data:`RAW_SCHEMA`) -> expression.

    Returns:
        :class:`Parsed` with events cast to :data:`RAW_SCHEMA` types (text with the characters
        of :data:`apislo.text.UNPRINTABLE_ESCAPES` escaped) and the rejects.
    """
    typed = {name: expr.cast(RAW_SCHEMA[name], strict=False) for name, expr in columns.items()}
    for name, expr in typed.items():  # text from a log reaches terminals, charts and pages
        if RAW_SCHEMA[name] == pl.String:
            typed[name] = expr.str.replace_many(UNPRINTABLE_ESCAPES)
    # a number too large for its column (a count of 10**14 retries in an Int16) is a bad number
    overflow = [
        expr.is_not_null() & typed[name].is_null()
        for name, expr in columns.items()
        if RAW_SCHEMA[name].is_numeric()
    ]
    if overflow:
        reasons = [*reasons, ("bad_number", pl.any_horizontal(overflow))]
    if "ts" in typed:  # a time no request has (Go's zero time; year 0 would crash the readers)
        reasons = [*reasons, ("bad_timestamp", ~in_calendar(typed["ts"]))]
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, mask in reversed(reasons):
        reason = pl.when(mask.fill_null(False)).then(pl.lit(name)).otherwise(reason)
    # One lazy pass: polars then computes each shared subexpression once (a parsed timestamp
    # used by a reason and a column; the cleaned text inside a number). Eager mode does not,
    # and the nested when/then of the helpers made it ~10x slower.
    tagged = (
        frame.lazy()
        .with_columns(
            reason.alias("__reason"),
            *(expr.alias(f"__col_{name}") for name, expr in typed.items()),
        )
        .collect()
    )
    events = tagged.filter(pl.col("__reason").is_null()).select(
        pl.col(f"__col_{name}").alias(name) for name in columns
    )
    rejects = tagged.filter(pl.col("__reason").is_not_null()).select(
        pl.col("line_no").cast(pl.Int64),
        pl.col("__reason").alias("reason"),
        pl.col("line").cast(pl.String),
    )
    return Parsed(events=events, rejects=rejects.cast(REJECT_SCHEMA))  # type: ignore[arg-type]


def raw_events(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with every :data:`RAW_SCHEMA` column present (missing ones null), typed."""
    missing = [pl.lit(None, dtype=dt).alias(n) for n, dt in RAW_SCHEMA.items() if n not in events]
    return events.with_columns(missing).select([pl.col(n).cast(dt) for n, dt in RAW_SCHEMA.items()])


def whole_ms(seconds: pl.Expr) -> pl.Expr:
    """Seconds -> whole milliseconds (rounded, Int64); null stays null."""
    return (seconds * 1000).round(0).cast(pl.Int64)


def format_ms(seconds: pl.Expr) -> pl.Expr:
    """Seconds -> whole milliseconds as text; null stays null."""
    return whole_ms(seconds).cast(pl.String)


def format_clf_time(ts: pl.Expr) -> pl.Expr:
    """UTC timestamp -> Common Log Format time ``10/Oct/2000:13:55:36 +0000``."""
    return ts.dt.strftime("%d/%b/%Y:%H:%M:%S +0000")


def _listed(value: str) -> bool:
    """Whether a credential's text is a JSON list: a parameter or header given twice
    (``?apikey=k1&apikey=k2``), which Kong logs as ``["k1", "k2"]`` and its key-auth plugin
    refuses (401 ``Duplicate API key found``)."""
    if not value.startswith("["):
        return False
    try:
        return isinstance(load_json(value), list)
    except ValueError:  # (a key that merely starts with ``[``)
        return False


def hash_secrets(values: pl.Series, bare: pl.Series | None = None) -> pl.Series:
    """:func:`~apislo.sources.logs.base.hash_secret` of each value (hashing each distinct one once).

    Sentinels (``-``, empty), lists (:func:`_listed`), bare flags and nulls are no key: they stay
    null, so the consumer comes from the format's next source.

    Args:
        values: the credentials' text.
        bare: which values were logged as the JSON boolean ``true``, a query parameter given
            without a value (``?apikey``, as Kong logs it; see
            :func:`~apislo.sources.logs.jsonlines.json_true`): a key ``"true"`` is then hashed
            like any other. Without it, every text ``true`` is taken for such a flag.
    """
    text = pl.select(clean(pl.lit(values))).to_series()
    if bare is None:  # (the caller cannot tell the boolean from the string)
        bare = (text == "true").fill_null(False)
    text = text.set(bare, None)
    distinct = text.drop_nulls().unique().to_list()
    mapping = {value: hash_secret(value) for value in distinct if not _listed(value)}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String).alias(values.name)


def with_rejects(parsed: Parsed, earlier: pl.DataFrame) -> Parsed:
    """``parsed`` with ``earlier`` rejects (lines set aside before conversion) merged in order."""
    rejects = pl.concat([earlier, parsed.rejects]).sort("line_no", maintain_order=True)
    return Parsed(events=parsed.events, rejects=rejects)
