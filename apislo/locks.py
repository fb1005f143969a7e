"""``flock`` without blocking: the one place that tells a lock another process holds from a file
system that keeps no locks (NFS without its lock daemon, some FUSE and SMB mounts).

Ingest locks its dataset (:mod:`apislo.sources.ingest`), the scheduler each job and each report
run its working folder (:mod:`apislo.report.lock`).
"""

from __future__ import annotations

import errno
import fcntl
import os

from apislo.errors import LockUnsupportedError

__all__ = ["try_flock"]

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
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in _NO_LOCKS:
            raise LockUnsupportedError(path, exc) from None
        raise
    return True
