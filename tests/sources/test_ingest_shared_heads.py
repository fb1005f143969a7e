"""Logs that start with the same 4 KiB (health checks, load-balancer probes at startup), so that
the state's fingerprint of one matches the other. Until 2026-11-30 the second was taken for a
shorter copy of the first (reported unchanged, its lines lost), for the first grown (resumed
in the middle of its lines, its first ones lost) or for the first rewritten (refused). A file
whose fingerprint matches is now compared where reading of the other stopped."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from apislo.errors import FilesRefusedError
from apislo.sources import known
from apislo.sources.files import Span
from apislo.sources.ingest import ingest
from tests.sources import order_lines, settled, stored_orders

#: 60 identical lines (order 0: same time, same request), 5,580 bytes: more than 4 KiB.
PROBES = order_lines(0, 1) * 60
#: Log a: the probes, then orders 100-109 (70 lines).
LOG_A = PROBES + order_lines(100, 10)


def _log_b(extra: int) -> str:
    """Log b: the probes, then orders 200 onwards (``extra`` of them)."""
    return PROBES + order_lines(200, extra)


def _write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (gzip-compressed for a ``.gz``), settled."""
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    settled(path)
    return path


@pytest.mark.parametrize("suffix", [".log", ".log.gz"])
@pytest.mark.parametrize("extra", [3, 20], ids=["b-shorter", "b-longer"])
@pytest.mark.parametrize("first", ["a", "b"])
def test_two_logs_starting_with_the_same_4_kib_are_both_stored(
    tmp_path: Path, suffix: str, extra: int, first: str
) -> None:
    """a (70 lines) and b (60 + ``extra`` lines) are ingested one run after the other, then
    together: each run stores its file's lines, all of them (the 60 probes of each are requests
    of their own), and the run over both adds nothing: 70 + 63 = 133, or 70 + 80 = 150."""
    a = _write(tmp_path / f"a{suffix}", LOG_A)
    b = _write(tmp_path / f"b{suffix}", _log_b(extra))
    dataset = tmp_path / "events"
    order = [a, b] if first == "a" else [b, a]
    runs = [ingest([path], dataset, "nginx-combined").records for path in order]
    runs.append(ingest([tmp_path], dataset, "nginx-combined").records)
    counts = {a: 70, b: 60 + extra}
    assert runs == [counts[order[0]], counts[order[1]], 0]
    assert stored_orders(dataset) == [0] * 120 + [*range(100, 110), *range(200, 200 + extra)]


def test_two_logs_starting_the_same_in_one_run_are_both_stored(tmp_path: Path) -> None:
    """The same two logs (b with 3 lines after the probes) in one folder, one run: 133."""
    _write(tmp_path / "a.log", LOG_A)
    _write(tmp_path / "b.log", _log_b(3))
    report = ingest([tmp_path], tmp_path / "events", "nginx-combined")
    assert (report.records, report.unchanged, report.warnings) == (133, [], [])


def test_a_new_log_at_a_rotated_logs_path_that_starts_the_same_is_read(tmp_path: Path) -> None:
    """access.log (log a) is read, then rotated: renamed access.log.1, and a new access.log
    starts with the same probes (then orders 200-202). The next run finds access.log.1 read and
    stores the 63 lines of the new log; it took that log for access.log trimmed in place, its
    lines read before, and stored nothing. Nothing more on a third run."""
    logs = tmp_path / "logs"
    logs.mkdir()
    log, dataset = _write(logs / "access.log", LOG_A), tmp_path / "events"
    assert ingest([logs], dataset, "nginx-combined").records == 70
    log.rename(logs / "access.log.1")
    _write(log, _log_b(3))
    report = ingest([logs], dataset, "nginx-combined")
    assert (report.records, report.unchanged, report.warnings) == (
        63,
        [str(logs / "access.log.1")],
        [],
    )
    assert ingest([logs], dataset, "nginx-combined").records == 0
    assert len(stored_orders(dataset)) == 133


def test_a_log_starting_like_one_read_that_is_gone_is_refused_not_taken_as_read(
    tmp_path: Path,
) -> None:
    """a.log is read, then deleted; b.log starts with the same probes, then 3 lines of its own
    where a.log had others. Nothing says whether b.log is a.log rewritten (its probes read
    before) or another log: it is refused, naming a.log, nothing added (the 70 stay). It was
    taken for a copy of a.log's first part: reported unchanged, its 63 lines lost."""
    a, dataset = _write(tmp_path / "a.log", LOG_A), tmp_path / "events"
    assert ingest([a], dataset, "nginx-combined").records == 70
    a.unlink()
    b = _write(tmp_path / "b.log", _log_b(3))
    with pytest.raises(FilesRefusedError) as refused:
        ingest([b], dataset, "nginx-combined")
    (why,) = refused.value.errors.values()
    assert f"are those of {a}" in str(why) and "nothing of it was added" in str(why)
    assert len(stored_orders(dataset)) == 70


def test_a_copy_a_little_shorter_than_what_was_read_is_known_once_the_log_is_truncated(
    tmp_path: Path,
) -> None:
    """copytruncate racing a run: access.log.1 was copied at 68 lines, the run read access.log
    to 70, then logrotate truncated access.log, which now holds orders 300-303. The copy ends
    among the last 4 KiB read, whose line digests show it holds what was read: it adds nothing,
    though the log it was copied from no longer holds those lines to compare. 74 in all."""
    log, dataset = _write(tmp_path / "access.log", LOG_A), tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 70
    _write(tmp_path / "access.log.1", PROBES + order_lines(100, 8))
    _write(log, order_lines(300, 4))
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert (report.records, report.unchanged) == (4, [str(tmp_path / "access.log.1")])
    assert stored_orders(dataset) == [0] * 60 + [*range(100, 110), *range(300, 304)]


def test_logs_read_before_that_start_alike_are_each_compared_with_their_own_entry_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 logs start with the same probes (their fingerprints all match), then orders of their
    own, 1 to 10 of them: 655 lines are read. A run that finds them unchanged compares each
    with its own entry alone: 10 reads of the bytes before where reading stopped, one a log.
    Until 2026-11-30 each was first compared with every entry read further (the 9 longer logs'
    for the shortest, reading their files too: 100 reads): the run's time grew with the square
    of the number of such logs (100 of them: 1 s, 300: 12 s)."""
    for number in range(10):
        orders = order_lines(100 + 100 * number, number + 1)
        _write(tmp_path / f"pod-{number}.log", PROBES + orders)
    dataset = tmp_path / "events"
    assert ingest([tmp_path], dataset, "nginx-combined").records == 10 * 60 + 55
    reads: list[Path] = []
    read_before = known.read_before

    def counted(path: Path, *where: int) -> Span:
        reads.append(path)
        return read_before(path, *where)

    monkeypatch.setattr(known, "read_before", counted)
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert (report.records, len(report.unchanged), len(reads), len(set(reads))) == (0, 10, 10, 10)
