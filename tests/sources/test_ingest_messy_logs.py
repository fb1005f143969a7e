"""Ingest against messy log directories: odd .gz files, logs compressed otherwise, a log whose
format changed, rejected JSON lines that carry credentials. Expected values are worked out by
hand from the lines."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import apislo
from apislo.errors import FilesRefusedError
from apislo.sources.ingest import ingest, quarantine_path
from tests.sources.logs.test_bom_and_quotes import RECORDS


def _line(second: int, path: str, timing: str = "") -> str:
    """An NGINX ``combined`` line at 12:00:SS +0100 (11:00:SS UTC), status 200, 512 bytes;
    ``timing`` appends ``nginx-timed``'s ``$request_time $upstream_response_time``."""
    return (
        f'10.0.0.1 - - [01/Nov/2026:12:00:{second:02d} +0100] "GET {path} HTTP/1.1" 200 512 '
        f'"-" "curl/8.5"{timing}\n'
    )


def test_an_empty_gz_file_is_skipped_not_a_crash(tmp_path: Path) -> None:
    """A 0-byte ``access.log.1.gz`` (compression killed, disk full) holds no line: the run
    skips it as empty and stores the live log's 2 lines (it used to stop the whole run with
    ``OSError: [Errno 22] Invalid argument`` reading the gzip trailer)."""
    (tmp_path / "access.log.1.gz").write_bytes(b"")
    live = tmp_path / "access.log"
    live.write_text(_line(1, "/v1/orders/1") + _line(2, "/v1/orders/2"))
    report = ingest([tmp_path], tmp_path / "events", "nginx-combined")
    assert report.unchanged == [str(tmp_path / "access.log.1.gz")]
    assert (report.files, report.records) == (1, 2)


def test_a_gz_of_several_members_rotated_after_a_partial_read_is_read_to_its_end(
    tmp_path: Path,
) -> None:
    """access.log is read at 2 lines, gets a 3rd, is rotated and compressed by a tool that
    writes one gzip member per block (``bgzip``; ``cat a.gz b.gz``). gzip's trailer (ISIZE)
    then gives the last member's size, one line, fewer bytes than the 2 lines read: the file
    was taken as read and its 3rd line lost. Expected: the 3rd line (second 3) is added."""
    first, second, third = (_line(s, f"/v1/orders/{s}") for s in (1, 2, 3))
    assert len(third.encode()) < len((first + second).encode())  # what fooled the size check
    log = tmp_path / "access.log"
    log.write_text(first + second)
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 2
    log.unlink()
    rotated = tmp_path / "access.log.1.gz"
    rotated.write_bytes(gzip.compress((first + second).encode()) + gzip.compress(third.encode()))
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert (report.lines, report.records) == (1, 1)
    assert apislo.load(dataset)["ts"].tolist() == [
        pd.Timestamp(f"2026-11-01 11:00:0{s}", tz="UTC") for s in (1, 2, 3)
    ]
    again = ingest([tmp_path], dataset, "nginx-combined")  # read again, nothing added twice
    assert again.records == 0
    assert len(apislo.load(dataset)) == 3


def test_a_member_appended_of_the_size_already_read_is_read(tmp_path: Path) -> None:
    """A shipper appends gzip members of fixed-size batches to one ``.gz``: after the first
    batch (2 lines) was read, a second batch of the same size was appended. Its trailer's
    size (the last member's) equalled what was read, so the file was taken as read and the
    batch never stored (the QA's case lost 1,000 lines). Expected: the 2 new lines."""
    batch_1 = _line(1, "/v1/orders/1") + _line(2, "/v1/orders/2")
    batch_2 = _line(3, "/v1/orders/3") + _line(4, "/v1/orders/4")
    assert len(batch_1) == len(batch_2)
    log = tmp_path / "shipped.log.gz"
    log.write_bytes(gzip.compress(batch_1.encode()))
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 2
    log.write_bytes(log.read_bytes() + gzip.compress(batch_2.encode()))
    report = ingest([log], dataset, "nginx-combined")
    assert (report.files, report.lines, report.records) == (1, 2, 2)
    assert apislo.load(dataset)["ts"].tolist() == [
        pd.Timestamp(f"2026-11-01 11:00:0{s}", tz="UTC") for s in (1, 2, 3, 4)
    ]
    again = ingest([log], dataset, "nginx-combined")  # read to its end now, and known so
    assert (again.files, again.records, again.unchanged) == (0, 0, [str(log)])


def test_a_gz_and_a_longer_gz_that_starts_with_it_are_stored_once_and_stay_known(
    tmp_path: Path,
) -> None:
    """``a.gz`` read, then ``c.gz`` = ``a.gz`` + ``b.gz`` (``cat``) beside it: c's own lines
    are stored once, and later runs find both unchanged (they took turns as "new", decompressed
    on every run, reported as 1 file with 0 lines)."""
    a_lines = _line(1, "/v1/orders/1") + _line(2, "/v1/orders/2")
    b_lines = _line(3, "/v1/orders/3")
    (tmp_path / "a.gz").write_bytes(gzip.compress(a_lines.encode()))
    (tmp_path / "c.gz").write_bytes(
        gzip.compress(a_lines.encode()) + gzip.compress(b_lines.encode())
    )
    logs, dataset = [tmp_path / "a.gz", tmp_path / "c.gz"], tmp_path / "events"
    assert ingest(logs, dataset, "nginx-combined").records == 3  # a's 2, then c's 3rd
    for _ in range(2):
        again = ingest(logs, dataset, "nginx-combined")
        assert (again.files, again.records, again.unchanged) == (0, 0, [str(p) for p in logs])
    assert len(apislo.load(dataset)) == 3


