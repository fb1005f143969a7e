"""The run history: one JSON object per line in ``reports/history.jsonl``, appended under a lock.

The lock is ``flock`` on the file itself, held by each writer: :func:`append_record`, and
:func:`drop_records`, which rewrites the file without some lines (the runs no reader needs any
more: :mod:`apislo.schedule.retention`) and renames the new file into place, so a reader sees
the old file or the new one, whole; a writer that waited on the old file writes to the new one.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Collection
from contextlib import suppress
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from apislo.errors import LockUnsupportedError
from apislo.locks import open_locked
from apislo.report.atomic import writing

__all__ = ["HISTORY_FILE", "RunRecord", "append_record", "drop_records", "read_history"]

HISTORY_FILE = "history.jsonl"
#: Where :func:`drop_records` writes the new history before renaming it into place.
_REWRITE = f".{HISTORY_FILE}.new"


@dataclass(frozen=True)
class RunRecord:
    """One run of a job.

    Attributes:
        job: job name.
        scheduled_for: the cron slot this run is for (ISO 8601, job's zone); ``""`` for a
            demo run and for the record of an invalid job file (neither takes a slot).
        start: run start (ISO 8601 UTC).
        end: run end (ISO 8601 UTC).
        status: ``ok``, ``failed`` or ``skipped`` (another run held the lock).
        output: HTML report path relative to the reports directory (``""`` if none).
        error: the error message of a failed or skipped run.
        run_id: the report run id.
        attempts: attempts made (1 + retries used).
        window: ``[start, end]`` of the data period (ISO 8601 UTC), or ``None``.
        demo: a run over a window of its own (``apislo demo``'s simulated week), not its
            period before a slot: it takes no slot, so ``run-due`` still runs the job's due
            slot, and the index never shows it as the job's last run (its report may be the
            latest good one, marked as a demo run).
    """

    job: str
    scheduled_for: str
    start: str
    end: str
    status: str
    output: str = ""
    error: str = ""
    run_id: str = ""
    attempts: int = 1
    window: list[str] | None = None
    demo: bool = False


_FIELDS = frozenset(f.name for f in fields(RunRecord))


def append_record(reports_dir: str | Path, record: RunRecord) -> None:
    """Append ``record`` to the history of ``reports_dir`` (one write, under an exclusive flock;
    a line torn by a writer that died is closed first, so it costs only itself).

    Raises:
        ReportWriteError: the history cannot be written (disk full, no permission); a line
            written in part is taken back.
    """
    path = Path(reports_dir) / HISTORY_FILE
    line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode()
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        _append_line(path, line)


def _append_line(path: Path, line: bytes) -> None:
    """Append ``line`` to ``path`` whole, or not at all (a short write is truncated away)."""
    fd = _open_locked(path)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a writer died mid-line: start a fresh one
        if os.write(fd, line) < len(line):  # the disk filled up mid-line
            os.ftruncate(fd, size)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_locked(path: Path) -> int:
    """``path`` open for appending, its lock held (:func:`~apislo.locks.open_locked`: the file
    at ``path`` then, not one a rewrite replaced while this waited).

    Raises:
        OSError: it cannot be opened, or locked (``ENOLCK``: its file system keeps no locks).
    """
    try:
        return open_locked(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    except LockUnsupportedError as exc:  # (said as the history's write error, as always)
        raise exc.reason from None


def drop_records(
    reports_dir: str | Path, pick: Callable[[list[RunRecord | None]], Collection[int]]
) -> int:
    """Rewrite the history of ``reports_dir`` without the lines ``pick`` chooses, under the
    history's lock: a new file renamed into place, with the mode, owner and group of the old
    one (owner and group as far as this process may give them), and in its place: a history
    that is a symbolic link is rewritten where it points, the link kept.

    Args:
        reports_dir: the reports directory.
        pick: given every line of the history read under the lock, oldest first, as
            :func:`read_history` reads it (``None``: a line it skips), the indices of the
            lines to drop.

    Returns:
        How many lines were dropped (none: the file is left as it was).

    Raises:
        ReportWriteError: the history cannot be rewritten; it is left as it was.
    """
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return 0
    with writing(path):
        path = Path(os.path.realpath(path))  # (renamed over, a link would become a file)
        fd = _open_locked(path)
        try:
            with open(fd, "rb", closefd=False) as file:
                lines = file.read().split(b"\n")  # (the last: b"", or a line cut short)
            drop = set(pick([_parse(line) for line in lines]))
            if drop:
                kept = b"\n".join(line for i, line in enumerate(lines) if i not in drop)
                _replace(path, kept, os.fstat(fd))
        finally:
            os.close(fd)
    return len(drop)


def _replace(path: Path, data: bytes, old: os.stat_result) -> None:
    """Write ``data`` to a new file beside ``path``, fsynced, with the mode, owner and group of
    ``old`` (the file at ``path``), and rename it over ``path`` (the caller holds the history's
    lock, so the new file's name is its own). A history that root rewrites (a ``sudo apislo
    schedule run``) stays its owner's, who could not append to a file of root's: each run of
    the service that owns it would go unrecorded, its slot run again at every ``run-due``."""
    new = path.with_name(_REWRITE)
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with suppress(PermissionError):  # (only root gives a file away; a group, its members)
            os.fchown(fd, old.st_uid, old.st_gid)
        os.fchmod(fd, stat.S_IMODE(old.st_mode))
        if os.write(fd, data) < len(data):  # the disk filled up
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(new, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        new.unlink(missing_ok=True)
        raise


def read_history(reports_dir: str | Path) -> list[RunRecord]:
    """Every record, oldest first; a torn or foreign line is skipped rather than failing all,
    and so is one whose fields are not of their types (a hand-written ``"error": null`` made
    the index, and with it every ``run-due``, fail until 2026-11-29). Lines end at ``\\n``
    only: until 2026-11-30 a record whose text held a line separator that JSON leaves as it is
    (U+2028, U+2029, U+0085: an error quoting a kernel's message) was split there, and
    skipped."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return []
    records = (_parse(line) for line in path.read_bytes().split(b"\n"))
    return [record for record in records if record is not None]


def _parse(line: bytes) -> RunRecord | None:
    """The record of one line of the history; ``None`` for a line that is empty, torn, not
    JSON, or not a record (fields not of their types)."""
    try:
        raw = json.loads(line.decode("utf-8", errors="replace"))
        values = {k: v for k, v in raw.items() if k in _FIELDS}
        if all(_of_its_type(k, v) for k, v in values.items()):
            return RunRecord(**values)
    except (ValueError, TypeError, AttributeError):
        pass
    return None


def _of_its_type(name: str, value: object) -> bool:
    """Whether ``value`` is of the type of :class:`RunRecord`'s field ``name``."""
    if name == "attempts":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "demo":
        return isinstance(value, bool)
    if name == "window":
        return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, str)
