"""Files on disk: expanding log paths, rotation order, gzip, fingerprints and chunked reading;
read and write failures as one-line errors naming the file."""

from __future__ import annotations

import errno
import fnmatch
import glob
import gzip
import hashlib
import itertools
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from apislo.errors import DatasetWriteError, IngestError
from apislo.sources.buffers import new_buffer
from apislo.sources.logs.nginx_kernel import count_lines

__all__ = [
    "HEAD_BYTES",
    "Chunk",
    "Head",
    "Span",
    "disk_size",
    "expand_paths",
    "fixed_part",
    "named_part",
    "open_log",
    "path_list",
    "prefix_digest",
    "read_before",
    "read_chunks",
    "read_content_head",
    "read_head",
    "writing",
]

#: Bytes at the start of a file that identify it (its fingerprint covers at most these).
HEAD_BYTES = 4096
#: What reading a log may raise: I/O errors, and a .gz file that is corrupt or ends early.
_READ_ERRORS = (OSError, EOFError, zlib.error)
_GLOB_CHARS = re.compile(r"[*?\[]")
#: A rotated log's name: ``access.log.3.gz`` (numbered) or, with logrotate's ``dateext``,
#: ``access.log-20261101.gz`` (``-%Y%m%d``, ``-%Y%m%d%H``, ``-%Y-%m-%d``, or epoch seconds).
_ROTATED = re.compile(
    r"^(?P<base>.*?)(?:\.(?P<n>\d+)|-(?P<date>\d{4}-?\d{2}-?\d{2}(?:-?\d{2})?|\d{10}))?"
    r"(?P<gz>\.gz)?\Z",
    re.S,  # (a name may hold a line break)
)


def path_list(paths: str | Path | Iterable[str | Path]) -> list[str | Path]:
    """``paths`` as a list: one path (a string, :class:`Path` or other path-like, bytes too)
    is a list of one, not of the string's characters; path-likes other than :class:`Path`
    (``PurePosixPath``, ``bytes``) become strings."""
    items = [paths] if isinstance(paths, str | bytes | os.PathLike) else list(paths)
    return [item if isinstance(item, str | Path) else os.fsdecode(item) for item in items]


def expand_paths(
    paths: str | Path | Iterable[str | Path],
    unlisted: dict[str, IngestError] | None = None,
    empty: list[str] | None = None,
) -> list[Path]:
    """Files named by ``paths``: files, globs (``**`` allowed) and directories (recursively).

    Inside a directory, hidden files and hidden folders (``.git/``, ``.snapshot/``) are skipped,
    links to folders elsewhere followed (:func:`_walk`); a file named more than once (through
    ``..`` or a symbolic link too) is listed once, under the first of its names. Rotated logs
    are ordered oldest first (``access.log.3.gz``, ``access.log.2.gz``, ``access.log.1``,
    ``access.log``).

    Args:
        paths: files, globs and directories, or one of them; a glob that matches no file but
            is the name of one (``access[1].log``) names that file, as in a shell.
        unlisted: where a folder that cannot be listed (no permission) is put, with its error,
            the files that can be listed still returned; without it, that error is raised.
        empty: where a folder that holds no file (hidden ones aside) is put; without it, that
            is an error, as a glob that matches nothing.

    Raises:
        IngestError: a path does not exist, is no file or folder (a pipe such as
            ``/dev/stdin``), a glob matches nothing, a folder holds no file (only without
            ``empty``; neither when some folder on its way cannot be listed); a folder cannot be
            listed (only without ``unlisted``).
    """
    found: list[Path] = []
    for item in path_list(paths):
        text = str(item)
        blind: list[OSError] = []  # (folders it could not list: they say why it found nothing)
        on_unlisted = _on_unlisted(unlisted, blind)
        if _GLOB_CHARS.search(text):
            _check_glob_folders(text, on_unlisted)
            matches = [Path(m) for m in glob.glob(text, recursive=True)]
            matches = [m for m in matches if _is_file(m, on_unlisted)]
            # a name that only looks like a pattern (`access[1].log`), matching no file, names
            # itself, as in a shell (until 2026-11-30 "the pattern matches no file")
            if matches or blind or not os.path.lexists(text):
                if not matches and not blind:
                    raise IngestError(f"{text}: the pattern matches no file")
                found.extend(matches)
                continue
        if _is_dir(Path(text)):
            inside = list(_walk(Path(text), on_unlisted))
            if not inside and not blind:
                if empty is None:
                    raise IngestError(f"{text}: the folder holds no file (hidden ones aside)")
                empty.append(text)
            found.extend(inside)
        elif Path(text).is_file():
            found.append(Path(text))
        elif Path(text).exists():
            raise IngestError(
                f"{text}: not a regular file (a pipe, a socket or a device): apislo reads log "
                "files and folders, and remembers how far it read each file; save the stream to "
                "a file first and ingest that"
            )
        else:
            raise IngestError(f"{text}: no such file or directory")
    unique: dict[Path, Path] = {}
    for path in found:  # one file named twice (a/../a/x.log, a symlink) is read once
        unique.setdefault(path.resolve(), path)
    return sorted(unique.values(), key=_rotation_key)


