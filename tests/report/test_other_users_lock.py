"""A publication lock file another user left in a report folder (``.publish.lock``, mode 0644,
left by a run as that user killed while publishing) locks as well as one's own: ``flock``
needs only a readable file. Until 2026-11-30 it was opened for writing, and every publication
in that folder failed with ``cannot write .../.publish.lock: Permission denied``, held by
nobody. Found on 2026-11-30. So does a job's lock (``reports/.locks/JOB.lock``), which until
2026-11-30 failed that job at every ``run-due`` alike.

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

from apislo.errors import ApisloError
from apislo.report.lock import PUBLISH_LOCK
from apislo.schedule.lock import job_lock

#: ``nobody``, whom the publisher becomes when the tests run as root.
NOBODY = 65534
#: The user who left the lock file, when the tests run as root.
EARLIER_USER = 4242
AS_ROOT = os.geteuid() == 0
#: The job whose lock the publisher takes (action ``job``).
JOB = "alpha"
#: The publisher: imports apislo, becomes ``nobody`` when root, then runs ``argv[1]`` on the
#: folder ``argv[2]``, printing what it wrote or the apislo error it raised: ``publish`` a
#: report, hold the publication ``lock``, hold it as the lock file's holder removes it right
#: after it could not be opened for writing (``racing``), try the lock of a ``job`` whose
#: lock folder is ``argv[2]``, or ``ingest`` the ``access.log`` beside ``argv[2]`` into it.
PUBLISHER = f"""
import os, sys
from apislo.errors import ApisloError
from apislo.report.atomic import atomic_write_text
from apislo.report.lock import PUBLISH_LOCK, publish_lock
from apislo.schedule.lock import job_lock

def racing_open(path, flags, mode=0o777):
    # os.open, but a lock file that cannot be opened for writing is removed right after, as
    # its holder does once done
    try:
        return real_open(path, flags, mode)
    except PermissionError:
        if os.path.basename(path) == PUBLISH_LOCK and os.path.lexists(path):
            os.unlink(path)
        raise

real_open = os.open
if sys.argv[1] == "ingest":  # (imported before it becomes nobody, as apislo is)
    from apislo.sources.ingest import ingest
if os.geteuid() == 0:
    os.setgroups([])
    os.setresgid({NOBODY}, {NOBODY}, {NOBODY})
    os.setresuid({NOBODY}, {NOBODY}, {NOBODY})
folder = sys.argv[2]
try:
    if sys.argv[1] == "publish":
        print(atomic_write_text(os.path.join(folder, "report.html"), "<p>new</p>"))
    elif sys.argv[1] == "ingest":
        log = os.path.join(os.path.dirname(folder), "access.log")
        print(f"stored: {{ingest([log], folder, format='nginx-timed').records}}")
    elif sys.argv[1] == "job":
        with job_lock(folder, {JOB!r}) as taken:
            print(f"taken: {{taken}}")
    else:
        if sys.argv[1] == "racing":
            os.open = racing_open
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


def _left_lock(folder: Path, mode: int, name: str = PUBLISH_LOCK) -> Path:
    """A lock file ``name`` an earlier run as another user left in ``folder``, of ``mode`` (as
    root); run as another user, the test's own, read-only (0444)."""
    lock = folder / name
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


def test_a_lock_file_its_holder_removes_meanwhile_is_made_anew(reports: Path) -> None:
    """Another user's lock file, removed by its holder right after this process could not open
    it for writing: the read-only open then finds none, and the first version of the
    read-only fallback (2026-11-30, never released) failed the publication naming as
    unwritable the folder it could write (``cannot write .../daily: Permission denied``)."""
    folder = _folder_of_the_publisher(reports)
    _left_lock(folder, 0o644)
    assert _publish("racing", folder) == "locked"
    assert list(folder.iterdir()) == []  # the one it made, removed after


def test_a_job_lock_another_user_left_is_taken_read_only(reports: Path) -> None:
    """Until 2026-11-30: ``cannot write .../.locks/alpha.lock: Permission denied``, and the
    job failed at every ``run-due``. Its process id cannot be written: the file keeps its own."""
    locks = _folder_of_the_publisher(reports)
    lock = _left_lock(locks, 0o644, f"{JOB}.lock")
    assert _publish("job", locks) == "taken: True"
    assert lock.read_text() == "4242"
    with job_lock(locks, JOB) as taken:  # (a run of the job, still going: it is no lock)
        assert taken
        assert _publish("job", locks) == "taken: False"


def test_an_ingest_lock_another_user_left_does_not_stop_an_ingest(reports: Path) -> None:
    """A dataset a group shares, whose lock file (``_apislo.lock``) a run as another user left:
    until 2026-11-30 every ingest failed (``cannot write .../_apislo.lock: Permission
    denied``), the lock held by nobody."""
    dataset = _folder_of_the_publisher(reports)
    _left_lock(dataset, 0o644, "_apislo.lock")
    (reports / "access.log").write_text(
        '10.0.0.1 - - [01/Jan/2025:00:00:01 +0000] "GET /a HTTP/1.1" 200 5 "-" "c" 0.1 0.1\n'
        '10.0.0.2 - - [01/Jan/2025:00:00:02 +0000] "GET /b HTTP/1.1" 404 0 "-" "c" 0.2 -\n'
    )
    assert _publish("ingest", dataset) == "stored: 2"


