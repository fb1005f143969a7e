"""Write files so that readers see the old versions or the new ones, never half of one.

Every file a run writes in a folder (a report and its notebook, a failed notebook, the index) is
first written in a working folder ``.run-*`` of that folder (:func:`work_folder`), then renamed
into place; the working folder holds :data:`RUN_LOCK` (``flock``) while its process lives, and is
removed at its end. Files published together are renamed one by one, after a journal naming the
files they replace (kept as hard links in the working folder): a write that fails between two
renames puts the replaced files back, so a failed write (disk full, no permission) leaves the old
set as it was. Two processes publishing into one folder take turns, each holding the folder's
publication lock (:func:`~apislo.report.lock.publish_lock`) around its renames: their renames
never interleave, leaving the HTML of one run beside the notebook of the other (as they could
until 2026-11-30).

A process killed outright (SIGKILL, the OOM killer) leaves its working folder, temporary files and
all. The next write into the same folder (:func:`sweep`; ``schedule run-due`` sweeps every folder
of the reports, :func:`sweep_tree`) finds its lock free, puts back the files it had replaced if
it died between two renames, so a report is never left with the notebook of a run that never
published its HTML, and removes the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from apislo.errors import LockUnsupportedError, ReportWriteError

__all__ = [
    "FRESH_S",
    "RUN_LOCK",
    "STALE_RUN_S",
    "WORK_PREFIX",
    "atomic_write_text",
    "atomic_write_texts",
    "sweep",
    "sweep_tree",
    "work_folder",
    "writing",
]

#: How the name of a working folder starts.
WORK_PREFIX = ".run-"
#: The file each working folder's process holds locked (:func:`~apislo.report.lock.file_lock`).
RUN_LOCK = "run.lock"
#: A working folder younger than this (seconds since an entry was last added to it) is never
#: taken for a dead process's: its process takes its lock right after making it.
FRESH_S = 60.0
#: Where the file system keeps no locks (NFS without its lock daemon, some FUSE mounts), a
#: working folder untouched for this long (seconds) is taken for a dead process's.
STALE_RUN_S = 24 * 3600.0
#: The journal of a publication in progress, in its working folder.
_JOURNAL = "publishing.json"


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Raise an :class:`OSError` from the block as a :class:`ReportWriteError` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise ReportWriteError(path, exc) from exc


@contextmanager
def work_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A new working folder ``.run-*`` in the folder of ``target`` (created if missing), after
    the dead ones there are swept (:func:`sweep`); its :data:`RUN_LOCK` held while the block
    runs (where the file system keeps no locks, none: the folder is then kept by its age alone),
    and removed after it, the lock still held.

    Raises:
        ReportWriteError: naming ``target`` (or the lock file): its folder cannot be written
            (no permission, a file in its place).
    """
    from apislo.report.lock import file_lock

    folder = Path(target).parent
    with writing(target):
        folder.mkdir(parents=True, exist_ok=True)
        sweep(folder)
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=folder))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)  # (the lock could not be made)
        with suppress(LockUnsupportedError):
            stack.enter_context(file_lock(work / RUN_LOCK))
        stack.callback(shutil.rmtree, work, ignore_errors=True)  # (first, the lock still held)
        yield work


def sweep(folder: str | os.PathLike[str]) -> None:
    """Remove the working folders of dead processes in ``folder``: their :data:`RUN_LOCK` is
    free (or missing) and they are older than :data:`FRESH_S`; where the file system keeps no
    locks, untouched for :data:`STALE_RUN_S`. A publication such a process left half done is
    rolled back first. A folder that cannot be removed (no permission) is left, and so is a
    ``.run-*`` folder that is no working folder (it holds files but no :data:`RUN_LOCK`: the
    user's own; a link)."""
    for work in Path(folder).glob(f"{WORK_PREFIX}*"):
        # (gone meanwhile: another sweep removed it; not ours; a folder that cannot be written)
        with suppress(OSError, ReportWriteError):
            _remove_if_dead(work)


def sweep_tree(root: str | os.PathLike[str]) -> None:
    """:func:`sweep` every folder under ``root`` (``root`` too) that holds a working folder."""
    for folder in {work.parent for work in Path(root).rglob(f"{WORK_PREFIX}*")}:
        sweep(folder)


def _remove_if_dead(work: Path) -> None:
    """Roll back and remove the working folder ``work`` if its process is dead."""
    from apislo.report.lock import is_locked, publish_lock

    if not _is_work_folder(work):
        return
    age_s = time.time() - work.stat().st_mtime
    if age_s < FRESH_S:
        return
    try:
        dead = not is_locked(work / RUN_LOCK)
    except LockUnsupportedError:
        dead = age_s > STALE_RUN_S
    if dead:
        with publish_lock(work.parent):  # (no publication's renames between its check and put)
            _roll_back(work)
        shutil.rmtree(work, ignore_errors=True)


def _is_work_folder(path: Path) -> bool:
    """Whether ``path`` is a working folder of :func:`work_folder`, not one of the user's named
    alike (``reports/.run-notes``): a folder, not a link to one, that holds :data:`RUN_LOCK`
    (made right after the folder, also where the file system keeps no locks) or nothing (its
    process died before making it)."""
    if path.is_symlink() or not path.is_dir():
        return False
    names = os.listdir(path)
    return RUN_LOCK in names or not names


