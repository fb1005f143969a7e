"""A log rewritten in place with its first bytes unchanged (trimmed, or restored from an older
copy): its 4 KiB fingerprint still matches what was read, but it is shorter than where reading
stopped. It used to be taken as read to its end, then resumed at the old offset once it grew
past it, in the middle of other lines: the lines written in between were lost."""

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


def test_a_log_rewritten_and_grown_past_where_reading_stopped_is_refused(
    tmp_path: Path,
) -> None:
    """60 lines are read; between two runs the log becomes its first 50 lines and 20 new ones
    (orders 100-119), longer than what was read: where its new lines start is unknown, so the
    file is refused, nothing of it added, rather than resumed at byte 6,000-odd in the middle of
    order 109's line (the 60 read stay, and none of the 20 is half read)."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 60))
    settled(log)
    assert ingest([log], dataset, "nginx-combined").records == 60
    log.write_text(order_lines(0, 50) + order_lines(100, 20))
    settled(log)
    with pytest.raises(FilesRefusedError) as refused:
        ingest([log], dataset, "nginx-combined")
    (why,) = refused.value.report.refused.values()
    assert "(line 61)" in why and "rewritten in place" in why
    assert stored_orders(dataset) == list(range(60))


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
