"""The paths given to ingest: the dataset spelled `.` or `..`, a folder that cannot be listed, logs
inside the dataset, a stream. Each used to end in a traceback, or in a run that silently read
less than it was given."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.errors import ConfigError, FilesRefusedError, IngestError
from apislo.sources.ingest import ingest, quarantine_path
from tests.conftest import ROOT
from tests.sources.test_ingest import GOOD, NOISE, _write


@pytest.mark.parametrize(
    ("out", "cwd", "reported"),
    [
        (".", "events", "{root}/events"),  # a ValueError traceback
        ("..", "events/sub", "{root}/events"),  # quarantine events/sub/...quarantine.jsonl
        ("events/", ".", "events"),  # (as given when the spelling names the folder)
    ],
)
def test_the_dataset_spelled_dot_or_dotdot_keeps_its_quarantine_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, cwd: str, reported: str
) -> None:
    """`--out .` ended in `ValueError: PosixPath('.') has an empty name`, and `--out ..` put the
    quarantine inside the dataset (`events/sub/...quarantine.jsonl`). The quarantine is
    `DATASET.quarantine.jsonl` beside the dataset's folder whatever the spelling: here
    `events.quarantine.jsonl` beside `events`, holding the one rejected line (line 2)."""
    root = tmp_path.resolve()
    log = _write(root / "access.log", [GOOD[0], NOISE[0]])
    (root / cwd).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root / cwd)
    args = ["ingest", str(log), "--out", out, "--format", "nginx-combined", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    dataset = reported.format(root=root)
    assert (payload["dataset"], payload["quarantine"]) == (dataset, f"{dataset}.quarantine.jsonl")
    rows = [json.loads(x) for x in (root / "events.quarantine.jsonl").read_text().splitlines()]
    assert [(r["line_no"], r["line"]) for r in rows] == [(2, "this is not a request")]
    assert sorted(p.name for p in root.iterdir()) == [
        "access.log",
        "events",
        "events.quarantine.jsonl",
    ]


def test_the_python_api_resolves_the_dataset_as_the_command_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    (root / "events").mkdir()
    monkeypatch.chdir(root / "events")
    assert quarantine_path(".") == root / "events.quarantine.jsonl"
    assert quarantine_path("sub/..") == root / "events.quarantine.jsonl"
    report = apislo.ingest([_write(root / "a.log", GOOD)], ".", "nginx-combined")
    assert (report.dataset, report.quarantine, report.records) == (
        str(root / "events"),
        str(root / "events.quarantine.jsonl"),
        3,
    )


def _apislo(*args: str, prefix: Sequence[str] = (), **run: Any) -> subprocess.CompletedProcess[str]:
    """The ``apislo`` console script with ``args``, in a process of its own importing this
    checkout's package, started through ``prefix`` (``setpriv ...``), its output captured as
    text; ``run``: more of :func:`subprocess.run`'s options."""
    command = "import sys; from apislo.cli import run; sys.argv[0] = 'apislo'; run()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*prefix, sys.executable, "-c", command, *args],
        capture_output=True,
        text=True,
        env=env,
        **run,
    )


@pytest.fixture
def locked_folder(tmp_path: Path) -> tuple[Path, Path]:
    """``logs/a.log`` (the 3 GOOD lines) and ``logs/locked/b.log``: returns ``(logs, locked)``."""
    logs = tmp_path / "logs"
    (logs / "locked").mkdir(parents=True)
    _write(logs / "a.log", GOOD)
    _write(logs / "locked" / "b.log", GOOD[:1])
    return logs, logs / "locked"


def _denied(folder: Path) -> str:
    """The error of a folder that cannot be listed, as that of a file that cannot be opened."""
    return f"{folder}: cannot open: [Errno 13] Permission denied: '{folder}'"


