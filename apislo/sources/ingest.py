"""Access logs to request events, in memory (:func:`read_logs`) or on disk (:func:`ingest`).

The dataset is a directory of Parquet files partitioned by UTC day (``day=YYYY-MM-DD/``), readable
by any Parquet tool and by :func:`load`. Beside it:

* ``<dataset>/_apislo_state.json`` remembers every file ingested: a fingerprint of its first bytes
  of content (past a leading run of NUL bytes), digests of the bytes before where it was read
  to, how far that was (bytes and lines) and its format (:mod:`apislo.sources.known`).
  Ingesting the same content again adds nothing, a file that grew is resumed where the last
  run stopped, a rotated file (``access.log`` renamed ``access.log.1``) is recognised by its
  content, not its name, and so is a log trimmed in place; another log that starts the same is
  read as new.
* ``<dataset>.quarantine.jsonl`` gets every rejected line (file, line number, reason, the line):
  see :mod:`apislo.sources.quarantine`.
* ``<dataset>/_apislo.lock`` is held (``flock``) while a run ingests, so runs never overlap.
* ``<dataset>/_apislo_commit.json`` exists while a file's parts are moved into the dataset and
  the state saved: a run killed in between leaves it, and the next run finishes that commit, so
  no line is stored twice or lost.

Each file is staged and only moved into the dataset when it is complete and the reject rate of
all its lines read is below ``max_reject_rate``, so a file in the wrong format adds nothing; the
run goes on with the other files and reports the refused ones at its end. A file or folder of
the dataset that cannot be written (disk full, read-only) stops the run with a
:class:`DatasetWriteError`, the file being read not added.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from apislo.errors import (
    PYTHON_ARGUMENTS,
    ArgumentNames,
    ConfigError,
    DatasetWriteError,
    FilesRefusedError,
    FormatDetectionError,
    IngestError,
    InsideDatasetError,
    LogFormatNeededError,
    RejectRateError,
)
from apislo.locks import open_lock_file, try_flock
from apislo.model import EVENT_COLUMNS, EVENT_SCHEMA, events_to_pandas, utc_span
from apislo.sources.files import (
    HEAD_BYTES,
    Chunk,
    Head,
    Span,
    disk_size,
    expand_paths,
    named_part,
    path_list,
    prefix_digest,
    read_chunks,
    read_content_head,
    read_head,
    writing,
)
from apislo.sources.known import (
    FileState,
    Found,
    Seen,
    claim_path,
    find,
    fingerprint,
    locate,
    matches,
    still_there,
    take_rewritten,
)
from apislo.sources.logs import get_format
from apislo.sources.logs.base import ParseOptions, split_lines
from apislo.sources.logs.detect import MIN_SCORE, detect_format
from apislo.sources.logs.envelopes import detect_envelope, records_end, strip_envelope
from apislo.sources.logs.jsonlines import BOM
from apislo.sources.logs.normalise import PathNamer, RouteMap, normalise, to_arrow
from apislo.sources.parquet_writer import write_events
from apislo.sources.quarantine import RejectSpool, dataset_root, quarantine_path

if TYPE_CHECKING:  # pandas is imported on first use: `apislo ingest` does not need it
    import pandas as pd

__all__ = [
    "FileState",
    "IngestReport",
    "ParsedChunk",
    "detect_file",
    "empty_folder_warning",
    "ingest",
    "iter_file",
    "list_logs",
    "load",
    "quarantine_path",
    "read_logs",
]

#: Lines sampled from the start of a file to detect its envelope and format: read from its first
#: SAMPLE_BYTES, or up to MAX_SAMPLE_BYTES when its lines are long.
SAMPLE_LINES = 200
SAMPLE_BYTES = 64 << 10
MAX_SAMPLE_BYTES = 1 << 20
#: A file none of whose first EARLY_CHECK_LINES lines read in a run is a request is refused at
#: once, read no further (a big log of another format); any other is judged on all its lines.
EARLY_CHECK_LINES = 2000
#: New lines of a file read before that are mostly rejected do not refuse it while there are
#: fewer than this: a stray line appended to a log is no change of format. In a live log they
#: are left for the next run; in a settled one they are read now (:meth:`_Run.add_few_new`).
DEFER_LINES = 100
#: Reject reasons that say a line is not of the format at all (not merely a bad field in it).
_NOT_OF_THE_FORMAT = ("not_a_request", "truncated", "bad_json")
#: Envelopes whose records may span lines (pieces), so a log's lines are not its records.
_PIECED = ("docker", "cri")
#: A file modified this recently may still be written to: its unterminated last line waits.
SETTLE_SECONDS = 60.0
#: Chunks parsed at once, one per thread: the CPUs this process may use (the parsers' heavy
#: parts, the C kernel and polars, release the GIL).
WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
#: The smallest chunk a file is cut into so that each worker gets one.
MIN_CHUNK_BYTES = 1 << 20
_STATE_FILE = "_apislo_state.json"
_LOCK_FILE = "_apislo.lock"
_STAGING = "_staging"  #: where a run writes a file's Parquet parts until they are committed
#: A file's commit in progress: its parts' moves and the state that says the file was read.
_JOURNAL = "_apislo_commit.json"


#: :class:`FileState`'s fields, in the order of its JSON entries.
_STATE_FIELDS = tuple(f.name for f in fields(FileState))


@dataclass
class IngestReport:
    """Summary of one ingest run (``apislo ingest --json`` prints :meth:`to_json`)."""

    dataset: str
    quarantine: str
    #: files whose new lines were stored (their rejects quarantined); refused ones are not
    files: int = 0
    lines: int = 0
    records: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    #: file -> the format its lines were stored in (the later one, when it changed)
    formats: dict[str, str] = field(default_factory=dict)
    #: files with nothing new to read: stored already, or empty
    unchanged: list[str] = field(default_factory=list)
    #: files refused, nothing of them added (wrong format, mostly rejects, unreadable), and
    #: folders that could not be listed -> why
    refused: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The JSON object of ``apislo ingest --json``."""
        return asdict(self)


@dataclass
class ParsedChunk:
    """One chunk of a file, parsed: events (normalised), rejects (with ``file`` and 1-based
    ``line_no``), where the chunk ended (decompressed bytes), how many lines it held, how far
    through the file on disk reading was (:attr:`~apislo.sources.files.Chunk.disk_offset`) and
    the last :data:`~apislo.sources.files.HEAD_BYTES` bytes read up to its end (fewer when less
    was read in this pass: the state's digest of them is taken without reading a ``.gz`` again,
    :func:`~apislo.sources.known.fingerprint`)."""

    events: pl.DataFrame
    rejects: pl.DataFrame
    end_offset: int
    lines: int
    disk_offset: int
    tail: bytes = b""


