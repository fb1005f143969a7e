"""A dataset that cannot be written (read-only, a file where a folder should be, the disk full
while a Parquet part, the quarantine or the commit's journal is written) ends the run with one
line, ``error: cannot write PATH: REASON``, and exit status 1: no traceback. The dataset stays
as it was (the file being read was only staged), and the quarantine never keeps part of a
record, which the next run's first reject used to join into one invalid line.

A full disk is simulated for any user: ``RLIMIT_FSIZE`` keeps any file from growing past a size,
so the kernel writes what fits and fails the rest of the write (``EFBIG``, "File too large"), as
a full disk does (``ENOSPC``); Python ignores the ``SIGXFSZ`` that comes with it. Where a write
of apislo's own must fail, it is patched to raise ``ENOSPC``."""

from __future__ import annotations

import errno
import json
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import apislo
from apislo.cli import main
from apislo.errors import DatasetWriteError
from apislo.sources.ingest import quarantine_path
from tests.sources.test_ingest import GOOD, _line, _write


def _noise(tag: str, count: int) -> list[str]:
    """``count`` lines that are not requests, 100 bytes each."""
    return [f"{tag} {i:04d} not a request ".ljust(99, ".") + "\n" for i in range(count)]


def _ingest(log: Path, dataset: Path) -> Result:
    """``apislo ingest LOG --out DATASET`` of NGINX combined lines, any share of them rejects."""
    args = ["--format", "nginx-combined", "--max-reject-rate", "1", "-q"]
    return CliRunner().invoke(main, ["ingest", str(log), "--out", str(dataset), *args])


@contextmanager
def _files_limited_to(size: int) -> Iterator[None]:
    """No file may grow past ``size`` bytes meanwhile (a write past it fails with EFBIG)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard != resource.RLIM_INFINITY and hard < size:
        pytest.skip(f"RLIMIT_FSIZE's hard limit ({hard}) is below {size} bytes")
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _stored(dataset: Path) -> tuple[list[int], bytes, bytes]:
    """What a run must leave as it was: statuses stored, the state file, the quarantine."""
    return (
        apislo.load(dataset)["status"].tolist(),
        (dataset / "_apislo_state.json").read_bytes(),
        quarantine_path(dataset).read_bytes(),
    )


def _staged_files(dataset: Path) -> list[Path]:
    return [p for p in (dataset / "_staging").rglob("*") if p.is_file()]


def _quarantined(dataset: Path) -> list[tuple[str, int]]:
    """(file name, line number) of each quarantined line; each line must be one JSON object."""
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    return [(Path(r["file"]).name, r["line_no"]) for r in rows]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    """A dataset holding a.log: 2 requests (200, 503) and 100 lines quarantined (about 20 KB)."""
    root = tmp_path / "events"
    result = _ingest(_write(tmp_path / "a.log", GOOD[:2] + _noise("a", 100)), root)
    assert result.exit_code == 0, result.output
    return root


def test_an_out_path_under_a_regular_file_is_one_error_line(tmp_path: Path) -> None:
    """--out below a file (as on a read-only disk: nothing can be made there) was a
    NotADirectoryError traceback."""
    log = _write(tmp_path / "a.log", GOOD)
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "events"
    result = _ingest(log, out)
    assert (result.exit_code, type(result.exception)) == (1, SystemExit)
    error = f"error: cannot write {out}: {tmp_path}/file is a file, not a folder\n"
    assert (result.stdout, result.stderr) == ("", error)


def test_a_lock_file_that_cannot_be_opened_is_one_error_line(tmp_path: Path) -> None:
    """The lock is the first file a run writes: on a read-only file system it was a 36-line
    traceback ending in OSError (Errno 30). A folder in its place fails the same way."""
    log = _write(tmp_path / "a.log", GOOD)
    root = tmp_path / "events"
    (root / "_apislo.lock").mkdir(parents=True)
    result = _ingest(log, root)
    assert (result.exit_code, type(result.exception)) == (1, SystemExit)
    assert result.stderr == f"error: cannot write {root / '_apislo.lock'}: Is a directory\n"
    assert sorted(p.name for p in root.iterdir()) == ["_apislo.lock"]


def test_a_full_disk_while_a_parquet_part_is_written_adds_nothing(
    tmp_path: Path, dataset: Path
) -> None:
    """b.log (1 request, 3 rejects): its Parquet part (a few KiB) cannot be written. It was
    polars's ComputeError traceback; now one line naming the part, the dataset and quarantine
    as they were, nothing left staged. Run again with room: 3 requests, 103 lines quarantined."""
    log = _write(tmp_path / "b.log", [GOOD[2], *_noise("b", 3)])
    before = _stored(dataset)
    with _files_limited_to(1024):
        result = _ingest(log, dataset)
    assert (result.exit_code, type(result.exception)) == (1, SystemExit)
    assert result.stderr.startswith(f"error: cannot write {dataset / '_staging'}/")
    assert result.stderr.endswith(".parquet: File too large\n")
    assert result.stderr.count("\n") == 1
    assert _stored(dataset) == before
    assert _staged_files(dataset) == []
    assert _ingest(log, dataset).exit_code == 0
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404]
    assert _quarantined(dataset)[-4:] == [("a.log", 102), ("b.log", 2), ("b.log", 3), ("b.log", 4)]


def test_a_full_disk_while_rejects_are_quarantined_keeps_no_part_of_a_record(
    tmp_path: Path, dataset: Path
) -> None:
    """b.log's 20 rejects (about 4 KB of JSON) are appended to a quarantine of about 20 KB that
    may grow by 1,000 bytes only: the append stops inside a record. It was an OSError
    traceback, and the quarantine ended in half a record, which the next run's first reject
    joined into one invalid line. Now: one error line, the quarantine truncated back, b.log not
    added; run again with room: 3 requests, the 20 rejects once each after a.log's 100."""
    log = _write(tmp_path / "b.log", [GOOD[2], *_noise("b", 20)])
    before = _stored(dataset)
    with _files_limited_to(len(before[2]) + 1000):
        result = _ingest(log, dataset)
    assert (result.exit_code, type(result.exception)) == (1, SystemExit)
    assert result.stderr == f"error: cannot write {quarantine_path(dataset)}: File too large\n"
    assert _stored(dataset) == before
    assert _staged_files(dataset) == []
    assert _ingest(log, dataset).exit_code == 0
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404]
    assert _quarantined(dataset) == [("a.log", n) for n in range(3, 103)] + [
        ("b.log", n) for n in range(2, 22)
    ]


