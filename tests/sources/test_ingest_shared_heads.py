"""Logs that start with the same 4 KiB (health checks, load-balancer probes at startup), so that
the state's fingerprint of one matches the other. Until 2026-11-30 the second was taken for a
shorter copy of the first (reported unchanged, its lines lost), for the first grown (resumed
in the middle of its lines, its first ones lost) or for the first rewritten (refused). A file
whose fingerprint matches is now compared where reading of the other stopped (since 2026-11-30
after a .gz too), and a new log at the path of one read is told from it rewritten by its inode."""

from __future__ import annotations

import gzip
import hashlib
import json
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


@pytest.mark.parametrize("suffix", [".log", ".log.gz"])
@pytest.mark.parametrize("extra", [3, 20], ids=["b-shorter", "b-longer"])
def test_a_log_starting_like_one_read_that_is_gone_is_refused_not_taken_as_read(
    tmp_path: Path, suffix: str, extra: int
) -> None:
    """a.log (or a.log.gz) is read, then deleted; b.log starts with the same probes, then 3 (or
    20) lines of its own where a.log had others. Nothing says whether b.log is a.log rewritten
    (its probes read before) or another log: it is refused, naming a.log, nothing added (the
    70 stay). A shorter one was taken for a copy of a.log's first part: reported unchanged, its
    63 lines lost; until 2026-11-30 a longer one was, after a .gz (which kept no digest of its
    last 4 KiB read), taken for it grown: read on from byte 6,530, its 71st line, storing
    orders 210-219 and losing its probes and orders 200-209."""
    a, dataset = _write(tmp_path / f"a{suffix}", LOG_A), tmp_path / "events"
    assert ingest([a], dataset, "nginx-combined").records == 70
    a.unlink()
    b = _write(tmp_path / "b.log", _log_b(extra))
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


def test_a_gz_keeps_the_digest_of_its_last_4_kib_read_without_decompressing_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """log a compressed, read as such: its entry keeps the SHA-256 of the last 4,096 bytes of
    its 6,530 (decompressed), taken from what was read: the file is not decompressed again for
    it (no ``read_before``). Until 2026-11-30 a ``.gz`` kept no such digest."""
    a, dataset = _write(tmp_path / "a.log.gz", LOG_A), tmp_path / "events"
    reads: list[Path] = []
    monkeypatch.setattr(known, "read_before", lambda path, *where: reads.append(path))
    assert ingest([a], dataset, "nginx-combined").records == 70
    (entry,) = json.loads((dataset / "_apislo_state.json").read_text())["files"]
    data = LOG_A.encode()
    assert (len(data), entry["offset"], reads) == (6530, 6530, [])
    assert entry["tail_sha256"] == hashlib.sha256(data[6530 - 4096 :]).hexdigest()


@pytest.mark.parametrize("extra", [3, 20])
def test_a_log_rotated_by_renaming_it_while_only_the_live_log_is_ingested_is_stored_once(
    tmp_path: Path, extra: int
) -> None:
    """access.log alone is ingested as it grows (65 lines, then 70: log a), then rotated by
    renaming it access.log.1; the new access.log (another inode) starts with the same probes,
    then orders 200 onwards (``extra``). access.log alone again: the new log's 60 + ``extra``
    lines are all new; then the folder: access.log.1 is log a, read (nothing), access.log too.
    65 + 5 + 63 (or 80) + 0: 133 (or 150) lines, the 70 of log a once. Until 2026-11-30 the new
    log was taken for access.log trimmed in place (its probes taken as read: 3, or 20, stored)
    and the folder run then read access.log.1 as another log, storing its 70 lines again."""
    logs = tmp_path / "logs"
    logs.mkdir()
    log, dataset = logs / "access.log", tmp_path / "events"
    runs = []
    for text in (PROBES + order_lines(100, 5), LOG_A):
        _write(log, text)  # (grown in place: the same file)
        runs.append(ingest([log], dataset, "nginx-combined").records)
    log.rename(logs / "access.log.1")
    _write(log, _log_b(extra))
    last = ingest([log], dataset, "nginx-combined")
    runs.append(last.records)
    folder = ingest([logs], dataset, "nginx-combined")
    runs.append(folder.records)
    assert (runs, last.warnings, folder.unchanged) == (
        [65, 5, 60 + extra, 0],
        [],
        [str(logs / "access.log.1"), str(log)],
    )
    assert stored_orders(dataset) == [0] * 120 + [*range(100, 110), *range(200, 200 + extra)]


