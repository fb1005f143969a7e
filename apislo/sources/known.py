"""What a dataset remembers of each file it ingested (:class:`FileState`), and how a file found
again relates to what was read of one (:func:`find`).

A file is first matched by its fingerprint, the SHA-256 of its first :data:`HEAD_BYTES` bytes of
content. Logs often start alike (health checks, load-balancer probes at startup), so the match
is then checked where reading stopped: the bytes before that point (their SHA-256, and a digest
at each line end, for the :data:`HEAD_BYTES` bytes before it) and, when that does not tell, the
file the entry was read from, if it is still there as it was read. A file so compared is:

* the content read, read to its end or grown since (the same log, renamed or copied whole:
  resumed where reading stopped);
* a first part of it, under another name (logrotate's ``copy``): read before, nothing to do;
* at the entry's own path, the log rewritten in place (trimmed, restored from an older copy,
  then maybe written on): the lines it shares with what was read, found by the line digests of
  the first and of the last :data:`HEAD_BYTES` bytes read, were read, and the rest is new;
  unless it is another file than the one read (another inode on the same device, or any file
  once another one was found there: inode numbers are reused): a new log created there once
  the one read was renamed away (rotated), read as new;
* otherwise another log that only starts the same (read as new), or, when the file the entry
  was read from is gone and nothing else tells, a file that cannot be told from the log read
  rewritten: refused, nothing of it added.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from apislo.errors import IngestError
from apislo.sources.files import (
    HEAD_BYTES,
    Head,
    Span,
    prefix_digest,
    read_before,
    read_chunks,
    read_content_head,
    read_head,
)

__all__ = [
    "FileState",
    "Found",
    "Seen",
    "claim_path",
    "find",
    "fingerprint",
    "locate",
    "matches",
    "still_there",
    "take_rewritten",
]

#: Hex digits kept of each line-end digest (:func:`line_digests`): 32 bits, so two different
#: lines pass for one about once in four billion comparisons.
LINE_DIGEST_CHARS = 8


@dataclass
class FileState:
    """What the dataset remembers of one ingested file.

    Attributes:
        path: where it was last seen.
        prefix_len: bytes covered by ``prefix_sha256`` (at most 4 KiB, at most ``offset``).
        prefix_sha256: digest of the first ``prefix_len`` bytes of its content (decompressed,
            from ``prefix_start``).
        offset: bytes consumed (decompressed), at a line start unless ``open_line``.
        lines: lines consumed, an unterminated last line read (``open_line``) too.
        format: log format used.
        envelope: envelope stripped (``docker``, ``cri``, ``syslog``) or ``None``.
        prefix_start: where its content starts, past a leading run of NUL bytes (bytes,
            decompressed; see :func:`~apislo.sources.files.read_content_head`).
        gz_size, gz_identity: for a ``.gz`` file read to its end, its size on disk (compressed
            bytes) and its identity: its last 8 bytes in hex (gzip's trailer: the CRC-32 and
            size of its last member) and a digest of its first 64 KiB; ``None`` otherwise. A
            ``.gz`` with both the same is known without being read.
        tail_sha256: the digest of the last :data:`HEAD_BYTES` bytes (fewer when less was
            read; decompressed for a ``.gz``) before ``offset``: a file whose fingerprint
            matches is the content read only if it holds these bytes there too (:func:`find`).
            ``None`` in entries written before 2026-11-29, and in those of a ``.gz`` read as
            such written before 2026-11-30.
        head_lines, tail_lines: :func:`line_digests` of the ``prefix_len`` bytes of
            ``prefix_sha256`` (only when more was read: else they are the bytes of
            ``tail_sha256``) and of the bytes of ``tail_sha256``: where a log rewritten in
            place stops holding what was read (:func:`find`). ``None`` in entries written
            before 2026-11-30 (and where ``tail_sha256`` is).
        device, inode: the file's device and inode number (``os.stat``) when last seen at
            ``path``: a file found there later with another inode on the same device is
            another file, not the one read rewritten (:func:`find`). Inode numbers are reused
            once a file is deleted, so the same one proves nothing: the digests decide. ``None``
            in entries written before 2026-11-30.
        moved: another file (another inode) has been found at ``path`` since, so the one read
            was renamed away (rotated) or deleted: any file there is another one, whatever its
            inode (a new log given the number the one read had, once that was deleted, is no
            more it than any other; until 2026-11-30 it was taken for it rewritten in place,
            its first lines for lines read) (:func:`claim_path`).
        open_line: what was read ends inside a line: the unterminated last line of a settled
            log, read as it was; should the log grow, the first line read on from ``offset``
            is the rest of that line, and is numbered as it (:attr:`lines_before`). ``False``
            in entries written before 2026-11-30, when that rest was numbered as the next
            line, and every later line of the log one too far.
    """

    path: str
    prefix_len: int
    prefix_sha256: str
    offset: int
    lines: int
    format: str
    envelope: str | None = None
    prefix_start: int = 0
    gz_size: int | None = None
    gz_identity: str | None = None
    tail_sha256: str | None = None
    head_lines: str | None = None
    tail_lines: str | None = None
    device: int | None = None
    inode: int | None = None
    moved: bool = False
    open_line: bool = False

    @property
    def lines_before(self) -> int:
        """The lines before the one read on from ``offset`` (which is line ``lines_before +
        1``): ``lines``, but for the unterminated line read last (``open_line``), which the
        rest read next continues."""
        return self.lines - self.open_line


@dataclass(frozen=True)
class Found:
    """How a file relates to a state entry (:func:`find`).

    Attributes:
        entry: the entry.
        kind: ``"read"``: it holds what was read and nothing more; ``"grown"``: it holds what
            was read and more, read on from ``entry.offset``; ``"copy"``: it holds a first part
            of what was read, under another name (read before; the entry stays as it is);
            ``"rewritten"``: the file at ``entry.path`` rewritten in place: its first
            ``offset`` bytes (``lines`` lines) were read, what follows is new
            (:func:`take_rewritten`).
        offset, lines: for ``"rewritten"``, where what was read of it ends (bytes,
            decompressed, a line start) and the lines before that.
    """

    entry: FileState
    kind: str
    offset: int = 0
    lines: int = 0


def find(state: list[FileState], head: Head, path: Path, seen: Seen | None = None) -> Found | None:
    """How ``path`` (its :class:`Head` ``head``) relates to the state: the entry whose content it
    holds, or a part of, or rewrote; ``None`` for a file not read before, among them another log
    that starts with the same :data:`HEAD_BYTES` bytes as one read before.

    An entry of its path that it holds as read, and no more, is taken at once: no other would
    find anything new in it (until 2026-11-30 an unchanged log was first compared with each
    entry read further that it matched, reading their files: among logs starting alike, a run's
    time grew with the square of their number). Else the entries whose fingerprint matches are
    compared (:func:`_compare`), the longest read first (a log is resumed from the end of a
    longer copy of its first part); then the entries that its first lines start like
    (:func:`_shared_head`): for a plain file, those of its path (a log trimmed in place within
    its first :data:`HEAD_BYTES` bytes; before 2026-11-30 it was read as new, the lines it kept
    stored twice), else one it is a shorter copy of.

    Each of its bytes before an offset is read once (:class:`_Windows`), and the files of the
    entries it differs from are looked at only when nothing claims it (to tell whether to
    refuse it), each once per run while it stays as it is (``seen``, a run's :class:`Seen`; a
    new one when not given): until 2026-11-30 each file new or grown among N logs starting
    alike read the files of the others, N² reads (300 grown logs: 12 s).

    Raises:
        IngestError: it matches an entry but cannot be told apart from the log read rewritten
            (see :func:`_compare`), and nothing else claims it; nothing of it is to be added.
    """
    seen = seen or Seen()
    windows = _Windows(path)
    tried = matches(state, head, path)
    for entry in tried:
        if entry.path == str(path) and (found := _holds(entry, windows)) and found.kind == "read":
            return found
    undecided: list[FileState | IngestError] = []  # (in the order compared)
    for entry in tried:
        try:
            found = _compare(entry, head, path, windows, seen)
        except IngestError as exc:
            if entry.path == str(path):  # the log read, rewritten: no other entry is its own
                raise
            undecided.append(exc)
            continue
        if found is not None:
            return found
        if entry.path != str(path):
            undecided.append(entry)
    compared = {id(entry) for entry in tried}
    found = _shared_head([e for e in state if id(e) not in compared], head, path)
    if found is None:
        _refuse_undecided(undecided, path, seen)
    return found


def _refuse_undecided(undecided: list[FileState | IngestError], path: Path, seen: Seen) -> None:
    """Raise the first refusal among the entries whose fingerprint ``path`` matches and that it
    differs from (:func:`_compare`, in that order): an error met comparing them, or an entry
    whose file is no longer there as it was read to tell that ``path`` is another log (else it
    may be that log rewritten). Its file is looked at here, once nothing claims ``path``, not
    for each entry compared (:func:`find`)."""
    for item in undecided:
        if isinstance(item, IngestError):
            raise item
        if not seen.still_there(item, path):
            raise _refusal(item, path)


def _compare(
    entry: FileState, head: Head, path: Path, windows: _Windows, seen: Seen
) -> Found | None:
    """How ``path``, whose fingerprint matches ``entry``'s, relates to it: compared over the
    :data:`HEAD_BYTES` bytes before where reading stopped (``entry.offset``), or before its own
    end when it is shorter (read from ``windows``). ``None``: another log, when the file
    ``entry`` was read from still holds what was read (:func:`still_there`; for an entry of
    another path, looked at by :func:`find` only when no entry claims ``path``), or as
    ``path``, at the entry's path, differs from what was read and is another file than the one
    read (:func:`_replaced`: a log rotated by renaming it, and a new one created there; until
    2026-11-30 taken for the log rewritten in place, its first lines for lines read).

    Raises:
        IngestError: ``path`` is the file read (its path), rewritten where what was read of it
            ends cannot be told.
    """
    span = windows.before(entry.offset, entry.prefix_start)
    own = path.suffix != ".gz" and entry.path == str(path)
    if (found := _holds(entry, windows, span)) is not None:
        return found
    if own and _replaced(entry, path):
        return None
    if not own and span.end < entry.offset and _copied(entry, span, path, seen):
        return Found(entry, "copy")
    if own:
        return _trimmed(entry, span, path)
    if entry.path == str(path):  # (a .gz: the file read, no longer as it was read)
        raise _refusal(entry, path)
    return None


def _refusal(entry: FileState, path: Path) -> IngestError:
    """The error for ``path``, which differs from what was read of ``entry`` while the file
    read no longer holds it, so that ``path`` may be that log, rewritten, then renamed or
    copied."""
    return IngestError(
        f"{path}: its first {entry.prefix_len:,} bytes are those of {entry.path}, read before to "
        f"byte {entry.offset:,}, but it differs from what was read of that file, which is no "
        "longer there as it was read to compare: it may be that log rewritten, then renamed or "
        "copied (its first lines read before), or another log that starts the same; nothing "
        "of it was added. If it is another log, ingest it into another dataset"
    )


class _Windows:
    """The bytes of one file before offsets asked for (:func:`read_before`, :data:`HEAD_BYTES`
    of them), each read once while :func:`find` compares it with the entries it matches: those
    read further than the file holds all ask for its last bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._spans: dict[tuple[int, int], Span] = {}
        self._end: int | None = None  #: the file's end (bytes, decompressed), once met

    def before(self, offset: int, start: int) -> Span:
        """The bytes before ``offset`` (or the file's end), none before ``start``."""
        if self._end is not None:
            offset = min(offset, self._end)
        if (offset, start) not in self._spans:
            span = read_before(self.path, offset, HEAD_BYTES, start)
            if span.end < offset:
                self._end = span.end
            self._spans[offset, start] = span
        return self._spans[offset, start]


