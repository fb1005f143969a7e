"""The progress of an ingest run: its steps are bytes of the files on disk, the unit of the bar's
total (their sizes), so the bar ends at 100 %. A resumed log counted only its new bytes (a
22 MB log with a few new lines ended at 0 %) and a ``.gz`` its decompressed bytes (100 % after
its first chunk)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.cli.ingest as cli_ingest
from apislo.cli import main
from apislo.sources.ingest import ingest
from tests.sources.test_ingest import GOOD, _write


def test_a_resumed_or_known_log_counts_its_whole_size(tmp_path: Path) -> None:
    """GOOD's lines are 94, 94 and 95 bytes. The first run reads 188 bytes of 188; once a line
    is appended (283 bytes), the run that reads the new 95 also counts the 188 read before, so
    the file counts for its size; a run that finds nothing new counts it all as well."""
    log = _write(tmp_path / "access.log", GOOD[:2])
    dataset = tmp_path / "events"
    steps: list[int] = []
    ingest([log], dataset, "nginx-combined", on_progress=steps.append)
    assert steps == [188]
    with open(log, "a") as handle:
        handle.write(GOOD[2])
    steps.clear()
    assert ingest([log], dataset, "nginx-combined", on_progress=steps.append).records == 1
    assert steps == [283]
    steps.clear()
    assert ingest([log], dataset, "nginx-combined", on_progress=steps.append).unchanged == [
        str(log)
    ]
    assert steps == [283]


def test_a_gz_advances_by_its_compressed_bytes_chunk_by_chunk(tmp_path: Path) -> None:
    """A .gz of 40,000 lines (5.0 MB, 0.85 MB compressed: each user agent holds 16 random
    bytes) read in 512 KiB chunks: the steps add up to its size on disk, and the first chunk
    is not most of it (its 5.0 MB of decompressed bytes filled the bar at once)."""
    path = tmp_path / "access.log.1.gz"
    rng = random.Random(7)
    agents = (f"agent-{rng.getrandbits(128):032x}" for _ in range(40_000))
    with gzip.open(path, "wt") as handle:
        handle.writelines(GOOD[i % 3].replace("curl/8.5", a) for i, a in enumerate(agents))
    size = path.stat().st_size
    steps: list[int] = []
    report = ingest([path], tmp_path / "events", "nginx-combined", on_progress=steps.append,
                    chunk_bytes=512 << 10)  # fmt: skip
    assert report.records == 40_000
    assert sum(steps) == size
    assert 0 < steps[0] < size / 4  # (about 1/10: the file is read in 10 chunks)


class _Bar:
    """A progress bar that remembers its total and its steps."""

    def __init__(self, total: int) -> None:
        self.total, self.steps = total, list[int]()

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def update(self, step: int) -> None:
        self.steps.append(step)


def test_the_commands_bar_ends_at_its_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed log (283 bytes, 188 read before) and a .gz read for the first time: the bar's
    total is their sizes on disk, and its steps add up to it (they were 28,300, the .gz's bytes
    decompressed, and 95, the log's new ones)."""
    log = _write(tmp_path / "access.log", GOOD[:2])
    dataset = tmp_path / "events"
    ingest([log], dataset, "nginx-combined")
    with open(log, "a") as handle:
        handle.write(GOOD[2])
    rotated = tmp_path / "access.log.1.gz"
    with gzip.open(rotated, "wt") as handle:
        handle.write("".join(GOOD[::-1] * 100))  # 28,300 bytes, a few hundred compressed
    bars: list[_Bar] = []

    def progress(total: int, _label: str, _quiet: bool) -> _Bar:
        bars.append(_Bar(total))
        return bars[-1]

    monkeypatch.setattr(cli_ingest, "progress", progress)
    args = ["ingest", str(log), str(rotated), "--out", str(dataset), "--format", "nginx-combined"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    [bar] = bars
    assert bar.total == rotated.stat().st_size + 283
    assert bar.steps == [rotated.stat().st_size, 283]  # (the .gz comes first, as older)
