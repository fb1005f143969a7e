"""A per-job lock so two runs of one job never overlap (``flock``: freed if the holder dies)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apislo.report.atomic import writing
from apislo.report.lock import file_lock

__all__ = ["job_lock"]


@contextmanager
def job_lock(lock_dir: str | Path, name: str) -> Iterator[bool]:
    """Try to take the lock of job ``name``; yields whether it was taken (never blocks). A lock
    file another user left (mode ``0o644``) is locked read-only (:func:`file_lock`).

    Args:
        lock_dir: directory of lock files (created if missing).
        name: job name.

    Raises:
        ReportWriteError: the lock file cannot be written (disk full), or cannot be made
            (naming ``lock_dir``, which may be what cannot be made: no permission), or cannot
            even be read (naming it: another user's, mode ``0o600``).
        LockUnsupportedError: its file system keeps no locks (NFS without its lock daemon).
    """
    path = Path(lock_dir) / f"{name}.lock"
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path) as taken:
        yield taken
