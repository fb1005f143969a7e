"""Raw parser output -> request events (:data:`apislo.model.EVENT_SCHEMA`).

One place for what every format shares: route templating, API and version naming, the route map,
column order and types. Formats convert units and sentinels themselves; nothing here knows a format.

Route templating replaces path segments that are ids with ``{id}``: decimal numbers (with a
fraction too: ``51.5074``), UUIDs, hex strings of 8 or more digits, JSON Web Tokens, and
segments holding a token (:mod:`~apislo.sources.logs.tokens`, whose rule the quarantine shares:
a run of 20 or more base64url characters mixing upper-case letters, lower-case letters and
digits); a file extension, which starts with a letter, after the id is kept: ``{id}.jpeg``. The
query string is dropped, and so are the scheme and host of a full-URL target
(``GET http://host/a``, as sent to a proxy), with any user and password in it. The API name is,
in order: the route map's name, the gateway's own service name (Kong service, HAProxy
backend...), else the first path segment after an optional ``api/`` and version segment
(``/v2/orders/17`` -> ``orders``), else ``"unknown"``. The version is the first ``v<N>`` or
``v<N.M>`` path segment, unless the format gave one.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from apislo.errors import ConfigError
from apislo.model import EVENT_SCHEMA
from apislo.sources.logs.base import RAW_SCHEMA
from apislo.sources.logs.dictionary import factorize
from apislo.sources.logs.tokens import JWT, is_token, token_rows, token_runs
from apislo.text import printable, read_yaml

__all__ = [
    "PathNamer",
    "RouteMap",
    "RouteRule",
    "bare_path",
    "normalise",
    "template_route",
    "to_arrow",
]

_ID = (
    r"(?:\d+(?:\.\d+)?"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9a-fA-F]{8,}"
    # a JSON Web Token (a bearer credential in a magic link's path): header.payload.signature
    rf"|{JWT})"
)
#: A file extension: it starts with a letter (digits after a dot are an id's fraction:
#: ``/geo/51.5074`` was ``/geo/{id}.5074``, a route per value).
_EXTENSION = r"\.[A-Za-z][A-Za-z0-9]{0,7}"
# One id segment, an optional extension, and the following "/" or the end. A match consumes the
# next "/", so back-to-back ids need a second pass (two passes cover any run of ids).
_ID_SEGMENT = rf"/{_ID}({_EXTENSION})?(/|$)"
#: An API version path segment: ``v2``, ``v1.2``, and a pre-release one as Kubernetes and Google
#: name them (``v1beta1``, ``v2alpha``, ``v1p1beta1``; until 2026-11-30 no version, and the
#: API named ``v1beta1``).
_VERSION_SEGMENT = r"v\d+(?:\.\d+)?(?:(?:p\d+)?(?:alpha|beta)\d*)?"
#: What the API name skips at the start of a route: ``/api`` and a version, each a whole segment;
#: the name is the segment that follows, if it is a name (not ``{id}``). In one regex the
#: optional prefixes would give way to a segment they should skip (``/v2/{id}`` -> ``v2``).
_API_PREFIX = rf"^/(?:api(?:/|$))?(?:{_VERSION_SEGMENT}(?:/|$))?"
_API_NAME = r"^/([^/{}]+)"
_VERSION = rf"/({_VERSION_SEGMENT})(?:/|$)"
#: The scheme and authority (``user:password@host:port``) of an absolute-form target, and the
#: ``/`` after them.
_ORIGIN = r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*/?"


@dataclass(frozen=True)
class RouteRule:
    """Requests whose path matches ``pattern`` (a regex, searched) belong to ``api``.

    ``route`` optionally replaces the templated route (e.g. a name like ``"create order"``).
    """

    pattern: str
    api: str
    route: str | None = None


@dataclass(frozen=True)
class RouteMap:
    """Ordered rules naming APIs and routes; the first match wins.

    The file is YAML, a list of ``{match: REGEX, api: NAME, route: NAME?}``::

        - match: '^/v\\d+/orders'
          api: orders
        - match: '^/internal/health'
          api: health
          route: health check

    Patterns are run by polars, so they use Rust regex syntax: no look-around and no
    backreferences.

    Raises:
        ConfigError: a rule's pattern is not a regex polars can run.
    """

    rules: tuple[RouteRule, ...]

    def __post_init__(self) -> None:
        for i, rule in enumerate(self.rules):
            problem = _regex_problem(rule.pattern)
            if problem is not None:
                raise ConfigError(f"route map item {i}: {problem}")

    @classmethod
    def load(cls, path: str | Path) -> RouteMap:
        """Read a route-map YAML file.

        Raises:
            ConfigError: the file is not a list of rules, or a regex does not compile or uses
                syntax polars cannot run (look-around, backreferences).
        """
        data = read_yaml(path, "route map")  # (loads YAML: `apislo ingest` without one does not)
        if not isinstance(data, list):
            raise ConfigError(f"{path}: a route map is a YAML list of {{match, api, route?}} items")
        rules = []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or not {"match", "api"} <= item.keys():
                raise ConfigError(f"{path}: item {i} needs 'match' (regex) and 'api' (name)")
            unknown = sorted(set(item) - {"match", "api", "route"})
            if unknown:  # a typo (`rout:`) would silently keep the templated route
                raise ConfigError(
                    f"{path}: item {i}: unknown key {unknown[0]!r} (match, api, route)"
                )
            route = item.get("route")  # (null: the templated route stays)
            rules.append(
                RouteRule(
                    _pattern(path, i, item["match"]),
                    _name(path, i, "api", item["api"]),
                    None if route is None else _name(path, i, "route", route),
                )
            )
        try:
            return cls(tuple(rules))
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc


def _name(path: str | Path, index: int, key: str, value: object) -> str:
    """A route map's ``api`` or ``route`` name: a non-empty text (a number is its text), shown
    with its control characters escaped as every text of an event is.

    Raises:
        ConfigError: empty, missing (``null``) or not a scalar.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value):
        raise ConfigError(f"{path}: item {index}: {key} must be a non-empty name, not {value!r}")
    return printable(str(value))


