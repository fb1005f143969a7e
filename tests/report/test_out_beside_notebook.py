"""A report written beside its notebook under the notebook's name (QA, 2026-11-29: `apislo report
run notebooks/explore.ipynb --out notebooks/explore.html`) is refused before a kernel starts:
its executed notebook, `explore.ipynb`, replaced the notebook itself, with its outputs and an
injected-parameters cell whose values later runs without `-p` took instead of the defaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.report import run_report

GOOD = Path(__file__).parent / "notebooks" / "good.ipynb"


@pytest.mark.parametrize(
    ("name", "out"),
    [
        ("good.ipynb", "good.html"),  # the executed notebook would be good.ipynb
        ("good.failed.ipynb", "good.html"),  # a failed run's would be good.failed.ipynb
    ],
)
def test_out_that_would_replace_the_notebook_is_refused(tmp_path: Path, name, out) -> None:
    notebook = tmp_path / name
    shutil.copy(GOOD, notebook)
    before = notebook.read_bytes()
    with pytest.raises(ConfigError) as info:
        run_report(notebook, {"n": 3}, tmp_path / out)
    assert str(info.value) == (
        f"--out {tmp_path / out} would replace the notebook {notebook} with its executed copy; "
        "write the report under another name or in another folder"
    )
    assert notebook.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no kernel ran, nothing made


def test_through_a_relative_path_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notebooks").mkdir()
    shutil.copy(GOOD, tmp_path / "notebooks" / "good.ipynb")
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(ConfigError) as info:
        run_report("good.ipynb", {"n": 3}, "../notebooks/good.html")
    assert str(info.value).startswith(
        "--out ../notebooks/good.html would replace the notebook good.ipynb with its executed"
    )


@pytest.mark.parametrize("name", ["good.html", "good.ipynb", "good.failed.ipynb"])
def test_a_folder_where_the_run_writes_a_file_is_refused_before_the_kernel(
    tmp_path: Path, name: str
) -> None:
    """A folder named as the report, its notebook or its failed notebook: refused before the
    kernel starts (until 2026-11-30 the run went on: a folder in the failed notebook's place
    failed a good run after its report was published, and in the other two places the run
    ended in an error once the notebook had run)."""
    (tmp_path / name).mkdir()
    with pytest.raises(ConfigError) as info:
        run_report(GOOD, {"n": 3}, tmp_path / "good.html")
    assert str(info.value) == (
        f"--out {tmp_path / 'good.html'}: {tmp_path / name} is a folder, where the run writes a "
        "file; move it away or write the report under another name"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no kernel ran, nothing made


def test_a_link_to_a_folder_there_is_replaced_as_before(tmp_path: Path) -> None:
    """A symbolic link in the failed notebook's place is no folder of its own: a good run
    publishes and removes the link, leaving the folder it named."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "good.failed.ipynb").symlink_to(tmp_path / "elsewhere")
    run_report(GOOD, {"n": 3}, tmp_path / "good.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "good.html", "good.ipynb"]


def test_a_place_that_cannot_be_looked_at_is_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the folder of ``out`` cannot be searched (another user's, mode 0700), looking for a
    folder in the report's place raised ``PermissionError`` (a traceback, 2026-11-30, never
    released); it is let through, to fail as any unwritable folder does when written."""
    from apislo.report import runner

    blocked = tmp_path / "theirs"
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if str(path).startswith(str(blocked)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    paths = tuple(blocked / name for name in ("r.html", "r.ipynb", "r.failed.ipynb"))
    assert runner._check_no_folder(paths[0], paths) is None
