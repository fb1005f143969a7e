"""Ingest into a Parquet dataset: quarantine, fingerprints, resume, rotation, reject rate."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.errors import (
    ConfigError,
    FilesRefusedError,
    FormatDetectionError,
    IngestError,
    LogFormatNeededError,
    RejectRateError,
)
from apislo.model import EVENT_COLUMNS
from apislo.sources import ingest as ingest_module
from apislo.sources.files import Chunk
from apislo.sources.ingest import ParsedChunk, ingest, iter_file, quarantine_path
from apislo.sources.logs import ParseOptions
from tests.sources import settled


def _line(second: int, path: str, status: int, ip: str = "10.0.0.1") -> str:
    return (
        f'{ip} - - [01/Nov/2026:12:00:{second:02d} +0100] "GET {path} HTTP/1.1" {status} 512 '
        f'"-" "curl/8.5"\n'
    )


GOOD = [
    _line(1, "/v1/orders/17", 200),
    _line(2, "/v1/orders/18", 503),
    _line(3, "/v2/users/5", 404, ip="2001:db8::1"),
]
NOISE = ["this is not a request\n", "\n"]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def test_ingest_stores_requests_and_quarantines_the_rest(tmp_path: Path) -> None:
    log = _write(tmp_path / "access.log", [GOOD[0], NOISE[0], GOOD[1], NOISE[1], GOOD[2]])
    dataset = tmp_path / "events"
    report = ingest([log], dataset, "nginx-combined")
    assert (report.files, report.lines, report.records) == (1, 5, 3)
    assert sum(report.rejected.values()) == 2
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [(r["line_no"], r["line"]) for r in rows] == [(2, "this is not a request"), (4, "")]
    assert {r["file"] for r in rows} == {str(log)}
    events = apislo.load(dataset)
    # 12:00:01 +0100 is 11:00:01 UTC; combined has no $request_time, so ts is the logged time.
    assert events["ts"].tolist() == [
        pd.Timestamp(f"2026-11-01 11:00:0{s}", tz="UTC") for s in (1, 2, 3)
    ]
    assert events["route"].tolist() == ["/v1/orders/{id}", "/v1/orders/{id}", "/v2/users/{id}"]
    assert events["api"].tolist() == ["orders", "orders", "users"]
    assert events["status"].tolist() == [200, 503, 404]
    assert (dataset / "day=2026-11-01").is_dir()


def test_same_content_twice_adds_nothing_and_growth_is_resumed(tmp_path: Path) -> None:
    log = _write(tmp_path / "access.log", GOOD[:2])
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 2
    again = ingest([log], dataset, "nginx-combined")
    assert (again.records, again.unchanged) == (0, [str(log)])
    with open(log, "a") as handle:
        handle.write(NOISE[0] + GOOD[2])
    grown = ingest([log], dataset, "nginx-combined")
    assert (grown.lines, grown.records) == (2, 1)
    assert len(apislo.load(dataset)) == 3
    # The reject keeps its line number in the whole file (line 3), not in the new part.
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [r["line_no"] for r in rows] == [3]


def test_rotated_file_is_recognised_by_content(tmp_path: Path) -> None:
    log = _write(tmp_path / "access.log", GOOD[:2])
    dataset = tmp_path / "events"
    ingest([log], dataset, "nginx-combined")
    log.rename(tmp_path / "access.log.1")
    _write(tmp_path / "access.log", [GOOD[2]])
    report = ingest([tmp_path], dataset, "nginx-combined")
    assert report.unchanged == [str(tmp_path / "access.log.1")]
    assert report.records == 1
    assert len(apislo.load(dataset)) == 3


def test_gzip_and_auto_detection(tmp_path: Path) -> None:
    path = tmp_path / "access.log.2.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("".join(GOOD))
    report = ingest([path], tmp_path / "events", "auto")
    assert report.formats == {str(path): "nginx-combined"}
    assert report.records == 3


def test_files_detected_ahead_keep_their_turn_their_duplicates_and_their_errors(
    tmp_path: Path,
) -> None:
    # the next file's format is detected while the current one is parsed; what each file
    # gives must not change: b, a copy of a, is known once a is stored; d is refused, and
    # e, after it, is stored all the same
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder / "a.log", GOOD[:2])
    _write(folder / "b.log", GOOD[:2])
    _write(folder / "c.log", [GOOD[2]])
    _write(folder / "d.log", NOISE[:1] * 3)
    _write(folder / "e.log", [_line(9, "/v1/orders/19", 201)])
    dataset = tmp_path / "events"
    with pytest.raises(FilesRefusedError) as caught:
        ingest([folder], dataset, "auto")
    assert list(caught.value.errors) == [str(folder / "d.log")]
    assert isinstance(caught.value.errors[str(folder / "d.log")], FormatDetectionError)
    report = caught.value.report
    # a, c and e stored; d refused is not counted among the files (up to 2026-11-29 it was)
    assert (report.files, report.records, list(report.refused)) == (3, 4, [str(folder / "d.log")])
    assert list(report.formats) == [str(folder / n) for n in ("a.log", "c.log", "e.log")]
    # a's two, c's one, e's one
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404, 201]
    report = ingest([folder / "a.log", folder / "b.log", folder / "c.log"], dataset, "auto")
    assert (report.files, report.records) == (0, 0)
    assert report.unchanged == [str(folder / n) for n in ("a.log", "b.log", "c.log")]


def test_wrong_format_adds_nothing(tmp_path: Path) -> None:
    log = _write(tmp_path / "access.log", [GOOD[0]] + [NOISE[0]] * 3)
    dataset = tmp_path / "events"
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], dataset, "nginx-combined", max_reject_rate=0.5)
    error = caught.value.errors[str(log)]
    assert isinstance(error, RejectRateError)
    assert (error.rejected, error.lines) == (3, 4)
    assert str(error).endswith(
        "Nothing from this file was added (its lines are not quarantined either); check format= "
        "(or log_format=)."
    )
    assert not list(dataset.glob("day=*"))
    assert not quarantine_path(dataset).exists()
    # Nothing was remembered either: a later run with a laxer limit reads the whole file.
    assert ingest([log], dataset, "nginx-combined", max_reject_rate=0.9).records == 1


def test_format_detection_asks_no_more_of_the_sample_than_max_reject_rate(tmp_path: Path) -> None:
    # 2 requests in 5 non-blank lines: 40 % of the sample, below detection's usual half
    log = _write(tmp_path / "mixed.log", [GOOD[0], NOISE[0], GOOD[1], NOISE[0], NOISE[0]])
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], tmp_path / "strict", max_reject_rate=0.5)
    assert isinstance(caught.value.errors[str(log)], FormatDetectionError)
    # a user who tolerates 70 % of rejects gets the format that recognises 40 % of them
    report = ingest([log], tmp_path / "lax", max_reject_rate=0.7)
    assert (report.formats[str(log)], report.records, report.rejected) == (
        "nginx-combined",
        2,
        {"not_a_request": 3},
    )
    # a file no format recognises at all is still refused, however lax the limit
    garbage = _write(tmp_path / "garbage.log", [NOISE[0]] * 3)
    with pytest.raises(FilesRefusedError) as caught:
        ingest([garbage], tmp_path / "laxest", max_reject_rate=1.0)
    assert isinstance(caught.value.errors[str(garbage)], FormatDetectionError)


def test_load_filters_by_time_and_api(tmp_path: Path) -> None:
    dataset = tmp_path / "events"
    # ingest and load are both at the package's top, as the README shows them
    assert apislo.ingest([_write(tmp_path / "a.log", GOOD)], dataset, "nginx-combined").records == 3
    window = apislo.load(dataset, start="2026-11-01 11:00:02", end="2026-11-01 11:00:03")
    assert window["status"].tolist() == [503]
    assert apislo.load(dataset, apis=["users"])["status"].tolist() == [404]
    assert apislo.load(dataset, apis="orders")["status"].tolist() == [200, 503]
    assert apislo.load(dataset, apis=[]).empty  # no API asked for: no rows, not an error
    # a dataset written inside this one (--out data, then --out data/events) is not read with it
    apislo.ingest([_write(tmp_path / "b.log", GOOD[:1])], dataset / "events", "nginx-combined")
    assert len(apislo.load(dataset)) == 3


def test_load_takes_times_and_dates_and_refuses_what_is_no_time(tmp_path: Path) -> None:
    """A date bound is its midnight (UTC): from 2026-11-01 all 3 requests, until it none. An
    empty text raised a pandas error about NaT, and a number was read as nanoseconds since
    1970 (so every request was after it): both are refused naming the bound."""
    dataset = tmp_path / "events"
    apislo.ingest([_write(tmp_path / "a.log", GOOD)], dataset, "nginx-combined")
    assert len(apislo.load(dataset, start=dt.date(2026, 11, 1))) == 3
    assert apislo.load(dataset, end=dt.date(2026, 11, 1)).empty
    with pytest.raises(ConfigError, match=r"^start='' is not a time"):
        apislo.load(dataset, start="")
    with pytest.raises(ConfigError, match=r"^end=1794998885 is not a time"):
        apislo.load(dataset, end=1794998885)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^start='soon' is not a time .*: Unknown datetime"):
        apislo.load(dataset, start="soon")


def test_load_keeps_exactly_the_requests_from_start_until_end(tmp_path: Path) -> None:
    """Request times are whole microseconds: with requests at T and T + 1 us, a bound half a
    microsecond after T lies between them. Its nanoseconds were cut off (the bound read as T),
    so start let in the request at T, before it, and end left it out, though before it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from apislo.model import EVENT_SCHEMA

    t = pd.Timestamp("2025-01-01T00:00:00Z")
    tick = pd.Timedelta(microseconds=1)
    rows = {column: [None, None] for column in EVENT_SCHEMA.names}
    rows.update(ts=[t, t + tick], api=["a", "a"], status=[200, 201])
    (tmp_path / "day=2025-01-01").mkdir()
    pq.write_table(pa.table(rows, schema=EVENT_SCHEMA), tmp_path / "day=2025-01-01" / "p.parquet")
    half = pd.Timestamp("2025-01-01 00:00:00.0000005Z")
    assert apislo.load(tmp_path, start=half)["status"].tolist() == [201]
    assert apislo.load(tmp_path, end=half)["status"].tolist() == [200]
    assert apislo.load(tmp_path, start=t + tick)["status"].tolist() == [201]
    assert apislo.load(tmp_path, end=t + tick)["status"].tolist() == [200]
    assert apislo.load(tmp_path, start=t, end=t + 2 * tick)["status"].tolist() == [200, 201]
    # the last nanosecond time, an open end for some, overflowed pandas' ceil (since 2026-11-30)
    assert apislo.load(tmp_path, end=pd.Timestamp.max)["status"].tolist() == [200, 201]