def _holds(entry: FileState, windows: _Windows, span: Span | None = None) -> Found | None:
    """``"read"`` or ``"grown"`` when the file of ``windows`` holds what was read of ``entry``
    where it was read (``span``: its bytes before ``entry.offset``, read when not given), else
    ``None``."""
    if span is None:
        span = windows.before(entry.offset, entry.prefix_start)
    if span.end != entry.offset or not _same_tail(entry, span.data, windows.path):
        return None
    return Found(entry, "grown" if span.more else "read")


def _same_tail(entry: FileState, tail: bytes, path: Path) -> bool:
    """Whether ``tail``, the bytes of ``path`` before ``entry.offset`` (as many as
    ``entry.tail_sha256`` covers), are those read there. Without that digest (an entry written
    before 2026-11-29, or of a ``.gz`` read as such before 2026-11-30) they are compared with the
    file the entry was read from where it is still there, and taken as the same otherwise, as
    before."""
    if entry.tail_sha256 is not None:
        return prefix_digest(tail) == entry.tail_sha256
    if not still_there(entry, path):
        return True
    first = entry.offset - len(tail)
    return read_head(Path(entry.path), len(tail), first) == tail


def _copied(entry: FileState, span: Span, path: Path, seen: Seen) -> bool:
    """Whether ``path``, shorter than what was read of ``entry`` (``span``: its last bytes), is
    a first part of what was read: told by the line digests of the bytes before
    ``entry.offset`` when it ends among them (all its lines there shared), else by the file
    read, still there as read (its bytes compared first: most differ)."""
    if (tail := _tail_part(entry, span)) is not None:
        return _shares_all(tail[0], entry.tail_lines or "")
    try:
        first = span.end - len(span.data)
        same = read_head(Path(entry.path), len(span.data), first) == span.data
    except IngestError:  # (gone, or unreadable: not there as read)
        return False
    return same and seen.still_there(entry, path)