def _pattern(path: str | Path, index: int, value: object) -> str:
    """A route map's ``match``: a regex, written as text (a whole number is its text).

    Raises:
        ConfigError: missing (``null``: ``match:`` left empty was the regex ``None``), a list
            or mapping (whose Python text is a character class matching most paths), a
            boolean or a fraction.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{path}: item {index}: match must be a regex (text), not {value!r}")
    return str(value)


def _regex_problem(pattern: str) -> str | None:
    """Why polars (Rust regex) cannot run ``pattern``, in one line; ``None`` if it can."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(pattern)
    except pl.exceptions.ComputeError as exc:
        try:
            re.compile(pattern)
        except re.error as py_exc:
            return f"bad regex {pattern!r}: {py_exc}"
        # polars's message spans lines; the regex crate's reason is on the "error: " one
        lines = str(exc).splitlines()
        reason = next(
            (line.removeprefix("error: ") for line in lines if line.startswith("error: ")),
            "rejected",
        )
        return (
            f"regex {pattern!r} cannot run in polars ({reason}); route maps use Rust regex "
            "syntax: look-around and backreferences are not supported"
        )
    return None


def bare_path(path: pl.Expr) -> pl.Expr:
    """Polars expression: request target -> its path, without query string, fragment and path
    parameters (``/cart;jsessionid=...`` -> ``/cart``: a session, not a route), nor the scheme
    and host of a full URL (``http://user:pw@host/a`` -> ``/a``)."""
    origin_form = path.str.replace(_ORIGIN, "/")
    return origin_form.str.replace(r"[?#].*$", "").str.replace_all(r";[^/]*", "")


def template_route(path: pl.Expr) -> pl.Expr:
    """Polars expression: raw request target -> templated route (:func:`bare_path`, ids and
    tokens -> ``{id}``)."""
    once = bare_path(path).str.replace_all(_ID_SEGMENT, "/{id}${1}${2}")
    ids = once.str.replace_all(_ID_SEGMENT, "/{id}${1}${2}")
    return ids.map_batches(_without_tokens, return_dtype=pl.String, is_elementwise=True)


def _without_tokens(routes: pl.Series) -> pl.Series:
    """``routes`` with each segment that holds a token (one of its
    :func:`~apislo.sources.logs.tokens.token_runs` that
    :func:`~apislo.sources.logs.tokens.is_token` takes) written ``{id}``, its extension kept.

    Most routes hold none (:func:`~apislo.sources.logs.tokens.token_rows`: one or two regex
    searches, about 0.1 µs); only the rest (a token's, or a camel-case name's) are cut into
    segments, about 1 µs each.
    """
    rows = token_rows(routes)
    if rows.is_empty():
        return routes
    segment = pl.element()  # (of a route's segments)
    token = token_runs(segment).list.eval(is_token(pl.element())).list.any()
    extension = segment.str.extract(f"({_EXTENSION})$", 1).fill_null("")
    templated = pl.when(token).then(pl.concat_str(pl.lit("{id}"), extension)).otherwise(segment)
    fixed = routes.gather(rows).str.split("/").list.eval(templated).list.join("/")
    return routes.scatter(rows, fixed)