def test_a_log_compressed_after_it_was_read_is_known_without_reading_it_again(
    tmp_path: Path,
) -> None:
    """logrotate's ``delaycompress``: ``access.log.1`` read to its end, then compressed to
    ``access.log.2.gz``: nothing new (decompressed once to be sure), nothing stored twice."""
    lines = _line(1, "/v1/orders/1") + _line(2, "/v1/orders/2")
    (tmp_path / "access.log.1").write_text(lines)
    dataset = tmp_path / "events"
    assert ingest([tmp_path], dataset, "nginx-combined").records == 2
    (tmp_path / "access.log.1").unlink()
    (tmp_path / "access.log.2.gz").write_bytes(gzip.compress(lines.encode()))
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert (report.files, report.records) == (0, 0)
    assert report.unchanged == [str(tmp_path / "access.log.2.gz")]
    assert len(apislo.load(dataset)) == 2


def test_a_file_name_with_a_line_break_is_read(tmp_path: Path) -> None:
    """A name holding a newline stopped the whole run with an AssertionError (the rotation
    order's pattern did not match it)."""
    (tmp_path / "odd\nname.log").write_text(_line(1, "/v1/orders/1"))
    (tmp_path / "access.log").write_text(_line(2, "/v1/orders/2"))
    report = ingest([tmp_path], tmp_path / "events", "nginx-combined")
    assert (report.files, report.records) == (2, 2)


def test_a_gz_with_garbage_after_its_members_or_only_its_first_byte_says_so(
    tmp_path: Path,
) -> None:
    """Data that is not gzip after a member was blamed on a file "cut short"; a .gz holding
    only its first byte (caught as it was being written) was called "not gzip-compressed"."""
    garbage = tmp_path / "garbage.log.gz"
    garbage.write_bytes(gzip.compress(_line(1, "/v1/orders/1").encode()) + b"garbage\n")
    first_byte = tmp_path / "first-byte.log.gz"
    first_byte.write_bytes(b"\x1f")
    for log, message in (
        (
            garbage,
            f"{garbage}: cannot read: Not a gzipped file (b'ga'): data that is not gzip follows "
            "its gzip data (appended garbage?); nothing of it was stored: `zcat` reads what "
            "comes before, so `zcat FILE | gzip > NEW.gz` and ingest that",
        ),
        (
            first_byte,
            f"{first_byte}: cannot read: Not a gzipped file (b'\\x1f') (a .gz file cut short, "
            "or still being written?)",
        ),
    ):
        with pytest.raises(FilesRefusedError) as caught:
            ingest([log], tmp_path / "events", "nginx-combined")
        assert str(caught.value.errors[str(log)]) == message


def test_a_named_format_wins_over_the_one_the_dataset_remembers(tmp_path: Path) -> None:
    """The operator adds ``$request_time $upstream_response_time`` to the ``log_format`` and
    reloads NGINX: access.log goes on in ``nginx-timed``. The run that resumes it with the
    remembered ``nginx-combined`` refuses it (all new lines rejected) and says "check --format";
    ``--format nginx-timed`` was then ignored for a file the dataset knew, so the log was stuck.
    Expected: the new line is read as ``nginx-timed``: latency 0.250 s, start = 11:00:05 UTC
    logged end - 0.250 s = 11:00:04.750."""
    log = tmp_path / "access.log"
    log.write_text(_line(1, "/v1/orders/1"))
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "auto").formats == {str(log): "nginx-combined"}
    with open(log, "a") as handle:
        handle.write(_line(5, "/v1/orders/5", timing=" 0.250 0.200"))
    report = ingest([log], dataset, "nginx-timed")
    assert (report.records, report.formats) == (1, {str(log): "nginx-timed"})
    events = apislo.load(dataset)
    assert events["latency_s"].tolist()[1] == 0.25
    assert events["ts"].tolist()[1] == pd.Timestamp("2026-11-01 11:00:04.750", tz="UTC")
    assert events["gateway"].tolist() == ["nginx-combined", "nginx-timed"]


def test_credentials_in_json_members_of_quarantined_lines_are_redacted(tmp_path: Path) -> None:
    """Kong's file-log writes the query string again as an object and the request headers
    (key-auth's ``apikey``, ``authorization``); API Gateway's ``apiKey`` is the key itself.
    A rejected line (status ``abc``) kept them in clear in the quarantine; each value must read
    ``REDACTED`` there, the rest of the line unchanged."""
    kong = {
        "request": {
            "method": "GET",
            "uri": "/v1/orders/2?apikey=SECRET1",
            "querystring": {"apikey": "SECRET1"},
            "headers": {"apikey": "SECRET2", "Authorization": "Bearer SECRET3", "host": "h"},
        },
        "response": {"status": "abc", "size": 20},
        "latencies": {"request": 12, "proxy": 10, "kong": 2},
        "started_at": 1793527200000,
        "service": {"name": "orders"},
    }
    log = tmp_path / "kong.json"
    log.write_text(json.dumps(kong) + "\n")
    aws = {"requestId": "r1", "requestTime": "bad", "httpMethod": "GET", "apiKey": "SECRET4"}
    aws_log = tmp_path / "apigw.json"
    aws_log.write_text(json.dumps(aws) + "\n")
    dataset = tmp_path / "events"
    ingest([log], dataset, "kong-json", max_reject_rate=1)
    ingest([aws_log], dataset, "aws-apigw-json", max_reject_rate=1)
    text = quarantine_path(dataset).read_text()
    assert "SECRET" not in text
    kong_row, aws_row = (json.loads(json.loads(row)["line"]) for row in text.splitlines())
    request = kong_row["request"]
    assert request["uri"] == "/v1/orders/2?apikey=REDACTED"
    assert request["querystring"] == {"apikey": "REDACTED"}
    assert request["headers"] == {"apikey": "REDACTED", "Authorization": "REDACTED", "host": "h"}
    assert kong_row["response"] == {"status": "abc", "size": 20}
    assert kong_row["service"] == {"name": "orders"}
    assert aws_row == {**aws, "apiKey": "REDACTED"}


