"""The output folder of a simulation: checked before anything is generated, written all at once.

Every file is written under a temporary name beside its path, and all are renamed over their
paths once all are written: a run that fails (a bad option found late, a full disk) leaves the
previous run's files as they were, no temporary file, and no folder it made.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from apislo.errors import ConfigError

__all__ = ["check_files", "check_folder", "written_together"]


def check_folder(out: Path) -> None:
    """Refuse an output folder that, or whose nearest existing parent, is not a directory.

    Raises:
        ConfigError: naming the path that is something else (a regular file, say).
    """
    existing = next((p for p in (out, *out.parents) if os.path.exists(p)), None)
    if existing is not None and not os.path.isdir(existing):
        raise ConfigError(f"{existing}: not a directory; pass a writable folder as --out")


def check_files(paths: Sequence[Path]) -> None:
    """Refuse a folder where a file is to be written.

    Raises:
        ConfigError: naming the folder.
    """
    for path in paths:
        if os.path.isdir(path):
            raise ConfigError(f"{path} is a folder, not a file; remove it or pass another --out")


@contextmanager
def written_together() -> Iterator[Callable[[Path], Path]]:
    """Write files under temporary names and rename them over their paths once all are written.

    The block calls ``stage(path)`` for a new temporary file beside ``path`` (its folder made if
    missing) and writes it; when the block ends, every temporary file is renamed over its path.
    When the block fails, nothing is renamed, and the temporary files and the folders made for
    them are removed.

    Raises:
        ConfigError: an :class:`OSError` while writing or renaming (disk full, no permission),
            naming the file.
    """
    staged: list[tuple[Path, Path]] = []  # (temporary file, path)
    made: list[Path] = []  # folders made for them, each before its subfolders
    current: Path | None = None  # the file being written or renamed

    def stage(path: Path) -> Path:
        nonlocal current
        current = path
        missing = [p for p in (path.parent, *path.parent.parents) if not os.path.exists(p)]
        path.parent.mkdir(parents=True, exist_ok=True)
        made.extend(reversed(missing))
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # (mkstemp's files are private)
        staged.append((Path(tmp), path))
        return Path(tmp)

    try:
        yield stage
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)  # (only those not renamed are left)
        for folder in reversed(made):
            with contextlib.suppress(OSError):  # (not empty: a file was renamed into it)
                folder.rmdir()
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write {current or exc.filename} ({exc.strerror or exc}); pass a "
                "writable folder with free space as --out"
            ) from None
        raise
