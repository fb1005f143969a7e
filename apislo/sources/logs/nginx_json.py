"""NGINX JSON access logs: ``log_format name escape=json '{...}'``.

There is no standard NGINX JSON format: each site picks its keys. This module maps the keys
people use (the variable's own name, with or without ``$``, plus a few common aliases) to NGINX
variables, then converts values exactly as the text formats do
(:func:`apislo.sources.logs.nginx_convert.convert`):

============================================ =====================================
JSON key (first present wins)                NGINX variable
============================================ =====================================
``msec``, ``time_iso8601``, ``time_local``,  request end time (ISO 8601, CLF or
``@timestamp``, ``timestamp``, ``time``      epoch seconds, recognised by shape)
``request``                                  ``$request`` (``GET /a?b=1 HTTP/1.1``)
``request_method``, ``method``               ``$request_method``
``request_uri``, ``uri``, ``path``           path with query (``uri`` + ``args``)
``status``                                   ``$status``
``request_time``                             ``$request_time`` (seconds)
``upstream_response_time``                   list: summed, counted as attempts
``upstream_status``, ``upstream_addr``       lists: attempts when no response time
``body_bytes_sent``, ``bytes_sent``          bytes_out
``request_length``                           bytes_in
``host``, ``http_host``, ``server_name``     host
``remote_user``                              consumer
``upstream_cache_status``                    cache_status
============================================ =====================================

Keys are learned from the first 200 objects of each chunk. Objects that this rejects for want
of a key (their time, status or request under another key: the log_format changed, or two
servers write one file), and objects naming a key none of those 200 names (a ``request_time``
added), are read again, grouped by the keys each names. Keys that name no time,
no ``status`` or no request (``request``, or a method and a path) are not an NGINX access log:
such objects are rejected ``not_a_request``, as is an object without a status.
A line that is no valid JSON is ``bad_json`` whatever keys it seems to hold. Values may be JSON
strings or numbers; ``"-"`` and ``""`` are null. Lines written with the
default escaping (``\\x22`` inside JSON strings, which is not valid JSON) are repaired before
decoding. Invalid JSON is rejected ``bad_json`` (``truncated`` when the object is cut off).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import polars as pl

from apislo.sources.logs.base import LogFormat, Parsed, load_json, make_rejects, split_lines
from apislo.sources.logs.jsonlines import BOM, mend_lone_surrogates
from apislo.sources.logs.nginx_convert import TZ_SUFFIX, USED_VARIABLES, convert, render

__all__ = ["KEY_ALIASES", "NginxJson"]

#: Extra JSON keys accepted for a variable (besides its own name, with or without ``$``).
KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "_time": ("msec", "time_iso8601", "time_local", "@timestamp", "timestamp", "time"),
    "request_method": ("method",),
    "request_uri": ("path",),
}
_CLF_RE = re.compile(r"^\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}$")
_EPOCH_RE = re.compile(r"^\d{9,11}(\.\d+)?$")
_BAD_ESCAPE_RE = re.compile(r"\\x([0-9A-Fa-f]{2})")
_SAMPLE_LINES = 200


class NginxJson(LogFormat):
    """NGINX ``escape=json`` JSON lines (keys: see the module docstring)."""

    name = "nginx-json"
    description = "NGINX log_format escape=json '{...}' (keys by variable name)"

    def sniff(self, lines: list[str]) -> float:
        """Fraction of the sample lines that parse as NGINX JSON requests."""
        sample = [line for line in lines if line.strip()]
        if not sample:
            return 0.0
        parsed = self.parse("\n".join(sample).encode() + b"\n")
        return parsed.events.height / len(sample)

    def parse(self, chunk: bytes) -> Parsed:
        """Parse JSON lines: one event per request object, one reject per other line."""
        lines = split_lines(chunk.removeprefix(BOM))
        stripped = pl.Series("line", lines, pl.String).str.strip_chars()
        objects = (stripped.str.starts_with("{") & stripped.str.ends_with("}")).to_numpy()
        reasons: dict[int, str] = {
            int(i): ("truncated" if stripped[int(i)].startswith("{") else "not_a_request")
            for i in np.flatnonzero(~objects)
        }
        rows = np.flatnonzero(objects)
        keys = _sample_keys([lines[i] for i in rows[:_SAMPLE_LINES]])
        mapping = _map_keys(keys)
        events, rejected = _parse_objects(lines, stripped, rows, mapping)
        reasons.update(rejected)
        # A file whose log_format changed, or two servers' logs in one, holds objects with other
        # keys: those rejected for a key the first ones do not use, and those naming a key none
        # of them names (a `request_time` added: read with the first keys, its value was lost),
        # are read again, grouped by the keys each names, as each would be read alone.
        retry = {r for r, why in rejected.items() if why in _KEY_REASONS}
        retry.update(_naming_other_keys(stripped, rows, keys))
        found, again = [events], []
        for other, group in _by_mapping(lines, sorted(retry)).items():
            if dict(other) == mapping or not _holds_requests(dict(other)):
                continue
            events, rejected = _parse_objects(lines, stripped, np.array(group), dict(other))
            found.append(events)
            again += group
            for row in group:
                reasons.pop(row, None)
            reasons.update(rejected)
        if again:  # (each pass's events have the columns of its own keys)
            found[0] = found[0].filter(~pl.col("_row").is_in(again))
            events = pl.concat(found, how="diagonal_relaxed").sort("_row")
        return Parsed(events.drop("_row"), _rejects(reasons, lines))

    def write(self, events: pl.DataFrame) -> list[str]:
        """Render events as ``escape=json`` lines with the keys this parser reads first."""
        if events.height == 0:
            return []
        columns = set(events.columns)
        request = (
            pl.concat_str([pl.col("method"), pl.lit(" "), pl.col("path"), pl.lit(" HTTP/1.1")])
            if {"method", "path"} <= columns
            else pl.lit(None, pl.String)
        )
        fields = {var: render(var, columns) for var in _WRITTEN}
        fields["request"] = request.fill_null("-")
        record = pl.struct(
            **{key: fields[key] for key in ("time_iso8601", "request", *_WRITTEN[1:])}
        )
        return events.select(record.struct.json_encode().alias("line"))["line"].to_list()


#: Variables written by :meth:`NginxJson.write`, besides ``request``, in key order.
_WRITTEN = (
    "time_iso8601",
    "status",
    "request_time",
    "upstream_response_time",
    "body_bytes_sent",
    "request_length",
    "host",
    "remote_user",
)


#: Rejects that may come from keys another part of the file names (a time, a status, a request
#: under a key of its own): read again with their own keys.
_KEY_REASONS = frozenset({"not_a_request", "bad_timestamp", "bad_request_line"})


def _parse_objects(
    lines: list[str], stripped: pl.Series, rows: np.ndarray, mapping: dict[str, str]
) -> tuple[pl.DataFrame, dict[int, str]]:
    """Read the JSON object lines ``rows`` with ``mapping`` (variable -> key).

    Returns:
        ``(events, rejected)``: the events (their line in ``_row``) and why each other line
        was rejected.
    """
    if rows.size == 0:
        return _no_rows(), {}
    if not _holds_requests(mapping):
        return _no_rows(), _not_requests(stripped, rows)
    reasons: dict[int, str] = {}
    dtype = pl.Struct({key: pl.String for key in mapping.values()})
    decoded, bad = _decode(stripped.gather(rows), dtype)
    for i in bad:
        reasons[int(rows[i])] = "bad_json"
    good_rows = np.delete(rows, bad)
    values = decoded.filter(~pl.Series(np.isin(np.arange(len(rows)), bad))).unnest("v")
    if values[mapping["_time"]].null_count() == values.height:
        reasons.update(dict.fromkeys(good_rows.tolist(), "not_a_request"))
        return _no_rows(), reasons
    events, reason = _convert(values, mapping)
    # an object without a status (another program's JSON log in the file) is no request
    reason = reason.set(values[mapping["status"]].is_null(), "not_a_request")
    ok = reason.is_null().to_numpy()
    for i, why in zip(good_rows[~ok].tolist(), reason.filter(~reason.is_null()), strict=True):
        reasons[i] = why
    kept = events.filter(pl.Series(ok)).with_columns(_row=pl.Series(good_rows[ok], dtype=pl.Int64))
    return kept, reasons


def _not_requests(stripped: pl.Series, rows: np.ndarray) -> dict[int, str]:
    """Why the object lines ``rows``, whose keys name no request, are rejected: ``bad_json``
    when the line is no valid JSON (whatever keys it seems to hold, as when its keys do name a
    request), else ``not_a_request``."""
    reasons = dict.fromkeys(rows.tolist(), "not_a_request")
    _, bad = _decode(stripped.gather(rows), _ANY_OBJECT)
    reasons.update(dict.fromkeys(rows[bad].tolist(), "bad_json"))
    return reasons


#: A struct type to decode any JSON object with, only to tell valid JSON from invalid: it has no
#: field, so no member's value can fail to fit one.
_ANY_OBJECT = pl.Struct({})


def _by_mapping(lines: list[str], rows: list[int]) -> dict[tuple[tuple[str, str], ...], list[int]]:
    """The lines ``rows`` grouped by the variable -> key mapping of their own keys (each line
    decoded on its own: only rejected lines come here)."""
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for row in rows:
        mapping = _map_keys(_sample_keys([lines[row]]))
        groups.setdefault(tuple(sorted(mapping.items())), []).append(row)
    return groups


def _no_rows() -> pl.DataFrame:
    return _empty().with_columns(_row=pl.Series([], dtype=pl.Int64))


def _sample_keys(lines: list[str]) -> list[str]:
    """Union of the top-level keys of sample lines (those that decode)."""
    keys: dict[str, None] = {}
    for line in lines:
        try:
            record = load_json(_BAD_ESCAPE_RE.sub(r"\\u00\1", line))
        except ValueError:
            continue
        if isinstance(record, dict):
            keys.update(dict.fromkeys(record))
    return list(keys)


#: The names (without ``$``) of the keys :func:`_map_keys` reads.
_KEY_NAMES = frozenset(
    {*USED_VARIABLES, *(name for names in KEY_ALIASES.values() for name in names)}
)


def _naming_other_keys(stripped: pl.Series, rows: np.ndarray, keys: list[str]) -> list[int]:
    """The object lines ``rows`` (of ``stripped``, the chunk's lines) that name a key
    :func:`_map_keys` reads that none of ``keys`` (those of the sample) is, found by their text
    (a member's key follows ``{`` or ``,``; a quote inside a value is escaped): their
    log_format is not the sample's. A key nested in an object may be found too, which only
    reads its line again."""
    unseen = sorted(_KEY_NAMES - {key.lstrip("$") for key in keys})
    if not unseen or rows.size == 0:
        return []
    pattern = r'[{,]\s*"\$*(?:' + "|".join(re.escape(name) for name in unseen) + r')"\s*:'
    return rows[stripped.gather(rows).str.contains(pattern).to_numpy()].tolist()


def _map_keys(keys: list[str]) -> dict[str, str]:
    """NGINX variable (or ``_time``) -> JSON key, for the variables :func:`convert` reads."""
    by_name = {k.lstrip("$"): k for k in keys}
    mapping: dict[str, str] = {}
    for alias in KEY_ALIASES["_time"]:
        if alias in by_name:
            mapping["_time"] = by_name[alias]
            break
    for var in sorted(USED_VARIABLES):
        if var in ("time_iso8601", "time_local", "msec"):
            continue
        for candidate in (var, *KEY_ALIASES.get(var, ())):
            if candidate in by_name and by_name[candidate] not in mapping.values():
                mapping[var] = by_name[candidate]
                break
    return mapping


def _holds_requests(mapping: dict[str, str]) -> bool:
    """Whether the keys found name what makes a log line a request: its time, its status, and
    the request (``request``, or a method and a path). Other JSON logs (an application's
    ``{"time", "level", "msg"}``, Tyk's ``response_code``...) are not NGINX access logs."""
    has_path = "request_uri" in mapping or "uri" in mapping
    has_request = "request" in mapping or ("request_method" in mapping and has_path)
    return "_time" in mapping and "status" in mapping and has_request


def _decode(lines: pl.Series, dtype: pl.Struct) -> tuple[pl.DataFrame, list[int]]:
    """Decode JSON objects into a struct column ``v``; positions that do not decode are listed.

    The whole column is decoded at once; on an error it is halved until the bad lines are
    found, then each is retried with ``\\xHH`` escapes repaired (NGINX's default escaping). A
    lone surrogate escaped in a value (``\\ud83d``) is read as U+FFFD
    (:func:`~apislo.sources.logs.jsonlines.mend_lone_surrogates`), as every JSON format reads
    one: until 2026-11-30 a high half was read as U+0000, a low half made the line
    ``bad_json``.
    """
    lines = mend_lone_surrogates(lines)
    bad: list[int] = []
    parts: list[pl.Series] = []

    def run(series: pl.Series, offset: int) -> None:
        try:
            parts.append(series.str.json_decode(dtype))
            return
        except pl.exceptions.PolarsError:
            pass
        if series.len() > 1:
            half = series.len() // 2
            run(series.slice(0, half), offset)
            run(series.slice(half), offset + half)
            return
        repaired = series.str.replace_all(r"\\x([0-9A-Fa-f]{2})", r"\\u00$1")
        try:
            parts.append(repaired.str.json_decode(dtype))
        except pl.exceptions.PolarsError:
            bad.append(offset)
            parts.append(pl.Series([None], dtype=dtype))

    run(lines, 0)
    return pl.DataFrame({"v": pl.concat(parts)}), bad


def _convert(values: pl.DataFrame, mapping: dict[str, str]) -> tuple[pl.DataFrame, pl.Series]:
    """:func:`convert` of the JSON values, each time read by its own shape: the events and
    reasons of every row, in order.

    The values are read in the shape of the first time; the times that this rejects and that
    have another shape (a key holding ``$time_local`` on some lines and ``$time_iso8601`` on
    others: the log_format changed) are read again in theirs.
    """
    time = values[mapping["_time"]]
    first = _shape(time.drop_nulls().head(1).to_list()[0])
    events, reason = convert(_raw_frame(values, mapping, first))
    retry = (reason == "bad_timestamp").fill_null(False).arg_true()
    others: dict[str, list[int]] = {}
    for row, value in zip(retry.to_list(), time.gather(retry).to_list(), strict=True):
        shape = _shape(value)
        if shape != first:
            others.setdefault(shape, []).append(row)
    if not others:
        return events, reason
    rows = [row for group in others.values() for row in group]
    parts = [
        events.with_columns(
            _reason=reason, _pos=pl.int_range(events.height, dtype=pl.Int64)
        ).filter(~pl.col("_pos").is_in(rows))
    ]
    for shape, group in others.items():
        index = pl.Series(group, dtype=pl.Int64)
        again, why = convert(_raw_frame(values[index], mapping, shape))
        parts.append(again.with_columns(_reason=why, _pos=index))
    merged = pl.concat(parts, how="diagonal_relaxed").sort("_pos")
    return merged.drop("_reason", "_pos"), merged["_reason"]


def _shape(value: str | None) -> str:
    """The variable a JSON time is written as, by its shape: ``time_local``
    (``10/Sep/2015:17:57:59 +0000``), ``msec`` (epoch seconds) or ``time_iso8601``."""
    if value is not None and _CLF_RE.match(value):
        return "time_local"
    if value is not None and _EPOCH_RE.match(value):
        return "msec"
    return "time_iso8601"


def _raw_frame(values: pl.DataFrame, mapping: dict[str, str], time_var: str) -> pl.DataFrame:
    """JSON values -> raw NGINX variable columns for :func:`convert`, the time as
    ``time_var``."""
    time = values[mapping["_time"]]
    columns: dict[str, pl.Series] = {}
    if time_var == "time_local":
        date, tz = time.str.split_exact(" ", 1).struct.unnest().get_columns()
        columns["time_local"], columns["time_local" + TZ_SUFFIX] = date, tz
    else:
        columns[time_var] = time
    for var, key in mapping.items():
        if var != "_time":
            columns[var] = values[key]
    return pl.DataFrame(columns)


def _empty() -> pl.DataFrame:
    """No events, with the columns the conversion gives."""
    return _no_events().clear()


@functools.cache
def _no_events() -> pl.DataFrame:
    """Built once: polars' conversion costs about 9 ms, even for no rows."""
    raw = pl.DataFrame(
        {"time_iso8601": [], "request": [], "status": [], "request_time": []},
        schema=dict.fromkeys(["time_iso8601", "request", "status", "request_time"], pl.String),
    )
    return convert(raw)[0]


def _rejects(reasons: dict[int, str], lines: list[str]) -> pl.DataFrame:
    order = sorted(reasons)
    return make_rejects(order, [reasons[i] for i in order], [lines[i] for i in order])