def _shares_all(part: bytes, digests: str) -> bool:
    """Whether all the whole lines of ``part`` are those of ``digests`` (:func:`shared_lines`),
    told first by the digest of the last of them: one hash of ``part`` rather than one per
    line, for the many files that differ there."""
    lines = part.count(b"\n")
    last = digests[(lines - 1) * LINE_DIGEST_CHARS : lines * LINE_DIGEST_CHARS]
    if _line_digest(part[: part.rfind(b"\n") + 1]) != last:
        return False
    return shared_lines(part, digests)[1] == lines


def _trimmed(entry: FileState, span: Span, path: Path) -> Found:
    """``path``, the file ``entry`` was read from, no longer holds what was read (``span``: its
    bytes before ``entry.offset``, or before its end): rewritten in place. Where it stops
    holding what was read is told by the line digests of the bytes before ``entry.offset``. A
    log shorter than what was read that ends before them is taken as trimmed, what it holds
    read before (as since 2026-11-29).

    Raises:
        IngestError: it holds what was read neither up to one of those lines nor to its end
            (rewritten further back and written on): where its new lines start is unknown.
    """
    told = _shared_tail(entry, span)
    if told is not None and told[1]:
        offset, shared = told
        lines = entry.lines - len(entry.tail_lines or "") // LINE_DIGEST_CHARS + shared
        return Found(entry, "rewritten", offset, lines)
    if span.end < entry.offset and told is None:
        end, lines = entry.prefix_start, 0
        for chunk in read_chunks(path, entry.prefix_start, keep_partial=False):
            end, lines = chunk.end_offset, lines + chunk.lines
        return Found(entry, "rewritten", end, lines)
    raise IngestError(
        f"{path}: the bytes before byte {entry.offset:,} (line {entry.lines_before + 1:,}), "
        "where the last run stopped reading it, have changed, its first bytes have not: it was "
        "rewritten in place (trimmed, or restored from a copy) and written on, and where its new "
        f"lines start is unknown (not in its first {HEAD_BYTES:,} bytes nor in the {HEAD_BYTES:,} "
        "before that point); nothing of it was added. To read it all again, give its content a "
        "new first line or ingest it into another dataset"
    )


