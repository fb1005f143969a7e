"""`--max-reject-rate` is decided on all the lines of a file read in the run, so the decision is
the same on any number of CPUs and any chunk size: it used to be taken after the first chunks
(whose size comes from the CPU count), so a file whose first half was mostly rejects was
refused on two CPUs and stored on one. A file none of whose first 2,000 lines is a request is
still refused at once, read no further. Expected counts are worked out by hand from the lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import apislo
from apislo.errors import FilesRefusedError, RejectRateError
from apislo.sources import ingest as ingest_module
from apislo.sources.ingest import ingest, quarantine_path
from tests.sources import settled
from tests.sources.test_ingest import _line, _write


def _error(i: int) -> str:
    """An NGINX error-log line (about as long as a request line): not a request."""
    return f"2026/11/01 12:00:00 [error] 7#7: *{i} upstream timed out (110: Connection timed out)\n"


def _request(i: int) -> str:
    return _line(i % 60, f"/v1/orders/{i}", 200)


def _log(path: Path, count: int, rejected: list[bool]) -> Path:
    """``count`` lines: line ``i`` (0-based) an error line where ``rejected[i]``, else a
    request."""
    return _write(path, [_error(i) if rejected[i] else _request(i) for i in range(count)])


@pytest.fixture(
    params=[(1, 32 << 20), (2, 32 << 20), (4, 32 << 20), (2, 16 << 10)],
    ids=["1-cpu", "2-cpus", "4-cpus", "2-cpus-16-KiB"],
)
def cut(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """CPUs (1, 2, 4: one, two or four chunks of a file) and chunk size (16 KiB: 100-odd
    lines each); returns the chunk size to pass to :func:`ingest`."""
    workers, chunk_bytes = request.param
    monkeypatch.setattr(ingest_module, "WORKERS", workers)
    monkeypatch.setattr(ingest_module, "MIN_CHUNK_BYTES", 1)
    return chunk_bytes


def test_a_file_mostly_rejects_in_its_first_half_only_is_stored_on_any_cpu_count(
    tmp_path: Path, cut: int
) -> None:
    """6,000 lines: in the first 3,000, three in five are error lines (1,800), the last 3,000
    are requests. 1,800 of 6,000 is 30 %, under the 50 % allowed: 4,200 requests stored, the
    1,800 error lines quarantined (lines 1, 2, 3, 6, 7, 8... 2,998). On two CPUs the first
    chunk was the first half (60 % rejected) and the file was refused."""
    bad = [i < 3000 and i % 5 < 3 for i in range(6000)]
    log = _log(tmp_path / "access.log", 6000, bad)
    dataset = tmp_path / "events"
    report = ingest([log], dataset, "nginx-combined", chunk_bytes=cut)
    assert (report.lines, report.records, report.rejected) == (6000, 4200, {"not_a_request": 1800})
    assert len(apislo.load(dataset)) == 4200
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [r["line_no"] for r in rows] == [i + 1 for i in range(6000) if bad[i]]


def test_a_refused_file_is_named_with_the_counts_of_all_its_lines(tmp_path: Path, cut: int) -> None:
    """6,000 lines: two in five of the first 3,000 are error lines (1,200), four in five of the
    last 3,000 (2,400). 3,600 of 6,000 (60 %) is above 50 %: refused, the message giving those
    counts whatever the chunks (four chunks of 1,500 lines used to stop at 2,400 of 4,500)."""
    bad = [i % 5 < (2 if i < 3000 else 4) for i in range(6000)]
    log = _log(tmp_path / "access.log", 6000, bad)
    dataset = tmp_path / "events"
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], dataset, "nginx-combined", chunk_bytes=cut)
    error = caught.value.errors[str(log)]
    assert isinstance(error, RejectRateError)
    assert (error.rejected, error.lines, error.records) == (3600, 6000, 6000)
    assert str(error).startswith(
        f"{log}: 3,600 of 6,000 lines (60.0%) are not nginx-combined requests, above "
        "max_reject_rate 50.0%. Nothing from this file was added"
    )
    assert not list(dataset.glob("day=*")) and not quarantine_path(dataset).exists()


def test_the_rate_of_a_grown_file_is_that_of_its_new_lines(tmp_path: Path, cut: int) -> None:
    """3,000 requests stored, then 3,000 lines appended, three in five error lines: 1,800 of
    the 3,000 new lines (60 %) are rejected, so the new part is refused, named with those
    counts (the whole file, 1,800 of 6,000, would pass); the first 3,000 stay stored."""
    log = _log(tmp_path / "access.log", 3000, [False] * 3000)
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined", chunk_bytes=cut).records == 3000
    with open(log, "a") as handle:
        handle.write("".join(_error(i) if i % 5 < 3 else _request(i) for i in range(3000, 6000)))
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], dataset, "nginx-combined", chunk_bytes=cut)
    assert str(caught.value.errors[str(log)]).startswith(
        f"{log}: 1,800 of 3,000 lines (60.0%) are not nginx-combined requests"
    )
    assert len(apislo.load(dataset)) == 3000


def test_a_file_with_no_request_in_its_first_2000_lines_is_read_no_further(
    tmp_path: Path, cut: int
) -> None:
    """10,000 error lines read as nginx-combined: refused once its first 2,000 lines are read
    (whatever the chunks), the rest not parsed: less than half the file was read. With
    --max-reject-rate 1 nothing is refused: all 10,000 are read and quarantined."""
    log = _log(tmp_path / "error.log", 10000, [True] * 10000)
    read: list[int] = []
    with pytest.raises(FilesRefusedError) as caught:
        ingest(
            [log], tmp_path / "events", "nginx-combined", on_progress=read.append, chunk_bytes=cut
        )
    error = caught.value.errors[str(log)]
    assert str(error) == (
        f"{log}: none of the first 2,000 lines read is a nginx-combined request (100.0%, above "
        "max_reject_rate 50.0%), so it was read no further. Nothing from this file was added "
        "(its lines are not quarantined either); check format= (or log_format=)."
    )
    assert isinstance(error, RejectRateError)
    assert (error.rejected, error.lines, error.read_to_end) == (2000, 2000, False)
    if cut < 1 << 20:  # (one chunk per CPU: the file is read whole before any is done)
        # the steps of the chunks read, then the rest of the file, counted once it is refused
        assert sum(read[:-1]) < log.stat().st_size / 2 < read[-1]
    report = ingest([log], tmp_path / "lax", "nginx-combined", max_reject_rate=1.0)
    assert (report.lines, report.records, report.rejected) == (10000, 0, {"not_a_request": 10000})


def test_one_request_in_the_first_2000_lines_has_the_file_judged_on_all_of_them(
    tmp_path: Path, cut: int
) -> None:
    """One request then 1,999 error lines, then 6,000 requests: 1,999 of 8,000 (25 %) are
    rejected, so the file is stored (6,001 requests): it was refused after its first 2,000."""
    bad = [0 < i < 2000 for i in range(8000)]
    log = _log(tmp_path / "access.log", 8000, bad)
    report = ingest([log], tmp_path / "events", "nginx-combined", chunk_bytes=cut)
    assert (report.lines, report.records, report.rejected) == (8000, 6001, {"not_a_request": 1999})


def test_batches_with_a_bad_record_each_are_not_taken_for_lines_without_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,500 Kong http-log lines, each a batch of four requests one of which has a status that
    is no number: every one of the first 2,000 lines holds a reject, but also three requests.
    2,500 of 10,000 records (25 %) are rejected: 7,500 requests stored."""
    monkeypatch.setattr(ingest_module, "WORKERS", 2)
    monkeypatch.setattr(ingest_module, "MIN_CHUNK_BYTES", 1)

    def batch(first: int) -> str:
        records = [
            {
                "request": {"method": "GET", "uri": f"/v2/orders/{first + j}"},
                "response": {"status": "oops" if j == 0 else 200},
                "latencies": {"request": 10, "proxy": 8},
                "started_at": 1794998885000 + first + j,
            }
            for j in range(4)
        ]
        return json.dumps(records) + "\n"

    log = _write(tmp_path / "kong.log", [batch(4 * b) for b in range(2500)])
    report = ingest([log], tmp_path / "events", "kong-json", chunk_bytes=64 << 10)
    assert (report.lines, report.records, report.rejected) == (2500, 7500, {"bad_number": 2500})


