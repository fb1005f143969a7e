"""Write files so that readers see the old versions or the new ones, never half of one.

A report and its notebook are published together: both are written under temporary names first,
then renamed, so a failed write (disk full, no permission) leaves the old pair as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from apislo.errors import ReportWriteError

__all__ = ["atomic_write_text", "atomic_write_texts", "writing"]


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Raise an :class:`OSError` from the block as a :class:`ReportWriteError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise ReportWriteError(path, exc) from exc


def atomic_write_texts(files: Mapping[str | os.PathLike[str], str]) -> list[Path]:
    """Write every text (UTF-8) to a temporary file beside its path, fsync it, then rename them
    all over their paths: no path is replaced unless every text was written.

    Args:
        files: path -> text.

    Returns:
        The paths written.

    Raises:
        ReportWriteError: a text could not be written; no path was replaced, and the temporary
            files are removed.
    """
    temps: list[tuple[Path, Path]] = []  # (temporary file, target)
    try:
        for path, text in files.items():
            with writing(path):
                temps.append((_write_temp(Path(path), text), Path(path)))
        for tmp, target in temps:
            with writing(target):
                os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)  # (only those not renamed are left)
    return [target for _, target in temps]


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` as :func:`atomic_write_texts` does.

    Raises:
        ReportWriteError: ``text`` could not be written; ``path`` was left as it was.
    """
    return atomic_write_texts({path: text})[0]


def _file_mode() -> int:
    """``0o644`` less the process's umask, as the history file gets it: a report is no more
    readable than a new file would be (``UMask=0077`` in a systemd unit: ``0o600``), where
    ``mkstemp`` alone would give ``0o600`` always."""
    return 0o644 & ~_umask()


def _umask() -> int:
    """The process's umask, read from ``/proc/self/status`` (Linux 4.7+) without setting it:
    setting it to read it (the fallback) gives every other thread ``0o022`` meanwhile, and two
    threads writing at once left the process at ``0o022`` for good."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    umask = os.umask(0o022)  # (reading the umask means setting it; put it back at once)
    os.umask(umask)
    return umask


def _write_temp(target: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to a new temporary file beside ``target``, fsynced; its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
