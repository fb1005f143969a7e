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

from apislo.errors import LockUnsupportedError

__all__ = ["open_locked", "try_flock"]

#: What ``flock`` fails with where the file system keeps no locks.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP})


def try_flock(fd: int, path: str | os.PathLike[str], operation: int = fcntl.LOCK_EX) -> bool:
    """Take the lock ``operation`` (``fcntl.LOCK_EX`` or ``LOCK_SH``) on the open file ``fd``
    without waiting; whether it was taken (``False``: another process holds a lock in the way).

    Args:
        fd: the open lock file.
        path: its path, for the error.
        operation: the kind of lock.

    Raises:
        LockUnsupportedError: the file system of ``path`` keeps no locks.
    """
    try:
        _flock(fd, path, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def open_locked(path: str | os.PathLike[str], flags: int = os.O_RDWR | os.O_CREAT) -> int:
    """Open ``path`` with ``flags`` (mode ``0o644`` when created) and take its exclusive lock,
    waiting while another process holds it; the open file, locked (closing it frees the lock).

    The file at ``path`` may be removed or replaced by the holder before it lets go (a lock file
    removed after use, a history rewritten by a rename): a lock taken on a file that is no longer
    at ``path`` is let go and ``path`` opened again, so that no two processes ever hold locks on
    two files of one path.

    Raises:
        OSError: ``path`` cannot be opened (no permission, no such folder).
        LockUnsupportedError: the file system of ``path`` keeps no locks.
    """
    while True:
        fd = os.open(path, flags, 0o644)
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
    """
    try:
        fcntl.flock(fd, operation)
    except OSError as exc:
        if exc.errno in _NO_LOCKS:
            raise LockUnsupportedError(path, exc) from None
        raise
