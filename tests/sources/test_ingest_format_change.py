"""A live log whose ``log_format`` changed between two runs (NGINX reloaded with a JSON format):
the lines written before the change are read in the old format, those after it in the new one.
Before, every new line was read in the new format, so the old-format lines written since the
last run went to the quarantine."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import apislo
from apislo.errors import FilesRefusedError
from apislo.sources.ingest import ingest, quarantine_path
from tests.sources import order_lines, settled, stored_orders


def _json(first: int, count: int) -> str:
    """``nginx-json`` lines for orders ``first``...: ``time_iso8601`` 11:00 UTC + the order in
    seconds, no ``request_time`` (so that time is the request's)."""
    return "".join(
        json.dumps(
            {
                "time_iso8601": f"2026-11-01T11:{n // 60:02d}:{n % 60:02d}+00:00",
                "remote_addr": "10.0.0.1",
                "request": f"GET /v1/orders/{n} HTTP/1.1",
                "status": 200,
                "body_bytes_sent": 512,
            }
        )
        + "\n"
        for n in range(first, first + count)
    )


def _read_then_appended(tmp_path: Path, read: str, appended: str) -> tuple[Path, Path]:
    """``access.log`` holding the request lines ``read``, ingested (each stored), then
    ``appended`` written to it, both settled: ``(log, dataset)``."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(read)
    settled(log)
    assert ingest([log], dataset).records == read.count("\n")
    with log.open("a") as handle:
        handle.write(appended)
    settled(log)
    return log, dataset


def test_lines_before_a_format_change_are_read_in_the_old_format(tmp_path: Path) -> None:
    """Orders 0-99 are read as ``nginx-combined``; then 50 more ``combined`` lines (100-149)
    and 200 JSON lines (150-349) are written. All 350 are stored, none quarantined: lines 101-150
    as ``combined``, lines 151-350 as ``nginx-json``, which the warning names from line 151."""
    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 100), order_lines(100, 50) + _json(150, 200)
    )
    report = ingest([log], dataset)
    assert (report.lines, report.records, report.rejected) == (250, 250, {})
    (warning,) = report.warnings
    assert "read as nginx-json from line 151 on" in warning
    assert stored_orders(dataset) == list(range(350))
    assert not quarantine_path(dataset).exists()
    with log.open("a") as handle:
        handle.write(_json(350, 10))
    settled(log)
    report = ingest([log], dataset)
    assert (report.records, report.formats, report.warnings) == (10, {str(log): "nginx-json"}, [])


def test_a_stray_line_before_the_change_is_quarantined_in_the_old_format(tmp_path: Path) -> None:
    """A blank line among the old-format lines (rejected by both formats) does not move the
    change: orders 100-119, a blank line, orders 120-139 as ``combined``, then 150 JSON lines
    (140-289): 190 stored, the blank line quarantined, the change at line 142."""
    log, dataset = _read_then_appended(
        tmp_path,
        order_lines(0, 100),
        order_lines(100, 20) + "\n" + order_lines(120, 20) + _json(140, 150),
    )
    report = ingest([log], dataset)
    assert (report.lines, report.records, sum(report.rejected.values())) == (191, 190, 1)
    assert "read as nginx-json from line 142 on" in report.warnings[0]
    assert stored_orders(dataset) == list(range(290))


def _timed(first: int, count: int) -> str:
    """``nginx-timed`` lines for orders ``first``...: the ``combined`` ones with request and
    upstream times of 0 s (so each still starts at 11:00 UTC + the order in seconds)."""
    return order_lines(first, count).replace("\n", " 0.000 0.000\n")


def test_a_junk_line_just_before_the_change_is_quarantined_and_the_change_found(
    tmp_path: Path,
) -> None:
    """Orders 0-49 read as ``combined``; then an error line and 200 ``nginx-timed`` lines
    (orders 50-249). The change is detected from the first line ``combined`` rejects (the
    error line, line 51) and found at line 52: the error line is quarantined, the 200 requests
    stored. Before, the one-line ``combined`` part was refused and taken for a stray line: the
    file was read as ``combined``, quarantining all 201 lines."""
    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 50), "upstream error\n" + _timed(50, 200)
    )
    report = ingest([log], dataset)
    assert (report.records, report.rejected) == (200, {"not_a_request": 1})
    assert "read as nginx-timed from line 52 on" in report.warnings[0]
    assert stored_orders(dataset) == list(range(250))


def test_a_change_after_many_old_format_lines_is_found(tmp_path: Path) -> None:
    """Orders 0-49 read; then 150 more ``combined`` lines and 300 ``nginx-timed`` ones: the
    first 200 lines from where reading resumed are all ``combined``, so detecting from there
    found no change and the file was refused at every run (300 of 450 lines rejected). It is
    detected from the first rejected line (line 201): all 450 stored."""
    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 50), order_lines(50, 150) + _timed(200, 300)
    )
    report = ingest([log], dataset)
    assert (report.records, report.rejected) == (450, {})
    assert "read as nginx-timed from line 201 on" in report.warnings[0]
    assert stored_orders(dataset) == list(range(500))


def test_a_gz_read_up_to_its_change_is_read_on_when_its_rest_was_refused(
    tmp_path: Path,
) -> None:
    """Orders 0-49 read from ``access.log``; it gets 10 more ``combined`` lines, 190
    ``nginx-timed`` ones and 250 junk lines, then is rotated and compressed. The part before the
    change (orders 50-59) is stored; the rest, 250 of 440 lines rejected, is refused. Rerun with
    ``--max-reject-rate 0.6``, the rest is read: 190 more stored, 250 quarantined. Before, the
    ``.gz`` was remembered as read to its end after its first part, and skipped for good."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(order_lines(0, 50))
    settled(log)
    assert ingest([log], dataset).records == 50
    junk = "".join(f"junk {n}\n" for n in range(250))
    log.write_text(order_lines(0, 60) + _timed(60, 190) + junk)
    rotated = tmp_path / "access.log.1.gz"
    rotated.write_bytes(gzip.compress(log.read_bytes()))
    log.unlink()
    with pytest.raises(FilesRefusedError) as caught:
        ingest([rotated], dataset)
    assert str(caught.value.errors[str(rotated)]).startswith(
        f"{rotated}: from line 61, where its format changed, 250 of 440 lines (56.8%) are not "
        "nginx-timed requests, above max_reject_rate 50.0%. The lines before line 61 were stored"
    )
    assert stored_orders(dataset) == list(range(60))
    report = ingest([rotated], dataset, max_reject_rate=0.6)
    assert (report.records, report.rejected) == (190, {"not_a_request": 250})
    assert stored_orders(dataset) == list(range(250))


def test_a_change_in_a_few_new_lines_with_a_stray_one_is_split(tmp_path: Path) -> None:
    """Orders 0-49 read; then one ``combined`` line (order 50), 10 ``nginx-timed`` lines
    (51-60) and 3 blank lines: order 50 stored as ``combined``, the 10 as ``nginx-timed``,
    the blanks quarantined; no line both stored and quarantined."""
    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 50), order_lines(50, 1) + _timed(51, 10) + "\n\n\n"
    )
    report = ingest([log], dataset)
    assert (report.records, sum(report.rejected.values())) == (11, 3)
    assert stored_orders(dataset) == list(range(61))
    assert len(quarantine_path(dataset).read_text().splitlines()) == 3