def _shared_tail(entry: FileState, span: Span) -> tuple[int, int] | None:
    """Where the bytes of ``span`` stop being those read before ``entry.offset``, by the line
    digests kept of them (``entry.tail_lines``): ``(offset, lines)``, the end of the last line
    shared (bytes, decompressed) and how many of those lines are shared, ``(start of those
    bytes, 0)`` when not one whole line is. ``None`` when there are no such digests or ``span``
    holds no whole line among those bytes (:func:`_tail_part`)."""
    if (tail := _tail_part(entry, span)) is None:
        return None
    part, cut = tail
    window = span.end - len(part)
    size, lines = shared_lines(part, entry.tail_lines or "")
    return (window + size, lines) if lines > cut else (window, 0)


def _tail_part(entry: FileState, span: Span) -> tuple[bytes, int] | None:
    """The bytes of ``span`` among the :data:`HEAD_BYTES` before ``entry.offset``, whose line
    digests the entry keeps (``tail_lines``), and how many of their first lines do not count
    (``cut``): the first line there, cut by where they start, is no whole line (a line's last
    bytes, ``"curl/8.5"``, are common to many). ``None`` when there are no such digests or
    ``span`` holds no whole line among those bytes."""
    window = max(entry.prefix_start, entry.offset - HEAD_BYTES)
    if entry.tail_lines is None or span.end <= window:
        return None
    part = span.data[window - (span.end - len(span.data)) :]
    cut = int(window > entry.prefix_start)  # (a line starts there only by chance)
    if part.count(b"\n") <= cut:
        return None
    return part, cut


