"""``flock`` locks on files, freed when the holder dies (SIGKILL too).

Taken without blocking: the scheduler locks each job (:func:`apislo.schedule.lock.job_lock`);
each report run, and each write of the index, locks its working folder
(:func:`apislo.report.atomic.work_folder`), so that another never removes it while it runs.
Waited for: each publication in a folder (:func:`publish_lock`), around its renames.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from apislo.errors import LockUnsupportedError, ReportWriteError
from apislo.locks import open_lock_file, open_locked, try_flock
from apislo.report.atomic import writing

__all__ = ["PUBLISH_LOCK", "file_lock", "is_locked", "publish_lock"]

#: The lock file of a folder's publications, there only while one holds it.
PUBLISH_LOCK = ".publish.lock"


@contextmanager
def file_lock(path: str | Path) -> Iterator[bool]:
    """Try to take the lock of file ``path`` (created if missing; this process's id written in
    it when taken, where it can be written); yields whether it was taken (never blocks). One
    another user left (mode ``0o644``: a job's lock, from a run as that user) is locked
    read-only, its id left as it was (:func:`~apislo.locks.open_lock_file`; until 2026-11-30
    it failed the job with "Permission denied", held by nobody).

    Raises:
        ReportWriteError: ``path`` cannot be written (disk full), or cannot be opened or,
            read-only, locked (:func:`_opening`: naming its folder when none can be made there).
        LockUnsupportedError: the file system of ``path`` keeps no locks.
    """
    path = Path(path)
    with _opening(path):
        fd = open_lock_file(path)
    try:
        with _opening(path):  # (read-only, it cannot be locked on NFS)
            taken = try_flock(fd, path)
        if not taken:
            yield False
            return
        if _is_writable(fd):
            with writing(path):
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _opening(path: Path) -> Iterator[None]:
    """Raise an :class:`OSError` from the block, which opens or locks the lock file ``path``, as
    a :class:`ReportWriteError` naming ``path`` when it is there (it cannot even be read:
    another user's, mode ``0o600``; or, read-only, it cannot be locked on NFS: remove it), else
    its folder (none can be made there: no permission, no such folder)."""
    try:
        yield
    except OSError as exc:
        raise ReportWriteError(path if os.path.lexists(path) else path.parent, exc) from exc


def _is_writable(fd: int) -> bool:
    """Whether the open file ``fd`` was opened for writing (not read-only)."""
    return fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDONLY


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


@contextmanager
def publish_lock(folder: str | Path) -> Iterator[None]:
    """Hold the publication lock of ``folder`` (:data:`PUBLISH_LOCK`) while the block runs,
    waiting while another process publishes there (its renames take milliseconds), so that the
    files two processes publish together (a report and its notebook) are never mixed: each
    set is renamed whole, the last one's stays. The lock file is removed on the way out, the
    lock still held (:func:`~apislo.locks.open_locked`: a process waiting on it then opens the
    path again); a process killed holding it leaves it, to the next one. Where the file system
    keeps no locks, the block runs without one (as a report run does without its ``run.lock``).
    A lock file another user left (mode ``0o644``) is locked read-only (until 2026-11-30 it
    stopped the publication with "Permission denied").

    Raises:
        ReportWriteError: naming ``folder`` when the lock file cannot be made there (no
            permission), or naming the lock file when it is there but cannot even be read
            (another user's, mode ``0o600``: remove it).
    """
    path = Path(folder) / PUBLISH_LOCK
    try:
        with _opening(path):
            fd: int | None = open_locked(path)
    except LockUnsupportedError:
        fd = None
    try:
        yield
    finally:
        with suppress(OSError):  # (it stays, to the next one: harmless)
            path.unlink()
        if fd is not None:
            os.close(fd)
