"""The contract every gateway log format implements.

A format is one class in one module of this package. It turns a chunk of complete log lines
(bytes, envelopes such as Docker json-file or syslog prefixes already stripped) into

* ``events``: a polars frame with some of the columns of :data:`RAW_SCHEMA` (missing ones are filled
  with nulls by :mod:`apislo.sources.logs.normalise`), one row per request, units already converted
  (seconds, UTC, request *start* time); sentinels (``-``, ``-1``, empty) already null. A string
  column may be ``Categorical`` instead of ``String`` (the NGINX kernel path dictionary-encodes
  them); :func:`~apislo.sources.logs.normalise.normalise` accepts either;
* ``rejects``: a polars frame :data:`REJECT_SCHEMA`, one row per line that is not a request,
  with the reason and the line itself. Every input line ends up in exactly one of the two (a line
  holding a batch of records may give several events), so ``events`` lines + ``rejects`` = lines.

and, for the simulator and round-trip tests, writes raw events back as lines of its format.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl

from apislo.errors import PYTHON_ARGUMENTS
from apislo.zones import check_polars_timezone

__all__ = [
    "RAW_SCHEMA",
    "REJECT_REASONS",
    "REJECT_SCHEMA",
    "LogFormat",
    "ParseOptions",
    "Parsed",
    "hash_secret",
    "load_json",
    "make_rejects",
    "split_lines",
]

#: Columns a parser may produce, with their polars types. ``path`` is the raw request target
#: (with query string); ``api`` is the gateway's own service name when the format has one.
RAW_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us", "UTC"),
    "method": pl.String(),
    "path": pl.String(),
    "host": pl.String(),
    "status": pl.Int16(),
    "latency_s": pl.Float64(),
    "upstream_latency_s": pl.Float64(),
    "attempts": pl.Int16(),
    "bytes_in": pl.Int64(),
    "bytes_out": pl.Int64(),
    "consumer": pl.String(),
    "api": pl.String(),
    "api_version": pl.String(),
    "termination": pl.String(),
    "cache_status": pl.String(),
}

#: Line index within the chunk (0-based), reason (one of :data:`REJECT_REASONS`), the line.
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "line_no": pl.Int64(),
    "reason": pl.String(),
    "line": pl.String(),
}

#: Reasons a line is rejected. Keep to these so counts add up across formats.
REJECT_REASONS: tuple[str, ...] = (
    "not_a_request",  # a line of another kind (startup message, TLS error, blank)
    "truncated",  # too few fields / cut-off JSON
    "bad_timestamp",
    "bad_number",  # a numeric field that is not a number nor a known sentinel
    "bad_json",  # unrecoverable invalid JSON
    "bad_request_line",  # "$request" that is not METHOD TARGET PROTOCOL
)


@dataclass(frozen=True)
class ParseOptions:
    """Options a format may need.

    Attributes:
        tz: IANA zone for timestamps written without an offset (HAProxy, syslog); ``None`` = UTC
            with a warning from the ingest layer.
        log_format: an NGINX ``log_format`` body (for the ``nginx-custom`` format).
        year: year for timestamps written without one (syslog); ``None`` = the current year.

    Raises:
        ConfigError: ``tz`` is no IANA zone, an empty one included, the message naming
            ``tz`` (``apislo ingest`` checks its ``--tz`` first, naming that; until 2026-11-30
            ``--tz`` was named from Python too; and until then ``read_logs(..., tz="")`` and
            ``ingest(..., options=ParseOptions(tz=""))`` read zone-less times as UTC without a
            word, and a bad zone went unnoticed in a log whose times carry their offset), or
            one polars does not know (``localtime``, ``posix/Europe/Paris``: files of the
            system's zone database, which until 2026-11-30 passed, and reading HAProxy's dates
            in them stopped with polars' traceback).
    """

    tz: str | None = None
    log_format: str | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        if self.tz is not None:
            check_polars_timezone(self.tz, PYTHON_ARGUMENTS.tz)


@dataclass
class Parsed:
    """What a format made of one chunk."""

    events: pl.DataFrame
    rejects: pl.DataFrame


class LogFormat(ABC):
    """One gateway log format. Subclasses set the class attributes and implement the methods."""

    #: Registry name, e.g. ``"nginx-combined"``; also stored in the ``gateway`` column.
    name: ClassVar[str]
    #: One line for ``apislo ingest --help`` and the README.
    description: ClassVar[str]
    #: Whether timestamps in this format carry no zone (the ingest layer warns without --tz).
    zoneless: ClassVar[bool] = False

    def __init__(self, options: ParseOptions | None = None) -> None:
        self.options = options or ParseOptions()

    @abstractmethod
    def sniff(self, lines: list[str]) -> float:
        """Fraction (0..1) of these sample lines (non-blank) this format recognises as requests."""

    @abstractmethod
    def parse(self, chunk: bytes) -> Parsed:
        """Parse complete lines (``chunk`` ends with ``\\n`` or is empty)."""

    def prepare(self) -> None:
        """Work out now what the first :meth:`parse` would (a compiled program): ingest calls
        this on a parsing thread while it reads a file's first chunk. Nothing by default."""
        return None  # (most formats have nothing to work out ahead)

    @abstractmethod
    def write(self, events: pl.DataFrame) -> list[str]:
        """Render raw events (:data:`RAW_SCHEMA` columns) as lines of this format (no newlines)."""


def split_lines(chunk: bytes) -> list[str]:
    """Decode a chunk (UTF-8, invalid bytes replaced) into lines without their newlines."""
    text = chunk.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def load_json(text: str) -> Any:
    """``json.loads(text)``, for text from a log line: a value nested too deeply for Python's
    decoder raises the :class:`json.JSONDecodeError` of invalid JSON, not a RecursionError
    (a client sending an API key of 3,000 ``[`` made Kong's logged key one, and ingest stopped
    with a traceback on it, run after run, until 2026-11-29).

    Raises:
        json.JSONDecodeError: ``text`` is not JSON, or nests too deeply.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, 0) from None


def make_rejects(line_nos: list[int], reasons: list[str], lines: list[str]) -> pl.DataFrame:
    """Build a rejects frame with :data:`REJECT_SCHEMA`."""
    return pl.DataFrame(
        {"line_no": line_nos, "reason": reasons, "line": lines}, schema=REJECT_SCHEMA
    )


def hash_secret(value: str) -> str:
    """Stable, non-reversible name for a secret such as an API key: ``key-`` + 12 hex digits.

    >>> hash_secret("s3cr3t")
    'key-4e738ca5563c'
    """
    return "key-" + hashlib.sha256(value.encode()).hexdigest()[:12]