def _shared_head(state: list[FileState], head: Head, path: Path) -> Found | None:
    """The entry whose first lines (by their digests, :func:`_head_lines`) ``path`` starts
    with: for the plain file the entry was read from, the one it shares the most lines with (the
    log trimmed in place within its first :data:`HEAD_BYTES` bytes, then maybe written on,
    unless it is another file there: :func:`_replaced`);
    else one that fingerprinted more bytes than ``path`` holds and all of whose whole lines are
    its first ones: a first part of what was read, under another name (logrotate's ``copy`` of
    a small log, since grown; before 2026-11-30 read as new, its lines stored again). ``None``
    when neither is found."""
    first = line_digests(head.data[: head.data.find(b"\n") + 1])  # (its first line's)
    if not first:  # (no whole line: none shared)
        return None
    best: Found | None = None
    copy: Found | None = None
    whole = head.data.rfind(b"\n") + 1  # (bytes of its whole lines, when it holds no more)
    for entry in state:
        digests = _head_lines(entry)
        if digests is None or not digests.startswith(first) or entry.prefix_start != head.start:
            continue  # (most entries share no line: told apart without hashing)
        size, lines = shared_lines(head.data[: entry.prefix_len], digests)
        if not lines:
            continue
        if entry.path != str(path):
            if copy is None and size == whole and len(head.data) < entry.prefix_len:
                copy = Found(entry, "copy")
        elif path.suffix != ".gz" and (best is None or lines > best.lines):
            if _replaced(entry, path):  # (a new log at its path: not the one read, trimmed)
                continue
            best = Found(entry, "rewritten", head.start + size, lines)
    return best or copy


def _head_lines(entry: FileState) -> str | None:
    """The line digests of ``entry``'s first bytes: ``head_lines``, or for a file read no
    further than :data:`HEAD_BYTES` bytes, ``tail_lines``, which then cover the same bytes."""
    if entry.head_lines is not None or entry.offset - entry.prefix_start > HEAD_BYTES:
        return entry.head_lines
    return entry.tail_lines


def take_rewritten(found: Found, path: Path, head: Head) -> str:
    """Remember ``path``, rewritten in place (``found``), as read up to where it stops holding
    what was read: what it holds before that was read, what follows (written since) is read
    next. Returns the run's warning."""
    entry, size = found.entry, path.stat().st_size
    before = entry.offset
    entry.offset, entry.lines, entry.open_line = found.offset, found.lines, False
    locate(entry, path)
    fingerprint(entry, path, head)
    what = "trimmed in place, or restored from an older copy"
    if size <= found.offset:
        return (
            f"{path}: shorter ({size:,} bytes) than the {before:,} read of it before, its first "
            f"lines the same ({what}): its {found.lines:,} lines were read before; lines "
            "written to it from now on are read"
        )
    return (
        f"{path}: rewritten in place since it was read ({what}, then written on): its first "
        f"{found.lines:,} lines are lines read before, the lines after them are read"
    )


def fingerprint(entry: FileState, path: Path, head: Head, tail: Span | None = None) -> None:
    """Set ``entry``'s digests of ``path`` (its :class:`Head` ``head``) for what it says was read
    (to ``entry.offset``): its fingerprint (``prefix_sha256``), and those of the bytes before
    ``entry.offset`` and the line digests (:class:`FileState`), a ``.gz``'s too (until
    2026-11-30 it kept none: a log starting like it, found once it was gone, was taken for it).

    Args:
        tail: the bytes before ``entry.offset`` as they were just read (a ``.gz`` is then not
            decompressed again); read here when not given, or when they are fewer than the
            digests cover (:data:`HEAD_BYTES`, or all read from ``head.start``).
    """
    read = max(0, entry.offset - head.start)
    prefix = head.data[: min(read, HEAD_BYTES)]
    entry.prefix_start, entry.prefix_len, entry.prefix_sha256 = (
        head.start,
        len(prefix),
        prefix_digest(prefix),
    )
    entry.tail_sha256 = entry.head_lines = entry.tail_lines = None
    if tail is None or tail.end != entry.offset or len(tail.data) < min(read, HEAD_BYTES):
        tail = read_before(path, entry.offset, HEAD_BYTES, head.start)
    if tail.end < entry.offset:  # (shorter since it was read: known by its first bytes only)
        return
    entry.tail_sha256 = prefix_digest(tail.data)
    entry.tail_lines = line_digests(tail.data, whole=True)
    if read > HEAD_BYTES:  # (else the bytes before ``offset`` are the first ones: the same)
        entry.head_lines = line_digests(prefix)


