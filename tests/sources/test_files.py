"""Path expansion, rotation order, gzip and chunked reading."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from apislo.errors import IngestError
from apislo.sources.files import expand_paths, read_chunks


def test_rotated_logs_come_oldest_first(tmp_path: Path) -> None:
    names = ["access.log", "access.log.1", "access.log.2.gz", "access.log.10.gz", "error.log"]
    for name in names:
        (tmp_path / name).write_bytes(b"x\n")
    (tmp_path / ".hidden").write_bytes(b"x\n")
    got = [p.name for p in expand_paths([tmp_path])]
    assert got == ["access.log.10.gz", "access.log.2.gz", "access.log.1", "access.log", "error.log"]
    assert [p.name for p in expand_paths([str(tmp_path / "access.log*")])][-1] == "access.log"


def test_missing_paths_say_so(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        expand_paths([tmp_path / "nope.log"])
    with pytest.raises(IngestError, match="matches no file"):
        expand_paths([str(tmp_path / "*.log")])


def test_chunks_end_on_line_boundaries_and_keep_counts(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nthree\nfour")  # 18 bytes, last line unterminated
    chunks = list(read_chunks(path, chunk_bytes=5))
    assert [c.data for c in chunks] == [b"one\n", b"two\n", b"three\n", b"four\n"]
    assert [c.end_offset for c in chunks] == [4, 8, 14, 18]
    held = list(read_chunks(path, chunk_bytes=5, keep_partial=False))
    assert [c.data for c in held] == [b"one\n", b"two\n", b"three\n"]
    resumed = list(read_chunks(path, start_offset=8))
    assert b"".join(c.data for c in resumed) == b"three\nfour\n"
    assert sum(c.lines for c in resumed) == 2


def test_gzip_is_read_decompressed_and_resumable(tmp_path: Path) -> None:
    path = tmp_path / "a.log.1.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"alpha\nbeta\ngamma\n")
    assert b"".join(c.data for c in read_chunks(path)) == b"alpha\nbeta\ngamma\n"
    assert [c.data for c in read_chunks(path, start_offset=6)] == [b"beta\ngamma\n"]