@pytest.mark.parametrize(
    ("name", "compress", "says"),
    [
        ("access.log.1", gzip.compress, "gzip-compressed but its name does not end in .gz"),
        ("access.log.2.xz", lzma.compress, "xz-compressed"),
        ("access.log.3.bz2", bz2.compress, "bzip2-compressed"),
    ],
)
def test_a_log_compressed_otherwise_than_gz_is_refused_saying_so(
    tmp_path: Path, name: str, compress: Callable[[bytes], bytes], says: str
) -> None:
    """logrotate's ``compresscmd xz`` (or a .gz renamed without its suffix) gives files whose
    bytes are not text: they were refused as "no log format recognises this file ... Pass
    --format NAME", which no format fixes. The error names the compression instead, and the
    plain log beside them is stored."""
    (tmp_path / name).write_bytes(compress(_line(1, "/v1/orders/1").encode()))
    (tmp_path / "access.log").write_text(_line(2, "/v1/orders/2"))
    with pytest.raises(FilesRefusedError) as caught:
        ingest([tmp_path], tmp_path / "events")
    (error,) = caught.value.errors.values()
    assert str(error).startswith(f"{tmp_path / name}: this file is {says}")
    assert caught.value.report.records == 1


@pytest.mark.parametrize(
    ("compress", "says"),
    [(lzma.compress, "named .gz but xz-compressed"), (bytes, "named .gz but not gzip-compressed")],
)
def test_a_gz_that_is_not_gzip_says_what_it_is(
    tmp_path: Path, compress: Callable[[bytes], bytes], says: str
) -> None:
    """An xz file (or plain text) under a ``.gz`` name was "cannot read: Not a gzipped file
    (b'\\xfd7') (a .gz file cut short, or still being written?)", which points at the wrong
    cause."""
    (tmp_path / "access.log.2.gz").write_bytes(compress(_line(1, "/v1/orders/1").encode()))
    (tmp_path / "access.log").write_text(_line(2, "/v1/orders/2"))
    with pytest.raises(FilesRefusedError) as caught:
        ingest([tmp_path], tmp_path / "events")
    (error,) = caught.value.errors.values()
    assert str(error).startswith(f"{tmp_path / 'access.log.2.gz'}: {says}; apislo reads plain")
    assert caught.value.report.records == 1


@pytest.mark.parametrize(
    ("name", "codec", "says"),
    [
        ("access.log.1", "utf-16", "UTF-16"),  # a byte order mark, little-endian
        ("access.log.2", "utf-16-le", "UTF-16LE"),  # none: NULs after each ASCII byte
        ("access.log.3.gz", "utf-16-be", "UTF-16BE"),  # (decompressed), NULs before
    ],
)
def test_a_utf16_log_is_refused_saying_how_to_convert_it(
    tmp_path: Path, name: str, codec: str, says: str
) -> None:
    """A log saved as "Unicode" by a Windows tool (PowerShell's ``>``) was refused as "no log
    format recognises this file (best matches: nginx-combined 0%...)". The error says it is
    UTF-16 and how to convert it; the plain log beside it is stored."""
    data = (_line(1, "/v1/orders/1") + _line(2, "/v1/orders/2")).encode(codec)
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    (tmp_path / "access.log").write_text(_line(3, "/v1/orders/3"))
    with pytest.raises(FilesRefusedError) as caught:
        ingest([tmp_path], tmp_path / "events")
    (error,) = caught.value.errors.values()
    assert str(error) == (
        f"{tmp_path / name}: this file is {says} text; apislo reads UTF-8 logs: convert it "
        f"(iconv -f {says} -t UTF-8 FILE > NEW) and ingest that"
    )
    assert caught.value.report.records == 1


def test_with_format_auto_a_changed_log_format_is_detected_from_where_reading_resumes(
    tmp_path: Path,
) -> None:
    """The same change of ``log_format`` as above, with ``--format auto`` (a cron job's usual
    call): the new line failed the remembered ``nginx-combined`` and the file was refused at
    every run. What follows what was read is detected anew: one ``nginx-timed`` request, start
    11:00:05 UTC - 0.250 s, and a warning naming the line it changed at (line 2)."""
    log = tmp_path / "access.log"
    log.write_text(_line(1, "/v1/orders/1"))
    dataset = tmp_path / "events"
    assert ingest([log], dataset).formats == {str(log): "nginx-combined"}
    with open(log, "a") as handle:
        handle.write(_line(5, "/v1/orders/5", timing=" 0.250 0.200"))
    report = ingest([log], dataset)
    assert (report.records, report.formats) == (1, {str(log): "nginx-timed"})
    assert report.warnings == [
        f"{log}: read as nginx-timed from line 2 on: its lines are no longer nginx-combined"
    ]
    events = apislo.load(dataset)
    assert events["ts"].tolist()[1] == pd.Timestamp("2026-11-01 11:00:04.750", tz="UTC")


