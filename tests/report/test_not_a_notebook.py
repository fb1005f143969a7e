"""A file that is not a Jupyter notebook is refused before any kernel starts, in one line (QA:
`report run README.md` said "the kernel failed with NotJSONError ... the failed run is in
nowhere"); a run that kept no failed notebook says so in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError, ReportRunError
from apislo.report import run_report


def test_a_markdown_file_is_refused_in_one_line(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# apislo\n\nAn open-source, notebook-driven workbench.\n")
    out = tmp_path / "x.html"
    result = CliRunner().invoke(main, ["report", "run", str(readme), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {readme}: not a Jupyter notebook (not JSON); pass the path of an .ipynb file\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # nothing written


def test_json_that_is_no_notebook_is_refused(tmp_path: Path) -> None:
    listing = tmp_path / "list.ipynb"
    listing.write_text("[1, 2]")
    with pytest.raises(ConfigError) as info:
        run_report(listing, out=tmp_path / "x.html")
    assert str(info.value).startswith(f"{listing}: not a Jupyter notebook (nbformat cannot read")


def test_a_file_that_is_not_utf8_is_not_json(tmp_path: Path) -> None:
    latin = tmp_path / "latin.ipynb"
    latin.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError) as info:
        run_report(latin, out=tmp_path / "x.html")
    assert str(info.value) == (
        f"{latin}: not a Jupyter notebook (not JSON); pass the path of an .ipynb file"
    )


def test_a_run_that_kept_no_failed_notebook_says_why() -> None:
    error = ReportRunError(
        "nb.ipynb", -1, "NoSuchKernel", "no kernel", "", "the notebook never started"
    )
    assert str(error) == (
        "nb.ipynb: the kernel failed with NoSuchKernel: no kernel. The last good report, if any, "
        "was left as it was; no failed notebook was kept (the notebook never started)."
    )
    kept = ReportRunError("nb.ipynb", 2, "ValueError", "bad", "nb.failed.ipynb")
    assert str(kept).endswith("was left as it was; the failed run is in nb.failed.ipynb.")
