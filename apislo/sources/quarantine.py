"""The quarantine: the lines of ingested logs that are not requests, kept beside the dataset.

``<dataset>.quarantine.jsonl`` holds one JSON object per rejected line (``file``, ``line_no``,
``reason``, ``line``), credentials in the line redacted. While a file is read, each chunk's rejects
go to a spool in the run's staging folder as soon as the chunk is parsed (:class:`RejectSpool`),
so memory does not grow with their number; the spool is appended to the quarantine when the
file is committed, and removed with the staging folder when the file is refused.

An append is whole or nothing: one that fails (disk full) is truncated back. A record cut short
by a run killed while appending is dropped by the next append: the file it came from was not
committed, so it is read again, its rejects with it.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import polars as pl

from apislo.errors import ConfigError
from apislo.sources.files import writing
from apislo.sources.logs.fields import scrub_line_secrets

__all__ = ["RejectSpool", "dataset_root", "quarantine_path"]

#: Bytes read at a time, copying a spool or looking back for the end of the last whole record.
_BLOCK = 1 << 20


def quarantine_path(dataset: str | Path) -> Path:
    """Where :func:`~apislo.sources.ingest.ingest` appends rejected lines for ``dataset``:
    ``DATASET.quarantine.jsonl`` beside its folder, whichever way it is spelled (``.``, ``..``,
    ``events/``).

    Raises:
        ConfigError: ``dataset`` is the file system's root, which has nothing beside it.
    """
    root = dataset_root(dataset)
    if not root.name:
        raise ConfigError(
            f"{dataset}: a dataset cannot be the file system's root, as its quarantine is "
            "written beside its folder; pass a folder"
        )
    return root.with_name(root.name + ".quarantine.jsonl")


def dataset_root(dataset: str | Path) -> Path:
    """``dataset``'s folder under a path whose last part is its name: ``.`` and ``..``
    (``logs/..`` too) are resolved, other spellings kept as given (``Path`` drops a trailing
    slash)."""
    root = Path(dataset)
    return root.resolve() if root.name in ("", "..") else root


class RejectSpool:
    """The rejects of one file being read, spooled chunk by chunk and counted by reason.

    Attributes:
        path: the spool (NDJSON, in the run's staging folder; made by the first reject).
        reasons: reason -> rejects spooled.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reasons: Counter[str] = Counter()
        self._appended: tuple[Path, int] | None = None  # (quarantine, its size before)

    @property
    def rejected(self) -> int:
        """Rejects spooled."""
        return self.reasons.total()

    def add(self, rejects: pl.DataFrame) -> None:
        """Spool a chunk's rejects (``file``, ``line_no``, ``reason``, ``line``), credentials in
        the lines redacted: anyone can make a line be rejected, and the quarantine is read and
        shared like the dataset.

        Raises:
            DatasetWriteError: the spool cannot be written.
        """
        if not rejects.height:
            return
        self.reasons.update(dict(rejects.group_by("reason", maintain_order=True).len().iter_rows()))
        frame = rejects.select(
            "file", "line_no", "reason", scrub_line_secrets(pl.col("line")).alias("line")
        )
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                frame.write_ndjson(handle)

    def append_to(self, quarantine: Path) -> None:
        """Append the spooled rejects to ``quarantine`` (nothing when there are none), after
        dropping a record a killed run left cut short at its end.

        Raises:
            DatasetWriteError: ``quarantine`` cannot be written; it was truncated back to its
                whole records.
        """
        if not self.reasons:
            return
        with writing(quarantine):
            fd = os.open(quarantine, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                size = _whole_records_end(fd)
                os.ftruncate(fd, size)
                try:
                    _copy(self.path, fd)
                except OSError:
                    os.ftruncate(fd, size)
                    raise
            finally:
                os.close(fd)
        self._appended = quarantine, size

    def take_back(self) -> None:
        """Truncate the quarantine back to its size before :meth:`append_to` (when the file's
        commit could not start, so that it is read again).

        Raises:
            DatasetWriteError: the quarantine cannot be truncated.
        """
        if self._appended is None:
            return
        quarantine, size = self._appended
        with writing(quarantine):
            os.truncate(quarantine, size)
        self._appended = None


def _whole_records_end(fd: int) -> int:
    """Where the last whole record (line) of the open file ``fd`` ends, in bytes: its size,
    unless its last line has no newline (an append cut short)."""
    end = os.fstat(fd).st_size
    if not end or os.pread(fd, 1, end - 1) == b"\n":
        return end
    while end:
        start = max(0, end - _BLOCK)
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        end = start
    return 0


def _copy(source: Path, fd: int) -> None:
    """Write the bytes of ``source`` to ``fd``, short writes continued."""
    with open(source, "rb") as handle:
        while block := handle.read(_BLOCK):
            view = memoryview(block)
            while view:
                view = view[os.write(fd, view) :]