def test_a_stray_line_appended_to_a_live_log_waits_for_the_lines_after_it(
    tmp_path: Path,
) -> None:
    """A blank line appended to a log read before is 1 of 1 new lines rejected: no change of
    format, so the run neither refuses the file (a cron job's false failure) nor stores it;
    it says so. With the next request after it, both are read: 1 request stored, the blank
    line quarantined as line 3. A hundred new lines of garbage refuse the file as before."""
    log = tmp_path / "access.log"
    log.write_text(_line(1, "/a") + _line(2, "/b"))
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 2
    with open(log, "a") as handle:
        handle.write("\n")
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, report.rejected, report.refused) == (0, {}, {})
    assert report.warnings == [
        f"{log}: 1 of its 1 new lines are not nginx-combined requests: left for the next run"
        " (the file is refused once 100 new lines are mostly rejected)"
    ]
    with open(log, "a") as handle:
        handle.write(_line(4, "/c"))
    report = ingest([log], dataset, "nginx-combined")
    assert (report.records, report.rejected, report.warnings) == (1, {"not_a_request": 1}, [])
    quarantined = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [(q["line_no"], q["line"]) for q in quarantined] == [(3, "")]
    with open(log, "a") as handle:
        handle.write("garbage\n" * 100)
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], dataset, "nginx-combined")
    assert "100 of 100 lines (100.0%) are not nginx-combined requests" in str(
        caught.value.errors[str(log)]
    )


def test_the_reject_rate_of_batched_records_counts_records_not_lines(tmp_path: Path) -> None:
    """Twenty Kong http-log lines, each a batch of ten requests one of which has a status that
    is no number: 20 of 200 records (10 %) rejected, under the 50 % allowed, so 180 requests
    are stored. Counted against the 20 lines, the 20 rejects read as 100 % and the whole file
    was refused. Eighteen bad of twenty in every batch (90 %) is refused, in records."""

    def batch(first: int, bad: int) -> str:
        records = [
            {
                "request": {"method": "GET", "uri": f"/v2/orders/{first + j}"},
                "response": {"status": "oops" if j < bad else 200},
                "latencies": {"request": 10, "proxy": 8},
                "started_at": 1794998885000 + first + j,
            }
            for j in range(10)
        ]
        return json.dumps(records) + "\n"

    log = tmp_path / "kong.log"
    log.write_text("".join(batch(10 * b, 1) for b in range(20)))
    report = ingest([log], tmp_path / "events", "kong-json")
    assert (report.lines, report.records, report.rejected) == (20, 180, {"bad_number": 20})
    worse = tmp_path / "worse.log"
    worse.write_text("".join(batch(10 * b, 9) for b in range(20)))
    with pytest.raises(FilesRefusedError) as caught:
        ingest([worse], tmp_path / "events", "kong-json")
    assert "180 of 200 records (in 20 lines) (90.0%) are not kong-json requests" in str(
        caught.value.errors[str(worse)]
    )


def _holed(path: Path, hole: int, text: str) -> None:
    """Write ``text`` after ``hole`` NUL bytes, as a writer not in append mode leaves a log
    that logrotate's ``copytruncate`` emptied under it (a sparse hole, as the kernel makes)."""
    with open(path, "wb") as handle:
        handle.seek(hole)
        handle.write(text.encode())


def test_logs_starting_with_nul_holes_are_told_apart(tmp_path: Path) -> None:
    """Two logs that begin with a NUL hole (1 MiB and 8 KiB) had the same fingerprint (4 KiB
    of NULs): the second was taken as read and its 2 lines were lost. The first one's format
    could not be detected either (no complete line in its first 1 MiB). Expected: a.log's 3
    and b.log's 2 requests, formats detected, and nothing more on a second run."""
    _holed(tmp_path / "a.log", 1 << 20, "".join(_line(s, f"/v1/orders/{s}") for s in (1, 2, 3)))
    _holed(tmp_path / "b.log", 8 << 10, "".join(_line(s, "/v1/users/7") for s in (4, 5)))
    dataset = tmp_path / "events"
    first = ingest([tmp_path / "a.log"], dataset)
    assert (first.records, first.formats) == (3, {str(tmp_path / "a.log"): "nginx-combined"})
    second = ingest([tmp_path / "b.log"], dataset)
    assert (second.records, second.unchanged) == (2, [])
    again = ingest([tmp_path], dataset)
    assert (again.records, len(again.unchanged)) == (0, 2)
    assert (
        sorted(apislo.load(dataset)["route"].tolist())
        == ["/v1/orders/{id}"] * 3 + ["/v1/users/{id}"] * 2
    )