@pytest.fixture
def unlistable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make a folder fail to be listed as mode 000 does without root powers
    (``os.scandir`` raising ``PermissionError``), whoever runs the tests."""
    real = os.scandir
    locked: set[str] = set()

    def scandir(path: str | int = ".") -> Iterator[os.DirEntry[str]]:
        if not isinstance(path, int) and os.fspath(path) in locked:  # (shutil.rmtree: a fd)
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return lambda folder: locked.add(str(folder))


def test_a_folder_that_cannot_be_listed_is_refused_and_the_rest_stored(
    tmp_path: Path, locked_folder: tuple[Path, Path], unlistable: Callable[[Path], None]
) -> None:
    """A subfolder that cannot be listed was skipped silently (`rglob` swallows the error):
    `logs/a.log` stored, exit 0, `locked/b.log` named nowhere. It ends like an unreadable file:
    the others stored, the folder named on stderr with its error, exit 1."""
    logs, locked = locked_folder
    unlistable(locked)
    dataset = tmp_path / "events"
    args = ["ingest", str(logs), "--out", str(dataset), "--format", "nginx-combined"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.stdout == (
        f"{logs / 'a.log'}: format nginx-combined\n"
        f"1 file(s), 3 lines: 3 requests stored in {dataset}, 0 rejected; 1 refused\n"
    )
    assert result.stderr == f"error: {_denied(locked)}\n"
    assert len(apislo.load(dataset)) == 3
    # from Python: FilesRefusedError at the end, the folder among its errors and the report's
    with pytest.raises(FilesRefusedError) as caught:
        ingest([logs], tmp_path / "other", "nginx-combined")
    assert {k: str(v) for k, v in caught.value.errors.items()} == {str(locked): _denied(locked)}
    assert caught.value.report.refused == {str(locked): _denied(locked)}
    assert caught.value.report.records == 3


@pytest.mark.parametrize("mode", [0o000, 0o444])  # (444: listed, not entered: a traceback)
@pytest.mark.parametrize("named", ["{logs}", "{logs}/**/*.log", "{logs}/*/b.log"])
def test_a_folder_without_permissions_is_refused_by_the_real_command(
    tmp_path: Path, locked_folder: tuple[Path, Path], named: str, mode: int
) -> None:
    """The QA's case end to end: `chmod 000 logs/locked`, run without the powers to read it
    anyway (root drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH through setpriv). Named in a
    glob, the folder was skipped silently (`*/b.log` cannot even look `b.log` up in it)."""
    logs, locked = locked_folder
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root, and setpriv (util-linux) is missing to drop its powers")
        drop = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}"]
    dataset = tmp_path / "events"
    locked.chmod(mode)
    try:
        done = _apislo(
            "ingest", named.format(logs=logs), "--out", str(dataset), "--format",
            "nginx-combined", "-q", prefix=prefix,
        )  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert (done.returncode, done.stderr) == (1, f"error: {_denied(locked)}\n")
    if named.endswith("b.log"):  # (logs/a.log is not named)
        assert (
            done.stdout
            == f"0 file(s), 0 lines: 0 requests stored in {dataset}, 0 rejected; 1 refused\n"
        )
    else:
        assert done.stdout == (
            f"{logs / 'a.log'}: format nginx-combined\n"
            f"1 file(s), 3 lines: 3 requests stored in {dataset}, 0 rejected; 1 refused\n"
        )


def test_read_logs_raises_for_a_folder_that_cannot_be_listed(
    locked_folder: tuple[Path, Path], unlistable: Callable[[Path], None]
) -> None:
    # as it does for a file that cannot be opened
    logs, locked = locked_folder
    unlistable(locked)
    with pytest.raises(IngestError) as caught:
        apislo.read_logs(logs)
    assert str(caught.value) == _denied(locked)


@pytest.mark.parametrize("pattern", ["*/*.log", "**/*.log", "lock*/*", "**"])
def test_a_folder_a_glob_cannot_list_is_refused_and_the_rest_stored(
    tmp_path: Path,
    locked_folder: tuple[Path, Path],
    unlistable: Callable[[Path], None],
    pattern: str,
) -> None:
    """`glob.glob` skips a folder it cannot list silently: `logs/*/*.log` stored what it found
    and exited 0 with `locked/b.log` named nowhere (named directly, the folder was refused)."""
    logs, locked = locked_folder
    (logs / "open").mkdir()
    _write(logs / "open" / "b.log", GOOD[1:])
    unlistable(locked)
    with pytest.raises(FilesRefusedError) as caught:
        ingest([f"{logs}/{pattern}"], tmp_path / "events", "nginx-combined")
    assert {k: str(v) for k, v in caught.value.errors.items()} == {str(locked): _denied(locked)}
    stored = {"*/*.log": 2, "**/*.log": 5, "lock*/*": 0, "**": 5}[pattern]
    assert caught.value.report.records == stored


def test_an_empty_folder_is_named_in_a_warning_and_the_other_paths_are_read(
    tmp_path: Path,
) -> None:
    """`apislo ingest emptydir` printed `0 file(s), 0 lines` and nothing else: a mistyped
    folder went unnoticed. It is named in a warning; the other paths are read and the run
    exits 0 (a spool folder that is empty at times must not fail a cron job). A folder of
    hidden files only holds no log either. `read_logs`, which returns what it read, refuses it."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "hidden").mkdir()
    _write(tmp_path / "hidden" / ".a.log", GOOD)
    (tmp_path / "logs").mkdir()
    log = _write(tmp_path / "logs" / "a.log", GOOD)
    folders = [tmp_path / "empty", tmp_path / "hidden"]
    dataset = tmp_path / "events"
    args = ["ingest", *map(str, folders), str(tmp_path / "logs"), "--out", str(dataset)]
    result = CliRunner().invoke(main, [*args, "--format", "nginx-combined"])
    assert result.exit_code == 0
    assert result.stderr == "".join(
        f"warning: {folder}: the folder holds no file (hidden ones and the dataset's own "
        "aside): nothing was read from it\n"
        for folder in folders
    )
    assert result.stdout == (
        f"{log}: format nginx-combined\n"
        f"1 file(s), 3 lines: 3 requests stored in {dataset}, 0 rejected\n"
    )
    report = ingest(folders, tmp_path / "other", "nginx-combined")
    assert (report.files, len(report.warnings)) == (0, 2)
    with pytest.raises(IngestError, match="the folder holds no file"):
        apislo.read_logs(tmp_path / "empty")