class PathNamer:
    """Names distinct paths (route, API and version from the path, the route map's names) and
    remembers them, so that the chunks of one log name each path once.

    Naming costs about 1.4 µs per path (regular expressions), 2.1 µs for one holding a token
    (:func:`_without_tokens`; one thread, 2026-11-29); a log's chunks share most of their
    paths. At most ``limit`` paths are remembered; past that the memory starts afresh, so it
    stays bounded (about 200 bytes per path). Threads may share one: paths are looked up
    in the memory by a join and named outside its lock, so two threads name their chunks' new
    paths at once (a log whose every path is new, an id per request, is named in parallel).
    """

    def __init__(self, route_map: RouteMap | None = None, limit: int = 200_000) -> None:
        self.route_map = route_map
        self.limit = limit
        self._lock = threading.Lock()
        #: one row per path named (``path`` then the named columns); replaced, never changed
        self._named: pl.DataFrame | None = None

    def name(self, paths: pl.Series) -> pl.DataFrame:
        """``path``, ``_route``, ``_map_api`` (the route map's name or null), ``_path_api`` and
        ``_path_version`` of each of ``paths`` (distinct, String, a null allowed), in order."""
        frame = paths.alias("path").to_frame().with_row_index("_row")
        memory = self._named  # (a frame is never changed, only replaced under the lock)
        if memory is None:
            known, fresh = None, _name_paths(frame, self.route_map)
        else:
            joined = frame.join(
                memory.with_columns(_known=pl.lit(True)),
                on="path",
                how="left",
                nulls_equal=True,
                maintain_order="left",
            )
            is_known = joined["_known"].is_not_null()
            if is_known.all():
                return joined.drop("_row", "_known")
            known = joined.filter(is_known).drop("_known")
            fresh = _name_paths(frame.filter(~is_known), self.route_map)
        self._remember(fresh.drop("_row"))
        if known is None:
            return fresh.drop("_row")
        return pl.concat([known, fresh.select(known.columns)]).sort("_row").drop("_row")

    def _remember(self, fresh: pl.DataFrame) -> None:
        """Add newly named paths to the memory (those another thread added meanwhile once)."""
        with self._lock:
            memory = self._named
            if memory is not None:
                fresh = fresh.join(memory, on="path", how="anti", nulls_equal=True)
                if memory.height + fresh.height <= self.limit:
                    fresh = pl.concat([memory, fresh])
            self._named = fresh.head(self.limit)


def normalise(
    raw: pl.DataFrame,
    gateway: str,
    route_map: RouteMap | None = None,
    *,
    namer: PathNamer | None = None,
) -> pl.DataFrame:
    """Map a parser's raw frame to the event schema (as a polars frame, columns in order).

    String columns come out :data:`polars.Categorical` (strings repeat: routes, methods, API
    names), computed once per distinct value; :func:`to_arrow` gives plain strings.

    Args:
        raw: a frame with some of :data:`RAW_SCHEMA`'s columns (strings as String or
            Categorical).
        gateway: the format name stored in the ``gateway`` column.
        route_map: optional rules naming APIs and routes.
        namer: a :class:`PathNamer` kept from chunk to chunk (it holds the route map: give
            one or the other); a fresh one when not given.

    Raises:
        ValueError: both ``route_map`` and ``namer`` were given.
    """
    if namer is None:
        namer = PathNamer(route_map)
    elif route_map is not None:
        raise ValueError("give the route map to the PathNamer, not to normalise as well")
    height = raw.height
    column = {name: raw[name] for name in RAW_SCHEMA if name in raw.columns}
    # Paths repeat far more than requests do: name each distinct path once.
    paths = factorize(_or_null(column, "path", height))
    named = namer.name(paths.values)
    fallback = pl.coalesce(pl.col("_path_api"), pl.lit("unknown"))
    if _all_null(column, "api"):
        api = paths.decode(named.select(pl.coalesce("_map_api", fallback)).to_series(), "api")
    else:
        api = _coalesce(
            "api",
            paths.decode(named["_map_api"], "api"),
            column["api"],
            paths.decode(named.select(fallback).to_series(), "api"),
        )
    version = paths.decode(named["_path_version"], "api_version")
    if not _all_null(column, "api_version"):
        version = _coalesce("api_version", column["api_version"], version)

    def numbers(name: str) -> pl.Series:
        return _or_null(column, name, height).cast(RAW_SCHEMA[name])

    def text(name: str) -> pl.Series:
        if _all_null(column, name):
            return _nulls(name, pl.Categorical, height)
        return column[name].cast(pl.Categorical)

    method = _or_null(column, "method", height)
    methods = factorize(method)
    events = {
        "ts": numbers("ts").cast(pl.Datetime("us", "UTC")),
        "api": api,
        "route": paths.decode(named["_route"], "route"),
        "method": methods.decode(methods.values.str.to_uppercase(), "method"),
        "status": numbers("status"),
        "latency_s": numbers("latency_s"),
        "upstream_latency_s": numbers("upstream_latency_s"),
        "attempts": numbers("attempts"),
        "bytes_in": numbers("bytes_in"),
        "bytes_out": numbers("bytes_out"),
        "consumer": text("consumer"),
        "api_version": version,
        "gateway": pl.Series("gateway", [gateway], pl.Categorical).new_from_index(0, height),
        "termination": text("termination"),
        "cache_status": text("cache_status"),
    }
    return pl.DataFrame([series.alias(name) for name, series in events.items()], height=height)