def test_a_gz_entry_written_before_it_kept_digests_gets_them_when_found_read(
    tmp_path: Path,
) -> None:
    """The state of a.log.gz as written before 2026-11-30 (no digest of its last bytes, no
    line digests, no inode, and, read up to a change of format, no gzip identity): a run that
    finds it read, by its content, adds nothing and gives the entry what a first run gives it
    now, the SHA-256 of the last 4,096 of its 6,530 bytes among them."""
    a, dataset = _write(tmp_path / "a.log.gz", LOG_A), tmp_path / "events"
    assert ingest([a], dataset, "nginx-combined").records == 70
    state = dataset / "_apislo_state.json"
    text = state.read_text()
    gone = (
        "gz_size",
        "gz_identity",
        "tail_sha256",
        "head_lines",
        "tail_lines",
        "device",
        "inode",
        "moved",
    )
    old = [{k: v for k, v in e.items() if k not in gone} for e in json.loads(text)["files"]]
    state.write_text(json.dumps({"files": old}))
    again = ingest([a], dataset, "nginx-combined")
    assert (again.records, again.unchanged, state.read_text()) == (0, [str(a)], text)
    (entry,) = json.loads(text)["files"]
    assert entry["tail_sha256"] == hashlib.sha256(LOG_A.encode()[6530 - 4096 :]).hexdigest()


@pytest.mark.parametrize("how", ["created", "renamed"])
def test_a_new_log_given_the_inode_of_a_rotated_log_read_before_is_read_whole(
    tmp_path: Path, how: str
) -> None:
    """logrotate ``create``, ``rotate 1``, only access.log ingested. access.log (log a, 70
    lines) is read, then renamed away; the new access.log (another inode) is log b (63 lines),
    created there, or b.log, read before (63), renamed there (``mv``): read, 63, or found read.
    The next rotation deletes log a (its inode free again), renames log b access.log.1 and
    creates access.log, which ext4 gives log a's inode number: log c (the probes, then orders
    300-302), a new log, its 63 lines all stored: 196 in all. Until 2026-11-30 it was taken for
    log a rewritten in place (its inode, its first lines): its probes taken as read, 3 stored,
    with a warning."""
    logs = tmp_path / "logs"
    logs.mkdir()
    log, dataset, freed = _write(logs / "access.log", LOG_A), tmp_path / "events", tmp_path / "a"
    runs = [ingest([log], dataset, "nginx-combined").records]
    if how == "renamed":  # (read while log a is there: else it might be log a rewritten)
        b = _write(logs / "b.log", _log_b(3))
        runs.append(ingest([b], dataset, "nginx-combined").records)
    log.rename(freed)  # (kept aside: its inode stands for the one deleted, then handed out again)
    if how == "created":
        _write(log, _log_b(3))
    else:
        b.rename(log)
    runs.append(ingest([log], dataset, "nginx-combined").records)
    log.rename(logs / "access.log.1")
    freed.rename(log)
    _write(log, PROBES + order_lines(300, 3))
    last = ingest([log], dataset, "nginx-combined")
    runs.append(last.records)
    assert (runs, last.warnings) == ([70, 63, 63] if how == "created" else [70, 63, 0, 63], [])
    assert stored_orders(dataset) == [0] * 180 + [*range(100, 110), *range(200, 203)] + [
        *range(300, 303)
    ]