def test_a_blank_line_then_old_format_lines_do_not_hide_the_change(tmp_path: Path) -> None:
    """Orders 0-49 read; then a blank line, 100 ``combined`` lines (50-149) and 200
    ``nginx-timed`` ones (150-349). Detected from the 200 lines from the first rejected one
    (the blank line, then 100 ``combined``), the change was not found and the file refused at
    every run; detected from the lines ``combined`` rejects, it is at line 152: 300 stored, the
    blank line quarantined."""
    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 50), "\n" + order_lines(50, 100) + _timed(150, 200)
    )
    report = ingest([log], dataset)
    assert (report.records, report.rejected) == (300, {"not_a_request": 1})
    assert "read as nginx-timed from line 152 on" in report.warnings[0]
    assert stored_orders(dataset) == list(range(350))


def test_a_syslog_log_is_split_at_its_change(tmp_path: Path) -> None:
    """The same change, each line behind a syslog prefix: 150 ``combined`` lines then 300
    ``nginx-timed`` ones after the 50 read; the change at line 201, all 500 stored. (Only
    container logs, whose records span lines, are left unsplit.)"""

    def syslog(text: str) -> str:
        return "".join(f"Nov  1 11:00:00 web1 nginx: {line}" for line in text.splitlines(True))

    log, dataset = _read_then_appended(
        tmp_path, syslog(order_lines(0, 50)), syslog(order_lines(50, 150) + _timed(200, 300))
    )
    report = ingest([log], dataset)
    assert (report.records, report.rejected) == (450, {})
    assert "read as nginx-timed from line 201 on" in report.warnings[0]


def test_a_batch_line_with_one_bad_record_is_of_the_new_format(tmp_path: Path) -> None:
    """After 50 ``combined`` lines, 30 Kong http-log lines of 10 records with one bad status
    each, then 30 clean ones: the change is at line 51, as Kong reads 9 records of that line.
    Before, a line counted as read only with no record rejected: the change was put at line 81
    and the 30 first batches (270 requests) quarantined whole. 50 + 270 + 300 stored, the 30
    bad records quarantined."""

    def batch(first: int, bad: bool) -> str:
        records = [
            {
                "request": {"method": "GET", "uri": f"/v2/orders/{first + j}"},
                "response": {"status": "oops" if bad and j == 0 else 200},
                "latencies": {"request": 10, "proxy": 8},
                "started_at": 1793530800000 + 1000 * (first + j),
            }
            for j in range(10)
        ]
        return json.dumps(records) + "\n"

    log, dataset = _read_then_appended(
        tmp_path, order_lines(0, 50), "".join(batch(100 + 10 * b, b < 30) for b in range(60))
    )
    report = ingest([log], dataset)
    assert (report.records, report.rejected) == (570, {"bad_number": 30})
    assert "read as kong-json from line 51 on" in report.warnings[0]
    assert len(apislo.load(dataset)) == 620
