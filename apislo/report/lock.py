"""``flock`` locks on files: taken without blocking, freed when the holder dies (SIGKILL too).

The scheduler locks each job (:func:`apislo.schedule.lock.job_lock`); each report run, and each
write of the index, locks its working folder (:func:`apislo.report.atomic.work_folder`), so that
another never removes it while it runs.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apislo.locks import try_flock
from apislo.report.atomic import writing

__all__ = ["file_lock", "is_locked"]


@contextmanager
def file_lock(path: str | Path) -> Iterator[bool]:
    """Try to take the lock of file ``path`` (created if missing; this process's id written in
    it when taken); yields whether it was taken (never blocks).

    Raises:
        ReportWriteError: ``path`` cannot be written (disk full, no permission).
        LockUnsupportedError: the file system of ``path`` keeps no locks.
    """
    path = Path(path)
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not try_flock(fd, path):
            yield False
            return
        with writing(path):
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(path: str | Path) -> bool:
    """Whether a process holds the lock of file ``path`` (:func:`file_lock`); ``False`` when
    there is no such file. Opened without blocking: a named pipe put in its place would
    otherwise wait for a writer forever.

    Raises:
        OSError: ``path`` exists but cannot be opened (no permission).
        LockUnsupportedError: its file system keeps no locks (whether a process is alive
            cannot be told so).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    try:
        # (a shared lock is refused while another process holds the exclusive one)
        return not try_flock(fd, path, fcntl.LOCK_SH)
    finally:
        os.close(fd)  # (frees the shared lock, if taken)