def _or_null(column: dict[str, pl.Series], name: str, height: int) -> pl.Series:
    """The raw column ``name``, or a column of nulls of its type when the parser gave none."""
    if name in column:
        return column[name]
    return _nulls(name, RAW_SCHEMA[name], height)


def _nulls(name: str, dtype: pl.DataType, height: int) -> pl.Series:
    """A column of ``height`` nulls (a direct call: ``pl.repeat`` runs a query, 0.6 ms)."""
    return pl.Series(name, [None], dtype=dtype).new_from_index(0, height)


def _all_null(column: dict[str, pl.Series], name: str) -> bool:
    series = column.get(name)
    return series is None or series.null_count() == len(series)


def _coalesce(name: str, *columns: pl.Series) -> pl.Series:
    """Row by row, the first non-null of ``columns`` (String or Categorical), as Categorical."""
    frame = pl.DataFrame([c.cast(pl.String).alias(f"_{i}") for i, c in enumerate(columns)])
    return frame.select(pl.coalesce(frame.columns).cast(pl.Categorical)).to_series().alias(name)


def _name_paths(paths: pl.DataFrame, route_map: RouteMap | None) -> pl.DataFrame:
    """For each distinct ``path``: ``_route``, ``_map_api`` (the route map's name or null),
    ``_path_api`` (from the route) and ``_path_version``."""
    named = paths.with_columns(
        template_route(pl.col("path")).alias("_route"),
        bare_path(pl.col("path")).str.extract(_VERSION, 1).alias("_path_version"),
        pl.lit(None, pl.String()).alias("_map_api"),
    ).with_columns(
        pl.col("_route").str.replace(_API_PREFIX, "/").str.extract(_API_NAME, 1).alias("_path_api")
    )
    if route_map is None or not route_map.rules:
        return named
    rule = _first_rule(named.select(bare_path(pl.col("path"))).to_series(), route_map)
    rules = route_map.rules
    apis = pl.Series([r.api for r in rules], dtype=pl.String)
    routes = pl.Series([r.route for r in rules], dtype=pl.String)
    return named.with_columns(
        apis.gather(rule).alias("_map_api"),
        pl.coalesce(routes.gather(rule), pl.col("_route")).alias("_route"),
    )


def _first_rule(bare: pl.Series, route_map: RouteMap) -> pl.Series:
    """For each of ``bare`` (paths), the index of the first rule whose pattern it matches,
    null if none.

    Each distinct path is tried once, and each rule only on the paths no earlier rule matched:
    a chain of ``when`` expressions ran every rule on every path, twice (API and route), so a
    map of 200 rules cost 100 CPU-seconds per million distinct paths.
    """
    distinct = bare.unique()
    found = np.full(len(distinct), -1, dtype=np.int64)
    left = np.arange(len(distinct))
    values = distinct
    for number, rule in enumerate(route_map.rules):
        if not left.size:
            break
        matched = values.str.contains(rule.pattern).fill_null(False)
        hit = matched.to_numpy()
        found[left[hit]] = number
        left, values = left[~hit], values.filter(~matched)
    table = pl.DataFrame({"bare": distinct, "rule": found}).with_columns(
        pl.when(pl.col("rule") >= 0).then(pl.col("rule"))
    )
    return (
        bare.to_frame("bare")
        .join(table, on="bare", how="left", nulls_equal=True, maintain_order="left")
        .get_column("rule")
    )


def to_arrow(events: pl.DataFrame) -> pa.Table:
    """Polars events -> Arrow table with exactly :data:`EVENT_SCHEMA`."""
    return events.to_arrow().cast(EVENT_SCHEMA)
