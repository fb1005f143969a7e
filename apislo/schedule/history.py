"""The run history: one JSON object per line in ``reports/history.jsonl``, appended under a lock."""

from __future__ import annotations

import errno
import fcntl
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from apislo.report.atomic import writing

__all__ = ["HISTORY_FILE", "RunRecord", "append_record", "read_history"]

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class RunRecord:
    """One run of a job.

    Attributes:
        job: job name.
        scheduled_for: the cron slot this run is for (ISO 8601, job's zone); ``""`` for a
            demo run and for the record of an invalid job file (neither takes a slot).
        start: run start (ISO 8601 UTC).
        end: run end (ISO 8601 UTC).
        status: ``ok``, ``failed`` or ``skipped`` (another run held the lock).
        output: HTML report path relative to the reports directory (``""`` if none).
        error: the error message of a failed or skipped run.
        run_id: the report run id.
        attempts: attempts made (1 + retries used).
        window: ``[start, end]`` of the data period (ISO 8601 UTC), or ``None``.
        demo: a run over a window of its own (``apislo demo``'s simulated week), not its
            period before a slot: it takes no slot, so ``run-due`` still runs the job's due
            slot, and the index never shows it as the job's last run (its report may be the
            latest good one, marked as a demo run).
    """

    job: str
    scheduled_for: str
    start: str
    end: str
    status: str
    output: str = ""
    error: str = ""
    run_id: str = ""
    attempts: int = 1
    window: list[str] | None = None
    demo: bool = False


def append_record(reports_dir: str | Path, record: RunRecord) -> None:
    """Append ``record`` to the history of ``reports_dir`` (one write, under an exclusive flock;
    a line torn by a writer that died is closed first, so it costs only itself).

    Raises:
        ReportWriteError: the history cannot be written (disk full, no permission); a line
            written in part is taken back.
    """
    path = Path(reports_dir) / HISTORY_FILE
    line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode()
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        _append_line(path, line)


def _append_line(path: Path, line: bytes) -> None:
    """Append ``line`` to ``path`` whole, or not at all (a short write is truncated away)."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a writer died mid-line: start a fresh one
        if os.write(fd, line) < len(line):  # the disk filled up mid-line
            os.ftruncate(fd, size)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_history(reports_dir: str | Path) -> list[RunRecord]:
    """Every record, oldest first; a torn or foreign line is skipped rather than failing all,
    and so is one whose fields are not of their types (a hand-written ``"error": null`` made
    the index, and with it every ``run-due``, fail until 2026-11-29)."""
    path = Path(reports_dir) / HISTORY_FILE
    if not path.is_file():
        return []
    names = {f.name for f in fields(RunRecord)}
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            raw = json.loads(line)
            values = {k: v for k, v in raw.items() if k in names}
            if all(_of_its_type(k, v) for k, v in values.items()):
                records.append(RunRecord(**values))
        except (ValueError, TypeError, AttributeError):
            continue
    return records


def _of_its_type(name: str, value: object) -> bool:
    """Whether ``value`` is of the type of :class:`RunRecord`'s field ``name``."""
    if name == "attempts":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "demo":
        return isinstance(value, bool)
    if name == "window":
        return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, str)