def iter_file(
    path: Path,
    fmt: str = "auto",
    options: ParseOptions | None = None,
    route_map: RouteMap | None = None,
    start_offset: int | None = None,
    start_line: int = 0,
    envelope: str | bool | None = True,
    keep_partial: bool = True,
    chunk_bytes: int = 32 << 20,
    sink: Callable[[pl.DataFrame, int], None] | None = None,
    end_offset: int | None = None,
) -> tuple[str, str | None, Generator[ParsedChunk, None, None]]:
    """Detect a file's envelope and format where asked (:func:`detect_file`), then parse its
    chunks, one per CPU at a time.

    Args:
        path: the log file.
        fmt: a format name or ``"auto"``.
        options: format options (time zone, NGINX log_format).
        route_map: rules naming APIs and routes.
        start_offset, start_line: where to resume (bytes, lines already read); by default
            where the file's content starts (past leading NUL bytes: :class:`Head`).
        envelope: ``True`` to detect, else the envelope name (or ``None``) to use.
        keep_partial: read a final unterminated line (see :func:`read_chunks`).
        chunk_bytes: chunk size in bytes.
        sink: called by the parsing thread with each chunk's events and its number (0, 1...
            in file order), as soon as they are ready: :func:`ingest` writes them there, so
            no thread of its own writes while the CPUs parse.
        end_offset: where to stop (bytes, decompressed, a line start); by default the end.

    Returns:
        ``(format name, envelope, iterator of parsed chunks)`` in file order; rejects carry
        absolute 1-based line numbers and the file's path.
    """
    options = options or ParseOptions()
    if start_offset is None:
        start_offset = read_content_head(path).start
    fmt, env_name = detect_file(path, fmt, options, envelope, offset=start_offset)
    parser = get_format(fmt, options)
    gateway = fmt

    namer = PathNamer(route_map)  # shared by the workers
    if path.suffix != ".gz":  # (a .gz file's size is known only once read)
        end = path.stat().st_size if end_offset is None else end_offset
        chunk_bytes = _balanced_chunk(end - start_offset, chunk_bytes)

    def parse(chunk: Chunk, line_no: int, number: int, tail: bytes) -> ParsedChunk:
        data = chunk.data
        if number == 0 and start_line == 0 and data.startswith(BOM):
            data = data[len(BOM) :]  # a byte order mark (Windows tools) is not the first line's
        data = strip_envelope(env_name, data) if env_name else data
        parsed = parser.parse(data)
        rejects = parsed.rejects.with_columns(
            (pl.col("line_no") + line_no + 1).alias("line_no"),
            pl.lit(str(path)).alias("file"),
        )
        events = normalise(parsed.events, gateway, namer=namer)
        if sink is not None:
            sink(events, number)
        return ParsedChunk(events, rejects, chunk.end_offset, chunk.lines, chunk.disk_offset, tail)

    def chunks() -> Generator[ParsedChunk, None, None]:
        # One chunk per worker at a time and one read ahead, waiting for the first worker free
        # (so no worker waits for a read); results in file order. A chunk's buffer is read into
        # again WORKERS + 1 chunks later, by which time its result has been taken.
        line_no, tail, end = start_line, b"", start_offset
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="apislo-parse") as pool:
            pool.submit(parser.prepare)  # while the first chunk is read (it fails again there)
            pending: deque[Future[ParsedChunk]] = deque()
            ends = partial(records_end, env_name) if env_name else None
            for number, chunk in enumerate(
                read_chunks(
                    path, start_offset, chunk_bytes, keep_partial, WORKERS + 1, ends, end_offset
                )
            ):
                tail, end = _tail(tail, chunk, chunk.end_offset - end), chunk.end_offset
                pending.append(pool.submit(parse, chunk, line_no, number, tail))
                line_no += chunk.lines
                if len(pending) == WORKERS + 1:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    return fmt, env_name, chunks()


def _tail(before: bytes, chunk: Chunk, size: int) -> bytes:
    """The last :data:`~apislo.sources.files.HEAD_BYTES` bytes read once ``chunk`` is (its first
    ``size`` bytes: a last line read without its line end has one added), ``before`` those read
    up to it (copied: the chunk's buffer is read into again)."""
    last = bytes(memoryview(chunk.data)[max(0, size - HEAD_BYTES) : size])
    return last if len(last) == HEAD_BYTES else (before + last)[-HEAD_BYTES:]


def detect_file(
    path: Path,
    fmt: str = "auto",
    options: ParseOptions | None = None,
    envelope: str | bool | None = True,
    min_score: float = MIN_SCORE,
    offset: int = 0,
    hint: str | None = None,
    names: ArgumentNames = PYTHON_ARGUMENTS,
) -> tuple[str, str | None]:
    """A file's format and envelope, from a sample of its first lines (those from ``offset``,
    in bytes, at a line start) where asked to detect.

    Args:
        path: the log file.
        fmt: a format name, or ``"auto"`` to detect it.
        options: format options (time zone, NGINX log_format).
        envelope: ``True`` to detect, else the envelope name (or ``None``) to use.
        min_score: the fraction of the sample a detected format must recognise.
        offset: where the sample starts (a resumed file's new lines).
        hint: a format to try first (see :func:`.detect.detect_format`).
        names: how errors name the arguments (the command's options for ``apislo ingest``).

    Returns:
        ``(format name, envelope or None)``.

    Raises:
        FormatDetectionError: no format recognises the sample.
        IngestError: the sample holds no complete line (a first line over 1 MiB).
    """
    options = options or ParseOptions()
    sample: list[str] | None = None
    if envelope is True or fmt == "auto":
        sample = _sample_lines(path, offset)
        if not sample and fmt == "auto":
            raise IngestError(
                f"{path}: no complete line in its first {MAX_SAMPLE_BYTES >> 20} MiB, so its "
                f"format cannot be detected; pass {names.format_name} to read it anyway"
            )
    if envelope is True:
        assert sample is not None
        envelope = detect_envelope(sample)
        if envelope:
            inner = strip_envelope(envelope, ("\n".join(sample) + "\n").encode())
            sample = split_lines(inner)
    if fmt == "auto":
        assert sample is not None
        try:
            fmt = detect_format(str(path), sample, options, min_score, hint)
        except FormatDetectionError as exc:
            raise exc.passing(names) from None
    return fmt, envelope or None


def _sample_lines(path: Path, offset: int = 0) -> list[str]:
    """The first :data:`SAMPLE_LINES` complete lines of a file (from ``offset``), from a head of
    :data:`SAMPLE_BYTES` read again four times larger (up to :data:`MAX_SAMPLE_BYTES`) while it
    holds fewer: a first line of 100 KB (a long JSON batch) leaves none in 64 KiB. A byte order
    mark before them is skipped, as reading skips it (:func:`iter_file`): it made the first
    line no line of any format, and a log of one such line unrecognised."""
    size = SAMPLE_BYTES
    while True:
        head = read_head(path, size, offset)
        lines = split_lines(head.removeprefix(BOM))
        full = len(head) == size
        if full and not head.endswith(b"\n"):
            lines = lines[:-1]  # cut off by the read, not by the writer
        if len(lines) >= SAMPLE_LINES or not full or size >= MAX_SAMPLE_BYTES:
            return lines[:SAMPLE_LINES]
        size *= 4


