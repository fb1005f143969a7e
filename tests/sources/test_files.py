"""Path expansion, rotation order, gzip and chunked reading."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from apislo.errors import IngestError
from apislo.sources.files import (
    Head,
    Span,
    expand_paths,
    read_before,
    read_chunks,
    read_content_head,
)


def test_rotated_logs_come_oldest_first(tmp_path: Path) -> None:
    names = ["access.log", "access.log.1", "access.log.2.gz", "access.log.10.gz", "error.log"]
    for name in names:
        (tmp_path / name).write_bytes(b"x\n")
    (tmp_path / ".hidden").write_bytes(b"x\n")
    got = [p.name for p in expand_paths([tmp_path])]
    assert got == ["access.log.10.gz", "access.log.2.gz", "access.log.1", "access.log", "error.log"]
    assert [p.name for p in expand_paths([str(tmp_path / "access.log*")])][-1] == "access.log"


def test_dated_rotations_come_oldest_first_then_the_live_log(tmp_path: Path) -> None:
    # logrotate's dateext: access.log-YYYYMMDD[.gz], older dates older, the live file last
    names = [
        "access.log",
        "access.log-20261102",
        "access.log-20261101.gz",
        "access.log-20261030.gz",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x\n")
    got = [p.name for p in expand_paths([tmp_path])]
    assert got == [
        "access.log-20261030.gz",
        "access.log-20261101.gz",
        "access.log-20261102",
        "access.log",
    ]


def test_hidden_folders_inside_a_directory_are_skipped(tmp_path: Path) -> None:
    # a log folder kept in git, or a NetApp share with its .snapshot/ copies of every log
    for name in ("access.log", ".git/objects/ab/cdef", ".snapshot/hourly.0/access.log", "a/b.log"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x\n")
    assert [p.relative_to(tmp_path).as_posix() for p in expand_paths([tmp_path])] == [
        "access.log",  # (folder by folder: the top one first)
        "a/b.log",
    ]
    # named explicitly, a hidden folder is read
    assert expand_paths([tmp_path / ".snapshot" / "hourly.0"]) == [
        tmp_path / ".snapshot" / "hourly.0" / "access.log"
    ]


def test_links_to_folders_inside_a_directory_are_followed_each_folder_once(
    tmp_path: Path,
) -> None:
    """`logs/app` and `logs/again` link to `srv/app`, outside `logs`: its log is listed, as
    `logs/**` lists it (until 2026-11-30 the folder skipped it without a word), once. `logs/same`
    links to `logs/own` and `logs/own/up` to `logs` (a loop): `own/b.log` is listed once, under
    its own name, and the walk ends."""
    (tmp_path / "srv" / "app").mkdir(parents=True)
    (tmp_path / "logs" / "own").mkdir(parents=True)
    (tmp_path / "srv" / "app" / "a.log").write_bytes(b"x\n")
    (tmp_path / "logs" / "own" / "b.log").write_bytes(b"x\n")
    (tmp_path / "logs" / "app").symlink_to(tmp_path / "srv" / "app")
    (tmp_path / "logs" / "again").symlink_to(Path("..", "srv", "app"))
    (tmp_path / "logs" / "same").symlink_to("own")
    (tmp_path / "logs" / "own" / "up").symlink_to("..")
    found = expand_paths([tmp_path / "logs"])
    assert len(found) == 2
    assert found[0].parent.name in ("app", "again")
    assert found[0].resolve() == tmp_path / "srv" / "app" / "a.log"
    assert found[1] == tmp_path / "logs" / "own" / "b.log"
    assert {p.resolve() for p in found} == {
        p.resolve() for p in expand_paths([str(tmp_path / "logs" / "*" / "*.log")])
    }


def test_a_link_to_a_folder_on_another_windows_drive_is_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Windows, a link (or junction) in C:\\logs to D:\\archive: `os.path.commonpath`
    refuses paths on two drives with a ValueError, which stopped the walk; that folder is one
    elsewhere. Links to C:\\logs\\app (inside) and to C:\\ (above) are not followed, as on
    Linux."""
    import ntpath
    import types

    from apislo.sources import files

    monkeypatch.setattr(files, "os", types.SimpleNamespace(path=ntpath))
    assert files._linked_around("D:\\archive", "C:\\logs", "archive") is False
    assert files._linked_around("C:\\logs\\app", "C:\\logs", "again") is True
    assert files._linked_around("C:\\", "C:\\logs", "up") is True
    assert files._linked_around("C:\\logs\\app", "C:\\logs", "app") is False