@pytest.mark.parametrize("name", ["srv", "srv[1]"])
def test_a_folder_holding_only_the_dataset_is_named_in_a_warning_on_every_run(
    tmp_path: Path, name: str
) -> None:
    """`apislo ingest srv --out srv/events` with no log in `srv`: the first run warned that the
    folder holds no file; later runs, finding only the dataset's own files there, said nothing.
    Every run warns now. A folder holding a log besides the dataset gives no warning. The same
    for a folder whose name looks like a glob (`srv[1]`), which names itself (2026-11-30)."""
    srv = tmp_path / name
    srv.mkdir()
    args = ["ingest", str(srv), "--out", str(srv / "events"), "--format", "nginx-combined"]
    warning = (
        f"warning: {srv}: the folder holds no file (hidden ones and the dataset's own aside): "
        "nothing was read from it\n"
    )
    for _ in range(2):
        result = CliRunner().invoke(main, args)
        assert (result.exit_code, result.stderr) == (0, warning)
    (srv / "logs").mkdir()
    _write(srv / "logs" / "a.log", GOOD)
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert "1 file(s), 3 lines: 3 requests stored" in result.stdout


def test_a_folder_holding_the_dataset_and_a_folder_that_cannot_be_listed_is_no_empty_folder(
    tmp_path: Path, unlistable: Callable[[Path], None]
) -> None:
    """`srv/locked` cannot be listed, the dataset is `srv/events`: from the second run on (the
    dataset's files found in `srv`, skipped), `srv` was also said to hold no file, a warning
    before the refusal of `srv/locked`, which may well hold logs. Only the refusal is said."""
    srv = tmp_path / "srv"
    (srv / "locked").mkdir(parents=True)
    _write(srv / "locked" / "b.log", GOOD)
    unlistable(srv / "locked")
    dataset = srv / "events"
    args = ["ingest", str(srv), "--out", str(dataset), "--format", "nginx-combined"]
    for _ in range(2):
        result = CliRunner().invoke(main, args)
        assert (result.exit_code, result.stderr) == (1, f"error: {_denied(srv / 'locked')}\n")
    with pytest.raises(FilesRefusedError) as caught:
        ingest([srv], dataset, "nginx-combined")
    assert caught.value.report.warnings == []