def _balanced_chunk(remaining: int, largest: int) -> int:
    """A chunk size (bytes) of at most about ``largest`` that cuts ``remaining`` bytes into a
    multiple of :data:`WORKERS` chunks of about equal size, so that no worker idles while another
    parses the file's last chunk (a file of a few chunks still gets one per worker)."""
    chunks = max(1, -(-remaining // largest))
    chunks = -(-chunks // WORKERS) * WORKERS
    size = -(-remaining // chunks)
    size += size // 1024  # room for the partial lines carried over from chunk to chunk
    return min(max(size, MIN_CHUNK_BYTES), largest + largest // 1024)


def read_logs(
    paths: str | Path | Iterable[str | Path],
    format: str = "auto",
    tz: str | None = None,
    log_format: str | None = None,
    route_map: str | Path | RouteMap | None = None,
) -> pd.DataFrame:
    """Read access logs into a request-events DataFrame (schema: :mod:`apislo.model`).

    Rejected lines are not dropped silently: a warning gives their count per reason, and
    ``df.attrs["rejected"]`` holds the counts. Use :func:`ingest` to keep the lines themselves.

    Args:
        paths: files, globs or directories (``.gz`` and rotated logs included).
        format: a format name (``apislo ingest --help`` lists them) or ``"auto"``.
        tz: IANA time zone for formats whose timestamps carry none (HAProxy, syslog);
            without one they are read as UTC, with a warning, as ``apislo ingest`` warns.
        log_format: an NGINX ``log_format`` body; implies ``format="nginx-custom"``.
        route_map: a route-map YAML file or :class:`RouteMap`.

    Raises:
        ConfigError: ``tz`` is no IANA zone (an empty one neither), whatever the logs' format,
            as ``apislo ingest --tz`` (until 2026-11-30 ``tz=""`` read zone-less times as UTC
            without a warning); a ``log_format`` with another ``format`` than ``"auto"`` or
            ``"nginx-custom"`` (until 2026-11-30 ignored: the logs were read in that format);
            no path at all (``[]``: until 2026-11-30 an empty frame).
        LogFormatNeededError: ``format="nginx-custom"`` without a ``log_format``.
        IngestError: a path is missing, a glob matches nothing, a folder holds no file.

    Example:
        >>> events = apislo.read_logs("logs/*.log", tz="Europe/Paris")  # doctest: +SKIP
    """
    options = ParseOptions(tz=tz, log_format=log_format)  # (refuses a bad tz first)
    fmt = _named_format(format, options) or "auto"  # (a log_format is nginx-custom, as in ingest)
    rmap = _route_map(route_map)
    named = path_list(paths)
    if not named:  # (as `apislo ingest` needs a PATH; until 2026-11-30 an empty frame)
        raise ConfigError("read_logs: no path given; pass a file, a glob or a folder")
    files = expand_paths(named)
    tables: list[pa.Table] = []
    rejected: Counter[str] = Counter()
    for path in files:
        head = read_content_head(path)
        if _blank(head):  # no line (a log just rotated), as ingest skips it
            continue
        fmt_name, _, chunks = iter_file(path, fmt, options, rmap, start_offset=head.start)
        if (warning := _zone_warning(path, fmt_name, options)) is not None:
            warnings.warn(warning, stacklevel=2)
        for result in chunks:
            tables.append(to_arrow(result.events))
            rejected.update(result.rejects["reason"].to_list())
    table = pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table()
    frame = events_to_pandas(table)
    frame.attrs["rejected"] = dict(rejected)
    if rejected:
        detail = ", ".join(f"{reason} {n:,}" for reason, n in rejected.most_common())
        warnings.warn(
            f"{sum(rejected.values()):,} lines were not requests ({detail}); "
            "apislo.ingest() keeps them in a quarantine file",
            stacklevel=2,
        )
    return frame


def _zone_warning(
    path: Path, fmt_name: str, options: ParseOptions, names: ArgumentNames = PYTHON_ARGUMENTS
) -> str | None:
    """The warning for ``path``, read in format ``fmt_name``, when its times carry no zone
    (HAProxy's) and ``options`` give none: they are read as UTC (what to pass instead named as
    ``names`` say). ``None`` otherwise."""
    if options.tz is not None or not get_format(fmt_name, options).zoneless:
        return None
    return f"{path}: {fmt_name} timestamps carry no time zone; read as UTC (pass {names.tz_zone})"


def empty_folder_warning(folder: str) -> str:
    """The warning for a folder named to :func:`ingest` that holds no file but hidden ones and
    the dataset's own."""
    return (
        f"{folder}: the folder holds no file (hidden ones and the dataset's own aside): nothing "
        "was read from it"
    )


def list_logs(
    paths: str | Path | Iterable[str | Path],
    dataset: str | Path,
    unlisted: dict[str, IngestError] | None = None,
    empty: list[str] | None = None,
) -> list[Path]:
    """The files :func:`ingest` reads for ``paths`` (:func:`~apislo.sources.files.expand_paths`)
    into ``dataset``: the dataset's own files (its folder and quarantine), found in a folder or
    glob that holds them, are skipped, never read as logs.

    Args:
        paths: files, globs or directories, or one of them.
        dataset: the dataset directory.
        unlisted: where folders that cannot be listed go, with their errors (see
            :func:`~apislo.sources.files.expand_paths`).
        empty: where folders that hold no file go (an error without it), a folder that holds
            only the dataset too.

    Raises:
        InsideDatasetError: a path (or a glob's folder: :func:`~apislo.sources.files.named_part`)
            lies in the dataset's folder or is its quarantine: its logs would never be read.
        IngestError: a path is missing or is no file or folder, a glob matches nothing.
    """
    paths = path_list(paths)
    root = dataset_root(dataset)
    own, quarantine = root.resolve(), quarantine_path(root).resolve()

    def inside(path: Path) -> bool:
        real = path.resolve()
        return real == quarantine or real.is_relative_to(own)  # (3x as fast as ``in parents``)

    for item in paths:
        if inside(named_part(item)):
            raise InsideDatasetError(str(item), str(root))
    found = expand_paths(paths, unlisted, empty)
    kept = [path for path in found if not inside(path)]
    if len(kept) < len(found):  # a folder named may hold the dataset and nothing else
        blind = [Path(folder) for folder in unlisted or ()]  # (refused: they may hold logs)
        for folder in _dataset_only(paths, [*kept, *blind], own):
            if empty is None:
                raise IngestError(f"{folder}: the folder holds no file besides the dataset")
            empty.append(folder)
    return kept


def _dataset_only(paths: list[str | Path], kept: list[Path], own: Path) -> list[str]:
    """The folders named in ``paths`` (globs aside, not a name that only looks like one:
    ``srv[1]``) that hold the dataset ``own`` (resolved) and none of the ``kept`` files or
    folders (a file there may be a link to a log elsewhere: its folder, not the file, is
    resolved)."""
    holders = [
        str(item)
        for item in paths
        if named_part(item) == Path(item) and own.is_relative_to(Path(item).resolve())
    ]
    if not holders:
        return []
    homes = {
        folder
        for parent in {path.parent for path in kept}
        for home in (parent.absolute(), parent.resolve())
        for folder in (home, *home.parents)
    }
    return [f for f in holders if not {Path(f).absolute(), Path(f).resolve()} & homes]


def ingest(
    paths: str | Path | Iterable[str | Path],
    dataset: str | Path,
    format: str = "auto",
    options: ParseOptions | None = None,
    route_map: str | Path | RouteMap | None = None,
    max_reject_rate: float = 0.5,
    on_progress: Callable[[int], None] | None = None,
    chunk_bytes: int = 32 << 20,
    *,
    names: ArgumentNames = PYTHON_ARGUMENTS,
) -> IngestReport:
    """Append access logs to a Parquet dataset partitioned by day.

    Args:
        paths: files, globs or directories, or one of them.
        dataset: the dataset directory (created if missing).
        format: a format name or ``"auto"`` (detected per file from a sample).
        options: time zone and NGINX log_format.
        route_map: a route-map YAML file or :class:`RouteMap`.
        max_reject_rate: fraction of a file's records (of all the lines read of it in the run)
            that may be rejected before the file is refused as the wrong format (a
            :class:`RejectRateError`; nothing of it is added). Below 1, a file none of whose
            first :data:`EARLY_CHECK_LINES` lines is a request is refused at once. Above 0.5 it
            also lowers what format detection asks of a file's sample: a format is chosen
            when it recognises ``1 - max_reject_rate`` of it (half otherwise).
        on_progress: called with steps of the run's progress, in bytes of the files on disk
            (compressed ones for a ``.gz``): as each chunk is read, and with the rest of a file
            once it is done (stored, known, empty or refused). The steps add up to the files'
            sizes (:func:`~apislo.sources.files.disk_size` of :func:`list_logs`'s files).
        chunk_bytes: the largest chunk, in bytes; one per CPU is parsed at a time, so memory
            stays flat whatever the file size.
        names: how the errors and warnings name these arguments: as Python's keyword
            arguments (``format=``, ``max_reject_rate``, ``ParseOptions``' ``tz`` and
            ``log_format``) by default, as its options for ``apislo ingest`` (until 2026-11-30
            the options from Python too).

    Returns:
        What was read, stored and rejected.

    Raises:
        FilesRefusedError: at the end of the run, when files were refused (no format
            recognised, mostly rejects, unreadable) or folders could not be listed: nothing of
            them was added, the other files were stored; its ``errors`` say why, per file or
            folder, and its ``report`` what was stored.
        InsideDatasetError: a path lies inside ``dataset`` (see :func:`list_logs`).
        DatasetWriteError: a file or folder of the dataset, or its quarantine, cannot be
            written (disk full, read-only): the run stopped there, the file being read not
            added, the files committed before it stored (its ``report`` says what they gave).
        IngestError: a path is missing, or another ingest into ``dataset`` is running.
        LockUnsupportedError: the dataset's file system keeps no file locks (``flock``), which
            keep two runs from storing the same lines twice.
    """
    options = options or ParseOptions()
    root = dataset_root(dataset)
    refused: dict[str, IngestError] = {}  # (folders that cannot be listed first)
    empty: list[str] = []
    files = list_logs(paths, root, refused, empty)  # (a missing path creates no dataset)
    named = _named_format(format, options)
    if named is not None:  # a bad name or template creates no dataset either
        get_format(named, options)
    routes = _route_map(route_map)  # nor does a bad route map (until 2026-11-30 it did)
    with writing(root):
        root.mkdir(parents=True, exist_ok=True)
    report = IngestReport(dataset=str(root), quarantine=str(quarantine_path(root)))
    report.refused.update((folder, str(error)) for folder, error in refused.items())
    report.warnings.extend(empty_folder_warning(folder) for folder in empty)
    progress = _Progress(on_progress)
    # a thread of its own detects the next file's format while the current one is parsed
    with (
        _dataset_lock(root),
        _reported_on_failure(report),
        ThreadPoolExecutor(1, thread_name_prefix="apislo-detect") as pool,
    ):
        _finish_commit(root)  # a commit a killed run left half done
        shutil.rmtree(root / _STAGING, ignore_errors=True)  # what else it left
        run = _Run(
            root, options, routes, max_reject_rate, progress, chunk_bytes,
            _load_state(root), report, names,
        )  # fmt: skip
        min_score = min(MIN_SCORE, round(1 - max_reject_rate, 9))  # (1 - 0.57 is 0.43...05)
        gz_known = _gz_index(run.state)
        ahead = _DetectAhead(pool, files, run.state, gz_known, format, options, min_score, names)
        seen = Seen()  # (the files of the entries compared with, looked at once)
        for index, path in enumerate(progress.through(files)):
            try:
                known = _known_gz(gz_known, path)
                if known is not None:  # read to its end before, unchanged since
                    report.unchanged.append(str(path))
                    locate(known, path)
                    continue
                head = read_content_head(path)
                found = find(run.state, head, path, seen)  # (None: a file not read before)
                known = None if found is None else found.entry
                if found is not None and found.kind == "rewritten":  # trimmed in place
                    report.warnings.append(take_rewritten(found, path, head))
                if found is not None and _nothing_new(found, path):
                    report.unchanged.append(str(path))
                    if found.kind == "read":
                        _seen_read(found.entry, path, head, run.state)
                    continue
                # empty (just rotated, not written to yet; but for a byte order mark, which
                # until 2026-11-30 was refused), or only its first line, unfinished: read when
                # it grows
                if _blank(head) or (known is None and _unfinished_only(path, head)):
                    report.unchanged.append(str(path))
                    continue
                if known is None:
                    fmt_name, env = ahead.result(index, head.start)
                else:  # the format named now wins over the one remembered (the log's changed)
                    fmt_name, env = (
                        named or _remembered(path, known, options, run.names),
                        known.envelope,
                    )
                ahead.start(index + 1)  # while this file is parsed
                if known is not None and named is None:
                    run.add_redetecting(path, head, known, fmt_name, env, min_score)
                else:
                    run.add_file(path, head, known, fmt_name, env)
            except RejectRateError as exc:
                if known is None or not _stray(exc):
                    refused[str(path)] = exc
                    report.refused[str(path)] = str(exc)
                else:  # a few new lines of a log read before: a stray line, most likely
                    try:
                        run.add_few_new(path, head, known, exc, env)
                    except DatasetWriteError:  # (as below: it stops the run)
                        raise
                    except IngestError as again:
                        refused[str(path)] = again
                        report.refused[str(path)] = str(again)
            except DatasetWriteError:  # the dataset, not the file: no other file could be stored
                raise
            except IngestError as exc:  # this file is refused; the others go on
                refused[str(path)] = exc
                report.refused[str(path)] = str(exc)
        shutil.rmtree(root / _STAGING, ignore_errors=True)
        _save_state(root, run.state)
    if refused:
        raise FilesRefusedError(refused, report)
    return report


@dataclass
class _Run:
    """One ingest run: what its files share, and how each is added."""

    root: Path
    options: ParseOptions
    route_map: RouteMap | None
    max_reject_rate: float
    progress: _Progress
    chunk_bytes: int
    state: list[FileState]
    report: IngestReport
    #: how the run's errors and warnings name its arguments
    names: ArgumentNames
    run_id: str = field(
        default_factory=lambda: time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    )
    #: numbers the run's commits (their staging folders and Parquet files)
    segments: Iterator[int] = field(default_factory=itertools.count)

    def add_file(
        self,
        path: Path,
        head: Head,
        known: FileState | None,
        fmt_name: str,
        env: str | None,
        max_reject_rate: float | None = None,
        end_offset: int | None = None,
    ) -> FileState | None:
        """Parse ``path`` (from where ``known`` says it was read to, up to ``end_offset`` or its
        end), commit its Parquet parts and rejects, and remember how far it was read: the state
        entry, ``None`` when nothing complete was read. ``max_reject_rate``: the run's unless
        given.

        Raises:
            DatasetWriteError: the dataset or the quarantine cannot be written: nothing of the
                file was added (unless its commit had started: the next run finishes it).
            IngestError: the file is refused (too many rejects, unreadable): nothing of it
                was added.
        """
        root, report = self.root, self.report
        stat = path.stat()  # before reading: a file grown since is read on next time
        # (a .gz read up to a change of format is not read to its end)
        gz_id = _gz_identity(path) if path.suffix == ".gz" and end_offset is None else None
        settled = _settled(path, stat)
        segment = next(self.segments)  # (a file read in two formats commits two)
        staging = root / _STAGING / self.run_id / str(segment)
        _, _, chunks = iter_file(
            path,
            fmt_name,
            self.options,
            self.route_map,
            start_offset=known.offset if known else head.start,
            start_line=known.lines_before if known else 0,
            envelope=env,
            keep_partial=settled,
            chunk_bytes=self.chunk_bytes,
            sink=partial(_write_partitions, staging, f"{self.run_id}-{segment}"),
            end_offset=end_offset,
        )
        if (warning := _zone_warning(path, fmt_name, self.options, self.names)) is not None:
            report.warnings.append(warning)
        spool = RejectSpool(staging / "rejects.jsonl")
        try:
            lines, records, offset, tail = _take_chunks(
                chunks,
                path,
                fmt_name,
                (known.offset, known.lines_before) if known else (0, 0),
                self.max_reject_rate if max_reject_rate is None else max_reject_rate,
                self.progress.reach,
                spool,
                self.names,
            )
            count, open_line = _read_to(known, lines, tail)
            entry = FileState(
                str(path), 0, "", offset, count, fmt_name, env, head.start,
                *(gz_id or (None, None)), open_line=open_line,
            )  # fmt: skip
            locate(entry, path, stat)
            fingerprint(entry, path, head, Span(tail, offset, False))
            # a file with nothing complete yet is not remembered: it is read anew; the entry it
            # was read on from stays when its own file is still there as read (a longer copy)
            kept = known is not None and still_there(known, path)
            state = [e for e in self.state if e is not known or kept] + ([entry] if offset else [])
            claim_path(state, entry)  # (before the journal, which writes the state)
            # the rejects first: a crash before the commit gives them twice (the file is read
            # again), never not at all
            spool.append_to(quarantine_path(root))
            try:
                plan = _write_journal(staging, root, state)
            except BaseException:  # not committed: the file is read again, its rejects with it
                spool.take_back()
                raise
        except BaseException:
            chunks.close()  # waits for the chunks being parsed, which write into staging
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for reason, count in spool.reasons.items():
            report.rejected[reason] = report.rejected.get(reason, 0) + count
        if lines:  # (a live log grown by an unfinished line only has nothing new yet)
            if str(path) not in report.formats:  # (a file read in two formats counts once)
                report.files += 1
            report.formats[str(path)] = fmt_name
        elif str(path) not in report.formats:
            report.unchanged.append(str(path))
        report.lines += lines
        report.records += records
        self.state[:] = state
        _finish_commit(root, plan)
        shutil.rmtree(staging, ignore_errors=True)
        return entry if offset else None

    def add_few_new(
        self,
        path: Path,
        head: Head,
        known: FileState,
        refusal: RejectRateError,
        env: str | None,
    ) -> None:
        """A file read before whose few new lines (under :data:`DEFER_LINES`) were mostly
        rejected (``refusal``): a stray line (a blank, an error message) appended to it. A live
        log's are left for the next run, read with the lines that follow them; a settled one's
        (rotated, or no longer written to) are read now, their rejects quarantined, as no line
        may follow them.
        """
        fmt = refusal.fmt
        counts = (
            f"{refusal.rejected:,} of its {refusal.records:,} new {refusal.unit} are not {fmt} "
            "requests"
        )
        if not _settled(path, path.stat()):
            self.report.warnings.append(
                f"{path}: {counts}: left for the next run (the file is refused once "
                f"{DEFER_LINES} new lines are mostly rejected)"
            )
            return
        self.add_file(path, head, known, fmt, env, max_reject_rate=1.0)
        self.report.warnings.append(
            f"{path}: {counts}: read now, as it is no longer written to; its rejects are in the "
            "quarantine"
        )

    def add_redetecting(
        self,
        path: Path,
        head: Head,
        known: FileState,
        fmt_name: str,
        env: str | None,
        min_score: float,
    ) -> None:
        """:meth:`add_file` for a file the state knows, read with ``--format auto``: when what
        follows the part already read is refused in the remembered format (a live log whose
        ``log_format`` changed), the format is detected anew (:meth:`_format_change`) and the
        file read in it from the line where the change is; the lines before that in the
        remembered format, their rejects (a blank or error line) quarantined whatever their
        rate. A few stray lines in the new format are handled as :meth:`add_few_new` does.

        Raises:
            IngestError: refused in both (the first refusal is raised when nothing else fits).
        """
        try:
            self.add_file(path, head, known, fmt_name, env)
            return
        except RejectRateError as exc:
            refusal = exc
        change = self._format_change(path, known, fmt_name, env, min_score)
        if change is None:
            raise refusal
        new_fmt, new_env, line = change
        first = known.lines_before + 1
        if line > first:  # the lines before it, in the format they were written in
            end = _line_start(path, known.offset, line - first)
            known = self.add_file(  # type: ignore[assignment]  (lines were read: an entry)
                path, head, known, fmt_name, env, max_reject_rate=1.0, end_offset=end
            )
        self.report.warnings.append(
            f"{path}: read as {new_fmt} from line {line} on: its lines are no longer {fmt_name}"
        )
        try:
            self.add_file(path, head, known, new_fmt, new_env)
        except RejectRateError as exc:
            if _stray(exc):
                self.add_few_new(path, head, known, exc, new_env)
            elif line > first:  # the lines before the change were stored
                raise exc.kept_before(line) from None
            else:
                raise

    def _format_change(
        self, path: Path, known: FileState, old: str, env: str | None, min_score: float
    ) -> tuple[str, str | None, int] | None:
        """Where the lines of ``path`` after what ``known`` says was read stop being of format
        ``old``: ``(format, envelope, line)``, the format detected from a sample of the lines
        ``old`` rejects (blank ones aside; so a stray line, or old-format lines between, do not
        hide it), and the first line (1-based, of the whole file) among them that it reads.
        A line it rejects as not of its kind (:data:`_NOT_OF_THE_FORMAT`) is not read; one
        with a bad field is (a Kong batch with one bad record). ``None`` when no other format is
        found. A container log (``env`` ``docker`` or ``cri``, whose records span lines) is
        detected from its first new line and changes there.
        """
        if env in _PIECED:
            found = self._detect(path, known.offset, old, min_score)
            return None if found is None else (*found, known.lines_before + 1)
        seen: list[tuple[list[int], list[str]]] = []
        sample: list[str] = []
        rejected = self._rejected_lines(path, known, old, env)
        with closing(rejected):
            for numbers, lines in rejected:
                seen.append((numbers, lines))
                sample = [line for _, chunk in seen for line in chunk if line.strip()]
                if len(sample) >= SAMPLE_LINES:
                    break
            try:
                new = detect_format(str(path), sample[:SAMPLE_LINES], self.options, min_score)
            except IngestError:  # (no line, or none of a format)
                return None
            if new == old:
                return None
            reader = get_format(new, self.options)
            for numbers, lines in itertools.chain(seen, rejected):
                misread = reader.parse("".join(f"{line}\n" for line in lines).encode())
                not_of_it = misread.rejects.filter(pl.col("reason").is_in(_NOT_OF_THE_FORMAT))
                read = sorted(set(range(len(lines))) - set(not_of_it["line_no"]))
                if read:
                    return new, env, numbers[read[0]]
        return new, env, known.lines_before + 1

    def _detect(
        self, path: Path, offset: int, old: str, min_score: float
    ) -> tuple[str, str | None] | None:
        """The format and envelope of ``path``'s lines from ``offset``, unless none is found or
        it is ``old``."""
        try:
            fmt, env = detect_file(path, "auto", self.options, True, min_score, offset=offset)
        except IngestError:
            return None
        return None if fmt == old else (fmt, env)

    def _rejected_lines(
        self, path: Path, known: FileState, fmt: str, env: str | None
    ) -> Generator[tuple[list[int], list[str]], None, None]:
        """The lines after ``known`` that ``fmt`` rejects (under envelope ``env``), chunk by
        chunk: their numbers (1-based) and texts (as quarantined)."""
        _, _, chunks = iter_file(
            path, fmt, self.options, self.route_map, known.offset, known.lines_before, env,
            chunk_bytes=self.chunk_bytes,
        )  # fmt: skip
        with closing(chunks):
            for chunk in chunks:
                if chunk.rejects.height:
                    yield chunk.rejects["line_no"].to_list(), chunk.rejects["line"].to_list()


@dataclass
class _Progress:
    """A run's progress for ``on_progress`` (see :func:`ingest`), in bytes of its files on
    disk: the unit of their sizes, whether a file is resumed, read from its start, compressed or
    skipped. Reading advances it (:meth:`reach`), and each file's rest is added once the file is
    done (:meth:`through`), so that the steps add up to the files' sizes.

    Attributes:
        report: ``on_progress``, called with each step (bytes), or ``None``.
        size: the current file's size on disk (bytes).
        done: bytes of it reported.
    """

    report: Callable[[int], None] | None
    size: int = 0
    done: int = 0

    def through(self, files: list[Path]) -> Iterator[Path]:
        """``files`` one at a time, as a progress bar wraps a loop: what was not reported of a
        file is reported when the next one is asked for, whether it was read, known, empty or
        refused (an exception that stops the run reports nothing more)."""
        for path in files:
            self.size, self.done = disk_size(path), 0
            yield path
            self.reach(self.size)

    def reach(self, position: int) -> None:
        """Report the current file read up to ``position`` (bytes on disk; a file read again
        from an earlier point, :meth:`_Run.add_redetecting`, reports nothing until past it)."""
        step = min(position, self.size) - self.done
        if step <= 0:
            return
        self.done += step
        if self.report is not None:
            self.report(step)


@contextmanager
def _reported_on_failure(report: IngestReport) -> Iterator[None]:
    """A :class:`DatasetWriteError` that stops the run carries its ``report``: what the files
    committed before it stored."""
    try:
        yield
    except DatasetWriteError as exc:
        exc.report = report
        raise


@contextmanager
def _dataset_lock(root: Path) -> Iterator[None]:
    """Hold the dataset's lock file while ingesting: two runs at once would both read the
    same state and store the same lines twice. One another user left (mode ``0o644``, from a
    run as that user in a dataset shared by a group) locks read-only, as one's own (until
    2026-11-30 every run failed with "Permission denied", the lock held by nobody).

    Raises:
        DatasetWriteError: the lock file cannot be written (a read-only dataset), or, another
            user's, locked where only a file open for writing can be (NFS).
        IngestError: another process holds it (an ingest into the same dataset is running).
        LockUnsupportedError: the dataset's file system keeps no locks.
    """
    path = root / _LOCK_FILE
    with writing(path):  # (another user's, left by a run as that user, is opened read-only)
        fd = open_lock_file(path)
    try:
        with writing(path):  # (read-only, it cannot be locked on NFS)
            taken = try_flock(fd, path)
        if not taken:
            raise IngestError(
                f"{root}: another apislo ingest is writing to this dataset; run again when it "
                "has finished"
            )
        yield
    finally:
        os.close(fd)  # (which releases the lock)


def _take_chunks(
    chunks: Iterator[ParsedChunk],
    path: Path,
    fmt: str,
    start: tuple[int, int],
    max_reject_rate: float,
    reach: Callable[[int], None],
    spool: RejectSpool,
    names: ArgumentNames,
) -> tuple[int, int, int, bytes]:
    """Go through a file's parsed chunks (their events are written by the parsing threads),
    telling ``reach`` how far through the file on disk each took reading, and spooling each
    chunk's rejects as it comes: none is kept in memory.

    The reject rate is decided on all the lines read, so that the decision does not depend on
    how the file was cut into chunks (on the number of CPUs). One exit comes earlier: when none
    of the first :data:`EARLY_CHECK_LINES` lines read is a request (a big log of another
    format), the file is refused once they are read, the rest not parsed. That depends on those
    lines only, not on the chunks either, where each line holds one record; where a line may
    hold several (a batch) or part of one (a container log's pieces), the window's lines cannot
    be told apart, and it is taken only when the chunks read so far hold one record per line.

    Args:
        start: where reading started: bytes (decompressed) and lines before it.
        names: how a refusal names the arguments.

    Returns:
        ``(lines, requests, offset reached, tail)``: lines read and requests stored from
        ``start``, the offset in bytes, and the last bytes read before it
        (:attr:`ParsedChunk.tail`).

    Raises:
        RejectRateError: more than ``max_reject_rate`` of the records read were rejected, or
            (below a ``max_reject_rate`` of 1) none of the first lines read is a request.
    """
    offset, first_line = start
    window_end = first_line + EARLY_CHECK_LINES  # the number of the window's last line
    lines = requests = window_rejects = 0
    tail = b""
    checked = max_reject_rate >= 1  # (then nothing is refused)
    for result in chunks:
        reach(result.disk_offset)
        lines += result.lines
        requests += result.events.height
        offset, tail = result.end_offset, result.tail
        if not checked:
            window_rejects += result.rejects.filter(pl.col("line_no") <= window_end).height
        spool.add(result.rejects)
        if not checked and lines >= EARLY_CHECK_LINES:
            checked = True
            # each line one record (no batch, no record in pieces): every window line rejected
            if window_rejects == EARLY_CHECK_LINES and requests + spool.rejected == lines:
                raise RejectRateError(
                    str(path),
                    fmt,
                    EARLY_CHECK_LINES,
                    EARLY_CHECK_LINES,
                    max_reject_rate,
                    read_to_end=False,
                    names=names,
                )
    _check_reject_rate(path, fmt, lines, requests, spool.rejected, max_reject_rate, names)
    return lines, requests, offset, tail


class _DetectAhead:
    """Detects the format and envelope of the next file to ingest while the current one is
    parsed, so that a directory of small files does not wait for detection (15-20 ms a file)
    between files; the format the last file was found in is tried first (``hint``)."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        files: list[Path],
        state: list[FileState],
        gz_known: dict[tuple[int, str], FileState],
        fmt: str,
        options: ParseOptions,
        min_score: float,
        names: ArgumentNames,
    ) -> None:
        self.pool, self.files, self.state, self.gz_known = pool, files, state, gz_known
        self.fmt, self.options, self.min_score, self.names = fmt, options, min_score, names
        self._ahead: dict[int, Future[tuple[str, str | None]]] = {}
        self.hint: str | None = None  #: the format the last file detected was in

    def result(self, index: int, start: int) -> tuple[str, str | None]:
        """Format and envelope of ``files[index]``, whose content starts at ``start``,
        detected ahead or now (errors are raised here, at the file's turn)."""
        future = self._ahead.pop(index, None)
        found = self._detect(index, start, self.hint) if future is None else future.result()
        self.hint = found[0]
        return found

    def start(self, index: int) -> None:
        """Start detecting ``files[index]``, unless the state knows its content already, or it
        is empty (or it cannot be read: its own turn reports that)."""
        if index >= len(self.files) or _known_gz(self.gz_known, self.files[index]):
            return
        try:
            head = read_content_head(self.files[index])
        except (IngestError, OSError):
            return
        if head.data and not matches(self.state, head, self.files[index]):
            self._ahead[index] = self.pool.submit(self._detect, index, head.start, self.hint)

    def _detect(self, index: int, start: int, hint: str | None) -> tuple[str, str | None]:
        return detect_file(
            self.files[index],
            self.fmt,
            self.options,
            min_score=self.min_score,
            offset=start,
            hint=hint,
            names=self.names,
        )


def _check_reject_rate(
    path: Path,
    fmt: str,
    lines: int,
    requests: int,
    rejected: int,
    max_rate: float,
    names: ArgumentNames,
) -> None:
    """Refuse the file when more than ``max_rate`` of its records (requests stored and rejects:
    a line of a batched format such as Kong's http-log holds several) were rejected (the
    refusal naming the arguments as ``names`` do)."""
    if rejected > round(max_rate * (requests + rejected), 9):  # (0.29 * 100 is 28.99...)
        raise RejectRateError(
            str(path), fmt, rejected, lines, max_rate, requests + rejected, names=names
        )


def load(
    dataset: str | Path,
    start: str | datetime | pd.Timestamp | None = None,
    end: str | datetime | pd.Timestamp | None = None,
    apis: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read events from a dataset written by :func:`ingest`, sorted by ``ts``.

    Args:
        dataset: the dataset directory.
        start, end: keep requests with ``start <= ts < end`` (naive times are UTC), exactly:
            request times are whole microseconds, so a bound finer than that is rounded up
            (until 2026-11-30 down, which let in a request up to 1 us before ``start``).
        apis: keep only these APIs (a name, or a list of names).

    Raises:
        ConfigError: ``start`` or ``end`` is no time, or ``end`` is not after ``start``.
        IngestError: ``dataset`` is no folder.

    Example:
        >>> events = apislo.load("events", start="2026-11-01", apis=["orders"])  # doctest: +SKIP
    """
    import pyarrow.dataset as pads

    root = Path(dataset)
    if not root.is_dir():
        raise IngestError(f"{root}: no such dataset (create it with `apislo ingest`)")
    # The day partitions and Parquet files at the top (a flat dataset of another tool), not a
    # dataset written inside this one. The schema is given: a dataset with no parts yet (a run
    # that stored nothing) is empty.
    parts = sorted(
        str(p) for pattern in ("*.parquet", "day=*/*.parquet") for p in root.glob(pattern)
    )
    data = pads.dataset(parts, schema=EVENT_SCHEMA, format="parquet")
    condition = None
    for when, op in zip(utc_span(start, end), ("ge", "lt"), strict=True):
        if when is None:
            continue
        value = pa.scalar(when.to_pydatetime(), type=pa.timestamp("us", tz="UTC"))
        term = pads.field("ts") >= value if op == "ge" else pads.field("ts") < value
        condition = term if condition is None else condition & term
    if apis is not None:
        names = pa.array([apis] if isinstance(apis, str) else list(apis), type=pa.string())
        term = pads.field("api").isin(names)  # (typed: an empty list is no API, not an error)
        condition = term if condition is None else condition & term
    table = data.to_table(columns=list(EVENT_COLUMNS), filter=condition).cast(EVENT_SCHEMA)
    table = table.sort_by("ts")
    return events_to_pandas(table)


def _route_map(value: str | Path | RouteMap | None) -> RouteMap | None:
    if value is None or isinstance(value, RouteMap):
        return value
    return RouteMap.load(value)


def _blank(head: Head) -> bool:
    """Whether a file's content (``head``) holds no byte of a line: none at all (a log just
    rotated, a 0-byte ``.gz``), only NULs, or only a UTF-8 byte order mark, as some Windows
    tools start a file (until 2026-11-30 refused, by :func:`read_logs` too)."""
    return not head.data.removeprefix(BOM)


def _read_to(known: FileState | None, lines: int, tail: bytes) -> tuple[int, bool]:
    """A file's ``lines`` and ``open_line`` (:class:`FileState`) once ``lines`` more lines were
    read of it, from where ``known`` says (from its start when ``None``), the last bytes read
    ``tail``: the lines read of it so far (the rest of an unterminated line read before is no
    line of its own), and whether the bytes read end inside a line (an unterminated last line
    read), which the first line read next would continue."""
    if not lines:  # nothing read: where it stopped still
        return (known.lines, known.open_line) if known else (0, False)
    return (known.lines_before if known else 0) + lines, not tail.endswith(b"\n")


def _remembered(path: Path, known: FileState, options: ParseOptions, names: ArgumentNames) -> str:
    """The format ``known`` remembers for ``path``, to read its new lines in when none is named.

    Raises:
        IngestError: the run's options cannot build it: ``nginx-custom`` without a
            ``log_format``, which the state does not keep (until 2026-11-30 that stopped the
            whole run, no file stored, the error naming none); the argument to pass named as
            ``names`` say.
    """
    try:
        get_format(known.format, options)
    except ConfigError as exc:
        if isinstance(exc, LogFormatNeededError):
            exc = exc.passing(names)
        raise IngestError(
            f"{path}: its new lines are of format {known.format}, as it was read before: {exc} "
            "(the dataset does not keep it)"
        ) from None
    return known.format


def _named_format(fmt: str, options: ParseOptions) -> str | None:
    """The format the caller named (``fmt``, else ``nginx-custom`` for a ``log_format``), or
    ``None`` when it is to be detected.

    Raises:
        ConfigError: a ``log_format`` given with another format, which would read the logs
            without it (``apislo ingest``'s usage error; until 2026-11-30 :func:`read_logs`
            and :func:`ingest` read them in the other format without a word).
    """
    if options.log_format is not None and fmt not in ("auto", "nginx-custom"):
        raise ConfigError(
            f"log_format is the template of format nginx-custom; it cannot be read as format "
            f"{fmt!r} (drop one of them)"
        )
    if fmt != "auto":
        return fmt
    return "nginx-custom" if options.log_format is not None else None


def _line_start(path: Path, offset: int, lines: int) -> int:
    """Where (bytes, decompressed) the line ``lines`` lines after the one starting at ``offset``
    starts in ``path``."""
    for chunk in read_chunks(path, offset):
        if lines < chunk.lines:
            ends = np.flatnonzero(np.frombuffer(chunk.data, dtype=np.uint8) == 10)
            before = int(ends[lines - 1]) + 1 if lines else 0
            return chunk.end_offset - len(chunk.data) + before
        lines -= chunk.lines
    raise IngestError(f"{path}: ends before the line where its format changed")


def _stray(refusal: RejectRateError) -> bool:
    """Whether a refusal of a file read before is of a few stray lines (a blank, an error
    message) appended to it: fewer than :data:`DEFER_LINES` new lines, mostly rejected."""
    return refusal.lines < DEFER_LINES and refusal.mostly


def _settled(path: Path, stat: os.stat_result) -> bool:
    """Whether no writer is appending to ``path`` any more, as far as one can tell: a ``.gz``,
    or a file not modified for :data:`SETTLE_SECONDS`."""
    return path.suffix == ".gz" or time.time() - stat.st_mtime > SETTLE_SECONDS


def _unfinished_only(path: Path, head: Head) -> bool:
    """Whether ``path`` (its :class:`Head` ``head``) is a live log (not :func:`_settled`) that
    holds no complete line yet, its first one still being written. Reading leaves such a line
    for the next run; detection, sampling it alone, found no format in it and refused the
    file, until 2026-11-29."""
    if b"\n" in head.data or _settled(path, path.stat()):
        return False
    with closing(read_chunks(path, head.start, MIN_CHUNK_BYTES, keep_partial=False)) as chunks:
        return next(chunks, None) is None


def _nothing_new(found: Found, path: Path) -> bool:
    """Whether ``path``, which ``found`` relates to the state, holds nothing to read: it is what
    was read, or a first part of it (a copy), or a log rewritten in place that holds nothing
    past what was read of it (a plain file, so its size tells)."""
    if found.kind == "rewritten":
        return path.stat().st_size <= found.offset
    return found.kind != "grown"


def _seen_read(known: FileState, path: Path, head: Head, state: list[FileState]) -> None:
    """Remember that ``path`` (its :class:`Head` ``head``) holds what ``known``, of ``state``,
    says was read and nothing more: it is the file read, renamed (rotated), unless that file is
    still there as it was read (a copy leaves it), its inode with it
    (:func:`~apislo.sources.known.locate`), and the file of no other entry of ``path``
    (:func:`~apislo.sources.known.claim_path`); a ``.gz`` is known the quick way from now on
    (:func:`_known_gz`), and an entry written before 2026-11-30 gets the digests of the file it
    describes, a ``.gz`` decompressed for them once (:func:`~apislo.sources.known.fingerprint`).
    """
    if not still_there(known, path):
        new_there = known.path != str(path) or known.moved  # (else claimed when read there)
        locate(known, path)
        if new_there:
            claim_path(state, known)
    if path.suffix == ".gz":
        known.gz_size, known.gz_identity = _gz_identity(path) or (None, None)
    if known.tail_lines is None and known.path == str(path):
        fingerprint(known, path, head)


def _gz_index(state: list[FileState]) -> dict[tuple[int, str], FileState]:
    """The state's ``.gz`` files read to their end, by their size and identity digest."""
    return {
        (entry.gz_size, entry.gz_identity): entry
        for entry in state
        if entry.gz_size is not None and entry.gz_identity is not None
    }


#: Compressed bytes at the start of a ``.gz`` that its identity covers (with its trailer).
_GZ_HEAD_BYTES = 64 << 10


def _gz_identity(path: Path) -> tuple[int, str] | None:
    """A ``.gz`` file's size on disk and its identity, read without decompressing: its last 8
    bytes in hex (gzip's trailer: CRC-32 and size of its last member), then a digest of its
    first 64 KiB (where earlier members differ); ``None`` when it cannot be read or is too
    short to hold a trailer."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size < 18:  # 10-byte header, 8-byte trailer
                return None
            handle.seek(-8, os.SEEK_END)
            trailer = handle.read(8)
            handle.seek(0)
            head = handle.read(_GZ_HEAD_BYTES)
    except OSError:
        return None
    return size, f"{trailer.hex()}-{prefix_digest(head)[:32]}"


def _known_gz(index: dict[tuple[int, str], FileState], path: Path) -> FileState | None:
    """The state entry of ``path``, a ``.gz`` file read to its end and unchanged since (same
    size on disk, same trailer, its last member's CRC-32, and same first 64 KiB), found without
    decompressing it, under any name (rotation renames it).

    Reading a ``.gz`` to fingerprint it decompresses it up to its content: a log rotated with
    ``copytruncate`` from a writer not in append mode starts with a hole of NULs that grows
    with each rotation (GBs to decompress on every run to add nothing). A multi-member ``.gz``
    would also be read again from where it ended, its size trailer covering its last member
    only. Size and time would not do: archives and syncs give many files the same whole-second
    time, and logs of the same shape the same compressed size.
    """
    if path.suffix != ".gz" or not index:
        return None
    identity = _gz_identity(path)
    return None if identity is None else index.get(identity)


def _load_state(root: Path) -> list[FileState]:
    path = root / _STATE_FILE
    if not path.exists():
        return []
    try:
        return [FileState(**item) for item in json.loads(path.read_text())["files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise IngestError(
            f"{path}: ingest state is unreadable ({exc}); move it away to re-ingest everything"
        ) from exc


def _save_state(root: Path, state: list[FileState]) -> None:
    """Write the state, one file per line. It is saved after each file ingested, so each
    entry's JSON is remembered (:func:`_entry_json`): encoding every entry anew made a run over
    2,000 new files spend half its time here, as each save costs the number of files known."""
    path = root / _STATE_FILE
    tmp = path.with_suffix(".tmp")
    with writing(path):
        tmp.write_text(f'{{"files": [\n{_state_entries(state)}\n]}}\n')
        tmp.replace(path)


def _state_entries(state: list[FileState]) -> str:
    """The state's entries as JSON objects, one per line."""
    return ",\n".join(_entry_json(tuple(vars(entry).values())) for entry in state)


@lru_cache(maxsize=1 << 16)
def _entry_json(values: tuple[object, ...]) -> str:
    """One state entry (:class:`FileState`'s field values, in order) as a JSON object."""
    return json.dumps(dict(zip(_STATE_FIELDS, values, strict=True)))


def _write_partitions(staging: Path, stem: str, events: pl.DataFrame, number: int) -> None:
    """Write chunk ``number``'s events under ``staging``, one Parquet file per day."""
    if events.height == 0:
        return
    days = events.select(first=pl.col("ts").min().dt.date(), last=pl.col("ts").max().dt.date()).row(
        0
    )
    if days[0] == days[1]:  # the usual chunk: one day, written as it is
        parts = {days[0]: events}
    else:
        with_day = events.with_columns(pl.col("ts").dt.date().alias("_day"))
        by_day = with_day.partition_by("_day", as_dict=True, include_key=False)
        parts = {day: part for (day,), part in by_day.items()}
    for day, part in parts.items():
        folder = staging / f"day={day}"
        target = folder / f"part-{stem}-{number}.parquet"
        with writing(target):
            folder.mkdir(parents=True, exist_ok=True)
            write_events(part, target)


def _write_journal(
    staging: Path, root: Path, state: list[FileState]
) -> tuple[list[tuple[str, str]], list[FileState]]:
    """Write the journal of a file's commit: the moves of its staged parts into the dataset, and
    ``state``, which says the file was read. :func:`_finish_commit` carries it out, now or, for a
    run killed in between, on the next run, so the two are one step a crash cannot split (a
    crash between the moves and the state would otherwise store the file's lines again).

    Returns:
        The journal's moves and state (what it says, without reading it back).

    Raises:
        DatasetWriteError: the journal cannot be written; the commit has not started.
    """
    moves = [
        (part.relative_to(root).as_posix(), f"{part.parent.name}/{part.name}")
        for part in sorted(staging.glob("day=*/*.parquet"))
    ]
    journal = root / _JOURNAL
    tmp = journal.with_suffix(".tmp")
    with writing(journal):
        tmp.write_text(
            f'{{"moves": {json.dumps(moves)}, "files": [\n{_state_entries(state)}\n]}}\n'
        )
        tmp.replace(journal)
    return moves, state


def _finish_commit(
    root: Path, plan: tuple[list[tuple[str, str]], list[FileState]] | None = None
) -> None:
    """Carry out the commit the journal describes, if any: the moves not done yet, then the
    state (a run does this at its end, and at its start for a run killed in between). ``plan``:
    the journal's moves and state when the caller has just written them."""
    journal = root / _JOURNAL
    if plan is None:
        if not journal.exists():
            return
        written = json.loads(journal.read_text())
        plan = written["moves"], [FileState(**entry) for entry in written["files"]]
    moves, state = plan
    for source, target in moves:
        if (root / source).exists():
            with writing(root / target):
                (root / target).parent.mkdir(exist_ok=True)
                (root / source).replace(root / target)
    _save_state(root, state)
    with writing(journal):
        journal.unlink()