def _line_ends(data: bytes, whole: bool) -> Iterator[int]:
    """Where each line of ``data`` ends (just past its ``\\n``), and its end when ``whole`` (all
    that was read, its last line unterminated) and it does not end a line."""
    start = 0
    while (end := data.find(b"\n", start) + 1) > 0:
        yield end
        start = end
    if whole and start < len(data):
        yield len(data)


def _running_digests(data: bytes, whole: bool) -> Iterator[tuple[int, str]]:
    """``(end, digest)`` for each line end of ``data`` (:func:`_line_ends`): the first
    :data:`LINE_DIGEST_CHARS` hex digits of the SHA-256 of ``data`` up to there."""
    digest, start = hashlib.sha256(), 0
    view = memoryview(data)
    for end in _line_ends(data, whole):
        digest.update(view[start:end])
        yield end, digest.copy().hexdigest()[:LINE_DIGEST_CHARS]
        start = end


def _line_digest(data: bytes) -> str:
    """The digest :func:`line_digests` gives at the end of ``data``."""
    return hashlib.sha256(data).hexdigest()[:LINE_DIGEST_CHARS]


def line_digests(data: bytes, whole: bool = False) -> str:
    """The digests of ``data`` up to each of its line ends, :data:`LINE_DIGEST_CHARS` hex digits
    each, one after the other: with them, the lines a file rewritten shares with ``data`` are
    found without ``data`` (:func:`shared_lines`). ``whole``: ``data`` is all that was read, so
    an unterminated last line ends there too."""
    return "".join(digest for _, digest in _running_digests(data, whole))


def shared_lines(data: bytes, digests: str) -> tuple[int, int]:
    """How many of the first lines of ``data`` are those whose :func:`line_digests` are
    ``digests``: ``(bytes, lines)`` of them."""
    size = lines = 0
    for end, digest in _running_digests(data, whole=False):
        if digests[lines * LINE_DIGEST_CHARS : (lines + 1) * LINE_DIGEST_CHARS] != digest:
            break
        size, lines = end, lines + 1
    return size, lines


def matches(state: list[FileState], head: Head, path: Path) -> list[FileState]:
    """The remembered files whose fingerprint matches ``head`` (of ``path``), the longest read
    first: same content start, same digest of the bytes from there.

    An entry written before content started past leading NULs (no ``prefix_start`` in the
    state file, so 0) fingerprinted a file from its first byte, NULs included, and is compared
    with the first bytes of ``path``. One that covered NULs only says nothing of the content:
    it is taken only for the file at its path, holding content before where it was read to and
    as much as was read (the same generation: a copytruncate'd one starts past it). Its rotated
    copies are read again (their lines stored twice) rather than risk taking another log for
    it: logs named ``10.0.0.1`` and ``10.0.0.2`` look like rotations of one. Reading the file
    on rewrites its entry the new way.

    ``head`` is hashed once per distinct prefix length (most entries cover :data:`HEAD_BYTES`),
    not once per entry: a folder of 1,000 known files would otherwise hash 4 KiB a million times
    per run.
    """
    digests: dict[tuple[bool, int], str | None] = {}
    found: list[FileState] = []
    for entry in state:
        size = entry.prefix_len
        from_zero = entry.prefix_start != head.start
        if size == 0 or (from_zero and entry.prefix_start != 0):
            continue
        if (from_zero, size) not in digests:
            digests[from_zero, size] = _head_digest(head, size, from_zero)
        if digests[from_zero, size] != entry.prefix_sha256:
            continue
        if from_zero and head.start >= size and not _same_generation(entry, head, path):
            continue
        found.append(entry)
    return sorted(found, key=lambda entry: -entry.offset)


