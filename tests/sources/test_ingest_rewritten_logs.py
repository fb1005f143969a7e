"""A log rewritten in place with its first bytes unchanged (trimmed, or restored from an older
copy): its 4 KiB fingerprint still matches what was read, but it is shorter than where reading
stopped. It used to be taken as read to its end, then resumed at the old offset once it grew
past it, in the middle of other lines: the lines written in between were lost. A log trimmed
within its first 4 KiB (a small log) no longer matches its fingerprint: until 2026-11-30 it was
read as new, the lines it kept stored twice. The state's line digests of the first and the last
4 KiB read now tell which lines a rewritten log kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from apislo.errors import FilesRefusedError
from apislo.sources.ingest import ingest
from tests.sources import order_lines, settled, stored_orders


def test_a_log_trimmed_in_place_is_read_on_from_its_new_end(tmp_path: Path) -> None:
    """60 lines are read; the log is cut back to its first 50 (over 4 KiB: the fingerprint still
    matches): nothing is added, with a warning. 5 lines written after that (orders 100-104) are
    added, and only they: 65 requests in all."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 60))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 60
    log.write_text(order_lines(0, 50))
    assert log.stat().st_size > 4096
    settled(log)
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, report.unchanged) == (0, [str(log)])
    assert len(report.warnings) == 1
    assert "its 50 lines were read before" in report.warnings[0]
    with log.open("a") as handle:
        handle.write(order_lines(100, 5))
    settled(log)
    report = ingest([log], dataset, "nginx-combined")
    assert (report.lines, report.records, report.warnings) == (5, 5, [])
    assert stored_orders(dataset) == [*range(60), *range(100, 105)]


def test_a_log_rewritten_and_grown_past_where_reading_stopped_is_read_from_where_it_changed(
    tmp_path: Path,
) -> None:
    """60 lines are read; between two runs the log becomes its first 50 lines and 20 new ones
    (orders 100-119), longer than what was read. Line 50 ends among the 4 KiB before where
    reading stopped, whose line digests the state keeps: the 20 new lines are read from there,
    with a warning, and only they (80 orders in all). Until 2026-11-30 the file was refused, the
    20 lines never read; before 2026-11-29 it was resumed at byte 5,630, in the middle of order
    109's line, and orders 100-108 were lost."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 60))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 60
    log.write_text(order_lines(0, 50) + order_lines(100, 20))
    settled(log)
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, len(report.warnings)) == (20, 1)
    assert "its first 50 lines are lines read before" in report.warnings[0]
    assert ingest([log], dataset, "nginx-combined").records == 0
    assert stored_orders(dataset) == [*range(60), *range(100, 120)]


def test_a_log_rewritten_further_back_and_grown_past_where_reading_stopped_is_refused(
    tmp_path: Path,
) -> None:
    """200 lines (18,890 bytes) are read; the log becomes its first 100 lines (9,390 bytes) and
    150 new ones (orders 300-449), longer than what was read. It changed after its first 4 KiB
    and before the last 4 KiB read, where no digest tells which line: where its new lines start
    is unknown, so it is refused, nothing of it added (the 200 read stay)."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 200))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 200
    log.write_text(order_lines(0, 100) + order_lines(300, 150))
    settled(log)
    with pytest.raises(FilesRefusedError) as refused:
        ingest([log], dataset, "nginx-combined")
    (why,) = refused.value.report.refused.values()
    assert "(line 201)" in why and "rewritten in place" in why
    assert stored_orders(dataset) == list(range(200))


def _case(
    name: str,
    first: tuple[int, int],
    then: list[tuple[int, int]],
    appended: tuple[int, int] | None,
    runs: list[int],
    orders: list[tuple[int, int]],
) -> object:
    """A log rewritten in place between two runs: the orders first read (first, count), those it
    holds then, the orders appended before a third run, the requests each later run stores and
    the orders stored in the end (first, count), worked out by hand: what the log kept of what
    was read is not stored again, and nothing new is lost."""
    return pytest.param(first, then, appended, runs, orders, id=name)