def test_a_full_disk_while_the_commit_journal_is_written_takes_the_rejects_back(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b.log's rejects are quarantined before its commit starts; the commit's journal then
    cannot be written. Nothing was committed, so b.log is read again on the next run: its 3
    rejects are taken out of the quarantine, not quarantined twice."""
    log = _write(tmp_path / "b.log", [GOOD[2], *_noise("b", 3)])
    before = _stored(dataset)
    write_text = Path.write_text

    def full(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "_apislo_commit.tmp":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_text", full)
        result = _ingest(log, dataset)
    journal = dataset / "_apislo_commit.json"
    assert result.stderr == f"error: cannot write {journal}: No space left on device\n"
    assert result.exit_code == 1
    assert _stored(dataset) == before
    assert _ingest(log, dataset).exit_code == 0
    assert _quarantined(dataset)[-4:] == [("a.log", 102), ("b.log", 2), ("b.log", 3), ("b.log", 4)]


def test_a_record_a_killed_run_left_cut_short_is_dropped_by_the_next_append(
    tmp_path: Path, dataset: Path
) -> None:
    """A run killed while appending b.log's rejects left half a record at the end of the
    quarantine (b.log was not committed, so it is read again). The next run's first reject
    used to be joined to it into one invalid line; the torn half is dropped instead."""
    log = _write(tmp_path / "b.log", [GOOD[2], _line(9, "/x", 200)[:40] + "\n"])
    with open(quarantine_path(dataset), "a") as handle:
        handle.write('{"file":"' + str(log) + '","line_no":3,"rea')
    assert _ingest(log, dataset).exit_code == 0
    assert _quarantined(dataset) == [("a.log", n) for n in range(3, 103)] + [("b.log", 2)]


def _journal_full_after(commits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit journal can be written ``commits`` times, then the disk is full."""
    write_text = Path.write_text
    done = []

    def full(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "_apislo_commit.tmp":
            if len(done) == commits:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done.append(self)
        return write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full)


def test_json_of_a_run_stopped_by_a_full_disk_says_what_was_stored_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a.log is stored (3 requests), then b.log's commit journal cannot be written. --json
    printed nothing; it prints the run's object: a.log's counts, and the error. From Python the
    `DatasetWriteError` carries the same report."""
    first = _write(tmp_path / "a.log", GOOD)
    second = _write(tmp_path / "b.log", [_line(9, "/x", 200)])
    dataset = tmp_path / "events"
    _journal_full_after(1, monkeypatch)
    args = ["ingest", str(first), str(second), "--out", str(dataset), "--json"]
    result = CliRunner().invoke(main, [*args, "--format", "nginx-combined"])
    error = f"cannot write {dataset}/_apislo_commit.json: No space left on device"
    assert (result.exit_code, result.stderr) == (1, f"error: {error}\n")
    assert json.loads(result.stdout) == {
        "dataset": str(dataset),
        "quarantine": f"{dataset}.quarantine.jsonl",
        "files": 1,
        "lines": 3,
        "records": 3,
        "rejected": {},
        "formats": {str(first): "nginx-combined"},
        "unchanged": [],
        "refused": {},
        "warnings": [],
        "error": error,
    }
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404]
    _journal_full_after(0, monkeypatch)
    with pytest.raises(DatasetWriteError) as caught:
        apislo.ingest([second], dataset, "nginx-combined")
    assert caught.value.report is not None
    assert (caught.value.report.files, caught.value.report.records) == (0, 0)


def test_a_full_disk_while_a_stray_line_is_stored_stops_the_run(
    tmp_path: Path, dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a.log, read before and no longer written to, gets one stray line: it is read now (its
    reject quarantined), and the commit's journal cannot be written. That refused a.log, as if
    the file were at fault, and the run went on with a dataset it cannot write (a
    `FilesRefusedError` at the end); the run stops there, as for any other file."""
    log = tmp_path / "a.log"
    with open(log, "a") as handle:
        handle.write("stray line\n")
    hour_ago = log.stat().st_mtime - 3600
    os.utime(log, (hour_ago, hour_ago))
    _journal_full_after(0, monkeypatch)
    with pytest.raises(DatasetWriteError) as caught:
        apislo.ingest([log], dataset, "nginx-combined", max_reject_rate=0.5)
    assert str(caught.value) == (
        f"cannot write {dataset}/_apislo_commit.json: No space left on device"
    )