def atomic_write_texts(
    files: Mapping[str | os.PathLike[str], str],
    work: str | os.PathLike[str] | None = None,
    *,
    remove: Collection[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write every text (UTF-8) to its path, all in one folder: each to a temporary file in a
    working folder of that folder, fsynced, then renamed over its path once all are written,
    after a journal of the files they replace; no path is replaced unless every text was
    written, and a rename that fails puts the replaced files back. Then remove the files
    ``remove`` names, still under the folder's publication lock, so that no other publication
    comes between (a good run's removal of the failed notebook, which a failed run finishing
    meanwhile keeps: until 2026-11-30 removed after the lock was let go, it could remove the
    failed notebook of a run that failed after this one).

    Args:
        files: path -> text; every path in one folder.
        work: the working folder (:func:`work_folder`) of that folder, held by the caller;
            default: one made for this write.
        remove: paths in that folder to remove once the texts are in place (if there).

    Returns:
        The paths written.

    Raises:
        ReportWriteError: a text could not be written; no path was left replaced. Or, the texts
            written, naming a path of ``remove`` that could not be removed (a folder).
    """
    from apislo.report.lock import publish_lock

    targets = [Path(path) for path in files]
    if work is None:
        with work_folder(targets[0]) as made:
            return atomic_write_texts(files, made, remove=remove)
    work = Path(work)
    staged = []
    for target, text in zip(targets, files.values(), strict=True):
        with writing(target):
            staged.append((_write_temp(work, target.name, text), target))
    with publish_lock(targets[0].parent):
        _publish(work, staged)
        for path in remove:
            with writing(path):
                Path(path).unlink(missing_ok=True)
    return targets


def _publish(work: Path, staged: list[tuple[Path, Path]]) -> None:
    """Rename each staged file (temporary file, target) over its target, after the journal of
    the files they replace; a rename that fails puts the replaced files back. The caller holds
    the folder's publication lock, so the files replaced are those this publication's renames
    replace, and no other publication's renames come between.

    Raises:
        ReportWriteError: naming the target that could not be replaced (or kept).
    """
    entries = [_keep_previous(work, i, tmp, target) for i, (tmp, target) in enumerate(staged)]
    with writing(work.parent):
        _write_journal(work, entries)
    try:
        for tmp, target in staged:
            with writing(target):
                os.replace(tmp, target)
    except BaseException:
        _roll_back(work)
        raise
    (work / _JOURNAL).unlink()


def atomic_write_text(
    path: str | os.PathLike[str], text: str, work: str | os.PathLike[str] | None = None
) -> Path:
    """Write ``text`` to ``path`` as :func:`atomic_write_texts` does.

    Raises:
        ReportWriteError: ``text`` could not be written; ``path`` was left as it was.
    """
    return atomic_write_texts({path: text}, work)[0]


def _keep_previous(work: Path, index: int, tmp: Path, target: Path) -> dict[str, Any]:
    """Keep the file at ``target`` in ``work`` (a hard link; a copy where the file system has
    none) before ``tmp`` replaces it; the journal's entry for it: its name, the file kept
    (``None``: there was none) and the identity of ``tmp``.

    Raises:
        ReportWriteError: naming ``target``: it cannot be kept (a folder in its place).
    """
    previous: str | None = f"previous-{index}"
    with writing(target):
        try:
            os.link(target, work / previous)
        except FileNotFoundError:
            previous = None
        except OSError:  # (no hard links: FAT, some FUSE and SMB mounts)
            shutil.copy2(target, work / previous)
        return {"name": target.name, "previous": previous, "new": _identity(tmp)}


def _write_journal(work: Path, entries: list[dict[str, Any]]) -> None:
    """Write the journal :func:`_roll_back` reads, fsynced, before the first rename."""
    with open(work / _JOURNAL, "w", encoding="utf-8") as fh:
        json.dump(entries, fh)
        fh.flush()
        os.fsync(fh.fileno())


def _roll_back(work: Path) -> None:
    """Put back the files a publication in ``work`` replaced, if its journal is there (it
    stopped between two renames): each target that still holds the publication's new file gets
    its previous file back, or is removed if it had none. A target replaced since (by another
    process) is left. Without a journal, or with one cut short (it died writing it, before any
    rename), nothing was replaced."""
    try:
        entries: list[dict[str, Any]] = json.loads((work / _JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for entry in entries:
        target = work.parent / entry["name"]
        with suppress(FileNotFoundError):
            if _identity(target) != entry["new"]:
                continue
            if entry["previous"] is None:
                target.unlink()
            else:
                os.replace(work / entry["previous"], target)


def _identity(path: Path) -> list[int]:
    """What tells the file at ``path`` from another put there later: inode, size, mtime (ns)."""
    stat = os.lstat(path)
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def _file_mode() -> int:
    """``0o644`` less the process's umask, as the history file gets it: a report is no more
    readable than a new file would be (``UMask=0077`` in a systemd unit: ``0o600``), where
    ``mkstemp`` alone would give ``0o600`` always."""
    return 0o644 & ~_umask()


def _umask() -> int:
    """The process's umask, read from ``/proc/self/status`` (Linux 4.7+) without setting it:
    setting it to read it (the fallback) gives every other thread ``0o022`` meanwhile, and two
    threads writing at once left the process at ``0o022`` for good."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    umask = os.umask(0o022)  # (reading the umask means setting it; put it back at once)
    os.umask(umask)
    return umask


def _write_temp(work: Path, name: str, text: str) -> Path:
    """Write ``text`` (UTF-8) to a new temporary file in ``work`` named after ``name``,
    fsynced; its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=work)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
