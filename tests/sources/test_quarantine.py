"""The quarantine's spool of a file's rejects (chunk by chunk, counted by reason) and its appends:
whole, credentials redacted, or not at all; taken back when the file's commit cannot start."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import polars as pl
import pytest

from apislo.errors import DatasetWriteError
from apislo.sources.logs.base import REJECT_SCHEMA
from apislo.sources.quarantine import RejectSpool
from tests.sources.test_ingest_write_failures import _files_limited_to


def _rejects(path: str, count: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line_no": list(range(1, count + 1)),
            "reason": ["not_a_request"] * count,
            "line": [f"line {n} ?apikey=SECRET" for n in range(1, count + 1)],
            "file": [path] * count,
        },
        schema={**REJECT_SCHEMA, "file": pl.String},
    )


def test_a_failed_append_leaves_the_quarantine_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up after half of the 10 records was written (a short write, then
    ENOSPC): the quarantine is truncated back to its one record, and the error names it."""
    quarantine = tmp_path / "events.quarantine.jsonl"
    quarantine.write_text('{"file":"a.log","line_no":1,"reason":"truncated","line":"x"}\n')
    before = quarantine.read_bytes()
    spool = RejectSpool(tmp_path / "staging" / "rejects.jsonl")
    spool.add(_rejects("b.log", 4))
    spool.add(_rejects("b.log", 6))
    assert (spool.rejected, dict(spool.reasons)) == (10, {"not_a_request": 10})
    real_write = os.write

    def filling(fd: int, data: bytes) -> int:
        if os.fstat(fd).st_size > len(before):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, memoryview(data)[: len(data) // 2])

    monkeypatch.setattr(os, "write", filling)
    with pytest.raises(DatasetWriteError) as caught:
        spool.append_to(quarantine)
    assert str(caught.value) == f"cannot write {quarantine}: No space left on device"
    assert (caught.value.path, caught.value.reason.errno) == (quarantine, errno.ENOSPC)
    assert quarantine.read_bytes() == before


def test_an_append_is_whole_redacted_and_can_be_taken_back(tmp_path: Path) -> None:
    """3 records appended whole, in order, credentials redacted; taken back (the file's commit
    could not start), the quarantine is as it was. A spool with no reject appends nothing."""
    quarantine = tmp_path / "events.quarantine.jsonl"
    RejectSpool(tmp_path / "none.jsonl").append_to(quarantine)
    assert not quarantine.exists()
    quarantine.write_text('{"file":"a.log","line_no":1,"reason":"truncated","line":"x"}\n')
    before = quarantine.read_bytes()
    spool = RejectSpool(tmp_path / "staging" / "rejects.jsonl")
    spool.add(_rejects("b.log", 3))
    spool.append_to(quarantine)
    rows = [json.loads(x) for x in quarantine.read_text().splitlines()]
    assert [(r["file"], r["line_no"]) for r in rows] == [("a.log", 1)] + [
        ("b.log", n) for n in (1, 2, 3)
    ]
    assert "SECRET" not in quarantine.read_text()
    spool.take_back()
    assert quarantine.read_bytes() == before


def test_a_spool_that_cannot_be_written_is_an_error_with_its_errno(tmp_path: Path) -> None:
    """polars raises a write's OSError without its errno (``File too large (os error 27)``):
    the error names the spool and the operating system's reason."""
    spool = RejectSpool(tmp_path / "staging" / "rejects.jsonl")
    with _files_limited_to(100), pytest.raises(DatasetWriteError) as caught:
        spool.add(_rejects("b.log", 10))
    assert str(caught.value) == f"cannot write {spool.path}: File too large"
    assert caught.value.reason.errno == errno.EFBIG
