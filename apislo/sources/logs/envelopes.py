"""Envelopes around access-log lines: Docker json-file, CRI (containerd/CRI-O), syslog prefixes.

The ingest layer calls :func:`detect_envelope` on a sample of a file and, when one is found,
:func:`strip_envelope` on every chunk before format detection and parsing.

* ``docker``: ``{"log":"<line>\\n","stream":"stdout","time":"2024-01-02T03:04:05.6Z"}``.
* ``cri``: ``2016-10-06T00:17:09.669794202Z stdout F <line>``; ``P`` marks a partial piece of a
  long line, continued by the following pieces up to the next ``F``.
* ``syslog``: RFC 3164 ``Feb 25 16:19:49 host prog[pid]: <line>`` (optionally ``<PRI>``) and
  RFC 5424 ``<134>1 2019-02-25T16:19:49Z host prog 7 - - <line>``.

Line numbers are kept: the output has exactly one line per input line, so a reject's line number
still points into the original file. A message split into partial pieces (CRI ``P``, or Docker
entries whose ``log`` does not end with a newline) is joined and placed on the line of its *last*
piece; the lines of the earlier pieces are left empty (parsers reject blank lines as
``not_a_request``). Pieces still open at the end of a chunk are joined and kept there. Lines that
do not carry the envelope pass through unchanged.
"""

from __future__ import annotations

import io
import re

import polars as pl

from apislo.errors import ConfigError
from apislo.sources.logs.base import load_json, split_lines
from apislo.text import LONE_SURROGATE

__all__ = [
    "ENVELOPES",
    "SYSLOG_PREFIX",
    "detect_envelope",
    "records_end",
    "strip_envelope",
]

#: Regex (no anchors, no groups) of an RFC 3164 or RFC 5424 syslog header before a message.
SYSLOG_PREFIX = (
    r"(?:(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \S+ [^\s:\[]+(?:\[\d+\])?: "
    r"|<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?)"
)
_CRI = r"^\S+ (?:stdout|stderr) ([PF]) ?(.*)$"
_DOCKER = r'^\s*\{.*"log"\s*:.*"stream"\s*:.*"time"\s*:'
_PATTERNS = {"docker": _DOCKER, "cri": _CRI, "syslog": "^" + SYSLOG_PREFIX}

#: Envelope names, in detection order.
ENVELOPES: tuple[str, ...] = tuple(_PATTERNS)

#: Fraction of non-blank sample lines that must carry an envelope for it to be detected.
_DETECT_SHARE = 0.5


def detect_envelope(sample_lines: list[str]) -> str | None:
    """Name of the envelope most sample lines carry (``docker``, ``cri``, ``syslog``), or None.

    An envelope is detected when at least half of the non-blank lines carry it.
    """
    lines = pl.Series([line for line in sample_lines if line.strip()], dtype=pl.String)
    if lines.is_empty():
        return None
    best, share = None, 0.0
    for name, pattern in _PATTERNS.items():
        hits = lines.str.contains(pattern).sum() / len(lines)
        if hits > share:
            best, share = name, hits
    return best if share >= _DETECT_SHARE else None


def strip_envelope(name: str, chunk: bytes) -> bytes:
    """Remove the envelope ``name`` from every line of ``chunk`` (one output line per input line).

    Raises:
        ConfigError: ``name`` is not one of :data:`ENVELOPES`.
    """
    if name not in _PATTERNS:
        raise ConfigError(f"unknown log envelope {name!r}; known envelopes: {', '.join(ENVELOPES)}")
    lines = pl.Series("line", split_lines(chunk), dtype=pl.String)
    if lines.is_empty():
        return b""
    if name == "syslog":
        out = lines.str.replace("^" + SYSLOG_PREFIX, "")
    elif name == "cri":
        parts = lines.str.extract_groups(_CRI)
        matched = parts.struct.field("1").is_not_null()
        text = pl.select(
            pl.when(matched).then(parts.struct.field("2")).otherwise(lines)
        ).to_series()
        out = _join_partials(text, parts.struct.field("1") == "P")
    else:
        out = _docker(lines)
    return ("\n".join(out.fill_null("").to_list()) + "\n").encode()