def still_there(known: FileState, path: Path) -> bool:
    """Whether the file ``known`` was read from, other than ``path``, is still at its path as
    it was read: the same fingerprint and, where kept, the same bytes before where reading
    stopped (a log rotated away and another one, starting the same, written at its path is not
    it). A longer copy of it (``cat a.gz b.gz > c.gz`` beside ``a.gz``) then keeps its entry
    beside its own, and a file that differs from it is another log (:func:`find`)."""
    other = Path(known.path)
    if other == path or not other.is_file():
        return False
    try:
        head = read_content_head(other)
        if known not in matches([known], head, other):
            return False
        if known.tail_sha256 is None:
            return True
        tail = read_before(other, known.offset, HEAD_BYTES, known.prefix_start)
    except IngestError:
        return False
    return tail.end == known.offset and prefix_digest(tail.data) == known.tail_sha256


class Seen:
    """What one ingest run found of the files state entries were read from: whether each is
    still at its path as it was read (:func:`still_there`), looked at once per entry (as it
    is: a new entry, or one read on, is looked at again) and file (as it is: its inode, size
    and modification time, one ``stat`` each time), not once per file compared with it: a run
    over N new logs starting alike looked at each earlier one's file for each, N² reads (until
    2026-11-30). A file renamed, deleted or written to during the run is looked at again (an
    answer kept from before it changed took a log rewritten, then renamed during the run, for
    another log: its lines read before stored twice)."""

    def __init__(self) -> None:
        self._there: dict[tuple[object, ...], bool] = {}

    def still_there(self, known: FileState, path: Path) -> bool:
        """:func:`still_there`, for ``known`` and its file as they are now."""
        if Path(known.path) == path:
            return False
        try:
            stat = os.stat(known.path)
        except OSError:  # (gone)
            return False
        key = (
            known.path, known.prefix_start, known.prefix_len, known.prefix_sha256,
            known.offset, known.tail_sha256,
            stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns,
        )  # fmt: skip
        if key not in self._there:
            self._there[key] = still_there(known, path)
        return self._there[key]


def locate(entry: FileState, path: Path, stat: os.stat_result | None = None) -> None:
    """Remember that the file ``entry`` describes is ``path`` now (its ``stat``, taken here
    when not given): its path, device and inode."""
    entry.moved = False
    try:
        stat = stat or path.stat()
    except OSError:  # (gone since: known by its path alone)
        entry.path, entry.device, entry.inode = str(path), None, None
        return
    entry.path, entry.device, entry.inode = str(path), stat.st_dev, stat.st_ino


def claim_path(state: list[FileState], entry: FileState) -> None:
    """Remember that the file at ``entry``'s path is the one it describes (as :func:`locate`
    just said): the other entries of that path whose inode, on the same device, is another are
    of a file renamed away from it (``moved``), whatever inode the file found there later has."""
    for other in state:
        if (
            other.path == entry.path
            and other.inode is not None
            and other.device == entry.device
            and other.inode != entry.inode
        ):
            other.moved = True


def _replaced(entry: FileState, path: Path) -> bool:
    """Whether ``path``, at ``entry``'s path, is another file than the one read there: another
    inode on the same device, or any file once another one was found there (``moved``). Such is
    the new log that logrotate's ``create`` (and any rename rotation) puts at the path of the
    one read, renamed away. Not told (``False``) for an entry without an inode (written before
    2026-11-30), or of another device (a file system mounted again may be numbered anew); the
    same inode tells nothing either (numbers are reused once a file is deleted): the digests
    then decide, as before."""
    if entry.moved:
        return True
    if entry.inode is None:
        return False
    try:
        stat = path.stat()
    except OSError:
        return False
    return stat.st_dev == entry.device and stat.st_ino != entry.inode


def _same_generation(entry: FileState, head: Head, path: Path) -> bool:
    """Whether an entry that fingerprinted NULs only may describe ``path`` as it is now."""
    if entry.path != str(path) or head.start >= entry.offset:
        return False
    return path.suffix == ".gz" or path.stat().st_size >= entry.offset


def _head_digest(head: Head, size: int, from_zero: bool) -> str | None:
    """The digest of ``size`` bytes of ``head``'s file from its content start, or with
    ``from_zero`` from its first byte (its leading NULs, then its content); ``None`` when the
    file is shorter."""
    if not from_zero:
        return prefix_digest(head.data[:size]) if len(head.data) >= size else None
    if head.start >= size:
        return _nul_digest(size)
    data = bytes(head.start) + head.data[: size - head.start]
    return prefix_digest(data) if len(data) == size else None


@lru_cache(maxsize=64)
def _nul_digest(size: int) -> str:
    """The digest of ``size`` NUL bytes (the fingerprint an entry written before gave a file
    starting with a hole that long)."""
    return prefix_digest(bytes(size))