def test_copytruncate_generations_of_a_log_written_without_append(tmp_path: Path) -> None:
    """access.log (after a 64 KiB hole) is read at lines 1-2. logrotate copies it to
    access.log.1 with line 3, written since, and truncates it; the writer goes on at its
    offset, so the live file is a longer hole, then line 4. Expected on the next run: line 3
    from access.log.1 (resumed where the live file was read to) and line 4 from the new
    generation: 2 requests, 4 in the dataset, each once; the rejected line 2 of the new
    generation is numbered 2 in the quarantine (the hole holds no line)."""
    lines = [_line(s, f"/v1/orders/{s}") for s in (1, 2, 3, 4)]
    live = tmp_path / "access.log"
    _holed(live, 64 << 10, lines[0] + lines[1])
    dataset = tmp_path / "events"
    assert ingest([live], dataset, "nginx-combined").records == 2
    copied = tmp_path / "access.log.1"
    _holed(copied, 64 << 10, lines[0] + lines[1] + lines[2])
    _holed(live, copied.stat().st_size, lines[3] + "garbage\n")
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert (report.lines, report.records, report.rejected) == (3, 2, {"not_a_request": 1})
    seconds = sorted(t.second for t in apislo.load(dataset)["ts"])
    assert seconds == [1, 2, 3, 4]
    rejected = json.loads(quarantine_path(dataset).read_text())
    assert (rejected["file"], rejected["line_no"]) == (str(live), 2)


def test_a_gz_and_read_logs_skip_a_leading_nul_run(tmp_path: Path) -> None:
    """A rotated, compressed copy of such a log (2 MiB of NULs, then 2 lines; detection saw no
    complete line in its first 1 MiB) is detected and read, with ``apislo.ingest`` and with
    ``apislo.read_logs``: 2 requests at 11:00:01 and 11:00:02 UTC."""
    rotated = tmp_path / "access.log.2.gz"
    lines = (_line(1, "/a") + _line(2, "/b")).encode()
    rotated.write_bytes(gzip.compress(bytes(2 << 20) + lines))
    report = ingest([rotated], tmp_path / "events")
    assert (report.records, report.formats) == (2, {str(rotated): "nginx-combined"})
    events = apislo.read_logs(rotated)
    assert events["ts"].tolist() == [
        pd.Timestamp("2026-11-01 11:00:01", tz="UTC"),
        pd.Timestamp("2026-11-01 11:00:02", tz="UTC"),
    ]


def test_a_gz_of_several_members_read_to_its_end_is_not_read_again(tmp_path: Path) -> None:
    """gzip's size trailer covers only the last member, so a multi-member ``.gz`` read to its
    end did not look read, and every later run decompressed all of it again to add nothing
    (and counted it among the files read). Its size on disk is remembered: a second run skips
    it, unchanged, reading no file; a member appended since is still read (1 more request)."""
    rotated = tmp_path / "access.log.1.gz"
    members = [gzip.compress(_line(s, f"/v1/orders/{s}").encode()) for s in (1, 2)]
    rotated.write_bytes(b"".join(members))
    dataset = tmp_path / "events"
    assert ingest([rotated], dataset, "nginx-combined").records == 2
    again = ingest([rotated], dataset, "nginx-combined")
    assert (again.files, again.records, again.unchanged) == (0, 0, [str(rotated)])
    with open(rotated, "ab") as handle:
        handle.write(gzip.compress(_line(3, "/v1/orders/3").encode()))
    grown = ingest([rotated], dataset, "nginx-combined")
    assert (grown.files, grown.records, grown.unchanged) == (1, 1, [])


def _as_before(dataset: Path) -> None:
    """Rewrite the dataset's one state entry as ingest wrote it before content skipped leading
    NULs: fingerprinted from byte 0 (at most 4 KiB and what was read), no new fields."""
    import hashlib

    state_file = dataset / "_apislo_state.json"
    (entry,) = json.loads(state_file.read_text())["files"]
    first = Path(entry["path"]).read_bytes()[: min(entry["offset"], 4096)]
    written_since = (
        "prefix_start",
        "gz_size",
        "gz_identity",
        "tail_sha256",
        "head_lines",
        "tail_lines",
    )
    old = {k: v for k, v in entry.items() if k not in written_since}
    old.update(prefix_len=len(first), prefix_sha256=hashlib.sha256(first).hexdigest())
    state_file.write_text(json.dumps({"files": [old]}))


@pytest.mark.parametrize("hole", [100, 8192])
def test_a_dataset_ingested_before_content_skipped_nuls_stores_no_holed_log_twice(
    tmp_path: Path, hole: int
) -> None:
    """A state entry written before (no ``prefix_start``) fingerprinted a holed log from its
    first byte: 4 KiB of NULs, or 100 NULs and the 3 lines. It must still know the log:
    nothing added on the next run (3 requests stay 3), then 1 request when a line is appended,
    and the entry is then rewritten with where the content starts."""
    log = tmp_path / "access.log"
    _holed(log, hole, "".join(_line(s, f"/v1/orders/{s}") for s in (1, 2, 3)))
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 3
    _as_before(dataset)
    again = ingest([log], dataset, "nginx-combined")
    assert (again.records, again.unchanged) == (0, [str(log)])
    with open(log, "a") as handle:
        handle.write(_line(4, "/v1/orders/4"))
    grown = ingest([log], dataset, "nginx-combined")
    assert grown.records == 1
    assert len(apislo.load(dataset)) == 4
    (entry,) = json.loads((dataset / "_apislo_state.json").read_text())["files"]
    assert entry["prefix_start"] == hole