_REWRITES = [
    # small logs (under 4 KiB): the lines kept were stored again, until 2026-11-30
    _case("5 trimmed to 3", (0, 5), [(0, 3)], (100, 2), [0, 2], [(0, 5), (100, 2)]),
    _case("3 of 5 + 2 new", (0, 5), [(0, 3), (100, 2)], None, [2], [(0, 5), (100, 2)]),
    _case("3 of 5 + 4 new", (0, 5), [(0, 3), (100, 4)], None, [4], [(0, 5), (100, 4)]),
    # over 4 KiB trimmed under 4 KiB: its 30 lines were stored again, until 2026-11-30
    _case("60 trimmed to 30", (0, 60), [(0, 30)], (100, 2), [0, 2], [(0, 60), (100, 2)]),
    _case("30 of 60 + 40 new", (0, 60), [(0, 30), (100, 40)], None, [40], [(0, 60), (100, 40)]),
    # over 4 KiB, changed in the last 4 KiB read: the new lines were lost, until 2026-11-30
    _case("50 of 60 + 5 new", (0, 60), [(0, 50), (100, 5)], None, [5], [(0, 60), (100, 5)]),
    _case("50 of 60 + 10 same size", (0, 60), [(0, 50), (80, 10)], None, [10], [(0, 60), (80, 10)]),
    # no line kept, or trimmed further back than the last 4 KiB read: as before 2026-11-30
    _case("5 truncated, 3 others", (0, 5), [(100, 3)], None, [3], [(0, 5), (100, 3)]),
    _case("3 rewritten as 3 others", (0, 3), [(3, 3)], None, [3], [(0, 6)]),
    _case("200 trimmed to 100", (0, 200), [(0, 100)], (300, 2), [0, 2], [(0, 200), (300, 2)]),
]  # fmt: skip


@pytest.mark.parametrize(("first", "then", "appended", "runs", "orders"), _REWRITES)
def test_a_log_rewritten_in_place_stores_its_new_lines_once(
    tmp_path: Path,
    first: tuple[int, int],
    then: list[tuple[int, int]],
    appended: tuple[int, int] | None,
    runs: list[int],
    orders: list[tuple[int, int]],
) -> None:
    """Each case of :data:`_REWRITES`, the log rewritten in place (truncated, then written, as
    ``truncate`` or copytruncate leave it): a run stores the lines after what it kept of what
    was read, only they, with a warning when it kept some; lines appended after that are read
    on the next run, and a last run adds nothing."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(*first))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == first[1]
    with log.open("r+") as handle:
        handle.truncate(0)
        handle.write("".join(order_lines(*part) for part in then))
    settled(log)
    report = ingest([log], dataset, "nginx-combined")
    records = [report.records]
    assert len(report.warnings) == (1 if then[0][0] == first[0] else 0)  # (lines kept: a warning)
    if appended is not None:
        with log.open("a") as handle:
            handle.write(order_lines(*appended))
        settled(log)
        records.append(ingest([log], dataset, "nginx-combined").records)
    assert ingest([log], dataset, "nginx-combined").records == 0
    expected = [order for start, count in orders for order in range(start, start + count)]
    assert (records, stored_orders(dataset)) == (runs, expected)


def test_a_copy_of_a_live_logs_first_part_adds_nothing_and_moves_nothing(
    tmp_path: Path,
) -> None:
    """logrotate's ``copy`` (the live log copied, then written on): orders 0-99 are read; the
    log grows to 120 lines and is copied to ``access.log.1``; it grows to 150. The copy holds
    the first 120 lines of what the live log holds, so it adds nothing, and the live log is
    read on where it was left. Before, the shorter copy was taken for the log trimmed in place:
    the state went back to its 120 lines, and every run stored orders 120 onwards again."""
    folder, dataset = tmp_path / "logs", tmp_path / "events"
    folder.mkdir()
    log, copy = folder / "access.log", folder / "access.log.1"
    log.write_text(order_lines(0, 100))
    settled(log)
    assert ingest([folder], dataset, "nginx-combined").records == 100
    with log.open("a") as handle:
        handle.write(order_lines(100, 20))
    copy.write_bytes(log.read_bytes())
    with log.open("a") as handle:
        handle.write(order_lines(120, 30))
    for path in (log, copy):
        settled(path)
    assert ingest([folder], dataset, "nginx-combined").records == 50
    with log.open("a") as handle:
        handle.write(order_lines(150, 10))
    settled(log)
    first = ingest([folder], dataset, "nginx-combined")
    again = ingest([folder], dataset, "nginx-combined")
    assert (first.records, first.warnings, again.records) == (10, [], 0)
    assert stored_orders(dataset) == list(range(160))


@pytest.mark.parametrize(
    ("read", "copied", "grown"),
    [(10, 10, 20), (10, 8, 20), (43, 43, 45)],
    ids=["under 4 KiB", "copied before its last lines", "crossing 4 KiB"],
)
def test_a_copy_shorter_than_the_fingerprint_of_what_was_read_adds_nothing(
    tmp_path: Path, read: int, copied: int, grown: int
) -> None:
    """Orders 0 to ``read - 1`` are read from a small log; ``access.log.1`` is a copy of its
    first ``copied`` lines (logrotate's ``copy``, or ``copytruncate`` copying before the run's
    last lines), and the log grows to ``grown`` lines. The copy's lines were all read: the next
    runs store the ``grown - read`` new lines of the log, and nothing of the copy. Until
    2026-11-30 a copy shorter than the bytes the state fingerprinted (all of what was read,
    under 4 KiB; 43 lines are 4,032 bytes, 45 are 4,220) was read as a new file, its lines stored
    again: at once, or once the log's entry had grown past it."""
    folder, dataset = tmp_path / "logs", tmp_path / "events"
    folder.mkdir()
    log, copy = folder / "access.log", folder / "access.log.1"
    log.write_text(order_lines(0, read))
    settled(log)
    assert ingest([folder], dataset, "nginx-combined").records == read
    copy.write_text(order_lines(0, copied))
    with log.open("a") as handle:
        handle.write(order_lines(read, grown - read))
    for path in (log, copy):
        settled(path)
    runs = [ingest([folder], dataset, "nginx-combined") for _ in range(2)]
    assert [(run.records, run.unchanged) for run in runs] == [
        (grown - read, [str(copy)]),
        (0, [str(copy), str(log)]),
    ]
    assert stored_orders(dataset) == list(range(grown))