@pytest.mark.parametrize("action", ["lock", "job"])
def test_a_folder_that_cannot_be_written_is_named_in_the_error(reports: Path, action: str) -> None:
    """No lock file, and none can be made: the folder is what cannot be written (until
    2026-11-30 the error named a ``.publish.lock``, or a job's ``alpha.lock``, the user never
    made)."""
    folder = reports / "daily"
    folder.mkdir()
    if not AS_ROOT:
        folder.chmod(0o555)
    try:
        printed = _publish(action, folder)
    finally:
        folder.chmod(0o755)
    assert printed == f"ReportWriteError: cannot write {folder}: Permission denied"


def test_a_job_lock_folder_that_cannot_be_made_is_named_in_the_error(reports: Path) -> None:
    """No ``.locks`` yet, and its folder cannot be written: the error names ``.locks``, the
    folder the job could not make (until 2026-11-30 it named ``.locks/alpha.lock``)."""
    folder = reports / "daily"
    folder.mkdir()
    if not AS_ROOT:
        folder.chmod(0o555)
    try:
        printed = _publish("job", folder / ".locks")
    finally:
        folder.chmod(0o755)
    assert printed == f"ReportWriteError: cannot write {folder / '.locks'}: Permission denied"


@pytest.mark.skipif(not AS_ROOT, reason="needs root, to leave a lock file as another user")
def test_a_lock_file_another_user_left_unreadable_is_named_in_the_error(reports: Path) -> None:
    """Mode 0600: it cannot be locked at all; the error names it, to be removed."""
    folder = _folder_of_the_publisher(reports)
    lock = _left_lock(folder, 0o600)
    assert _publish("lock", folder) == f"ReportWriteError: cannot write {lock}: Permission denied"


def test_a_lock_file_linked_to_where_none_can_be_made_is_named_in_the_error(
    reports: Path,
) -> None:
    """A link to a file in a folder the publisher cannot write: named, not retried for ever
    (made anew only where nothing is there, it never could be)."""
    folder = _folder_of_the_publisher(reports)
    closed = reports / "closed"
    closed.mkdir(mode=0o555)
    lock = folder / PUBLISH_LOCK
    lock.symlink_to(closed / "lock")
    try:
        printed = _publish("lock", folder)
    finally:
        closed.chmod(0o755)
    assert printed == f"ReportWriteError: cannot write {lock}: Permission denied"


@pytest.mark.parametrize("action", ["lock", "job", "ingest"])
def test_a_lock_file_another_user_left_on_nfs_is_named_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """On NFS ``flock`` takes an exclusive lock only on a file open for writing: on the lock
    file another user left (0644: opened read-only) it fails with ``EBADF``. With the first
    version of the read-only fallback (2026-11-30, never released) that was a bare
    ``OSError: [Errno 9] Bad file descriptor`` (a traceback) for a job's lock and an ingest's,
    ``cannot write .../.publish.lock: Bad file descriptor`` for a publication. Each names the
    lock file, which cannot be written, as before it was opened read-only. Simulated in
    process: ``os.open`` refuses to open the lock files for writing, ``flock`` refuses an
    exclusive lock on a file open read-only."""
    import errno
    import fcntl

    from apislo.report.lock import publish_lock
    from apislo.sources.ingest import ingest

    real_open, real_flock = os.open, fcntl.flock

    def foreign_open(path: str, flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(".lock") and flags & os.O_ACCMODE != os.O_RDONLY:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, mode)

    def nfs_flock(fd: int, operation: int) -> None:
        if operation & fcntl.LOCK_EX and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == 0:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        real_flock(fd, operation)

    folder = tmp_path / "events"  # (the dataset, for ingest: the log beside it)
    folder.mkdir()
    (tmp_path / "access.log").write_text("")
    lock = _left_lock(
        folder, 0o644, {"lock": PUBLISH_LOCK, "job": f"{JOB}.lock"}.get(action, "_apislo.lock")
    )
    monkeypatch.setattr(os, "open", foreign_open)
    monkeypatch.setattr(fcntl, "flock", nfs_flock)
    with pytest.raises(ApisloError) as raised:
        if action == "lock":
            with publish_lock(folder):
                pass
        elif action == "job":
            with job_lock(folder, JOB):
                pass
        else:
            ingest([tmp_path / "access.log"], folder)
    assert str(raised.value) == (
        f"cannot write {lock}: Permission denied (it cannot be opened for writing, and its file "
        "system, as NFS, locks only files open for writing: remove it)"
    )
    assert lock.read_text() == "4242"
