"""A live log whose ``log_format`` changed between two runs (NGINX reloaded with a JSON format):
the lines written before the change are read in the old format, those after it in the new one.
Before, every new line was read in the new format, so the old-format lines written since the
last run went to the quarantine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

import apislo
from apislo.sources.ingest import ingest, quarantine_path

_START = pd.Timestamp("2026-11-01 11:00Z")


def _combined(first: int, count: int) -> str:
    """NGINX ``combined`` lines for orders ``first``...: logged at 11:00 UTC + the order in
    seconds."""
    return "".join(
        f'10.0.0.1 - - [01/Nov/2026:11:{n // 60:02d}:{n % 60:02d} +0000] "GET /v1/orders/{n} '
        f'HTTP/1.1" 200 512 "-" "curl/8.5"\n'
        for n in range(first, first + count)
    )


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


def _settled(path: Path) -> None:
    stamp = path.stat().st_mtime - 300
    os.utime(path, (stamp, stamp))


def _orders(dataset: Path) -> list[int]:
    ts = apislo.load(dataset)["ts"]
    return sorted(int(s) for s in (ts - _START).dt.total_seconds())


def test_lines_before_a_format_change_are_read_in_the_old_format(tmp_path: Path) -> None:
    """Orders 0-99 are read as ``nginx-combined``; then 50 more ``combined`` lines (100-149)
    and 200 JSON lines (150-349) are written. All 350 are stored, none quarantined: lines 101-150
    as ``combined``, lines 151-350 as ``nginx-json``, which the warning names from line 151."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(_combined(0, 100))
    _settled(log)
    assert ingest([log], dataset).records == 100
    with log.open("a") as handle:
        handle.write(_combined(100, 50) + _json(150, 200))
    _settled(log)
    report = ingest([log], dataset)
    assert (report.lines, report.records, report.rejected) == (250, 250, {})
    (warning,) = report.warnings
    assert "read as nginx-json from line 151 on" in warning
    assert _orders(dataset) == list(range(350))
    assert not quarantine_path(dataset).exists()
    with log.open("a") as handle:
        handle.write(_json(350, 10))
    _settled(log)
    report = ingest([log], dataset)
    assert (report.records, report.formats, report.warnings) == (10, {str(log): "nginx-json"}, [])


def test_a_stray_line_before_the_change_is_quarantined_in_the_old_format(tmp_path: Path) -> None:
    """A blank line among the old-format lines (rejected by both formats) does not move the
    change: orders 100-119, a blank line, orders 120-139 as ``combined``, then 150 JSON lines
    (140-289): 190 stored, the blank line quarantined, the change at line 142."""
    log, dataset = tmp_path / "access.log", tmp_path / "events"
    log.write_text(_combined(0, 100))
    _settled(log)
    assert ingest([log], dataset).records == 100
    with log.open("a") as handle:
        handle.write(_combined(100, 20) + "\n" + _combined(120, 20) + _json(140, 150))
    _settled(log)
    report = ingest([log], dataset)
    assert (report.lines, report.records, sum(report.rejected.values())) == (191, 190, 1)
    assert "read as nginx-json from line 142 on" in report.warnings[0]
    assert _orders(dataset) == list(range(290))
