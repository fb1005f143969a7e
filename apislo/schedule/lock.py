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
    """Try to take the lock of job ``name``; yields whether it was taken (never blocks).

    Args:
        lock_dir: directory of lock files (created if missing).
        name: job name.

    Raises:
        ReportWriteError: the lock file cannot be written (disk full, no permission).
        LockUnsupportedError: its file system keeps no locks (NFS without its lock daemon).
    """
    path = Path(lock_dir) / f"{name}.lock"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path) as taken:
        yield taken