@pytest.mark.parametrize("end", ["2026-11-01T11:00Z", "2026-11-01T12:00Z"])
def test_load_refuses_an_end_not_after_start(tmp_path: Path, end: str) -> None:
    """An end before (or at) the start loaded nothing, without a word."""
    with pytest.raises(ConfigError) as caught:
        apislo.load(tmp_path, start="2026-11-01T12:00Z", end=end)
    assert str(caught.value) == (
        f"end={end!r} ({end[:10]} {end[11:16]}:00+00:00) is not after "
        "start='2026-11-01T12:00Z' (2026-11-01 12:00:00+00:00): the span is start <= ts < end"
    )


def test_a_dataset_with_nothing_stored_loads_empty(tmp_path: Path) -> None:
    dataset = tmp_path / "events"
    assert (
        ingest(
            [_write(tmp_path / "a.log", NOISE)], dataset, "nginx-combined", max_reject_rate=1.0
        ).records
        == 0
    )
    events = apislo.load(dataset)
    assert len(events) == 0
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert str(events["status"].dtype) == "int16[pyarrow]"


def test_cli_a_file_gone_since_it_was_listed_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log rotated away between the listing and the run: the progress bar's size of it was a
    FileNotFoundError traceback; now the run says which file is gone, in one line."""
    import apislo.cli.ingest as cli_ingest

    log, gone = _write(tmp_path / "a.log", GOOD), tmp_path / "access.log.1"
    monkeypatch.setattr(
        cli_ingest, "list_logs", lambda paths, dataset, unlisted, empty: [log, gone]
    )
    result = CliRunner().invoke(main, ["ingest", str(tmp_path), "--out", str(tmp_path / "ev")])
    assert (result.exit_code, type(result.exception)) == (1, SystemExit)
    assert result.output.strip() == f"error: {gone}: no such file or directory"


def test_cli_json_output(tmp_path: Path) -> None:
    log = _write(tmp_path / "access.log", [GOOD[0], NOISE[0]])
    dataset = tmp_path / "events"
    result = CliRunner().invoke(main, ["ingest", str(log), "--out", str(dataset), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert {k: payload[k] for k in ("files", "lines", "records", "rejected")} == {
        "files": 1,
        "lines": 2,
        "records": 1,
        "rejected": {"not_a_request": 1},
    }
    assert payload["formats"] == {str(log): "nginx-combined"}
    assert payload["quarantine"] == str(quarantine_path(dataset))
    assert payload["dataset"] == str(dataset)


@pytest.mark.parametrize("case", ["missing", "inside", "locked", "log-format"])
def test_cli_json_says_what_error_stopped_the_run(tmp_path: Path, case: str) -> None:
    """An error that stops the whole run printed no JSON with --json (a script piping it into
    `jq` got nothing). It prints one object: the report of a run that stored nothing (an empty
    folder's warning, found before the error, in it) and `error`, the line still on stderr
    and the exit status as before (2 for a usage error)."""
    import fcntl

    log, empty = _write(tmp_path / "a.log", GOOD), tmp_path / "spool"
    empty.mkdir()
    dataset = tmp_path / "events"
    dataset.mkdir()
    paths, options, status = [str(empty), str(log)], ["--json"], 1
    if case == "missing":
        paths[1] = str(tmp_path / "nope.log")
        error = f"{tmp_path}/nope.log: no such file or directory"
    elif case == "inside":
        paths[1], status = str(dataset / "x.log"), 2
        error = (
            f"{dataset}/x.log: lies in the dataset being written ({dataset}, or its "
            f"quarantine), and a dataset's files are never read as logs: move the logs out of "
            f"{dataset}, or write the dataset elsewhere (--out)"
        )
    elif case == "locked":
        error = (
            f"{dataset}: another apislo ingest is writing to this dataset; run again when it "
            "has finished"
        )
    else:
        options += ["--format", "nginx-timed", "--log-format", "$remote_addr [$time_local]"]
        status = 2
        error = (
            "--log-format is the template of format nginx-custom; it cannot be read as "
            "--format nginx-timed (drop one of them)"
        )
    with open(dataset / "_apislo.lock", "a") as holder:
        if case == "locked":
            fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = CliRunner().invoke(main, ["ingest", *paths, "--out", str(dataset), *options])
    assert result.exit_code == status
    assert json.loads(result.stdout) == {  # (one object: two would not load)
        "dataset": str(dataset),
        "quarantine": f"{dataset}.quarantine.jsonl",
        "files": 0,
        "lines": 0,
        "records": 0,
        "rejected": {},
        "formats": {},
        "unchanged": [],
        "refused": {},
        "warnings": (
            []
            if case in ("inside", "log-format")  # (found before any folder is listed)
            else [
                f"{empty}: the folder holds no file (hidden ones and the dataset's own aside): "
                "nothing was read from it"
            ]
        ),
        "error": error,
    }
    assert result.stderr.endswith(f"rror: {error}\n")  # (click's usage error says "Error:")
    assert not list(dataset.glob("day=*"))


def test_an_error_that_stops_the_run_comes_after_the_warnings_found_before_it(
    tmp_path: Path,
) -> None:
    """An empty folder's warning was printed only in --json's object when an error stopped the
    run (a missing second path): without --json, not at all. It comes on stderr before the
    error, as in a run that goes through."""
    empty = tmp_path / "spool"
    empty.mkdir()
    missing = tmp_path / "nope.log"
    args = ["ingest", str(empty), str(missing), "--out", str(tmp_path / "events")]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"warning: {empty}: the folder holds no file (hidden ones and the dataset's own aside): "
        f"nothing was read from it\nerror: {missing}: no such file or directory\n"
    )


def test_an_ingest_where_files_cannot_be_locked_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On NFS without its lock daemon `flock` fails with ENOLCK: `apislo ingest` stopped with
    an OSError traceback (and no JSON with --json). It is one line naming the lock file, the
    JSON object carries it, and nothing is stored."""
    import errno
    import fcntl
    import os

    def flock(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(fcntl, "flock", flock)
    log, dataset = _write(tmp_path / "a.log", GOOD), tmp_path / "events"
    result = CliRunner().invoke(main, ["ingest", str(log), "--out", str(dataset), "--json"])
    error = (
        f"cannot lock {dataset}/_apislo.lock: No locks available: its file system keeps no "
        "file locks (flock); put it on one that does, such as a local disk"
    )
    assert (result.exit_code, result.stderr) == (1, f"error: {error}\n")
    assert json.loads(result.stdout)["error"] == error
    assert not list(dataset.glob("day=*"))


def test_a_named_pipe_as_the_dataset_lock_is_no_hang(tmp_path: Path) -> None:
    """The dataset's lock file was opened for writing in blocking mode: a named pipe in its
    place made `apislo ingest` wait for a reader forever. Opened for reading and writing, as a
    lock file is since 2026-11-30 (another user's is locked read-only), a pipe opens at once
    on Linux and locks as a file does (``flock`` locks its inode): the run stores its lines.
    (From 2026-11-29 to 2026-11-30 it was refused: ``cannot write .../_apislo.lock: No such
    device or address``.)"""
    import os
    import threading

    log, dataset = _write(tmp_path / "a.log", GOOD), tmp_path / "events"
    dataset.mkdir()
    os.mkfifo(dataset / "_apislo.lock")
    outcome = {}

    def run() -> None:
        outcome["result"] = CliRunner().invoke(main, ["ingest", str(log), "--out", str(dataset)])

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive()
    result = outcome["result"]
    assert (result.exit_code, result.stderr) == (0, "")
    assert pl.read_parquet(dataset / "day=*" / "*.parquet").height == len(GOOD)


def test_cli_json_writes_a_path_that_is_not_utf8_as_an_escape(tmp_path: Path) -> None:
    """A file name holding the byte 0xFF (not UTF-8) reached the JSON object as that byte, so
    the object was no JSON (`json.loads` refused all of it), or, on a strict stream, a
    `UnicodeEncodeError` printed nothing. The byte is written `\\udcff`, which reads back as
    the path's text (`os.fsdecode`): as the stored log's name in `formats`, and in `error`."""
    import os

    log = _write(tmp_path / os.fsdecode(b"a\xff.log"), GOOD)
    missing = tmp_path / os.fsdecode(b"b\xff.log")
    dataset = tmp_path / "events"
    for path, key, expected in [
        (log, "formats", {str(log): "nginx-combined"}),
        (missing, "error", f"{missing}: no such file or directory"),
    ]:
        result = CliRunner().invoke(main, ["ingest", str(path), "--out", str(dataset), "--json"])
        assert b"\\udcff.log" in result.stdout_bytes
        assert json.loads(result.stdout_bytes)[key] == expected


def test_cli_json_says_why_the_command_line_cannot_be_read(tmp_path: Path) -> None:
    """Click's own usage errors (a value out of range, a missing argument) printed no JSON
    either: `{"error": ...}` alone, as nothing of the run is known; the usage on stderr."""
    args = ["ingest", str(tmp_path), "--out", str(tmp_path / "events"), "--json"]
    result = CliRunner().invoke(main, [*args, "--max-reject-rate", "2"])
    error = "Invalid value for '--max-reject-rate': 2.0 is not in the range 0<=x<=1."
    assert (result.exit_code, json.loads(result.stdout)) == (2, {"error": error})
    assert result.stderr.endswith(f"\nError: {error}\n")
    result = CliRunner().invoke(main, ["ingest", "--json"])
    assert (result.exit_code, json.loads(result.stdout)) == (
        2,
        {"error": "Missing argument 'PATHS...'."},
    )
    # `--json` after `--` is a path, not the flag
    result = CliRunner().invoke(main, ["ingest", "--", "--json"])
    assert (result.exit_code, result.stdout) == (2, "")


def test_cli_stores_the_other_files_and_fails_on_a_refused_one(tmp_path: Path) -> None:
    """good, garbage, good: both good files are stored and reported, the garbage is named on
    stderr, and the exit status is 1 (in --json mode too, with the refused file listed)."""
    first = _write(tmp_path / "a.log", GOOD[:2])
    garbage = _write(tmp_path / "b.log", NOISE[:1] * 3)
    last = _write(tmp_path / "c.log", [GOOD[2]])
    dataset = tmp_path / "events"
    runner = CliRunner()
    args = ["ingest", str(first), str(garbage), str(last), "--out", str(dataset), "--json"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert (payload["files"], payload["records"]) == (2, 3)  # the two good files
    assert list(payload["refused"]) == [str(garbage)]
    assert list(payload["formats"]) == [str(first), str(last)]
    assert payload["refused"][str(garbage)].startswith(f"{garbage}: no log format recognises")
    assert result.stderr.startswith(f"error: {garbage}: no log format recognises")
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404]


def test_the_ingest_command_runs_without_pandas_or_the_other_commands(tmp_path: Path) -> None:
    """`apislo ingest` starts fast: pandas, pyarrow.compute, numpy.ma, PyYAML (no route map)
    and the other commands' modules stay unimported, also when a query string is scrubbed and
    an escape undone."""
    log = _write(tmp_path / "access.log", [*GOOD, _line(4, r"/v1/find?q=\x22a&apikey=k", 200)])
    script = (
        "import sys\n"
        "from apislo.cli import main\n"
        f"main(['ingest', {str(log)!r}, '--out', {str(tmp_path / 'events')!r}, '-q'],"
        " standalone_mode=False)\n"
        "unwanted = ('pandas', 'pyarrow.compute', 'numpy.ma', 'yaml', 'apislo.cli.slo',"
        " 'apislo.cli.prom')\n"
        "print(sorted(m for m in unwanted if m in sys.modules))"
    )
    assert _last_line_printed_by(script) == "[]"


def test_paths_named_in_an_earlier_chunk_do_not_import_numpy_ma(tmp_path: Path) -> None:
    """A chunk holding paths named before and new ones filtered the new ones with a NumPy mask,
    which made polars import numpy.ma (14 ms holding the GIL, in every big ingest)."""
    lines = [_line(s % 60, "/v1/orders/17", 200) for s in range(300)]
    lines += [_line(s % 60, f"/v1/orders/17/{s % 2}", 200) for s in range(300)]
    log = _write(tmp_path / "access.log", lines)
    script = (
        "import sys\n"
        "import apislo.cli.ingest\n"
        "from apislo.sources.ingest import ingest\n"
        f"report = ingest([{str(log)!r}], {str(tmp_path / 'events')!r}, 'nginx-combined',"
        " chunk_bytes=4096)\n"
        "print(report.records, 'numpy.ma' in sys.modules)"
    )
    assert _last_line_printed_by(script) == "600 False"


def test_the_console_script_leaves_nothing_for_the_final_collection() -> None:
    """`apislo` (`run`) imports the command's module first and exits with every object frozen:
    the interpreter's last collection (0.1 s after an ingest) has no old object to walk. (Since
    2026-11-30 `apislo ingest` skips the interpreter's clean-up altogether, tests/test_cli.py;
    the other commands still end this way.)"""
    script = (
        "import gc, sys\n"
        "sys.argv = ['apislo', 'simulate', '--help']\n"
        "from apislo.cli import run\n"
        "try:\n"
        "    run()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(code, gc.isenabled(), gc.get_freeze_count() > 0,"
        " len(gc.get_objects(generation=1)) + len(gc.get_objects(generation=2)))"
    )
    assert _last_line_printed_by(script) == "0 True True 0"


def _last_line_printed_by(script: str) -> str:
    """Run ``script`` in a fresh Python process; the last line it printed."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_chunks_parsed_in_parallel_keep_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About 60 chunks of about 50 lines over three workers: events in file order (each line's
    byte count is its index), the bad line quarantined under its own number."""
    monkeypatch.setattr(ingest_module, "WORKERS", 3)
    lines = [
        f'10.0.0.1 - - [01/Nov/2026:12:00:00 +0100] "GET /a HTTP/1.1" 200 {i} "-" "curl/8.5"\n'
        for i in range(3000)
    ]
    lines[1234] = "garbage\n"
    log = _write(tmp_path / "access.log", lines)
    _, _, chunks = iter_file(log, "nginx-combined", chunk_bytes=4096)
    results = list(chunks)
    assert len(results) > 50
    sent = pl.concat([r.events for r in results])["bytes_out"].to_list()
    assert sent == [i for i in range(3000) if i != 1234]
    rejects = pl.concat([r.rejects for r in results])
    assert rejects.select("line_no", "line").rows() == [(1235, "garbage")]
    assert sum(r.lines for r in results) == 3000
    assert results[-1].end_offset == log.stat().st_size


def test_a_file_is_cut_into_a_multiple_of_the_workers_in_equal_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """10,000 bytes in chunks of at most 3,500 would be 35 + 35 + 30 lines, the last chunk alone
    on one of two workers; cut into four, each is 25 lines (a buffer of 2,500 bytes + 1/1024)."""
    monkeypatch.setattr(ingest_module, "WORKERS", 2)
    monkeypatch.setattr(ingest_module, "MIN_CHUNK_BYTES", 1)
    head = '10.0.0.1 - - [01/Nov/2026:12:00:00 +0100] "GET /'
    lines = [f'{head}{"a" * 18} HTTP/1.1" 200 {i:03d} "-" "curl/8.5"\n' for i in range(100)]
    assert {len(line) for line in lines} == {100}
    log = _write(tmp_path / "access.log", lines)
    _, _, chunks = iter_file(log, "nginx-combined", chunk_bytes=3500)
    results = list(chunks)
    assert [r.lines for r in results] == [25, 25, 25, 25]
    assert pl.concat([r.events for r in results])["bytes_out"].to_list() == list(range(100))


def test_the_next_chunk_is_read_while_every_worker_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight one-line chunks, two workers held in the sink on chunks 0 and 1: chunk 2 is read
    meanwhile (a worker set free starts on it without waiting for a read), chunk 3 is not (its
    buffer is chunk 0's). Released, all eight come out in file order."""
    monkeypatch.setattr(ingest_module, "WORKERS", 2)
    monkeypatch.setattr(ingest_module, "MIN_CHUNK_BYTES", 1)
    head = '10.0.0.1 - - [01/Nov/2026:12:00:00 +0100] "GET /'
    lines = [f'{head}{"a" * 18} HTTP/1.1" 200 {i:03d} "-" "curl/8.5"\n' for i in range(8)]
    assert {len(line) for line in lines} == {100}
    log = _write(tmp_path / "access.log", lines)
    read: list[int] = []
    real_read_chunks = ingest_module.read_chunks

    def counted(*args: object) -> Iterator[Chunk]:
        for chunk in real_read_chunks(*args):  # type: ignore[arg-type]
            read.append(chunk.lines)
            yield chunk

    monkeypatch.setattr(ingest_module, "read_chunks", counted)
    in_sink: list[int] = []
    release = threading.Event()

    def held(_events: pl.DataFrame, number: int) -> None:
        in_sink.append(number)
        assert release.wait(10)

    _, _, chunks = iter_file(log, "nginx-combined", chunk_bytes=100, sink=held)
    results: list[ParsedChunk] = []
    consumer = threading.Thread(target=lambda: results.extend(chunks))
    consumer.start()
    try:
        deadline = time.monotonic() + 10
        while (len(in_sink) < 2 or len(read) < 3) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # time enough for a fourth read, were one to happen
        assert (sorted(in_sink), len(read)) == ([0, 1], 3)
    finally:
        release.set()
        consumer.join(10)
    assert [r.lines for r in results] == [1] * 8
    assert pl.concat([r.events for r in results])["bytes_out"].to_list() == list(range(8))


def test_an_unfinished_last_line_of_a_live_log_waits_for_the_next_run(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(GOOD[0] + GOOD[1].rstrip("\n"))  # just written: the writer may still append
    dataset = tmp_path / "events"
    first = ingest([log], dataset, "nginx-combined")
    assert (first.lines, first.records) == (1, 1)
    with open(log, "a") as handle:
        handle.write("\n")
    second = ingest([log], dataset, "nginx-combined")
    assert (second.lines, second.records) == (1, 1)
    assert apislo.load(dataset)["status"].tolist() == [200, 503]


def test_a_live_log_holding_only_an_unfinished_line_is_unchanged_not_refused(
    tmp_path: Path,
) -> None:
    """A live log caught while its writer is in the middle of its first line, format left to
    detection: nothing is complete to read, so it is unchanged, as an empty log is, and read
    once the line ends. The unfinished line, sampled alone, matched no format: the file was
    refused ("no log format recognises this file") and the run exited 1. A log read before
    whose only new bytes are an unfinished line is unchanged too: it was counted in ``files``
    and ``formats`` with no line read."""
    new, old = tmp_path / "new.log", tmp_path / "old.log"
    new.write_text(GOOD[0][:40])  # just written: live
    old.write_text(GOOD[1])
    dataset = tmp_path / "events"
    assert ingest([old], dataset).records == 1
    with open(old, "a") as handle:
        handle.write(GOOD[2][:30])
    first = ingest([new, old], dataset)
    assert (first.files, first.lines, first.formats) == (0, 0, {})
    assert sorted(first.unchanged) == [str(new), str(old)]
    with open(new, "a") as handle:
        handle.write(GOOD[0][40:])
    with open(old, "a") as handle:
        handle.write(GOOD[2][30:])
    second = ingest([new, old], dataset)
    assert (second.files, second.lines, second.records, second.rejected) == (2, 2, 2, {})
    assert sorted(apislo.load(dataset)["status"].tolist()) == [200, 404, 503]


def test_the_rest_of_an_unfinished_line_read_from_a_settled_log_keeps_its_line_number(
    tmp_path: Path,
) -> None:
    """A log not written to for minutes ends inside its 3rd line: read now, that line is
    quarantined as line 3. Its writer then finishes it and writes a garbage line (line 4) and
    a request (line 5): the rest of line 3 is quarantined as line 3 and the garbage as line 4,
    where ``sed -n 4p`` finds it, and a stray line after them as line 6. Until 2026-11-30 the
    rest of line 3 was numbered 4, and every later reject of the log one line too far."""
    log = _write(tmp_path / "access.log", [GOOD[0], GOOD[1], GOOD[2][:30]])
    settled(log)
    dataset = tmp_path / "events"
    first = ingest([log], dataset, "nginx-combined")
    assert (first.lines, first.records, first.rejected) == (3, 2, {"truncated": 1})
    for more in ([GOOD[2][30:], "garbage\n", _line(4, "/v1/orders/19", 200)], ["stray\n"]):
        with open(log, "a") as handle:
            handle.write("".join(more))
        settled(log)
        ingest([log], dataset, "nginx-combined")
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [(r["line_no"], r["line"]) for r in rows] == [
        (3, GOOD[2][:30]),
        (3, GOOD[2][30:-1]),
        (4, "garbage"),
        (6, "stray"),
    ]
    assert log.read_text().splitlines()[3] == "garbage"
    assert len(apislo.load(dataset)) == 3


@pytest.mark.parametrize("name", ["part-0-older.parquet", "part-~-older.parquet"])
def test_load_reads_plain_and_dictionary_encoded_parts_together(tmp_path: Path, name: str) -> None:
    """Parts written with plain string columns (earlier apislo versions, other tools) sit beside
    the dictionary-encoded ones ingest writes, sorting before or after them."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from apislo.model import EVENT_SCHEMA

    dataset = tmp_path / "events"
    ingest([_write(tmp_path / "a.log", GOOD)], dataset, "nginx-combined")
    older = {column: [None] for column in EVENT_SCHEMA.names}
    older.update(ts=[pd.Timestamp("2026-11-01 10:59:00", tz="UTC")], api=["legacy"], status=[201])
    pq.write_table(pa.table(older, schema=EVENT_SCHEMA), dataset / "day=2026-11-01" / name)
    events = apislo.load(dataset)
    assert events["api"].tolist() == ["legacy", "orders", "orders", "users"]
    assert events["status"].tolist() == [201, 200, 503, 404]
    assert apislo.load(dataset, apis=["legacy", "users"])["status"].tolist() == [201, 404]


def test_a_run_killed_between_storing_a_file_and_saving_the_state_stores_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parts of a.log (3 requests) are in the dataset when the process dies before the
    state says a.log was read: the next run used to read a.log again, 6 rows. It finishes the
    commit instead: 3 rows, a.log unchanged."""
    log = _write(tmp_path / "a.log", GOOD)
    dataset = tmp_path / "events"

    def power_cut(root: Path, state: list) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "_save_state", power_cut)
        with pytest.raises(RuntimeError, match="power cut"):
            ingest([log], dataset, "nginx-combined")
    assert len(list(dataset.glob("day=*/*.parquet"))) == 1  # stored, the state not saved
    again = ingest([log], dataset, "nginx-combined")
    assert (again.unchanged, again.records) == ([str(log)], 0)
    assert len(apislo.load(dataset)) == 3
    assert not (dataset / "_apislo_commit.json").exists()


def test_a_run_killed_between_two_parts_of_a_file_finishes_its_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """a.log holds two days (two parts); the process dies after moving the first part: the
    next run moves the second and saves the state. By hand: 3 requests on 1 November and 1 on
    2 November, each once."""
    next_day = GOOD[0].replace("01/Nov/2026", "02/Nov/2026")
    log = _write(tmp_path / "a.log", [*GOOD, next_day])
    dataset = tmp_path / "events"
    moved = []
    replace = Path.replace

    def dies_on_the_second_part(self: Path, target: Path) -> Path:
        if self.suffix == ".parquet":
            moved.append(self)
            if len(moved) == 2:
                raise RuntimeError("killed")
        return replace(self, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "replace", dies_on_the_second_part)
        with pytest.raises(RuntimeError, match="killed"):
            ingest([log], dataset, "nginx-combined")
    assert len(list(dataset.glob("day=*/*.parquet"))) == 1
    assert ingest([log], dataset, "nginx-combined").records == 0
    days = apislo.load(dataset)["ts"].dt.day.tolist()
    assert sorted(days) == [1, 1, 1, 2]


def test_a_second_ingest_into_the_same_dataset_at_once_is_refused(tmp_path: Path) -> None:
    """While one run holds the dataset's lock, another adds nothing and says why; the lock
    goes with the holder, and the run's staging folder with the run."""
    import fcntl

    log = _write(tmp_path / "access.log", GOOD)
    dataset = tmp_path / "events"
    dataset.mkdir()
    with open(dataset / "_apislo.lock", "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(IngestError, match="another apislo ingest is writing"):
            ingest([log], dataset, "nginx-combined")
    assert not list(dataset.glob("day=*"))
    assert ingest([log], dataset, "nginx-combined").records == 3
    assert not (dataset / "_staging").exists()


@pytest.mark.parametrize("fmt", ["auto", "nginx-combined"])
@pytest.mark.parametrize("start", ["", "\ufeff"])
def test_an_empty_file_is_skipped_and_read_once_it_has_lines(
    tmp_path: Path, start: str, fmt: str
) -> None:
    """After a rotation the new access.log is empty, or holds only the byte order mark its
    writer starts a file with, and no request has come for minutes: the run reads access.log.1
    and skips it, detecting nothing; lines written to it later are read by the next run. Until
    2026-11-30 the mark alone was refused ("no complete line", or "1 of 1 lines" rejected),
    and `read_logs`, which skips an empty file as ingest does, refused it after that."""
    _write(tmp_path / "access.log.1", GOOD[:2])
    empty = _write(tmp_path / "access.log", [start])
    settled(empty)
    assert apislo.read_logs(tmp_path, format=fmt)["status"].tolist() == [200, 503]
    dataset = tmp_path / "events"
    report = ingest([tmp_path], dataset, fmt)
    assert (report.records, report.unchanged) == (2, [str(empty)])
    _write(empty, [start, GOOD[2]])
    assert ingest([tmp_path], dataset, fmt).records == 1
    assert apislo.load(dataset)["status"].tolist() == [200, 503, 404]


@pytest.mark.parametrize("tz", ["Bad/Zone", ""])
def test_cli_refuses_a_bad_tz_even_when_the_lines_carry_their_offset(
    tmp_path: Path, tz: str
) -> None:
    log = _write(tmp_path / "access.log", GOOD)  # NGINX combined: "+0100" on each line
    dataset = tmp_path / "events"
    result = CliRunner().invoke(main, ["ingest", str(log), "--out", str(dataset), "--tz", tz])
    assert result.exit_code == 1
    assert result.output == (
        f"error: --tz {tz!r}: unknown time zone; pass an IANA name such as Europe/Paris or UTC\n"
    )
    assert not dataset.exists()


@pytest.mark.parametrize("tz", ["Bad/Zone", "", "localtime"])
def test_python_refuses_a_bad_tz_as_the_cli_does(tmp_path: Path, tz: str) -> None:
    """``read_logs(..., tz="")`` read zone-less times as UTC without a word, and a bad zone
    passed unnoticed in logs whose lines carry their offset, from ``read_logs`` and ``ingest``
    alike, until 2026-11-30: now both refuse it as the CLI does, creating nothing, the message
    naming ``tz`` (until 2026-11-30 the CLI's ``--tz``).
    ``localtime`` is a file of the system's zone database, no zone name: polars cannot use it
    (``test_haproxy.py`` has the traceback it gave where a zone is needed)."""
    log = _write(tmp_path / "access.log", GOOD)  # NGINX combined: "+0100" on each line
    dataset = tmp_path / "events"
    message = f"tz {tz!r}: unknown time zone; pass an IANA name such as Europe/Paris or UTC"
    with pytest.raises(ConfigError) as caught:
        apislo.read_logs(log, tz=tz)
    assert str(caught.value) == message
    with pytest.raises(ConfigError) as caught:
        ingest([log], dataset, options=ParseOptions(tz=tz))
    assert str(caught.value) == message
    assert not dataset.exists()


def test_cli_refuses_a_log_format_with_another_format(tmp_path: Path) -> None:
    """--log-format with --format nginx-timed was silently ignored (the lines read as
    nginx-timed): a usage error (exit 2) names both, and nothing is created."""
    log = _write(tmp_path / "access.log", GOOD)
    dataset = tmp_path / "events"
    args = ["ingest", str(log), "--out", str(dataset), "--format", "nginx-timed"]
    result = CliRunner().invoke(main, [*args, "--log-format", "$remote_addr [$time_local]"])
    assert result.exit_code == 2
    assert (
        "--log-format is the template of format nginx-custom; it cannot be read as --format "
        "nginx-timed (drop one of them)" in result.output
    )
    assert not dataset.exists()


def test_nginx_custom_without_a_log_format_names_each_callers_argument(tmp_path: Path) -> None:
    """From Python the refusal said "pass --log-format", the command's option: it now names
    the argument, log_format=, and the command still names its option."""
    log = _write(tmp_path / "access.log", GOOD)
    dataset = tmp_path / "events"
    needed = "format nginx-custom needs the log_format that wrote the file: pass "
    python = needed + "log_format='<body of the log_format directive>'"
    with pytest.raises(LogFormatNeededError) as caught:
        apislo.read_logs(log, format="nginx-custom")
    assert str(caught.value) == python
    with pytest.raises(LogFormatNeededError) as caught:
        ingest([log], dataset, "nginx-custom")
    assert str(caught.value) == python
    args = ["ingest", str(log), "--out", str(dataset), "--format", "nginx-custom"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output == f"error: {needed}--log-format '<body of the log_format directive>'\n"
    assert not dataset.exists()


@pytest.mark.parametrize("paths", [[], (), iter([])])
def test_read_logs_refuses_no_path_at_all(paths: object) -> None:
    """No path gave an empty frame, where the command needs a PATH and a glob that matches
    nothing is an error: a list built by a glob that found nothing passed unnoticed."""
    with pytest.raises(ConfigError) as caught:
        apislo.read_logs(paths)  # type: ignore[arg-type]
    assert str(caught.value) == "read_logs: no path given; pass a file, a glob or a folder"


#: nginx-timed's fields with the two times swapped: `$upstream_response_time $request_time`.
SWAPPED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $upstream_response_time $request_time'
)


def test_python_refuses_a_log_format_with_another_format_as_the_cli_does(
    tmp_path: Path,
) -> None:
    """`read_logs(format="nginx-timed", log_format=...)` read the lines as nginx-timed, the
    template ignored, without a word (the command refuses the pair): here a latency of 0.25 s
    for the 0.1 s the template says. Read by the template (its own format, or "auto"), the
    request ends at 10:00:01 after 0.1 s: it started at 10:00:00.9, upstream 0.25 s."""
    log = tmp_path / "access.log"
    log.write_text(
        '1.2.3.4 - - [30/Nov/2026:10:00:01 +0000] "GET /v2/orders/1 HTTP/1.1" 200 5 "-" "c" '
        "0.250 0.100\n"
    )
    message = (
        "log_format is the template of format nginx-custom; it cannot be read as format "
        "'nginx-timed' (drop one of them)"
    )
    with pytest.raises(ConfigError) as caught:
        apislo.read_logs(log, format="nginx-timed", log_format=SWAPPED)
    assert str(caught.value) == message
    dataset = tmp_path / "events"
    with pytest.raises(ConfigError) as caught:
        ingest([log], dataset, "nginx-timed", ParseOptions(log_format=SWAPPED))
    assert str(caught.value) == message
    assert not dataset.exists()
    for fmt in ("auto", "nginx-custom"):
        row = apislo.read_logs(log, format=fmt, log_format=SWAPPED).iloc[0]
        assert row["ts"] == pd.Timestamp("2026-11-30T10:00:00.900Z")
        assert (row["latency_s"], row["upstream_latency_s"]) == (0.1, 0.25)
        assert row["gateway"] == "nginx-custom"


def test_a_first_line_longer_than_the_sample_head_does_not_hide_the_format(
    tmp_path: Path,
) -> None:
    """A 70 KB first line fills the 64 KiB head: the sample is read from a larger head."""
    long_line = _line(1, "/v1/search?q=" + "a" * 70_000, 200)
    log = _write(tmp_path / "access.log", [long_line] + GOOD * 100)
    assert ingest_module.detect_file(log) == ("nginx-combined", None)
    assert ingest([log], tmp_path / "events").records == 301


def test_a_first_line_over_the_largest_sample_says_so(tmp_path: Path) -> None:
    # 1.5 MiB before the first newline: no line to score, which "no log format recognises this
    # file (0 %)" did not say
    log = tmp_path / "huge.log"
    log.write_text("x" * (3 << 19) + "\n" + GOOD[0])
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], tmp_path / "events")
    assert str(caught.value.errors[str(log)]) == (
        f"{log}: no complete line in its first 1 MiB, so its format cannot be detected; "
        "pass format='NAME' to read it anyway"
    )


def test_a_missing_path_creates_no_dataset(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file or directory"):
        ingest([tmp_path / "nope.log"], tmp_path / "events")
    assert not (tmp_path / "events").exists()


def test_a_bad_format_or_template_creates_no_dataset(tmp_path: Path) -> None:
    log = _write(tmp_path / "a.log", GOOD)
    no_time = ParseOptions(log_format='$remote_addr "$request" $status')
    with pytest.raises(ConfigError, match=r"\$time_local"):
        ingest([log], tmp_path / "events", options=no_time)
    with pytest.raises(ConfigError, match="unknown log format 'nginx-combind'"):
        ingest([log], tmp_path / "events", "nginx-combind")
    # nor does a route map refused (until 2026-11-30 the dataset's folder and lock were made)
    routes = tmp_path / "routes.yaml"
    routes.write_text("- match: '^/v1/orders'\n  api: orders\n  rout: orders\n")
    with pytest.raises(ConfigError, match="unknown key 'rout'"):
        ingest([log], tmp_path / "events", route_map=routes)
    assert not (tmp_path / "events").exists()


def test_a_log_read_with_a_log_format_is_refused_alone_when_it_grows_and_none_is_given(
    tmp_path: Path,
) -> None:
    """`api.log`, read with a --log-format, grows; a run without one (over a folder, say) cannot
    read its new line, as the dataset keeps no template: that log is refused, named, and the
    other file is stored (3 requests). Until 2026-11-30 a ConfigError naming no file stopped
    the run, nothing stored. Given the template again, the new line is read."""
    template = ParseOptions(log_format='$remote_addr [$time_local] "$request" $status')
    api = tmp_path / "api.log"
    api.write_text(
        "".join(
            f'10.0.0.1 [01/Nov/2026:12:00:0{s} +0000] "GET /v1/orders/{s} HTTP/1.1" 200\n'
            for s in (1, 2, 3)
        )
    )
    dataset = tmp_path / "events"
    assert ingest([api], dataset, options=template).records == 3
    with open(api, "a") as handle:
        handle.write('10.0.0.1 [01/Nov/2026:12:00:04 +0000] "GET /v1/orders/4 HTTP/1.1" 200\n')
    other = _write(tmp_path / "other.log", GOOD)
    with pytest.raises(FilesRefusedError) as refused:
        ingest([api, other], dataset)
    report = refused.value.report
    assert (report.files, report.records, list(report.refused)) == (1, 3, [str(api)])
    assert report.refused[str(api)] == (
        f"{api}: its new lines are of format nginx-custom, as it was read before: format "
        "nginx-custom needs the log_format that wrote the file: pass log_format='<body of the "
        "log_format directive>' (the dataset does not keep it)"
    )
    assert ingest([api, other], dataset, options=template).records == 1
    assert len(apislo.load(dataset)) == 7


def test_credentials_in_quarantined_lines_are_redacted(tmp_path: Path) -> None:
    """A rejected line is kept, but not the credential it carries: anyone can make a line be
    rejected (here by a status that is not a number)."""
    bad = _line(4, "/v1/orders/1?api_key=SECRET1&x=1", 200).replace(" 200 ", " abc ")
    log = _write(tmp_path / "access.log", [*GOOD, bad])
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 3
    (row,) = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert row["line"] == bad.rstrip("\n").replace("SECRET1", "REDACTED")
    assert "SECRET1" not in quarantine_path(dataset).read_text()


def test_tokens_in_quarantined_lines_are_redacted(tmp_path: Path) -> None:
    """A bot token or a JSON Web Token in the path of a rejected line (a bad status, a line cut
    short) was quarantined in clear, while the same path's route is ``/{id}/getMe``."""
    bot = "/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"
    jwt = "/auth/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.ab-_12/confirm"
    bad = _line(4, bot, 200).replace(" 200 ", " 2x0 ")
    cut = _line(5, jwt, 200).partition("P/1.1")[0]  # (cut in "HTTP")
    log = _write(tmp_path / "access.log", [*GOOD, _line(4, bot, 200), bad, cut + "\n"])
    dataset = tmp_path / "events"
    assert ingest([log], dataset, "nginx-combined").records == 4
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [(r["line_no"], r["reason"], r["line"]) for r in rows] == [
        (
            5,
            "bad_number",
            '10.0.0.1 - - [01/Nov/2026:12:00:04 +0100] "GET /bot110201543:REDACTED/getMe '
            'HTTP/1.1" 2x0 512 "-" "curl/8.5"',
        ),
        (
            6,
            "truncated",
            '10.0.0.1 - - [01/Nov/2026:12:00:05 +0100] "GET /auth/verify/REDACTED/confirm HTT',
        ),
    ]
    assert apislo.load(dataset)["route"].tolist()[3] == "/{id}/getMe"


def _spooled(dataset: Path) -> int:
    """Rejects in the spools of the run's staging folder."""
    return sum(len(p.read_text().splitlines()) for p in (dataset / "_staging").glob("**/*.jsonl"))


def test_each_chunks_rejects_are_spooled_before_the_next_chunk_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 lines of 100 bytes, one in five not a request, in four chunks of 25 lines (5 rejects
    each): when each chunk is taken, the rejects of the chunks before it are in the spool, none
    held in memory (they were all kept until the file's end, about 0.3 KB each): 0, 5, 10, 15.
    Committed, the quarantine holds the 20, in file order."""
    monkeypatch.setattr(ingest_module, "WORKERS", 1)
    monkeypatch.setattr(ingest_module, "MIN_CHUNK_BYTES", 1)
    head = '10.0.0.1 - - [01/Nov/2026:12:00:00 +0100] "GET /'
    lines = [
        "x" * 99 + "\n"
        if i % 5 == 0
        else f'{head}{"a" * 18} HTTP/1.1" 200 {i:03d} "-" "curl/8.5"\n'
        for i in range(100)
    ]
    assert {len(line) for line in lines} == {100}
    log = _write(tmp_path / "access.log", lines)
    dataset = tmp_path / "events"
    seen: list[int] = []
    report = ingest(
        [log],
        dataset,
        "nginx-combined",
        on_progress=lambda _bytes: seen.append(_spooled(dataset)),
        chunk_bytes=2500,
    )
    assert seen == [0, 5, 10, 15]
    assert (report.records, report.rejected) == (80, {"not_a_request": 20})
    rows = [json.loads(x) for x in quarantine_path(dataset).read_text().splitlines()]
    assert [r["line_no"] for r in rows] == list(range(1, 101, 5))
    assert not (dataset / "_staging").exists()


def _line_digests(text: bytes) -> str:
    """The line digests a state entry keeps of ``text`` (all of it read, under 4 KiB), computed
    afresh for each line end: 8 hex digits of the SHA-256 of ``text`` up to there."""
    import hashlib

    ends = [at + 1 for at, byte in enumerate(text) if byte == ord("\n")]
    return "".join(hashlib.sha256(text[:end]).hexdigest()[:8] for end in ends)


def test_the_state_file_holds_one_entry_per_line_after_each_commit(tmp_path: Path) -> None:
    """Entries are encoded once and remembered between saves; the file still says, one line
    per file in the order read, what each file gave: a.log 3 lines, then b.log 2 lines (byte
    counts are the files' sizes), and a run that reads nothing new leaves it the same."""
    import hashlib

    a = _write(tmp_path / "a.log", GOOD)
    b = _write(tmp_path / "b.log", GOOD[1:])  # (not a.log's first lines: no copy of them)
    dataset = tmp_path / "events"
    ingest([a, b], dataset, "nginx-combined")
    text = (dataset / "_apislo_state.json").read_text()
    lines = text.splitlines()
    assert (lines[0], lines[-1], len(lines)) == ('{"files": [', "]}", 4)
    expected = [
        {
            "path": str(log),
            "prefix_len": log.stat().st_size,
            "prefix_sha256": hashlib.sha256(log.read_bytes()).hexdigest(),
            "offset": log.stat().st_size,
            "lines": n,
            "format": "nginx-combined",
            "envelope": None,
            "prefix_start": 0,
            "gz_size": None,
            "gz_identity": None,
            "tail_sha256": hashlib.sha256(log.read_bytes()).hexdigest(),  # (under 4 KiB)
            "head_lines": None,  # (read no further than 4 KiB: those of tail_lines)
            "tail_lines": _line_digests(log.read_bytes()),
            "device": log.stat().st_dev,
            "inode": log.stat().st_ino,
            "moved": False,
            "open_line": False,  # (each ends with a line end)
        }
        for log, n in ((a, 3), (b, 2))
    ]
    assert [json.loads(line.rstrip(",")) for line in lines[1:3]] == expected
    assert list(json.loads(lines[1].rstrip(","))) == list(expected[0])  # keys in field order
    assert ingest([a, b], dataset, "nginx-combined").records == 0
    assert (dataset / "_apislo_state.json").read_text() == text
    # a state written before entries said where content starts and how big a .gz was (no
    # "prefix_start", "gz_size"), or kept line digests or inodes, still knows both files
    new_keys = (
        *("prefix_start", "gz_size", "gz_identity"),
        *("tail_sha256", "head_lines", "tail_lines", "device", "inode", "moved", "open_line"),
    )
    old = {"files": [{k: v for k, v in e.items() if k not in new_keys} for e in expected]}
    (dataset / "_apislo_state.json").write_text(json.dumps(old))
    again = ingest([a, b], dataset, "nginx-combined")
    assert (again.records, again.unchanged) == (0, [str(a), str(b)])
    # ...and gives their entries what is kept since (the digests), as a first run would
    assert (dataset / "_apislo_state.json").read_text() == text


@pytest.mark.parametrize("how", ["read_logs", "command"])
def test_an_empty_log_format_is_refused_not_ignored(tmp_path: Path, how: str) -> None:
    """An empty --log-format (a shell variable that was not set) was taken as none given: the
    format was detected, and the file read as NGINX combined without a word."""
    log = tmp_path / "a.log"
    log.write_text('1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n')
    problem = (
        "log_format '' holds no $variable; paste the body of the log_format directive that "
        """wrote the file, e.g. '$remote_addr [$time_local] "$request" $status'"""
    )
    if how == "read_logs":
        with pytest.raises(ConfigError) as info:
            apislo.read_logs(log, log_format="")
        assert str(info.value) == problem
        return
    out = CliRunner().invoke(
        main, ["ingest", str(log), "--out", str(tmp_path / "ds"), "--log-format", ""]
    )
    assert (out.exit_code, out.stderr) == (1, f"error: {problem}\n")
    assert not (tmp_path / "ds" / "_apislo_state.json").exists()
