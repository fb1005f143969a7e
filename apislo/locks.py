"""``flock``: the one place that tells a lock another process holds from a file system that keeps
no locks (NFS without its lock daemon, some FUSE and SMB mounts).

Ingest locks its dataset (:mod:`apislo.sources.ingest`), the scheduler each job and each report
run its working folder (:mod:`apislo.report.lock`), without waiting; a publication waits for
its folder's other publications (:func:`apislo.report.lock.publish_lock`), and a history write
for the other writers of ``history.jsonl`` (:mod:`apislo.schedule.history`).
"""

from __future__ import annotations

import errno
import fcntl
import os
from contextlib import suppress

from apislo.errors import LockUnsupportedError

__all__ = ["open_lock_file", "open_locked", "try_flock"]

#: What ``flock`` fails with where the file system keeps no locks.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP})
#: Why a lock file opened read-only (another user's: :func:`open_lock_file`) cannot be locked
#: where ``flock`` takes an exclusive lock only on a file open for writing (NFS, which fails with
#: ``EBADF``; until 2026-11-30 such a file was opened for writing only: "Permission denied").
_READ_ONLY_LOCK = (
    "Permission denied (it cannot be opened for writing, and its file system, as NFS, locks "
    "only files open for writing: remove it)"
)


def try_flock(fd: int, path: str | os.PathLike[str], operation: int = fcntl.LOCK_EX) -> bool:
    """Take the lock ``operation`` (``fcntl.LOCK_EX`` or ``LOCK_SH``) on the open file ``fd``
    without waiting; whether it was taken (``False``: another process holds a lock in the way).

    Args:
        fd: the open lock file.
        path: its path, for the error.
        operation: the kind of lock.

    Raises:
        LockUnsupportedError: the file system of ``path`` keeps no locks.
        PermissionError: ``fd`` is open read-only where only a file open for writing takes an
            exclusive lock (NFS).
    """
    try:
        _flock(fd, path, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def open_lock_file(path: str | os.PathLike[str]) -> int:
    """Open the lock file ``path`` to be locked: for writing, created if missing (mode
    ``0o644``); read-only when it is there but cannot be written, as another user's (mode
    ``0o644``, left by an earlier run as that user): ``flock`` needs only an open file, so
    such a file locks as well as one's own (until 2026-11-30 it was opened for writing only,
    and stopped every publication in its folder with "Permission denied"). A file its holder
    removes meanwhile (after it could not be written, before it is read) is made anew, only
    where none is there by then (``O_EXCL``): so "Permission denied" means that its folder
    cannot be written. Read-only, it is opened without blocking: a named pipe in its place
    would otherwise wait for a writer forever.

    Raises:
        PermissionError: none is there and its folder cannot be written, or it cannot even be
            read, or it is a link to where none can be made.
    """
    while True:
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            if os.path.islink(path) and not os.path.exists(path):
                raise  # (a link to where no file can be made, which O_EXCL would never make)
        with suppress(FileNotFoundError):  # (removed by its holder, or its folder unwritable)
            return os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with suppress(FileExistsError):  # (another made one meanwhile: open that)
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)


def open_locked(path: str | os.PathLike[str], flags: int | None = None) -> int:
    """Open ``path`` with ``flags`` (mode ``0o644`` when created; default: as a lock file, for
    writing or else read-only, :func:`open_lock_file`) and take its exclusive lock, waiting
    while another process holds it; the open file, locked (closing it frees the lock).

    The file at ``path`` may be removed or replaced by the holder before it lets go (a lock file
    removed after use, a history rewritten by a rename): a lock taken on a file that is no longer
    at ``path`` is let go and ``path`` opened again, so that no two processes ever hold locks on
    two files of one path.

    Raises:
        OSError: ``path`` cannot be opened (no permission, no such folder), or locked open
            read-only where only a file open for writing takes an exclusive lock (NFS).
        LockUnsupportedError: the file system of ``path`` keeps no locks.
    """
    while True:
        fd = open_lock_file(path) if flags is None else os.open(path, flags, 0o644)
        try:
            _flock(fd, path, fcntl.LOCK_EX)
            if _is_at(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _is_at(fd: int, path: str | os.PathLike[str]) -> bool:
    """Whether the open file ``fd`` is the file at ``path`` (not one removed or replaced)."""
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (at_path.st_dev, at_path.st_ino) == (own.st_dev, own.st_ino)


def _flock(fd: int, path: str | os.PathLike[str], operation: int) -> None:
    """``flock(fd, operation)``; a file system that keeps no locks is a
    :class:`LockUnsupportedError` naming ``path``.

    Raises:
        BlockingIOError: ``operation`` has ``LOCK_NB`` and another process holds a lock.
        LockUnsupportedError: the file system of ``path`` keeps no locks.
        PermissionError: ``fd`` is open read-only and the file system of ``path`` takes an
            exclusive lock only on a file open for writing (:data:`_READ_ONLY_LOCK`).
    """
    try:
        fcntl.flock(fd, operation)
    except OSError as exc:
        if exc.errno in _NO_LOCKS:
            raise LockUnsupportedError(path, exc) from None
        if exc.errno == errno.EBADF:  # (``fd`` is open: a read-only file NFS will not lock)
            raise PermissionError(errno.EACCES, _READ_ONLY_LOCK, os.fspath(path)) from exc
        raise