def test_a_gz_read_to_its_end_is_known_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rotated ``.gz`` of a holed log (8 MiB of NULs, then 2 lines) had its hole decompressed
    on every run to fingerprint it. Read to its end, it is known by its size on disk and its
    gzip trailer (CRC-32 and size): the next run reads no head of it, renamed too."""
    import apislo.sources.ingest as ingest_module

    rotated = tmp_path / "access.log.1.gz"
    text = (_line(1, "/a") + _line(2, "/b")).encode()
    rotated.write_bytes(gzip.compress(bytes(8 << 20) + text))
    dataset = tmp_path / "events"
    assert ingest([rotated], dataset, "nginx-combined").records == 2
    heads: list[Path] = []
    read_content_head = ingest_module.read_content_head
    monkeypatch.setattr(
        ingest_module, "read_content_head", lambda p: heads.append(p) or read_content_head(p)
    )
    again = ingest([rotated], dataset, "nginx-combined")
    assert (again.records, again.unchanged, heads) == (0, [str(rotated)], [])
    renamed = rotated.rename(tmp_path / "access.log.2.gz")
    moved = ingest([renamed], dataset, "nginx-combined")
    assert (moved.records, moved.unchanged, heads) == (0, [str(renamed)], [])


def test_two_gz_files_of_one_size_and_time_are_both_read(tmp_path: Path) -> None:
    """Two hosts' rotated logs, unpacked from one archive: same compressed size (only a digit
    of the client address differs), same whole-second time (tar restores it). Known by size
    and time, the second was taken for the first and its 3 requests lost. Expected: 6."""
    for host in (1, 2):
        folder = tmp_path / f"host{host}"
        folder.mkdir()
        text = "".join(
            _line(s, f"/v1/orders/{s}").replace("10.0.0.1", f"10.0.0.{host}") for s in (1, 2, 3)
        )
        (folder / "access.log.1.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
        os.utime(folder / "access.log.1.gz", (1_793_514_300, 1_793_514_300))
    first, second = (tmp_path / f"host{h}" / "access.log.1.gz" for h in (1, 2))
    assert first.stat().st_size == second.stat().st_size
    dataset = tmp_path / "events"
    assert ingest([first.parent], dataset, "nginx-combined").records == 3
    assert ingest([second.parent], dataset, "nginx-combined").records == 3
    assert len(apislo.load(dataset)) == 6


def test_two_gz_files_sharing_their_last_member_and_size_are_both_read(tmp_path: Path) -> None:
    """bgzip ends every file with the same empty member, so the trailer (CRC-32 and size of the
    last member) of two hosts' logs is the same, and their sizes may be too (3 lines whose
    paths differ by a letter compress to the same size). Expected: host b's 3 requests are
    stored after host a's 3 (they were taken as known and lost)."""
    for host in "ab":
        folder = tmp_path / f"host{host}"
        folder.mkdir()
        text = "".join(_line(s, f"/host{host}/x") for s in (1, 2, 3))
        member = gzip.compress(text.encode(), mtime=0)
        (folder / "access.log.1.gz").write_bytes(member + gzip.compress(b"", mtime=0))
    first, second = (tmp_path / f"host{h}" / "access.log.1.gz" for h in "ab")
    assert first.stat().st_size == second.stat().st_size
    assert first.read_bytes()[-8:] == second.read_bytes()[-8:]
    dataset = tmp_path / "events"
    assert ingest([first], dataset, "nginx-combined").records == 3
    assert ingest([second], dataset, "nginx-combined").records == 3


def test_a_gz_known_by_its_fingerprint_is_known_the_quick_way_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """logrotate's ``delaycompress``: access.log.1 (a 4 MiB hole, 2 lines) is read, then
    compressed to access.log.2.gz. The first run finds the .gz by its content (one head read,
    nothing added); from then on it is known by size and trailer (no head read); it never
    was, and its hole was decompressed on every run."""
    import apislo.sources.ingest as ingest_module

    plain = tmp_path / "access.log.1"
    _holed(plain, 4 << 20, _line(1, "/a") + _line(2, "/b"))
    dataset = tmp_path / "events"
    assert ingest([plain], dataset, "nginx-combined").records == 2
    compressed = tmp_path / "access.log.2.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    heads: list[str] = []
    read_content_head = ingest_module.read_content_head
    monkeypatch.setattr(
        ingest_module, "read_content_head", lambda p: heads.append(p.name) or read_content_head(p)
    )
    runs = [ingest([compressed], dataset, "nginx-combined").records for _ in range(3)]
    assert (runs, heads) == ([0, 0, 0], ["access.log.2.gz"])


def test_read_logs_skips_an_empty_live_log_as_ingest_does(tmp_path: Path) -> None:
    """Just after rotation the live log is empty (or, under copytruncate, only NULs): reading
    the folder failed as a whole ("no complete line in its first 1 MiB, so its format cannot
    be detected"). Expected: the 2 requests of access.log.1, at 11:00:01 and 11:00:02 UTC."""
    (tmp_path / "access.log").write_bytes(b"")
    (tmp_path / "other.log").write_bytes(bytes(5000))
    (tmp_path / "access.log.1").write_text(_line(1, "/a") + _line(2, "/b"))
    events = apislo.read_logs(tmp_path)
    assert [t.second for t in events["ts"]] == [1, 2]