def _on_unlisted(
    unlisted: dict[str, IngestError] | None, seen: list[OSError]
) -> Callable[[OSError], None]:
    """What to do with the error of a folder that cannot be listed: add it to ``seen``, and put
    it in ``unlisted``, or raise it as an :class:`IngestError` when that is ``None``."""

    def unreadable(exc: OSError) -> None:
        seen.append(exc)
        error = _open_error(Path(exc.filename), exc)
        if unlisted is None:
            raise error from exc
        unlisted[exc.filename] = error

    return unreadable


def _walk(top: Path, unreadable: Callable[[OSError], None]) -> Iterator[Path]:
    """The files inside the folder ``top``, hidden files and folders skipped; a folder that
    cannot be listed goes to ``unreadable`` (:func:`_on_unlisted`): :meth:`Path.rglob` would
    skip it silently. A link to a folder elsewhere is followed, as a ``**`` glob follows it
    (until 2026-11-30 its files were skipped without a word), each folder entered once; one to
    a folder inside ``top`` is not, as its files are found there under their own names, nor
    one to ``top`` or a folder above it (a loop)."""
    inside = os.path.realpath(top)
    entered: set[str] = set()
    for folder, dirs, names in os.walk(top, onerror=unreadable, followlinks=True):
        real = os.path.realpath(folder)
        if real in entered or _linked_around(real, inside, os.path.relpath(folder, top)):
            dirs[:] = []
            continue
        entered.add(real)
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in names:
            path = Path(folder, name)
            if not name.startswith(".") and _is_file(path, unreadable):
                yield path


def _linked_around(real: str, top: str, walked: str) -> bool:
    """Whether a folder reached by the path ``walked`` (relative to the folder walked, whose
    real path is ``top``) is, through a link, one inside that folder, that folder or one above
    it: its real path ``real`` lies in ``top`` under another relative path, or holds ``top``.
    A folder on another Windows drive is neither (:func:`os.path.commonpath` refuses such a
    pair)."""
    try:
        common = os.path.commonpath([real, top])
    except ValueError:  # (C:\\logs and D:\\archive)
        return False
    return common in (real, top) and os.path.relpath(real, top) != walked