def test_a_folder_of_links_beside_the_dataset_is_no_empty_folder(tmp_path: Path) -> None:
    """`srv/a.log` is a link to `real/a.log`, the dataset in `srv/events`: the second run (the
    log unchanged, skipped) warned that `srv` holds no file and nothing was read from it, as the
    link's target is not in `srv`. No run warns."""
    srv = tmp_path / "srv"
    srv.mkdir()
    (srv / "a.log").symlink_to(_write(tmp_path / "real.log", GOOD))
    args = ["ingest", str(srv), "--out", str(srv / "events"), "--format", "nginx-combined"]
    first, second = (CliRunner().invoke(main, args) for _ in range(2))
    assert (first.exit_code, first.stderr) == (0, "")
    assert "1 file(s), 3 lines: 3 requests stored" in first.stdout
    assert (second.exit_code, second.stderr) == (0, "")
    assert "1 unchanged file(s) skipped" in second.stdout


def test_a_link_in_a_loop_under_a_glob_matches_nothing_and_refuses_nothing(
    tmp_path: Path,
) -> None:
    """`logs/*/access.log` where one `access.log` is a link to itself: its folder was taken for
    one that cannot be entered, then read whole by the run (every other log in it stored)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    good = _write(tmp_path / "a" / "access.log", GOOD)
    (tmp_path / "b" / "access.log").symlink_to("access.log")
    _write(tmp_path / "b" / "other.log", GOOD[:1])
    report = ingest(f"{tmp_path}/*/access.log", tmp_path / "events", "nginx-combined")
    assert (report.files, report.records, report.refused) == (1, 3, {})
    assert list(report.formats) == [str(good)]


def test_one_path_may_be_given_as_a_string(tmp_path: Path) -> None:
    """`apislo.ingest("logs", ...)` read the string one character at a time: `l: no such file
    or directory`."""
    (tmp_path / "logs").mkdir()
    _write(tmp_path / "logs" / "a.log", GOOD)
    report = ingest(str(tmp_path / "logs"), tmp_path / "events", "nginx-combined")
    assert (report.files, report.records) == (1, 3)
    assert len(apislo.read_logs(tmp_path / "logs" / "a.log", "nginx-combined")) == 3


def test_one_path_may_be_any_path_like_or_bytes(tmp_path: Path) -> None:
    """`apislo.ingest(PurePosixPath("logs"), ...)` or a `bytes` path raised a `TypeError`
    (`object is not iterable`) or read the bytes one number at a time."""
    _write(tmp_path / "a.log", GOOD)
    _write(tmp_path / "b.log", GOOD[:1])
    report = ingest(PurePosixPath(tmp_path / "a.log"), tmp_path / "events", "nginx-combined")
    assert (report.files, report.records) == (1, 3)
    events = apislo.read_logs([os.fsencode(tmp_path / "b.log")], "nginx-combined")
    assert len(events) == 1
    assert len(apislo.read_logs(os.fsencode(tmp_path / "a.log"), "nginx-combined")) == 3


def test_a_glob_through_missing_or_plain_folders_is_no_listing_error(tmp_path: Path) -> None:
    """Only a folder that exists and cannot be listed is an error: a glob's folder that is
    missing, or a file where a folder would be, just matches nothing."""
    _write(tmp_path / "a.log", GOOD)
    for pattern in ("missing/**/*.log", "a.log/*", "missing/*/x.log", "*/sub/*.log"):
        with pytest.raises(IngestError, match="the pattern matches no file"):
            apislo.read_logs(f"{tmp_path}/{pattern}")


def test_a_name_that_looks_like_a_pattern_and_matches_none_names_itself(tmp_path: Path) -> None:
    """`access[1].log` (a copy's name, `[` and `]` kept) is a glob for `access1.log`: matching
    no file, it was refused as `the pattern matches no file` until 2026-11-30, the file
    beside. As in a shell, it names itself then; a pattern that matches a file still reads that
    one, and one that is no name at all is still refused."""
    _write(tmp_path / "access[1].log", GOOD)
    (tmp_path / "logs[old]").mkdir()
    _write(tmp_path / "logs[old]" / "a.log", GOOD[:2])
    report = ingest(str(tmp_path / "access[1].log"), tmp_path / "events", "nginx-combined")
    assert (report.files, report.records, report.formats) == (
        1,
        3,
        {str(tmp_path / "access[1].log"): "nginx-combined"},
    )
    assert len(apislo.read_logs(tmp_path / "logs[old]", "nginx-combined")) == 2
    _write(tmp_path / "access1.log", GOOD[:1])  # now the pattern matches: as in a shell
    assert len(apislo.read_logs(tmp_path / "access[1].log", "nginx-combined")) == 1
    with pytest.raises(IngestError, match=r"access\[2\]\.log: the pattern matches no file"):
        apislo.read_logs(tmp_path / "access[2].log")


@pytest.mark.parametrize(
    ("out", "named"),
    [
        *(("srv", named) for named in ("srv/logs/access.log", "srv/logs", "srv/logs/*.log", "srv")),
        *(("srv[1]", named) for named in ("srv[1]/logs/access.log", "srv[1]/logs", "srv[1]")),
    ],
)
def test_logs_named_inside_the_dataset_are_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, named: str
) -> None:
    """`ingest srv/logs/access.log --out srv` gave `"files": 0` and exit 0: the file was dropped
    as one of the dataset's own. A path named in the dataset's folder (a glob's folder too) is a
    usage error (exit 2) saying so, and nothing is written. So is one in a dataset whose name
    looks like a glob (`srv[1]`), which names itself: its folder is the dataset's, not the
    glob's (`.`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / out / "logs").mkdir(parents=True)
    _write(tmp_path / out / "logs" / "access.log", GOOD)
    result = CliRunner().invoke(main, ["ingest", named, "--out", out, "--json"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: {named}: lies in the dataset being written ({out}, or its quarantine), and a "
        f"dataset's files are never read as logs: move the logs out of {out}, or write the "
        "dataset elsewhere (--out)"
    )
    assert sorted(p.name for p in (tmp_path / out).iterdir()) == ["logs"]


def test_the_python_api_refuses_logs_inside_the_dataset_or_its_quarantine(tmp_path: Path) -> None:
    dataset = tmp_path / "events"
    log = _write(tmp_path / "access.log", [GOOD[0], NOISE[0]])
    ingest([log], dataset, "nginx-combined")
    (dataset / "mine.log").write_text(GOOD[1])
    for named in (dataset / "mine.log", quarantine_path(dataset)):
        with pytest.raises(ConfigError) as caught:  # an InsideDatasetError
            ingest([named], dataset, "nginx-combined")
        assert str(caught.value) == (
            f"{named}: lies in the dataset being written ({dataset}, or its quarantine), and a "
            f"dataset's files are never read as logs: move the logs out of {dataset}, or write "
            "the dataset elsewhere (dataset=)"
        )
    # a folder that holds the dataset is read without the dataset's files (nor its quarantine)
    again = ingest([tmp_path], dataset, "nginx-combined")
    assert (again.files, again.unchanged, again.refused) == (0, [str(log)], {})


def test_a_stream_is_not_a_regular_file_and_says_so(tmp_path: Path) -> None:
    """`cat x.log | apislo ingest /dev/stdin` said `/dev/stdin: no such file or directory`.
    It is a pipe: apislo keeps each file's read offset to resume it, which a stream has not,
    so it says what it is and what to do."""
    done = _apislo("ingest", "/dev/stdin", "--out", "never-made", input="".join(GOOD), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: /dev/stdin: not a regular file (a pipe, a socket or a device): apislo reads log "
        "files and folders, and remembers how far it read each file; save the stream to a file "
        "first and ingest that\n"
    )
    assert not (tmp_path / "never-made").exists()