def test_after_an_upgrade_a_copytruncate_rotation_loses_no_line(tmp_path: Path) -> None:
    """app.log (an 8 KiB hole, lines 1-3) was read by the version before, whose entry covers
    4 KiB of NULs: it tells nothing of the content, so it is taken only for the file at its
    path. logrotate copies the log to app.log.1 and truncates it; the writer goes on past the
    old end (lines 4-5). Expected: the live file is a new generation (its hole starts past what
    was read): lines 4-5; the copy, at another path, is read again: lines 1-3 a second time,
    never lost; nothing more on the next run."""
    log = tmp_path / "app.log"
    _holed(log, 8192, "".join(_line(s, f"/v1/orders/{s}") for s in (1, 2, 3)))
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 3
    _as_before(dataset)
    data = log.read_bytes()
    (tmp_path / "app.log.1").write_bytes(data)
    _holed(log, len(data), _line(4, "/v1/orders/4") + _line(5, "/v1/orders/5"))
    runs = [ingest([tmp_path / "app.log.1", log], dataset, "nginx-combined").records]
    runs.append(ingest([tmp_path / "app.log.1", log], dataset, "nginx-combined").records)
    assert runs == [5, 0]
    assert sorted(t.second for t in apislo.load(dataset)["ts"]) == [1, 1, 2, 2, 3, 3, 4, 5]


def test_after_an_upgrade_a_grown_holed_log_adds_its_new_lines_only(tmp_path: Path) -> None:
    """Logs named after hosts, 10.0.0.1 and 10.0.0.2 (which read like rotations of one log
    "10.0.0"). 10.0.0.1 (a 5,000-byte hole, 50 lines) was read by the version before and has
    grown by 5 lines; 10.0.0.2 (a 4,500-byte hole, 80 lines) is new. Expected: 5 and 80."""
    x, y = tmp_path / "10.0.0.1", tmp_path / "10.0.0.2"
    _holed(x, 5000, "".join(_line(s % 60, "/xlog/a") for s in range(50)))
    dataset = tmp_path / "events"
    assert ingest([x], dataset, "nginx-combined").records == 50
    _as_before(dataset)
    with open(x, "a") as handle:
        handle.write("".join(_line(s, "/xlog/b") for s in range(5)))
    _holed(y, 4500, "".join(_line(s % 60, "/ylog/a") for s in range(80)))
    report = ingest([y, x], dataset, "nginx-combined")
    assert report.records == 85
    routes = apislo.load(dataset)["route"].value_counts().to_dict()
    assert routes == {"/xlog/a": 50, "/ylog/a": 80, "/xlog/b": 5}