def _is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder.

    Raises:
        IngestError: it lies in a folder that may be listed but not entered (mode ``r--``).
    """
    try:
        return path.is_dir()
    except PermissionError as exc:
        raise _open_error(path, exc) from exc


def _is_file(path: Path, unreadable: Callable[[OSError], None]) -> bool:
    """Whether ``path`` is a regular file; its folder goes to ``unreadable`` when it may be
    listed but not entered (mode ``r--``: a traceback from :meth:`Path.is_file` otherwise)."""
    try:
        return path.is_file()
    except PermissionError as exc:
        exc.filename = str(path.parent)
        unreadable(exc)
        return False


def _check_glob_folders(pattern: str, unreadable: Callable[[OSError], None]) -> None:
    """Give ``unreadable`` the error of each folder a glob of ``pattern`` would look in and
    may not list or enter (no permission): :func:`glob.glob` skips those silently; other
    errors (a missing folder, a link in a loop) it takes for no match, as this does. The folders
    are followed as it does: ``**`` through every folder below, hidden ones aside (and links
    to folders: :func:`os.walk` does not follow them); another wildcard through the matching
    names, hidden ones only for a pattern that starts with ``.``."""

    def cannot_list(exc: OSError) -> None:
        if isinstance(exc, PermissionError):  # (others, as a link in a loop, match nothing)
            unreadable(exc)

    base = fixed_part(pattern)
    folders = [str(base)]
    parts = Path(pattern).parts[len(base.parts) :]
    for number, part in enumerate(parts, 1):
        last = number == len(parts)
        below: list[str] = []
        for folder in folders:
            if part == "**":
                for top, dirs, _ in os.walk(folder, onerror=cannot_list):
                    dirs[:] = [name for name in dirs if not name.startswith(".")]
                    below.append(top)
            elif _GLOB_CHARS.search(part):
                try:
                    with os.scandir(folder) as entries:
                        names = [e.name for e in entries if not last and e.is_dir()]
                except OSError as exc:
                    cannot_list(exc)
                    continue
                hidden = part.startswith(".")
                below += [
                    os.path.join(folder, name)
                    for name in fnmatch.filter(names, part)
                    if hidden or not name.startswith(".")
                ]
            else:  # a name without wildcards: looked up in the folder, which is not listed
                try:
                    mode = os.stat(os.path.join(folder, part)).st_mode
                except OSError as exc:  # (a folder that can be listed but not entered)
                    exc.filename = folder
                    cannot_list(exc)
                    continue
                if not last and stat.S_ISDIR(mode):
                    below.append(os.path.join(folder, part))
        folders = below


def fixed_part(path: str | Path) -> Path:
    """``path`` up to its first part holding a wildcard (``logs/*/access.log`` gives ``logs``,
    ``*.log`` gives ``.``): the folder a glob looks in; the whole path when it holds none."""
    return Path(*itertools.takewhile(lambda part: not _GLOB_CHARS.search(part), Path(path).parts))


def named_part(path: str | Path) -> Path:
    """What ``path`` surely names: all of it when it exists (a name that only looks like a glob,
    ``access[1].log``, which :func:`expand_paths` reads when the glob matches no file) or holds
    no wildcard, else its :func:`fixed_part`, the folder a glob looks in."""
    return Path(path) if os.path.lexists(path) else fixed_part(path)


def _rotation_key(path: Path) -> tuple[str, str, int, str, int]:
    """Oldest first within one log's files: dated ones by date, then numbered ones from the
    highest number, then the live file."""
    match = _ROTATED.match(path.name)
    assert match is not None  # the pattern matches any string
    if match["date"]:
        return (str(path.parent), match["base"], 0, match["date"].replace("-", ""), 0)
    number = int(match["n"]) if match["n"] else 0
    return (str(path.parent), match["base"], 1, "", -number)


def open_log(path: Path) -> BinaryIO:
    """Open a log file for binary reading, decompressing ``.gz`` files."""
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return open(path, "rb")
    except OSError as exc:
        raise _open_error(path, exc) from exc


def _open_error(path: Path, exc: OSError) -> IngestError:
    """The error for a file that cannot be opened, or a folder that cannot be listed."""
    return IngestError(f"{path}: cannot open: {exc}")


def disk_size(path: Path) -> int:
    """Bytes of ``path`` on disk (compressed ones for a ``.gz``), the unit of ingest's progress;
    0 for a file gone since it was listed (rotated away): the run then reports it as unreadable,
    with the others stored."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


#: The first bytes of compressed files apislo does not read, and the tool that wrote them.
_GZIP_MAGIC = b"\x1f\x8b"
_COMPRESSED = (
    (_GZIP_MAGIC, "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"PK\x03\x04", "zip"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")


def read_head(path: Path, size: int = HEAD_BYTES, offset: int = 0) -> bytes:
    """The first ``size`` bytes of the (decompressed) file, or of what follows ``offset``.

    Raises:
        IngestError: the file cannot be read, or it is compressed in a way apislo does not read
            (xz, bzip2, zstd, lz4, zip; gzip under a name not ending in ``.gz``), or its text is
            UTF-16.
    """
    with open_log(path) as handle:
        try:
            if offset and path.suffix == ".gz":
                _skip(handle, offset, path)
            elif offset:
                handle.seek(offset)
            head = handle.read(size)
        except _READ_ERRORS as exc:
            raise _read_error(path, exc) from exc
    if path.suffix != ".gz" and not offset:
        _refuse_compressed(path, head)
    if not offset:
        _refuse_utf16(path, head)
    return head


@dataclass(frozen=True)
class Span:
    """The last bytes of a file (decompressed) before an offset (:func:`read_before`).

    Attributes:
        data: the bytes before ``end``.
        end: the offset asked for, or the file's end when it ends before it (bytes).
        more: whether the file holds bytes past the offset asked for.
    """

    data: bytes
    end: int
    more: bool


def read_before(path: Path, offset: int, size: int = HEAD_BYTES, start: int = 0) -> Span:
    """The ``size`` bytes of ``path`` (decompressed) before ``offset``, or before its end when
    it ends first, none of them before ``start`` (bytes), and whether it holds more than
    ``offset`` bytes: a ``.gz`` is decompressed that far, once.

    Raises:
        IngestError: the file cannot be read (or, compressed, ends early).
    """
    with open_log(path) as handle:
        try:
            if path.suffix == ".gz":
                return _stream_before(handle, offset, size, start)
            total = os.fstat(handle.fileno()).st_size
            end = min(offset, total)
            first = min(end, max(start, end - size))
            handle.seek(first)
            return Span(handle.read(end - first), end, total > offset)
        except _READ_ERRORS as exc:
            raise _read_error(path, exc) from exc


def _stream_before(handle: BinaryIO, offset: int, size: int, start: int) -> Span:
    """:func:`read_before` for a stream (a ``.gz`` being decompressed), read from its start."""
    kept, position = b"", 0
    while position < offset:
        block = handle.read(min(1 << 20, offset - position))
        if not block:
            break
        first = max(start - position, len(block) - size, 0)  # (nothing before ``start``)
        if first < len(block):
            kept = (kept + block[first:])[-size:]
        position += len(block)
    return Span(kept, position, position == offset and bool(handle.read(1)))


@dataclass(frozen=True)
class Head:
    """Where a file's content starts, and its first bytes from there.

    Attributes:
        start: offset (bytes, decompressed) of the first byte that is not NUL: 0 for most
            files, the file's size for one that holds only NULs.
        data: up to :data:`HEAD_BYTES` bytes from ``start``; empty when there is no content.
    """

    start: int
    data: bytes


def read_content_head(path: Path) -> Head:
    """A file's :class:`Head`: its content skips a leading run of NUL bytes.

    A log that logrotate truncated (``copytruncate``) while its writer, not in append mode,
    kept writing at its old offset begins with a hole of NULs as long as what was there. Such a
    run identifies nothing (two logs in that state, or two generations of one, would share a
    fingerprint, and the second would be taken as read) and no log line holds a NUL, so the
    fingerprint, format detection and reading start after it. A sparse hole is skipped
    without reading it (``SEEK_DATA``).

    Raises:
        IngestError: as :func:`read_head`.
    """
    head = read_head(path)
    if not head.startswith(b"\0"):
        return Head(0, head)
    start = _content_start(path)
    return Head(start, read_head(path, HEAD_BYTES, start))


def _content_start(path: Path) -> int:
    """Offset (bytes, decompressed) of the first byte of ``path`` that is not NUL."""
    with open_log(path) as handle:
        try:
            offset = 0 if path.suffix == ".gz" else _first_data(handle)
            if offset:
                handle.seek(offset)
            while block := handle.read(1 << 20):
                rest = block.lstrip(b"\0")
                if rest:
                    return offset + len(block) - len(rest)
                offset += len(block)
            return offset
        except _READ_ERRORS as exc:
            raise _read_error(path, exc) from exc


def _first_data(handle: BinaryIO) -> int:
    """Where the first data of a plain file lies past a sparse hole (``SEEK_DATA``): its size
    when it holds none, 0 where the system cannot tell."""
    try:
        return os.lseek(handle.fileno(), 0, os.SEEK_DATA)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no data at all: a hole to the end
            return os.fstat(handle.fileno()).st_size
        return 0


def _compression(head: bytes) -> str | None:
    """The tool whose compressed files start with ``head`` (``gzip``, ``xz``...), if any."""
    tool = next((name for magic, name in _COMPRESSED if head.startswith(magic)), None)
    return "bzip2" if tool is None and _BZIP2.match(head) else tool


def _refuse_compressed(path: Path, head: bytes) -> None:
    """Refuse a file whose first bytes say it is compressed: its lines would otherwise be
    sniffed as text and the file refused as "no log format recognises this file"."""
    tool = _compression(head)
    if tool == "gzip":
        raise IngestError(
            f"{path}: this file is gzip-compressed but its name does not end in .gz; "
            "rename it to end in .gz (or decompress it) and ingest it again"
        )
    if tool is not None:
        raise IngestError(
            f"{path}: this file is {tool}-compressed; apislo reads plain and .gz logs: "
            "decompress it (or recompress it with gzip) and ingest it again"
        )


#: How many of a file's first bytes :func:`_utf16_encoding` looks at.
_UTF16_SAMPLE = 512


def _utf16_encoding(head: bytes) -> str | None:
    """The UTF-16 encoding of a file starting with ``head``, as ``iconv -f`` names it: ``UTF-16``
    after a byte order mark, ``UTF-16LE`` or ``UTF-16BE`` for text whose every other byte is
    mostly NUL (mostly ASCII: of the first :data:`_UTF16_SAMPLE` bytes, at least 8, half or more
    of the odd ones, or of the even ones, are NULs and none of the others is); ``None`` for
    anything else. A log holds no NUL, and a file starting with a run of them, which logrotate's
    ``copytruncate`` leaves, has them on both sides.

    >>> _utf16_encoding("GET /".encode("utf-16")), _utf16_encoding("GET /".encode("utf-16-be"))
    ('UTF-16', 'UTF-16BE')
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = head[:_UTF16_SAMPLE]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if not even.count(0) and odd.count(0) * 2 >= len(odd):
        return "UTF-16LE"
    if not odd.count(0) and even.count(0) * 2 >= len(even):
        return "UTF-16BE"
    return None


def _refuse_utf16(path: Path, head: bytes) -> None:
    """Refuse a file of UTF-16 text (a Windows tool's "Unicode"): its lines would otherwise be
    sniffed as bytes interleaved with NULs and the file refused as "no log format recognises
    this file"."""
    encoding = _utf16_encoding(head)
    if encoding is not None:
        raise IngestError(
            f"{path}: this file is {encoding} text; apislo reads UTF-8 logs: convert it "
            f"(iconv -f {encoding} -t UTF-8 FILE > NEW) and ingest that"
        )


def _read_error(path: Path, exc: Exception) -> IngestError:
    """The error for a file that cannot be read: a ``.gz`` that is not gzip says what it is."""
    hint = " (a .gz file cut short, or still being written?)" if path.suffix == ".gz" else ""
    if isinstance(exc, gzip.BadGzipFile):
        with open(path, "rb") as raw:
            head = raw.read(16)
        if len(head) < len(_GZIP_MAGIC) and _GZIP_MAGIC.startswith(head):  # (its first byte)
            return IngestError(f"{path}: cannot read: {exc}{hint}")
        tool = _compression(head)
        if tool != "gzip":
            what = f"{tool}-compressed" if tool else "not gzip-compressed"
            return IngestError(
                f"{path}: named .gz but {what}; apislo reads plain and gzip logs: rename it, "
                "or recompress it with gzip, and ingest it again"
            )
        return IngestError(
            f"{path}: cannot read: {exc}: data that is not gzip follows its gzip data "
            "(appended garbage?); nothing of it was stored: `zcat` reads what comes before, so "
            "`zcat FILE | gzip > NEW.gz` and ingest that"
        )
    return IngestError(f"{path}: cannot read: {exc}{hint}")


#: How polars names the operating system's error behind one of its own, which has no errno: an
#: OSError, or its Parquet writer's ComputeError (``... No space left on device (os error 28)``).
_POLARS_OS_ERROR = re.compile(r"\(os error (\d+)\)")


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Raise an operating system's error from the block (disk full, read-only file system, no
    permission), also one polars raised writing, as a :class:`DatasetWriteError` naming
    ``path``."""
    try:
        yield
    except (OSError, pl.exceptions.ComputeError) as exc:
        reason = _os_error(exc)
        if reason is None:
            raise
        raise DatasetWriteError(path, reason) from exc


def _os_error(exc: OSError | pl.exceptions.ComputeError) -> OSError | None:
    """The operating system's error ``exc`` is, or names (polars gives its errno in its message
    only); ``None`` for a polars error of another kind."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    found = _POLARS_OS_ERROR.search(str(exc))
    if found:
        code = int(found[1])
        return OSError(code, os.strerror(code))
    return exc if isinstance(exc, OSError) else None


def prefix_digest(data: bytes) -> str:
    """SHA-256 of a file's leading bytes, the content half of its fingerprint."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Chunk:
    """Complete lines read from a file.

    Attributes:
        data: the lines, each ending with ``\\n`` (a ``bytearray`` when read in place, reused
            for the next chunk of the file).
        end_offset: offset (bytes, decompressed) just after the chunk.
        lines: number of lines in ``data``.
        disk_offset: bytes of the file on disk read by then (compressed ones for a ``.gz``;
            a little past the chunk, as reads run ahead): how far through the file reading
            is, in the unit of its size.
    """

    data: bytes | bytearray
    end_offset: int
    lines: int
    disk_offset: int


def read_chunks(
    path: Path,
    start_offset: int = 0,
    chunk_bytes: int = 32 << 20,
    keep_partial: bool = True,
    buffers: int = 1,
    records_end: Callable[[bytearray, int], int] | None = None,
    end_offset: int | None = None,
) -> Iterator[Chunk]:
    """Yield chunks of complete lines from ``start_offset`` to the end of the file (or to
    ``end_offset``).

    The chunks take turns in ``buffers`` buffers: a chunk's ``data`` is overwritten when the
    chunk ``buffers`` places after it is read, so a consumer holds at most ``buffers`` chunks at
    a time and copies what it keeps (the parsers do). A chunk still viewed then (a
    ``memoryview`` or NumPy view of it alive) is left intact, in a buffer of its own.

    Args:
        path: the file (``.gz`` decompressed on the fly).
        start_offset: where to resume, in decompressed bytes; must be a line start.
        chunk_bytes: target chunk size in bytes (a chunk ends at the last newline inside it).
        keep_partial: whether a final line without a newline is read (``True``) or left for
            the next run, because a writer may still be appending to it (``False``).
        buffers: how many chunks the consumer works on at once.
        records_end: where a chunk of complete lines (its bytes, the end of its last line) may
            end so that no record is cut (lines of a container log can be pieces of one):
            the lines after that are read with the next chunk.
        end_offset: where to stop, in decompressed bytes (a line start); ``None``: the end.
    """
    with open_log(path) as handle:
        if start_offset:
            if path.suffix == ".gz":
                _skip(handle, start_offset, path)
            else:
                handle.seek(start_offset)
        offset = start_offset
        # Buffers reused for the whole file, each filled in place: the partial line carried over
        # from the last read, then the read. A fresh buffer per chunk would cost a page fault per
        # 4 KiB, which on a VM costs more than the read itself. Each is made when first needed,
        # in huge pages where it can (new_buffer: 20-28 ms to fill 32 MiB, 36-49 ms in pages of
        # 4 KiB): the first chunk is parsed meanwhile.
        ring: list[bytearray | None] = [None] * buffers
        turn, data, held = 0, new_buffer(chunk_bytes), 0
        while True:
            stop = len(data) if end_offset is None else min(len(data), end_offset - offset)
            filled = held + _read_into(handle, memoryview(data)[held : max(held, stop)], path)
            if filled == held:
                break
            cut = data.rfind(b"\n", 0, filled) + 1
            if cut and records_end is not None:
                cut = records_end(data, cut)
            if cut == 0:  # a line (or record) longer than the buffer: make room and read on
                held = filled
                data.extend(bytes(chunk_bytes))
                continue
            size, tail = len(data), bytes(data[cut:filled])
            del data[cut:]
            offset += cut
            # the C kernel counts sixteen bytes at a time, several times as fast as bytes.count
            lines = count_lines(np.frombuffer(data, dtype=np.uint8), 0, cut)
            yield Chunk(data, offset, lines, _disk_offset(handle))
            ring[turn] = data
            turn = (turn + 1) % buffers
            data = ring[turn] = _emptied(ring[turn], size)
            data[: len(tail)] = tail
            held = len(tail)
        if held and keep_partial:  # an unterminated line, or a record whose end never came
            rest = bytes(data[:held])
            rest += b"" if rest.endswith(b"\n") else b"\n"
            yield Chunk(rest, offset + held, rest.count(b"\n"), _disk_offset(handle))


def _disk_offset(handle: BinaryIO) -> int:
    """Bytes of the file on disk read through ``handle``: for a ``.gz``, those its decompressor
    has taken from the file."""
    raw = handle.fileobj if isinstance(handle, gzip.GzipFile) else handle
    return raw.tell()  # type: ignore[union-attr]


def _emptied(data: bytearray | None, size: int) -> bytearray:
    """``data`` at ``size`` bytes again, in the same allocation; a new buffer instead while a
    view of the chunk it held is still alive (resizing then raises BufferError), or for
    ``None`` (a buffer not made yet)."""
    if data is None:
        return new_buffer(size)
    try:
        data.append(0)
    except BufferError:
        return new_buffer(size)
    if len(data) > size:
        del data[size:]
    else:
        data.extend(bytes(size - len(data)))
    return data


def _read_into(handle: BinaryIO, view: memoryview, path: Path) -> int:
    """Fill ``view`` from ``handle`` (short reads retried); the bytes read (fewer at the end).

    Raises:
        IngestError: ``path`` cannot be read (or, compressed, ends early).
    """
    filled = 0
    try:
        while filled < len(view):
            count = handle.readinto(view[filled:])  # type: ignore[attr-defined]
            if not count:
                break
            filled += count
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from exc
    return filled


def _skip(handle: BinaryIO, count: int, path: Path) -> None:
    """Read past ``count`` bytes of a compressed file (which cannot seek)."""
    try:
        while count > 0:
            block = handle.read(min(count, 1 << 20))
            if not block:
                break
            count -= len(block)
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from exc