@pytest.mark.parametrize(("rejected", "rate"), [(29, 0.29), (57, 0.57), (50, 0.5)])
def test_a_rate_exactly_at_the_limit_is_allowed(tmp_path: Path, rejected: int, rate: float) -> None:
    """100 lines, ``rejected`` of them error lines, at ``--max-reject-rate`` exactly that share:
    allowed, with or without ``--format``. Before, 0.29 x 100 (28.999...) refused 29 rejects, and
    detection asked 1 - 0.57 (0.43000000000000005) of the sample, more than 43 of 100."""
    log = _log(tmp_path / "access.log", 100, [i < rejected for i in range(100)])
    for fmt in ("nginx-combined", "auto"):
        report = ingest([log], tmp_path / fmt, fmt, max_reject_rate=rate)
        assert (report.records, report.rejected) == (100 - rejected, {"not_a_request": rejected})


def test_a_few_new_lines_not_mostly_rejected_are_held_to_a_strict_rate(tmp_path: Path) -> None:
    """A log read before gets 50 requests and 10 error lines (16.7 %) under
    ``--max-reject-rate 0.1``: refused, as the same 60 lines in a new file are. Only new lines
    that are mostly rejects (a stray line) escape the rate; these were read anyway."""
    log = _log(tmp_path / "access.log", 50, [False] * 50)
    settled(log)
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined", max_reject_rate=0.1).records == 50
    with log.open("a") as handle:
        handle.writelines([_request(i) for i in range(50, 100)] + [_error(i) for i in range(10)])
    settled(log)
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], dataset, "nginx-combined", max_reject_rate=0.1)
    assert str(caught.value.errors[str(log)]).startswith(
        f"{log}: 10 of 60 lines (16.7%) are not nginx-combined requests"
    )
    assert len(apislo.load(dataset)) == 50