def test_after_an_upgrade_another_holed_log_is_not_taken_for_a_known_one(tmp_path: Path) -> None:
    """svc-a.log (a 10 KiB hole, 3 alpha lines) was read by the version before: its entry
    covers 4 KiB of NULs, as would any log starting with a hole that long. svc-b.log (a 5 KiB
    hole, 2 beta lines, then 60 more so that it is longer than what was read of svc-a) appears
    after the upgrade. Expected: alpha 3 and beta 62, on the first run and after a second."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _holed(logs / "svc-a.log", 10 << 10, "".join(_line(s, "/alpha/x") for s in (1, 2, 3)))
    dataset = tmp_path / "events"
    assert ingest([logs], dataset, "nginx-combined").records == 3
    _as_before(dataset)
    _holed(logs / "svc-b.log", 5 << 10, "".join(_line(s % 60, "/beta/x") for s in range(62)))
    assert (logs / "svc-b.log").stat().st_size > (logs / "svc-a.log").stat().st_size
    first = ingest([logs], dataset, "nginx-combined")
    second = ingest([logs], dataset, "nginx-combined")
    assert (first.records, second.records) == (62, 0)
    assert apislo.load(dataset)["api"].value_counts().to_dict() == {"beta": 62, "alpha": 3}


@pytest.mark.parametrize("envelope", ["cri", "docker"])
def test_a_container_record_cut_at_the_end_of_a_live_log_waits_for_its_end(
    tmp_path: Path, envelope: str
) -> None:
    """A record split into two pieces (CRI ``P`` then ``F``; Docker's entries without, then
    with, a final newline) whose first piece ends a live log: the run stores the 2 requests
    before it and leaves the piece unread. Once the rest is written, the next run joins both:
    3 requests in all, as one read of the whole file gives (the first piece's line is the one
    reject, blank, as when the file is read at once). It was taken as a truncated line, and its
    end then as no request: 2 rejects, one request lost."""

    def piece(text: str, last: bool) -> str:
        if envelope == "cri":
            return f"2026-11-01T11:00:00.1Z stdout {'F' if last else 'P'} {text}\n"
        entry = {
            "log": text + ("\n" if last else ""),
            "stream": "stdout",
            "time": "2026-11-01T11:00:00Z",
        }
        return json.dumps(entry) + "\n"

    whole = _line(3, "/v1/orders/3").rstrip("\n")
    log = tmp_path / "c.log"
    log.write_text(
        piece(_line(1, "/a").rstrip("\n"), True)
        + piece(_line(2, "/b").rstrip("\n"), True)
        + piece(whole[:40], False)
    )
    dataset = tmp_path / "events"
    first = ingest([log], dataset, "nginx-combined")
    assert (first.lines, first.records, first.rejected) == (2, 2, {})
    with open(log, "a") as handle:
        handle.write(piece(whole[40:], True))
    second = ingest([log], dataset, "nginx-combined")
    assert (second.lines, second.records, second.rejected) == (2, 1, {"not_a_request": 1})
    assert apislo.load(dataset)["route"].tolist() == ["/a", "/b", "/v1/orders/{id}"]
    with pytest.warns(UserWarning, match="^1 lines were not requests"):
        assert len(apislo.read_logs(log, "nginx-combined")) == 3


def test_a_byte_order_mark_before_a_text_log_costs_no_line(tmp_path: Path) -> None:
    """A UTF-8 byte order mark (Notepad, PowerShell) before an Envoy log, whose lines start with
    ``[``: both lines are requests. The mark made the first line no request (JSON logs already
    skipped it)."""
    line = (
        '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100'
        ' "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80"\n'
    )
    log = tmp_path / "envoy.log"
    log.write_bytes(b"\xef\xbb\xbf" + (line * 2).encode())
    report = ingest([log], tmp_path / "events", "envoy-text")
    assert (report.lines, report.records, report.rejected) == (2, 2, {})
    assert len(apislo.read_logs(log, "envoy-text")) == 2


#: One request of each format whose detection the byte order mark defeated, as the only line
#: (the JSON ones those of the byte-order-mark reading tests).
_ONE_LINERS = {
    "envoy-text": (
        '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100'
        ' "10.0.35.28" "nsq2http" "cc21d9b0" "locations" "tcp://10.0.2.1:80"'
    ),
    **{name: RECORDS[name] for name in ("envoy-json", "kong-json", "tyk-json")},
}


@pytest.mark.parametrize("name", sorted(_ONE_LINERS))
def test_a_byte_order_mark_does_not_hide_the_format_of_a_one_line_log(
    tmp_path: Path, name: str
) -> None:
    """A log of one line after a byte order mark, its format left to detection: the mark is
    skipped in the sample too, so the line is recognised and stored. The sample kept it, the
    line then matched no format, and the file was refused ("no log format recognises this
    file") while its format, named, read it."""
    log = tmp_path / "one.log"
    log.write_bytes(b"\xef\xbb\xbf" + _ONE_LINERS[name].encode() + b"\n")
    report = ingest([log], tmp_path / "events")
    assert report.formats == {str(log): name}
    assert (report.lines, report.records, report.rejected) == (1, 1, {})
    assert len(apislo.read_logs(log)) == 1


@pytest.mark.parametrize("envelope", [False, True])
def test_a_json_line_nested_thousands_deep_is_rejected_not_a_crash(
    tmp_path: Path, envelope: bool
) -> None:
    """Two Kong records (plain, or each a Docker json-file line's ``log``), then a line of
    5,000 nested lists and one of 5,000 nested objects (a corrupt file, a JSON dump beside the
    logs): Python's JSON decoder gave up with a RecursionError in format detection, in reading
    and in the Docker envelope, a traceback that stopped the run. They are rejected
    ``bad_json``, the two records stored, by ``ingest`` and ``read_logs``."""
    record = (
        '{"request":{"method":"GET","uri":"/v2/orders"},"response":{"status":200},'
        '"latencies":{"request":7},"started_at":1794998885906}'
    )
    if envelope:
        record = json.dumps({"log": f"{record}\n", "stream": "stdout", "time": "2026-11-29T00:00Z"})
    lines = [record, record, "[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000]
    log = tmp_path / "kong.log"
    log.write_text("".join(f"{line}\n" for line in lines))
    report = ingest([log], tmp_path / "events", max_reject_rate=1.0)
    assert report.formats == {str(log): "kong-json"}
    assert (report.lines, report.records, report.rejected) == (4, 2, {"bad_json": 2})
    with pytest.warns(UserWarning, match="^2 lines were not requests"):
        assert len(apislo.read_logs(log)) == 2


def test_a_docker_log_with_an_escaped_lone_surrogate_or_newline_is_read_line_for_line(
    tmp_path: Path,
) -> None:
    """A Docker json-file log rewritten by another tool: line 1's path holds ``\\udcff`` (how
    Python's JSON writes an undecodable byte), line 2's user agent a newline, line 3 is no
    request. Until 2026-11-30 the first stopped the run with a ``UnicodeEncodeError``
    traceback, and the second was cut into two lines: two rejects for one request, and line 3
    quarantined as line 4 (4 records of 3 lines). Expected: 3 lines, 2 requests
    (``/v1/orders/caf`` + U+FFFD, an ``/a``), and the reject on line 3."""

    def entry(text: str) -> str:
        return json.dumps({"log": text, "stream": "stdout", "time": "2026-11-01T11:00:00Z"})

    first = entry(_line(1, "/v1/orders/caf\udcff"))
    second = entry(_line(2, "/a").replace("curl/8.5", "curl\nx"))
    log = tmp_path / "docker.log"
    third = entry("Proxy started.\n")
    log.write_text(f"{first}\n{second}\n{third}\n")
    dataset = tmp_path / "events"
    report = ingest([log], dataset, "nginx-combined", max_reject_rate=1)
    assert (report.lines, report.records, report.rejected) == (3, 2, {"not_a_request": 1})
    events = apislo.load(dataset)
    assert events["route"].tolist() == ["/v1/orders/caf\ufffd", "/a"]
    reject = json.loads(quarantine_path(dataset).read_text())
    assert (reject["line_no"], reject["line"]) == (3, "Proxy started.")
