"""A publication lock file another user left in a report folder (``.publish.lock``, mode 0644,
left by a run as that user killed while publishing) locks as well as one's own: ``flock``
needs only a readable file. Until 2026-11-30 it was opened for writing, and every publication
in that folder failed with ``cannot write .../.publish.lock: Permission denied``, held by
nobody. Found on 2026-11-30.

Root may write any file, so as root the publisher runs in a subprocess that becomes ``nobody``
(uid 65534) once apislo is imported (the interpreter's own files may be in ``/root``, which
``nobody`` cannot read), and the lock file belongs to a third uid. Run as another user, the
lock file is the test's own, made read-only (0444), which its owner cannot open for writing
either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from apislo.report.lock import PUBLISH_LOCK

#: ``nobody``, whom the publisher becomes when the tests run as root.
NOBODY = 65534
#: The user who left the lock file, when the tests run as root.
EARLIER_USER = 4242
AS_ROOT = os.geteuid() == 0
#: The publisher: imports apislo, becomes ``nobody`` when root, then runs ``argv[1]`` on the
#: folder ``argv[2]``, printing what it wrote or the apislo error it raised.
PUBLISHER = f"""
import os, sys
from apislo.errors import ApisloError
from apislo.report.atomic import atomic_write_text
from apislo.report.lock import publish_lock

if os.geteuid() == 0:
    os.setgroups([])
    os.setresgid({NOBODY}, {NOBODY}, {NOBODY})
    os.setresuid({NOBODY}, {NOBODY}, {NOBODY})
folder = sys.argv[2]
try:
    if sys.argv[1] == "publish":
        print(atomic_write_text(os.path.join(folder, "report.html"), "<p>new</p>"))
    else:
        with publish_lock(folder):
            print("locked")
except ApisloError as exc:
    print(f"{{type(exc).__name__}}: {{exc}}")
"""


def _publish(action: str, folder: Path) -> str:
    """What the publisher (``nobody`` when root) printed doing ``action`` in ``folder``."""
    result = subprocess.run(
        [sys.executable, "-c", PUBLISHER, action, str(folder)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.strip()


@pytest.fixture
def reports() -> Iterator[Path]:
    """A folder the publisher may enter, but not write: pytest's ``tmp_path`` is under a
    folder only its user may enter."""
    reports = Path(tempfile.mkdtemp(prefix="apislo-reports-"))
    reports.chmod(0o755)
    yield reports
    shutil.rmtree(reports)


def _folder_of_the_publisher(reports: Path) -> Path:
    """A report folder in ``reports`` the publisher may write."""
    folder = reports / "daily"
    folder.mkdir()
    if AS_ROOT:
        os.chown(folder, NOBODY, NOBODY)
    return folder


def _left_lock(folder: Path, mode: int) -> Path:
    """A lock file an earlier run as another user left in ``folder``, of ``mode`` (as root);
    run as another user, the test's own, read-only (0444)."""
    lock = folder / PUBLISH_LOCK
    lock.write_text("4242")
    if AS_ROOT:
        os.chown(lock, EARLIER_USER, EARLIER_USER)
        lock.chmod(mode)
    else:
        lock.chmod(0o444)  # (its owner cannot open it for writing either)
    return lock


def test_a_lock_file_another_user_left_does_not_stop_publishing(reports: Path) -> None:
    folder = _folder_of_the_publisher(reports)
    _left_lock(folder, 0o644)
    assert _publish("publish", folder) == str(folder / "report.html")
    assert (folder / "report.html").read_text() == "<p>new</p>"
    # its lock file was removed after the renames, as one's own is
    assert sorted(p.name for p in folder.iterdir()) == ["report.html"]


def test_a_folder_that_cannot_be_written_is_named_in_the_error(reports: Path) -> None:
    """No lock file, and none can be made: the folder is what cannot be written (until
    2026-11-30 the error named a ``.publish.lock`` the user never made)."""
    folder = reports / "daily"
    folder.mkdir()
    if not AS_ROOT:
        folder.chmod(0o555)
    try:
        printed = _publish("lock", folder)
    finally:
        folder.chmod(0o755)
    assert printed == f"ReportWriteError: cannot write {folder}: Permission denied"


@pytest.mark.skipif(not AS_ROOT, reason="needs root, to leave a lock file as another user")
def test_a_lock_file_another_user_left_unreadable_is_named_in_the_error(reports: Path) -> None:
    """Mode 0600: it cannot be locked at all; the error names it, to be removed."""
    folder = _folder_of_the_publisher(reports)
    lock = _left_lock(folder, 0o600)
    assert _publish("lock", folder) == f"ReportWriteError: cannot write {lock}: Permission denied"