def test_a_few_stray_lines_at_the_end_of_a_settled_log_are_read_not_deferred(
    tmp_path: Path,
) -> None:
    """Orders 0-99 are read; order 100 and two NGINX error-log lines are appended, then the log
    is rotated to ``access.log.1`` and a new ``access.log`` holds orders 200-209. The rotated
    log gets no more lines, so its 3 new lines are read now: order 100 stored, the 2 error
    lines quarantined, with a warning. Before, they were left "for the next run" on every run:
    order 100 was never stored, and the error lines never reached the quarantine."""
    folder, dataset = tmp_path / "logs", tmp_path / "events"
    folder.mkdir()
    log = folder / "access.log"
    log.write_text(order_lines(0, 100))
    settled(log)
    assert ingest([folder], dataset, "nginx-combined").records == 100
    with log.open("a") as handle:
        handle.write(
            order_lines(100, 1) + "upstream timed out\n2026/11/01 11:20:00 [error] 12#12\n"
        )
    log.rename(folder / "access.log.1")
    log.write_text(order_lines(200, 10))
    for path in folder.iterdir():
        settled(path)
    report = ingest([folder], dataset, "nginx-combined")
    assert (report.records, report.rejected) == (11, {"not_a_request": 2})
    (warning,) = report.warnings
    assert "2 of its 3 new lines are not nginx-combined requests: read now" in warning
    assert stored_orders(dataset) == [*range(101), *range(200, 210)]
    assert len((tmp_path / "events.quarantine.jsonl").read_text().splitlines()) == 2
    assert ingest([folder], dataset, "nginx-combined").records == 0


def test_a_few_stray_lines_at_the_end_of_a_live_log_wait_for_the_next_run(
    tmp_path: Path,
) -> None:
    """The same three lines appended to a log written to a moment ago (a writer may still be
    finishing them) are left for the next run, with a warning; nothing is added."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 100))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 100
    with log.open("a") as handle:
        handle.write(
            order_lines(100, 1) + "upstream timed out\n2026/11/01 11:20:00 [error] 12#12\n"
        )
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, report.rejected) == (0, {})
    (warning,) = report.warnings
    assert "2 of its 3 new lines are not nginx-combined requests: left for the next run" in warning


def test_an_equal_copy_read_after_the_log_leaves_the_log_its_own(tmp_path: Path) -> None:
    """Orders 0-99 read from ``logs/access.log``; an exact copy is made in ``t-archive/`` and
    both are ingested (the copy after the log): nothing added, and the state still names the log,
    which exists. The log is then trimmed to its first 70 lines and gets orders 200-204: the
    trim is told (a warning) and the 5 lines stored. Before, the copy took the state's name, so
    the trimmed log was taken for a copy: its 5 new lines were skipped, and once it grew past
    where reading stopped it was refused."""
    logs, archive, dataset = tmp_path / "logs", tmp_path / "t-archive", tmp_path / "events"
    logs.mkdir()
    archive.mkdir()
    log, copy = logs / "access.log", archive / "access.log"
    log.write_text(order_lines(0, 100))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 100
    copy.write_bytes(log.read_bytes())
    settled(copy)
    assert ingest([log, copy], dataset, "nginx-combined").records == 0
    log.write_text(order_lines(0, 70))
    settled(log)
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, len(report.warnings)) == (0, 1)
    assert "its 70 lines were read before" in report.warnings[0]
    with log.open("a") as handle:
        handle.write(order_lines(200, 5))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 5
    assert stored_orders(dataset) == [*range(100), *range(200, 205)]