def test_logs_starting_alike_new_or_grown_look_at_each_others_files_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 10 logs above (probes, then 1 to 10 orders of their own) read in one run, then each
    grown by one order and read again. Each new log differs from every one read before it; to
    refuse it or not, whether their files are still there as read is looked at once per entry
    per run (9 looks: the first log has none before it), and not at all for a grown log, which
    its own entry claims: 0. Until 2026-11-30 every log looked at the file of each entry it was
    compared with: 1 + 2 + ... + 9 = 45 looks, then 45 again (each grown log at those read
    further than itself), the run's time growing with the square of their number."""
    logs = [tmp_path / f"pod-{number}.log" for number in range(10)]
    for number, log in enumerate(logs):
        _write(log, PROBES + order_lines(100 + 100 * number, number + 1))
    looks: list[int] = []
    still_there = known.still_there

    def counted(entry: known.FileState, path: Path) -> bool:
        looks[-1] += 1
        return still_there(entry, path)

    monkeypatch.setattr(known, "still_there", counted)
    dataset, records = tmp_path / "events", []
    for grown in (False, True):
        if grown:
            for number, log in enumerate(logs):
                _write(log, log.read_text() + order_lines(100 + 100 * number + 50, 1))
        looks.append(0)
        records.append(ingest(logs, dataset, "nginx-combined").records)
    assert (records, looks) == ([10 * 60 + 55, 10], [9, 0])


def test_a_log_claimed_by_a_longer_entry_is_not_refused_for_one_whose_file_is_gone(
    tmp_path: Path,
) -> None:
    """a.log (probes, orders 100-159: 120 lines) and gone.log (probes, orders 200-201) are read;
    gone.log is deleted. copy.log, a copy of a.log's first 65 lines, ends before the last 4 KiB
    read of a.log, so a.log's file tells that it is a first part of it: nothing is added, and
    it is not refused though it differs from gone.log, whose file cannot tell (compared after
    a.log, read further). b.log, probes then orders 300-301, is told from a.log by its file but
    not from gone.log: refused, naming gone.log."""
    a = _write(tmp_path / "a.log", PROBES + order_lines(100, 60))
    gone = _write(tmp_path / "gone.log", PROBES + order_lines(200, 2))
    dataset = tmp_path / "events"
    assert ingest([a, gone], dataset, "nginx-combined").records == 120 + 62
    gone.unlink()
    copy = _write(tmp_path / "copy.log", PROBES + order_lines(100, 5))
    assert ingest([a, copy], dataset, "nginx-combined").unchanged == [str(a), str(copy)]
    b = _write(tmp_path / "b.log", PROBES + order_lines(300, 2))
    with pytest.raises(FilesRefusedError) as refused:
        ingest([b], dataset, "nginx-combined")
    assert f"are those of {gone}" in str(refused.value.errors[str(b)])
    assert len(stored_orders(dataset)) == 182


def test_a_log_rewritten_then_renamed_during_a_run_is_refused_not_read_as_another_log(
    tmp_path: Path,
) -> None:
    """a.log (log a) is read. A run over logs/ reads b.log (probes, orders 200-202), another log
    that a.log's file, still there as read, tells apart. Then, before the run reaches it, a.log
    is trimmed in place to its probes and orders 100-104, written on (orders 110-111) and
    renamed logs/c.log. Its file gone, nothing tells c.log from a.log rewritten: it is refused,
    as when this happens before the run, the 63 lines of b.log stored (70 + 63 = 133). Until
    2026-11-30 the answer for b.log was kept for the run: c.log was read as another log, its 65
    lines read before (probes, orders 100-104) stored twice, 200 in all."""
    a, dataset, logs = _write(tmp_path / "a.log", LOG_A), tmp_path / "events", tmp_path / "logs"
    assert ingest([a], dataset, "nginx-combined").records == 70
    logs.mkdir()
    b = _write(logs / "b.log", _log_b(3))
    c = _write(logs / "c.log", order_lines(300, 2))  # (replaced before it is read)
    reported: list[int] = []

    def rename_a_rewritten(step: int) -> None:
        reported.append(step)
        if sum(reported) == b.stat().st_size:  # (b.log done, c.log next)
            _write(a, PROBES + order_lines(100, 5) + order_lines(110, 2))
            a.rename(c)

    with pytest.raises(FilesRefusedError) as refused:
        ingest([logs], dataset, "nginx-combined", on_progress=rename_a_rewritten)
    assert (list(refused.value.errors), refused.value.report.records) == ([str(c)], 63)
    assert f"are those of {a}" in str(refused.value.errors[str(c)])
    assert stored_orders(dataset) == [0] * 120 + [*range(100, 110), *range(200, 203)]
