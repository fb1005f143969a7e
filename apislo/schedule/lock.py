"""A per-job lock so two runs of one job never overlap (``flock``: freed if the holder dies)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apislo.report.atomic import writing

__all__ = ["job_lock"]


@contextmanager
def job_lock(lock_dir: str | Path, name: str) -> Iterator[bool]:
    """Try to take the lock of job ``name``; yields whether it was taken (never blocks).

    Args:
        lock_dir: directory of lock files (created if missing).
        name: job name.

    Raises:
        ReportWriteError: the lock file cannot be written (disk full, no permission).
    """
    path = Path(lock_dir) / f"{name}.lock"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
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