def test_a_file_named_twice_is_listed_once_under_its_first_name(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    log = tmp_path / "app" / "a.log"
    log.write_bytes(b"x\n")
    (tmp_path / "link.log").symlink_to(log)
    names = [str(log), str(tmp_path / "app" / ".." / "app" / "a.log"), str(tmp_path / "link.log")]
    assert expand_paths(names) == [log]


def test_missing_paths_say_so(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        expand_paths([tmp_path / "nope.log"])
    with pytest.raises(IngestError, match="matches no file"):
        expand_paths([str(tmp_path / "*.log")])


def _read(path: Path, **options: int | bool) -> list[tuple[bytes, int, int]]:
    """``(data, end_offset, lines)`` of each chunk, copied before the next one is read."""
    return [(bytes(c.data), c.end_offset, c.lines) for c in read_chunks(path, **options)]


def test_chunks_end_on_line_boundaries_and_keep_counts(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nthree\nfour")  # 18 bytes, last line unterminated
    assert _read(path, chunk_bytes=5) == [
        (b"one\n", 4, 1),
        (b"two\n", 8, 1),
        (b"three\n", 14, 1),  # 6 bytes: longer than the buffer, which grows
        (b"four\n", 18, 1),
    ]
    assert [data for data, _, _ in _read(path, chunk_bytes=5, keep_partial=False)] == [
        b"one\n",
        b"two\n",
        b"three\n",
    ]
    assert _read(path, start_offset=8) == [(b"three\n", 14, 1), (b"four\n", 18, 1)]
    # 11 bytes read, cut after "two\n"; "thr" carried into the next read, which ends at the
    # file's end with "four" unterminated
    assert _read(path, chunk_bytes=11) == [
        (b"one\ntwo\n", 8, 2),
        (b"three\n", 14, 1),
        (b"four\n", 18, 1),
    ]


def test_a_chunk_still_viewed_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nsix\n")
    chunks = read_chunks(path, chunk_bytes=4)
    view = memoryview(next(chunks).data)
    assert bytes(next(chunks).data) == b"two\n"  # read into a buffer of its own
    assert view.tobytes() == b"one\n"
    view.release()
    assert bytes(next(chunks).data) == b"six\n"


def test_gzip_is_read_decompressed_and_resumable(tmp_path: Path) -> None:
    path = tmp_path / "a.log.1.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"alpha\nbeta\ngamma\n")
    assert _read(path) == [(b"alpha\nbeta\ngamma\n", 17, 3)]
    assert _read(path, start_offset=6) == [(b"beta\ngamma\n", 17, 2)]


def test_with_two_buffers_the_chunk_before_stays_intact(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nsix\nten\n")
    chunks = read_chunks(path, chunk_bytes=4, buffers=2)
    first, second = next(chunks), next(chunks)
    assert (bytes(first.data), bytes(second.data)) == (b"one\n", b"two\n")
    third = next(chunks)  # read into the first chunk's buffer
    assert (bytes(second.data), bytes(third.data)) == (b"two\n", b"six\n")
    assert first.data is third.data
    assert bytes(next(chunks).data) == b"ten\n"


def test_a_gz_file_cut_short_says_which_file_and_why(tmp_path: Path) -> None:
    """A .gz that ends before its end-of-stream marker (still being compressed) is an
    IngestError naming the file, not a bare EOFError."""
    whole = gzip.compress(b"".join(b"line %d\n" % i for i in range(50_000)))
    path = tmp_path / "access.log.2.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IngestError) as caught:
        list(read_chunks(path))
    assert str(caught.value) == (
        f"{path}: cannot read: Compressed file ended before the end-of-stream marker was reached"
        " (a .gz file cut short, or still being written?)"
    )


def test_the_content_of_a_file_starts_past_its_leading_nul_bytes(tmp_path: Path) -> None:
    """A sparse 3 MiB hole then ``ab``: content at 3,145,728; NULs written as bytes (not a
    hole) count the same; a file of NULs only has its content at its end, empty; a usual file
    at 0, its head its first 4 KiB."""
    holed = tmp_path / "holed.log"
    with open(holed, "wb") as handle:
        handle.seek(3 << 20)
        handle.write(b"ab\n")
    assert read_content_head(holed) == Head(3 << 20, b"ab\n")
    written = tmp_path / "written.log"
    written.write_bytes(b"\0" * 10 + b"x\n")
    assert read_content_head(written) == Head(10, b"x\n")
    hole_only = tmp_path / "hole-only.log"
    with open(hole_only, "wb") as handle:
        handle.truncate(5 << 20)
    assert read_content_head(hole_only) == Head(5 << 20, b"")
    usual = tmp_path / "usual.log"
    usual.write_bytes(b"y" * 5000)
    assert read_content_head(usual) == Head(0, b"y" * 4096)


@pytest.mark.parametrize("name", ["a.log", "a.log.gz"])
def test_read_before_gives_the_bytes_before_an_offset_and_whether_more_follow(
    tmp_path: Path, name: str
) -> None:
    """A 2 MiB file of the bytes 0-255 over and over (a .gz decompressed, in blocks of 1 MiB):
    the 4 bytes before offset 1,048,578 are those at 1,048,574-1,048,577 (254, 255, 0, 1), and
    more follow; none before ``start``; asked past its end (2 MiB + 10), its last 3 bytes and
    its end, nothing more; asked for its whole size, the same bytes, nothing more."""
    data = bytes(range(256)) * (8 << 10)  # 2 MiB
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert read_before(path, (1 << 20) + 2, 4) == Span(bytes([254, 255, 0, 1]), (1 << 20) + 2, True)
    assert read_before(path, (1 << 20) + 2, 4, start=(1 << 20) + 1) == Span(
        b"\x01", (1 << 20) + 2, True
    )
    assert read_before(path, (2 << 20) + 10, 3) == Span(bytes([253, 254, 255]), 2 << 20, False)
    assert read_before(path, 2 << 20, 3) == Span(bytes([253, 254, 255]), 2 << 20, False)
