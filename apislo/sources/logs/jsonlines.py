"""Read JSON-lines access logs fast, without losing a chunk to one bad line.

:func:`read_records` asks polars for the fields a format needs (nested paths such as
``latencies.request``), every leaf typed as a string so a field that is a number on one line and
``"-"`` on the next does not break the read; the format converts types afterwards with
:mod:`apislo.sources.logs.fields`.

* Fast path: the whole chunk in one ``polars.read_ndjson`` call. It is used when every line is a
  JSON object (the row count equals the line count).
* When that fails, lines that cannot be an object (blank, plain text, cut off: not ``{...}``)
  take the careful path alone and the others are read in one call again; if that still fails
  (bad syntax inside a line, a field of the wrong shape), the lines are halved again and again
  and only blocks of at most 256 lines around the bad ones take the careful path.
* Careful path: one ``json.loads`` per line, which classifies each bad line (``not_a_request``,
  ``truncated``, ``bad_json``), expands batch lines (``[{...},{...}]``, Kong http-log; a chunk
  holding batches goes this way whole), lets the format recover lines that are almost JSON
  (``recover``), then reads the good records with polars as above. A record whose shape does
  not fit (an object where a string is expected) is rejected alone as ``bad_json``.

Every leaf is read as its JSON text, so the boolean ``true`` and the string ``"true"`` read
alike; :func:`json_true` tells them apart where a format needs it.

A lone surrogate escaped in a string (``\\ud83d``, half an emoji cut by a writer, with no
``\\udc00``-``\\udfff`` after it; or such a low half alone, ``\\udcff``, Python's JSON for an
undecodable byte), which UTF-8 cannot hold, is read as U+FFFD, as an invalid byte of a log is
and as the Docker envelope reads one (:func:`mend_lone_surrogates`): until 2026-11-30 polars
read a high half as U+0000 and refused a low half (``bad_json``). Lines holding a surrogate
escape take the careful path, which mends them.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from apislo.sources.logs.base import REJECT_SCHEMA, load_json, make_rejects, split_lines

__all__ = [
    "BOM",
    "JsonRecords",
    "field_schema",
    "json_true",
    "mend_lone_surrogates",
    "read_records",
]

Recover = Callable[[str], dict[str, Any] | None]

#: Blocks of at most this many lines that polars cannot read whole are read line by line.
_CAREFUL_BLOCK = 256
#: The UTF-8 byte order mark some Windows tools write at the start of a file.
BOM = b"\xef\xbb\xbf"
#: A UTF-16 surrogate (U+D800-U+DFFF) escaped in JSON text: where a lone one may be.
_SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
#: A JSON escape, from its backslash: a surrogate pair (kept), a lone surrogate (group 1), or any
#: other (kept; ``\\\\`` whole, so that the text after an escaped backslash is no escape).
_ESCAPE = re.compile(
    r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    r"|(u[dD][89a-fA-F][0-9a-fA-F]{2})|.)"
)


@dataclass
class JsonRecords:
    """Records read from a chunk.

    Attributes:
        frame: one row per record: ``line_no`` (Int64), ``line`` (the record's text: its line
            as written, a batch element's JSON; JSON but for a line ``recover`` read) and one
            column per requested path, named by the dotted path (String, or List(String) for
            ``lists``); absent fields are null.
        rejects: lines (or batch elements) that are not records, :data:`REJECT_SCHEMA`.
    """

    frame: pl.DataFrame
    rejects: pl.DataFrame


def field_schema(
    paths: Sequence[str], lists: Sequence[str] = (), leaf: pl.DataType | None = None
) -> dict[str, pl.DataType]:
    """Polars schema reading only ``paths`` (dotted): String leaves (or ``leaf``), List(String)
    for ``lists``."""
    tree: dict[str, Any] = {}
    for path in [*paths, *lists]:
        node = tree
        *parents, name = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[name] = pl.List(pl.String()) if path in lists else leaf or pl.String()

    def build(node: dict[str, Any]) -> dict[str, pl.DataType]:
        return {k: pl.Struct(build(v)) if isinstance(v, dict) else v for k, v in node.items()}

    return build(tree)


def _flatten(paths: Sequence[str]) -> list[pl.Expr]:
    out = []
    for path in paths:
        head, *rest = path.split(".")
        expr = pl.col(head)
        for key in rest:
            expr = expr.struct.field(key)
        out.append(expr.alias(path))
    return out


def mend_lone_surrogates(texts: pl.Series) -> pl.Series:
    """``texts`` (JSON, String) with each lone surrogate escaped in them written ``\\ufffd``
    (U+FFFD), surrogate pairs (``\\ud83d\\ude00``) and other escapes kept: polars reads a
    lone high half as U+0000 and refuses a lone low half, and UTF-8 can hold neither. Only the
    texts holding a surrogate escape (one search) are looked at closer.

    >>> texts = pl.Series([r'"/caf\\ud83d"', r'"\\ud83d\\ude00"', r'"\\\\ud83d"'])
    >>> mend_lone_surrogates(texts).to_list()
    ['"/caf\\\\ufffd"', '"\\\\ud83d\\\\ude00"', '"\\\\\\\\ud83d"']
    """
    rows = texts.str.contains(_SURROGATE_ESCAPE).fill_null(False).arg_true()
    if rows.is_empty():
        return texts
    mended = [_ESCAPE.sub(_mend, text) for text in texts.gather(rows).to_list()]
    return texts.clone().scatter(rows, mended)


def _mend(escape: re.Match[str]) -> str:
    return "\\ufffd" if escape[1] else escape[0]


def _read(texts: bytes, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.read_ndjson(io.BytesIO(texts), schema=schema)


def read_records(
    chunk: bytes,
    paths: Sequence[str],
    *,
    lists: Sequence[str] = (),
    recover: Recover | None = None,
) -> JsonRecords:
    """Read the fields ``paths`` (and list fields ``lists``) of every JSON record in ``chunk``.

    Args:
        chunk: complete lines, UTF-8 (a byte order mark at its start is skipped).
        paths: dotted field paths read as strings (numbers become their JSON text).
        lists: dotted paths of arrays, read as List(String) (elements as JSON text).
        recover: called with a line that is not valid JSON; returns the record (a flat dict)
            if the format can still read it, else ``None`` (``bad_json``/``truncated``).

    Returns:
        :class:`JsonRecords`.
    """
    schema = field_schema(paths, lists)
    columns = [*paths, *lists]
    chunk = chunk.removeprefix(BOM)  # (else the file's first record is not an object)
    lines = split_lines(chunk)
    numbers = list(range(len(lines)))
    if chunk.startswith(b"[") or b"\n[" in chunk:  # batches: the fast path cannot read them
        return _careful(lines, numbers, schema, columns, recover)
    frames: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    text = pl.Series(lines, dtype=pl.String).str.strip_chars()
    suspect = ~(text.str.starts_with("{") & text.str.ends_with("}"))
    suspect |= text.str.contains(_SURROGATE_ESCAPE)  # (mended there)
    if suspect.any():  # blank, plain-text or cut-off lines: read them one by one
        idx = suspect.arg_true().to_list()
        careful = _careful([lines[i] for i in idx], idx, schema, columns, recover)
        frames.append(careful.frame)
        rejects.append(careful.rejects)
        numbers = (~suspect).arg_true().to_list()
        lines, chunk = [lines[i] for i in numbers], b""
    _bisect(lines, numbers, schema, columns, recover, frames, rejects, chunk)
    frame = pl.concat(frames) if frames else _empty(schema, columns)
    rejects_frame = pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)
    if suspect.any():
        frame = frame.sort("line_no", maintain_order=True)
        rejects_frame = rejects_frame.sort("line_no", maintain_order=True)
    return JsonRecords(frame=frame, rejects=rejects_frame)


def _bisect(
    lines: list[str],
    numbers: list[int],
    schema: dict[str, pl.DataType],
    columns: list[str],
    recover: Recover | None,
    frames: list[pl.DataFrame],
    rejects: list[pl.DataFrame],
    data: bytes = b"",
) -> None:
    """Read ``lines`` in one polars call, or halve them until the bad lines are few.

    ``numbers`` are the lines' numbers in the chunk; ``data`` the lines' bytes when the caller
    has them (the whole chunk), to avoid a copy. With k bad lines polars reads about
    k x log2(lines / _CAREFUL_BLOCK) blocks; blocks of at most ``_CAREFUL_BLOCK`` lines that
    still fail go line by line.
    """
    if not lines:
        return
    try:
        frame = _read(data or ("\n".join(lines) + "\n").encode(), schema)
    except Exception:  # any polars failure: look closer
        frame = None
    if frame is not None and frame.height == len(lines):
        frames.append(
            frame.select(
                pl.Series("line_no", numbers, dtype=pl.Int64),
                pl.Series("line", lines, dtype=pl.String),
                *_flatten(columns),
            )
        )
    elif len(lines) <= _CAREFUL_BLOCK:
        careful = _careful(lines, numbers, schema, columns, recover)
        frames.append(careful.frame)
        rejects.append(careful.rejects)
    else:
        half = len(lines) // 2
        for part in (slice(0, half), slice(half, None)):
            _bisect(lines[part], numbers[part], schema, columns, recover, frames, rejects)


def json_true(frame: pl.DataFrame, path: str) -> pl.Series:
    """Whether each record's field ``path`` (dotted) is the JSON boolean ``true``.

    :func:`read_records` reads both ``true`` and ``"true"`` as the text ``true``: only the
    records holding that text (few, in a log) are read again, that field as a Boolean, which
    the string does not fit (it reads as null).

    Args:
        frame: :attr:`JsonRecords.frame` of records read with ``path`` among their paths.

    Returns:
        One Boolean per record, named ``path``: ``False`` for any other value, or none.
    """
    found = (frame[path] == "true").fill_null(False).alias(path)
    rows = found.arg_true()
    if rows.is_empty():
        return found
    texts = ("\n".join(frame["line"].gather(rows)) + "\n").encode()
    schema = field_schema([path], leaf=pl.Boolean())
    typed = pl.read_ndjson(io.BytesIO(texts), schema=schema, ignore_errors=True)
    return found.scatter(rows, typed.select(_flatten([path])).to_series().fill_null(False))


def _empty(schema: dict[str, pl.DataType], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema).select(
        pl.lit(None, dtype=pl.Int64).alias("line_no"),
        pl.lit(None, dtype=pl.String).alias("line"),
        *_flatten(columns),
    )


def _careful(
    lines: list[str],
    numbers: list[int],
    schema: dict[str, pl.DataType],
    columns: list[str],
    recover: Recover | None,
) -> JsonRecords:
    """Per-line path: classify bad lines, expand batches, recover, then read the rest.

    ``numbers`` are the lines' numbers within the chunk.
    """
    texts: list[str] = []  # each record's JSON
    shown: list[str] = []  # each record's text kept with it: its line, or a batch element's JSON
    line_nos: list[int] = []
    bad_nos: list[int] = []
    bad_reasons: list[str] = []
    bad_lines: list[str] = []

    def reject(no: int, reason: str, text: str) -> None:
        bad_nos.append(no)
        bad_reasons.append(reason)
        bad_lines.append(text)

    for no, line in zip(numbers, lines, strict=True):
        text = line.strip()
        if not text or text[0] not in "{[":
            reject(no, "not_a_request", line)
            continue
        try:
            obj = load_json(text)
        except json.JSONDecodeError as exc:
            record = recover(text) if recover else None
            if record is not None:  # (its line is kept as written, not as JSON made of it)
                texts.append(json.dumps(record))
                shown.append(line)
                line_nos.append(no)
            else:
                reject(no, "truncated" if _cut_off(exc) else "bad_json", line)
            continue
        if isinstance(obj, dict):
            texts.append(text)
            shown.append(text)
            line_nos.append(no)
        elif isinstance(obj, list) and obj:
            for element in obj:
                element_text = json.dumps(element)
                if isinstance(element, dict):
                    texts.append(element_text)
                    shown.append(element_text)
                    line_nos.append(no)
                else:
                    reject(no, "not_a_request", element_text)
        else:
            reject(no, "not_a_request", line)

    mended = mend_lone_surrogates(pl.Series(texts, dtype=pl.String)).to_list()
    frame, ok = _read_texts(mended, schema)
    for i, fits in enumerate(ok):
        if not fits:
            reject(line_nos[i], "bad_json", shown[i])
    frame = frame.select(
        pl.Series("line_no", [n for n, fits in zip(line_nos, ok, strict=True) if fits], pl.Int64),
        pl.Series("line", [t for t, fits in zip(shown, ok, strict=True) if fits], pl.String),
        *_flatten(columns),
    )
    rejects = make_rejects(bad_nos, bad_reasons, bad_lines).sort("line_no", maintain_order=True)
    return JsonRecords(frame=frame, rejects=rejects)


def _cut_off(exc: json.JSONDecodeError) -> bool:
    """Whether the text ended before the JSON value did (a cut line, not bad syntax)."""
    return exc.pos >= len(exc.doc) or exc.msg.startswith("Unterminated string")


def _read_texts(
    texts: list[str], schema: dict[str, pl.DataType]
) -> tuple[pl.DataFrame, list[bool]]:
    """Read record texts in one go; if the batch does not fit the schema, one by one.

    Returns:
        The frame of the records that fit, and one flag per text (True = in the frame).
    """
    if texts:
        try:
            frame = _read("\n".join(texts).encode(), schema)
        except Exception:  # a misfit somewhere: sort them one by one
            frame = None
        if frame is not None and frame.height == len(texts):
            return frame, [True] * len(texts)
    good: list[pl.DataFrame] = []
    ok: list[bool] = []
    for text in texts:
        try:
            one = _read(text.encode(), schema)
        except Exception:
            one = None
        fits = one is not None and one.height == 1
        ok.append(fits)
        if fits:
            good.append(one)
    frame = pl.concat(good, how="vertical") if good else pl.DataFrame(schema=schema)
    return frame, ok