def _docker(lines: pl.Series) -> pl.Series:
    """Docker json-file: the ``log`` field of each line, partial entries joined."""
    try:
        logs = pl.read_ndjson(
            io.BytesIO(("\n".join(lines.to_list()) + "\n").encode()), schema={"log": pl.String}
        )["log"]
    except Exception:  # a line that is not JSON: take the lines one by one
        logs = None
    if logs is None or len(logs) != len(lines):
        logs = pl.Series([_docker_log(line) for line in lines.to_list()], dtype=pl.String)
    else:  # polars reads a high surrogate that no low half follows (``\ud83d``) as U+0000
        odd = logs.str.contains("\x00", literal=True).fill_null(False).arg_true()
        if len(odd):
            logs = logs.scatter(odd, [_docker_log(line) for line in lines.gather(odd).to_list()])
    enveloped = logs.is_not_null()
    # one line out per line in: a newline inside a value (Docker splits its output at each
    # one, other writers of the format may not) stays escaped, as the envelope wrote it
    inner = logs.str.strip_suffix("\n").str.strip_suffix("\r")
    inner = inner.str.replace_all("\n", "\\n", literal=True)
    text = pl.select(pl.when(enveloped).then(inner).otherwise(lines)).to_series()
    return _join_partials(text, enveloped & ~logs.str.ends_with("\n"))


def _docker_log(line: str) -> str | None:
    """The ``log`` field of one Docker json-file line, or None if it is not one. A lone
    surrogate escaped in it (``\\udcff``: Python's JSON for an undecodable byte), which UTF-8
    cannot hold, becomes U+FFFD, as an invalid byte of a log does."""
    try:
        obj = load_json(line)
    except ValueError:
        return None
    value = obj.get("log") if isinstance(obj, dict) else None
    return LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else None


_CRI_PARTIAL = re.compile(rb"^\S+ (?:stdout|stderr) P")


def records_end(name: str, data: bytes | bytearray, end: int) -> int:
    """Where the last whole record of ``data[:end]`` (complete lines) ends under envelope
    ``name``: before the run of partial pieces that ends it, whose record goes on in lines not
    read yet (a CRI ``P`` line; a Docker entry whose ``log`` has no final newline). 0 when
    every line is such a piece; ``end`` for other envelopes."""
    if name not in ("cri", "docker"):
        return end
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        line = bytes(data[start:end]).rstrip(b"\r\n")
        if name == "cri":
            partial = _CRI_PARTIAL.match(line) is not None
        else:
            log = _docker_log(line.decode("utf-8", errors="replace"))
            partial = log is not None and not log.endswith("\n")
        if not partial:
            return end
        end = start
    return 0


def _join_partials(text: pl.Series, partial: pl.Series) -> pl.Series:
    """Join runs of partial pieces with the piece that ends them; earlier positions become ""."""
    frame = pl.DataFrame({"text": text, "partial": partial.fill_null(False)})
    if not frame["partial"].any():
        return frame["text"]
    group = (~pl.col("partial")).cast(pl.Int64).cum_sum().shift(1, fill_value=0)
    frame = frame.with_columns(group.alias("group"))
    joined = frame.group_by("group", maintain_order=True).agg(
        pl.col("text").str.join(""), pl.len().alias("size")
    )
    frame = frame.with_columns(pl.int_range(pl.len()).over("group").alias("pos")).join(
        joined.rename({"text": "joined"}), on="group", how="left", maintain_order="left"
    )
    return frame.select(
        pl.when(pl.col("pos") == pl.col("size") - 1).then(pl.col("joined")).otherwise(pl.lit(""))
    ).to_series()
