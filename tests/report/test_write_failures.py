"""A report that cannot be written (disk full, a file where its folder should be) raises an
apislo error and leaves the last good HTML and its notebook as they were, as a pair.

The disk filling up is simulated in this process only: ``os.fsync`` of the HTML's temporary file
fails with ENOSPC, as a full disk reports it (ext4 and NFS report it at fsync when writes were
delayed). The notebook itself runs for real, in its kernel."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from apislo.errors import ApisloError
from apislo.report import run_report
from tests.report.conftest import NOTEBOOKS


def test_a_full_disk_while_publishing_keeps_the_last_good_html_and_notebook(
    last_good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = last_good.with_suffix(".ipynb")
    html_before, notebook_before = last_good.read_bytes(), notebook.read_bytes()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".report.html."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(ApisloError) as info:
        run_report(NOTEBOOKS / "good.ipynb", {"n": 4}, last_good)
    assert str(info.value) == f"cannot write {last_good}: No space left on device"
    # the new notebook was written first, under a temporary name: it replaced nothing
    assert (last_good.read_bytes(), notebook.read_bytes()) == (html_before, notebook_before)
    assert sorted(p.name for p in last_good.parent.iterdir()) == ["report.html", "report.ipynb"]


def test_a_file_where_the_report_folder_should_be_is_an_apislo_error(tmp_path: Path) -> None:
    (tmp_path / "afx").write_text("not a folder")
    with pytest.raises(ApisloError) as info:
        run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, tmp_path / "afx" / "report.html")
    afx = tmp_path / "afx"
    assert str(info.value) == f"cannot write {afx}/report.html: {afx} is a file, not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afx"]


def test_a_report_is_no_more_readable_than_the_umask_allows(tmp_path: Path) -> None:
    # QA: under `umask 077` (systemd's UMask=0077) every report and index was written 0644,
    # readable by every local user, while the history beside them was 0600
    from apislo.report.atomic import atomic_write_text

    previous = os.umask(0o077)
    try:
        atomic_write_text(tmp_path / "private.html", "<p>x</p>")
    finally:
        os.umask(previous)
    atomic_write_text(tmp_path / "shared.html", "<p>x</p>")
    assert (tmp_path / "private.html").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "shared.html").stat().st_mode & 0o777 == 0o644 & ~previous


def test_writing_a_report_never_sets_the_process_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # QA: the umask was read by setting it to 0o022 and back; the umask is the process's, so a
    # file another thread created meanwhile was readable by all, and two threads writing at once
    # (A sets 0o022, B sets 0o022 and reads it, A restores 0o077, B restores 0o022) left the
    # process at 0o022 for good
    from apislo.report.atomic import atomic_write_text

    real_umask, set_to = os.umask, []
    monkeypatch.setattr(os, "umask", lambda mask: set_to.append(mask) or real_umask(mask))
    previous = real_umask(0o077)
    try:
        atomic_write_text(tmp_path / "private.html", "<p>x</p>")
    finally:
        real_umask(previous)
    assert set_to == []
    assert (tmp_path / "private.html").stat().st_mode & 0o777 == 0o600


def test_a_rename_that_fails_after_the_first_puts_the_first_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the notebook renamed into place, the HTML's rename refused (EACCES): until 2026-11-30 the
    # new notebook stayed beside the old HTML; a folder in the HTML's place did the same
    from apislo.report.atomic import atomic_write_texts

    (tmp_path / "r.html").write_text("old html")
    (tmp_path / "r.ipynb").write_text("old notebook")
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        if Path(dst).name == "r.html":
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ApisloError) as info:
        atomic_write_texts({tmp_path / "r.ipynb": "new notebook", tmp_path / "r.html": "new"})
    assert str(info.value) == f"cannot write {tmp_path / 'r.html'}: Permission denied"
    assert (tmp_path / "r.ipynb").read_text() == "old notebook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.ipynb"]
